//! Tests: the command line, end to end.

use crate::support::model::{HOSTILE_PILOT, HOSTILE_UNIT};
use crate::support::{Project, case, fixture, pdf_info, pdf_pages, pdf_text, planted, repo};

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

/// The sample's health trusts: (id, name).
const TRUSTS: [(&str, &str); 5] = [
    ("BKL", "Blå Kors Lade"),
    ("HMR", "Helse Møre og Romsdal HF"),
    ("HNT", "Helse Nord-Trøndelag HF"),
    ("STO", "St. Olavs hospital HF"),
    ("TYR", "Tyrilistiftelsen"),
];

/// Pages of `pdf` whose text lacks `needle`.
fn pages_without(pdf: &std::path::Path, needle: &str) -> Vec<u32> {
    crate::support::pdf_page_texts(pdf)
        .iter()
        .zip(1..)
        .filter(|(text, _)| !flat(text).contains(needle))
        .map(|(_, n)| n)
        .collect()
}

/// One decimal, decimal comma, digits grouped by three with a space, no sign: how the
/// documents print a value (after no-break spaces become spaces and signs are dropped).
fn one_decimal(x: f64) -> String {
    let s = format!("{:.1}", x.abs());
    let (int, frac) = s.split_once('.').unwrap();
    let mut grouped = String::new();
    for (i, d) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(' ');
        }
        grouped.push(d);
    }
    format!("{grouped},{frac}")
}

/// Every value in the indicator export (`verdi`, `nedre`, `øvre`) as the documents may print
/// it: shares as `12,3 %` and as points `12,3`, everything else with one decimal.
fn export_forms(csv_bytes: &[u8]) -> std::collections::BTreeSet<String> {
    let text = String::from_utf8(csv_bytes.to_vec()).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (verdi, nedre, ovre, unit) = (col("verdi"), col("nedre"), col("øvre"), col("måleenhet"));
    let mut forms = std::collections::BTreeSet::new();
    for rec in reader.records() {
        let rec = rec.unwrap();
        for i in [verdi, nedre, ovre] {
            let Ok(v) = rec[i].replace(',', ".").parse::<f64>() else {
                continue;
            };
            if &rec[unit] == "andel" {
                forms.insert(format!("{} %", one_decimal(v * 100.0)));
                forms.insert(one_decimal(v * 100.0));
            } else if &rec[unit] == "forhold" {
                // A WISN ratio prints with two decimals.
                forms.insert(format!("{:.2}", v.abs()).replace('.', ","));
            } else {
                forms.insert(one_decimal(v));
            }
        }
    }
    forms
}

/// The number tokens of `text` with a decimal comma or a `%` (`1 234,5`, `12,3 %`, `95 %`),
/// signs dropped, no-break spaces as spaces. Digits inside words (hashes) are skipped, and
/// so is the confidence level `95 % KI`.
fn number_tokens(text: &str) -> Vec<String> {
    let text = text
        .replace(['\u{a0}', '\u{202f}'], " ")
        .replace("95 % KI", "");
    let c: Vec<char> = text.chars().collect();
    let digits = |mut i: usize| {
        let s = i;
        while i < c.len() && c[i].is_ascii_digit() {
            i += 1;
        }
        (s, i)
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        if !c[i].is_ascii_digit() || (i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == ',')) {
            i += 1;
            continue;
        }
        let (s, mut e) = digits(i);
        let mut tok: String = c[s..e].iter().collect();
        if e - s <= 3 {
            // Thousands groups: ` ddd` not followed by another digit.
            while e + 4 <= c.len()
                && c[e] == ' '
                && c[e + 1..e + 4].iter().all(char::is_ascii_digit)
                && c.get(e + 4).is_none_or(|x| !x.is_ascii_digit())
            {
                tok.push(' ');
                tok.extend(&c[e + 1..e + 4]);
                e += 4;
            }
        }
        let mut has_comma = false;
        if e + 1 < c.len() && c[e] == ',' && c[e + 1].is_ascii_digit() {
            let (s2, e2) = digits(e + 1);
            tok.push(',');
            tok.extend(&c[s2..e2]);
            e = e2;
            has_comma = true;
        }
        let pct = if c.get(e) == Some(&'%') {
            Some(e + 1)
        } else if c.get(e) == Some(&' ') && c.get(e + 1) == Some(&'%') {
            Some(e + 2)
        } else {
            None
        };
        if let Some(end) = pct {
            tok.push_str(" %");
            e = end;
        }
        if (has_comma || pct.is_some()) && c.get(e).is_none_or(|x| !x.is_alphanumeric()) {
            out.push(tok);
        }
        i = e.max(i + 1);
    }
    out
}

/// The number tokens of `text` not found among the export's values.
fn numbers_not_in_export(
    text: &str,
    forms: &std::collections::BTreeSet<String>,
) -> (usize, Vec<String>) {
    let tokens = number_tokens(text);
    let missing = tokens
        .iter()
        .filter(|t| !forms.contains(*t))
        .cloned()
        .collect();
    (tokens.len(), missing)
}

#[test]
fn number_tokens_read_norwegian_numbers() {
    assert_eq!(
        number_tokens(
            "Vakansgrad 5,9\u{a0}% av 1\u{a0}402,5 årsverk (95 % KI +1,0 til −2,5), side 3 av 4, b8aa6,9 2026 12,0"
        ),
        ["5,9 %", "1 402,5", "1,0", "2,5", "12,0"]
    );
}

#[test]
fn builds_the_report_and_the_board_briefing_from_the_bundled_sample_data() {
    // With the repository's settings: its example rules, one of which fires on the sample.
    let p = Project::new("e2e").sample().file(
        "tsb-report.toml",
        std::fs::read(repo().join("tsb-report.toml")).unwrap(),
    );
    let r = p.run(&["build"]).code(0);
    assert!(
        r.stdout.contains("output/rapport.pdf") && r.stdout.contains("output/styrenotat.pdf"),
        "{}",
        r.stdout
    );
    for (id, _) in TRUSTS {
        assert!(
            r.stdout.contains(&format!("output/foretak/{id}.pdf")),
            "{}",
            r.stdout
        );
    }

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
    // Section 9.1: the rule that fires on the sample, with its values; the one that does not.
    for text in [
        "Kandidater fra reglene i tsb-report.toml",
        "Spre sykepleierkoordinert LAR-oppfølging.",
        "Vakansgrad, Legespesialist: 20,5 % (vilkår: over 15,0 %)",
        "Regler som ikke slo til",
        "Spre erfaringskonsulenter i poliklinikk:",
    ] {
        assert!(rapport.contains(text), "the report lacks `{text}`");
    }
    let notat = flat(&pdf_text(&p.path("output/styrenotat.pdf")));
    assert!(notat.contains("Forslag til vedtak"));
    assert!(notat.contains("EKSEMPELDATA"));
    assert!(
        notat.contains("Første kjøring"),
        "the Vedlegg C summary line"
    );
    assert!(pdf_pages(&p.path("output/styrenotat.pdf")) <= 3);

    // One short report per health trust, each naming its trust, 2–4 pages.
    let trust_pdfs: Vec<String> = TRUSTS
        .iter()
        .map(|(id, _)| format!("output/foretak/{id}.pdf"))
        .collect();
    for ((_, name), pdf) in TRUSTS.iter().zip(&trust_pdfs) {
        let path = p.path(pdf);
        assert!(path.is_file(), "{pdf} missing");
        let text = flat(&pdf_text(&path));
        assert!(text.contains(name), "{pdf} does not name {name}");
        assert!(
            text.contains("EKSEMPELDATA") && text.contains("UTKAST"),
            "{pdf}"
        );
        let pages = pdf_pages(&path);
        assert!((2..=4).contains(&pages), "{pdf} has {pages} pages");
    }
    assert!(
        flat(&pdf_text(&p.path("output/foretak/STO.pdf")))
            .contains("Sykepleierkoordinert LAR-oppfølging")
    );

    // Every number in the board briefing (decimal comma or %) is a value of the export,
    // formatted as the documents format it.
    let forms = export_forms(&std::fs::read(p.path("output/indikatorer/indikatorer.csv")).unwrap());
    let notat_text = pdf_text(&p.path("output/styrenotat.pdf"));
    let (checked, missing) = numbers_not_in_export(&notat_text, &forms);
    assert!(
        checked >= 10,
        "only {checked} numbers found in the board briefing"
    );
    assert!(missing.is_empty(), "not in the export: {missing:?}");
    // The same holds for the report and the per-trust reports.
    for pdf in ["output/rapport.pdf", "output/foretak/STO.pdf"] {
        // Whole percentages without a decimal are constants, not data: chart axis ticks,
        // "95 % konfidensintervall", rule thresholds from the settings.
        let (checked, missing) = numbers_not_in_export(&pdf_text(&p.path(pdf)), &forms);
        let missing: Vec<String> = missing.into_iter().filter(|t| t.contains(',')).collect();
        assert!(checked >= 50, "only {checked} numbers found in {pdf}");
        assert!(missing.is_empty(), "{pdf}: not in the export: {missing:?}");
    }
    // PDF/A-2b and PDF/UA-1 are declared in the documents' metadata.
    for pdf in [
        "output/rapport.pdf",
        "output/styrenotat.pdf",
        "output/foretak/STO.pdf",
    ] {
        let xmp = crate::support::pdf_xmp(&p.path(pdf));
        assert!(
            xmp.contains("<pdfaid:part>2</pdfaid:part>")
                && xmp.contains("<pdfaid:conformance>B</pdfaid:conformance>"),
            "{pdf} does not declare PDF/A-2b"
        );
        assert!(
            xmp.contains("<pdfuaid:part>1</pdfuaid:part>"),
            "{pdf} does not declare PDF/UA-1"
        );
    }
    // The check can fail: a value the export does not hold is caught.
    let (_, caught) = numbers_not_in_export(
        &format!("{notat_text}\nTall: 987\u{a0}654,3\u{a0}%"),
        &forms,
    );
    assert_eq!(caught, ["987 654,3 %"]);

    // The sample banner and UTKAST on every page of the report.
    let rapport_pdf = p.path("output/rapport.pdf");
    assert_eq!(
        pages_without(&rapport_pdf, "EKSEMPELDATA – ikke reelle tall"),
        Vec::<u32>::new()
    );
    assert_eq!(pages_without(&rapport_pdf, "UTKAST"), Vec::<u32>::new());

    for pdf in ["output/rapport.pdf", "output/styrenotat.pdf"]
        .into_iter()
        .chain(trust_pdfs.iter().map(String::as_str))
    {
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
    let manifest = p.manifest();
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

    // `--final` removes UTKAST from every page (the numbers come from the cached analysis).
    p.run(&["build", "--final"]).code(0);
    let pages = pdf_pages(&rapport_pdf);
    assert_eq!(pages_without(&rapport_pdf, "UTKAST").len() as u32, pages);
    assert_eq!(
        pages_without(&rapport_pdf, "EKSEMPELDATA – ikke reelle tall"),
        Vec::<u32>::new()
    );
    for pdf in ["output/styrenotat.pdf", "output/foretak/STO.pdf"] {
        assert!(!pdf_text(&p.path(pdf)).contains("UTKAST"), "{pdf}");
    }
}

#[test]
fn hostile_unit_and_pilot_names_print_exactly_in_the_pdfs() {
    let p = case("planted_errors");
    // Rename the LAR unit (its old name stays an alias, so the log rows still match) and the
    // pilot.
    let enheter = p.read("data/referanse/enheter.csv").replace(
        "STO-LAR;STO;LAR St. Olavs;LAR;LAR Trondheim",
        &format!("STO-LAR;STO;{HOSTILE_UNIT};LAR;LAR St. Olavs|LAR Trondheim"),
    );
    assert!(enheter.contains(HOSTILE_UNIT));
    let pilot_rel = "data/piloter/lar-sykepleier/pilot.toml";
    let pilot = p.read(pilot_rel).replace(
        "navn = \"Sykepleierkoordinert LAR-oppfølging\"",
        &format!("navn = \"{HOSTILE_PILOT}\""),
    );
    assert!(pilot.contains(HOSTILE_PILOT));
    let p = p
        .file("data/referanse/enheter.csv", enheter)
        .file(pilot_rel, pilot);
    p.run(&["build"]).code(0);
    let rapport = flat(&pdf_text(&p.path("output/rapport.pdf")));
    assert!(
        rapport.contains(HOSTILE_UNIT),
        "unit name not shown exactly"
    );
    assert!(
        rapport.contains(HOSTILE_PILOT),
        "pilot name not shown exactly"
    );
    let sto = flat(&pdf_text(&p.path("output/foretak/STO.pdf")));
    assert!(sto.contains(HOSTILE_UNIT) && sto.contains(HOSTILE_PILOT));
    let notat = flat(&pdf_text(&p.path("output/styrenotat.pdf")));
    assert!(notat.contains(HOSTILE_PILOT));
}

#[test]
fn a_rule_on_an_unknown_indicator_is_a_settings_error() {
    let p = Project::new("bad-rule").file(
        "tsb-report.toml",
        "[[anbefaling]]\ntittel = \"T\"\ntekst = \"{v}\"\n[[anbefaling.vilkar]]\nnavn = \"v\"\nindikator = \"vakansgrd\"\ngruppering = \"region\"\nover = 0.1\n",
    );
    let r = p.run(&["build"]).code(2);
    assert!(
        r.stderr
            .contains("failed to read settings `tsb-report.toml`")
            && r.stderr
                .contains("unknown indicator `vakansgrd`; did you mean `vakansgrad`?"),
        "{}",
        r.stderr
    );
    assert!(!p.path("output").exists());
}

#[test]
fn two_builds_of_the_same_inputs_are_byte_identical() {
    let p = planted("repro");
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
    let p = case("planted_errors").templates();
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

#[test]
fn init_scaffolds_a_project_that_builds_out_of_the_box() {
    let p = Project::new("init");
    p.run(&["init", "rapport"]).code(0);
    for f in [
        "rapport/tsb-report.toml",
        "rapport/data/referanse/foretak.csv",
        "rapport/report-templates/rapport.typ.j2",
        "rapport/eksempler/ansattundersokelse.kodebok.toml",
    ] {
        assert!(p.path(f).is_file(), "init did not write {f}");
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tsb-report"))
        .arg("build")
        .current_dir(p.path("rapport"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = flat(&pdf_text(&p.path("rapport/output/rapport.pdf")));
    assert!(text.contains("UTKAST"));
    assert!(
        !text.contains("EKSEMPELDATA"),
        "a new project's data is not the sample"
    );
    for name in PROVIDERS {
        assert!(text.contains(name), "the report does not name `{name}`");
    }
    // A second init into the same folder refuses to overwrite it.
    let again = p.run(&["init", "rapport"]).code(2);
    assert!(again.stderr.contains("not empty"), "{}", again.stderr);
}

// ---- issue 11: links and odd files, broken pipes, locations, unreadable files, manifest ----

/// Run the binary with `args` in `p`, as `tsb-report … 2>&1 | head -0` would: stdout and
/// stderr one pipe whose reader is gone before the first write.
fn run_into_closed_pipe(p: &Project, args: &[&str]) -> i32 {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_tsb-report"))
        .args(args)
        .current_dir(&p.dir)
        .env_remove("TSB_REPORT_DATA")
        .stdout(writer.try_clone().unwrap())
        .stderr(writer)
        .status()
        .unwrap();
    status.code().unwrap_or(-1)
}

#[test]
fn a_closed_pipe_ends_the_output_silently_and_the_exit_code_is_the_runs_own() {
    // Before: `eprint!` panicked on the closed pipe: exit 101.
    let p = case("planted_errors");
    assert_eq!(run_into_closed_pipe(&p, &["check"]), 1);
    assert_eq!(run_into_closed_pipe(&p, &["check", "--data", "nosuch"]), 2);
    let ok = case("duplicate_file");
    assert_eq!(run_into_closed_pipe(&ok, &["check"]), 0);
}

#[test]
fn links_fifos_and_folder_links_are_skipped_with_a_warning_naming_them() {
    use std::os::unix::fs::symlink;
    let p = case("planted_errors");
    let rows = |stderr: &str| {
        let summary = stderr.lines().last().unwrap().to_string();
        summary
            .split(" rows")
            .next()
            .unwrap()
            .rsplit(' ')
            .next()
            .unwrap()
            .to_string()
    };
    let rows_before = rows(&p.run(&["check"]).code(1).stderr);
    let pilot = p.path("data/piloter/lar-sykepleier");
    // A link to a regular file inside data/: read like the file (here: the same bytes as the
    // log, so skipped as a duplicate — which shows it was read).
    symlink("logg-2025.csv", pilot.join("uke99-lenke.csv")).unwrap();
    // A link to a file outside data/: never read.
    symlink("/etc/passwd", p.path("data/bemanning-passwd.csv")).unwrap();
    std::fs::create_dir_all(p.path("data/bemanning")).unwrap();
    symlink("/etc/passwd", p.path("data/bemanning/passwd.csv")).unwrap();
    // Folder links: out to /etc, and back to data/ (a loop if followed).
    symlink("/etc", p.path("data/bemanning/etc")).unwrap();
    symlink("../..", pilot.join("tilbake")).unwrap();
    // A link to nothing.
    symlink("finnes-ikke.csv", pilot.join("borte.csv")).unwrap();
    // A FIFO in place of a log: reading it would block forever.
    let status = std::process::Command::new("mkfifo")
        .arg(pilot.join("uke07.csv"))
        .status()
        .unwrap();
    assert!(status.success(), "mkfifo failed");
    let r = p.run(&["check"]).code(1);
    let warned = |path: &str, what: &str| {
        let at = format!("  --> data/{path}\n");
        let found = r
            .stderr
            .split("warning: ")
            .any(|w| w.contains(&at) && w.contains(what));
        assert!(found, "no warning `{what}` for {path}:\n{}", r.stderr);
    };
    warned(
        "piloter/lar-sykepleier/uke99-lenke.csv",
        "the same bytes as `data/piloter/lar-sykepleier/logg-2025.csv`",
    );
    warned("bemanning/passwd.csv", "outside the data folder");
    warned("bemanning-passwd.csv", "outside the data folder");
    warned("bemanning/etc", "outside the data folder");
    warned("piloter/lar-sykepleier/tilbake", "link to a folder");
    warned("piloter/lar-sykepleier/borte.csv", "leads nowhere");
    warned("piloter/lar-sykepleier/uke07.csv", "not a regular file");
    assert!(!r.stderr.contains("root:"), "{}", r.stderr);
    // The rows of the log are counted once.
    assert_eq!(rows(&r.stderr), rows_before, "{}", r.stderr);
}

#[test]
fn run_level_messages_name_the_data_folder_as_given() {
    // Before: `--> data` for `--data mydata`.
    let p = Project::new("mydata")
        .copy(&fixture("validate/_referanse"), "mydata/referanse")
        .file("mydata/referanse/foretak.csv", "");
    let r = p.run(&["check", "--data", "mydata"]).code(1);
    assert!(r.stderr.contains("  --> mydata\n"), "{}", r.stderr);
    assert!(!r.stderr.contains("--> data"), "{}", r.stderr);
    assert!(
        r.stderr.contains("--> mydata/referanse/foretak.csv"),
        "{}",
        r.stderr
    );
    // An empty folder: the missing tables are named under it too.
    let e = Project::new("emptydata");
    std::fs::create_dir_all(e.path("tom")).unwrap();
    let r = e.run(&["check", "--data", "tom"]).code(1);
    assert!(
        r.stderr.contains("--> tom/referanse/foretak.csv"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("  --> tom\n"), "{}", r.stderr);
}

#[test]
fn a_missing_data_folder_is_named_once_with_a_hint() {
    // Before: "failed to walk `nosuch`: IO error for operation on nosuch: No such file or
    // directory (os error 2)": the cause twice, no hint.
    let p = Project::new("nosuch");
    let r = p.run(&["check", "--data", "nosuch"]).code(2);
    assert!(
        r.stderr
            .starts_with("error: failed to find the data folder `nosuch`\nhint: "),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.matches("nosuch").count(), 1, "{}", r.stderr);
}

/// Run the binary in `p` so that files without read permission are unreadable: as root
/// (which reads everything) under the uid of `nobody` through `setpriv`, otherwise as is.
fn run_unprivileged(p: &Project, args: &[&str]) -> crate::support::Run {
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let mut cmd = if root {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_tsb-report"));
        c
    } else {
        std::process::Command::new(env!("CARGO_BIN_EXE_tsb-report"))
    };
    let out = cmd
        .args(args)
        .current_dir(&p.dir)
        .env_remove("TSB_REPORT_DATA")
        .env("NO_COLOR", "1")
        .output()
        .expect("failed to run tsb-report (as root this needs `setpriv` from util-linux)");
    crate::support::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn every_unreadable_file_and_folder_is_a_file_error_and_check_exits_1() {
    // Before: exit 2 at the first ("failed to read `…`: Permission denied").
    use std::os::unix::fs::PermissionsExt;
    let p = case("planted_errors")
        .file("data/bemanning/2025.csv", "dato\n")
        .file("data/piloter/lar-sykepleier/uke02.csv", "dato\n")
        .file("data/piloter/lar-sykepleier/uke03.csv", "dato\n");
    let mode = |rel: &str, m: u32| {
        std::fs::set_permissions(p.path(rel), std::fs::Permissions::from_mode(m)).unwrap();
    };
    mode("data/piloter/lar-sykepleier/uke02.csv", 0o000);
    mode("data/piloter/lar-sykepleier/uke03.csv", 0o000);
    mode("data/bemanning", 0o000);
    let r = run_unprivileged(&p, &["check"]);
    mode("data/bemanning", 0o755);
    let r = r.code(1);
    for path in [
        "data/bemanning",
        "data/piloter/lar-sykepleier/uke02.csv",
        "data/piloter/lar-sykepleier/uke03.csv",
    ] {
        let found = r
            .stderr
            .split("error: ")
            .any(|e| e.contains("permission denied") && e.contains(&format!("  --> {path}\n")));
        assert!(found, "no file error for {path}:\n{}", r.stderr);
    }
    // The readable files were still checked.
    assert!(r.stderr.contains("logg-2025.csv:14"), "{}", r.stderr);
}

#[test]
fn the_manifest_lists_every_file_read_the_sample_marker_included() {
    // Before: `EKSEMPELDATA.md` was read (the banner) but missing from the manifest.
    let p = case("planted_errors").file("data/EKSEMPELDATA.md", "Syntetiske data.\n");
    let typst = crate::support::stub_typst(&p);
    p.run(&["build", "--typst", &typst]).code(0);
    let m = p.manifest();
    let inputs = m["inputs"].as_array().unwrap();
    let mut listed: Vec<&str> = inputs.iter().map(|i| i["path"].as_str().unwrap()).collect();
    listed.sort();
    let mut on_disk: Vec<String> = p
        .files()
        .into_iter()
        .filter_map(|f| f.strip_prefix("data/").map(str::to_string))
        .collect();
    on_disk.sort();
    assert_eq!(listed, on_disk);
    for i in inputs {
        let path = i["path"].as_str().unwrap();
        let bytes = std::fs::read(p.path(&format!("data/{path}"))).unwrap();
        assert_eq!(
            i["sha256"].as_str().unwrap(),
            tsb_report::discover::sha256_hex(&bytes),
            "{path}"
        );
    }
}
