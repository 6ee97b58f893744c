//! Tests: reruns are never stale, and redo only what a change touches (issue: reruns).

use std::time::SystemTime;

use crate::support::{Project, fixture, pdf_text, repo};

fn project(name: &str) -> Project {
    Project::new(name)
        .copy(&fixture("validate/_referanse"), "data/referanse")
        .copy(&fixture("validate/planted_errors/data"), "data")
        .copy(&repo().join("report-templates"), "report-templates")
}

fn mtime(p: &Project, rel: &str) -> SystemTime {
    std::fs::metadata(p.path(rel)).unwrap().modified().unwrap()
}

fn manifest(p: &Project) -> serde_json::Value {
    serde_json::from_str(&p.read("output/manifest.json")).unwrap()
}

fn stages(p: &Project) -> Vec<String> {
    manifest(p)["timings_ms"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn a_rerun_with_nothing_changed_rewrites_nothing() {
    let p = project("nochange");
    p.run(&["build"]).code(0);
    let (r, s, m) = (
        mtime(&p, "output/rapport.pdf"),
        mtime(&p, "output/styrenotat.pdf"),
        mtime(&p, "output/manifest.json"),
    );
    let out = p.run(&["build"]).code(0);
    assert!(out.stderr.contains("up to date"), "{}", out.stderr);
    assert_eq!(mtime(&p, "output/rapport.pdf"), r);
    assert_eq!(mtime(&p, "output/styrenotat.pdf"), s);
    assert_eq!(mtime(&p, "output/manifest.json"), m);
}

#[test]
fn a_new_log_file_recomputes_and_is_named_in_vedlegg_c() {
    let p = project("newfile");
    p.run(&["build"]).code(0);
    let first = manifest(&p);
    let csv_before = p.read("output/indikatorer/indikatorer.csv");
    let log = "dato;foretak;enhet;yrke;oppgave;minutter;pasient;utført_av\n".to_string()
        + &(0..40)
            .map(|i| {
                format!(
                    "1{}.04.2025;STO;STO-LAR;sykepleier;lar;45;P9{i:03};A00{}\n",
                    i % 9,
                    i % 8
                )
            })
            .collect::<String>();
    std::fs::write(p.path("data/piloter/lar-sykepleier/ny-logg-uke16.csv"), log).unwrap();
    p.run(&["build"]).code(0);
    let second = manifest(&p);
    assert_eq!(second["previous_run_id"], first["run_id"]);
    assert!(
        second["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["path"] == "piloter/lar-sykepleier/ny-logg-uke16.csv"
                && i["sha256"].as_str().unwrap().len() == 64)
    );
    assert!(
        stages(&p).contains(&"validate".to_string()),
        "data changed, so validation must run"
    );
    assert_ne!(
        p.read("output/indikatorer/indikatorer.csv"),
        csv_before,
        "the indicators must move"
    );
    let text = pdf_text(&p.path("output/rapport.pdf"))
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("ny-logg-uke16.csv"),
        "Vedlegg C must name the new file"
    );
    assert!(
        text.contains("riktig") || text.contains("Riktig"),
        "Vedlegg C must list moved indicators"
    );
}

#[test]
fn a_prose_change_in_one_template_recompiles_only_that_document_and_skips_the_analysis() {
    let p = project("prose");
    p.run(&["build"]).code(0);
    let rapport = mtime(&p, "output/rapport.pdf");
    let notat = std::fs::read(p.path("output/styrenotat.pdf")).unwrap();
    let tpl = p.path("report-templates/styrenotat.typ.j2");
    let text = std::fs::read_to_string(&tpl).unwrap();
    std::fs::write(&tpl, format!("{text}\nEn ny setning om oppfølging.\n")).unwrap();
    p.run(&["build"]).code(0);
    assert_eq!(
        mtime(&p, "output/rapport.pdf"),
        rapport,
        "rapport.pdf does not depend on the board template"
    );
    assert_ne!(
        std::fs::read(p.path("output/styrenotat.pdf")).unwrap(),
        notat
    );
    assert!(
        !stages(&p).contains(&"validate".to_string()),
        "prose changes must not revalidate: {:?}",
        stages(&p)
    );
    assert!(pdf_text(&p.path("output/styrenotat.pdf")).contains("En ny setning om oppfølging."));
}

#[test]
fn a_settings_change_invalidates_what_it_touches() {
    let p = project("settings");
    p.run(&["build"]).code(0);
    // A title changes the documents, not the numbers.
    std::fs::write(
        p.path("tsb-report.toml"),
        "[rapport]\ntittel = \"Ny tittel for styret\"\n",
    )
    .unwrap();
    p.run(&["build"]).code(0);
    assert!(!stages(&p).contains(&"validate".to_string()));
    assert!(pdf_text(&p.path("output/rapport.pdf")).contains("Ny tittel for styret"));
    // The suppression threshold changes the numbers.
    std::fs::write(
        p.path("tsb-report.toml"),
        "[rapport]\ntittel = \"Ny tittel for styret\"\n[prikking]\nk = 7\n",
    )
    .unwrap();
    p.run(&["build"]).code(0);
    assert!(stages(&p).contains(&"indicators".to_string()));
}

#[cfg(unix)]
#[test]
fn another_typst_version_recompiles_the_documents_but_not_the_analysis() {
    use std::os::unix::fs::PermissionsExt;
    let p = project("typstversion");
    p.run(&["build"]).code(0);
    let rapport = mtime(&p, "output/rapport.pdf");
    let real = tsb_report::typeset::resolve(None, &|_| {}).unwrap().program;
    let wrapper = format!(
        "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'typst 0.15.99 (test)'; else exec '{}' \"$@\"; fi\n",
        real.display()
    );
    std::fs::write(p.path("typst-wrapper"), wrapper).unwrap();
    std::fs::set_permissions(
        p.path("typst-wrapper"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    p.run(&["build", "--typst", "typst-wrapper"]).code(0);
    assert_ne!(mtime(&p, "output/rapport.pdf"), rapport);
    assert_eq!(manifest(&p)["typst_version"], "0.15.99");
    assert!(!stages(&p).contains(&"validate".to_string()));
}

#[test]
fn cached_logs_are_validated_again_when_a_reference_table_changes() {
    let p = project("cache-reference");
    p.run(&["build"]).code(0);
    assert!(
        p.path("output/.cache/logger").read_dir().unwrap().count() > 0,
        "the log cache was not written"
    );
    // Rename the unit the log names: its rows must now be unknown, not taken from the cache.
    let enheter = p
        .read("data/referanse/enheter.csv")
        .replace("LAR St. Olavs", "LAR sentrum");
    std::fs::write(p.path("data/referanse/enheter.csv"), enheter).unwrap();
    let r = p.run(&["build"]).code(1);
    assert!(
        r.stderr.contains("unknown unit `LAR St. Olavs`"),
        "{}",
        r.stderr
    );
}

#[test]
fn cached_logs_are_validated_again_when_their_pilot_toml_changes() {
    let p = project("cache-pilot");
    p.run(&["build"]).code(0);
    let quarantined = |p: &Project| -> u64 {
        manifest(p)["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["rows_quarantined"].as_u64().unwrap())
            .sum()
    };
    let before = quarantined(&p);
    // End the pilot period ten days earlier: rows of those days fall outside both periods.
    let toml = p
        .read("data/piloter/lar-sykepleier/pilot.toml")
        .replace("til = 2025-06-29", "til = 2025-06-19");
    std::fs::write(p.path("data/piloter/lar-sykepleier/pilot.toml"), toml).unwrap();
    let r = p.run(&["build"]);
    let after = if r.code == 0 {
        quarantined(&p)
    } else {
        u64::MAX
    };
    assert!(
        after > before,
        "the shorter period must quarantine more rows ({before} → {after})\n{}",
        r.stderr
    );
}
