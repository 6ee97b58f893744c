//! Value parsers for the Norwegian dialect: numbers, percentages, dates, missing markers.

use chrono::NaiveDate;

/// True for the missing markers: empty, `NA`, `..`, `.`.
pub fn is_missing(s: &str) -> bool {
    matches!(s.trim(), "" | "NA" | ".." | ".")
}

/// Parse a number; `Ok(None)` when missing.
pub fn parse_number(s: &str) -> Result<Option<f64>, String> {
    if is_missing(s) {
        return Ok(None);
    }
    let t: String = s.trim().chars().filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}')).collect();
    let t = t.replace('\u{2212}', "-").replace(',', ".");
    let t = t.strip_suffix('%').unwrap_or(&t);
    t.parse::<f64>().map(Some).map_err(|_| format!("expected a number, found `{}`", s.trim()))
}

/// Parse a date (`dd.mm.yyyy`, `d.m.yyyy`, ISO; optional time); `Ok(None)` when missing.
pub fn parse_date(s: &str) -> Result<Option<NaiveDate>, String> {
    if is_missing(s) {
        return Ok(None);
    }
    let t = s.trim();
    let d = t.split([' ', 'T']).next().unwrap_or(t);
    NaiveDate::parse_from_str(d, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(d, "%d.%m.%Y"))
        .map(Some)
        .map_err(|_| format!("expected a date, found `{t}`"))
}
