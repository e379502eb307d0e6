//! JSON lexing: the one layer that the pattern parser (`syntax::json`), the event reader
//! (`event::reader`) and the batch scanner (`lambda::scan`) stand on. It knows JSON's tokens —
//! whitespace, strings and their escapes, numbers — and how to skip a value without reading it.
//! It knows nothing of spans, paths or records: each caller keeps what is its own (duplicate keys
//! and spans for patterns, pruning for events, splicing for batches) and turns the small error
//! values here into its own errors, with its own wording and error kind.
//!
//! Everything works on bytes and offsets, so that a caller never re-checks UTF-8 or copies.

mod skip;

pub(crate) use skip::{skim, skim_within, skip_brackets, Firsts, Skim, Unclosed};

/// The UTF-8 byte-order mark, which a document may start with.
pub(crate) const BOM: &str = "\u{feff}";

/// JSON whitespace: space, tab, line feed, carriage return.
#[inline]
pub(crate) fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// The offset of the first non-whitespace byte at or after `i` (or `bytes.len()`).
#[inline(always)]
pub(crate) fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    // Compact JSON has no whitespace: one compare leaves at the first byte above a space.
    while let Some(&b) = bytes.get(i) {
        if b > b' ' || !is_ws(b) {
            break;
        }
        i += 1;
    }
    i
}

/// The offset of the first byte at or after `i` that ends a run of plain string content — a quote,
/// a backslash, or (when `controls`) a control character — or `bytes.len()`. Eight bytes at a time:
/// in each word, the classic "has a zero byte" and "has a byte less than" bit tricks flag candidate
/// bytes, and although they may flag bytes after a true hit, the lowest flag is always exact.
#[inline]
pub fn string_run(bytes: &[u8], i: usize, controls: bool) -> usize {
    string_run_inline(bytes, i, controls)
}

/// [`string_run`], always inlined: for the loops where a call per string costs more than the
/// string (short keys and values, read one after another).
#[inline(always)]
pub(crate) fn string_run_inline(bytes: &[u8], mut i: usize, controls: bool) -> usize {
    // Sixteen bytes at a time while they last (most keys and short values end in the first):
    // compares give a mask of the stop bytes, and its lowest bit is the answer.
    while let Some(chunk) = bytes.get(i..i + 16) {
        use wide::u8x16;
        let v = u8x16::new(chunk.try_into().expect("16 bytes"));
        let mut stop = v.simd_eq(u8x16::splat(b'"')) | v.simd_eq(u8x16::splat(b'\\'));
        if controls {
            // An unsigned `v < 0x20`: the minimum with 0x1f is `v` itself.
            stop |= v.min(u8x16::splat(0x1f)).simd_eq(v);
        }
        let bits = stop.to_bitmask();
        if bits != 0 {
            return i + bits.trailing_zeros() as usize;
        }
        i += 16;
    }
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    while let Some(word) = bytes.get(i..i + 8) {
        let x = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        let mut hits = zero(x ^ (ONES * u64::from(b'"'))) | zero(x ^ (ONES * u64::from(b'\\')));
        if controls {
            hits |= x.wrapping_sub(ONES * 0x20) & !x & HIGH;
        }
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    let stop = |c: u8| c == b'"' || c == b'\\' || (controls && c < 0x20);
    bytes.get(i..).and_then(|rest| rest.iter().position(|&c| stop(c))).map_or(bytes.len(), |k| i + k)
}

/// From the opening quote at `i`, the offset just past the closing quote, or `None` when the
/// string does not end. Escapes are stepped over (a backslash and the byte after it) without being
/// checked; nothing else is validated.
#[inline]
pub(crate) fn skip_string(bytes: &[u8], i: usize) -> Option<usize> {
    let mut i = i + 1;
    loop {
        i = string_run(bytes, i, false);
        match bytes.get(i)? {
            b'"' => return Some(i + 1),
            _ => i += 2,
        }
    }
}

/// From the start of a scalar that is not a string (a number, `true`, `false`, `null`, or junk),
/// the offset of the next delimiter: `,`, `}`, `]`, whitespace, or the end. Nothing is validated.
#[inline]
pub(crate) fn scalar_end(bytes: &[u8], mut i: usize) -> usize {
    // Sixteen bytes at a time while they last (a coordinate is 17 or 18 bytes): compares give a
    // mask of the delimiters, and its lowest bit is the answer.
    while let Some(chunk) = bytes.get(i..i + 16) {
        use wide::u8x16;
        let v = u8x16::new(chunk.try_into().expect("16 bytes"));
        let eq = |c: u8| v.simd_eq(u8x16::splat(c));
        // `]` and `}` differ only in bit 5.
        let stop = eq(b',')
            | (v | u8x16::splat(0x20)).simd_eq(u8x16::splat(b'}'))
            | eq(b' ')
            | eq(b'\t')
            | eq(b'\n')
            | eq(b'\r');
        let bits = stop.to_bitmask();
        if bits != 0 {
            return i + bits.trailing_zeros() as usize;
        }
        i += 16;
    }
    while i < bytes.len() && !matches!(bytes[i], b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// What is wrong with a number, at the offset [`number`] returns with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NumberError {
    /// No digit where the integer part starts.
    Digit,
    /// No digit after the decimal point.
    FractionDigit,
    /// No digit in the exponent.
    ExponentDigit,
    /// A digit after a leading `0`.
    LeadingZero,
}

/// The number token at `i` (`-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`): the offset
/// just past it, or where and why it is malformed.
#[inline(always)]
pub(crate) fn number(b: &[u8], mut i: usize) -> Result<usize, (usize, NumberError)> {
    let digits = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => {
            i += 1;
            if b.get(i).is_some_and(u8::is_ascii_digit) {
                return Err((i, NumberError::LeadingZero));
            }
        }
        Some(b'1'..=b'9') => i = digits(i),
        _ => return Err((i, NumberError::Digit)),
    }
    if b.get(i) == Some(&b'.') {
        // Fractions run long (coordinates, measurements): eight digits at a time.
        let j = fraction_digits(b, i + 1);
        if j == i + 1 {
            return Err((j, NumberError::FractionDigit));
        }
        i = j;
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        let j = digits(i);
        if j == i {
            return Err((j, NumberError::ExponentDigit));
        }
        i = j;
    }
    Ok(i)
}

/// The offset of the first byte at or after `i` that is not an ASCII digit (or `b.len()`), eight
/// bytes at a time: each byte less `'0'` is a digit when it is below 10; the high bit of that
/// byte (kept out of the add, so no carry crosses into the next byte) or of the byte plus 0x76
/// flags it, and the lowest flag is the answer.
#[inline(always)]
fn fraction_digits(b: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(word) = b.get(i..i + 8) {
        let t = u64::from_le_bytes(word.try_into().expect("8 bytes")) ^ (ONES * u64::from(b'0'));
        let flags = (((t & !HIGH) + ONES * 0x76) | t) & HIGH;
        if flags != 0 {
            return i + (flags.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    i
}

/// The character of a one-letter JSON escape (`\n` → newline), for the byte after the backslash.
#[inline]
pub(crate) fn simple_escape(b: u8) -> Option<char> {
    Some(match b {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        _ => return None,
    })
}

/// What is wrong with an escape sequence (see [`escape`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EscapeError {
    /// The input ends after the backslash.
    End,
    /// The byte after the backslash starts no escape.
    Invalid,
    /// `\u` without four hexadecimal digits; `valid` of them came first.
    Hex { valid: usize },
    /// A high surrogate not followed by a `\u` low surrogate.
    HighAlone,
    /// A low surrogate with no high one before it.
    LowAlone,
}

/// Four hexadecimal digits at `at`.
#[inline]
fn hex4(b: &[u8], at: usize) -> Option<u32> {
    let digits = b.get(at..at + 4)?;
    let mut v = 0;
    for &d in digits {
        v = v << 4 | (d as char).to_digit(16)?;
    }
    Some(v)
}

/// The escape sequence at `at` (a backslash): its character and its length in bytes. Surrogate
/// pairs (`\ud83d\ude00`) are combined into one character; a lone surrogate is an error.
#[inline]
pub(crate) fn escape(b: &[u8], at: usize) -> Result<(char, usize), EscapeError> {
    let next = *b.get(at + 1).ok_or(EscapeError::End)?;
    if let Some(c) = simple_escape(next) {
        return Ok((c, 2));
    }
    if next != b'u' {
        return Err(EscapeError::Invalid);
    }
    let Some(high) = hex4(b, at + 2) else {
        let valid = b.iter().skip(at + 2).take(4).take_while(|d| d.is_ascii_hexdigit()).count();
        return Err(EscapeError::Hex { valid });
    };
    match high {
        0xD800..=0xDBFF => {
            let low = (b.get(at + 6..at + 8) == Some(b"\\u")).then(|| hex4(b, at + 8)).flatten();
            match low {
                Some(low @ 0xDC00..=0xDFFF) => {
                    let c = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                    Ok((char::from_u32(c).unwrap_or('\u{fffd}'), 12))
                }
                _ => Err(EscapeError::HighAlone),
            }
        }
        0xDC00..=0xDFFF => Err(EscapeError::LowAlone),
        c => Ok((char::from_u32(c).unwrap_or('\u{fffd}'), 6)),
    }
}

/// Unescapes the JSON string token at the start of `input` (opening quote included), appending the
/// text to `out`; returns the token's length in bytes, or `None` if the token is not a valid JSON
/// string. Allocation-free when `out` has room.
pub(crate) fn unescape_into(input: &str, out: &mut String) -> Option<usize> {
    let b = input.as_bytes();
    if b.first() != Some(&b'"') {
        return None;
    }
    let mut i = 1;
    loop {
        let stop = string_run(b, i, true);
        out.push_str(input.get(i..stop)?);
        match b.get(stop)? {
            b'"' => return Some(stop + 1),
            b'\\' => {
                let (c, len) = escape(b, stop).ok()?;
                out.push(c);
                i = stop + len;
            }
            _ => return None,
        }
    }
}

/// Appends `s` to `out` as a JSON string token (quotes included), escaping quotes, backslashes and
/// control characters. The runs between them are found by [`string_run`] and copied whole.
pub(crate) fn push_string_token(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push('"');
    let mut start = 0;
    loop {
        let i = string_run(bytes, start, true);
        // `i` is at an ASCII byte or the end, so both slices are on character boundaries.
        out.push_str(&s[start..i]);
        let Some(&b) = bytes.get(i) else { break };
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            _ => {
                use std::fmt::Write;
                let _ = write!(out, "\\u{b:04x}");
            }
        }
        start = i + 1;
    }
    out.push('"');
}

/// The deepest nesting [`skip_valid`] tracks itself (one bit per level).
const VALID_DEPTH: usize = 256;

/// From the start of a JSON value at `i` (whitespace before it allowed), the offset just past it
/// when it is valid JSON with containers nested at most `room` deep (the value itself, if a
/// container, is one level); `None` otherwise, or when it nests deeper than [`VALID_DEPTH`].
///
/// The strict reader's check of a value no pattern refers to, in one loop with no recursion and no
/// allocation: strings with their escapes and control characters, numbers, the three words, and
/// the grammar between them, exactly as [`number`], [`escape`] and the reader have it. It says
/// nothing of why a value is invalid: on `None`, the reader reads the value again its own way, for
/// the error and its position (invalid events are rare; valid ones are most of the work).
pub(crate) fn skip_valid(b: &[u8], mut i: usize, room: usize) -> Option<usize> {
    let room = room.min(VALID_DEPTH);
    // Bit `d` set: the container at depth `d` + 1 is an object.
    let mut objects = [0u64; VALID_DEPTH / 64];
    let mut depth = 0usize;
    // Is the innermost open container an object? (Its bit, kept at hand: every value asks.)
    let mut object = false;
    let is_object = |objects: &[u64; VALID_DEPTH / 64], depth: usize| {
        depth > 0 && objects[(depth - 1) / 64] >> ((depth - 1) % 64) & 1 == 1
    };
    // A key at `i` and its colon: the offset past the colon.
    #[inline(always)]
    fn key(b: &[u8], i: usize) -> Option<usize> {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let i = skip_ws(b, valid_string(b, i)?);
        (b.get(i) == Some(&b':')).then_some(i + 1)
    }
    loop {
        // A value.
        i = skip_ws(b, i);
        match *b.get(i)? {
            open @ (b'{' | b'[') => {
                if depth == room {
                    return None;
                }
                object = open == b'{';
                if object {
                    objects[depth / 64] |= 1 << (depth % 64);
                } else {
                    objects[depth / 64] &= !(1 << (depth % 64));
                }
                depth += 1;
                i = skip_ws(b, i + 1);
                if b.get(i) == Some(if object { &b'}' } else { &b']' }) {
                    depth -= 1;
                    object = is_object(&objects, depth);
                    i += 1;
                } else {
                    if object {
                        i = key(b, i)?;
                    }
                    continue;
                }
            }
            b'"' => i = valid_string(b, i)?,
            b'-' | b'0'..=b'9' => i = number(b, i).ok()?,
            b't' if b[i..].starts_with(b"true") => i += 4,
            b'f' if b[i..].starts_with(b"false") => i += 5,
            b'n' if b[i..].starts_with(b"null") => i += 4,
            _ => return None,
        }
        // After a value: close containers until one goes on (or the first value is done).
        loop {
            if depth == 0 {
                return Some(i);
            }
            i = skip_ws(b, i);
            match (*b.get(i)?, object) {
                (b',', true) => {
                    i = key(b, skip_ws(b, i + 1))?;
                    break;
                }
                (b',', false) => {
                    i += 1;
                    break;
                }
                (b'}', true) | (b']', false) => {
                    depth -= 1;
                    object = is_object(&objects, depth);
                    i += 1;
                }
                _ => return None,
            }
        }
    }
}

/// A valid string at `i` (its opening quote): the offset past its closing quote. A string with no
/// escape ends at the first stop byte, inline; escapes are checked out of line.
#[inline(always)]
fn valid_string(b: &[u8], i: usize) -> Option<usize> {
    let end = string_run(b, i + 1, true);
    if b.get(end) == Some(&b'"') {
        Some(end + 1)
    } else {
        valid_string_escapes(b, end)
    }
}

/// [`valid_string`] from its first stop byte that is not the closing quote.
#[inline(never)]
fn valid_string_escapes(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        match *b.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => i += escape(b, i).ok()?.1,
            _ => return None,
        }
        i = string_run(b, i, true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// JSON text built from pieces that collide often: nested containers, escapes (lone
    /// surrogates among them), control characters, numbers in every form, the words, whitespace.
    fn json_text() -> impl Strategy<Value = String> {
        let valid = prop::sample::select(vec![
            "0",
            "-0",
            "1.5e3",
            "-12.25",
            "1E+2",
            "true",
            "false",
            "null",
            "\"\"",
            "\"a b\"",
            "\"\\\"q\"",
            "\"\\u00e9\"",
            "\"\\ud83d\\ude00\"",
            "\"\\/\\b\\f\\n\\r\\t\"",
            "\"é\"",
            "\"[{\"",
        ]);
        let invalid = prop::sample::select(vec![
            "01",
            "1.",
            "-",
            "2e",
            "nul",
            "tru",
            "\"\\ud83d\"",
            "\"\\ude00\"",
            "\"\\x\"",
            "\"\u{1}\"",
            "\"\t\"",
            "\"open",
            "\"\\u12g4\"",
        ]);
        let scalar = prop_oneof![12 => valid, 1 => invalid].prop_map(str::to_string);
        let text = scalar.prop_recursive(6, 48, 4, |inner| {
            let ws = prop::sample::select(vec!["", " ", "\n\t", "\r "]);
            prop_oneof![
                (prop::collection::vec((inner.clone(), ws.clone()), 0..4), prop::bool::weighted(0.95)).prop_map(
                    |(items, close)| {
                        let body: Vec<String> = items.into_iter().map(|(v, w)| format!("{w}{v}{w}")).collect();
                        format!("[{}{}", body.join(","), if close { "]" } else { "" })
                    }
                ),
                (prop::collection::vec((inner, ws), 0..4), prop::bool::weighted(0.95)).prop_map(|(items, colon)| {
                    let body: Vec<String> = items
                        .into_iter()
                        .enumerate()
                        .map(|(k, (v, w))| format!("{w}\"k{k}\"{w}{}{w}{v}", if colon { ":" } else { "" }))
                        .collect();
                    format!("{{{}}}", body.join(","))
                }),
            ]
        });
        let tail = prop_oneof![6 => Just(""), 1 => prop::sample::select(vec![" ", ",", "]", "}", "x"])];
        (text, tail).prop_map(|(t, tail)| t + tail)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// `skip_valid` accepts exactly what serde_json accepts (which nests at most 128 deep, past
        /// what the texts here reach), and ends where the value ends.
        #[test]
        fn skip_valid_agrees_with_serde_json(text in json_text(), cut in 0usize..64) {
            let mut end = text.len().saturating_sub(cut);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            for t in [text.as_str(), &text[..end]] {
                let ours = skip_valid(t.as_bytes(), 0, 100).map(|end| skip_ws(t.as_bytes(), end) == t.len());
                let theirs = serde_json::from_str::<serde_json::Value>(t).is_ok();
                prop_assert_eq!(ours.unwrap_or(false), theirs, "{:?}", t);
            }
        }

        /// The word scan for digits stops where the byte loop does, on every byte value.
        #[test]
        fn fraction_digits_by_words_equal_byte_loop(
            text in prop::collection::vec(prop_oneof![8 => b'0'..=b'9', 1 => any::<u8>()], 0..40),
            from in 0usize..40,
        ) {
            let from = from.min(text.len());
            let naive = from + text[from..].iter().take_while(|b| b.is_ascii_digit()).count();
            prop_assert_eq!(fraction_digits(&text, from), naive);
        }

        /// The block scan for a scalar's end stops where the byte loop does, on every byte value.
        #[test]
        fn scalar_end_by_blocks_equals_byte_loop(
            text in prop::collection::vec(prop_oneof![
                8 => prop::sample::select(b"0123456789.-eE+".to_vec()),
                1 => any::<u8>(),
            ], 0..60),
            from in 0usize..60,
        ) {
            let from = from.min(text.len());
            let naive = from
                + text[from..].iter().take_while(|b| !matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')).count();
            prop_assert_eq!(scalar_end(&text, from), naive);
        }

        /// Nesting deeper than the room left is refused, as the reader refuses it.
        #[test]
        fn skip_valid_keeps_to_the_room(depth in 1usize..12, room in 0usize..12) {
            let t = "[".repeat(depth) + &"]".repeat(depth);
            prop_assert_eq!(skip_valid(t.as_bytes(), 0, room), (depth <= room).then_some(t.len()));
        }
    }

    #[test]
    fn numbers_and_their_errors() {
        let n = |s: &str| number(s.as_bytes(), 0);
        assert_eq!(n("0"), Ok(1));
        assert_eq!(n("-12.5e+3,"), Ok(8));
        assert_eq!(n("1E9]"), Ok(3));
        assert_eq!(n("-"), Err((1, NumberError::Digit)));
        assert_eq!(n("01"), Err((1, NumberError::LeadingZero)));
        assert_eq!(n("-00"), Err((2, NumberError::LeadingZero)));
        assert_eq!(n("1."), Err((2, NumberError::FractionDigit)));
        assert_eq!(n("1.e5"), Err((2, NumberError::FractionDigit)));
        assert_eq!(n("2e+"), Err((3, NumberError::ExponentDigit)));
        assert_eq!(n(".5"), Err((0, NumberError::Digit)));
    }

    #[test]
    fn escapes_and_their_errors() {
        let e = |s: &str| escape(s.as_bytes(), 0);
        assert_eq!(e(r"\n"), Ok(('\n', 2)));
        assert_eq!(e(r"\u00e9x"), Ok(('é', 6)));
        assert_eq!(e(r"\ud83d\ude00"), Ok(('😀', 12)));
        assert_eq!(e("\\"), Err(EscapeError::End));
        assert_eq!(e(r"\x"), Err(EscapeError::Invalid));
        assert_eq!(e(r"\u12g4"), Err(EscapeError::Hex { valid: 2 }));
        assert_eq!(e(r"\u12"), Err(EscapeError::Hex { valid: 2 }));
        assert_eq!(e(r"\ud83dx"), Err(EscapeError::HighAlone));
        assert_eq!(e(r"\ud83d\u0041"), Err(EscapeError::HighAlone));
        assert_eq!(e(r"\ude00"), Err(EscapeError::LowAlone));
    }

    #[test]
    fn strings_skipped_and_unescaped() {
        assert_eq!(skip_string(br#""a\"b" x"#, 0), Some(6));
        assert_eq!(skip_string(br#""abc"#, 0), None);
        assert_eq!(skip_string(br#""a\"#, 0), None);
        let mut out = String::new();
        assert_eq!(unescape_into(r#""a\tb\u00e9" tail"#, &mut out), Some(12));
        assert_eq!(out, "a\tbé");
        assert_eq!(unescape_into("\"a\u{1}\"", &mut String::new()), None);
        assert_eq!(unescape_into(r#""open"#, &mut String::new()), None);
        let mut token = String::new();
        push_string_token(&mut token, "q\"\\\n\u{1}é");
        assert_eq!(token, r#""q\"\\\n\u0001é""#);
        let mut back = String::new();
        assert_eq!(unescape_into(&token, &mut back), Some(token.len()));
        assert_eq!(back, "q\"\\\n\u{1}é");
    }

    #[test]
    fn whitespace_and_scalars() {
        assert_eq!(skip_ws(b" \t\r\n x", 0), 5);
        assert_eq!(skip_ws(b"   ", 1), 3);
        assert_eq!(scalar_end(b"true,1", 0), 4);
        assert_eq!(scalar_end(b"-1.5e3}", 0), 6);
        assert_eq!(scalar_end(b"null", 0), 4);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// The word-at-a-time string scan finds the same first stop byte as a byte loop.
        #[test]
        fn string_run_finds_the_first_stop_byte(
            text in proptest::collection::vec(
                prop_oneof![4 => Just(b'a'), 1 => Just(b'"'), 1 => Just(b'\\'), 1 => any::<u8>()],
                0..40,
            ),
            start in 0usize..40,
            controls: bool,
        ) {
            let stop = |c: u8| c == b'"' || c == b'\\' || (controls && c < 0x20);
            let expected = (start..text.len()).find(|&i| stop(text[i])).unwrap_or(text.len());
            prop_assert_eq!(string_run(&text, start, controls), expected);
        }


        /// Any string pushed as a token unescapes back to itself, and skips whole.
        #[test]
        fn string_tokens_round_trip(s in "\\PC*|[\"\\\\\u{0}-\u{1f}a]{0,12}") {
            let mut token = String::new();
            push_string_token(&mut token, &s);
            let mut back = String::new();
            prop_assert_eq!(unescape_into(&token, &mut back), Some(token.len()));
            prop_assert_eq!(&back, &s);
            prop_assert_eq!(skip_string(token.as_bytes(), 0), Some(token.len()));
        }
    }
}
