//! Numbers: exact-decimal checks, literal-number equality and numeric ranges.
//!
//! Every finite JSON number is numeric, parsed with correct rounding (Rust's `f64::from_str`).
//! Pattern *operands* (of `numeric` and of numeric `anything-but`) must also be exactly what the
//! rounded double says: `123456789012345678` is rejected (`Cannot compare number : …`), as
//! event-ruler rejects it, because comparing against it would silently compare against
//! `123456789012345680`. A *literal* number that is not exact stays a textual match only, so that an
//! 18-digit account number never matches its neighbours.

use std::cmp::Ordering;

/// Parses a JSON number's text into a finite double, or `None` when it overflows to infinity.
///
/// Correctly rounded, by the `fast-float2` crate (Eisel–Lemire with a slow path for the hard cases):
/// as fast as the hand-written parser it replaced on the CityLots coordinates (`benches/numbers.rs`)
/// and bit-identical to `f64::from_str` (property-tested below).
pub(crate) fn finite(text: &str) -> Option<f64> {
    fast_float2::parse::<f64, _>(text).ok().filter(|v| v.is_finite())
}

/// The double `text` denotes when that double's decimal value is exactly `text`'s decimal value
/// (after shortest round-trip formatting), as event-ruler requires of comparable numbers.
pub(crate) fn exact(text: &str) -> Option<f64> {
    let value = finite(text)?;
    let shortest = format!("{value:e}");
    (Decimal::parse(text)? == Decimal::parse(&shortest)?).then_some(value)
}

/// A decimal number normalised as `±0.DIGITS × 10^exponent` with no leading or trailing zeros.
#[derive(PartialEq, Eq, Debug)]
struct Decimal {
    negative: bool,
    digits: Vec<u8>,
    exponent: i128,
}

impl Decimal {
    fn parse(text: &str) -> Option<Decimal> {
        let (negative, rest) = match text.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, text),
        };
        let (mantissa, exp) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, "0"),
        };
        let exp_negative = exp.starts_with('-');
        let exp_digits = exp.trim_start_matches(['+', '-']);
        // Saturate absurd exponents: the value is then zero or infinite and was filtered out before.
        let mut exponent: i128 = 0;
        for b in exp_digits.bytes() {
            exponent = (exponent * 10 + i128::from(b - b'0')).min(1 << 80);
        }
        if exp_negative {
            exponent = -exponent;
        }
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let mut digits: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
        let mut point = int.len() as i128;
        let leading = digits.iter().take_while(|&&d| d == 0).count();
        digits.drain(..leading);
        point -= leading as i128;
        while digits.last() == Some(&0) {
            digits.pop();
        }
        if digits.is_empty() {
            return Some(Decimal { negative: false, digits, exponent: 0 });
        }
        Some(Decimal { negative, digits, exponent: point + exponent })
    }
}

/// A number literal of a pattern (`[300]`): its text and, when exact, its value.
#[derive(Clone, Debug)]
pub struct NumberLit {
    pub(crate) text: Box<str>,
    pub(crate) value: Option<f64>,
}

impl NumberLit {
    pub(crate) fn new(text: &str) -> NumberLit {
        NumberLit { text: text.into(), value: exact(text) }
    }

    /// True when an event number spelled `text` equals this literal: the same spelling, or both
    /// finite doubles that are numerically equal (`[300]` matches `300.0` and `3.0e2`).
    #[cfg(test)]
    pub(crate) fn matches(&self, text: &str) -> bool {
        self.matches_parsed(text, finite(text).unwrap_or(f64::NAN))
    }

    /// Like [`matches`](Self::matches), with the event number's value already parsed (NaN when it
    /// is not finite).
    #[inline]
    pub(crate) fn matches_parsed(&self, text: &str, value: f64) -> bool {
        *self.text == *text || self.value == Some(value)
    }

    /// The literal's text as written.
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl PartialEq for NumberLit {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

/// A numeric interval with open or closed ends; `=` is the closed point interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    pub(crate) low: f64,
    pub(crate) low_open: bool,
    pub(crate) high: f64,
    pub(crate) high_open: bool,
}

impl Range {
    /// Does the (finite) value lie in the range?
    pub(crate) fn contains(&self, v: f64) -> bool {
        let above = match v.partial_cmp(&self.low) {
            Some(Ordering::Greater) => true,
            Some(Ordering::Equal) => !self.low_open,
            _ => false,
        };
        let below = match v.partial_cmp(&self.high) {
            Some(Ordering::Less) => true,
            Some(Ordering::Equal) => !self.high_open,
            _ => false,
        };
        above && below
    }

    /// The one value of a closed point range (`["=", v]`): a value lies in it exactly when it
    /// equals that value, which a hash lookup answers.
    pub(crate) fn point(&self) -> Option<f64> {
        (self.low == self.high && !self.low_open && !self.high_open).then_some(self.low)
    }

    /// Does an event number spelled `text` lie in the range? Non-finite numbers never do.
    #[cfg(test)]
    pub(crate) fn matches(&self, text: &str) -> bool {
        finite(text).is_some_and(|v| self.contains(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn core(text: &str) -> Option<f64> {
        text.parse::<f64>().ok().filter(|v| v.is_finite())
    }

    #[test]
    fn fast_parse_is_correctly_rounded_on_hard_cases() {
        let cases = [
            "0",
            "-0",
            "0.0",
            "-0.0e5",
            "1",
            "-1",
            "9007199254740992",
            "9007199254740993",
            "9007199254740995",
            "18446744073709551615",
            "1844674407370955161",
            "0.1",
            "0.3",
            "1e22",
            "1e23",
            "1e-22",
            "1e-27",
            "1e55",
            "1e56",
            "1e-28",
            "-122.37524688111087",
            "37.710734310448366",
            "2.2250738585072014e-308",
            "1.7976931348623157e308",
            "5e-324",
            "123456789012345678",
            "1234567890123456789",
            "12345678901234567890",
            "0.000000000000000000000000001",
            "7.038531e-26",
            "4.35679e-10",
            "1.00000000000000011102230246251565404236316680908203125",
            "9.999999999999999e22",
            "2.5e-1",
            "0.5e0",
            "1.5",
            "2.5",
            "3.5",
            "1E5",
            "1e+5",
            "1e-0005",
            "1.",
            ".5",
            "+1",
            "1e",
            "-",
            "00",
            "01.5",
        ];
        for c in cases {
            assert_eq!(finite(c).map(f64::to_bits), core(c).map(f64::to_bits), "{c}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        /// The parser answers what `f64::from_str` does, bit for bit.
        #[test]
        fn fast_parse_equals_from_str(
            digits in "[0-9]{1,20}",
            point in 0usize..21,
            exp in prop::option::of(-40i32..60),
            negative: bool,
        ) {
            let point = point.min(digits.len());
            let (int, frac) = digits.split_at(point);
            let mut text = String::new();
            if negative {
                text.push('-');
            }
            text.push_str(if int.is_empty() { "0" } else { int });
            if !frac.is_empty() {
                text.push('.');
                text.push_str(frac);
            }
            if let Some(e) = exp {
                text.push_str(&format!("e{e}"));
            }
            prop_assert_eq!(finite(&text).map(f64::to_bits), core(&text).map(f64::to_bits), "{}", text);
        }

        /// Random doubles printed shortest (as most producers print them) round-trip.
        #[test]
        fn fast_parse_round_trips_doubles(bits: u64) {
            let v = f64::from_bits(bits);
            prop_assume!(v.is_finite());
            for text in [format!("{v}"), format!("{v:e}"), format!("{v:.3}")] {
                prop_assert_eq!(finite(&text).map(f64::to_bits), core(&text).map(f64::to_bits), "{}", text);
            }
        }
    }

    #[test]
    fn exactness() {
        for ok in ["0", "-0", "300", "300.0", "3.0e2", "0.1", "1e300", "5e-324", "9007199254740993e0"] {
            if ok == "9007199254740993e0" {
                assert_eq!(exact(ok), None, "2^53+1 is not a double");
            } else {
                assert!(exact(ok).is_some(), "{ok}");
            }
        }
        for bad in ["123456789012345678", "1e400", "0.1e-400", "1e99999999999999999999999"] {
            assert_eq!(exact(bad), None, "{bad}");
        }
        assert_eq!(exact("0e99999999999999999999999"), Some(0.0));
        assert_eq!(exact("123456789012345680"), Some(123456789012345680.0));
    }

    #[test]
    fn literal_equality() {
        let n = NumberLit::new("300");
        assert!(n.matches("300") && n.matches("300.0") && n.matches("3.0e2") && n.matches("3E2"));
        assert!(!n.matches("300.1") && !n.matches("1e400"));
        let big = NumberLit::new("123456789012345678");
        assert!(big.matches("123456789012345678"));
        assert!(!big.matches("123456789012345679"));
        assert!(NumberLit::new("-0").matches("0"));
    }

    #[test]
    fn ranges() {
        let r = Range { low: 0.0, low_open: true, high: 5.0, high_open: false };
        assert!(!r.contains(0.0) && r.contains(0.1) && r.contains(5.0) && !r.contains(5.1));
        let all = Range { low: f64::NEG_INFINITY, low_open: true, high: f64::INFINITY, high_open: true };
        assert!(all.contains(1e308) && !all.matches("1e400"));
    }
}
