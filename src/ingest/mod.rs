//! Ingest: read one input file's bytes, exactly as the survey tool or Excel wrote them, into a
//! [`RawTable`] of text cells with their line numbers.
//!
//! Consumes bytes and the file's name; produces a `RawTable` or a file error. Detects the
//! encoding and delimiter (data-contract §2), reads XLSX through calamine, and offers the
//! value parsers (`values`) and the identity-number check (`pii`) that `validate` uses.

pub mod headers;
pub mod pii;
pub mod table;
pub mod values;

pub use table::{RawRow, RawTable};

use crate::diag::Diagnostic;

/// The container format of an input file, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.csv`, `.tsv`, `.txt`: delimited text in any accepted dialect.
    Delimited,
    /// `.xlsx`: an Excel workbook.
    Xlsx,
}

impl Format {
    /// The format for a file extension, if it is a table format.
    pub fn from_extension(ext: &str) -> Option<Format> {
        match ext.to_ascii_lowercase().as_str() {
            "csv" | "tsv" | "txt" => Some(Format::Delimited),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }
}

/// Read a table file. `display` names the file in diagnostics (`data/…`); `sheet` picks an
/// XLSX sheet (default: the first).
pub fn read_table(
    display: &str,
    bytes: &[u8],
    format: Format,
    sheet: Option<&str>,
) -> Result<RawTable, Diagnostic> {
    let _ = sheet;
    match format {
        Format::Delimited => {
            // Minimal first version: UTF-8, delimiter from the header line.
            let text = std::str::from_utf8(bytes).map_err(|e| {
                Diagnostic::file_error(display, format!("failed to decode file ({e})"))
            })?;
            let text = text.strip_prefix('\u{feff}').unwrap_or(text);
            let first = text.lines().next().unwrap_or("");
            let delim = [b';', b'\t', b','].into_iter().max_by_key(|d| {
                first.bytes().filter(|b| b == d).count() * 3 + if *d == b';' { 2 } else if *d == b'\t' { 1 } else { 0 }
            }).unwrap_or(b';');
            let mut rdr = csv::ReaderBuilder::new()
                .delimiter(delim)
                .has_headers(false)
                .flexible(true)
                .from_reader(text.as_bytes());
            let mut table = RawTable::default();
            for (i, rec) in rdr.records().enumerate() {
                let rec = rec.map_err(|e| Diagnostic::file_error(display, format!("failed to parse file ({e})")))?;
                let line = rec.position().map(|p| p.line()).unwrap_or(0);
                let fields: Vec<String> = rec.iter().map(|s| s.trim().to_string()).collect();
                if i == 0 {
                    table.headers = fields;
                    table.header_line = line;
                } else if fields.iter().any(|f| !f.is_empty()) {
                    table.rows.push(RawRow { line, fields });
                }
            }
            Ok(table)
        }
        Format::Xlsx => Err(Diagnostic::file_error(display, "failed to read workbook (xlsx not supported yet)")),
    }
}
