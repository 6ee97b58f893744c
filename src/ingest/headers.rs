//! Header and name normalisation (data-contract §2 "headers", §3 name resolution).

use unicode_normalization::UnicodeNormalization;

/// Normalise a header or name for matching: NFC, trimmed, case-folded, with `_`, `-` and runs
/// of whitespace treated alike (`Utført av` = `utført_av` = `UTFØRT-AV`). Zero-width
/// characters and stray byte-order marks are dropped.
pub fn normalize(s: &str) -> String {
    // ASCII is its own NFC and lowercases byte by byte: the common case skips both passes.
    if s.is_ascii() {
        return collapse(s.len(), s.chars().map(|c| c.to_ascii_lowercase()));
    }
    unicode(s)
}

/// [`normalize`] for any text.
fn unicode(s: &str) -> String {
    // Decompose-compose around the lowercasing so that `A\u{30a}` and `Å` end up equal.
    let lower: String = s.nfc().collect::<String>().to_lowercase();
    collapse(lower.len(), lower.nfc())
}

/// Drop zero-width characters and collapse runs of whitespace, `_` and `-` into one space,
/// trimmed at both ends.
fn collapse(len: usize, chars: impl Iterator<Item = char>) -> String {
    let mut out = String::with_capacity(len);
    let mut pending_space = false;
    for c in chars {
        match c {
            '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}' => {}
            c if c.is_whitespace() || c == '_' || c == '-' => pending_space = !out.is_empty(),
            c => {
                if pending_space {
                    out.push(' ');
                    pending_space = false;
                }
                out.push(c);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn separators_case_and_spacing_are_alike() {
        assert_eq!(normalize("Utført av"), "utført av");
        assert_eq!(normalize("utført_av"), "utført av");
        assert_eq!(normalize("  UTFØRT - AV  "), "utført av");
        assert_eq!(normalize("Utført\u{a0}\tav"), "utført av");
        assert_eq!(normalize("E-post"), "e post");
        assert_eq!(normalize("__x__"), "x");
    }

    #[test]
    fn composed_and_decomposed_letters_are_alike() {
        assert_eq!(normalize("A\u{30a}rsverk"), normalize("Årsverk"));
        assert_eq!(normalize("\u{feff}NR"), "nr");
        assert_eq!(normalize("N\u{200b}R"), "nr");
    }

    #[test]
    fn ascii_takes_the_same_rules_as_any_text() {
        // Every ASCII character alone, doubled and between letters and spaces.
        for b in 0u8..128 {
            let c = char::from(b);
            for s in [format!("{c}"), format!("A{c}b"), format!(" {c}{c}Z{c} ")] {
                assert_eq!(normalize(&s), super::unicode(&s), "{s:?}");
            }
        }
    }
}
