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
        let closes = close.count_ones() as usize;
        if closes < depth {
            depth = depth + open.count_ones() as usize - closes;
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
    }
}
