//! Norwegian national identity numbers (fødselsnummer, D-nummer): find them, never echo them.
//!
//! Data-contract §7: a run of exactly 11 ASCII digits, not part of a longer digit run, whose
//! two mod-11 control digits are both valid. A D-nummer (first digit + 4) uses the same
//! control digits, so the same check finds both. Dates are not checked, on purpose: the
//! contract errs on the side of refusing a file.

use super::{RawRow, RawTable};

const W1: [u32; 9] = [3, 7, 6, 1, 8, 9, 4, 5, 2];
const W2: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

/// The mod-11 control digit for `digits` with `weights`, or `None` when it would be 10.
fn control(digits: &[u8], weights: &[u32]) -> Option<u8> {
    let sum: u32 = weights
        .iter()
        .zip(digits)
        .map(|(w, d)| w * u32::from(d - b'0'))
        .sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        k => Some(k as u8),
    }
}

/// True when `digits` is exactly 11 ASCII digits passing both mod-11 control digits.
pub fn is_identity_number(digits: &[u8]) -> bool {
    if digits.len() != 11 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    control(&digits[..9], &W1) == Some(digits[9] - b'0')
        && control(&digits[..10], &W2) == Some(digits[10] - b'0')
}

/// True when `text` holds a run of exactly 11 ASCII digits (not part of a longer run) that
/// is a valid identity number.
pub fn contains_identity_number(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() < 11 {
        return false;
    }
    // Any 11 consecutive bytes hold one of the positions 0, 11, 22, …: a text with no digit
    // at those has no run of 11 (most long cells are names, now read a byte in eleven).
    if !b.iter().step_by(11).any(u8::is_ascii_digit) {
        return false;
    }
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

/// The first place holding an identity number, as (line, column label): a header is checked
/// before the rows. The label is the column's header, or `#n` (1-based position) when the
/// header itself holds the number or the cell lies beyond the header. Never the value.
pub fn find_identity_number(table: &RawTable) -> Option<(u64, String)> {
    header_identity_number(table).or_else(|| {
        table
            .rows
            .iter()
            .find_map(|row| row_identity_number(table, row))
    })
}

/// [`find_identity_number`] in the header of `table` only.
pub fn header_identity_number(table: &RawTable) -> Option<(u64, String)> {
    table
        .headers
        .iter()
        .position(|h| contains_identity_number(h))
        .map(|i| (table.header_line, format!("#{}", i + 1)))
}

/// [`find_identity_number`] in one `row` of `table` (whose header names the columns).
pub fn row_identity_number(table: &RawTable, row: &RawRow) -> Option<(u64, String)> {
    let i = row
        .fields
        .iter()
        .position(|f| contains_identity_number(f))?;
    let col = match table.headers.get(i) {
        Some(h) if !contains_identity_number(h) && !h.is_empty() => h.clone(),
        _ => format!("#{}", i + 1),
    };
    Some((row.line, col))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid identity number from nine digits, or `None` when no control digit exists.
    fn complete(nine: &str) -> Option<String> {
        let mut d = nine.as_bytes().to_vec();
        d.push(b'0' + control(&d, &W1)?);
        d.push(b'0' + control(&d, &W2)?);
        Some(String::from_utf8(d).unwrap())
    }

    fn some_valid(prefix: &str) -> String {
        (0..1000)
            .find_map(|n| complete(&format!("{prefix}{n:03}")))
            .unwrap()
    }

    #[test]
    fn known_valid_numbers_pass() {
        // Published test numbers.
        assert!(is_identity_number(b"01010750160"));
        let fnr = some_valid("150385");
        let dnr = some_valid("550385");
        assert!(is_identity_number(fnr.as_bytes()));
        assert!(is_identity_number(dnr.as_bytes()));
    }

    #[test]
    fn wrong_control_digits_and_lengths_fail() {
        let fnr = some_valid("150385");
        let mut bad = fnr.clone().into_bytes();
        bad[10] = b'0' + (bad[10] - b'0' + 1) % 10;
        assert!(!is_identity_number(&bad));
        assert!(!is_identity_number(&fnr.as_bytes()[..10]));
        assert!(!is_identity_number(b"1503851234a"));
    }

    #[test]
    fn a_number_is_found_at_every_offset_in_a_text() {
        let fnr = some_valid("150385");
        for before in 0..40 {
            for after in [0, 1, 5, 10, 11, 12, 30] {
                let pad = |n: usize| "Poliklinikk ".repeat(4)[..n].to_string();
                let text = format!("{}{fnr}{}", pad(before), pad(after));
                assert!(contains_identity_number(&text), "{before} {after}");
                let longer = format!("{}{fnr}7{}", pad(before), pad(after));
                assert!(!contains_identity_number(&longer), "{before} {after}");
            }
        }
    }

    #[test]
    fn runs_must_be_exactly_eleven_digits() {
        let fnr = some_valid("150385");
        assert!(contains_identity_number(&fnr));
        assert!(contains_identity_number(&format!("fnr: {fnr}.")));
        assert!(contains_identity_number(&format!("a{fnr}b")));
        assert!(!contains_identity_number(&format!("1{fnr}")));
        assert!(!contains_identity_number(&format!("{fnr}0")));
        assert!(!contains_identity_number(&fnr[..10]));
        assert!(!contains_identity_number("15.03.85 12345"));
    }

    #[test]
    fn found_in_header_or_cell_by_line_and_column_never_value() {
        let fnr = some_valid("010203");
        let mut t = RawTable {
            headers: vec!["NR".into(), "Kommentar".into()],
            header_line: 1,
            rows: vec![
                RawRow {
                    line: 2,
                    fields: vec!["1".into(), "fint".into()],
                },
                RawRow {
                    line: 5,
                    fields: vec!["2".into(), format!("ring {fnr}").into()],
                },
            ],
        };
        let found = find_identity_number(&t).unwrap();
        assert_eq!(found, (5, "Kommentar".to_string()));
        assert!(!found.1.contains(&fnr));
        t.headers[0] = fnr.clone();
        assert_eq!(find_identity_number(&t), Some((1, "#1".to_string())));
        t.headers[0] = "NR".into();
        t.rows[1].fields = vec!["2".into(), "".into(), fnr.into()];
        assert_eq!(find_identity_number(&t), Some((5, "#3".to_string())));
        t.rows.pop();
        assert_eq!(find_identity_number(&t), None);
    }
}
