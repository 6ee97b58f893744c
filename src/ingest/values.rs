//! Value parsers for the Norwegian dialect (data-contract §2): numbers, dates, missing markers.
//!
//! Every parser returns `Ok(None)` for a missing value, `Ok(Some(_))` for a value, and
//! `Err(`[`Invalid`]`)`: the kind of problem and a lowercase message that quotes the cell
//! (shortened when long), ready to go into a row error.
//!
//! Decisions on ambiguous input:
//! - A single `,` or `.` is always the decimal separator: `1.234` is 1.234, never 1234.
//!   Thousands are grouped with a space, U+00A0 or U+202F only, in groups of three.
//! - `1.234,5`, `1,234.5` (both separators) and `1,2,3` / `1.234.567` (a separator twice)
//!   are errors: the reader cannot know what the writer meant.
//! - `,5` and `5,` are accepted (0.5 and 5); a leading `+` is accepted; an exponent
//!   (`1,5E+03`, as Excel writes very large or small numbers) is accepted.
//! - `%` may end any number (`12,5 %` is 12.5: the value is not divided by 100).
//! - Dates need a four-digit year; `1.3.25` is an error, not a guess.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use crate::diag::Reason;

/// Why a cell is not a value: the kind, the message, and a remedy where there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The kind of problem.
    pub reason: Reason,
    /// Lowercase, quoting the cell: "expected a number, found `abc`".
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl Invalid {
    fn new(reason: Reason, message: String) -> Invalid {
        Invalid {
            reason,
            message,
            hint: None,
        }
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// True for the missing markers: empty, `NA`, `..`, `.` (after trimming).
pub fn is_missing(s: &str) -> bool {
    matches!(trim(s), "" | "NA" | ".." | ".")
}

/// `s.trim()`, returning `s` at once when it starts and ends with a visible ASCII character
/// (which no trim removes): nearly every cell, trimmed tens of millions of times in a
/// national build.
pub fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(a), Some(b)) if a.is_ascii_graphic() && b.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// The cell as quoted in a reason (data-contract §8): see [`crate::diag::cell_text`].
pub fn shown(s: &str) -> String {
    crate::diag::cell_text(s)
}

/// What a numeric column may hold (data-contract §8, "an implausible number"): a value
/// outside its range is a row error that quotes the cell's own text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// Full-time equivalents in one row: 0 to 10 000.
    Fte,
    /// A count in one row (positions, headcount, leavers, activity volumes): 0 to 1 000 000.
    Count,
    /// A percentage: 0 to 100.
    Percent,
    /// Minutes of one logged activity: above 0, at most 720 (a 12-hour day).
    Minutes,
}

impl Bound {
    fn admits(self, v: f64) -> bool {
        match self {
            Bound::Fte => (0.0..=10_000.0).contains(&v),
            Bound::Count => (0.0..=1_000_000.0).contains(&v),
            Bound::Percent => (0.0..=100.0).contains(&v),
            Bound::Minutes => v > 0.0 && v <= 720.0,
        }
    }
    fn reason(self) -> Reason {
        match self {
            Bound::Fte => Reason::FteOutOfRange,
            Bound::Count => Reason::CountOutOfRange,
            Bound::Percent => Reason::PercentOutOfRange,
            Bound::Minutes => Reason::MinutesOutOfRange,
        }
    }
    fn expected(self) -> &'static str {
        match self {
            Bound::Fte => "expected full-time equivalents from 0 to 10 000",
            Bound::Count => "expected a count from 0 to 1 000 000",
            Bound::Percent => "expected a percentage from 0 to 100",
            Bound::Minutes => "minutes must be above 0 and at most 720 (a 12-hour day)",
        }
    }
}

/// [`parse_number`], then refuse a value outside `bound` (an implausible number: `1e308`
/// FTE, `-1e308`, a percent of 250), quoting the cell's text as it was.
pub fn parse_bounded(s: &str, bound: Bound) -> Result<Option<f64>, Invalid> {
    match parse_number(s)? {
        Some(v) if !bound.admits(v) => Err(Invalid::new(
            bound.reason(),
            format!("{}, found `{}`", bound.expected(), shown(s)),
        )),
        v => Ok(v),
    }
}

fn not_a_number(s: &str) -> Invalid {
    Invalid::new(
        Reason::NotANumber,
        format!("expected a number, found `{}`", shown(s)),
    )
}

fn bad_groups(s: &str) -> Invalid {
    Invalid::new(
        Reason::BadDigitGroups,
        format!(
            "expected a number, found `{}` (digit groups must have three digits)",
            shown(s)
        ),
    )
}

/// Parse a number in the Norwegian dialect; `Ok(None)` when missing.
///
/// Accepts a decimal comma or point, digit groups of three separated by space, U+00A0 or
/// U+202F (`1 234,5`), a leading `-`, U+2212 or `+`, an exponent, and a `%` suffix (kept as
/// the number: `12,5 %` is 12.5). See the module docs for what is rejected and why.
pub fn parse_number(s: &str) -> Result<Option<f64>, Invalid> {
    if is_missing(s) {
        return Ok(None);
    }
    let t = trim(s);
    let t = match t.strip_suffix('%') {
        Some(rest) => rest.trim_end(),
        None => t,
    };
    let (neg, body) = if let Some(r) = t.strip_prefix('-') {
        (true, r)
    } else if let Some(r) = t.strip_prefix('\u{2212}') {
        (true, r)
    } else if let Some(r) = t.strip_prefix('+') {
        (false, r)
    } else {
        (false, t)
    };
    // Split off an exponent.
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    // Canonical ASCII form for `str::parse::<f64>`.
    let mut canon = String::with_capacity(body.len() + 1);
    if neg {
        canon.push('-');
    }
    canonical_mantissa(mantissa, s, &mut canon)?;
    if let Some(exp) = exponent {
        let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(not_a_number(s));
        }
        canon.push('e');
        canon.push_str(exp);
    }
    match canon.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(if v == 0.0 { 0.0 } else { v })),
        _ => Err(not_a_number(s)),
    }
}

/// Check a number's digits and separators (`1 234,5`) and push their ASCII form (`1234.5`)
/// onto `canon`; `whole` is the cell, for messages.
fn canonical_mantissa(mantissa: &str, whole: &str, canon: &mut String) -> Result<(), Invalid> {
    let s = whole;
    let mut int_digits = 0usize;
    let mut frac_digits = 0usize;
    let mut separator: Option<char> = None;
    // Length of each digit group in the integer part, for checking the grouping.
    let mut group_len = 0usize;
    let mut groups = 0usize;
    let mut grouped = false;
    let mut last_was_group_sep = false;
    for c in mantissa.chars() {
        match c {
            '0'..='9' => {
                if separator.is_some() {
                    frac_digits += 1;
                } else {
                    int_digits += 1;
                    group_len += 1;
                }
                last_was_group_sep = false;
                canon.push(c);
            }
            ',' | '.' => {
                if let Some(first) = separator {
                    return Err(separator_twice(s, first, c));
                }
                if last_was_group_sep {
                    return Err(not_a_number(s));
                }
                separator = Some(c);
                canon.push('.');
            }
            ' ' | '\u{a0}' | '\u{202f}' => {
                // Grouping: only in the integer part, after 1–3 (first) or exactly 3 digits.
                if separator.is_some() || last_was_group_sep || group_len == 0 {
                    return Err(not_a_number(s));
                }
                if (groups == 0 && group_len > 3) || (groups > 0 && group_len != 3) {
                    return Err(bad_groups(s));
                }
                groups += 1;
                group_len = 0;
                grouped = true;
                last_was_group_sep = true;
            }
            _ => return Err(not_a_number(s)),
        }
    }
    if last_was_group_sep || int_digits + frac_digits == 0 {
        return Err(not_a_number(s));
    }
    // The last integer group must also have exactly three digits.
    if grouped && group_len != 3 {
        return Err(bad_groups(s));
    }
    Ok(())
}

/// A second decimal separator `second` after `first`: the same one twice, or both kinds.
fn separator_twice(s: &str, first: char, second: char) -> Invalid {
    if first == second {
        Invalid::new(
            Reason::RepeatedSeparator,
            format!(
                "expected a number, found `{}` (`{second}` appears more than once)",
                shown(s)
            ),
        )
    } else {
        Invalid {
            reason: Reason::AmbiguousNumber,
            message: format!("ambiguous number `{}` (both `.` and `,`)", shown(s)),
            hint: Some(
                "write the decimal separator only, with spaces between thousands: `1 234,5`".into(),
            ),
        }
    }
}

/// Parse a date (`dd.mm.yyyy`, `d.m.yyyy`, ISO `yyyy-mm-dd`, optionally followed by a time,
/// which is checked and then ignored); `Ok(None)` when missing.
pub fn parse_date(s: &str) -> Result<Option<NaiveDate>, Invalid> {
    Ok(parse_datetime(s)?.map(|dt| dt.date()))
}

/// Parse a date with an optional time: a date as in [`parse_date`], then ` HH:MM`,
/// ` HH:MM:SS` (seconds may carry a fraction, which is dropped) or ISO `THH:MM[:SS]`.
/// Without a time the result is at midnight. `Ok(None)` when missing.
pub fn parse_datetime(s: &str) -> Result<Option<NaiveDateTime>, Invalid> {
    if is_missing(s) {
        return Ok(None);
    }
    let t = trim(s);
    let (date_part, time_part) = match t.find([' ', 'T', '\u{a0}']) {
        Some(i) => {
            let sep_len = t[i..].chars().next().map_or(1, char::len_utf8);
            (&t[..i], Some(t[i + sep_len..].trim_start()))
        }
        None => (t, None),
    };
    let date = parse_date_part(date_part, s)?;
    let time = match time_part {
        None => NaiveTime::MIN,
        Some(tp) => parse_time_part(tp, s)?,
    };
    Ok(Some(date.and_time(time)))
}

fn expected_date(s: &str) -> Invalid {
    Invalid::new(
        Reason::NotADate,
        format!(
            "expected a date like `31.12.2025` or `2025-12-31`, found `{}`",
            shown(s)
        ),
    )
}

/// Digits only, 1..=max of them, as a number.
fn small_number(part: &str, max_len: usize) -> Option<u32> {
    if part.is_empty() || part.len() > max_len || !part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    part.parse().ok()
}

fn parse_date_part(d: &str, whole: &str) -> Result<NaiveDate, Invalid> {
    let (year, month, day, year_text) = if d.contains('.') {
        let mut it = d.split('.');
        let (Some(dd), Some(mm), Some(yy), None) = (it.next(), it.next(), it.next(), it.next())
        else {
            return Err(expected_date(whole));
        };
        let (Some(day), Some(month)) = (small_number(dd, 2), small_number(mm, 2)) else {
            return Err(expected_date(whole));
        };
        (yy, month, day, yy)
    } else if d.contains('-') {
        let mut it = d.split('-');
        let (Some(yy), Some(mm), Some(dd), None) = (it.next(), it.next(), it.next(), it.next())
        else {
            return Err(expected_date(whole));
        };
        let (Some(day), Some(month)) = (small_number(dd, 2), small_number(mm, 2)) else {
            return Err(expected_date(whole));
        };
        (yy, month, day, yy)
    } else {
        return Err(expected_date(whole));
    };
    let Some(y) = small_number(year, 4) else {
        return Err(expected_date(whole));
    };
    if year_text.len() <= 2 {
        return Err(Invalid {
            reason: Reason::TwoDigitYear,
            message: format!("two-digit year in `{}` is ambiguous", shown(whole)),
            hint: Some("write the year with four digits".into()),
        });
    }
    if year_text.len() != 4 {
        return Err(expected_date(whole));
    }
    NaiveDate::from_ymd_opt(y as i32, month, day).ok_or_else(|| {
        Invalid::new(
            Reason::NotACalendarDate,
            format!("`{}` is not a calendar date", shown(whole)),
        )
    })
}

fn parse_time_part(tp: &str, whole: &str) -> Result<NaiveTime, Invalid> {
    let bad = || {
        Invalid::new(
            Reason::NotATime,
            format!(
                "expected a time like `14:30` or `14:30:15` after the date, found `{}`",
                shown(whole)
            ),
        )
    };
    let mut it = tp.split(':');
    let (Some(hh), Some(mm), ss, None) = (it.next(), it.next(), it.next(), it.next()) else {
        return Err(bad());
    };
    let (Some(h), Some(m)) = (small_number(hh, 2), small_number(mm, 2)) else {
        return Err(bad());
    };
    let sec = match ss {
        None => 0,
        Some(ss) => {
            let whole_secs = match ss.split_once('.') {
                Some((w, frac)) if !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit()) => {
                    w
                }
                Some(_) => return Err(bad()),
                None => ss,
            };
            if whole_secs.len() != 2 {
                return Err(bad());
            }
            small_number(whole_secs, 2).ok_or_else(bad)?
        }
    };
    if mm.len() != 2 {
        return Err(bad());
    }
    NaiveTime::from_hms_opt(h, m, sec).ok_or_else(|| {
        Invalid::new(
            Reason::NotAValidTime,
            format!("`{}` is not a valid time", shown(whole)),
        )
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_quick_trim_is_the_trim() {
        for s in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\ta\n",
            "P12345",
            "\u{a0}P1",
            "P1\u{a0}",
            "\u{3000}x\u{2003}",
            "ø",
            " ø ",
            "øx",
            "xø",
            "\u{1}x",
            "x\u{1}",
            "\u{85}x",
            "x\u{feff}",
            "\r\n",
            "a b",
        ] {
            assert_eq!(trim(s), s.trim(), "{s:?}");
        }
    }

    use super::*;

    fn n(s: &str) -> Option<f64> {
        parse_number(s).unwrap()
    }

    #[test]
    fn missing_markers_are_none() {
        for s in ["", "  ", "NA", "..", ".", " NA "] {
            assert!(is_missing(s), "{s:?}");
            assert_eq!(parse_number(s), Ok(None));
            assert_eq!(parse_date(s), Ok(None));
        }
        assert!(!is_missing("na"));
        assert!(!is_missing("0"));
    }

    #[test]
    fn numbers_in_the_norwegian_dialect() {
        assert_eq!(n("12"), Some(12.0));
        assert_eq!(n("2,75"), Some(2.75));
        assert_eq!(n("2.75"), Some(2.75));
        assert_eq!(n("1 234,5"), Some(1234.5));
        assert_eq!(n("1\u{a0}234\u{a0}567"), Some(1_234_567.0));
        assert_eq!(n("1\u{202f}234,25"), Some(1234.25));
        assert_eq!(n("-3,5"), Some(-3.5));
        assert_eq!(n("\u{2212}3,5"), Some(-3.5));
        assert_eq!(n("+4"), Some(4.0));
        assert_eq!(n("12,5 %"), Some(12.5));
        assert_eq!(n("12,5%"), Some(12.5));
        assert_eq!(n(" 7 "), Some(7.0));
        assert_eq!(n(",5"), Some(0.5));
        assert_eq!(n("5,"), Some(5.0));
        assert_eq!(n("1,5E+03"), Some(1500.0));
        assert_eq!(n("1E-02"), Some(0.01));
        assert_eq!(n("1.234"), Some(1.234));
        assert_eq!(n("-0"), Some(0.0));
        assert!(n("-0").unwrap().is_sign_positive());
    }

    #[test]
    fn numbers_that_are_rejected_say_why() {
        assert_eq!(
            parse_number("abc"),
            Err(Invalid::new(
                Reason::NotANumber,
                "expected a number, found `abc`".to_string()
            ))
        );
        let e = parse_number("1.234,5").unwrap_err();
        assert_eq!(e.reason, Reason::AmbiguousNumber);
        assert_eq!(e.message, "ambiguous number `1.234,5` (both `.` and `,`)");
        assert!(
            e.hint
                .unwrap()
                .starts_with("write the decimal separator only")
        );
        assert!(
            parse_number("1.234,5")
                .unwrap_err()
                .message
                .starts_with("ambiguous number")
        );
        assert!(
            parse_number("1,234.5")
                .unwrap_err()
                .message
                .starts_with("ambiguous number")
        );
        assert!(
            parse_number("1,2,3")
                .unwrap_err()
                .message
                .contains("more than once")
        );
        assert!(
            parse_number("1.234.567")
                .unwrap_err()
                .message
                .contains("more than once")
        );
        assert!(
            parse_number("12 34")
                .unwrap_err()
                .message
                .contains("three digits")
        );
        assert!(
            parse_number("1234 567")
                .unwrap_err()
                .message
                .contains("three digits")
        );
        assert!(parse_number("1 234,567 8").is_err());
        for bad in [
            "-", "%", "1e", "1e+", "1 ,5", "1  234", " ,", "12kr", "inf", "NaN", "1e999", "--1",
            "1-", "0x10", "½",
        ] {
            assert!(parse_number(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn long_cells_are_shortened_in_reasons() {
        let long = "x".repeat(100);
        let e = parse_number(&long).unwrap_err().message;
        // data-contract §8: a quoted cell is cut to 60 characters.
        assert!(e.chars().count() < 90, "{e}");
        assert!(e.contains(&format!("`{}…`", "x".repeat(60))), "{e}");
        assert!(e.ends_with("…`"));
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn dates_in_all_accepted_forms() {
        assert_eq!(parse_date("31.12.2025"), Ok(Some(d(2025, 12, 31))));
        assert_eq!(parse_date("1.3.2025"), Ok(Some(d(2025, 3, 1))));
        assert_eq!(parse_date("2025-03-01"), Ok(Some(d(2025, 3, 1))));
        assert_eq!(parse_date("03.02.2025 14:30"), Ok(Some(d(2025, 2, 3))));
        assert_eq!(parse_date("2025-02-03T14:30:05"), Ok(Some(d(2025, 2, 3))));
        assert_eq!(parse_date(" 29.02.2024 "), Ok(Some(d(2024, 2, 29))));
    }

    #[test]
    fn datetimes_keep_the_time() {
        let dt = |s| parse_datetime(s).unwrap().unwrap().to_string();
        assert_eq!(dt("03.02.2025 14:30"), "2025-02-03 14:30:00");
        assert_eq!(dt("03.02.2025 14:30:15"), "2025-02-03 14:30:15");
        assert_eq!(dt("2025-02-03T08:05:09.123"), "2025-02-03 08:05:09");
        assert_eq!(dt("2025-02-03"), "2025-02-03 00:00:00");
        assert_eq!(dt("3.2.2025  7:05"), "2025-02-03 07:05:00");
    }

    #[test]
    fn bad_dates_say_why() {
        assert_eq!(
            parse_date("1.3.25"),
            Err(Invalid {
                reason: Reason::TwoDigitYear,
                message: "two-digit year in `1.3.25` is ambiguous".to_string(),
                hint: Some("write the year with four digits".to_string()),
            })
        );
        assert_eq!(
            parse_date("31.02.2025"),
            Err(Invalid::new(
                Reason::NotACalendarDate,
                "`31.02.2025` is not a calendar date".to_string()
            ))
        );
        assert!(
            parse_date("2025-13-01")
                .unwrap_err()
                .message
                .contains("not a calendar date")
        );
        assert!(
            parse_date("03/02/2025")
                .unwrap_err()
                .message
                .starts_with("expected a date")
        );
        assert!(
            parse_date("i går")
                .unwrap_err()
                .message
                .starts_with("expected a date")
        );
        assert!(parse_date("1.3.20255").is_err());
        assert!(parse_date("1.3.2025.").is_err());
        assert!(
            parse_date("03.02.2025 25:00")
                .unwrap_err()
                .message
                .contains("not a valid time")
        );
        assert!(
            parse_date("03.02.2025 14")
                .unwrap_err()
                .message
                .contains("expected a time")
        );
        assert!(parse_date("03.02.2025 14:3").is_err());
        assert!(parse_date("03.02.2025 14:30:1").is_err());
        assert!(parse_date("2025-02-03T").is_err());
    }
}
