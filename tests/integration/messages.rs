//! What the binary prints: `--quiet`, hints, the one message grammar.

use tsb_report::config::ValidationSettings;
use tsb_report::diag::{Reason, Severity};
use tsb_report::validate::validate;

use crate::support::{Project, fixture, repo};

/// A project holding the bundled sample data, which plants four row errors and a few
/// warnings.
fn sample(name: &str) -> Project {
    Project::new(name).copy(&repo().join("data"), "data")
}

#[test]
fn build_quiet_prints_the_row_errors_but_no_warnings_or_progress() {
    let p = sample("quiet-build");
    let r = p.run(&["build", "--quiet"]).code(0);
    assert!(
        r.stderr.contains("error: unknown unit `LAR Trondhiem`"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.matches("error: ").count(), 4, "{}", r.stderr);
    assert!(!r.stderr.contains("warning:"), "{}", r.stderr);
    assert!(!r.stderr.contains("built from"), "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
}

#[test]
fn check_quiet_prints_the_errors_but_no_warnings_or_summary() {
    let p = sample("quiet-check");
    let r = p.run(&["check", "--quiet"]).code(1);
    assert_eq!(r.stderr.matches("error: ").count(), 4, "{}", r.stderr);
    assert!(!r.stderr.contains("warning:"), "{}", r.stderr);
    assert!(!r.stderr.contains("checked "), "{}", r.stderr);
}

#[test]
fn a_hint_is_printed_on_its_own_line_after_the_error() {
    let p = Project::new("hint-line");
    let r = p.run(&["build", "--data", "nosuch"]).code(2);
    assert_eq!(
        r.stderr,
        "error: failed to find the data folder `nosuch`\nhint: run in the project folder, pass \
         `--data DIR`, or create one with `tsb-report sample --out data`\n"
    );
}

#[test]
fn a_typst_that_does_not_run_is_reported_with_its_hint() {
    let p = sample("typst-hint");
    let r = p.run(&["build", "--typst", "/no/such/typst"]).code(2);
    assert!(
        r.stderr.contains(
            "error: failed to run typst `/no/such/typst` (not found)\nhint: pass `--typst PATH`"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn the_manifest_counts_row_errors_by_kind_not_by_value() {
    // Two dates outside the pilot's periods, each a different date: one reason, counted twice.
    let head = "dato;foretak;enhet;yrke;oppgave;minutter\n";
    let mut log = head.to_string();
    for day in 1..=28 {
        log += &format!("{day:02}.04.2025;STO;STO-LAR;sykepleier;lar;30\n");
        log += &format!("{day:02}.05.2025;STO;STO-LAR;sykepleier;lar;30\n");
    }
    log += "04.07.2025;STO;STO-LAR;sykepleier;lar;30\n";
    log += "05.07.2025;STO;STO-LAR;sykepleier;lar;30\n";
    let p = Project::new("reason-kinds")
        .copy(&fixture("validate/_referanse"), "data/referanse")
        .file(
            "data/piloter/lar-sykepleier/pilot.toml",
            std::fs::read(fixture(
                "validate/planted_errors/data/piloter/lar-sykepleier/pilot.toml",
            ))
            .unwrap(),
        )
        .file("data/piloter/lar-sykepleier/logg.csv", log);
    let inv = tsb_report::discover::discover(&p.path("data")).unwrap();
    let v = validate(&inv, &ValidationSettings::default());
    let input = v
        .inputs
        .iter()
        .find(|i| i.path.ends_with("logg.csv"))
        .unwrap();
    assert_eq!(input.rows_quarantined, 2, "{:?}", v.diagnostics);
    assert_eq!(
        input.reasons,
        vec![("date … is outside the pilot's periods".to_string(), 2)]
    );
    let kinds: Vec<_> = v
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::RowError)
        .map(|d| d.reason)
        .collect();
    assert_eq!(kinds, vec![Some(Reason::DateOutsidePeriods); 2]);
}
