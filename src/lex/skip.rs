//! Skipping a value without reading it: brackets counted 64 bytes at a time.

/// Byte classes for skipping: everything but quotes and brackets is plain.
const PLAIN: u8 = 0;
const QUOTE: u8 = 1;
const OPEN: u8 = 2;
const CLOSE: u8 = 3;
static CLASS: [u8; 256] = {
    let mut t = [PLAIN; 256];
    t[b'"' as usize] = QUOTE;
    t[b'{' as usize] = OPEN;
    t[b'[' as usize] = OPEN;
    t[b'}' as usize] = CLOSE;
    t[b']' as usize] = CLOSE;
    t
};

/// What [`skip_brackets`] ran out of input inside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unclosed {
    String,
    Container,
}

/// From `pos`, skips brackets until the nesting count, starting at `depth`, returns to zero, and
/// returns the offset just past the closing bracket. Strings are skipped whole (so brackets inside
/// them do not count) and nothing else is validated. Counted, not recursed, so any depth is safe.
///
/// Skipping is most of the work of reading an event whose rules name a few fields (a CityLots
/// event is three quarters unreferenced `geometry`), so it goes 64 bytes at a time: SIMD compares
/// give bit masks of quotes, backslashes, opening and closing brackets; a prefix XOR of the quote
/// mask marks the bytes inside strings; and a block whose closing brackets are fewer than the
/// current depth cannot end the value, so it only updates the depth by two population counts.
/// The last partial block is padded with spaces; blocks with a backslash go byte by byte
/// ([`skip_scalar`]), which is simpler than tracking escape runs across blocks and rare in events.
pub fn skip_brackets(bytes: &[u8], pos: usize, mut depth: usize) -> Result<usize, Unclosed> {
    let n = bytes.len();
    let mut i = pos;
    if depth == 0 {
        // At the opening bracket: count it here, so that blocks start inside the value.
        debug_assert!(matches!(bytes.get(pos), Some(b'[' | b'{')));
        i += 1;
        depth = 1;
    }
    let mut in_string = false;
    // The last partial block, padded with spaces, so that it too goes by masks.
    let mut padded = [b' '; 64];
    loop {
        let block: &[u8; 64] = match bytes.get(i..i + 64) {
            Some(block) => block.try_into().expect("64 bytes"),
            None if i < n => {
                padded[..n - i].copy_from_slice(&bytes[i..]);
                &padded
            }
            None => return Err(if in_string { Unclosed::String } else { Unclosed::Container }),
        };
        let m = Masks::of(block);
        if m.backslash != 0 {
            // Escapes: this stretch byte by byte, then back to blocks.
            let limit = if i + 64 <= n { i + 64 } else { usize::MAX };
            match skip_scalar(bytes, i, limit, depth, in_string)? {
                Scan::Closed(end) => return Ok(end),
                Scan::Paused(at, d) => {
                    i = at;
                    depth = d;
                    in_string = false;
                    continue;
                }
            }
        }
        let inside = prefix_xor(m.quote) ^ if in_string { u64::MAX } else { 0 };
        in_string = inside >> 63 == 1;
        let open = m.open & !inside;
        let close = m.close & !inside;
        let closes = count_few(close);
        if closes < depth {
            depth = depth + count_few(open) - closes;
        } else {
            let mut rest = open | close;
            while rest != 0 {
                let k = rest.trailing_zeros();
                if open >> k & 1 == 1 {
                    depth += 1;
                } else {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(i + k as usize + 1);
                    }
                }
                rest &= rest - 1;
            }
        }
        i += 64;
    }
}

/// What [`skim`] stopped at, first in the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Skim {
    /// The opening quote of a key (a string followed by `:`) whose first byte was wanted.
    Key(usize),
    /// `{` or `[` outside strings.
    Open(usize),
    /// `}` or `]` outside strings.
    Close(usize),
    /// The input ended (possibly inside a string).
    End,
}

/// The first bytes of the keys a [`skim`] stops at: up to three bytes, compared 64 at a time,
/// and always a backslash (a key that starts with an escape may be anything once unescaped);
/// with `empty`, also the empty key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Firsts {
    bytes: [u8; 3],
    len: u8,
    empty: bool,
}

impl Firsts {
    /// The set of `bytes` (and the empty key when `empty`), or `None` when it has more than three
    /// distinct bytes other than the backslash.
    pub(crate) fn new(bytes: impl IntoIterator<Item = u8>, empty: bool) -> Option<Firsts> {
        let mut f = Firsts { empty, ..Firsts::default() };
        for b in bytes {
            if b == b'\\' || f.bytes[..usize::from(f.len)].contains(&b) {
                continue;
            }
            *f.bytes.get_mut(usize::from(f.len))? = b;
            f.len += 1;
        }
        Some(f)
    }

    /// The wanted bytes (the backslash and the empty key aside).
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// Is the empty key wanted?
    pub(crate) fn empty(&self) -> bool {
        self.empty
    }

    /// Is `b` (the byte after a key's opening quote) a wanted first byte?
    #[inline]
    pub(crate) fn has(&self, b: u8) -> bool {
        b == b'\\' || (b == b'"' && self.empty) || self.bytes[..usize::from(self.len)].contains(&b)
    }
}

/// From `pos`, outside any string, finds the first of: a key (a string followed by `:`, after
/// optional whitespace) whose first byte is `wanted` (the byte after the opening quote: `"` for
/// the empty key, `\\` for one that starts with an escape), an opening bracket, a closing
/// bracket. Nothing else is looked at: in an object, this jumps over members whose keys cannot
/// matter and stops at the next container or the object's end, 64 bytes at a time, with the
/// masks [`skip_brackets`] uses and one more per wanted byte. Escapes are tracked across blocks (a
/// quote after an odd run of backslashes does not count).
pub(crate) fn skim(bytes: &[u8], pos: usize, wanted: &Firsts) -> Skim {
    skim_within(bytes, pos, usize::MAX, wanted)
}

/// [`skim`], giving up ([`Skim::End`]) after the block that reaches `max` bytes past `pos`.
pub(crate) fn skim_within(bytes: &[u8], pos: usize, max: usize, wanted: &Firsts) -> Skim {
    let n = bytes.len();
    let limit = pos.saturating_add(max);
    let mut i = pos;
    let mut in_string = 0u64;
    let mut escape_carry = 0u64;
    let mut padded = [b' '; 64];
    'blocks: loop {
        if i >= limit {
            return Skim::End;
        }
        let block: &[u8; 64] = match bytes.get(i..i + 64) {
            Some(block) => block.try_into().expect("64 bytes"),
            None if i < n => {
                padded[..n - i].copy_from_slice(&bytes[i..]);
                &padded
            }
            None => return Skim::End,
        };
        let m = Masks::of(block);
        let mut quote = m.quote;
        if m.backslash | escape_carry != 0 {
            quote &= !escaped(m.backslash, &mut escape_carry);
        }
        // Inside strings: from an opening quote up to (not including) its closing quote.
        let inside = prefix_xor(quote) ^ in_string;
        in_string = 0u64.wrapping_sub(inside >> 63);
        let structural = (m.open | m.close) & !inside;
        // Opening quotes before the first bracket.
        let before = if structural == 0 { u64::MAX } else { (1u64 << structural.trailing_zeros()) - 1 };
        let mut starts = quote & inside & before;
        if starts != 0 {
            // Keep the opening quotes followed by a wanted byte (the last one's is in the next block).
            let mut follow = m.backslash | if wanted.empty { m.quote } else { 0 };
            for &c in &wanted.bytes[..usize::from(wanted.len)] {
                follow |= eq_mask(block, c);
            }
            let last = starts >> 63 == 1 && bytes.get(i + 64).is_some_and(|&b| wanted.has(b));
            starts &= follow >> 1 | u64::from(last) << 63;
        }
        while starts != 0 {
            let k = starts.trailing_zeros();
            starts &= starts - 1;
            // Is it a key? Find its closing quote: in this block from the masks, else by a scan
            // (and the block scan resumes after it).
            let closes = quote & !inside & (u64::MAX << k);
            let end = if closes != 0 {
                i + closes.trailing_zeros() as usize + 1
            } else {
                match super::skip_string(bytes, i + k as usize) {
                    Some(end) => end,
                    None => return Skim::End,
                }
            };
            if bytes.get(super::skip_ws(bytes, end)) == Some(&b':') {
                return Skim::Key(i + k as usize);
            }
            if closes == 0 {
                i = end;
                in_string = 0;
                escape_carry = 0;
                continue 'blocks;
            }
        }
        if structural != 0 {
            let at = i + structural.trailing_zeros() as usize;
            return if m.open >> structural.trailing_zeros() & 1 == 1 { Skim::Open(at) } else { Skim::Close(at) };
        }
        i += 64;
    }
}

/// `x.count_ones()`, cheaper when at most two bits are set: a block of an event rarely holds more
/// than two brackets, and the x86-64 baseline has no population count instruction (the software
/// one is a dozen instructions, and two per block were 7% of reading a CityLots event for a
/// `numeric` rule).
#[inline]
fn count_few(x: u64) -> usize {
    let rest = x & x.wrapping_sub(1);
    if rest & rest.wrapping_sub(1) == 0 {
        usize::from(x != 0) + usize::from(rest != 0)
    } else {
        x.count_ones() as usize
    }
}

/// Bit `k` is set when byte `k` of the block is `c`.
#[inline]
fn eq_mask(block: &[u8; 64], c: u8) -> u64 {
    use wide::u8x16;
    let mut mask = 0u64;
    for (j, chunk) in block.chunks_exact(16).enumerate() {
        let v = u8x16::new(chunk.try_into().expect("16 bytes"));
        mask |= u64::from(v.simd_eq(u8x16::splat(c)).to_bitmask()) << (16 * j);
    }
    mask
}

/// The bytes of a block escaped by a backslash (the byte after an odd run of backslashes), given
/// its backslashes and whether the first byte is escaped by a run that ended the previous block
/// (`carry`, updated for the next block). The carry-propagating addition of simdjson's stage 1.
#[inline]
fn escaped(backslash: u64, carry: &mut u64) -> u64 {
    const EVEN: u64 = 0x5555_5555_5555_5555;
    let backslash = backslash & !*carry;
    let follows = backslash << 1 | *carry;
    let odd_starts = backslash & !EVEN & !follows;
    let (even_runs, overflow) = odd_starts.overflowing_add(backslash);
    *carry = u64::from(overflow);
    (EVEN ^ (even_runs << 1)) & follows
}

/// Bit `k` of each mask is set when byte `k` of a 64-byte block is that character.
struct Masks {
    quote: u64,
    backslash: u64,
    /// `[` or `{`.
    open: u64,
    /// `]` or `}`.
    close: u64,
}

impl Masks {
    #[inline]
    fn of(block: &[u8; 64]) -> Masks {
        use wide::u8x16;
        let mut m = Masks { quote: 0, backslash: 0, open: 0, close: 0 };
        for (j, chunk) in block.chunks_exact(16).enumerate() {
            let v = u8x16::new(chunk.try_into().expect("16 bytes"));
            // `[` and `{` differ only in bit 5, as do `]` and `}`; no other byte ORs to either.
            let folded = v | u8x16::splat(0x20);
            let bits = |m: u8x16| u64::from(m.to_bitmask()) << (16 * j);
            m.quote |= bits(v.simd_eq(u8x16::splat(b'"')));
            m.backslash |= bits(v.simd_eq(u8x16::splat(b'\\')));
            m.open |= bits(folded.simd_eq(u8x16::splat(b'{')));
            m.close |= bits(folded.simd_eq(u8x16::splat(b'}')));
        }
        m
    }
}

/// Bit `k` of the result is the XOR of bits `0..=k` of `x`: with `x` the quotes of a block, the
/// bytes from an opening quote up to (not including) its closing quote.
#[inline]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// Where [`skip_scalar`] left off.
enum Scan {
    /// The value ended just before this offset.
    Closed(usize),
    /// Reached `limit` outside any string: resume here with this depth.
    Paused(usize, usize),
}

/// Byte-by-byte [`skip_brackets`] from `i` (inside a string when `in_string`), until the value
/// closes or, outside a string, at or past `limit`. A tight loop over a byte-class table: most
/// bytes need one load and one compare.
fn skip_scalar(
    bytes: &[u8],
    mut i: usize,
    limit: usize,
    mut depth: usize,
    mut in_string: bool,
) -> Result<Scan, Unclosed> {
    let n = bytes.len();
    loop {
        if in_string {
            loop {
                while i < n && bytes[i] != b'"' && bytes[i] != b'\\' {
                    i += 1;
                }
                if i >= n {
                    return Err(Unclosed::String);
                }
                if bytes[i] == b'\\' {
                    i += 2;
                    continue;
                }
                i += 1;
                break;
            }
            in_string = false;
        }
        if i >= limit {
            return Ok(Scan::Paused(i, depth));
        }
        while i < n && CLASS[bytes[i] as usize] == PLAIN {
            i += 1;
        }
        if i >= n {
            return Err(Unclosed::Container);
        }
        match CLASS[bytes[i] as usize] {
            QUOTE => in_string = true,
            OPEN => depth += 1,
            _ => {
                depth -= 1;
                if depth == 0 {
                    return Ok(Scan::Closed(i + 1));
                }
            }
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The byte-by-byte skipper alone, as the reference for the block skipper.
    fn scalar(bytes: &[u8], pos: usize, depth: usize) -> Result<usize, Unclosed> {
        match skip_scalar(bytes, pos, usize::MAX, depth, false)? {
            Scan::Closed(end) => Ok(end),
            Scan::Paused(..) => unreachable!("no limit"),
        }
    }

    #[test]
    fn block_skipper_handles_strings_and_escapes_across_blocks() {
        let cases = [
            format!("[{}]tail", "1,".repeat(100) + "2"),
            format!("[\"{}]\"]x", "a".repeat(70)),
            format!("[\"{}\\\"]\",\"]\"]x", "a".repeat(61)),
            format!("{{\"k\":\"{}\\\\\"}}x", "b".repeat(62)),
            format!("[{}{}]x", "[".repeat(100), "]".repeat(100)),
            format!("[{}", "[1],".repeat(40)),
            format!("[\"{}", "z".repeat(200)),
        ];
        for c in &cases {
            assert_eq!(skip_brackets(c.as_bytes(), 0, 0), scalar(c.as_bytes(), 0, 0), "{c}");
        }
        assert_eq!(skip_brackets(cases[0].as_bytes(), 0, 0), Ok(cases[0].len() - 4));
        assert_eq!(skip_brackets(cases[5].as_bytes(), 0, 0), Err(Unclosed::Container));
        assert_eq!(skip_brackets(cases[6].as_bytes(), 0, 0), Err(Unclosed::String));
    }

    /// [`skim`] byte by byte, as its reference.
    fn skim_scalar(bytes: &[u8], pos: usize, wanted: impl Fn(u8) -> bool) -> Skim {
        let mut i = pos;
        while i < bytes.len() {
            match bytes[i] {
                b'"' => {
                    let start = i;
                    i += 1;
                    loop {
                        match bytes.get(i) {
                            None => return Skim::End,
                            Some(b'"') => break,
                            Some(b'\\') => i += 2,
                            Some(_) => i += 1,
                        }
                    }
                    let mut j = i + 1;
                    while bytes.get(j).is_some_and(|b| b" \t\n\r".contains(b)) {
                        j += 1;
                    }
                    if bytes.get(j) == Some(&b':') && wanted(bytes[start + 1]) {
                        return Skim::Key(start);
                    }
                }
                b'{' | b'[' => return Skim::Open(i),
                b'}' | b']' => return Skim::Close(i),
                // Outside strings (invalid JSON) a backslash still escapes a quote or a backslash,
                // as in the block scan, which finds escapes before it knows where strings are.
                b'\\' if matches!(bytes.get(i + 1), Some(b'"' | b'\\')) => i += 1,
                _ => {}
            }
            i += 1;
        }
        Skim::End
    }

    #[test]
    fn skim_stops_at_wanted_strings_and_brackets() {
        let text = r#"{"MAPBLKLOT":"0001001","BLKLOT":"0001001","BLOCK_NUM":"0001","LOT_NUM":"001","FROM_ST":"2761","TO_ST":"2763","STREET":"FOLSOM"}"#;
        let at = text.find("\"STREET").unwrap();
        let s = Firsts::new(*b"S", false).unwrap();
        assert_eq!(skim(text.as_bytes(), 1, &s), Skim::Key(at));
        assert_eq!(skim(text.as_bytes(), 1, &Firsts::new(*b"0", false).unwrap()), Skim::Close(text.len() - 1));
        assert_eq!(skim(text.as_bytes(), 1, &Firsts::new(*b"Z", false).unwrap()), Skim::Close(text.len() - 1));
        assert_eq!(skim_within(text.as_bytes(), 1, 10, &s), Skim::End);
        assert_eq!(Firsts::new(*b"abcd", false), None);
        let text = format!(r#""{}\\\"S[" , "a\\\\", "S"#, "x".repeat(70));
        assert_eq!(skim(text.as_bytes(), 0, &s), skim_scalar(text.as_bytes(), 0, |b| s.has(b)));
        assert_eq!(skim(b"  [", 0, &s), Skim::Open(2));
        assert_eq!(skim(b"\"abc", 0, &s), Skim::End);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// Any text over the bytes that matter (and a multi-byte character), from any start depth.
        #[test]
        fn block_skipper_equals_byte_skipper(
            text in proptest::collection::vec(
                prop::sample::select(vec!["\"", "\\", "[", "]", "{", "}", "a", " ", ",", "é", "\\\"", "aaaaaaaaaaaaaaaa"]),
                0..300,
            ),
            depth in 0usize..4,
        ) {
            let text: String = text.concat();
            // Callers start at an opening bracket (depth 0) or inside a container (depth > 0).
            let start = if depth == 0 { text.find(['[', '{']) } else { Some(0) };
            prop_assume!(start.is_some());
            let start = start.unwrap_or_default();
            prop_assert_eq!(skip_brackets(text.as_bytes(), start, depth), scalar(text.as_bytes(), start, depth));
        }

        /// Any text over the bytes that matter, from any start outside a string.
        #[test]
        fn skim_equals_byte_skim(
            text in proptest::collection::vec(
                prop::sample::select(vec!["\"", "\\", "[", "]", "{", "}", "a", "S", " ", ",", ":", "\":", "é", "\\\"", "\\\\", "aaaaaaaaaaaaaaaa", "\"S"]),
                0..300,
            ),
        ) {
            let text: String = text.concat();
            for (bytes, empty) in [(&b"S"[..], true), (&b"Sa"[..], false), (&b""[..], false)] {
                let wanted = Firsts::new(bytes.iter().copied(), empty).unwrap();
                prop_assert_eq!(skim(text.as_bytes(), 0, &wanted), skim_scalar(text.as_bytes(), 0, |b| wanted.has(b)));
            }
        }
    }
}
