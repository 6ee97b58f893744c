//! Header and name normalisation (data-contract §2 "headers", §3 name resolution).

use unicode_normalization::UnicodeNormalization;

/// Normalise a header or name for matching: NFC, trimmed, case-folded, with `_`, `-` and runs
/// of whitespace treated alike (`Utført av` = `utført_av`).
pub fn normalize(s: &str) -> String {
    let nfc: String = s.nfc().collect::<String>().to_lowercase();
    let mut out = String::with_capacity(nfc.len());
    let mut pending_space = false;
    for c in nfc.chars() {
        if c.is_whitespace() || c == '_' || c == '-' {
            pending_space = !out.is_empty();
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}
