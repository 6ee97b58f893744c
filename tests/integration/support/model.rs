//! Shared in-memory fixtures: reference-table rows, dates, hostile names, a render input, and
//! reading values out of an indicator table.

use chrono::NaiveDate;
use tsb_report::indicators::{IndicatorTable, Keys};
use tsb_report::model::{Dataset, Enhet, Foretak, Oppgave, Ownership, Yrke};
use tsb_report::render::{RenderInput, ReportMeta};

/// How close two computed values must be to count as equal.
pub const EPS: f64 = 1e-9;

/// A unit name with every character Typst and Markdown treat as markup.
pub const HOSTILE_UNIT: &str = "Seksjon #2 *avrusning* [Levanger] $y$ @x <b> _v_";
/// A pilot name that would set text red if it were not escaped.
pub const HOSTILE_PILOT: &str = "Tverrfaglig team: #set text(red) og _kursiv_";
/// The no-break space the documents put between a number and its unit.
pub const NBSP: char = '\u{a0}';

/// A date written `YYYY-MM-DD`.
pub fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// `a` equals `b` up to [`EPS`].
pub fn close(a: f64, b: f64) {
    assert!((a - b).abs() < EPS, "{a} != {b}");
}

/// `a` equals `b` up to [`EPS`]; `what` names the value in the failure message.
pub fn close_named(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() < EPS, "{what}: {a} != {b}");
}

/// A health trust without aliases.
pub fn foretak(id: &str, navn: &str, eierskap: Ownership) -> Foretak {
    Foretak {
        id: id.into(),
        navn: navn.into(),
        eierskap,
        alias: vec![],
    }
}

/// An outpatient unit (`tjeneste = "poliklinikk"`) without aliases.
pub fn enhet(id: &str, foretak_id: &str, navn: &str) -> Enhet {
    Enhet {
        id: id.into(),
        foretak_id: foretak_id.into(),
        navn: navn.into(),
        tjeneste: "poliklinikk".into(),
        alias: vec![],
    }
}

/// A profession at competence level `niva` without a STYRK-08 code or aliases; `ny` marks a new
/// professional group.
pub fn yrke(id: &str, navn: &str, niva: u8, ny: bool) -> Yrke {
    Yrke {
        id: id.into(),
        navn: navn.into(),
        styrk08: None,
        niva,
        ny_yrkesgruppe: ny,
        alias: vec![],
    }
}

/// A task in `omrade` that needs competence level `krever_niva`, without aliases.
pub fn oppgave(id: &str, navn: &str, omrade: &str, krever_niva: u8) -> Oppgave {
    Oppgave {
        id: id.into(),
        navn: navn.into(),
        omrade: omrade.into(),
        krever_niva,
        alias: vec![],
    }
}

/// The published value of a row, failing when the row is missing, suppressed or empty.
pub fn val(t: &IndicatorTable, id: &str, grp: &str, k: &Keys) -> f64 {
    let r = t
        .get(id, grp, k)
        .unwrap_or_else(|| panic!("no row {id} {grp} {k:?}"));
    assert!(!r.prikket, "{id} {grp} {k:?} is suppressed");
    r.verdi
        .unwrap_or_else(|| panic!("{id} {grp} {k:?} has no value"))
}

/// A render input of `table`, `dataset` and `meta` with no input files, the registry's
/// definitions, no previous run and no rules; change a field with `..render_input(…)`.
pub fn render_input<'a>(
    table: &'a IndicatorTable,
    dataset: &'a Dataset,
    meta: &'a ReportMeta,
) -> RenderInput<'a> {
    RenderInput {
        table,
        dataset,
        inputs: &[],
        meta,
        definitions: &[],
        changes: None,
        anbefalinger: &[],
    }
}
