//! Delimited-file writers in the dialects the secretariat's tools produce, streaming row by row.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::Context;

/// Text encoding of a written file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enc {
    /// UTF-8 without BOM.
    Utf8,
    /// UTF-8 with BOM (Excel "CSV UTF-8").
    Utf8Bom,
    /// Windows-1252 (Excel "CSV" on Norwegian Windows).
    Win1252,
    /// UTF-16 LE with BOM (Excel "Unicode text").
    Utf16Le,
}

/// One delimited output file.
pub struct TableWriter {
    w: BufWriter<File>,
    enc: Enc,
    delim: char,
    eol: &'static str,
    line: String,
    bytes: Vec<u8>,
    /// Data rows written so far (the header not counted).
    pub rows: u64,
}

impl TableWriter {
    /// Create `path` (and its parent folders) and write the BOM, if any.
    pub fn create(path: &Path, enc: Enc, delim: char, crlf: bool) -> anyhow::Result<TableWriter> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let f = File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let mut w = BufWriter::with_capacity(1 << 16, f);
        match enc {
            Enc::Utf8Bom => w.write_all(b"\xEF\xBB\xBF")?,
            Enc::Utf16Le => w.write_all(b"\xFF\xFE")?,
            Enc::Utf8 | Enc::Win1252 => {}
        }
        Ok(TableWriter {
            w,
            enc,
            delim,
            eol: if crlf { "\r\n" } else { "\n" },
            line: String::with_capacity(256),
            bytes: Vec::with_capacity(512),
            rows: 0,
        })
    }

    /// Write the header line.
    pub fn header<S: AsRef<str>>(&mut self, fields: &[S]) -> anyhow::Result<()> {
        self.record(fields)?;
        self.rows = 0;
        Ok(())
    }

    /// Write one record, quoting fields that need it (RFC 4180).
    pub fn record<S: AsRef<str>>(&mut self, fields: &[S]) -> anyhow::Result<()> {
        self.line.clear();
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                self.line.push(self.delim);
            }
            let f = f.as_ref();
            if f.contains(self.delim) || f.contains('"') || f.contains('\n') || f.contains('\r') {
                self.line.push('"');
                self.line.push_str(&f.replace('"', "\"\""));
                self.line.push('"');
            } else {
                self.line.push_str(f);
            }
        }
        self.line.push_str(self.eol);
        self.flush_line()?;
        self.rows += 1;
        Ok(())
    }

    fn flush_line(&mut self) -> anyhow::Result<()> {
        match self.enc {
            Enc::Utf8 | Enc::Utf8Bom => self.w.write_all(self.line.as_bytes())?,
            Enc::Win1252 => {
                let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&self.line);
                anyhow::ensure!(
                    !unmappable,
                    "not representable in Windows-1252: {}",
                    self.line
                );
                self.w.write_all(&bytes)?;
            }
            Enc::Utf16Le => {
                self.bytes.clear();
                for u in self.line.encode_utf16() {
                    self.bytes.extend_from_slice(&u.to_le_bytes());
                }
                self.w.write_all(&self.bytes)?;
            }
        }
        Ok(())
    }

    /// Flush and close.
    pub fn finish(mut self) -> anyhow::Result<u64> {
        self.w.flush()?;
        Ok(self.rows)
    }
}

/// Write a whole text file as UTF-8, creating parent folders.
pub fn write_text(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// A number with a decimal comma, `decimals` places.
pub fn comma(x: f64, decimals: usize) -> String {
    format!("{x:.decimals$}").replace('.', ",")
}

/// A date as `dd.mm.yyyy`.
pub fn dmy(d: chrono::NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

/// A date as `yyyy-mm-dd`.
pub fn iso(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// A typed XLSX cell.
#[derive(Debug, Clone)]
pub enum Cell {
    /// Text.
    S(String),
    /// A number.
    N(f64),
    /// A date shown as `dd.mm.yyyy`.
    D(chrono::NaiveDate),
    /// A date and time shown as `dd.mm.yyyy hh:mm`.
    T(chrono::NaiveDateTime),
    /// Nothing.
    Blank,
}

fn excel_dt(t: chrono::NaiveDateTime) -> anyhow::Result<rust_xlsxwriter::ExcelDateTime> {
    use chrono::{Datelike, Timelike};
    Ok(
        rust_xlsxwriter::ExcelDateTime::from_ymd(t.year() as u16, t.month() as u8, t.day() as u8)?
            .and_hms(t.hour() as u16, t.minute() as u8, t.second())?,
    )
}

/// Write a one-sheet workbook with a header row; every time-dependent part is fixed to
/// `created`, so the bytes depend only on the content.
pub fn write_xlsx(
    path: &Path,
    sheet: &str,
    header: &[&str],
    rows: &[Vec<Cell>],
    created: chrono::NaiveDateTime,
) -> anyhow::Result<()> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut wb = Workbook::new();
    let props = DocProperties::new()
        .set_author("tsb-report sample")
        .set_creation_datetime(&excel_dt(created)?);
    wb.set_properties(&props);
    let date_fmt = Format::new().set_num_format("dd.mm.yyyy");
    let time_fmt = Format::new().set_num_format("dd.mm.yyyy hh:mm");
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name(sheet)?;
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
        ws.set_column_width(c as u16, (h.chars().count().clamp(8, 40) + 2) as f64)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::S(s) => {
                    ws.write_string(r, c, s)?;
                }
                Cell::N(x) => {
                    ws.write_number(r, c, *x)?;
                }
                Cell::D(d) => {
                    let dt: ExcelDateTime = excel_dt(d.and_hms_opt(0, 0, 0).expect("midnight"))?;
                    ws.write_datetime_with_format(r, c, &dt, &date_fmt)?;
                }
                Cell::T(t) => {
                    ws.write_datetime_with_format(r, c, &excel_dt(*t)?, &time_fmt)?;
                }
                Cell::Blank => {}
            }
        }
    }
    wb.save(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
