//! Ingest: read one input file's bytes, exactly as the survey tool or Excel wrote them, into a
//! [`RawTable`] of text cells with their line numbers.
//!
//! Consumes bytes and the file's name; produces a `RawTable` or a file error. Detects the
//! encoding and delimiter (data-contract §2), reads XLSX through calamine, and offers the
//! value parsers (`values`) and the identity-number check (`pii`) that `validate` uses.
//! Never panics on any input: every problem is a [`Diagnostic`] naming the file and, where
//! one exists, the line.
//!
//! How delimited files are read (decisions where the contract leaves room):
//! - Encoding: a BOM decides (UTF-8, UTF-16 LE/BE); without one, valid UTF-8 is UTF-8 and
//!   anything else Windows-1252. A file without a BOM whose first bytes are plainly UTF-16
//!   (every second byte zero) is read as UTF-16. Bytes that break a BOM-declared UTF-8 or
//!   UTF-16 file are a file error at their line, not replaced silently.
//! - Line ends `\r\n` and lone `\r` count as one line break each, as editors show them.
//! - The header is the first line that is not blank. An Excel `sep=;` line before it names
//!   the delimiter and is skipped.
//! - Delimiter: among `;`, TAB and `,` found in the header outside quotes, the one whose
//!   count the most of the next 20 records repeat (so commas in question texts do not win),
//!   then the most frequent in the header, then `;` before TAB before `,`.
//! - Blank records (only whitespace and delimiters) are skipped, keeping every other
//!   record's own line. Trailing empty header cells are dropped; an empty header cell
//!   between named ones stays `""` (never a duplicate). Cells are trimmed.
//! - A quoted cell that is never closed and runs over line ends is a file error at the line
//!   where the quote opens: otherwise every later line would silently vanish into one cell.

pub mod cache;
pub mod decode;
mod delimited;
pub mod headers;
pub mod pii;
pub mod table;
pub mod values;
mod xlsx;

pub use decode::Encoding;
pub use delimited::Dialect;
pub use table::{RawRow, RawTable, Records, Text};

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

/// Read a table file, handing its records to `records` one at a time as they are read
/// (delimited files are never held as a whole table; an XLSX sheet is read whole first).
/// Returns the table's header, without rows. The records handed over before a file error
/// are the file's first ones, in order, and the error is what [`read_table`] gives. `buf`
/// holds the file's bytes; a delimited file's text is decoded in their place.
pub fn stream_table(
    display: &str,
    buf: &mut Vec<u8>,
    format: Format,
    records: &mut dyn Records,
) -> Result<RawTable, Diagnostic> {
    match format {
        Format::Delimited => {
            delimited::read_into(display, delimited::Input::Buffer(buf), 0, Some(records))
                .map(|(t, _)| t)
        }
        Format::Xlsx => {
            let mut t = xlsx::read(display, buf, None)?;
            let rows = std::mem::take(&mut t.rows);
            records.expect(rows.len());
            for row in rows {
                records.record(&t, &row);
            }
            Ok(t)
        }
    }
}

/// Like [`read_table`], skipping `skip` title lines before the header (a codebook's
/// `topplinjer`); line numbers stay the file's (or sheet's) own.
pub fn read_table_skipping(
    display: &str,
    bytes: &[u8],
    format: Format,
    sheet: Option<&str>,
    skip: u64,
) -> Result<RawTable, Diagnostic> {
    if skip == 0 {
        return read_table(display, bytes, format, sheet);
    }
    match format {
        Format::Delimited => delimited::read_skipping(display, bytes, skip).map(|(t, _)| t),
        Format::Xlsx => {
            let t = xlsx::read(display, bytes, sheet)?;
            if t.header_line > skip {
                return Ok(t);
            }
            let mut b = table::TableBuilder::new(display);
            for r in t.rows.iter().filter(|r| r.line > skip) {
                b.push(r.line, r.fields.len(), |i| r.fields[i].as_str())?;
            }
            b.finish()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_from_extensions_in_any_case() {
        assert_eq!(Format::from_extension("csv"), Some(Format::Delimited));
        assert_eq!(Format::from_extension("TSV"), Some(Format::Delimited));
        assert_eq!(Format::from_extension("Txt"), Some(Format::Delimited));
        assert_eq!(Format::from_extension("XLSX"), Some(Format::Xlsx));
        assert_eq!(Format::from_extension("xls"), None);
        assert_eq!(Format::from_extension("toml"), None);
    }

    #[test]
    fn a_sheet_name_is_ignored_for_delimited_files() {
        let t = read_table("x.csv", b"a;b\n1;2\n", Format::Delimited, Some("Svar")).unwrap();
        assert_eq!(t.rows.len(), 1);
    }
}
