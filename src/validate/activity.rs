//! Activity volumes (data-contract §5.1): what each unit does in a year, per task.

use std::collections::HashMap;

use crate::diag::Diagnostic;
use crate::ingest::RawTable;
use crate::ingest::values::parse_number;
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
    let (mut places, mut tasks) = (Places::default(), NameCache::default());
    let mut out = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        let f = &row.fields;
        let mut problems: Vec<Problem> = shape_problem(table, row).into_iter().collect();
        let ar = match parse_number(cols.get(0, f)) {
            Ok(Some(y)) if y.fract() == 0.0 && (1900.0..=2100.0).contains(&y) => Some(y as i32),
            Ok(Some(y)) => {
                problems.push(Problem::new(
                    &h(0),
                    format!("expected a four-digit year, found {y}"),
                ));
                None
            }
            Ok(None) => {
                problems.push(Problem::new(&h(0), "missing value in required column"));
                None
            }
            Err(e) => {
                problems.push(Problem::new(&h(0), e));
                None
            }
        };
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
        let antall = match parse_number(cols.get(4, f)) {
            Ok(Some(v)) if v < 0.0 => {
                problems.push(Problem::new(
                    &h(4),
                    format!("expected a count of zero or more, found {v}"),
                ));
                None
            }
            Ok(Some(v)) if v > MAX_COUNT => {
                problems.push(
                    Problem::new(
                        &h(4),
                        format!(
                            "{v} occurrences in one year is implausible (at most 1 000 000 per row)"
                        ),
                    )
                    .with_hint(Some(
                        "check the unit of the export: counts per year, one row per unit × task"
                            .into(),
                    )),
                );
                None
            }
            Ok(Some(v)) => Some(v),
            Ok(None) => {
                problems.push(Problem::new(&h(4), "missing value in required column"));
                None
            }
            Err(e) => {
                problems.push(Problem::new(&h(4), e));
                None
            }
        };
        if let (Some(ar), Some(enhet), Some(oppgave)) = (ar, &enhet, &oppgave)
            && problems.is_empty()
        {
            let key = (enhet.to_string(), oppgave.to_string(), ar);
            if let Some((file, line)) = seen.get(&key) {
                let at = if file == display {
                    format!("line {line}")
                } else {
                    format!("`{file}` line {line}")
                };
                problems.push(
                    Problem::new(
                        &h(3),
                        format!(
                            "unit `{enhet}` × task `{oppgave}` × year {ar} is already given on {at}"
                        ),
                    )
                    .with_hint(Some(
                        "give each unit × task × year once; add the counts up first".into(),
                    )),
                );
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
