//! Tests: the command line, end to end.

use crate::support::{Project, fixture};

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
