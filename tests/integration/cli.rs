//! Tests: the command line, end to end.

use crate::support::{Project, fixture, pdf_info, pdf_pages, pdf_text, repo};

fn case(name: &str) -> Project {
    Project::new(name)
        .copy(&fixture("validate/_referanse"), "data/referanse")
        .copy(&fixture(&format!("validate/{name}/data")), "data")
}

#[test]
fn check_exits_1_on_row_errors_and_prints_each_with_file_and_line() {
    let p = case("planted_errors");
    let r = p.run(&["check"]).code(1);
    assert!(
        r.stderr
            .contains("--> data/piloter/lar-sykepleier/logg-2025.csv:14, column `enhet`"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("hint: did you mean `LAR St. Olavs` (STO-LAR)?"),
        "{}",
        r.stderr
    );
    assert!(
        p.files().iter().all(|f| f.starts_with("data/")),
        "check wrote files: {:?}",
        p.files()
    );
}

#[test]
fn check_short_format_gives_one_line_per_problem() {
    let p = case("planted_errors");
    let r = p.run(&["check", "--diagnostic-format", "short"]).code(1);
    let lines: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains(": error: "))
        .collect();
    assert_eq!(lines.len(), 6, "{}", r.stderr);
    assert!(
        lines[0].starts_with("data/piloter/lar-sykepleier/logg-2025.csv:14: error: unknown unit"),
        "{}",
        lines[0]
    );
}

#[test]
fn check_exits_0_with_only_warnings() {
    let p = case("duplicate_file");
    p.run(&["check"]).code(0);
}

#[test]
fn identity_number_stops_check_and_build_and_never_appears_anywhere() {
    let p = case("identity_number");
    let c = p.run(&["check"]).code(1);
    let b = p.run(&["build"]).code(1);
    for out in [&c.stdout, &c.stderr, &b.stdout, &b.stderr] {
        assert!(!out.contains("15037812398"), "leaked: {out}");
    }
    assert!(
        b.stderr.contains("national identity number"),
        "{}",
        b.stderr
    );
    assert!(
        !p.path("output").exists(),
        "build wrote output despite a file error"
    );
}

#[test]
fn usage_errors_exit_2() {
    let p = Project::new("usage");
    p.run(&["build", "--no-such-flag"]).code(2);
    let r = p.run(&["build", "--data", "nowhere"]).code(2);
    assert!(
        r.stderr
            .contains("failed to find the data folder `nowhere`"),
        "{}",
        r.stderr
    );
}

const PROVIDERS: [&str; 5] = [
    "St. Olavs hospital HF",
    "Helse Møre og Romsdal HF",
    "Helse Nord-Trøndelag HF",
    "Blå Kors Lade",
    "Tyrilistiftelsen",
];

/// Collapse whitespace so words broken over layout columns still match.
fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn builds_the_report_and_the_board_briefing_from_the_bundled_sample_data() {
    let p = Project::new("e2e").copy(&repo().join("data"), "data");
    let r = p.run(&["build"]).code(0);
    assert!(
        r.stdout.contains("output/rapport.pdf") && r.stdout.contains("output/styrenotat.pdf"),
        "{}",
        r.stdout
    );

    let rapport = flat(&pdf_text(&p.path("output/rapport.pdf")));
    for title in [
        "Sammendrag",
        "Bakgrunn og mål",
        "Datagrunnlag og metode",
        "Anbefalinger",
        "Datakvalitet",
        "EKSEMPELDATA",
    ] {
        assert!(rapport.contains(title), "the report lacks `{title}`");
    }
    for name in PROVIDERS {
        assert!(rapport.contains(name), "the report does not name `{name}`");
    }
    let notat = flat(&pdf_text(&p.path("output/styrenotat.pdf")));
    assert!(notat.contains("Forslag til vedtak"));
    assert!(notat.contains("EKSEMPELDATA"));
    assert!(pdf_pages(&p.path("output/styrenotat.pdf")) <= 3);
    for pdf in ["output/rapport.pdf", "output/styrenotat.pdf"] {
        let info = pdf_info(&p.path(pdf));
        assert!(
            info.lines()
                .any(|l| l.starts_with("Title:") && l.len() > 20),
            "{pdf} has no title: {info}"
        );
        assert!(info.contains("Tagged:          yes"), "{pdf} is not tagged");
    }

    let csv = std::fs::read(p.path("output/indikatorer/indikatorer.csv")).unwrap();
    assert!(
        csv.starts_with(&[0xEF, 0xBB, 0xBF]),
        "the CSV export needs a BOM for Excel"
    );
    assert!(p.path("output/indikatorer/indikatorer.parquet").is_file());
    let manifest: serde_json::Value =
        serde_json::from_str(&p.read("output/manifest.json")).unwrap();
    let inputs = manifest["inputs"].as_array().unwrap();
    assert!(inputs.len() > 10);
    for i in inputs {
        let (read, used, q) = (
            i["rows_read"].as_u64().unwrap(),
            i["rows_used"].as_u64().unwrap(),
            i["rows_quarantined"].as_u64().unwrap(),
        );
        assert_eq!(read, used + q, "row accounting broken for {}", i["path"]);
        assert_eq!(i["sha256"].as_str().unwrap().len(), 64);
    }
}

#[test]
fn two_builds_of_the_same_inputs_are_byte_identical() {
    let p = Project::new("repro")
        .copy(&fixture("validate/_referanse"), "data/referanse")
        .copy(&fixture("validate/planted_errors/data"), "data");
    p.run(&["build", "--out", "a"]).code(0);
    p.run(&["build", "--out", "b"]).code(0);
    for f in [
        "rapport.pdf",
        "styrenotat.pdf",
        "indikatorer/indikatorer.csv",
        "indikatorer/indikatorer.parquet",
    ] {
        let (a, b) = (
            std::fs::read(p.path(&format!("a/{f}"))).unwrap(),
            std::fs::read(p.path(&format!("b/{f}"))).unwrap(),
        );
        assert!(a == b, "{f} differs between two builds");
    }
}

#[test]
fn a_build_with_row_errors_succeeds_and_writes_the_quarantine() {
    let p = case("planted_errors");
    let r = p.run(&["build"]).code(0);
    assert!(
        r.stderr.contains("logg-2025.csv:14, column `enhet`"),
        "{}",
        r.stderr
    );
    let q = p.read("output/karantene/piloter/lar-sykepleier/logg-2025.csv");
    let lines: Vec<&str> = q.lines().collect();
    assert!(
        lines[0]
            .trim_start_matches('\u{feff}')
            .starts_with("linje;kolonne;årsak;dato;foretak;enhet"),
        "{}",
        lines[0]
    );
    assert_eq!(lines.len(), 7, "{q}");
    assert!(
        lines[1].starts_with("14;enhet;unknown unit `LAR St. Olvas`;"),
        "{}",
        lines[1]
    );
    let text = flat(&pdf_text(&p.path("output/rapport.pdf")));
    assert!(
        text.contains("logg-2025.csv"),
        "the data-quality appendix must list the file"
    );
}

#[test]
fn a_file_error_writes_nothing_and_keeps_the_last_good_report() {
    let p = case("planted_errors");
    p.run(&["build"]).code(0);
    let before = std::fs::read(p.path("output/rapport.pdf")).unwrap();
    let manifest = p.read("output/manifest.json");
    // Break the log: drop the required `minutter` column.
    let log = p.path("data/piloter/lar-sykepleier/logg-2025.csv");
    let bytes = std::fs::read(&log).unwrap();
    std::fs::write(
        &log,
        [
            b"dato;foretak;enhet;yrke;oppgave;tid\r\n".as_slice(),
            &bytes[bytes.iter().position(|b| *b == b'\n').unwrap() + 1..],
        ]
        .concat(),
    )
    .unwrap();
    let r = p.run(&["build"]).code(1);
    assert!(
        r.stderr.contains("missing required column `minutter`"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(p.path("output/rapport.pdf")).unwrap(), before);
    assert_eq!(p.read("output/manifest.json"), manifest);
}

#[test]
fn a_broken_template_exits_2_and_keeps_the_last_good_pdfs() {
    let p = case("planted_errors").copy(&repo().join("report-templates"), "report-templates");
    p.run(&["build"]).code(0);
    let before = std::fs::read(p.path("output/styrenotat.pdf")).unwrap();
    let tpl = p.path("report-templates/styrenotat.typ.j2");
    let text = std::fs::read_to_string(&tpl).unwrap();
    std::fs::write(&tpl, format!("{text}\n#let broken = (\n")).unwrap();
    let r = p.run(&["build"]).code(2);
    assert!(r.stderr.contains("failed to typeset"), "{}", r.stderr);
    assert_eq!(
        std::fs::read(p.path("output/styrenotat.pdf")).unwrap(),
        before
    );
    assert!(
        p.path("output/build/styrenotat.typ").is_file(),
        "the generated Typst must stay for inspection"
    );
}
