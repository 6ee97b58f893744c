//! Excel workbooks (`.xlsx`) through calamine: one sheet into a [`RawTable`], each cell as
//! text the same value parsers read (data-contract §2 "XLSX").
//!
//! Cells become text as follows: text cells stay text (so `2,75` typed as text reaches
//! `parse_number` instead of being dropped by calamine's number helper); numbers are rounded
//! to the 15 significant digits Excel shows and written in their shortest form (`2.75`,
//! `12`); date cells become `yyyy-mm-dd`, or `yyyy-mm-ddTHH:MM:SS` when they carry a time
//! (rounded to the second); time-only cells `HH:MM:SS`; durations `H:MM:SS` (hours may pass
//! 24); booleans `true`/`false`; error cells their error text (`#DIV/0!`).

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use calamine::{Data, Reader, Xlsx};

use super::headers::normalize;
use super::table::{RawTable, TableBuilder};
use crate::diag::Diagnostic;

/// Read one sheet (the first unless `sheet` names one) of the workbook in `bytes`.
pub(crate) fn read(
    display: &str,
    bytes: &[u8],
    sheet: Option<&str>,
) -> Result<RawTable, Diagnostic> {
    // calamine is not known to panic on bad input, but the contract is "never panic", and
    // no panic text may reach the user either.
    match quiet_catch(|| read_inner(display, bytes, sheet)) {
        Ok(result) => result,
        Err(_) => Err(Diagnostic::file_error(
            display,
            "failed to read workbook (the file is damaged)",
        )
        .hint("open the file in Excel and save it again as .xlsx")),
    }
}

thread_local! {
    /// True while this thread runs inside [`quiet_catch`].
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Run `f`, catching a panic without printing it: the process-wide panic hook is wrapped once
/// so that it stays silent on a thread inside this function and prints as before elsewhere.
pub(crate) fn quiet_catch<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    result
}

fn read_inner(display: &str, bytes: &[u8], sheet: Option<&str>) -> Result<RawTable, Diagnostic> {
    if !bytes.starts_with(b"PK") {
        let mut d = Diagnostic::file_error(
            display,
            "failed to open workbook (the file is not an .xlsx workbook)",
        );
        d = if bytes.starts_with(b"\xD0\xCF\x11\xE0") {
            d.hint("this looks like an old .xls workbook; open it in Excel and save it as .xlsx")
        } else {
            d.hint("if this is a CSV file, give it the extension .csv")
        };
        return Err(d);
    }
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| {
        Diagnostic::file_error(
            display,
            format!("failed to open workbook ({})", lower_first(&e.to_string())),
        )
        .hint("open the file in Excel and save it again as .xlsx")
    })?;
    let names = wb.sheet_names();
    let name = match sheet {
        None => names.first().cloned().ok_or_else(|| {
            Diagnostic::file_error(display, "failed to read workbook (it has no sheets)")
        })?,
        Some(wanted) => names
            .iter()
            .find(|n| n.as_str() == wanted)
            .or_else(|| names.iter().find(|n| normalize(n) == normalize(wanted)))
            .cloned()
            .ok_or_else(|| {
                let list = sheet_list(&names);
                Diagnostic::file_error(
                    display,
                    format!(
                        "failed to find sheet `{}` (the workbook has {list})",
                        crate::diag::cell_text(wanted)
                    ),
                )
                .hint("set `ark` in the codebook to one of these sheet names")
            })?,
    };
    let cells = sheet_cells(display, &mut wb, &name)?;
    // The table starts at the leftmost column that holds anything (as calamine's range does).
    let first_col = cells.iter().map(|c| c.1).min().unwrap_or(0);
    let mut builder = TableBuilder::new(display);
    let mut row_cells: Vec<String> = Vec::new();
    let mut i = 0;
    while i < cells.len() {
        let row = cells[i].0;
        row_cells.clear();
        while i < cells.len() && cells[i].0 == row {
            let (_, col, text) = &cells[i];
            let col = (*col - first_col) as usize;
            if row_cells.len() <= col {
                row_cells.resize(col + 1, String::new());
            }
            // A cell given twice: the later one wins, as in Excel's own reading.
            row_cells[col].clone_from(text);
            i += 1;
        }
        builder.push(u64::from(row) + 1, row_cells.len(), |j| &row_cells[j])?;
    }
    builder.finish().map_err(|_| {
        let d = Diagnostic::file_error(
            display,
            format!(
                "failed to read sheet `{}` (it holds no header row, only empty cells)",
                crate::diag::cell_text(&name)
            ),
        );
        if names.len() > 1 {
            d.hint(format!(
                "if the data is on another sheet, set `ark` in the codebook to its name ({})",
                sheet_list(&names)
            ))
        } else {
            d.hint("export the data again with column names in the first row")
        }
    })
}

/// Excel's last row and column (1 048 576 rows, 16 384 columns `A`…`XFD`): a cell beyond
/// them is not a cell Excel can have written.
const MAX_ROWS: u32 = 1_048_576;
const MAX_COLUMNS: u32 = 16_384;

/// The most cells the table may hold after padding every row to the header's width, in
/// proportion to the cells the sheet really holds (a sparse survey export pads a lot), and
/// never less than this floor. Above it the sheet is refused rather than padded into memory.
const PADDED_FLOOR: u64 = 4_000_000;
const PADDED_PER_CELL: u64 = 64;

/// The non-empty cells of sheet `name` as `(row, column, text)`, sorted by position, read one
/// at a time: never a dense range over the sheet's claimed extent (a single stray cell at
/// `XFD1048576` would ask for hundreds of gigabytes). Refuses a sheet with a cell beyond
/// Excel's limits, or one whose padded table would be absurdly larger than its content.
fn sheet_cells<RS: std::io::Read + std::io::Seek>(
    display: &str,
    wb: &mut Xlsx<RS>,
    name: &str,
) -> Result<Vec<(u32, u32, String)>, Diagnostic> {
    let damaged = |e: &dyn std::fmt::Display| {
        Diagnostic::file_error(
            display,
            format!(
                "failed to read sheet `{}` ({})",
                crate::diag::cell_text(name),
                lower_first(&e.to_string())
            ),
        )
        .hint("open the file in Excel and save it again as .xlsx")
    };
    let mut reader = match wb.worksheet_cells_reader(name) {
        Ok(r) => r,
        // A chart sheet: no cells (then "holds no header row").
        Err(calamine::XlsxError::NotAWorksheet(_)) => return Ok(Vec::new()),
        Err(e) => return Err(damaged(&e)),
    };
    let mut cells: Vec<(u32, u32, String)> = Vec::new();
    while let Some(cell) = reader.next_cell().map_err(|e| damaged(&e))? {
        let (row, col) = cell.get_position();
        let data = Data::from(cell.get_value().clone());
        let text = cell_text(&data);
        if text.is_empty() {
            continue;
        }
        if row >= MAX_ROWS || col >= MAX_COLUMNS {
            return Err(Diagnostic::file_error(
                display,
                format!(
                    "failed to read sheet `{}` (a cell lies beyond Excel's last cell `XFD1048576`; the file was not written by Excel or is damaged)",
                    crate::diag::cell_text(name)
                ),
            )
            .hint("open the file in Excel and save it again as .xlsx"));
        }
        cells.push((row, col, text));
    }
    drop(reader);
    // Stable: of a cell given twice, the later stays later (and wins).
    cells.sort_by_key(|&(r, c, _)| (r, c));
    // Rows are padded to the header's width (the first row holding anything), from the
    // leftmost column that holds anything.
    let first_col = cells.iter().map(|c| c.1).min().unwrap_or(0);
    let mut padded: u64 = 0;
    let mut header_width: Option<u64> = None;
    let mut i = 0;
    while i < cells.len() {
        let row = cells[i].0;
        let mut width = 0;
        while i < cells.len() && cells[i].0 == row {
            width = u64::from(cells[i].1 - first_col) + 1;
            i += 1;
        }
        match header_width {
            None => header_width = Some(width),
            Some(h) => padded += h.max(width),
        }
    }
    let limit = PADDED_FLOOR.max(PADDED_PER_CELL * cells.len() as u64);
    if padded > limit {
        let (last_row, _, _) = cells.last().cloned().unwrap_or_default();
        let last_col = cells.iter().map(|c| c.1).max().unwrap_or(0);
        return Err(Diagnostic::file_error(
            display,
            format!(
                "failed to read sheet `{}` (it holds {} cells spread over {} rows and {} columns: the table would be mostly empty cells)",
                crate::diag::cell_text(name),
                cells.len(),
                last_row + 1,
                last_col + 1
            ),
        )
        .hint("delete the stray cells to the right of and below the table in Excel, then save again"));
    }
    Ok(cells)
}

fn sheet_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{}`", crate::diag::cell_text(n)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// calamine's messages start with a capital; ours are lowercase.
fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// One cell as text, by the rules in the module docs.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => b.to_string(),
        Data::Error(e) => e.to_string(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::DateTime(dt) => {
            let serial = dt.as_f64();
            if dt.is_duration() || (0.0..1.0).contains(&serial) {
                duration_text(serial)
            } else {
                match dt.as_datetime() {
                    Some(t) => datetime_text(t),
                    None => number_text(serial),
                }
            }
        }
    }
}

/// A number rounded to 15 significant digits, in its shortest form (`2.75`, `12`, `0`).
pub(crate) fn number_text(f: f64) -> String {
    if !f.is_finite() {
        return f.to_string();
    }
    let rounded: f64 = format!("{f:.14e}").parse().unwrap_or(f);
    if rounded == 0.0 {
        return "0".to_string();
    }
    rounded.to_string()
}

/// A date, with the time when it is not midnight, rounded to the second.
fn datetime_text(t: chrono::NaiveDateTime) -> String {
    use chrono::Timelike;
    let t = if t.nanosecond() >= 500_000_000 {
        t.with_nanosecond(0).unwrap_or(t) + chrono::Duration::seconds(1)
    } else {
        t.with_nanosecond(0).unwrap_or(t)
    };
    if t.time() == chrono::NaiveTime::MIN {
        t.format("%Y-%m-%d").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S").to_string()
    }
}

/// A fraction of days as `H:MM:SS` (hours zero-padded to two digits), rounded to the second.
fn duration_text(days: f64) -> String {
    let secs = (days * 86_400.0).round();
    if !secs.is_finite() || secs.abs() > 1e12 {
        return number_text(days);
    }
    let sign = if secs < 0.0 { "-" } else { "" };
    let s = secs.abs() as u64;
    format!("{sign}{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_shortest_at_excel_precision() {
        assert_eq!(number_text(2.75), "2.75");
        assert_eq!(number_text(12.0), "12");
        assert_eq!(number_text(-0.0), "0");
        assert_eq!(number_text(0.1 + 0.2), "0.3");
        assert_eq!(number_text(2.7499999999999996), "2.75");
        assert_eq!(number_text(1234567.125), "1234567.125");
        assert_eq!(number_text(1e-7), "0.0000001");
    }

    #[test]
    fn times_and_durations() {
        assert_eq!(duration_text(0.5), "12:00:00");
        assert_eq!(duration_text(1.25), "30:00:00");
        assert_eq!(duration_text(0.000_011_574), "00:00:01");
    }
}
