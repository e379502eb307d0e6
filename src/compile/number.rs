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
/// Correctly rounded: the common shapes (at most 19 significant digits, decimal exponent within
/// [`Q_MIN`]`..=`[`Q_MAX`]) go through [`eisel_lemire`]; everything else, and every case that
/// algorithm cannot decide, goes to `f64::from_str`.
pub(crate) fn finite(text: &str) -> Option<f64> {
    if let Some(v) = fast_f64(text.as_bytes()) {
        return Some(v);
    }
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// `-?DIGITS(.DIGITS)?([eE][+-]?DIGITS)?` with at most 19 significant digits, as a correctly
/// rounded double; `None` for any other shape or when [`eisel_lemire`] declines.
fn fast_f64(b: &[u8]) -> Option<f64> {
    let negative = b.first() == Some(&b'-');
    let mut i = usize::from(negative);
    let mut w: u64 = 0;
    let mut significant = 0u32;
    let int_start = i;
    if b.get(i) == Some(&b'0') {
        i += 1;
    }
    significant += take_digits(b, &mut i, &mut w);
    if i == int_start {
        return None;
    }
    let mut scale: i32 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let frac_start = i;
        if w == 0 {
            while b.get(i) == Some(&b'0') {
                i += 1;
            }
        }
        significant += take_digits(b, &mut i, &mut w);
        if i == frac_start || i - frac_start > 400 {
            return None;
        }
        scale = -((i - frac_start) as i32);
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        let minus = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let exp_start = i;
        let mut e: i32 = 0;
        while let Some(d) = b.get(i).filter(|c| c.is_ascii_digit()) {
            if i - exp_start >= 4 {
                return None;
            }
            e = e * 10 + i32::from(d - b'0');
            i += 1;
        }
        if i == exp_start {
            return None;
        }
        scale += if minus { -e } else { e };
    }
    if i != b.len() || significant > 19 {
        return None;
    }
    let v = if w == 0 { 0.0 } else { eisel_lemire(scale, w)? };
    Some(if negative { -v } else { v })
}

/// Appends the decimal digits at `b[*i..]` to `w` (wrapping: callers reject more than 19
/// significant digits) and returns how many there were. Eight at a time where it can (the SWAR
/// digit check and conversion of Lemire's fast_float), then one at a time.
#[inline]
fn take_digits(b: &[u8], i: &mut usize, w: &mut u64) -> u32 {
    let start = *i;
    while let Some(chunk) = b.get(*i..*i + 8) {
        let x = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        let digits =
            (x & 0xF0F0_F0F0_F0F0_F0F0) | ((x.wrapping_add(0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0) >> 4);
        if digits != 0x3333_3333_3333_3333 {
            break;
        }
        let x = x - 0x3030_3030_3030_3030;
        let x = x.wrapping_mul(10).wrapping_add(x >> 8);
        let x = ((x & 0x0000_00FF_0000_00FF)
            .wrapping_mul(100 + (1_000_000 << 32))
            .wrapping_add(((x >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(1 + (10_000 << 32))))
            >> 32;
        *w = w.wrapping_mul(100_000_000).wrapping_add(x);
        *i += 8;
    }
    while let Some(d) = b.get(*i).filter(|c| c.is_ascii_digit()) {
        *w = w.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
        *i += 1;
    }
    (*i - start) as u32
}

/// The decimal exponents [`POW5`] covers: every `q` for which its entries are exact (for `q < 0`,
/// the range where the truncated reciprocal needs no correction).
const Q_MIN: i32 = -27;
const Q_MAX: i32 = 55;

/// `5^q` normalised into `[2^127, 2^128)`: exact for `q >= 0`, and `floor(2^(z+127) / 5^-q) + 1`
/// for `q < 0`, where `2^z` is the least power of two not below `5^-q` (as in Lemire's tables).
static POW5: [u128; (Q_MAX - Q_MIN + 1) as usize] = pow5_table();

const fn pow5_table() -> [u128; (Q_MAX - Q_MIN + 1) as usize] {
    let mut table = [0u128; (Q_MAX - Q_MIN + 1) as usize];
    let mut q = Q_MIN;
    while q <= Q_MAX {
        let mut p: u128 = 1;
        let mut k = 0;
        while k < q.unsigned_abs() {
            p *= 5;
            k += 1;
        }
        table[(q - Q_MIN) as usize] = if q >= 0 {
            p << p.leading_zeros()
        } else {
            let mut z = 0;
            while (1u128 << z) < p {
                z += 1;
            }
            // Long division of 2^(z+127) by p, one bit at a time.
            let (mut rem, mut quot) = (0u128, 0u128);
            let mut bit = 0;
            while bit <= z + 127 {
                rem = rem * 2 + if bit == 0 { 1 } else { 0 };
                quot <<= 1;
                if rem >= p {
                    rem -= p;
                    quot |= 1;
                }
                bit += 1;
            }
            quot + 1
        };
        q += 1;
    }
    table
}

/// `w × 10^q` correctly rounded to a double (`w > 0`), by the Eisel–Lemire algorithm (Lemire,
/// "Number Parsing at a Gigabyte per Second", 2021): one or two 64×64-bit products with a
/// 128-bit power of five give the 54 leading bits of the result, or show that they cannot be
/// known without more precision. `None` then, and for `q` outside the table, subnormal results and
/// overflow: the caller falls back to `f64::from_str`.
fn eisel_lemire(q: i32, w: u64) -> Option<f64> {
    const MANTISSA_BITS: i32 = 52;
    if !(Q_MIN..=Q_MAX).contains(&q) {
        return None;
    }
    let lz = w.leading_zeros();
    let w = w << lz;
    let p = POW5[(q - Q_MIN) as usize];
    let first = u128::from(w) * (p >> 64);
    let (mut lo, mut hi) = (first as u64, (first >> 64) as u64);
    let mask = u64::MAX >> (MANTISSA_BITS + 3);
    if hi & mask == mask {
        // The low bits are all ones: add the product with the low half of the power.
        let second_hi = ((u128::from(w) * (p & u128::from(u64::MAX))) >> 64) as u64;
        lo = lo.wrapping_add(second_hi);
        if second_hi > lo {
            hi += 1;
        }
    }
    let upper = (hi >> 63) as i32;
    let shift = upper + 64 - MANTISSA_BITS - 3;
    let mut mantissa = hi >> shift;
    // floor(q × log2(10)) + 63, then the exponent bias of a double.
    let mut power2 = ((q.wrapping_mul(152_170 + 65_536) >> 16) + 63) + upper - lz as i32 + 1023;
    if power2 <= 0 {
        return None;
    }
    // Exactly halfway between two doubles: round to even (only possible for small |q|).
    if lo <= 1 && (-4..=23).contains(&q) && mantissa & 3 == 1 && mantissa << shift == hi {
        mantissa &= !1;
    }
    mantissa += mantissa & 1;
    mantissa >>= 1;
    if mantissa >= 2 << MANTISSA_BITS {
        mantissa = 1 << MANTISSA_BITS;
        power2 += 1;
    }
    mantissa &= !(1 << MANTISSA_BITS);
    if power2 >= 0x7FF {
        return None;
    }
    Some(f64::from_bits((power2 as u64) << MANTISSA_BITS | mantissa))
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
    fn power_of_five_table_matches_known_entries() {
        // 5^0, 5^1 and 5^-1 as in Lemire's table (high and low halves).
        assert_eq!(POW5[(0 - Q_MIN) as usize], 0x8000_0000_0000_0000_0000_0000_0000_0000);
        assert_eq!(POW5[(1 - Q_MIN) as usize], 0xa000_0000_0000_0000_0000_0000_0000_0000);
        assert_eq!(POW5[(-1 - Q_MIN) as usize], 0xcccc_cccc_cccc_cccc_cccc_cccc_cccc_cccd);
        // floor(2^190 / 5^27) + 1, computed independently (Python big integers).
        assert_eq!(POW5[(-27 - Q_MIN) as usize], 0x9e74_d1b7_91e0_7e48_775e_a264_cf55_347e);
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
            if let Some(v) = fast_f64(c.as_bytes()) {
                assert_eq!(Some(v.to_bits()), core(c).map(f64::to_bits), "fast path on {c}");
            }
        }
        assert!(fast_f64(b"-122.37524688111087").is_some(), "CityLots coordinates take the fast path");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        /// Whenever the fast path answers, it answers what `f64::from_str` does, bit for bit.
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
            if let Some(v) = fast_f64(text.as_bytes()) {
                prop_assert_eq!(Some(v.to_bits()), core(&text).map(f64::to_bits), "{}", text);
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
