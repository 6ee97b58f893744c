//! Activity logs (data-contract §4): one row per logged activity, checked against the pilot.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use crate::diag::{Diagnostic, Reason};
use crate::ingest::headers::normalize;
use crate::ingest::values::{Bound, is_missing, parse_bounded};
use crate::ingest::{RawRow, RawTable, Records};
use crate::model::{Fase, Id, LogRow, Pilot, Text};

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

/// The columns of a log file.
const SPECS: [columns::ColumnSpec; 10] = [
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

/// What validating a log file gives: its rows and warnings, or the file's errors.
pub type LogResult = Result<(Vec<LogRow>, Vec<Diagnostic>), Vec<Diagnostic>>;

/// One log file of a pilot, validated record by record as it is read (it takes the records
/// as [`Records`]), so that the file is never held as a whole table; then
/// [`LogFile::finish`]. Problems go to the row sink; `ids` holds the `id`s seen in the pilot
/// so far.
pub struct LogFile<'a> {
    display: &'a str,
    pilot: &'a Pilot,
    resolvers: &'a Resolvers,
    ids: &'a mut HashSet<String>,
    sink: &'a mut RowSink,
    /// The header (no rows) and its column map, from the first record; the file's errors
    /// when the header lacks a required column.
    mapped: Option<Result<(RawTable, Columns), Vec<Diagnostic>>>,
    memos: Memos,
    out: Vec<LogRow>,
    /// Per row of `out`, its patient's number when it is looked up at the end (see
    /// [`Refs::resolve_later`]), else 0.
    later: Vec<u64>,
    outside_units: Vec<String>,
    read: u64,
    /// The pilot's id, interned once.
    pilot_id: Id,
}

impl<'a> LogFile<'a> {
    /// A log file of `pilot` named `display`, before its first record.
    pub fn new(
        display: &'a str,
        pilot: &'a Pilot,
        resolvers: &'a Resolvers,
        ids: &'a mut HashSet<String>,
        sink: &'a mut RowSink,
    ) -> Self {
        LogFile {
            display,
            pilot,
            resolvers,
            ids,
            sink,
            mapped: None,
            memos: Memos::default(),
            out: Vec::new(),
            later: Vec::new(),
            outside_units: Vec::new(),
            read: 0,
            pilot_id: Id::from(pilot.id.as_str()),
        }
    }

    /// The records taken so far.
    pub fn read(&self) -> u64 {
        self.read
    }

    /// Map the columns of `table`'s header, once.
    fn map(&mut self, table: &RawTable) {
        if self.mapped.is_none() {
            let header = RawTable {
                headers: table.headers.clone(),
                header_line: table.header_line,
                rows: Vec::new(),
            };
            let cols = map_columns(self.display, &header, &SPECS);
            self.mapped = Some(cols.map(|c| (header, c)));
        }
    }

    /// The rows that passed and the file's warnings, or its errors; `table` is the header
    /// the file was read with.
    pub fn finish(mut self, table: &RawTable) -> LogResult {
        self.map(table);
        let (header, cols) = self.mapped.take().expect("the header is mapped")?;
        let mut warnings: Vec<Diagnostic> = cols
            .unused_warning(self.display, &header)
            .into_iter()
            .collect();
        if !self.outside_units.is_empty() {
            warnings.push(Diagnostic::warning(
                self.display,
                format!(
                    "rows from units outside the pilot's `enheter` were kept: {}",
                    self.outside_units.join(", ")
                ),
            ));
        }
        self.memos.refs.resolve_later(&mut self.out, &self.later);
        self.out.shrink_to_fit();
        Ok((self.out, warnings))
    }
}

impl Records for LogFile<'_> {
    fn record(&mut self, table: &RawTable, row: &RawRow) {
        self.read += 1;
        self.map(table);
        let Some(Ok((header, cols))) = &self.mapped else {
            return;
        };
        let (cells, pilot) = (
            Cells {
                table: header,
                cols,
            },
            self.pilot,
        );
        let f = &row.fields;
        let mut problems: Vec<Problem> = shape_problem(header, row).into_iter().collect();
        let values = self
            .memos
            .values(cells, f, pilot, self.resolvers, &mut problems);
        self.memos.check_phase(
            cells.h(FASE),
            cells.get(FASE, f),
            values.fase,
            &mut problems,
        );
        check_id(
            cells.h(ID),
            cells.get(ID, f),
            pilot,
            self.ids,
            &mut problems,
        );
        if self.sink.reject(row, problems) {
            return;
        }
        let (pasient, later) = match self.memos.refs.opt_id_or_later(cells.get(PASIENT, f)) {
            Ref::Now(id) => (id, 0),
            Ref::Later(key) => (None, key),
        };
        let utfort_av = self.memos.refs.opt_id(cells.get(UTFORT_AV, f));
        let log = values.into_row(self.pilot_id, pasient, utfort_av);
        self.later.push(later);
        note_outside_unit(pilot, &log.enhet_id, &mut self.outside_units);
        self.out.push(log);
    }

    fn expect(&mut self, records: usize) {
        // The file's rows, each as large as it will be kept, in one allocation: grown by
        // doubling they were copied about once more, into fresh memory (at national scale
        // a sixth of the run's page faults). Rows quarantined leave the rest to
        // `shrink_to_fit`, which gives it back in place.
        self.out
            .reserve_exact(records.saturating_sub(self.out.len()));
        self.later
            .reserve_exact(records.saturating_sub(self.later.len()));
    }
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
}

/// One file's memos: exports repeat the same names, dates and phases many times.
#[derive(Default)]
struct Memos {
    /// The pseudonymous references (`pasient`, `utført_av`) seen, interned.
    refs: Refs,
    places: Places<Id>,
    yrke: NameCache<Id>,
    oppgave: NameCache<Id>,
    parsers: Parsers,
    /// Given `fase` cells, normalized.
    fase: HashMap<String, String>,
}

/// A row's required values, each `None` when its cell has a problem.
struct Values {
    dato: Option<NaiveDate>,
    /// The phase the date falls in.
    fase: Option<Fase>,
    foretak: Option<Id>,
    enhet: Option<Id>,
    yrke: Option<Id>,
    oppgave: Option<Id>,
    minutter: Option<f64>,
}

/// Interned references, memoised per file: interning takes a global lock, and a file repeats
/// each reference many times. References of up to 7 bytes (`P12345`) are looked up as one
/// number.
#[derive(Default)]
struct Refs {
    short: HashMap<u64, Id, foldhash::fast::RandomState>,
    long: HashMap<Text, Id, foldhash::fast::RandomState>,
}

impl Refs {
    /// The trimmed cell `raw` as an id; `None` when missing.
    fn opt_id(&mut self, raw: &str) -> Option<Id> {
        let s = crate::ingest::values::trim(raw);
        if is_missing(s) {
            return None;
        }
        if let Some(key) = short_key(s) {
            return Some(*self.short.entry(key).or_insert_with(|| Id::from(s)));
        }
        if let Some(id) = self.long.get(s) {
            return Some(*id);
        }
        let id = Id::from(s);
        self.long.insert(Text::from(s), id);
        Some(id)
    }

    /// [`Refs::opt_id`] of a row's cell, or, for a short reference, `Later` with its number
    /// (see [`short_key`]), to be looked up by [`Refs::resolve_later`] once the file is read.
    fn opt_id_or_later(&mut self, raw: &str) -> Ref {
        let s = crate::ingest::values::trim(raw);
        match short_key(s) {
            Some(key) if !is_missing(s) => Ref::Later(key),
            _ => Ref::Now(self.opt_id(s)),
        }
    }

    /// Give each row its patient held back by [`Refs::opt_id_or_later`] (`later` has a
    /// number per row, 0 for none). One row at a time, between parsing the next, a file's
    /// thousands of patients missed the cache on nearly every row; looked up together in
    /// one loop they are found many at once.
    fn resolve_later(&mut self, rows: &mut [LogRow], later: &[u64]) {
        for (row, key) in rows.iter_mut().zip(later) {
            if *key != 0 {
                let id = *self.short.entry(*key).or_insert_with(|| short_id(*key));
                row.pasient = Some(id);
            }
        }
    }
}

/// A reference of a row: interned now, or a short one's number, to be interned later.
enum Ref {
    Now(Option<Id>),
    Later(u64),
}

/// A text of at most 7 bytes as one number: its bytes, then its length in the top byte
/// (distinct texts give distinct numbers, and none is 0).
fn short_key(s: &str) -> Option<u64> {
    (!s.is_empty() && s.len() <= 7).then(|| {
        let mut key = [0u8; 8];
        key[..s.len()].copy_from_slice(s.as_bytes());
        key[7] = s.len() as u8;
        u64::from_le_bytes(key)
    })
}

/// The text of a number made by [`short_key`], interned.
fn short_id(key: u64) -> Id {
    let bytes = key.to_le_bytes();
    let len = usize::from(bytes[7]).min(7);
    // The bytes of a whole text: valid UTF-8.
    Id::from(std::str::from_utf8(&bytes[..len]).unwrap_or_default())
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
    fn into_row(self, pilot_id: Id, pasient: Option<Id>, utfort_av: Option<Id>) -> LogRow {
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
            pilot_id,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patients_looked_up_at_the_end_are_the_ids_looked_up_at_once() {
        let cells = [
            "P1",
            "",
            " P2 ",
            "NA",
            "P1",
            "P123456789",
            "ø",
            "1234567",
            "..",
            "P2",
            "P1",
        ];
        let (mut now, mut later) = (Refs::default(), Refs::default());
        let expected: Vec<Option<Id>> = cells.iter().map(|c| now.opt_id(c)).collect();
        let mut keys = Vec::new();
        let mut rows: Vec<LogRow> = cells
            .iter()
            .map(|c| {
                let (pasient, key) = match later.opt_id_or_later(c) {
                    Ref::Now(id) => (id, 0),
                    Ref::Later(key) => (None, key),
                };
                keys.push(key);
                LogRow {
                    pilot_id: Id::from("p"),
                    dato: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
                    fase: Fase::Pilot,
                    foretak_id: Id::from("f"),
                    enhet_id: Id::from("e"),
                    yrke_id: Id::from("y"),
                    oppgave_id: Id::from("o"),
                    minutter: 1.0,
                    pasient,
                    utfort_av: None,
                }
            })
            .collect();
        // Some were held back, and nothing was given to a row yet for them.
        assert!(keys.iter().filter(|k| **k != 0).count() >= 7);
        later.resolve_later(&mut rows, &keys);
        let got: Vec<Option<Id>> = rows.iter().map(|r| r.pasient).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn references_are_the_same_id_exactly_when_their_text_is() {
        let mut refs = Refs::default();
        let texts = [
            "P1",
            "P01",
            "P10",
            "p1",
            "A\0",
            "A",
            "1234567",
            "12345678",
            "1234568",
            "ø",
            "øø",
            "P123456789",
        ];
        for (i, a) in texts.iter().enumerate() {
            let id = refs.opt_id(a).unwrap();
            assert_eq!(id.as_str(), *a);
            assert_eq!(refs.opt_id(&format!("  {a} ")), Some(id), "trimmed");
            for b in &texts[..i] {
                assert_ne!(refs.opt_id(b), Some(id), "{a:?} and {b:?}");
            }
        }
        assert_eq!(refs.opt_id("  "), None);
    }
}
