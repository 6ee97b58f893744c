//! Activity volumes (data-contract §5.1): what each unit does in a year, per task.

use std::collections::HashMap;

use crate::diag::{Diagnostic, Reason};
use crate::ingest::RawTable;
use crate::ingest::values::{parse_number, shown};
use crate::model::ActivityRow;

use super::columns;
use super::columns::{map_columns, req};
use super::names::{NameCache, Places};
use super::reference::Resolvers;
use super::rows::{Problem, RowSink, shape_problem};

/// Counts above this per row are implausible (a row error).
pub const MAX_COUNT: f64 = 1_000_000.0;

/// Where each unit × task × year was first given: `(file, line)`, across the files of a run
/// (a second occurrence is a row error on the second row).
pub type SeenVolumes = HashMap<(String, String, i32), (String, u64)>;

/// Validate one activity-volume file.
pub fn validate(
    display: &str,
    table: &RawTable,
    resolvers: &Resolvers,
    seen: &mut SeenVolumes,
    sink: &mut RowSink,
) -> Result<(Vec<ActivityRow>, Vec<Diagnostic>), Vec<Diagnostic>> {
    let specs = [
        req("år", &["aar", "year"]),
        columns::FORETAK,
        columns::ENHET,
        req("oppgave", &["aktivitet"]),
        req("antall", &["volum"]),
    ];
    let cols = map_columns(display, table, &specs)?;
    let h = |i: usize| cols.header(i, table).to_string();
    let warnings: Vec<Diagnostic> = cols.unused_warning(display, table).into_iter().collect();
    let (mut places, mut tasks) = (
        Places::<crate::model::Text>::default(),
        NameCache::<crate::model::Text>::default(),
    );
    let mut out = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        let f = &row.fields;
        let mut problems: Vec<Problem> = shape_problem(table, row).into_iter().collect();
        let ar = year(&h(0), cols.get(0, f), &mut problems);
        let (foretak, enhet) = places.resolve(
            resolvers,
            (&h(1), cols.get(1, f)),
            (&h(2), cols.get(2, f)),
            &mut problems,
        );
        let oppgave = tasks
            .resolve(&resolvers.oppgave, &h(3), cols.get(3, f))
            .map_err(|p| problems.push(p))
            .ok();
        let antall = count(&h(4), cols.get(4, f), &mut problems);
        if let (Some(ar), Some(enhet), Some(oppgave)) = (ar, &enhet, &oppgave)
            && problems.is_empty()
        {
            let key = (enhet.to_string(), oppgave.to_string(), ar);
            if let Some(first) = seen.get(&key) {
                problems.push(repeated(display, &h(3), &key, first));
            }
        }
        if sink.reject(row, problems) {
            continue;
        }
        let (Some(ar), Some(foretak_id), Some(enhet_id), Some(oppgave_id), Some(antall)) =
            (ar, foretak, enhet, oppgave, antall)
        else {
            unreachable!("a row without problems has every required value");
        };
        seen.insert(
            (enhet_id.to_string(), oppgave_id.to_string(), ar),
            (display.to_string(), row.line),
        );
        out.push(ActivityRow {
            ar,
            foretak_id: foretak_id.to_string(),
            enhet_id: enhet_id.to_string(),
            oppgave_id: oppgave_id.to_string(),
            antall,
            fil: display.to_string(),
        });
    }
    Ok((out, warnings))
}

/// The year in `column`; a missing or bad one is a problem.
fn year(column: &str, raw: &str, problems: &mut Vec<Problem>) -> Option<i32> {
    match number(column, raw, problems)? {
        y if y.fract() == 0.0 && (1900.0..=2100.0).contains(&y) => Some(y as i32),
        _ => {
            problems.push(Problem::new(
                column,
                Reason::NotAYear,
                format!("expected a four-digit year, found `{}`", shown(raw)),
            ));
            None
        }
    }
}

/// The count in `column`; a missing, negative or implausible one is a problem.
fn count(column: &str, raw: &str, problems: &mut Vec<Problem>) -> Option<f64> {
    match number(column, raw, problems)? {
        v if v < 0.0 => {
            problems.push(Problem::new(
                column,
                Reason::NegativeCount,
                format!("expected a count of zero or more, found `{}`", shown(raw)),
            ));
            None
        }
        v if v > MAX_COUNT => {
            problems.push(
                Problem::new(
                    column,
                    Reason::ImplausibleCount,
                    format!(
                        "`{}` occurrences in one year is implausible (at most 1 000 000 per row)",
                        shown(raw)
                    ),
                )
                .with_hint(Some(
                    "check the unit of the export: counts per year, one row per unit × task".into(),
                )),
            );
            None
        }
        v => Some(v),
    }
}

/// The problem of a unit × task × year given a second time; `first` is where it was given
/// first.
fn repeated(
    display: &str,
    column: &str,
    (enhet, oppgave, ar): &(String, String, i32),
    (file, line): &(String, u64),
) -> Problem {
    let at = if file == display {
        format!("line {line}")
    } else {
        format!("`{file}` line {line}")
    };
    Problem::new(
        column,
        Reason::RepeatedVolume,
        format!("unit `{enhet}` × task `{oppgave}` × year {ar} is already given on {at}"),
    )
    .with_hint(Some(
        "give each unit × task × year once; add the counts up first".into(),
    ))
}

/// The number in `column`; a missing or unreadable one is a problem.
fn number(column: &str, raw: &str, problems: &mut Vec<Problem>) -> Option<f64> {
    match parse_number(raw) {
        Ok(Some(v)) => Some(v),
        Ok(None) => {
            problems.push(Problem::new(
                column,
                Reason::MissingValue,
                "missing value in required column",
            ));
            None
        }
        Err(e) => {
            problems.push(Problem::invalid(column, e));
            None
        }
    }
}
