//! Norwegian presentation of numbers and dates, in one place (indicators.md §6).
//!
//! Computation is in f64; rounding happens here only. Grouping and the space before `%` use
//! a no-break space (U+00A0) so a number never breaks across lines; negative numbers use the
//! minus sign (U+2212). A suppressed value prints as [`PRIKKET`].

use chrono::{Datelike, NaiveDate};
use minijinja::value::Value;
use minijinja::{Error, ErrorKind};

use crate::indicators::IndicatorRow;

/// No-break space, used for digit grouping and before `%`.
pub const NBSP: char = '\u{a0}';
/// What a suppressed cell prints.
pub const PRIKKET: &str = "–";
/// What a missing (never computed) value prints.
pub const MANGLER: &str = "..";

const MONTHS: [&str; 12] = [
    "januar",
    "februar",
    "mars",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "desember",
];

/// `x` with `decimals` decimals, a decimal comma and no-break-space grouping: `1 234,5`.
pub fn number(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return MANGLER.to_string();
    }
    let s = format!("{:.*}", decimals, x.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (s.clone(), None),
    };
    let is_zero = s.chars().all(|c| c == '0' || c == '.');
    let mut grouped = String::new();
    let digits: Vec<char> = int.chars().collect();
    for (i, d) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(NBSP);
        }
        grouped.push(*d);
    }
    let mut out = String::new();
    if x < 0.0 && !is_zero {
        out.push('−');
    }
    out.push_str(&grouped);
    if let Some(f) = frac {
        out.push(',');
        out.push_str(&f);
    }
    out
}

/// A fraction as a percentage with one decimal: `0.123` → `12,3 %`.
pub fn percent(fraction: f64) -> String {
    format!("{}{NBSP}%", number(fraction * 100.0, 1))
}

/// A difference of fractions in percentage points, signed: `0.052` → `+5,2 prosentpoeng`.
pub fn percentage_points(diff: f64) -> String {
    let body = number(diff * 100.0, 1);
    if body.starts_with('−') || body.chars().all(|c| c == '0' || c == ',') {
        format!("{body} prosentpoeng")
    } else {
        format!("+{body} prosentpoeng")
    }
}

/// A signed difference of fractions in points, short form for tables: `+5,2`.
pub fn points_short(diff: f64) -> String {
    let body = number(diff * 100.0, 1);
    if body.starts_with('−') || body.chars().all(|c| c == '0' || c == ',') {
        body
    } else {
        format!("+{body}")
    }
}

/// FTE (årsverk) with one decimal.
pub fn fte(x: f64) -> String {
    number(x, 1)
}

/// A count as an integer.
pub fn count(x: f64) -> String {
    number(x, 0)
}

/// A score (1–5) with one decimal.
pub fn score(x: f64) -> String {
    number(x, 1)
}

/// Hours per week with one decimal: `3,4 timer per uke`.
pub fn hours_per_week(x: f64) -> String {
    format!("{} timer per uke", number(x, 1))
}

/// A date in Norwegian long form: `23. november 2026`.
pub fn date(d: NaiveDate) -> String {
    format!("{}. {} {}", d.day(), MONTHS[d.month0() as usize], d.year())
}

/// A `yyyy-mm-dd` date in Norwegian long form; other text is returned unchanged.
pub fn date_str(s: &str) -> String {
    match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Ok(d) => date(d),
        Err(_) => s.to_string(),
    }
}

/// A value in its unit (`andel`, `årsverk`, `timer_per_uke`, `minutter`, `skår`, `antall`).
pub fn in_unit(x: f64, maleenhet: &str) -> String {
    match maleenhet {
        "andel" => percent(x),
        "årsverk" => fte(x),
        "timer_per_uke" => number(x, 1),
        "minutter" | "antall" => count(x),
        "skår" => score(x),
        "forhold" => number(x, 2),
        _ => number(x, 1),
    }
}

/// One indicator row's value in its unit; `–` when suppressed, `..` when missing.
pub fn row_value(row: Option<&IndicatorRow>) -> String {
    match row {
        Some(r) if r.prikket => PRIKKET.to_string(),
        Some(r) => match r.verdi {
            Some(v) => in_unit(v, &r.maleenhet),
            None => MANGLER.to_string(),
        },
        None => MANGLER.to_string(),
    }
}

fn number_arg(name: &str, v: &Value) -> Result<Option<f64>, Error> {
    if v.is_undefined() {
        return Err(Error::new(
            ErrorKind::UndefinedError,
            format!("filter `{name}` got an undefined value"),
        ));
    }
    if v.is_none() {
        return Ok(None);
    }
    if let Some(s) = v.as_str()
        && (s == PRIKKET || s == MANGLER)
    {
        return Ok(None);
    }
    match f64::try_from(v.clone()) {
        Ok(x) => Ok(Some(x)),
        Err(_) => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("filter `{name}` needs a number, got {v}"),
        )),
    }
}

fn filter_with(name: &str, v: &Value, f: impl Fn(f64) -> String) -> Result<String, Error> {
    Ok(number_arg(name, v)?
        .map(f)
        .unwrap_or_else(|| PRIKKET.to_string()))
}

/// Register the presentation filters: `tall(desimaler)`, `prosent`, `prosentpoeng`,
/// `arsverk`, `antall`, `dato`, and `typst_str` (a quoted Typst string literal).
pub fn add_filters(env: &mut minijinja::Environment<'_>) {
    env.add_filter("tall", |v: Value, decimals: Option<usize>| {
        filter_with("tall", &v, |x| number(x, decimals.unwrap_or(1)))
    });
    env.add_filter("prosent", |v: Value| filter_with("prosent", &v, percent));
    env.add_filter("prosentpoeng", |v: Value| {
        filter_with("prosentpoeng", &v, percentage_points)
    });
    env.add_filter("arsverk", |v: Value| filter_with("arsverk", &v, fte));
    env.add_filter("antall", |v: Value| filter_with("antall", &v, count));
    env.add_filter("dato", |v: Value| -> Result<String, Error> {
        if v.is_undefined() {
            return Err(Error::new(
                ErrorKind::UndefinedError,
                "filter `dato` got an undefined value",
            ));
        }
        Ok(v.as_str()
            .map(date_str)
            .unwrap_or_else(|| MANGLER.to_string()))
    });
    env.add_filter("typst_str", |v: Value| -> Result<Value, Error> {
        if v.is_undefined() {
            return Err(Error::new(
                ErrorKind::UndefinedError,
                "filter `typst_str` got an undefined value",
            ));
        }
        let text = if v.is_none() {
            String::new()
        } else {
            v.to_string()
        };
        Ok(Value::from_safe_string(
            crate::render::escape::string_literal(&text),
        ))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers_the_norwegian_way() {
        assert_eq!(number(1234.5, 1), "1\u{a0}234,5");
        assert_eq!(number(1234567.0, 0), "1\u{a0}234\u{a0}567");
        assert_eq!(number(999.96, 1), "1\u{a0}000,0");
        assert_eq!(number(-12.34, 1), "−12,3");
        assert_eq!(number(-0.01, 1), "0,0");
        assert_eq!(number(12.0, 0), "12");
    }

    #[test]
    fn formats_percent_and_points() {
        assert_eq!(percent(0.123), "12,3\u{a0}%");
        assert_eq!(percent(0.4321), "43,2\u{a0}%");
        assert_eq!(percentage_points(0.052), "+5,2 prosentpoeng");
        assert_eq!(percentage_points(-0.052), "−5,2 prosentpoeng");
        assert_eq!(percentage_points(0.0), "0,0 prosentpoeng");
        assert_eq!(points_short(0.1), "+10,0");
    }

    #[test]
    fn formats_dates_in_long_form() {
        assert_eq!(
            date(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()),
            "23. november 2026"
        );
        assert_eq!(date_str("2026-01-05"), "5. januar 2026");
    }

    #[test]
    fn formats_counts_and_fte() {
        assert_eq!(count(41.6), "42");
        assert_eq!(fte(12.26), "12,3");
        assert_eq!(in_unit(0.5, "andel"), "50,0\u{a0}%");
    }
}
