//! Row-level bookkeeping shared by every file kind: problems, quarantine, accounting.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::diag::{Diagnostic, Reason};
use crate::ingest::values::{self, Invalid};
use crate::ingest::{RawRow, RawTable};

/// One thing wrong with one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The column header as in the file (empty when the row as a whole is wrong).
    pub column: String,
    /// The kind of problem (the manifest counts these).
    pub reason: Reason,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl Problem {
    /// A problem of kind `reason` in `column`.
    pub fn new(column: &str, reason: Reason, message: impl Into<String>) -> Problem {
        Problem {
            column: column.to_string(),
            reason,
            message: message.into(),
            hint: None,
        }
    }
    /// A cell in `column` that is not a value.
    pub fn invalid(column: &str, e: Invalid) -> Problem {
        Problem {
            column: column.to_string(),
            reason: e.reason,
            message: e.message,
            hint: e.hint,
        }
    }
    /// With a hint.
    pub fn with_hint(mut self, hint: Option<String>) -> Problem {
        self.hint = hint;
        self
    }
}

/// One quarantined row: where, why, and its original fields.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QuarantineRow {
    /// The file's line.
    pub line: u64,
    /// Columns with problems, `, `-joined.
    pub columns: String,
    /// Reasons, `; `-joined.
    pub reasons: String,
    /// The original fields (person columns already dropped).
    pub fields: Vec<crate::model::Text>,
}

/// The quarantine of one input file.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct QuarantineFile {
    /// Path under the quarantine folder: the input's path with extension `.csv`.
    pub rel: String,
    /// The input's header (person columns dropped).
    pub headers: Vec<String>,
    /// The rows.
    pub rows: Vec<QuarantineRow>,
}

impl QuarantineFile {
    /// The quarantine file's bytes (data-contract §8): UTF-8 with BOM, `;`-separated, CRLF,
    /// the header `linje;kolonne;årsak` and the input's columns, then one record per
    /// quarantined row, each on its own line. A ragged row keeps every field it had, so its
    /// record is longer than the header (the writer is flexible). Any write error is
    /// returned, never ignored: a dropped terminator would glue records together.
    pub fn to_csv(&self) -> anyhow::Result<Vec<u8>> {
        use anyhow::Context as _;
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .terminator(csv::Terminator::CRLF)
            .flexible(true)
            .from_writer(vec![0xEF, 0xBB, 0xBF]);
        let context = || format!("failed to write the quarantine file `{}`", self.rel);
        let mut header = vec!["linje".to_string(), "kolonne".into(), "årsak".into()];
        header.extend(self.headers.iter().cloned());
        w.write_record(&header).with_context(context)?;
        for r in &self.rows {
            let line = r.line.to_string();
            let fixed = [line.as_str(), r.columns.as_str(), r.reasons.as_str()];
            w.write_record(fixed.into_iter().chain(r.fields.iter().map(|f| f.as_str())))
                .with_context(context)?;
        }
        w.into_inner()
            .map_err(|e| anyhow::anyhow!("{}: {}", context(), e.error()))
    }
}

/// Collects the row errors of one file.
#[derive(Debug, Default)]
pub struct RowSink {
    /// The file's display path.
    pub display: String,
    /// Quarantined rows.
    pub quarantine: Vec<QuarantineRow>,
    /// One diagnostic per problem.
    pub diagnostics: Vec<Diagnostic>,
}

impl RowSink {
    /// A sink for `display`.
    pub fn new(display: &str) -> RowSink {
        RowSink {
            display: display.to_string(),
            ..RowSink::default()
        }
    }
    /// Quarantine `row` for `problems` (no-op when empty). Returns true if quarantined.
    pub fn reject(&mut self, row: &RawRow, problems: Vec<Problem>) -> bool {
        if problems.is_empty() {
            return false;
        }
        let mut columns: Vec<&str> = Vec::new();
        for p in &problems {
            if !p.column.is_empty() && !columns.contains(&p.column.as_str()) {
                columns.push(&p.column);
            }
        }
        self.quarantine.push(QuarantineRow {
            line: row.line,
            columns: columns.join(", "),
            reasons: problems
                .iter()
                .map(|p| p.message.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            fields: row.fields.clone(),
        });
        for p in problems {
            let mut d = Diagnostic::row_error(&self.display, p.message)
                .at_line(row.line)
                .because(p.reason);
            if !p.column.is_empty() {
                d = d.in_column(p.column);
            }
            if let Some(h) = p.hint {
                d = d.hint(h);
            }
            self.diagnostics.push(d);
        }
        true
    }
}

/// Column names for a message: each as [`values::shown`] quotes a cell (cut to 60 characters,
/// control characters escaped), at most 20 of them, then how many more: an export with
/// thousands of columns, or a header of a million characters, gives one readable line.
pub fn column_list<S: AsRef<str>>(names: &[S]) -> String {
    const MAX: usize = 20;
    let mut out = names
        .iter()
        .take(MAX)
        .map(|n| values::shown(n.as_ref()))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > MAX {
        out.push_str(&format!(" and {} more", names.len() - MAX));
    }
    out
}

/// Problems with a row's shape: more non-empty fields than the header has columns.
pub fn shape_problem(table: &RawTable, row: &RawRow) -> Option<Problem> {
    let extra = row
        .fields
        .iter()
        .skip(table.headers.len())
        .filter(|f| !f.trim().is_empty())
        .count();
    (extra > 0).then(|| {
        Problem::new(
            "",
            Reason::TooManyFields,
            format!(
                "row has {} fields, but the header has {} columns",
                table.headers.len() + extra,
                table.headers.len()
            ),
        )
        .with_hint(Some(
            "a value may contain the delimiter without quotes".into(),
        ))
    })
}

/// A memo of what cells give: exports repeat the same few values many times, and in runs,
/// so the last cell is compared first, then a hash map of the distinct cells, up to `cap`
/// of them (beyond, values are computed again).
#[derive(Debug)]
pub struct Memo<V> {
    map: HashMap<crate::model::Text, V, foldhash::fast::RandomState>,
    /// The last cell's value, and the cell's text in a buffer written over from cell to
    /// cell (a long name copied into a fresh `Text` was an allocation per row).
    last: Option<V>,
    last_cell: String,
    cap: usize,
}

impl<V> Default for Memo<V> {
    fn default() -> Self {
        Memo {
            map: HashMap::default(),
            last: None,
            last_cell: String::new(),
            cap: usize::MAX,
        }
    }
}

impl<V: Clone> Memo<V> {
    /// A memo of at most `cap` distinct cells.
    pub fn with_cap(cap: usize) -> Self {
        Memo {
            cap,
            ..Memo::default()
        }
    }

    /// The value of `cell`, computed by `f` when it is not memoised.
    pub fn get(&mut self, cell: &str, f: impl FnOnce(&str) -> V) -> V {
        if let Some(v) = &self.last
            && self.last_cell == cell
        {
            return v.clone();
        }
        let v = match self.map.get(cell) {
            Some(v) => v.clone(),
            None => {
                let v = f(cell);
                if self.map.len() < self.cap {
                    self.map.insert(cell.into(), v.clone());
                }
                v
            }
        };
        self.last_cell.clear();
        self.last_cell.push_str(cell);
        self.last = Some(v.clone());
        v
    }
}

/// Memoised value parsing: exports repeat the same dates and numbers many times.
#[derive(Debug)]
pub struct Parsers {
    dates: Memo<Result<Option<NaiveDate>, Invalid>>,
}

impl Default for Parsers {
    fn default() -> Self {
        Parsers {
            dates: Memo::with_cap(100_000),
        }
    }
}

impl Parsers {
    /// Parse a required date; a missing or bad one is a problem in `column`.
    pub fn required_date(
        &mut self,
        column: &str,
        raw: &str,
        problems: &mut Vec<Problem>,
    ) -> Option<NaiveDate> {
        match self.date(raw) {
            Ok(Some(d)) => Some(d),
            Ok(None) => {
                problems.push(Problem::new(column, Reason::MissingDate, "missing date"));
                None
            }
            Err(e) => {
                problems.push(Problem::invalid(column, e));
                None
            }
        }
    }

    /// Parse a date through the cache.
    pub fn date(&mut self, s: &str) -> Result<Option<NaiveDate>, Invalid> {
        self.dates.get(s, values::parse_date)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_memo_computes_each_cell_once_within_its_cap() {
        let calls = std::cell::Cell::new(0);
        let mut memo = Memo::with_cap(2);
        let mut get = |cell: &str| {
            memo.get(cell, |c| {
                calls.set(calls.get() + 1);
                c.len()
            })
        };
        for cell in ["a", "a", "bb", "a", "bb", "ccc", "a", "ccc", "ccc"] {
            assert_eq!(get(cell), cell.len());
        }
        // "a" and "bb" are kept; "ccc" is beyond the cap, computed again unless it repeats.
        assert_eq!(calls.get(), 4);
    }

    #[test]
    fn column_lists_stay_one_short_line() {
        let names: Vec<String> = (0..5000).map(|i| format!("c{i}")).collect();
        let list = column_list(&names);
        assert!(list.ends_with("c19 and 4980 more"), "{list}");
        let long = ["x".repeat(1_000_000), "a\nerror: forged".to_string()];
        let list = column_list(&long);
        assert!(list.chars().count() < 100, "{list}");
        assert!(list.ends_with("a\\nerror: forged"), "{list}");
    }
}
