//! Simple (one-to-one) Unicode case folding, per character.
//!
//! `fold(c)` maps a character to the lower case of its upper case when both mappings are single
//! characters, which identifies `Ä`/`ä`, `Σ`/`σ`/`ς`, `K` (Kelvin)/`K`/`k` and `ſ`/`s`, works outside the
//! Basic Multilingual Plane (`𐐀`/`𐐨`), and leaves characters whose full mapping is several characters
//! alone (`ß` does not become `ss`, so `STRASSE` ≢ `straße`).

/// Folds one character.
pub(crate) fn fold_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    // Dotless ı upper-cases to I, but Unicode's simple folding leaves it alone (only the Turkic
    // mappings relate it to I).
    if c == '\u{131}' {
        return c;
    }
    let upper = single(c.to_uppercase()).unwrap_or(c);
    single(upper.to_lowercase()).unwrap_or(c)
}

fn single(mut it: impl Iterator<Item = char>) -> Option<char> {
    let first = it.next()?;
    it.next().is_none().then_some(first)
}

/// Folds a whole string.
pub(crate) fn fold(s: &str) -> String {
    s.chars().map(fold_char).collect()
}

/// `fold(a) == fold(b)` without allocating.
pub(crate) fn eq_folded(folded: &str, s: &str) -> bool {
    folded.chars().map(Some).eq(s.chars().map(|c| Some(fold_char(c))))
}

/// Does `s` start with the already-folded `prefix`, ignoring case?
pub(crate) fn starts_with_folded(s: &str, prefix: &str) -> bool {
    let mut chars = s.chars();
    prefix.chars().all(|p| chars.next().is_some_and(|c| fold_char(c) == p))
}

/// Does `s` end with the already-folded `suffix`, ignoring case?
pub(crate) fn ends_with_folded(s: &str, suffix: &str) -> bool {
    let mut chars = s.chars().rev();
    suffix.chars().rev().all(|p| chars.next().is_some_and(|c| fold_char(c) == p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding() {
        assert!(eq_folded(&fold("ÄÖÜ"), "äöü"));
        assert!(!eq_folded(&fold("STRASSE"), "straße"));
        assert!(eq_folded(&fold("𐐀"), "𐐨"));
        assert!(eq_folded(&fold("ΣΑΣ"), "σας"));
        assert!(eq_folded(&fold("\u{212A}"), "k"));
        assert!(eq_folded(&fold("ſ"), "S"));
        assert!(!eq_folded(&fold("ı"), "i") && !eq_folded(&fold("I"), "ı") && eq_folded(&fold("ı"), "ı"));
        assert!(!eq_folded(&fold("İ"), "i"));
        assert!(!eq_folded(&fold("ab"), "abc") && !eq_folded(&fold("abc"), "ab"));
        assert!(starts_with_folded("EventBridge", &fold("eventb")));
        assert!(ends_with_folded("IMAGE.PNG", &fold(".png")));
        assert!(!ends_with_folded("PNG", &fold(".png")));
    }
}
