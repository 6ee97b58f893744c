//! Delimited text (`.csv`, `.tsv`, `.txt`) in any dialect of data-contract §2: decode once,
//! detect the delimiter, parse with the `csv` crate, and give every record the line an editor
//! shows for its first character.

use std::borrow::Cow;

use super::decode::{Encoding, decode, decode_in_place};
use super::table::{RawTable, Records, TableBuilder};
use crate::diag::Diagnostic;

/// What was detected about a delimited file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Dialect {
    /// The character encoding.
    pub encoding: Encoding,
    /// The field delimiter: `;`, `,`, TAB, or what an Excel `sep=` line names.
    pub delimiter: char,
}

/// Candidate delimiters, in tie-break order.
const CANDIDATES: [u8; 3] = [b';', b'\t', b','];
/// How many records after the header the delimiter check looks at.
const LOOKAHEAD: usize = 20;

/// Read a delimited file into a table and say which dialect it was in.
pub(crate) fn read(display: &str, bytes: &[u8]) -> Result<(RawTable, Dialect), Diagnostic> {
    read_skipping(display, bytes, 0)
}

/// Like [`read`], skipping the first `skip` lines (title lines before the header: a
/// codebook's `topplinjer`, data-contract §6.1). An Excel `sep=` first line still names the
/// delimiter. Line numbers stay the file's own.
pub(crate) fn read_skipping(
    display: &str,
    bytes: &[u8],
    skip: u64,
) -> Result<(RawTable, Dialect), Diagnostic> {
    read_into(display, Input::Bytes(bytes), skip, None)
}

/// The bytes of a delimited file, as [`read_into`] takes them.
pub(crate) enum Input<'b> {
    /// Borrowed: text that needs decoding is decoded into a new one.
    Bytes(&'b [u8]),
    /// In the caller's buffer, which the text takes over (decoded in place).
    Buffer(&'b mut Vec<u8>),
}

/// Like [`read_skipping`], handing the records to `records` (when given) as they are parsed
/// instead of keeping them: the table then has the header and no rows. Bytes in a buffer are
/// held once: the text is decoded in their place.
pub(crate) fn read_into<'d>(
    display: &'d str,
    input: Input<'_>,
    skip: u64,
    records: Option<&'d mut dyn Records>,
) -> Result<(RawTable, Dialect), Diagnostic> {
    let failed = |e: super::decode::DecodeError| {
        Diagnostic::file_error(display, format!("failed to decode file ({})", e.reason))
            .at_line(e.line)
            .hint("save the file again as \"CSV UTF-8\" from Excel")
    };
    let (text, encoding): (Cow<'_, str>, Encoding) = match input {
        Input::Bytes(b) => decode(b).map_err(failed)?,
        Input::Buffer(buf) => {
            let (text, encoding) = decode_in_place(buf).map_err(failed)?;
            (Cow::Borrowed(text), encoding)
        }
    };
    let text: &str = &text;

    // The first non-blank line: an Excel `sep=` line, or the header.
    let (mut start, mut start_line) = first_non_blank(text, 0, 1);
    let mut delimiter = None;
    if skip > 0 {
        let first = text[start..].split('\n').next().unwrap_or("").trim();
        delimiter = sep_directive(first);
        let mut at = 0;
        for _ in 0..skip {
            at = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
        }
        (start, start_line) = first_non_blank(text, at, skip + 1);
    }
    if start >= text.len() {
        return Err(
            Diagnostic::file_error(display, "failed to read table (the file is empty)")
                .hint("export the data again with column names in the first line"),
        );
    }
    let first_line = text[start..].split('\n').next().unwrap_or("").trim();
    if let Some(sep) = first_line.strip_prefix("sep=") {
        let mut chars = sep.chars();
        if let (Some(c), None) = (chars.next(), chars.next())
            && c.is_ascii()
            && c != '"'
        {
            delimiter = Some(c as u8);
            let next = start
                + text[start..]
                    .find('\n')
                    .map_or(text.len() - start, |i| i + 1);
            (start, start_line) = first_non_blank(text, next, start_line + 1);
        }
    }
    let delimiter = delimiter.unwrap_or_else(|| detect_delimiter(&text[start..]));
    let dialect = Dialect {
        encoding,
        delimiter: char::from(delimiter),
    };
    let table = parse(display, &text[start..], start_line, delimiter, records)?;
    Ok((table, dialect))
}

/// The delimiter an Excel `sep=;` line names, if `line` is one.
fn sep_directive(line: &str) -> Option<u8> {
    let mut chars = line.strip_prefix("sep=")?.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii() && c != '"' => Some(c as u8),
        _ => None,
    }
}

/// Skip lines holding only whitespace, from byte `at` on line `line`; the byte and line of
/// the first other line (or the end).
fn first_non_blank(text: &str, mut at: usize, mut line: u64) -> (usize, u64) {
    while at < text.len() {
        let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
        if !text[at..end].trim().is_empty() {
            return (at, line);
        }
        at = end + 1;
        line += 1;
    }
    (text.len(), line)
}

/// Count the candidate delimiters outside quotes in each of the first records of `text`.
/// A quote opens a quoted field only at the start of a line or right after a candidate.
fn count_per_record(text: &str, max_records: usize) -> Vec<[usize; 3]> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut counts = [0usize; 3];
    let mut i = 0;
    let mut field_start = true;
    let mut blank = true;
    while i < b.len() && out.len() < max_records {
        let c = b[i];
        if c == b'"' && field_start {
            // Skip the quoted field, `""` being an escaped quote.
            i += 1;
            while i < b.len() {
                if b[i] == b'"' {
                    if b.get(i + 1) == Some(&b'"') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            blank = false;
            field_start = false;
            i += 1;
            continue;
        }
        if c == b'\n' {
            if !blank {
                out.push(counts);
            }
            counts = [0; 3];
            blank = true;
            field_start = true;
        } else if let Some(k) = CANDIDATES.iter().position(|&d| d == c) {
            counts[k] += 1;
            field_start = true;
            blank = false;
        } else {
            field_start = false;
            if !c.is_ascii_whitespace() {
                blank = false;
            }
        }
        i += 1;
    }
    if !blank && out.len() < max_records {
        out.push(counts);
    }
    out
}

/// The delimiter of a file whose header starts `text`: among the candidates that occur in
/// the header outside quotes, the one whose count the most following records repeat, then
/// the most frequent in the header, then `;` before TAB before `,`. `;` when none occurs.
fn detect_delimiter(text: &str) -> u8 {
    let records = count_per_record(text, LOOKAHEAD + 1);
    let Some(header) = records.first() else {
        return b';';
    };
    let mut best: Option<(usize, usize, usize)> = None; // (agreeing records, count, index)
    for k in 0..CANDIDATES.len() {
        if header[k] == 0 {
            continue;
        }
        let agree = records[1..].iter().filter(|r| r[k] == header[k]).count();
        let better = match best {
            None => true,
            Some((a, n, _)) => (agree, header[k]) > (a, n),
        };
        if better {
            best = Some((agree, header[k], k));
        }
    }
    best.map_or(b';', |(_, _, k)| CANDIDATES[k])
}

/// Parse `text` (starting with the header, on line `first_line`) with the `csv` crate.
fn parse<'d>(
    display: &'d str,
    text: &str,
    first_line: u64,
    delimiter: u8,
    records: Option<&'d mut dyn Records>,
) -> Result<RawTable, Diagnostic> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(1 << 16)
        .from_reader(text.as_bytes());
    // Every record but the last ends in a line break (a quoted one may hold more); counted
    // only for a receiver, which can make room for them.
    let most = records
        .is_some()
        .then(|| memchr::memchr_iter(b'\n', text.as_bytes()).count() + 1);
    let mut builder = TableBuilder::streaming(display, records);
    if let Some(most) = most {
        builder.expect(most);
    }
    // Byte records parse about twice as fast as string records; each field is valid UTF-8
    // anyway (the text is, and the parser splits and unquotes at ASCII bytes only).
    let mut record = csv::ByteRecord::new();
    let mut last_start = 0usize;
    let mut last_line = first_line;
    loop {
        let more = rdr.read_byte_record(&mut record).map_err(|e| {
            let line = e
                .position()
                .map_or(first_line, |p| first_line + p.line() - 1);
            Diagnostic::file_error(display, format!("failed to parse file ({e})")).at_line(line)
        })?;
        if !more {
            break;
        }
        // The reader's position is where it started reading: skip the blank lines it ate.
        let (byte, line) = record
            .position()
            .map_or((0, 1), |p| (p.byte() as usize, p.line()));
        let skipped = text.as_bytes()[byte.min(text.len())..]
            .iter()
            .take_while(|&&b| b == b'\n')
            .count();
        last_start = byte + skipped;
        last_line = first_line + line - 1 + skipped as u64;
        // One UTF-8 check per record: fields split at ASCII bytes, so each field's range
        // is a character boundary of the whole.
        match std::str::from_utf8(record.as_slice()) {
            Ok(all) => builder.push(last_line, record.len(), |i| {
                record.range(i).and_then(|r| all.get(r)).unwrap_or_default()
            })?,
            Err(_) => builder.push(last_line, record.len(), |i| {
                std::str::from_utf8(record.get(i).unwrap_or_default()).unwrap_or("\u{fffd}")
            })?,
        }
    }
    if let Some(open) = unclosed_quote(&text.as_bytes()[last_start.min(text.len())..], delimiter) {
        let line = last_line + count_newlines(&text.as_bytes()[last_start..last_start + open]);
        return Err(Diagnostic::file_error(
            display,
            "failed to parse file (a quoted cell starts here and is never closed, so every line after it would be lost)",
        )
        .at_line(line)
        .hint("a cell that starts with `\"` must end with `\"`; remove the stray quote or close it"));
    }
    builder.finish()
}

fn count_newlines(b: &[u8]) -> u64 {
    b.iter().filter(|&&c| c == b'\n').count() as u64
}

/// The offset of the opening quote when `record` (the last record, to the end of the file)
/// ends inside a quoted field that spans lines; follows csv-core's rules (a quote opens a
/// quoted field only at the start of a field).
fn unclosed_quote(record: &[u8], delimiter: u8) -> Option<usize> {
    let mut i = 0;
    let mut field_start = true;
    while i < record.len() {
        let c = record[i];
        if c == b'"' && field_start {
            let open = i;
            i += 1;
            let mut closed = false;
            while i < record.len() {
                if record[i] == b'"' {
                    if record.get(i + 1) == Some(&b'"') {
                        i += 2;
                        continue;
                    }
                    closed = true;
                    break;
                }
                i += 1;
            }
            if !closed {
                return record[open..].contains(&b'\n').then_some(open);
            }
            field_start = false;
        } else if c == b'\n' {
            return None; // the record ended
        } else {
            field_start = c == delimiter;
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts the records it is given, and keeps the hint it had before the first.
    #[derive(Default)]
    struct Counted {
        expected: Option<usize>,
        records: usize,
    }

    impl Records for Counted {
        fn record(&mut self, _: &RawTable, _: &super::super::table::RawRow) {
            assert!(self.expected.is_some(), "the hint comes before the records");
            self.records += 1;
        }
        fn expect(&mut self, records: usize) {
            self.expected = Some(records);
        }
    }

    #[test]
    fn the_receiver_is_told_in_advance_how_many_records_can_come_at_most() {
        for text in [
            "a;b\n1;2\n3;4\n",
            "a;b\n1;2\n3;4",
            "a;b\r\n1;\"x\r\ny\"\r\n\r\n3;4\r\n",
            "a;b\n",
            "sep=;\na;b\n1;2\n",
        ] {
            let mut counted = Counted::default();
            read_into(
                "t.csv",
                Input::Bytes(text.as_bytes()),
                0,
                Some(&mut counted),
            )
            .unwrap();
            let hint = counted.expected.expect("a hint");
            // The header is a record too: the receiver sees the rows after it.
            assert!(
                hint > counted.records,
                "{text:?}: {hint} <= {}",
                counted.records
            );
            assert!(hint <= text.lines().count() + 1, "{text:?}: {hint}");
        }
    }

    #[test]
    fn delimiter_from_the_header_outside_quotes() {
        assert_eq!(detect_delimiter("a;b;c\n"), b';');
        assert_eq!(detect_delimiter("a\tb\tc\n"), b'\t');
        assert_eq!(detect_delimiter("a,b,c\n"), b',');
        assert_eq!(detect_delimiter("\"a;b;c\",d\n"), b',');
        assert_eq!(detect_delimiter("\"a\nb;c;d\",e\n"), b',');
        assert_eq!(detect_delimiter("navn\n"), b';');
        assert_eq!(detect_delimiter(""), b';');
    }

    #[test]
    fn ties_go_semicolon_then_tab_then_comma() {
        assert_eq!(detect_delimiter("a;b,c\n"), b';');
        assert_eq!(detect_delimiter("a\tb,c\n"), b'\t');
        assert_eq!(detect_delimiter("a;b\tc\n"), b';');
    }

    #[test]
    fn commas_in_question_texts_do_not_win_over_the_real_delimiter() {
        let text = "Hvor mange, omtrent, i snitt?;Svar\n1,5;ja\n2;nei\n";
        assert_eq!(detect_delimiter(text), b';');
        let tsv = "NR\tHvem, hva, hvor?\tA, B\n1\tx\ty\n";
        assert_eq!(detect_delimiter(tsv), b'\t');
    }

    #[test]
    fn unclosed_quotes_are_found_only_when_they_swallow_lines() {
        assert_eq!(unclosed_quote(b"1;\"abc\n2;3\n", b';'), Some(2));
        assert_eq!(unclosed_quote(b"1;\"abc", b';'), None);
        assert_eq!(unclosed_quote(b"1;\"a\"\"b\"\n", b';'), None);
        assert_eq!(unclosed_quote(b"1;5\"\n2", b';'), None);
    }
}
