//! The shape every input file is read into before validation: text cells with their lines.

/// One record of a file, with the line it starts on (header = line 1; XLSX: the sheet row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRow {
    /// The file's own line number where this record starts.
    pub line: u64,
    /// The cells, as text; XLSX dates as `yyyy-mm-dd[THH:MM:SS]`, numbers in shortest form.
    pub fields: Vec<String>,
}

/// A file read as a table of text: the header and the records, trailing empty columns and
/// blank lines removed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawTable {
    /// Header cells as they stand in the file (trimmed).
    pub headers: Vec<String>,
    /// The line the header is on.
    pub header_line: u64,
    /// Data records.
    pub rows: Vec<RawRow>,
}
