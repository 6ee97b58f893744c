//! Tests: ingest. Every accepted dialect and every file error, from fixture folders under
//! `tests/fixtures/ingest/<case>/` (the input file; its rendering is the snapshot
//! `tests/fixtures/ingest/snapshots/<case>.snap`), a Microsoft Forms
//! workbook built here, and property tests that nothing is lost and nothing panics.

use std::fmt::Write as _;
use std::path::PathBuf;

use proptest::prelude::*;
use tsb_report::diag::{self, DiagnosticFormat};
use tsb_report::ingest::{
    self, Dialect, Encoding, Format, RawTable, pii, read_table, read_table_with_dialect,
};

fn fixtures() -> PathBuf {
    crate::support::fixture("ingest")
}

/// The table as the snapshot shows it: dialect, header and rows with their lines.
fn render_table(table: &RawTable, dialect: Option<Dialect>) -> String {
    let mut out = String::new();
    if let Some(d) = dialect {
        let _ = writeln!(
            out,
            "encoding: {}, delimiter: {:?}",
            d.encoding, d.delimiter
        );
    }
    let _ = writeln!(
        out,
        "header (line {}): {:?}",
        table.header_line, table.headers
    );
    for row in &table.rows {
        let _ = writeln!(out, "line {}: {:?}", row.line, row.fields);
    }
    out
}

/// Read `tests/fixtures/ingest/<case>/input.*` and render the table or the diagnostic.
fn read_case(
    case: &str,
) -> (
    String,
    Result<(RawTable, Option<Dialect>), diag::Diagnostic>,
) {
    let dir = fixtures().join(case);
    let input = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_stem().is_some_and(|s| s == "input"))
        .unwrap_or_else(|| panic!("no input file in {}", dir.display()));
    let ext = input.extension().unwrap().to_str().unwrap();
    let bytes = std::fs::read(&input).unwrap();
    let format = Format::from_extension(ext).unwrap();
    let display = format!("data/{case}.{ext}");
    let result = read_table_with_dialect(&display, &bytes, format, None);
    let text = match &result {
        Ok((t, d)) => render_table(t, *d),
        Err(d) => diag::render(std::slice::from_ref(d), DiagnosticFormat::Human),
    };
    (text, result)
}

/// Compare a case's rendering with `snapshots/<case>.snap`.
fn snapshot(case: &str, text: &str) {
    crate::support::assert_snapshot("ingest", case, text);
}

fn table_case(case: &str) -> RawTable {
    let (text, result) = read_case(case);
    snapshot(case, &text);
    result.unwrap_or_else(|d| panic!("{case}: {d:?}")).0
}

fn error_case(case: &str) -> diag::Diagnostic {
    let (text, result) = read_case(case);
    snapshot(case, &text);
    let d = result.expect_err(case);
    assert_eq!(d.severity, diag::Severity::FileError);
    assert!(d.message.starts_with("failed to "), "{}", d.message);
    d
}

// ---- dialects ------------------------------------------------------------------------------

#[test]
fn reads_a_nettskjema_tsv_export_with_checkbox_columns() {
    let t = table_case("nettskjema_tsv");
    assert_eq!(t.headers.len(), 10);
    assert_eq!(t.headers[6], "Hvilke tiltak, om noen, har dere prøvd?_1");
    assert_eq!(t.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3, 4]);
    assert_eq!(t.rows[1].fields[2], "03.02.2025 10:01");
    let when = ingest::values::parse_datetime(&t.rows[1].fields[2])
        .unwrap()
        .unwrap();
    assert_eq!(when.to_string(), "2025-02-03 10:01:00");
}

#[test]
fn reads_an_excel_semicolon_csv_in_windows_1252_with_crlf_and_trailing_semicolons() {
    let t = table_case("excel_semicolon_windows1252");
    assert_eq!(t.headers.len(), 7);
    assert_eq!(t.headers[4], "budsjetterte_årsverk");
    // The `;;;;` line 4 and the empty line 5 are skipped; line 6 keeps its own number.
    assert_eq!(t.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3, 6]);
    assert_eq!(t.rows[1].fields[2], "Døgnenhet Ålesund");
    assert!(t.rows.iter().all(|r| r.fields.len() == 7));
    assert_eq!(
        ingest::values::parse_number(&t.rows[2].fields[4]),
        Ok(Some(1234.5))
    );
    assert_eq!(
        ingest::values::parse_number(&t.rows[0].fields[6]),
        Ok(Some(7.2))
    );
}

#[test]
fn reads_excel_unicode_text_in_utf16_le() {
    let t = table_case("utf16le_unicode_text");
    assert_eq!(t.rows.len(), 2);
    assert_eq!(t.rows[0].fields[3], "LAR-oppfølging");
    assert_eq!(t.rows[1].line, 3);
}

#[test]
fn reads_utf16_be() {
    let t = table_case("utf16be");
    assert_eq!(t.rows[0].fields, ["06.01.2025", "LAR Ålesund", "15"]);
}

#[test]
fn reports_records_with_quoted_newlines_at_the_line_where_they_start() {
    let t = table_case("quoted_newlines");
    assert_eq!(
        t.rows.iter().map(|r| r.line).collect::<Vec<_>>(),
        [2, 5, 6, 9]
    );
    assert_eq!(
        t.rows[0].fields[1],
        "Første linje\nandre linje\ntredje linje"
    );
    assert_eq!(t.rows[1].fields[1], "Han sa \"hei\"; og gikk");
    assert_eq!(t.rows[2].fields[1], "Windows\nlinjeskift");
    assert_eq!(
        ingest::values::parse_number(&t.rows[2].fields[2]),
        Ok(Some(-2.0))
    );
}

#[test]
fn reads_utf8_with_bom_crlf_leading_blank_lines_and_trailing_semicolons() {
    let t = table_case("utf8_bom_crlf_trailing_semicolons");
    assert_eq!(t.header_line, 3);
    assert_eq!(t.headers, ["yrke_id", "navn", "nivå", "ny_yrkesgruppe"]);
    assert_eq!(t.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [4, 5]);
}

#[test]
fn reads_a_comma_csv_with_quoted_commas() {
    let t = table_case("comma_questback");
    assert_eq!(t.headers.len(), 4);
    assert_eq!(t.rows[0].fields[2], "12,5 %");
    assert_eq!(t.rows[1].fields[3], "HMR-POL, Molde");
}

#[test]
fn follows_an_excel_sep_line() {
    let t = table_case("excel_sep_line");
    assert_eq!(t.header_line, 2);
    assert_eq!(t.rows[0].line, 3);
}

#[test]
fn keeps_rows_with_extra_fields_whole_and_pads_short_rows() {
    let t = table_case("ragged_rows");
    let fields: Vec<Vec<&str>> = t
        .rows
        .iter()
        .map(|r| r.fields.iter().map(|f| f.as_str()).collect())
        .collect();
    assert_eq!(fields[1], ["4", "5", ""]);
    assert_eq!(fields[2], ["6", "7", "8", "9"]);
    assert_eq!(fields[3], ["10", "11", "12"]);
    assert_eq!(fields[4], ["13", "", ""]);
}

#[test]
fn counts_lone_carriage_returns_as_line_ends() {
    let t = table_case("lone_cr_line_ends");
    assert_eq!(t.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 4]);
}

#[test]
fn trims_cells_and_keeps_an_unnamed_column_between_named_ones() {
    let t = table_case("whitespace_and_unnamed_column");
    assert_eq!(t.headers, ["navn", "", "alder"]);
    assert_eq!(t.rows[0].fields, ["Ola", "x", "42"]);
}

// ---- file errors ---------------------------------------------------------------------------

#[test]
fn fails_when_the_file_is_empty() {
    error_case("empty_file");
}

#[test]
fn fails_when_the_file_holds_only_blank_lines() {
    error_case("only_blank_lines");
}

#[test]
fn fails_when_two_headers_are_the_same_after_normalisation() {
    let d = error_case("duplicate_header");
    assert!(d.message.contains("`E-post`") && d.message.contains("`e_post`"));
    assert_eq!(d.line, Some(1));
}

#[test]
fn fails_when_a_header_is_repeated_exactly() {
    error_case("duplicate_header_identical");
}

#[test]
fn fails_at_the_line_of_a_quote_that_is_never_closed() {
    let d = error_case("unclosed_quote");
    assert_eq!(d.line, Some(3));
}

#[test]
fn fails_at_the_line_of_bytes_that_break_a_utf8_bom_file() {
    let d = error_case("broken_utf8_after_bom");
    assert_eq!(d.line, Some(3));
}

#[test]
fn fails_at_the_line_of_a_broken_utf16_character() {
    let d = error_case("broken_utf16");
    assert_eq!(d.line, Some(2));
}

#[test]
fn fails_with_a_hint_when_a_csv_is_named_xlsx() {
    error_case("csv_named_xlsx");
}

#[test]
fn fails_with_a_hint_when_an_old_xls_workbook_is_named_xlsx() {
    error_case("old_xls_workbook");
}

#[test]
fn fails_when_the_workbook_is_damaged() {
    error_case("damaged_xlsx");
}

// ---- Microsoft Forms workbook --------------------------------------------------------------

/// A Microsoft Forms export: a title-less sheet "Sheet1" after an empty first row, typed
/// cells, a blank row, a formatted empty column at the right, and a second sheet "Svar".
fn forms_workbook() -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Formula, Workbook};
    let mut wb = Workbook::new();
    let date_fmt = rust_xlsxwriter::Format::new().set_num_format("dd.mm.yyyy hh:mm");
    let day_fmt = rust_xlsxwriter::Format::new().set_num_format("dd.mm.yyyy");
    let ws = wb.add_worksheet();
    ws.set_name("Sheet1").unwrap();
    let headers = [
        "ID",
        "Starttidspunkt",
        "Fullføringstidspunkt",
        "E-postadresse",
        "Navn",
        "Hvor mange årsverk har enheten?",
        "Snittskår",
        "Hvilke tiltak har dere prøvd?",
        "Samtykker du?",
        "Andel",
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(1, c as u16, *h).unwrap();
    }
    let start = ExcelDateTime::from_ymd(2025, 2, 3)
        .unwrap()
        .and_hms(9, 14, 0)
        .unwrap();
    let end = ExcelDateTime::from_ymd(2025, 2, 3)
        .unwrap()
        .and_hms(9, 20, 30)
        .unwrap();
    let day = ExcelDateTime::from_ymd(2025, 2, 4).unwrap();
    // Row 3 (index 2).
    ws.write_number(2, 0, 1.0).unwrap();
    ws.write_datetime_with_format(2, 1, &start, &date_fmt)
        .unwrap();
    ws.write_datetime_with_format(2, 2, &end, &date_fmt)
        .unwrap();
    ws.write_string(2, 3, "ola@example.no").unwrap();
    ws.write_string(2, 4, "Ola Nordmann").unwrap();
    ws.write_number(2, 5, 12.0).unwrap();
    ws.write_string(2, 6, "2,75").unwrap();
    ws.write_string(2, 7, "Oppgavedeling;Nye roller;").unwrap();
    ws.write_boolean(2, 8, true).unwrap();
    ws.write_formula(2, 9, Formula::new("=1/0").set_result("#DIV/0!"))
        .unwrap();
    // Row 4 is empty; row 5 (index 4).
    ws.write_number(4, 0, 2.0).unwrap();
    ws.write_datetime_with_format(4, 1, &day, &day_fmt).unwrap();
    ws.write_number(4, 5, 2.75).unwrap();
    ws.write_number(4, 6, 0.1 + 0.2).unwrap();
    ws.write_string(4, 7, "  Nye roller  ").unwrap();
    ws.write_boolean(4, 8, false).unwrap();
    // A formatted but empty column far to the right.
    ws.write_blank(4, 14, &day_fmt).unwrap();
    let svar = wb.add_worksheet();
    svar.set_name("Svar").unwrap();
    svar.write_string(0, 0, "NR").unwrap();
    svar.write_string(0, 1, "q1").unwrap();
    svar.write_number(1, 0, 7.0).unwrap();
    svar.write_string(1, 1, "Enig").unwrap();
    wb.save_to_buffer().unwrap()
}

#[test]
fn reads_a_microsoft_forms_workbook_with_typed_cells() {
    let bytes = forms_workbook();
    let t = read_table("data/forms.xlsx", &bytes, Format::Xlsx, None).unwrap();
    snapshot("forms_workbook", &render_table(&t, None));
    assert_eq!(t.header_line, 2);
    assert_eq!(t.headers.len(), 10);
    assert_eq!(t.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [3, 5]);
    let r = &t.rows[0].fields;
    assert_eq!(r[1], "2025-02-03T09:14:00");
    assert_eq!(r[5], "12");
    assert_eq!(r[6], "2,75");
    assert_eq!(ingest::values::parse_number(&r[6]), Ok(Some(2.75)));
    assert_eq!(r[8], "true");
    assert_eq!(r[9], "#DIV/0!");
    let r = &t.rows[1].fields;
    assert_eq!(r[1], "2025-02-04");
    assert_eq!(r[5], "2.75");
    assert_eq!(r[6], "0.3");
    assert_eq!(r[7], "Nye roller");
    assert_eq!(r.len(), 10);
}

#[test]
fn reads_the_sheet_the_codebook_names() {
    let bytes = forms_workbook();
    let t = read_table("data/forms.xlsx", &bytes, Format::Xlsx, Some("Svar")).unwrap();
    assert_eq!(t.headers, ["NR", "q1"]);
    assert_eq!(t.rows[0].fields, ["7", "Enig"]);
    assert_eq!(t.rows[0].line, 2);
    // Sheet names match like headers when there is no exact match.
    let t2 = read_table("data/forms.xlsx", &bytes, Format::Xlsx, Some(" svar ")).unwrap();
    assert_eq!(t, t2);
}

#[test]
fn fails_listing_the_sheets_when_the_named_sheet_is_missing() {
    let bytes = forms_workbook();
    let d = read_table("data/forms.xlsx", &bytes, Format::Xlsx, Some("Svarark")).unwrap_err();
    snapshot(
        "unknown_sheet",
        &diag::render(&[d], DiagnosticFormat::Human),
    );
}

#[test]
fn gives_sheet_row_numbers_when_the_table_starts_below_and_to_the_right() {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(4, 2, "enhet").unwrap();
    ws.write_string(4, 3, "minutter").unwrap();
    ws.write_string(6, 2, "LAR Trondheim").unwrap();
    ws.write_number(6, 3, 30.0).unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let t = read_table("data/a.xlsx", &bytes, Format::Xlsx, None).unwrap();
    assert_eq!(t.header_line, 5);
    assert_eq!(t.headers, ["enhet", "minutter"]);
    assert_eq!(t.rows.len(), 1);
    assert_eq!(t.rows[0].line, 7);
    assert_eq!(t.rows[0].fields, ["LAR Trondheim", "30"]);
}

#[test]
fn fails_when_the_first_sheet_is_empty() {
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.add_worksheet().set_name("Ark1").unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let d = read_table("data/a.xlsx", &bytes, Format::Xlsx, None).unwrap_err();
    snapshot("empty_sheet", &diag::render(&[d], DiagnosticFormat::Human));
}

#[test]
fn fails_when_a_workbook_header_repeats_a_column() {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "Navn").unwrap();
    ws.write_string(0, 1, "NAVN ").unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let d = read_table("data/a.xlsx", &bytes, Format::Xlsx, None).unwrap_err();
    assert_eq!(d.line, Some(1));
    assert!(
        d.message.contains("`Navn`") && d.message.contains("`NAVN`"),
        "{}",
        d.message
    );
}

// ---- personal data -------------------------------------------------------------------------

/// Complete nine digits into a valid identity number, if control digits exist.
fn complete(nine: &[u8; 9]) -> Option<String> {
    let w1 = [3u32, 7, 6, 1, 8, 9, 4, 5, 2];
    let w2 = [5u32, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    let k = |d: &[u32], w: &[u32]| match 11 - d.iter().zip(w).map(|(a, b)| a * b).sum::<u32>() % 11
    {
        11 => Some(0),
        10 => None,
        k => Some(k),
    };
    let mut d: Vec<u32> = nine.iter().map(|b| u32::from(b - b'0')).collect();
    let k1 = k(&d, &w1)?;
    d.push(k1);
    let k2 = k(&d, &w2)?;
    d.push(k2);
    Some(d.iter().map(|x| char::from(b'0' + *x as u8)).collect())
}

fn valid_number(birth: &str) -> String {
    (0..1000u32)
        .find_map(|n| {
            let nine: [u8; 9] = format!("{birth}{n:03}").into_bytes().try_into().unwrap();
            complete(&nine)
        })
        .unwrap()
}

#[test]
fn finds_a_fodselsnummer_and_a_d_nummer_without_echoing_them() {
    let fnr = valid_number("240587"); // 24.05.1987
    let dnr = valid_number("640587"); // D-nummer: first digit + 4
    for (number, column) in [(&fnr, "Kommentar"), (&dnr, "Kommentar")] {
        let csv = format!("NR;Kommentar\n1;ok\n\n2;ring meg på {number} takk\n");
        let t = read_table("data/x.csv", csv.as_bytes(), Format::Delimited, None).unwrap();
        let found = pii::find_identity_number(&t).unwrap();
        assert_eq!(found, (4, column.to_string()));
        assert!(!format!("{found:?}").contains(number.as_str()));
    }
}

#[test]
fn does_not_flag_longer_runs_or_bad_control_digits() {
    let fnr = valid_number("240587");
    let mut bad = fnr.clone().into_bytes();
    bad[10] = b'0' + (bad[10] - b'0' + 1) % 10;
    let bad = String::from_utf8(bad).unwrap();
    let csv = format!("NR;Konto\n1;{fnr}9\n2;{bad}\n3;9{fnr}\n");
    let t = read_table("data/x.csv", csv.as_bytes(), Format::Delimited, None).unwrap();
    assert_eq!(pii::find_identity_number(&t), None);
}

#[test]
fn finds_an_identity_number_in_a_header_by_position() {
    let fnr = valid_number("010203");
    let csv = format!("NR;{fnr}\n1;2\n");
    let t = read_table("data/x.csv", csv.as_bytes(), Format::Delimited, None).unwrap();
    assert_eq!(pii::find_identity_number(&t), Some((1, "#2".to_string())));
}

// ---- properties ----------------------------------------------------------------------------

/// One generated file: how to write it and what reading it must give.
#[derive(Debug, Clone)]
struct Written {
    bytes: Vec<u8>,
    headers: Vec<String>,
    /// (line, trimmed fields) of every non-blank record.
    rows: Vec<(u64, Vec<String>)>,
    encoding: Encoding,
    delimiter: char,
}

fn quote(cell: &str, delimiter: char, force: bool) -> String {
    if force || cell.contains([delimiter, '"', '\n']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_string()
    }
}

prop_compose! {
    fn written()(
        ncols in 2usize..6,
        header_words in prop::collection::vec("[a-zæøå]{1,8}", 6),
        cells in prop::collection::vec(
            prop::collection::vec("[a-zA-Z0-9æøåÆØÅé ,;\t\".%\n-]{0,10}", 6), 0..8),
        blank_after in prop::collection::vec(0usize..3, 9),
        forced in prop::collection::vec(any::<bool>(), 64),
        delimiter in prop::sample::select(vec![';', '\t', ',']),
        encoding in prop::sample::select(vec![
            Encoding::Utf8, Encoding::Utf8Bom, Encoding::Utf16Le, Encoding::Utf16Be,
            Encoding::Windows1252,
        ]),
        ending in prop::sample::select(vec!["\n", "\r\n", "\r"]),
        trailing in 0usize..4,
        leading_blank in 0usize..3,
    ) -> Written {
        let headers: Vec<String> =
            (0..ncols).map(|i| format!("{} {i}", header_words[i])).collect();
        let mut text = String::new();
        let mut line = 1u64;
        for _ in 0..leading_blank {
            text.push_str(ending);
            line += 1;
        }
        let mut records: Vec<Vec<String>> = vec![headers.clone()];
        records.extend(cells.iter().map(|r| r[..ncols].to_vec()));
        let mut rows = Vec::new();
        let mut f = forced.iter().cycle();
        for (i, rec) in records.iter().enumerate() {
            let parts: Vec<String> =
                rec.iter().map(|c| quote(c, delimiter, *f.next().unwrap())).collect();
            text.push_str(&parts.join(&delimiter.to_string()));
            for _ in 0..trailing {
                text.push(delimiter);
            }
            text.push_str(ending);
            let trimmed: Vec<String> = rec.iter().map(|c| c.trim().to_string()).collect();
            if i > 0 && trimmed.iter().any(|c| !c.is_empty()) {
                rows.push((line, trimmed));
            }
            line += 1 + rec.iter().map(|c| c.matches('\n').count() as u64).sum::<u64>();
            for b in 0..blank_after[i % blank_after.len()] {
                // An empty line, a line of spaces, or a line of delimiters only.
                let blank = match b { 0 => String::new(), 1 => "  ".into(), _ => delimiter.to_string().repeat(ncols) };
                text.push_str(&blank);
                text.push_str(ending);
                line += 1;
            }
        }
        let bytes = match encoding {
            Encoding::Utf8 => text.clone().into_bytes(),
            Encoding::Utf8Bom => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
            Encoding::Utf16Le => [b"\xFF\xFE".to_vec(), text.encode_utf16().flat_map(u16::to_le_bytes).collect()].concat(),
            Encoding::Utf16Be => [b"\xFE\xFF".to_vec(), text.encode_utf16().flat_map(u16::to_be_bytes).collect()].concat(),
            Encoding::Windows1252 => encoding_rs::WINDOWS_1252.encode(&text).0.into_owned(),
        };
        let encoding = if encoding == Encoding::Windows1252 && text.is_ascii() { Encoding::Utf8 } else { encoding };
        Written { bytes, headers, rows, encoding, delimiter }
    }
}

/// What an independent reading with the csv crate alone finds: the non-empty trimmed cells
/// of every record after the first non-blank one.
fn independent_cells(bytes: &[u8], delimiter: char) -> Vec<Vec<String>> {
    let (text, _) = ingest::decode::decode(bytes).unwrap();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter as u8)
        .from_reader(text.as_bytes());
    let records: Vec<Vec<String>> = rdr
        .records()
        .map(|r| {
            r.unwrap()
                .iter()
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect::<Vec<_>>()
        })
        .filter(|r: &Vec<String>| !r.is_empty())
        .collect();
    records.into_iter().skip(1).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_written_record_is_read_back_with_its_line(w in written()) {
        let (t, d) = read_table_with_dialect("data/p.csv", &w.bytes, Format::Delimited, None)
            .map_err(|d| TestCaseError::fail(format!("{d:?}")))?;
        let d = d.unwrap();
        prop_assert_eq!(d.delimiter, w.delimiter);
        prop_assert_eq!(d.encoding, w.encoding);
        prop_assert_eq!(&t.headers, &w.headers);
        let got: Vec<(u64, Vec<String>)> =
            t.rows.iter().map(|r| (r.line, r.fields.iter().map(|f| f.to_string()).collect())).collect();
        prop_assert_eq!(got, w.rows);
    }

    #[test]
    fn mutated_files_never_panic_and_lose_nothing_when_read(
        w in written(),
        edits in prop::collection::vec((0u8..3, any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let mut bytes = w.bytes.clone();
        for (kind, at, byte) in edits {
            match kind {
                0 => { let i = at.index(bytes.len() + 1); bytes.insert(i, byte); }
                1 if !bytes.is_empty() => { let i = at.index(bytes.len()); bytes.remove(i); }
                _ if !bytes.is_empty() => { let i = at.index(bytes.len()); bytes[i] ^= 1 << (byte % 8); }
                _ => {}
            }
        }
        let Ok((t, d)) = read_table_with_dialect("data/p.csv", &bytes, Format::Delimited, None) else {
            return Ok(());
        };
        let d = d.unwrap();
        let mut last = t.header_line;
        for r in &t.rows {
            prop_assert!(r.line > last, "lines must increase");
            prop_assert!(r.fields.len() >= t.headers.len());
            last = r.line;
        }
        // A mutation may have made an Excel `sep=` line; the independent reading skips it.
        let (text, _) = ingest::decode::decode(&bytes).unwrap();
        prop_assume!(!text.trim_start().starts_with("sep="));
        let expected = independent_cells(&bytes, d.delimiter);
        let got: Vec<Vec<String>> = t.rows.iter()
            .map(|r| r.fields.iter().filter(|c| !c.is_empty()).map(|c| c.to_string()).collect())
            .collect();
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = read_table("data/p.csv", &bytes, Format::Delimited, None);
        let _ = read_table("data/p.xlsx", &bytes, Format::Xlsx, None);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn mutated_workbooks_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = forms_workbook();
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] ^= byte | 1;
        }
        let _ = read_table("data/forms.xlsx", &bytes, Format::Xlsx, None);
    }
}

// ---- workbooks that claim a huge extent (issue 11, item 1) ---------------------------------

/// A data folder whose staffing export is the fixture workbook `case`.
fn staffing_workbook_project(case: &str) -> crate::support::Project {
    let bytes = std::fs::read(fixtures().join(case).join("input.xlsx")).unwrap();
    crate::support::Project::new(case)
        .reference()
        .file("data/bemanning/2025.xlsx", bytes)
}

#[test]
fn a_stray_cell_at_excels_last_cell_is_read_without_allocating_the_extent() {
    // Before: `memory allocation of 549755813888 bytes failed`, exit 134.
    let p = staffing_workbook_project("huge_dimension_xlsx");
    for cmd in ["check", "build"] {
        let r = p.run(&[cmd]);
        assert!(
            r.code == 1 && !r.stderr.contains("memory allocation"),
            "{cmd}: exit {}\n{}",
            r.code,
            r.stderr
        );
        // Read as a table (then refused as a staffing export for its columns), by name.
        assert!(
            r.stderr.contains("--> data/bemanning/2025.xlsx"),
            "{}",
            r.stderr
        );
    }
    let bytes = std::fs::read(fixtures().join("huge_dimension_xlsx/input.xlsx")).unwrap();
    let t = read_table("data/a.xlsx", &bytes, Format::Xlsx, None).unwrap();
    assert_eq!(t.headers, ["dato", "minutter"]);
    assert_eq!(t.rows.len(), 2);
    assert_eq!(t.rows[1].line, 1_048_576);
    assert_eq!(t.rows[1].fields.len(), 16_384);
    assert_eq!(t.rows[1].fields[16_383], "x");
}

#[test]
fn a_cell_reference_beyond_excels_limits_is_a_file_error_without_panic_text() {
    // Before: `panicked at … capacity overflow` on stderr before the file error.
    let p = staffing_workbook_project("absurd_cell_reference_xlsx");
    let r = p.run(&["check"]).code(1);
    assert!(
        !r.stderr.contains("panicked") && !r.stderr.contains("capacity overflow"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("beyond Excel's last cell")
            && r.stderr.contains("data/bemanning/2025.xlsx"),
        "{}",
        r.stderr
    );
    let d = error_case("absurd_cell_reference_xlsx");
    assert!(
        d.message.contains("beyond Excel's last cell"),
        "{}",
        d.message
    );
}

/// A sheet whose rows reach far to the right of a narrow header, in many rows: padded, it
/// would hold hundreds of millions of empty cells. Refused as a file error, never allocated.
#[test]
fn a_sheet_that_would_be_mostly_empty_padding_is_refused() {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>"#,
    );
    for r in 2..20_000 {
        xml.push_str(&format!(
            r#"<row r="{r}"><c r="XFD{r}" t="inlineStr"><is><t>x</t></is></c></row>"#
        ));
    }
    xml.push_str("</sheetData></worksheet>");
    let bytes = crate::support::xlsx::workbook_with_sheet(&xml);
    let d = read_table("data/a.xlsx", &bytes, Format::Xlsx, None).unwrap_err();
    assert!(d.message.contains("mostly empty cells"), "{}", d.message);
}
