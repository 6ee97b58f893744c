//! Ingest: read one input file's bytes, exactly as the survey tool or Excel wrote them, into a
//! [`RawTable`] of text cells with their line numbers.
//!
//! Consumes bytes and the file's name; produces a `RawTable` or a file error. Detects the
//! encoding and delimiter (data-contract §2), reads XLSX through calamine, and offers the
//! value parsers (`values`) and the identity-number check (`pii`) that `validate` uses.
//! Never panics on any input: every problem is a [`Diagnostic`] naming the file and, where
//! one exists, the line.

pub mod decode;
pub mod delimited;
pub mod headers;
pub mod pii;
pub mod table;
pub mod values;
mod xlsx;

pub use decode::Encoding;
pub use delimited::Dialect;
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
    /// The format for a file extension (without the dot, any case), if it is a table format.
    pub fn from_extension(ext: &str) -> Option<Format> {
        match ext.to_ascii_lowercase().as_str() {
            "csv" | "tsv" | "txt" => Some(Format::Delimited),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }
}

/// Read a table file. `display` names the file in diagnostics (`data/…`); `sheet` picks an
/// XLSX sheet (default: the first; ignored for delimited files).
pub fn read_table(
    display: &str,
    bytes: &[u8],
    format: Format,
    sheet: Option<&str>,
) -> Result<RawTable, Diagnostic> {
    read_table_with_dialect(display, bytes, format, sheet).map(|(t, _)| t)
}

/// Like [`read_table`], and also say which dialect a delimited file was in (`None` for
/// XLSX), for the manifest and for messages such as "read as Windows-1252".
pub fn read_table_with_dialect(
    display: &str,
    bytes: &[u8],
    format: Format,
    sheet: Option<&str>,
) -> Result<(RawTable, Option<Dialect>), Diagnostic> {
    match format {
        Format::Delimited => delimited::read(display, bytes).map(|(t, d)| (t, Some(d))),
        Format::Xlsx => xlsx::read(display, bytes, sheet).map(|t| (t, None)),
    }
}
