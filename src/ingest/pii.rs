//! Norwegian national identity numbers (fødselsnummer, D-nummer): find them, never echo them.

use super::RawTable;

/// True when `digits` (exactly 11 ASCII digits) passes both mod-11 control digits.
pub fn is_identity_number(digits: &[u8]) -> bool {
    if digits.len() != 11 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let d: Vec<u32> = digits.iter().map(|b| u32::from(b - b'0')).collect();
    let w1 = [3, 7, 6, 1, 8, 9, 4, 5, 2];
    let w2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    let k = |w: &[u32], n: usize| {
        let s: u32 = w.iter().zip(&d[..n]).map(|(a, b)| a * b).sum();
        match 11 - s % 11 {
            11 => Some(0),
            10 => None,
            k => Some(k),
        }
    };
    k(&w1, 9) == Some(d[9]) && k(&w2, 10) == Some(d[10])
}

/// True when `text` holds a run of exactly 11 digits that is a valid identity number.
pub fn contains_identity_number(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i - start == 11 && is_identity_number(&b[start..i]) {
                return true;
            }
        } else {
            i += 1;
        }
    }
    false
}

/// The first (line, column header) holding an identity number, in the header or any cell.
pub fn find_identity_number(table: &RawTable) -> Option<(u64, String)> {
    for h in &table.headers {
        if contains_identity_number(h) {
            return Some((table.header_line, String::from("(header)")));
        }
    }
    for row in &table.rows {
        for (i, f) in row.fields.iter().enumerate() {
            if contains_identity_number(f) {
                let col = table.headers.get(i).cloned().unwrap_or_else(|| format!("#{}", i + 1));
                return Some((row.line, col));
            }
        }
    }
    None
}
