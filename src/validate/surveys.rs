//! Survey exports and their codebooks (data-contract §6): wide exports read through the
//! codebook beside them into [`Respondent`]s, and unit-leader staffing answers into staffing
//! rows. Person columns are dropped before this module sees the table.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Deserialize;

use crate::diag::{Diagnostic, Reason, cell_text};
use crate::ingest::RawTable;
use crate::ingest::headers::normalize;
use crate::ingest::values::{Bound, is_missing, parse_bounded, parse_number};
use crate::model::{ItemScore, Respondent, StaffingRow, StaffingSource, SurveyType};

use super::names::{NameCache, Places};
use super::reference::Resolvers;
use super::rows::{Parsers, Problem, RowSink, shape_problem};

pub use crate::model::CHALLENGE_AREAS as AREAS;

/// A column name, or a fixed value for a form sent to one unit.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ColumnOrFixed {
    /// Read from this column.
    Column(String),
    /// The same value for every row.
    Fixed {
        /// The value.
        fast: String,
    },
}

/// A value label's meaning: a score, or `"mangler"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ScaleValue {
    /// The score.
    Score(f64),
    /// `"mangler"`: no answer.
    Text(String),
}

/// A `[[sporsmal]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// The export column.
    pub kolonne: String,
    /// Challenge area, for Likert items.
    pub omrade: Option<String>,
    /// `positiv` or `utfordring`.
    pub retning: Option<String>,
    /// A measure: `tid_andre_kunne_gjort_pst` or `vurderer_å_slutte`.
    pub maal: Option<String>,
    /// The item's own labels, if not the default scale.
    pub svarskala: Option<BTreeMap<String, ScaleValue>>,
}

/// A `[[bemanning]]` entry of a unit-leader survey.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffingQuestion {
    /// The export column.
    pub kolonne: String,
    /// The profession it reports.
    pub yrke: String,
    /// Which staffing figure: `budsjetterte_årsverk`, `besatte_årsverk`, ….
    pub maal: String,
}

/// `<stem>.kodebok.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Codebook {
    /// Staff or unit-leader survey.
    #[serde(rename = "type")]
    pub survey_type: SurveyType,
    /// XLSX sheet.
    pub ark: Option<String>,
    /// The export ends with a total row.
    #[serde(default)]
    pub totalrad: bool,
    /// Title lines before the header (statistics downloads), skipped; line numbers stay the
    /// file's own.
    #[serde(default)]
    pub topplinjer: u64,
    /// Submission id column; without it a submission's id is its line (or sheet row).
    pub respondent: Option<String>,
    /// Submission timestamp column.
    pub innsendt: Option<String>,
    /// The series the export is a round of (data-contract §6.2); default the file stem
    /// with a trailing year or date removed.
    pub serie: Option<String>,
    /// The round's date (`2026-03-15`) or month (`2026-03`); default the median `innsendt`
    /// date of the export's used rows.
    pub runde: Option<String>,
    /// Health trust column or fixed value.
    pub foretak: ColumnOrFixed,
    /// Unit column or fixed value.
    pub enhet: ColumnOrFixed,
    /// Profession column or fixed value.
    pub yrke: Option<ColumnOrFixed>,
    /// Columns to drop at read, if present.
    #[serde(default)]
    pub personkolonner: Vec<String>,
    /// Default Likert labels.
    #[serde(default)]
    pub svarskala: BTreeMap<String, ScaleValue>,
    /// Questions.
    #[serde(default)]
    pub sporsmal: Vec<Question>,
    /// Unit-leader staffing answers.
    #[serde(default)]
    pub bemanning: Vec<StaffingQuestion>,
}

/// Parse and check a codebook's text.
pub fn parse_codebook(display: &str, text: &str) -> Result<Codebook, Vec<Diagnostic>> {
    let cb: Codebook = toml::from_str(text).map_err(|e| {
        let mut d = Diagnostic::file_error(
            display,
            format!("failed to read codebook ({})", e.message().trim()),
        );
        if let Some(span) = e.span() {
            d = d.at_line(line_of_offset(text, span.start));
        }
        vec![d]
    })?;
    let mut errs = Vec::new();
    for q in &cb.sporsmal {
        let line = line_of(text, &q.kolonne);
        match (&q.omrade, &q.maal) {
            (Some(o), None) => {
                if !AREAS.contains(&normalize(o).as_str()) {
                    errs.push(
                        at(
                            Diagnostic::file_error(
                                display,
                                format!("unknown challenge area `{}`", cell_text(o)),
                            ),
                            line,
                        )
                        .hint(format!("expected one of: {}", AREAS.join(", "))),
                    );
                }
                match q.retning.as_deref().map(normalize).as_deref() {
                    Some("positiv" | "utfordring") => {}
                    Some(r) => errs.push(at(Diagnostic::file_error(display, format!("unknown `retning` `{}`", cell_text(r))), line).hint("expected `positiv` (agreement means less of a challenge) or `utfordring`")),
                    None => errs.push(at(Diagnostic::file_error(display, format!("question `{}` has an `omrade` but no `retning`", cell_text(&q.kolonne))), line).hint("add `retning = \"positiv\"` or `retning = \"utfordring\"`")),
                }
            }
            (None, Some(m)) => {
                if !matches!(
                    m.as_str(),
                    "tid_andre_kunne_gjort_pst" | "vurderer_å_slutte" | "vurderer_a_slutte"
                ) {
                    errs.push(
                        at(
                            Diagnostic::file_error(
                                display,
                                format!("unknown measure `{}`", cell_text(m)),
                            ),
                            line,
                        )
                        .hint("expected `tid_andre_kunne_gjort_pst` or `vurderer_å_slutte`"),
                    );
                }
            }
            _ => errs.push(at(
                Diagnostic::file_error(
                    display,
                    format!(
                        "question `{}` needs exactly one of `omrade` and `maal`",
                        cell_text(&q.kolonne)
                    ),
                ),
                line,
            )),
        }
    }
    for b in &cb.bemanning {
        if !STAFFING_MEASURES.contains(&b.maal.as_str()) {
            errs.push(
                at(
                    Diagnostic::file_error(
                        display,
                        format!("unknown staffing measure `{}`", cell_text(&b.maal)),
                    ),
                    line_of(text, &b.kolonne),
                )
                .hint(format!("expected one of: {}", STAFFING_MEASURES.join(", "))),
            );
        }
    }
    if let Some(r) = &cb.runde
        && parse_round(r).is_none()
    {
        errs.push(
            at(
                Diagnostic::file_error(
                    display,
                    format!("`runde` is `{}`, not a date", cell_text(r)),
                ),
                line_of(text, r),
            )
            .hint("write the round's date as `2026-03-15` or its month as `2026-03`"),
        );
    }
    if !cb.bemanning.is_empty() && cb.survey_type != SurveyType::Enhet {
        errs.push(Diagnostic::file_error(
            display,
            "`[[bemanning]]` answers belong to unit-leader surveys (`type = \"enhet\"`)",
        ));
    }
    if errs.is_empty() { Ok(cb) } else { Err(errs) }
}

const STAFFING_MEASURES: [&str; 8] = [
    "budsjetterte_årsverk",
    "besatte_årsverk",
    "innleide_årsverk",
    "ledige_stillinger",
    "ledige_over_6_mnd",
    "ansatte",
    "sluttet_12_mnd",
    "sykefravær_pst",
];

fn at(d: Diagnostic, line: Option<u64>) -> Diagnostic {
    match line {
        Some(l) => d.at_line(l),
        None => d,
    }
}

fn line_of_offset(text: &str, offset: usize) -> u64 {
    text[..offset.min(text.len())].matches('\n').count() as u64 + 1
}

/// The line of a codebook that names `column` in quotes.
fn line_of(text: &str, column: &str) -> Option<u64> {
    let needle = format!("\"{column}\"");
    text.find(&needle).map(|o| line_of_offset(text, o))
}

/// A round given in a codebook: a date `2026-03-15` or a month `2026-03` (its first day).
pub fn parse_round(s: &str) -> Option<chrono::NaiveDate> {
    let t = s.trim();
    chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .or_else(|| chrono::NaiveDate::parse_from_str(&format!("{t}-01"), "%Y-%m-%d").ok())
        .filter(|_| t.len() == 7 || t.len() == 10)
}

/// The default series of an export (data-contract §6.2): its stem with a trailing year or
/// date removed (`ansattundersokelse-2025` → `ansattundersokelse`, `ans_2026-03` → `ans`).
pub fn default_series(stem: &str) -> String {
    let s = stem.trim();
    // Trailing groups of digits, each after a separator: `-2025`, `_2026-03`, `-2026-03-15`.
    let mut cut = s.len();
    let mut groups: Vec<usize> = Vec::new();
    loop {
        let t = s[..cut].trim_end_matches(|c: char| c.is_ascii_digit());
        let digits = cut - t.len();
        let Some(before) = t.strip_suffix(['-', '_', ' ', '.']) else {
            break;
        };
        if digits == 0 || before.is_empty() || groups.len() == 3 {
            break;
        }
        groups.push(digits);
        cut = before.len();
    }
    // A date is a year (4 digits) or a compact date (6 or 8), then at most month and day.
    while let Some(first) = groups.last() {
        let rest_ok = groups[..groups.len() - 1]
            .iter()
            .all(|d| (1..=2).contains(d));
        if matches!(first, 4 | 6 | 8) && rest_ok {
            break;
        }
        groups.pop();
    }
    if groups.is_empty() {
        return s.to_string();
    }
    // Re-cut: drop exactly the accepted groups (and their separators) from the end.
    let mut end = s.len();
    for _ in 0..groups.len() {
        let t = s[..end].trim_end_matches(|c: char| c.is_ascii_digit());
        end = t.len() - 1;
    }
    s[..end].to_string()
}

#[cfg(test)]
mod message_tests {
    use super::parse_codebook;

    #[test]
    fn codebook_values_in_messages_are_quoted_escaped() {
        let text = "type = \"ansatt\"\nforetak = \"F\"\nenhet = \"E\"\n\
                    [[sporsmal]]\nkolonne = \"q1\"\nomrade = \"x\\nerror: forged\"\n\
                    retning = \"positiv\"\n";
        let errs = parse_codebook("k.kodebok.toml", text).unwrap_err();
        assert_eq!(
            errs[0].message, "unknown challenge area `x\\nerror: forged`",
            "{errs:?}"
        );
    }
}

#[cfg(test)]
mod series_tests {
    use super::default_series;

    #[test]
    fn default_series_drops_a_trailing_year_or_date_only() {
        assert_eq!(
            default_series("ansattundersokelse-2025"),
            "ansattundersokelse"
        );
        assert_eq!(default_series("ans_2026-03"), "ans");
        assert_eq!(default_series("ansatt 2026-03-15"), "ansatt");
        assert_eq!(default_series("ans-20260315"), "ans");
        assert_eq!(default_series("pilot-2"), "pilot-2");
        assert_eq!(default_series("dataset"), "dataset");
        assert_eq!(default_series("2025"), "2025");
    }
}

/// An ISO 8601 timestamp with a UTC offset (`2023-06-01T20:57:15+02:00`, `…Z`), as the
/// current Nettskjema report writes it, without the offset: the local date and time.
fn strip_offset(raw: &str) -> &str {
    let t = raw.trim();
    let Some(tpos) = t.find('T') else {
        return t;
    };
    let time = &t[tpos + 1..];
    if let Some(x) = time.strip_suffix('Z') {
        return &t[..tpos + 1 + x.len()];
    }
    if let Some(i) = time.rfind(['+', '-']) {
        let off = &time[i + 1..];
        let ok = match off.len() {
            5 => off.as_bytes()[2] == b':',
            4 | 2 => true,
            _ => false,
        } && off
            .bytes()
            .filter(|b| *b != b':')
            .all(|b| b.is_ascii_digit());
        if ok && i > 0 {
            return &t[..tpos + 1 + i];
        }
    }
    t
}

/// Values of a ticked box; a checkbox column holds only these and empties (or 0).
const TICKED: [&str; 6] = ["ja", "x", "1", "yes", "✓", "true"];

/// True when a column is a checkbox column (data-contract §6.1): every non-empty value is
/// a tick (`Ja`, `X`, `1`, …) or `0`, and at least one is a tick.
fn is_checkbox(table: &RawTable, i: usize) -> bool {
    let mut ticked = false;
    for row in &table.rows {
        let v = normalize(row.fields.get(i).map_or("", |t| t.as_str()));
        if v.is_empty() || v == "0" {
            continue;
        }
        if !TICKED.contains(&v.as_str()) {
            return false;
        }
        ticked = true;
    }
    ticked
}

/// Find a codebook column in the header: exact after normalisation, or as a checkbox group
/// (`q7` names `q7_1`, `q7_2`, …).
fn find(headers: &[String], column: &str) -> Option<usize> {
    let want = normalize(column);
    headers.iter().position(|h| normalize(h) == want)
}

fn find_group(headers: &[String], column: &str) -> Vec<usize> {
    let want = normalize(column);
    headers
        .iter()
        .enumerate()
        .filter(|(_, h)| {
            let n = normalize(h);
            n.strip_prefix(&want).is_some_and(|r| {
                // `q7_1`, `q7_2`, … or Nettskjema's `<question>.<option>`.
                r.strip_prefix(' ')
                    .is_some_and(|r| r.chars().all(|c| c.is_ascii_digit()) && !r.is_empty())
                    || r.strip_prefix('.').is_some_and(|r| !r.trim().is_empty())
            })
        })
        .map(|(i, _)| i)
        .collect()
}

/// Everything a validated export yields.
#[derive(Debug, Default)]
pub struct SurveyOutput {
    /// Submissions.
    pub respondents: Vec<Respondent>,
    /// Unit-leader staffing answers.
    pub staffing: Vec<StaffingRow>,
    /// Warnings.
    pub warnings: Vec<Diagnostic>,
    /// The submission dates of the used rows that have one.
    pub dates: Vec<chrono::NaiveDate>,
}

/// The series and round of a validated export (data-contract §6.2), or the file error of an
/// export with neither `runde` nor submission dates.
pub fn round_of(
    display: &str,
    survey: &str,
    cb: &Codebook,
    dates: &[chrono::NaiveDate],
) -> Result<crate::model::SurveyRound, Diagnostic> {
    let serie = cb
        .serie
        .as_deref()
        .map_or_else(|| default_series(survey), |s| s.trim().to_string());
    let runde = match cb.runde.as_deref().and_then(parse_round) {
        Some(d) => d,
        None => {
            let mut d = dates.to_vec();
            d.sort_unstable();
            match d.get(d.len().saturating_sub(1) / 2) {
                Some(m) if !d.is_empty() => *m,
                _ => {
                    return Err(Diagnostic::file_error(
                        display,
                        "the export's round has no date: it has no submission dates (`innsendt`) and the codebook gives no `runde`",
                    )
                    .hint("add `runde = \"2026-03\"` (the month or date of the survey) to the codebook"));
                }
            }
        }
    };
    Ok(crate::model::SurveyRound {
        undersokelse: survey.to_string(),
        serie,
        runde,
        survey_type: cb.survey_type,
    })
}

enum Source {
    Col(usize, String),
    Fixed(String),
    Absent,
}

/// One survey export and the codebook beside it, as [`validate`] reads them.
#[derive(Debug, Clone, Copy)]
pub struct Export<'a> {
    /// The export's display path.
    pub display: &'a str,
    /// The codebook's display path.
    pub codebook_display: &'a str,
    /// The codebook's text (to find the line a key stands on).
    pub codebook_text: &'a str,
    /// The export's file stem: the survey key.
    pub survey: &'a str,
    /// The parsed codebook.
    pub codebook: &'a Codebook,
    /// The export's rows.
    pub table: &'a RawTable,
}

/// Where the codebook's keys are in the export.
struct Mapping<'a> {
    foretak: Source,
    enhet: Source,
    yrke: Source,
    respondent: Source,
    innsendt: Source,
    /// Question columns, each with its question, answer scale and whether it is a checkbox.
    items: Vec<Item<'a>>,
    /// Staffing columns, each with its question and resolved profession.
    staffing: Vec<(usize, &'a StaffingQuestion, Option<String>)>,
    /// Columns some key names.
    used: HashSet<usize>,
}

/// One question column.
struct Item<'a> {
    column: usize,
    question: &'a Question,
    scale: BTreeMap<String, Option<f64>>,
    checkbox: bool,
    /// The question's challenge area, normalized.
    omrade: Option<crate::model::Id>,
    /// The question is worded positively (its scores are reversed).
    positive: bool,
}

/// What one submission answered.
#[derive(Default)]
struct Answers {
    scores: Vec<ItemScore>,
    tid: Option<f64>,
    slutte: Option<bool>,
}

/// Validate one export through its codebook.
pub fn validate(
    export: &Export,
    resolvers: &Resolvers,
    sink: &mut RowSink,
) -> Result<SurveyOutput, Vec<Diagnostic>> {
    let map = map_codebook(export, resolvers)?;
    let mut out = SurveyOutput {
        warnings: mapping_warnings(export, &map),
        ..SurveyOutput::default()
    };
    let (cb, table) = (export.codebook, export.table);
    let (mut places, mut yc) = (
        Places::<crate::model::Text>::default(),
        NameCache::<crate::model::Text>::default(),
    );
    let mut parsers = Parsers::default();
    // Respondent id → the line it was first seen on (the id itself is never printed: it can
    // be an e-mail address).
    let mut seen_ids: HashMap<String, u64> = HashMap::new();
    for row in &table.rows {
        let f = &row.fields;
        let cell = |i: usize| f.get(i).map_or("", |t| t.as_str()).trim();
        let mut problems: Vec<Problem> = shape_problem(table, row).into_iter().collect();
        let (fo, en) = places.resolve(
            resolvers,
            place(&map.foretak, f),
            place(&map.enhet, f),
            &mut problems,
        );
        let yr = match &map.yrke {
            Source::Col(i, h) => Some(yc.resolve(&resolvers.yrke, h, cell(*i))),
            Source::Fixed(v) => Some(yc.resolve(&resolvers.yrke, "(fast)", v)),
            Source::Absent => None,
        }
        .and_then(|r| r.map_err(|p| problems.push(p)).ok())
        .map(String::from);
        let rid = match &map.respondent {
            Source::Col(i, h) => {
                let v = cell(*i);
                if v.is_empty() {
                    problems.push(Problem::new(
                        h,
                        Reason::MissingRespondent,
                        "missing respondent id",
                    ));
                } else if let Some(first) = seen_ids.get(v) {
                    problems.push(Problem::new(
                        h,
                        Reason::DuplicateRespondent,
                        format!("duplicate respondent id (the same as on line {first})"),
                    ));
                } else {
                    seen_ids.insert(v.to_string(), row.line);
                }
                v.to_string()
            }
            // Without a respondent column, a submission's id is its line (or sheet row).
            _ => row.line.to_string(),
        };
        let date = match &map.innsendt {
            Source::Col(i, h) => match parsers.date(strip_offset(cell(*i))) {
                Ok(d) => d,
                Err(e) => {
                    problems.push(Problem::invalid(h, e));
                    None
                }
            },
            _ => None,
        };
        let answers = answers(&map.items, &table.headers, &cell, &mut problems);
        let staffing = staffing_answers(&map, &table.headers, &cell, &mut problems);
        if !staffing.is_empty() && date.is_none() {
            problems.push(Problem::new(
                cb.innsendt.as_deref().unwrap_or(""),
                Reason::StaffingWithoutDate,
                "staffing answers need a submission date (`innsendt`)",
            ));
        }
        if sink.reject(row, problems) {
            continue;
        }
        let (Some(foretak_id), Some(enhet_id)) = (fo, en) else {
            unreachable!("a row without problems has a health trust and a unit");
        };
        if let Some(dato) = date {
            out.staffing
                .extend(staffing_rows(dato, &foretak_id, &enhet_id, staffing));
        }
        out.dates.extend(date);
        out.respondents.push(Respondent {
            undersokelse: export.survey.to_string(),
            survey_type: cb.survey_type,
            respondent: rid,
            foretak_id: foretak_id.to_string(),
            enhet_id: enhet_id.to_string(),
            yrke_id: yr,
            scores: answers.scores,
            tid_andre_kunne_gjort: answers.tid,
            vurderer_a_slutte: answers.slutte,
        });
    }
    Ok(out)
}

/// Find every column the codebook names; each one the export lacks is a file error of the
/// codebook, as is a `[[bemanning]]` profession no reference table names.
fn map_codebook<'a>(
    export: &Export<'a>,
    resolvers: &Resolvers,
) -> Result<Mapping<'a>, Vec<Diagnostic>> {
    let (cb, table) = (export.codebook, export.table);
    let headers = &table.headers;
    let mut errs = Vec::new();
    let mut used: HashSet<usize> = HashSet::new();
    let missing = |name: &str, errs: &mut Vec<Diagnostic>| {
        errs.push(
            at(
                Diagnostic::file_error(
                    export.codebook_display,
                    format!(
                        "codebook names column `{}`, but `{}` has no such column",
                        cell_text(name),
                        export.display
                    ),
                ),
                line_of(export.codebook_text, name),
            )
            .hint(closest_header(headers, name)),
        );
    };
    let source = |c: &ColumnOrFixed, errs: &mut Vec<Diagnostic>, used: &mut HashSet<usize>| match c
    {
        ColumnOrFixed::Fixed { fast } => Source::Fixed(fast.clone()),
        ColumnOrFixed::Column(name) => match find(headers, name) {
            Some(i) => {
                used.insert(i);
                Source::Col(i, headers[i].clone())
            }
            None => {
                missing(name, errs);
                Source::Absent
            }
        },
    };
    let column = |c: &Option<String>, errs: &mut Vec<Diagnostic>, used: &mut HashSet<usize>| {
        c.as_ref().map_or(Source::Absent, |c| {
            source(&ColumnOrFixed::Column(c.clone()), errs, used)
        })
    };
    let foretak = source(&cb.foretak, &mut errs, &mut used);
    let enhet = source(&cb.enhet, &mut errs, &mut used);
    let yrke = cb
        .yrke
        .as_ref()
        .map_or(Source::Absent, |y| source(y, &mut errs, &mut used));
    let respondent = column(&cb.respondent, &mut errs, &mut used);
    let innsendt = column(&cb.innsendt, &mut errs, &mut used);
    let mut items: Vec<(usize, &Question)> = Vec::new();
    for q in &cb.sporsmal {
        match find(headers, &q.kolonne) {
            Some(i) => {
                used.insert(i);
                items.push((i, q));
            }
            None => {
                let group = find_group(headers, &q.kolonne);
                if group.is_empty() {
                    missing(&q.kolonne, &mut errs);
                } else {
                    used.extend(group);
                }
            }
        }
    }
    let mut staffing = Vec::new();
    for b in &cb.bemanning {
        match find(headers, &b.kolonne) {
            Some(i) => {
                used.insert(i);
                let y = resolvers.yrke.resolve(&b.yrke).ok().map(str::to_string);
                if y.is_none() {
                    errs.push(at(
                        Diagnostic::file_error(
                            export.codebook_display,
                            format!(
                                "unknown profession `{}` in `[[bemanning]]`",
                                cell_text(&b.yrke)
                            ),
                        ),
                        line_of(export.codebook_text, &b.kolonne),
                    ));
                }
                staffing.push((i, b, y));
            }
            None => missing(&b.kolonne, &mut errs),
        }
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    let items = items
        .into_iter()
        .map(|(column, question)| Item {
            column,
            question,
            scale: scale_of(cb, question),
            checkbox: question
                .maal
                .as_deref()
                .is_some_and(|m| m.starts_with("vurderer"))
                && is_checkbox(table, column),
            omrade: question
                .omrade
                .as_deref()
                .map(|o| crate::model::Id::from(normalize(o).as_str())),
            positive: question.retning.as_deref().map(normalize).as_deref() == Some("positiv"),
        })
        .collect();
    Ok(Mapping {
        foretak,
        enhet,
        yrke,
        respondent,
        innsendt,
        items,
        staffing,
        used,
    })
}

/// A question's answer labels (its own scale, else the codebook's), normalised, each with
/// its score (`None` for a label that means missing).
fn scale_of(cb: &Codebook, q: &Question) -> BTreeMap<String, Option<f64>> {
    q.svarskala
        .as_ref()
        .unwrap_or(&cb.svarskala)
        .iter()
        .map(|(k, v)| {
            (
                normalize(k),
                match v {
                    ScaleValue::Score(s) => Some(*s),
                    ScaleValue::Text(_) => None,
                },
            )
        })
        .collect()
}

/// The warnings of a codebook that maps nothing, and of export columns no key names.
fn mapping_warnings(export: &Export, map: &Mapping) -> Vec<Diagnostic> {
    let (cb, table) = (export.codebook, export.table);
    let mut warnings = Vec::new();
    if !cb
        .sporsmal
        .iter()
        .any(|q| q.omrade.is_some() || q.maal.is_some())
        && cb.bemanning.is_empty()
    {
        warnings.push(
            Diagnostic::warning(
                export.codebook_display,
                "the codebook maps no question to an area or measure, so the export adds nothing to the report",
            )
            .hint("add `[[sporsmal]]` entries with `omrade` and `retning`, or with `maal`"),
        );
    }
    let unused: Vec<&str> = table
        .headers
        .iter()
        .enumerate()
        .filter(|(i, _)| !map.used.contains(i))
        .map(|(_, h)| h.as_str())
        .collect();
    if !unused.is_empty() {
        warnings.push(
            Diagnostic::warning(
                export.display,
                format!(
                    "unused columns (no codebook key names them): {}",
                    super::rows::column_list(&unused)
                ),
            )
            .at_line(table.header_line),
        );
    }
    warnings
}

/// A submission's answers to the questions; an answer that cannot be read is a problem.
fn answers<'c>(
    items: &[Item],
    headers: &[String],
    cell: &dyn Fn(usize) -> &'c str,
    problems: &mut Vec<Problem>,
) -> Answers {
    let mut a = Answers::default();
    for item in items {
        let (raw, q) = (cell(item.column), item.question);
        if item.checkbox {
            // An unticked box in a submitted response is "no", not missing.
            let v = normalize(raw);
            a.slutte = Some(TICKED.contains(&v.as_str()));
            continue;
        }
        if is_missing(raw) {
            continue;
        }
        let h = &headers[item.column];
        if let Some(omrade) = &item.omrade {
            let v = match item.scale.get(&normalize(raw)) {
                Some(v) => *v,
                None => match parse_number(raw) {
                    Ok(Some(x)) if (1.0..=5.0).contains(&x) => Some(x),
                    _ => {
                        let labels = item.scale.keys().cloned().collect::<Vec<_>>().join(", ");
                        problems.push(
                            Problem::new(
                                h,
                                Reason::UnknownAnswer,
                                format!("unknown answer `{}`", cell_text(raw)),
                            )
                            .with_hint(Some(format!("the codebook's labels are: {labels}"))),
                        );
                        continue;
                    }
                },
            };
            if let Some(x) = v {
                a.scores.push(ItemScore {
                    omrade: *omrade,
                    score: if item.positive { 6.0 - x } else { x },
                });
            }
        } else if let Some(m) = &q.maal {
            if m == "tid_andre_kunne_gjort_pst" {
                match parse_bounded(raw, Bound::Percent) {
                    Ok(Some(x)) => a.tid = Some(x / 100.0),
                    Ok(None) => {}
                    Err(e) => problems.push(Problem::invalid(h, e)),
                }
            } else {
                match normalize(raw).as_str() {
                    "ja" | "j" | "yes" | "true" | "1" => a.slutte = Some(true),
                    "nei" | "n" | "no" | "false" | "0" => a.slutte = Some(false),
                    "vet ikke" => {}
                    _ => problems.push(Problem::new(
                        h,
                        Reason::NotYesNo,
                        format!("expected `ja` or `nei`, found `{}`", cell_text(raw)),
                    )),
                }
            }
        }
    }
    a
}

/// A submission's staffing answers: measure by measure, per profession.
fn staffing_answers<'m, 'c>(
    map: &'m Mapping,
    headers: &[String],
    cell: &dyn Fn(usize) -> &'c str,
    problems: &mut Vec<Problem>,
) -> BTreeMap<String, BTreeMap<&'m str, f64>> {
    let mut staffing: BTreeMap<String, BTreeMap<&str, f64>> = BTreeMap::new();
    for (i, b, y) in &map.staffing {
        let bound = if b.maal.ends_with("årsverk") {
            Bound::Fte
        } else if b.maal.ends_with("_pst") {
            Bound::Percent
        } else {
            Bound::Count
        };
        match parse_bounded(cell(*i), bound) {
            Ok(Some(x)) => {
                if let Some(y) = y {
                    staffing
                        .entry(y.clone())
                        .or_default()
                        .insert(b.maal.as_str(), x);
                }
            }
            Ok(None) => {}
            Err(e) => problems.push(Problem::invalid(&headers[*i], e)),
        }
    }
    staffing
}

/// The staffing rows of one submission: one per profession that has both budgeted and
/// filled FTEs.
fn staffing_rows(
    dato: chrono::NaiveDate,
    foretak_id: &str,
    enhet_id: &str,
    staffing: BTreeMap<String, BTreeMap<&str, f64>>,
) -> Vec<StaffingRow> {
    let mut out = Vec::new();
    for (yrke_id, m) in staffing {
        let (Some(b), Some(fi)) = (m.get("budsjetterte_årsverk"), m.get("besatte_årsverk"))
        else {
            continue;
        };
        out.push(StaffingRow {
            dato,
            foretak_id: foretak_id.to_string(),
            enhet_id: enhet_id.to_string(),
            yrke_id,
            budsjetterte_arsverk: *b,
            besatte_arsverk: *fi,
            innleide_arsverk: m.get("innleide_årsverk").copied().unwrap_or(0.0),
            ledige_stillinger: m.get("ledige_stillinger").copied(),
            ledige_over_6_mnd: m.get("ledige_over_6_mnd").copied(),
            ansatte: m.get("ansatte").copied(),
            sluttet_12_mnd: m.get("sluttet_12_mnd").copied(),
            sykefravaer_pst: m.get("sykefravær_pst").copied(),
            kilde: StaffingSource::Survey,
        });
    }
    out
}

/// The column header and cell of a row for a codebook source (`(fast)` for fixed values).
fn place<'a>(src: &'a Source, fields: &'a [crate::model::Text]) -> (&'a str, &'a str) {
    match src {
        Source::Col(i, h) => (h.as_str(), fields.get(*i).map_or("", |s| s.trim())),
        Source::Fixed(v) => ("(fast)", v.as_str()),
        Source::Absent => ("", ""),
    }
}

fn closest_header(headers: &[String], name: &str) -> String {
    let want = normalize(name);
    match headers
        .iter()
        .min_by_key(|h| strsim::levenshtein(&normalize(h), &want))
    {
        Some(h) => format!("the closest column in the export is `{}`", cell_text(h)),
        None => "the export has no columns".to_string(),
    }
}
