//! Tests: discover + ingest + validate on fixture folders, one per case they break.

use tsb_report::diag::{DiagnosticFormat, Severity, render};

use crate::support::{
    Project, assert_snapshot, case, check, first_file_error, fixture, row_errors,
    row_errors_by_file, short,
};

#[test]
fn planted_errors_are_each_reported_at_their_line_and_quarantined() {
    let p = case("planted_errors");
    let v = check(&p);
    assert!(!v.has_file_errors(), "{}", short(&v, &p));
    let rows: Vec<(u64, Option<String>)> = row_errors(&v)
        .iter()
        .map(|d| (d.line.unwrap(), d.column.clone()))
        .collect();
    let col = |c: &str| Some(c.to_string());
    assert_eq!(
        rows,
        vec![
            (14, col("enhet")),
            (40, col("minutter")),
            (77, col("minutter")),
            (120, col("dato")),
            (200, col("dato")),
            (250, col("oppgave")),
        ]
    );
    let log = v
        .inputs
        .iter()
        .find(|i| i.path.ends_with("logg-2025.csv"))
        .unwrap();
    assert_eq!(
        (log.rows_read, log.rows_used, log.rows_quarantined),
        (300, 294, 6)
    );
    assert_eq!(v.dataset.logs.len(), 294);
    assert_eq!(v.quarantine.len(), 1);
    assert_eq!(v.quarantine[0].rel, "piloter/lar-sykepleier/logg-2025.csv");
    assert_eq!(
        v.quarantine[0]
            .rows
            .iter()
            .map(|r| r.line)
            .collect::<Vec<_>>(),
        vec![14, 40, 77, 120, 200, 250]
    );
    let text = short(&v, &p);
    assert!(text.contains("two-digit year"), "{text}");
    let human = render(&v.diagnostics, DiagnosticFormat::Human);
    assert!(
        human.contains("hint: did you mean `LAR St. Olavs` (STO-LAR)?"),
        "{human}"
    );
    assert_snapshot("validate", "planted_errors", &text);
}

#[test]
fn fails_when_a_log_lacks_a_required_column() {
    let p = case("missing_column");
    let v = check(&p);
    assert!(v.has_file_errors());
    let d = first_file_error(&v);
    assert_eq!(d.message, "missing required column `minutter`");
    assert_eq!(d.line, Some(1));
    assert!(d.hints.iter().any(|h| h.contains("min, tid_min")));
}

#[test]
fn refuses_a_file_with_an_identity_number_without_echoing_it() {
    let p = case("identity_number");
    let v = check(&p);
    assert!(v.has_file_errors());
    let d = first_file_error(&v);
    assert_eq!(d.line, Some(22));
    assert_eq!(d.column.as_deref(), Some("pasient"));
    let all = format!("{:?}", v);
    assert!(!all.contains("15037812398"), "the identity number leaked");
    assert!(v.dataset.logs.is_empty());
}

#[test]
fn skips_a_duplicate_file_and_warns_about_unknown_files_but_not_lock_files() {
    let p = case("duplicate_file");
    let v = check(&p);
    assert!(!v.has_errors(), "{}", short(&v, &p));
    let text = short(&v, &p);
    assert!(
        text.contains("uke1.csv: warning: the same bytes as"),
        "{text}"
    );
    assert!(
        text.contains("notater.docx: warning: file fits no rule"),
        "{text}"
    );
    assert!(!text.contains("~$"), "{text}");
    assert!(!text.contains("DS_Store"), "{text}");
    assert_eq!(v.dataset.logs.len(), 20, "the copy must not be read twice");
    let skipped = v
        .inputs
        .iter()
        .filter(|i| i.status == "hoppet over")
        .count();
    assert_eq!(skipped, 1);
}

#[test]
fn treats_too_many_row_errors_as_a_file_error() {
    let p = case("too_many_row_errors");
    let v = check(&p);
    assert!(v.has_file_errors());
    let text = short(&v, &p);
    assert!(
        text.contains("4 of 20 rows have errors, more than the allowed 5.0 %"),
        "{text}"
    );
    assert!(v.dataset.logs.is_empty());
    let log = v
        .inputs
        .iter()
        .find(|i| i.path.ends_with("uke1.csv"))
        .unwrap();
    assert_eq!(log.rows_read, log.rows_used + log.rows_quarantined);
}

#[test]
fn fails_when_pilot_periods_overlap() {
    let p = case("overlapping_periods");
    let v = check(&p);
    let text = short(&v, &p);
    assert!(
        text.contains("pilot.toml: error: the periods overlap"),
        "{text}"
    );
    assert!(text.contains("uke1.csv: error: failed to use the log, because `piloter/lar-sykepleier/pilot.toml` has errors"), "{text}");
}

#[test]
fn drops_person_columns_at_read_and_scores_reversed_items() {
    let p = case("survey_person_columns");
    let v = check(&p);
    assert!(!v.has_errors(), "{}", short(&v, &p));
    assert_eq!(v.dataset.respondents.len(), 12);
    let all = format!("{:?}", v);
    assert!(
        !all.contains("Nordmann") && !all.contains("@example.no"),
        "person data leaked"
    );
    // Respondent 1 answered "Uenig" (2) to a positive item: challenge score 6 - 2 = 4.
    let r1 = v
        .dataset
        .respondents
        .iter()
        .find(|r| r.respondent == "1")
        .unwrap();
    let kap = r1.scores.iter().find(|s| s.omrade == "kapasitet").unwrap();
    assert_eq!(kap.score, 4.0);
    // Respondent 3 answered "Vet ikke": no kapasitet score at all.
    let r3 = v
        .dataset
        .respondents
        .iter()
        .find(|r| r.respondent == "3")
        .unwrap();
    assert!(r3.scores.iter().all(|s| s.omrade != "kapasitet"));
    assert_eq!(r1.foretak_id, "STO");
    assert_eq!(r1.enhet_id, "STO-LAR");
    assert_eq!(r1.yrke_id.as_deref(), Some("sykepleier"));
}

#[test]
fn fails_when_a_codebook_names_a_column_the_export_lacks() {
    let p = case("codebook_absent_column");
    let v = check(&p);
    assert!(v.has_file_errors());
    let d = v
        .diagnostics
        .iter()
        .find(|d| d.severity == Severity::FileError && d.file.ends_with(".kodebok.toml"))
        .unwrap();
    assert!(
        d.message.starts_with("codebook names column `q13`, but `"),
        "{}",
        d.message
    );
    assert!(
        d.message
            .ends_with("data/undersokelser/ansatt-2025.tsv` has no such column"),
        "{}",
        d.message
    );
    // The line of the codebook that names the column.
    let codebook = p.read("data/undersokelser/ansatt-2025.kodebok.toml");
    let line = codebook
        .lines()
        .position(|l| l.contains("\"q13\""))
        .unwrap() as u64
        + 1;
    assert_eq!(d.line, Some(line));
    assert!(d.hints.iter().any(|h| h.contains("`q12`")), "{:?}", d.hints);
}

mod properties {
    use proptest::prelude::*;
    use tsb_report::config::ValidationSettings;
    use tsb_report::discover::{FileKind, Inventory, SourceFile, sha256_hex};
    use tsb_report::validate::validate;

    use crate::support::fixture;

    fn file(rel: &str, kind: FileKind, bytes: Vec<u8>) -> SourceFile {
        SourceFile {
            rel: rel.into(),
            display: format!("data/{rel}"),
            kind,
            sha256: sha256_hex(&bytes),
            bytes,
            on_disk: None,
        }
    }

    fn inventory(log: Vec<u8>) -> Inventory {
        let mut files = Vec::new();
        for t in ["enheter", "foretak", "oppgaver", "yrker"] {
            let bytes = std::fs::read(fixture(&format!("validate/_referanse/{t}.csv"))).unwrap();
            files.push(file(
                &format!("referanse/{t}.csv"),
                FileKind::Reference(tsb_report::model::RefTable::from_stem(t).unwrap()),
                bytes,
            ));
        }
        let pilot = std::fs::read(fixture(
            "validate/planted_errors/data/piloter/lar-sykepleier/pilot.toml",
        ))
        .unwrap();
        files.push(file(
            "piloter/lar-sykepleier/pilot.toml",
            FileKind::PilotConfig("lar-sykepleier".into()),
            pilot,
        ));
        files.push(file(
            "piloter/lar-sykepleier/logg.csv",
            FileKind::Log("lar-sykepleier".into()),
            log,
        ));
        files.sort_by(|a, b| a.rel.cmp(&b.rel));
        Inventory {
            files,
            diagnostics: vec![],
            ..Inventory::default()
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

        /// Arbitrary byte edits of a real log never panic, and every row read is either used
        /// or quarantined.
        #[test]
        fn byte_mutations_never_panic_and_keep_row_accounting_exact(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..12)
        ) {
            let mut log = std::fs::read(fixture("validate/planted_errors/data/piloter/lar-sykepleier/logg-2025.csv")).unwrap();
            for (at, byte, op) in edits {
                if log.is_empty() { break; }
                let i = at.index(log.len());
                match op {
                    0 => log[i] = byte,
                    1 => log.insert(i, byte),
                    _ => { log.remove(i); }
                }
            }
            let v = validate(&inventory(log), &ValidationSettings::default());
            for input in &v.inputs {
                prop_assert_eq!(input.rows_read, input.rows_used + input.rows_quarantined, "{}", input.path);
            }
            let log_input = v.inputs.iter().find(|i| i.path.ends_with("logg.csv")).unwrap();
            prop_assert_eq!(log_input.rows_used as usize, v.dataset.logs.len());
            let quarantined: usize = v.quarantine.iter().map(|q| q.rows.len()).sum();
            if log_input.status == "brukt" {
                prop_assert_eq!(log_input.rows_quarantined as usize, quarantined);
            }
        }
    }
}

#[test]
fn a_repeated_id_across_two_logs_of_a_pilot_is_a_row_error_in_the_later_file() {
    let head = "id;dato;foretak;enhet;yrke;oppgave;minutter\n";
    let rows = |ids: &[&str]| -> String {
        head.to_string()
            + &ids
                .iter()
                .map(|i| format!("{i};14.01.2025;STO;STO-LAR;sykepleier;lar;30\n"))
                .collect::<String>()
    };
    let p = Project::new("repeated-id")
        .reference()
        .file(
            "data/piloter/lar-sykepleier/pilot.toml",
            std::fs::read(fixture(
                "validate/planted_errors/data/piloter/lar-sykepleier/pilot.toml",
            ))
            .unwrap(),
        )
        .file(
            "data/piloter/lar-sykepleier/logg-2025.csv",
            rows(&[
                "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9", "a10", "a11", "a12", "a13",
                "a14", "a15", "a16", "a17", "a18", "a19", "a20", "a21", "a22",
            ]),
        )
        .file(
            "data/piloter/lar-sykepleier/uke2.csv",
            rows(&[
                "b1", "a2", "b3", "b4", "b5", "b6", "b7", "b8", "b9", "b10", "b11", "b12", "b13",
                "b14", "b15", "b16", "b17", "b18", "b19", "b20", "b21", "b1",
            ]),
        );
    let v = check(&p);
    let errors = row_errors_by_file(&v);
    assert_eq!(
        errors,
        vec![
            (
                "uke2.csv".to_string(),
                3,
                "repeated id `a2` in pilot `lar-sykepleier`".to_string()
            ),
            (
                "uke2.csv".to_string(),
                23,
                "repeated id `b1` in pilot `lar-sykepleier`".to_string()
            ),
        ]
    );
    assert_eq!(v.dataset.logs.len(), 22 + 20);
}

#[test]
fn a_form_for_one_unit_uses_fixed_values_drops_its_total_row_and_accepts_checkbox_columns() {
    let codebook = r#"type = "ansatt"
runde = "2025-01"
respondent = "NR"
foretak = { fast = "STO" }
enhet = { fast = "LAR Trondheim" }
totalrad = true

[svarskala]
"Uenig" = 2
"Enig" = 4

[[sporsmal]]
kolonne = "q1"
omrade = "kapasitet"
retning = "utfordring"

[[sporsmal]]
kolonne = "tiltak"
maal = "vurderer_å_slutte"
"#;
    let export = "NR;q1;tiltak_1;tiltak_2\n1;Enig;1;\n2;Uenig;;1\n3;Enig;1;1\nSum;3;2;2\n";
    let p = Project::new("fixed-values")
        .reference()
        .file("data/undersokelser/lar-skjema.kodebok.toml", codebook)
        .file("data/undersokelser/lar-skjema.csv", export);
    let v = check(&p);
    assert!(!v.has_errors(), "{}", short(&v, &p));
    assert_eq!(
        v.dataset.respondents.len(),
        3,
        "the total row must be dropped, not read"
    );
    assert!(
        v.dataset
            .respondents
            .iter()
            .all(|r| r.foretak_id == "STO" && r.enhet_id == "STO-LAR")
    );
    let input = v
        .inputs
        .iter()
        .find(|i| i.path.ends_with("lar-skjema.csv"))
        .unwrap();
    assert_eq!((input.rows_read, input.rows_used), (3, 3));
    assert!(
        !short(&v, &p).contains("unused columns"),
        "checkbox columns `tiltak_N` are named by `tiltak`"
    );
}

#[test]
fn a_unit_given_under_another_health_trust_is_a_row_error() {
    let log = "dato;foretak;enhet;yrke;oppgave;minutter\n".to_string()
        + &(0..30)
            .map(|i| format!("1{}.01.2025;STO;STO-LAR;sykepleier;lar;30\n", i % 9))
            .collect::<String>()
        + "14.01.2025;Helse Møre og Romsdal HF;STO-LAR;sykepleier;lar;30\n";
    let p = Project::new("wrong-trust")
        .reference()
        .file(
            "data/piloter/lar-sykepleier/pilot.toml",
            std::fs::read(fixture(
                "validate/planted_errors/data/piloter/lar-sykepleier/pilot.toml",
            ))
            .unwrap(),
        )
        .file("data/piloter/lar-sykepleier/uke2.csv", log);
    let v = check(&p);
    let errors = row_errors(&v);
    assert_eq!(errors.len(), 1, "{}", short(&v, &p));
    assert_eq!(errors[0].line, Some(32));
    assert_eq!(errors[0].column.as_deref(), Some("enhet"));
    assert_eq!(
        errors[0].message,
        "unit `STO-LAR` belongs to `STO`, not to `HMR`"
    );
    assert_eq!(v.dataset.logs.len(), 30);
}

// ---- issue 11: the quarantine keeps every record; implausible numbers ----------------------

#[test]
fn the_quarantine_file_holds_every_quarantined_row_on_its_own_line_ragged_rows_whole() {
    // Before: a row with one field more than the header made the CSV writer refuse it, the
    // error was ignored, and it and every later record were glued into one line.
    let p = case("planted_errors");
    let log = p.path("data/piloter/lar-sykepleier/logg-2025.csv");
    let mut bytes = std::fs::read(&log).unwrap();
    bytes.extend_from_slice(
        b"29.03.2025;St. Olavs hospital HF;LAR St. Olavs;Legespesialist;Behandlingssamtale;15;P0005;A009;ekstra\r\n\
          29.03.2025;St. Olavs hospital HF;LAR St. Olavs;Legespesialist;Behandlingssamtale;mange;P0005;A009\r\n\
          29.03.2025;St. Olavs hospital HF;LAR St. Olavs;Legespesialist;Behandlingssamtale;0;P0005;A009\r\n",
    );
    std::fs::write(&log, bytes).unwrap();
    let typst = crate::support::stub_typst(&p);
    p.run(&["build", "--typst", &typst]).code(0);
    let q = std::fs::read(p.path("output/karantene/piloter/lar-sykepleier/logg-2025.csv")).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .flexible(true)
        .from_reader(q.strip_prefix(b"\xef\xbb\xbf".as_slice()).unwrap());
    let header_len = reader.headers().unwrap().len();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let lines: Vec<u64> = records.iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(lines, [14, 40, 77, 120, 200, 250, 302, 303, 304]);
    let ragged = &records[6];
    assert_eq!(ragged.len(), header_len + 1, "{ragged:?}");
    assert_eq!(&ragged[ragged.len() - 1], "ekstra");
    for r in &records[..6] {
        assert_eq!(r.len(), header_len, "{r:?}");
    }
    // Every line of the file is one record: the header plus nine.
    assert_eq!(
        q.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count(),
        10
    );
}

#[test]
fn implausible_numbers_are_row_errors_that_quote_the_cells_text() {
    // Before: `1e308` FTE was accepted (sums became `inf`) and `-1e308` was refused with its
    // 309-digit expansion in the message.
    let header = "dato;foretak;enhet;yrke;budsjetterte_årsverk;besatte_årsverk;ledige_stillinger;ansatte;sykefravær_pst\n";
    let rows = [
        "01.03.2025;STO;STO-LAR;sykepleier;12;11;1;14;5,5", // line 2: fine
        "01.03.2025;STO;STO-LAR;sykepleier;1e308;11;;;",    // 3
        "01.03.2025;STO;STO-LAR;sykepleier;-1e308;11;;;",   // 4
        "01.03.2025;STO;STO-LAR;sykepleier;12;10 001;;;",   // 5
        "01.03.2025;STO;STO-LAR;sykepleier;12;11;2000000;;", // 6
        "01.03.2025;STO;STO-LAR;sykepleier;12;11;;1,5e7;",  // 7
        "01.03.2025;STO;STO-LAR;sykepleier;12;11;;;250 %",  // 8
        "01.03.2025;STO;STO-LAR;sykepleier;inf;NaN;;;",     // 9
        "01.03.2025;STO;STO-LAR;sykepleier;1e400;11;;;-1",  // 10
    ];
    let p = Project::new("implausible").reference().file(
        "data/bemanning/2025.csv",
        format!("{header}{}\n", rows.join("\n")),
    );
    let v = check(&p);
    let errs: Vec<(u64, String, String)> = row_errors(&v)
        .iter()
        .map(|d| {
            (
                d.line.unwrap(),
                d.column.clone().unwrap(),
                d.message.clone(),
            )
        })
        .collect();
    let at = |line: u64, col: &str, text: &str| {
        assert!(
            errs.iter()
                .any(|(l, c, m)| *l == line && c == col && m.contains(&format!("`{text}`"))),
            "no error at line {line}, column {col} quoting `{text}`: {errs:#?}"
        )
    };
    at(3, "budsjetterte_årsverk", "1e308");
    at(4, "budsjetterte_årsverk", "-1e308");
    at(5, "besatte_årsverk", "10 001");
    at(6, "ledige_stillinger", "2000000");
    at(7, "ansatte", "1,5e7");
    at(8, "sykefravær_pst", "250 %");
    at(9, "budsjetterte_årsverk", "inf");
    at(9, "besatte_årsverk", "NaN");
    at(10, "budsjetterte_årsverk", "1e400");
    at(10, "sykefravær_pst", "-1");
    for (_, _, m) in &errs {
        let longest = m
            .split(|c: char| !c.is_ascii_digit())
            .map(str::len)
            .max()
            .unwrap_or(0);
        assert!(longest < 20, "a reformatted number in: {m}");
    }
    let input = &v
        .inputs
        .iter()
        .find(|i| i.path == "bemanning/2025.csv")
        .unwrap();
    assert_eq!(input.rows_read, 9);
    assert_eq!(input.rows_used + input.rows_quarantined, 9);
}

#[test]
fn a_log_read_as_xlsx_gives_the_rows_and_problems_of_the_same_log_as_csv() {
    // Logs are validated record by record as they are read; an XLSX sheet is read whole
    // first. Both must end the same: the same rows, quarantine and row errors.
    let lines = [
        "dato;foretak;enhet;yrke;oppgave;minutter;pasient",
        "14.01.2025;STO;STO-LAR;sykepleier;lar;30;p1",
        "15.01.2025;STO;STO-LAR;sykepleier;lar;abc;p2",
        "16.01.2025;STO;STO-LAR;sykepleier;lar;45;",
        "17.01.2025;STO;STO-LARR;sykepleier;lar;20;p1",
    ];
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, line) in lines.iter().enumerate() {
        for (c, cell) in line.split(';').enumerate() {
            ws.write_string(r as u32, c as u16, cell).unwrap();
        }
    }
    let xlsx = wb.save_to_buffer().unwrap();
    let pilot = std::fs::read(fixture(
        "validate/planted_errors/data/piloter/lar-sykepleier/pilot.toml",
    ))
    .unwrap();
    let project = |name: &str, file: &str, bytes: Vec<u8>| {
        Project::new(name)
            .reference()
            .file("data/piloter/lar-sykepleier/pilot.toml", pilot.clone())
            .file(&format!("data/piloter/lar-sykepleier/{file}"), bytes)
    };
    let csv = project(
        "log-csv",
        "logg.csv",
        (lines.join("\n") + "\n").into_bytes(),
    );
    let xl = project("log-xlsx", "logg.xlsx", xlsx);
    let (a, b) = (check(&csv), check(&xl));
    assert_eq!(a.dataset.logs.len(), 2, "{}", short(&a, &csv));
    assert_eq!(a.dataset.logs, b.dataset.logs);
    let errors = |v: &tsb_report::validate::Validated| -> Vec<(u64, String)> {
        row_errors(v)
            .iter()
            .map(|d| (d.line.unwrap(), d.message.clone()))
            .collect()
    };
    assert_eq!(errors(&a).len(), 2);
    assert_eq!(errors(&a), errors(&b));
    let quarantined = |v: &tsb_report::validate::Validated| -> Vec<(u64, String)> {
        v.quarantine
            .iter()
            .flat_map(|q| q.rows.iter().map(|r| (r.line, r.reasons.clone())))
            .collect()
    };
    assert_eq!(quarantined(&a), quarantined(&b));
}
