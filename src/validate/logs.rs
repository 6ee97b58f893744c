//! Activity logs (data-contract §4): one row per logged activity, checked against the pilot.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use crate::diag::{Diagnostic, Reason};
use crate::ingest::RawTable;
use crate::ingest::headers::normalize;
use crate::ingest::values::{Bound, is_missing, parse_bounded};
use crate::model::{Fase, LogRow, Pilot, Text};

use super::columns;
use super::columns::{Columns, map_columns, opt, req};
use super::names::{NameCache, Places};
use super::reference::Resolvers;
use super::rows::{Parsers, Problem, RowSink, shape_problem};

const DATO: usize = 0;
const FORETAK: usize = 1;
const ENHET: usize = 2;
const FASE: usize = 3;
const YRKE: usize = 4;
const OPPGAVE: usize = 5;
const MINUTTER: usize = 6;
const PASIENT: usize = 7;
const UTFORT_AV: usize = 8;
const ID: usize = 9;

/// Validate one log file of `pilot`. `ids` holds the `id`s seen in the pilot so far.
pub fn validate(
    display: &str,
    table: &RawTable,
    pilot: &Pilot,
    resolvers: &Resolvers,
    ids: &mut HashSet<String>,
    sink: &mut RowSink,
) -> Result<(Vec<LogRow>, Vec<Diagnostic>), Vec<Diagnostic>> {
    let specs = [
        req("dato", &["date"]),
        columns::FORETAK,
        columns::ENHET,
        opt("fase", &["periode"]),
        columns::YRKE,
        req("oppgave", &["aktivitet"]),
        req("minutter", &["min", "tid_min"]),
        opt("pasient", &["pasient_ref"]),
        opt("utført_av", &["ansatt_ref"]),
        opt("id", &[]),
    ];
    let cols = map_columns(display, table, &specs)?;
    let cells = Cells { table, cols: &cols };
    let mut warnings: Vec<Diagnostic> = cols.unused_warning(display, table).into_iter().collect();
    let mut memos = Memos::default();
    let mut out = Vec::with_capacity(table.rows.len());
    let mut outside_units: Vec<String> = Vec::new();
    for row in &table.rows {
        let f = &row.fields;
        let mut problems: Vec<Problem> = shape_problem(table, row).into_iter().collect();
        let values = memos.values(cells, f, pilot, resolvers, &mut problems);
        memos.check_phase(
            cells.h(FASE),
            cells.get(FASE, f),
            values.fase,
            &mut problems,
        );
        check_id(cells.h(ID), cells.get(ID, f), pilot, ids, &mut problems);
        if sink.reject(row, problems) {
            continue;
        }
        let log = values.into_row(
            pilot,
            cells.opt_text(PASIENT, f),
            cells.opt_text(UTFORT_AV, f),
        );
        note_outside_unit(pilot, &log.enhet_id, &mut outside_units);
        out.push(log);
    }
    if !outside_units.is_empty() {
        warnings.push(Diagnostic::warning(
            display,
            format!(
                "rows from units outside the pilot's `enheter` were kept: {}",
                outside_units.join(", ")
            ),
        ));
    }
    Ok((out, warnings))
}

/// Where a file's cells are: its table and its column map.
#[derive(Clone, Copy)]
struct Cells<'a> {
    table: &'a RawTable,
    cols: &'a Columns,
}

impl<'a> Cells<'a> {
    /// The header of spec `i` as it stands in the file.
    fn h(self, i: usize) -> &'a str {
        self.cols.header(i, self.table)
    }

    /// The cell of spec `i` in `fields`, or "" when the column is absent.
    fn get(self, i: usize, fields: &[Text]) -> &str {
        self.cols.get(i, fields)
    }

    /// The trimmed cell of optional spec `i`; `None` when missing.
    fn opt_text(self, i: usize, fields: &[Text]) -> Option<Text> {
        Some(self.get(i, fields).trim())
            .filter(|s| !is_missing(s))
            .map(Text::from)
    }
}

/// One file's memos: exports repeat the same names, dates and phases many times.
#[derive(Default)]
struct Memos {
    places: Places,
    yrke: NameCache,
    oppgave: NameCache,
    parsers: Parsers,
    /// Given `fase` cells, normalized.
    fase: HashMap<String, String>,
}

/// A row's required values, each `None` when its cell has a problem.
struct Values {
    dato: Option<NaiveDate>,
    /// The phase the date falls in.
    fase: Option<Fase>,
    foretak: Option<Text>,
    enhet: Option<Text>,
    yrke: Option<Text>,
    oppgave: Option<Text>,
    minutter: Option<f64>,
}

impl Memos {
    /// Parse and resolve the required values of row `f`; problems go to `problems`, in
    /// column order, the date's phase last.
    fn values(
        &mut self,
        c: Cells,
        f: &[Text],
        pilot: &Pilot,
        resolvers: &Resolvers,
        problems: &mut Vec<Problem>,
    ) -> Values {
        let dato = self
            .parsers
            .required_date(c.h(DATO), c.get(DATO, f), problems);
        let (foretak, enhet) = self.places.resolve(
            resolvers,
            (c.h(FORETAK), c.get(FORETAK, f)),
            (c.h(ENHET), c.get(ENHET, f)),
            problems,
        );
        let yrke = self
            .yrke
            .resolve(&resolvers.yrke, c.h(YRKE), c.get(YRKE, f))
            .map_err(|p| problems.push(p))
            .ok();
        let oppgave = self
            .oppgave
            .resolve(&resolvers.oppgave, c.h(OPPGAVE), c.get(OPPGAVE, f))
            .map_err(|p| problems.push(p))
            .ok();
        let minutter = minutes(c.h(MINUTTER), c.get(MINUTTER, f), problems);
        let fase = match dato {
            Some(d) => date_phase(pilot, c.h(DATO), d, problems),
            None => None,
        };
        Values {
            dato,
            fase,
            foretak,
            enhet,
            yrke,
            oppgave,
            minutter,
        }
    }

    /// Check a given phase cell `given` (in `column`) against the date's phase `fase`.
    fn check_phase(
        &mut self,
        column: &str,
        given: &str,
        fase: Option<Fase>,
        problems: &mut Vec<Problem>,
    ) {
        if is_missing(given) {
            return;
        }
        let g = match self
            .fase
            .entry(given.to_string())
            .or_insert_with(|| normalize(given))
            .as_str()
        {
            "før" | "for" => Some(Fase::For),
            "pilot" => Some(Fase::Pilot),
            _ => {
                problems.push(
                    Problem::new(
                        column,
                        Reason::UnknownPhase,
                        format!("unknown phase `{given}`"),
                    )
                    .with_hint(Some("expected `før` or `pilot`".into())),
                );
                None
            }
        };
        if let (Some(g), Some(d)) = (g, fase)
            && g != d
        {
            problems.push(Problem::new(
                column,
                Reason::PhaseDisagrees,
                format!(
                    "phase `{}` disagrees with the date, which falls in `{}`",
                    g.as_str(),
                    d.as_str()
                ),
            ));
        }
    }
}

impl Values {
    /// The log row of values that had no problem.
    fn into_row(self, pilot: &Pilot, pasient: Option<Text>, utfort_av: Option<Text>) -> LogRow {
        let (
            Some(dato),
            Some(fase),
            Some(foretak_id),
            Some(enhet_id),
            Some(yrke_id),
            Some(oppgave_id),
            Some(minutter),
        ) = (
            self.dato,
            self.fase,
            self.foretak,
            self.enhet,
            self.yrke,
            self.oppgave,
            self.minutter,
        )
        else {
            unreachable!("a row without problems has every required value");
        };
        LogRow {
            pilot_id: Text::from(pilot.id.as_str()),
            dato,
            fase,
            foretak_id,
            enhet_id,
            yrke_id,
            oppgave_id,
            minutter,
            pasient,
            utfort_av,
        }
    }
}

/// Parse the required minutes `raw` (in `column`).
fn minutes(column: &str, raw: &str, problems: &mut Vec<Problem>) -> Option<f64> {
    match parse_bounded(raw, Bound::Minutes) {
        Ok(Some(m)) => Some(m),
        Ok(None) => {
            problems.push(Problem::new(
                column,
                Reason::MissingMinutes,
                "missing minutes",
            ));
            None
        }
        Err(e) => {
            problems.push(Problem::invalid(column, e));
            None
        }
    }
}

/// The phase date `d` (in `column`) falls in; a problem when it is outside every period.
fn date_phase(
    pilot: &Pilot,
    column: &str,
    d: NaiveDate,
    problems: &mut Vec<Problem>,
) -> Option<Fase> {
    let fase = pilot.fase_of(d);
    if fase.is_none() {
        let periods = pilot
            .perioder
            .iter()
            .map(|p| {
                format!(
                    "{} {}–{}",
                    p.fase.as_str(),
                    p.fra.format("%d.%m.%Y"),
                    p.til.format("%d.%m.%Y")
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        problems.push(
            Problem::new(
                column,
                Reason::DateOutsidePeriods,
                format!(
                    "date {} is outside the pilot's periods",
                    d.format("%d.%m.%Y")
                ),
            )
            .with_hint(Some(format!("`{}` runs {periods}", pilot.id))),
        );
    }
    fase
}

/// Record the row `id` (in `column`) in `ids`; a problem when the pilot has it already.
fn check_id(
    column: &str,
    id: &str,
    pilot: &Pilot,
    ids: &mut HashSet<String>,
    problems: &mut Vec<Problem>,
) {
    let id = id.trim();
    if !id.is_empty() && !ids.insert(id.to_string()) {
        problems.push(Problem::new(
            column,
            Reason::RepeatedId,
            format!("repeated id `{id}` in pilot `{}`", pilot.id),
        ));
    }
}

/// Note unit `enhet_id` in `outside` (once) when the pilot lists its units and not this one.
fn note_outside_unit(pilot: &Pilot, enhet_id: &str, outside: &mut Vec<String>) {
    if !pilot.enheter.is_empty()
        && !pilot.enheter.iter().any(|e| e == enhet_id)
        && !outside.iter().any(|e| e == enhet_id)
    {
        outside.push(enhet_id.to_string());
    }
}
