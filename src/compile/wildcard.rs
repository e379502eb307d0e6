//! `wildcard` patterns: `*` matches any run of characters (including none); `\*` is a literal star and
//! `\\` a literal backslash; everything else is literal.
//!
//! Matching is linear in the input: the pieces between stars are found left to right with the
//! standard library's two-way substring search, and the leftmost occurrence of each piece is always
//! the right choice when the only metacharacter is `*`.

/// A parsed wildcard: literal pieces separated by stars. `pieces.len() == 1` means no star at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wildcard {
    pieces: Vec<String>,
}

/// Why a wildcard value is invalid, with the 0-based byte offset in the decoded value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WildcardError {
    /// `**` starting at this offset.
    Consecutive(usize),
    /// A backslash at this offset not followed by `*` or `\`.
    BadEscape(usize),
}

impl WildcardError {
    /// EventBridge's reason. Positions count a leading quote, as event-ruler's do (offset + 1).
    pub(crate) fn reason(self) -> String {
        match self {
            WildcardError::Consecutive(at) => format!("Consecutive wildcard characters at pos {}", at + 1),
            WildcardError::BadEscape(at) => format!("Invalid escape character at pos {}", at + 1),
        }
    }
}

impl Wildcard {
    pub(crate) fn parse(value: &str) -> Result<Wildcard, WildcardError> {
        let mut pieces = vec![String::new()];
        let mut chars = value.char_indices().peekable();
        let mut last_star: Option<usize> = None;
        while let Some((i, c)) = chars.next() {
            match c {
                '*' => {
                    if last_star.is_some_and(|s| s + 1 == i) {
                        return Err(WildcardError::Consecutive(i - 1));
                    }
                    last_star = Some(i);
                    pieces.push(String::new());
                }
                '\\' => match chars.next() {
                    Some((_, e @ ('*' | '\\'))) => pieces.last_mut().expect("non-empty").push(e),
                    _ => return Err(WildcardError::BadEscape(i)),
                },
                c => pieces.last_mut().expect("non-empty").push(c),
            }
        }
        Ok(Wildcard { pieces })
    }

    /// The literal pieces between the stars (unescaped); one piece when there is no star.
    #[cfg(feature = "proptest")]
    pub(crate) fn pieces(&self) -> &[String] {
        &self.pieces
    }

    /// Number of unescaped stars.
    pub fn stars(&self) -> usize {
        self.pieces.len() - 1
    }

    pub(crate) fn is_match(&self, s: &str) -> bool {
        let (first, rest) = self.pieces.split_first().expect("non-empty");
        let Some((last, middle)) = rest.split_last() else {
            return s == first;
        };
        if s.len() < first.len() + last.len() || !s.starts_with(first.as_str()) || !s.ends_with(last.as_str()) {
            return false;
        }
        let mut window = &s[first.len()..s.len() - last.len()];
        for piece in middle {
            match window.find(piece.as_str()) {
                Some(at) => window = &window[at + piece.len()..],
                None => return false,
            }
        }
        true
    }
}

impl std::fmt::Display for Wildcard {
    /// The escaped form: stars between pieces, `*` and `\` in pieces escaped.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, piece) in self.pieces.iter().enumerate() {
            if i > 0 {
                f.write_str("*")?;
            }
            for c in piece.chars() {
                if c == '*' || c == '\\' {
                    f.write_str("\\")?;
                }
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        Wildcard::parse(p).unwrap().is_match(s)
    }

    #[test]
    fn matching() {
        assert!(m("*", "") && m("*", "abc") && m("", "") && !m("", "a"));
        assert!(m("a*b", "ab") && m("a*b", "axxb") && !m("a*b", "axxbc"));
        assert!(m("*a*a*b", "aab") && !m("*a*a*b", "ab") && !m("aa*aa", "aaa"));
        assert!(m("/Users/*/dir/dir/dir/dir/dir/doc.txt", "/Users/ls_user/dir/dir/dir/dir/dir/doc.txt"));
        assert!(m(r"a\*b", "a*b") && !m(r"a\*b", "axb") && m(r"a\\*", r"a\zz"));
        assert!(m("?", "?") && !m("?", "x"));
        let hostile = format!("{}*b", "*a".repeat(50));
        assert!(!m(&hostile, &"a".repeat(100_000)));
    }

    #[test]
    fn errors() {
        assert_eq!(Wildcard::parse("arn:aws:events:us-east-1:**:event-bus/*"), Err(WildcardError::Consecutive(25)));
        assert_eq!(WildcardError::Consecutive(25).reason(), "Consecutive wildcard characters at pos 26");
        assert_eq!(Wildcard::parse(r"a\b"), Err(WildcardError::BadEscape(1)));
        assert_eq!(WildcardError::BadEscape(1).reason(), "Invalid escape character at pos 2");
        assert_eq!(Wildcard::parse("a\\"), Err(WildcardError::BadEscape(1)));
        assert!(Wildcard::parse(r"\**").is_ok());
    }
}
