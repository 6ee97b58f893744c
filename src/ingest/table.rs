//! The shape every input file is read into before validation: text cells with their lines.

use std::collections::HashMap;

pub use crate::model::Text;

use super::headers::normalize;
use super::values::trim;
use crate::diag::Diagnostic;

/// One record of a file, with the line it starts on (header = line 1; XLSX: the sheet row).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawRow {
    /// The file's own line number where this record starts.
    pub line: u64,
    /// The cells, trimmed, as text; XLSX dates as `yyyy-mm-dd[THH:MM:SS]`, numbers in
    /// shortest form. At least as many as there are headers (padded with ""); more when the
    /// record carries non-empty cells beyond the header (validate quarantines such rows).
    pub fields: Vec<Text>,
}

/// A file read as a table of text: the header and the records, trailing empty columns and
/// blank lines removed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawTable {
    /// Header cells as they stand in the file (trimmed). An empty header cell between named
    /// ones stays as "".
    pub headers: Vec<String>,
    /// The line the header is on.
    pub header_line: u64,
    /// Data records.
    pub rows: Vec<RawRow>,
}

/// Builds a [`RawTable`] from records in file order, the same way for every format: the
/// first non-blank record is the header, blank records are skipped, rows are padded to the
/// header's width and keep any non-empty cells beyond it.
pub(crate) struct TableBuilder<'d> {
    display: &'d str,
    table: RawTable,
    have_header: bool,
    /// Where the records go instead of into the table, when streaming.
    records: Option<&'d mut dyn Records>,
    /// The record being handed over, when streaming.
    scratch: RawRow,
}

/// Takes a table's records one at a time as they are read (see [`crate::ingest::stream_table`]),
/// so that a large file is never held as a whole table.
pub trait Records {
    /// One record, in file order. `table` is the table so far: its header, no rows.
    fn record(&mut self, table: &RawTable, row: &RawRow);

    /// At most `records` records follow: room for them can be made at once, instead of
    /// growing (and copying) row by row. A hint only; the default ignores it.
    fn expect(&mut self, records: usize) {
        let _ = records;
    }
}

impl<'d> TableBuilder<'d> {
    /// An empty builder for the file named `display`.
    pub(crate) fn new(display: &'d str) -> Self {
        TableBuilder {
            display,
            table: RawTable::default(),
            have_header: false,
            records: None,
            scratch: RawRow::default(),
        }
    }

    /// A builder that hands every record to `records` instead of keeping it: the table it
    /// finishes with has the header and no rows.
    pub(crate) fn streaming(display: &'d str, records: Option<&'d mut dyn Records>) -> Self {
        TableBuilder {
            records,
            ..TableBuilder::new(display)
        }
    }

    /// Tell the records' receiver that at most `records` records follow.
    pub(crate) fn expect(&mut self, records: usize) {
        if let Some(r) = self.records.as_mut() {
            r.expect(records);
        }
    }

    /// Add one record of `len` cells starting at `line`; `cell(i)` gives cell `i` untrimmed.
    pub(crate) fn push<'r>(
        &mut self,
        line: u64,
        len: usize,
        cell: impl Fn(usize) -> &'r str,
    ) -> Result<(), Diagnostic> {
        let Some(last) = (0..len).rev().find(|&i| !trim(cell(i)).is_empty()) else {
            return Ok(()); // blank record
        };
        if !self.have_header {
            let headers: Vec<String> = (0..=last)
                .map(|i| cell(i).trim().trim_matches('\u{feff}').trim().to_string())
                .collect();
            check_duplicates(self.display, line, &headers)?;
            self.table.headers = headers;
            self.table.header_line = line;
            self.have_header = true;
            return Ok(());
        }
        let n = self.table.headers.len().max(last + 1);
        let cells = (0..n).map(|i| {
            if i < len {
                Text::new(trim(cell(i)))
            } else {
                Text::default()
            }
        });
        match self.records.as_deref_mut() {
            // Streaming: one row's buffer serves every record.
            Some(r) => {
                self.scratch.line = line;
                self.scratch.fields.clear();
                self.scratch.fields.extend(cells);
                r.record(&self.table, &self.scratch);
            }
            None => self.table.rows.push(RawRow {
                line,
                fields: cells.collect(),
            }),
        }
        Ok(())
    }

    /// The table, or a file error when no record held anything.
    pub(crate) fn finish(self) -> Result<RawTable, Diagnostic> {
        if !self.have_header {
            return Err(Diagnostic::file_error(
                self.display,
                "failed to read table (the file holds no header line, only blank lines)",
            )
            .hint("export the data again with column names in the first line"));
        }
        Ok(self.table)
    }
}

/// A file error when two non-empty headers are the same after [`normalize`].
fn check_duplicates(display: &str, line: u64, headers: &[String]) -> Result<(), Diagnostic> {
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(headers.len());
    for (i, h) in headers.iter().enumerate() {
        if h.is_empty() {
            continue;
        }
        if let Some(&first) = seen.get(&normalize(h)) {
            let a = &headers[first];
            let message = if a == h {
                format!(
                    "failed to read header (columns {} and {} are both named `{h}`)",
                    first + 1,
                    i + 1
                )
            } else {
                format!(
                    "failed to read header (columns {} `{a}` and {} `{h}` have the same name)",
                    first + 1,
                    i + 1
                )
            };
            return Err(Diagnostic::file_error(display, message)
                .at_line(line)
                .in_column(h.clone())
                .hint("rename one of the two columns; names are compared ignoring case, spaces, `_` and `-`"));
        }
        seen.insert(normalize(h), i);
    }
    Ok(())
}
