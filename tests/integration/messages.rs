//! What the binary prints: `--quiet`, hints, the one message grammar.

use crate::support::{Project, repo};

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
