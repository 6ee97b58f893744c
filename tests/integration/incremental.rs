//! Tests: reruns are never stale, and redo only what a change touches (issue: reruns).

use crate::support::{LOG_HEADER, Project, log_lines, pdf_text, planted};

fn stages(p: &Project) -> Vec<String> {
    p.manifest()["timings_ms"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn a_rerun_with_nothing_changed_rewrites_nothing() {
    let p = planted("nochange").templates();
    p.run(&["build"]).code(0);
    let (r, s, m) = (
        p.mtime("output/rapport.pdf"),
        p.mtime("output/styrenotat.pdf"),
        p.mtime("output/manifest.json"),
    );
    let out = p.run(&["build"]).code(0);
    assert!(out.stderr.contains("up to date"), "{}", out.stderr);
    assert_eq!(p.mtime("output/rapport.pdf"), r);
    assert_eq!(p.mtime("output/styrenotat.pdf"), s);
    assert_eq!(p.mtime("output/manifest.json"), m);
}

#[test]
fn a_new_log_file_recomputes_and_is_named_in_vedlegg_c() {
    let p = planted("newfile").templates();
    p.run(&["build"]).code(0);
    let first = p.manifest();
    let csv_before = p.read("output/indikatorer/indikatorer.csv");
    let log = LOG_HEADER.to_string() + &log_lines(40).concat();
    std::fs::write(p.path("data/piloter/lar-sykepleier/ny-logg-uke16.csv"), log).unwrap();
    p.run(&["build"]).code(0);
    let second = p.manifest();
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
    let p = planted("prose").templates();
    p.run(&["build"]).code(0);
    let rapport = p.mtime("output/rapport.pdf");
    let notat = std::fs::read(p.path("output/styrenotat.pdf")).unwrap();
    let tpl = p.path("report-templates/styrenotat.typ.j2");
    let text = std::fs::read_to_string(&tpl).unwrap();
    std::fs::write(&tpl, format!("{text}\nEn ny setning om oppfølging.\n")).unwrap();
    p.run(&["build"]).code(0);
    assert_eq!(
        p.mtime("output/rapport.pdf"),
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
fn the_cached_analysis_is_reused_by_its_own_data_key_whatever_the_key_beside_it_says() {
    let p = planted("analysekey").templates();
    p.run(&["build"]).code(0);
    let key_file = p.path("output/.cache/analyse.key");
    let key = p.read("output/.cache/analyse.key");
    assert_eq!(key.len(), 64, "{key}");
    let analysis = p.read("output/.cache/analyse.json");
    assert!(analysis.contains(&key));
    let prose = |n: usize| {
        let tpl = p.path("report-templates/styrenotat.typ.j2");
        let text = std::fs::read_to_string(&tpl).unwrap();
        std::fs::write(&tpl, format!("{text}\nSetning {n}.\n")).unwrap();
        p.run(&["build"]).code(0);
    };
    // A cache from before the key was kept beside it: the analysis is still reused.
    std::fs::remove_file(&key_file).unwrap();
    prose(1);
    assert!(!stages(&p).contains(&"validate".to_string()));
    // The key beside it agrees, the analysis itself is for other data: not reused.
    std::fs::write(&key_file, &key).unwrap();
    std::fs::write(
        p.path("output/.cache/analyse.json"),
        analysis.replace(&key, &"0".repeat(64)),
    )
    .unwrap();
    prose(2);
    assert!(stages(&p).contains(&"validate".to_string()));
    assert_eq!(p.read("output/.cache/analyse.key"), key);
    // A key beside it that disagrees settles it without the analysis: not reused.
    std::fs::write(&key_file, "1".repeat(64)).unwrap();
    prose(3);
    assert!(stages(&p).contains(&"validate".to_string()));
}

#[test]
fn a_settings_change_invalidates_what_it_touches() {
    let p = planted("settings").templates();
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
    let p = planted("typstversion").templates();
    p.run(&["build"]).code(0);
    let rapport = p.mtime("output/rapport.pdf");
    let real = tsb_report::typeset::resolve(None, &|_| {}).unwrap().program;
    let wrapper = format!(
        "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'typst 0.15.99 (test)'; else exec '{}' \"$@\"; fi\n",
        real.display()
    );
    p.executable("typst-wrapper", &wrapper);
    p.run(&["build", "--typst", "typst-wrapper"]).code(0);
    assert_ne!(p.mtime("output/rapport.pdf"), rapport);
    assert_eq!(p.manifest()["typst_version"], "0.15.99");
    assert!(!stages(&p).contains(&"validate".to_string()));
}

#[test]
fn cached_logs_are_validated_again_when_a_reference_table_changes() {
    let p = planted("cache-reference").templates();
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
    let p = planted("cache-pilot").templates();
    p.run(&["build"]).code(0);
    let quarantined = |p: &Project| -> u64 {
        p.manifest()["inputs"]
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

/// The project with a second pilot, `lar-kopi`: the first one's log under another id, one
/// value changed so that it is not a duplicate file.
fn two_pilots(name: &str) -> Project {
    let p = planted(name).templates();
    let from = p.path("data/piloter/lar-sykepleier");
    let to = p.path("data/piloter/lar-kopi");
    crate::support::copy_dir(&from, &to);
    let toml = p
        .read("data/piloter/lar-kopi/pilot.toml")
        .replace("id = \"lar-sykepleier\"", "id = \"lar-kopi\"");
    std::fs::write(to.join("pilot.toml"), toml).unwrap();
    let log = std::fs::read(to.join("logg-2025.csv")).unwrap();
    let at = log.windows(4).position(|w| w == b";15;").unwrap();
    let mut changed = log.clone();
    changed[at + 2] = b'6';
    std::fs::write(to.join("logg-2025.csv"), changed).unwrap();
    p
}

fn reused_pilots(p: &Project) -> Vec<String> {
    p.manifest()["reused"]["pilots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// The indicator export of a build from scratch (no caches) of the same project.
fn export_from_scratch(p: &Project) -> String {
    std::fs::remove_dir_all(p.path("output")).unwrap();
    p.run(&["build"]).code(0);
    assert!(reused_pilots(p).is_empty());
    p.read("output/indikatorer/indikatorer.csv")
}

#[test]
fn a_new_log_file_recomputes_only_its_own_pilot_and_gives_the_numbers_of_a_cold_build() {
    let p = two_pilots("perpilot");
    p.run(&["build"]).code(0);
    assert!(reused_pilots(&p).is_empty(), "nothing cached yet");
    let log = "dato;foretak;enhet;yrke;oppgave;minutter;pasient\n".to_string()
        + &(0..30)
            .map(|i| {
                format!(
                    "1{}.04.2025;STO;STO-LAR;sykepleier;lar;30;P8{i:03}\n",
                    i % 9
                )
            })
            .collect::<String>();
    std::fs::write(p.path("data/piloter/lar-sykepleier/ny-logg.csv"), log).unwrap();
    p.run(&["build"]).code(0);
    assert_eq!(reused_pilots(&p), ["lar-kopi"]);
    assert_eq!(
        p.manifest()["reused"]["log_files"],
        2,
        "both earlier logs come from the log cache"
    );
    let incremental = p.read("output/indikatorer/indikatorer.csv");
    assert!(incremental.contains("lar-kopi") && incremental.contains("lar-sykepleier"));
    assert_eq!(incremental, export_from_scratch(&p));
}

#[test]
fn cached_pilots_are_computed_again_when_what_they_depend_on_changes() {
    let p = two_pilots("perpilot-deps");
    p.run(&["build"]).code(0);
    // One pilot's pilot.toml: that pilot only.
    let toml = p
        .read("data/piloter/lar-sykepleier/pilot.toml")
        .replace("til = 2025-06-29", "til = 2025-06-22");
    std::fs::write(p.path("data/piloter/lar-sykepleier/pilot.toml"), toml).unwrap();
    p.run(&["build"]).code(0);
    assert_eq!(reused_pilots(&p), ["lar-kopi"]);
    // The suppression threshold: no pilot (a draft holds counts; disclosure control
    // applies `k`), and the numbers of a cold build.
    std::fs::write(p.path("tsb-report.toml"), "[prikking]\nk = 6\n").unwrap();
    p.run(&["build"]).code(0);
    assert_eq!(reused_pilots(&p), ["lar-kopi", "lar-sykepleier"]);
    let incremental = p.read("output/indikatorer/indikatorer.csv");
    assert_eq!(incremental, export_from_scratch(&p));
    // A reference table: every pilot.
    let yrker = p.read("data/referanse/yrker.csv") + "\n";
    std::fs::write(p.path("data/referanse/yrker.csv"), yrker).unwrap();
    p.run(&["build"]).code(0);
    assert!(reused_pilots(&p).is_empty());
    // A removed log file: its pilot.
    std::fs::remove_file(p.path("data/piloter/lar-kopi/logg-2025.csv")).unwrap();
    p.run(&["build"]).code(0);
    assert_eq!(reused_pilots(&p), ["lar-sykepleier"]);
    let incremental = p.read("output/indikatorer/indikatorer.csv");
    assert!(!incremental.contains("lar-kopi"));
    assert_eq!(incremental, export_from_scratch(&p));
}

#[test]
fn another_tool_version_recomputes_everything() {
    let p = two_pilots("toolversion");
    p.run(&["build"]).code(0);
    p.run(&["build"]).code(0);
    let rapport = p.mtime("output/rapport.pdf");
    let export = p.read("output/indikatorer/indikatorer.csv");
    p.run_with(&["build"], &[("TSB_REPORT_VERSION", "9.9.9")])
        .code(0);
    let m = p.manifest();
    assert_eq!(m["tool_version"], "9.9.9");
    let reused = &m["reused"];
    assert_eq!(reused["analysis"], false);
    assert_eq!(
        reused["log_files"], 0,
        "no log comes from the old version's cache"
    );
    assert!(reused_pilots(&p).is_empty());
    assert!(stages(&p).contains(&"validate".to_string()));
    // Appendix D names the tool version, so the report is typeset again; a document whose
    // Typst sources came out the same is left as it is.
    assert!(
        !reused["documents"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("rapport.pdf"))
    );
    assert_ne!(p.mtime("output/rapport.pdf"), rapport);
    assert!(pdf_text(&p.path("output/rapport.pdf")).contains("9.9.9"));
    assert_eq!(p.read("output/indikatorer/indikatorer.csv"), export);
}

// ---------------------------------------------------------------- faults (issue 11.3–11.6)

/// An executable shell script in the project.
#[cfg(unix)]
fn script(p: &Project, name: &str, body: &str) -> std::path::PathBuf {
    p.executable(name, &format!("#!/bin/sh\n{body}"))
}

/// Every file under the output folder with its bytes, but the kept failed run and the
/// (emptied) lock file.
fn output_files(p: &Project) -> std::collections::BTreeMap<String, Vec<u8>> {
    p.files()
        .into_iter()
        .filter(|f| f.starts_with("output/"))
        .filter(|f| !f.starts_with("output/.cache/feilet/") && f != "output/.cache/build.lock")
        .map(|f| {
            let bytes = std::fs::read(p.path(&f)).unwrap();
            (f, bytes)
        })
        .collect()
}

/// A built project whose board template then changed, so the next build typesets again.
fn built_then_changed(name: &str) -> Project {
    let p = planted(name).templates();
    p.run(&["build"]).code(0);
    let tpl = p.path("report-templates/styrenotat.typ.j2");
    let text = std::fs::read_to_string(&tpl).unwrap();
    std::fs::write(&tpl, format!("{text}\nEn ny setning.\n")).unwrap();
    p
}

fn assert_same_files(
    before: &std::collections::BTreeMap<String, Vec<u8>>,
    after: &std::collections::BTreeMap<String, Vec<u8>>,
) {
    let names =
        |m: &std::collections::BTreeMap<String, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(before),
        names(after),
        "the failed run added or removed files"
    );
    for (name, bytes) in before {
        assert!(after[name] == *bytes, "the failed run changed `{name}`");
    }
}

#[cfg(unix)]
#[test]
fn a_failing_typst_changes_nothing_under_the_output_folder_and_keeps_its_typst() {
    let p = built_then_changed("typst-fails");
    let before = output_files(&p);
    script(
        &p,
        "typst-fails",
        "if [ \"$1\" = --version ]; then echo 'typst 0.15.1 (fake)'; exit 0; fi\necho 'styrenotat.typ:1:1: error: planted failure' >&2\nexit 1\n",
    );
    let r = p.run(&["build", "--typst", "typst-fails"]).code(2);
    assert!(r.stderr.contains("planted failure"), "{}", r.stderr);
    assert!(
        r.stderr.contains(".cache/feilet"),
        "the message must say where the Typst is kept: {}",
        r.stderr
    );
    assert!(p.path("output/.cache/feilet/styrenotat.typ").is_file());
    assert!(
        p.read("output/.cache/feilet/styrenotat.typ")
            .contains("En ny setning.")
    );
    assert_same_files(&before, &output_files(&p));
    // The next good build is not disturbed by the kept folder.
    p.run(&["build"]).code(0);
    assert!(pdf_text(&p.path("output/styrenotat.pdf")).contains("En ny setning."));
}

#[cfg(unix)]
#[test]
fn a_hanging_typst_is_stopped_after_the_timeout_and_nothing_is_written() {
    let p = built_then_changed("typst-hangs");
    let before = output_files(&p);
    script(
        &p,
        "typst-hangs",
        "if [ \"$1\" = --version ]; then echo 'typst 0.15.1 (fake)'; exit 0; fi\nexec sleep 30\n",
    );
    let r = p
        .run_with(
            &["build", "--typst", "typst-hangs"],
            &[("TSB_REPORT_TYPST_TIMEOUT", "1")],
        )
        .code(2);
    assert!(
        r.stderr.contains("did not finish within 1 s"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("styrenotat.typ"),
        "name the document: {}",
        r.stderr
    );
    assert!(
        r.stderr.contains("TSB_REPORT_TYPST_TIMEOUT"),
        "{}",
        r.stderr
    );
    assert_same_files(&before, &output_files(&p));
    let r = p
        .run_with(&["build"], &[("TSB_REPORT_TYPST_TIMEOUT", "soon")])
        .code(2);
    assert!(
        r.stderr.contains("TSB_REPORT_TYPST_TIMEOUT"),
        "{}",
        r.stderr
    );
}

/// Spawn the binary in the project (stderr piped).
fn spawn(p: &Project, args: &[&str]) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_tsb-report"))
        .args(args)
        .current_dir(&p.dir)
        .env_remove("TSB_REPORT_DATA")
        .env_remove("TSB_REPORT_VERSION")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Wait (bounded) until `path` exists.
pub(crate) fn wait_for(path: &std::path::Path) {
    for _ in 0..1200 {
        if path.exists() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("`{}` never appeared", path.display());
}

#[cfg(unix)]
#[test]
fn a_build_killed_while_typst_writes_leaves_nothing_the_next_build_keeps() {
    let p = built_then_changed("killed");
    // Leftovers of an earlier version's interrupted run, at the places it wrote them.
    std::fs::write(p.path("output/.rapport.tmp-4242.pdf"), "half a PDF").unwrap();
    std::fs::write(p.path("output/.manifest.json.tmp-4242"), "{").unwrap();
    // typst writes half a PDF, then hangs until the build is killed.
    script(
        &p,
        "typst-slow",
        &format!(
            "if [ \"$1\" = --version ]; then echo 'typst 0.15.1 (fake)'; exit 0; fi\nfor a in \"$@\"; do out=\"$a\"; done\necho 'half a PDF' > \"$out\"\ntouch '{}'\nexec sleep 20\n",
            p.path("typst-started").display()
        ),
    );
    let mut child = spawn(&p, &["build", "--typst", "typst-slow"]);
    wait_for(&p.path("typst-started"));
    child.kill().unwrap();
    child.wait().unwrap();
    let r = p.run(&["build"]).code(0);
    assert!(r.stderr.contains("an interrupted run left"), "{}", r.stderr);
    let left: Vec<String> = p
        .files()
        .into_iter()
        .filter(|f| f.starts_with("output/") && (f.contains(".tmp-") || f.contains("/stage-")))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(pdf_text(&p.path("output/styrenotat.pdf")).contains("En ny setning."));
}

#[cfg(unix)]
#[test]
fn two_builds_into_the_same_folder_wait_for_each_other() {
    use std::io::BufRead;
    let p = planted("two-at-once").templates();
    let real = tsb_report::typeset::resolve(None, &|_| {}).unwrap().program;
    // The first build's typst waits for the word go before compiling, so the second build
    // surely starts while the first holds the folder.
    script(
        &p,
        "typst-gate",
        &format!(
            "if [ \"$1\" = --version ]; then exec '{real}' --version; fi\ntouch '{started}'\ni=0\nwhile [ ! -e '{go}' ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done\nexec '{real}' \"$@\"\n",
            real = real.display(),
            started = p.path("first-started").display(),
            go = p.path("go").display()
        ),
    );
    let first = spawn(&p, &["build", "--typst", "typst-gate"]);
    let first_id = first.id();
    wait_for(&p.path("first-started"));
    let mut second = spawn(&p, &["build"]);
    let stderr = second.stderr.take().unwrap();
    let mut said = String::new();
    let mut lines = std::io::BufReader::new(stderr).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        said.push_str(&line);
        said.push('\n');
        if line.contains("waiting for") {
            break;
        }
    }
    std::fs::write(p.path("go"), "").unwrap();
    // Read on to the end (a closed pipe would fail the second build).
    for line in lines {
        said.push_str(&line.unwrap());
        said.push('\n');
    }
    let first = first.wait_with_output().unwrap();
    let second_status = second.wait().unwrap();
    assert!(
        first.status.success(),
        "the first build failed: {}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(second_status.success(), "the second build failed: {said}");
    assert!(
        said.contains("waiting for") && said.contains(&format!("pid {first_id}")),
        "the second build must say whom it waits for: {said}"
    );
    assert!(pdf_text(&p.path("output/rapport.pdf")).contains("Sammendrag"));
}

#[cfg(unix)]
#[test]
fn a_typst_that_reports_success_but_writes_no_pdf_changes_nothing() {
    let p = built_then_changed("typst-silent");
    let before = output_files(&p);
    script(
        &p,
        "typst-silent",
        "if [ \"$1\" = --version ]; then echo 'typst 0.15.1 (fake)'; fi\nexit 0\n",
    );
    let r = p.run(&["build", "--typst", "typst-silent"]).code(2);
    assert!(r.stderr.contains("was not made"), "{}", r.stderr);
    assert_same_files(&before, &output_files(&p));
}

#[test]
fn a_build_gives_up_on_a_held_output_folder_after_the_lock_timeout_naming_the_holder() {
    let p = planted("lock-timeout").templates();
    let held = tsb_report::fsx::OutputLock::acquire(&p.path("output"), &|_| {}).unwrap();
    let r = p
        .run_with(&["build"], &[("TSB_REPORT_LOCK_TIMEOUT", "0.2")])
        .code(2);
    assert!(
        r.stderr
            .contains(&format!("(pid {}) still holds", std::process::id())),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("TSB_REPORT_LOCK_TIMEOUT"), "{}", r.stderr);
    drop(held);
    p.run(&["build"]).code(0);
}

/// Every file under the project's output folder with its bytes and modification time.
fn output_state(p: &Project) -> Vec<(String, Vec<u8>, std::time::SystemTime)> {
    p.files()
        .into_iter()
        .filter(|f| f.starts_with("output/"))
        .map(|f| (f.clone(), std::fs::read(p.path(&f)).unwrap(), p.mtime(&f)))
        .collect()
}

#[test]
fn check_after_a_build_takes_unchanged_logs_from_the_caches_says_what_a_cold_check_says_and_writes_nothing()
 {
    let p = planted("checkcache").templates();
    p.run(&["build"]).code(0);
    let before = output_state(&p);
    // Every log unchanged: no log is read again.
    let cold = p.run(&["check", "--out", "ingen-utdata"]).code(1);
    let warm = p.run(&["check"]).code(1);
    assert_eq!(warm.stderr, cold.stderr);
    assert_eq!(warm.stdout, cold.stdout);
    assert!(cold.stderr.contains("row errors"), "{}", cold.stderr);
    // A new log with a bad row: its pilot is validated again, the others come from the caches.
    let mut lines = log_lines(40);
    lines[7] = lines[7].replace("STO-LAR", "STO-UKJENT");
    std::fs::write(
        p.path("data/piloter/lar-sykepleier/ny-logg-uke16.csv"),
        LOG_HEADER.to_string() + &lines.concat(),
    )
    .unwrap();
    let cold = p.run(&["check", "--out", "ingen-utdata"]).code(1);
    let warm = p.run(&["check"]).code(1);
    assert_eq!(warm.stderr, cold.stderr);
    assert_eq!(warm.stdout, cold.stdout);
    assert!(cold.stderr.contains("ny-logg-uke16.csv"), "{}", cold.stderr);
    assert!(!p.path("ingen-utdata").exists());
    assert_eq!(output_state(&p), before, "check changed the output folder");
}

/// A new log of the sample's LAR pilot: the first `lines` lines of one of its logs, as bytes
/// (the log's own encoding and line ends).
fn new_log_from_head(p: &Project, lines: usize) {
    let log = std::fs::read(p.path("data/piloter/lar-sykepleier/logg-2025-03.csv")).unwrap();
    let cut = log
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(lines)
        .unwrap()
        .0;
    std::fs::write(
        p.path("data/piloter/lar-sykepleier/ny-logg.csv"),
        &log[..=cut],
    )
    .unwrap();
}

#[test]
fn the_survey_indicators_come_from_the_cache_when_only_logs_changed_with_the_numbers_of_a_cold_build()
 {
    let p = Project::new("surveycache").sample().templates();
    p.run(&["build"]).code(0);
    assert_eq!(
        p.manifest()["reused"]["surveys"],
        false,
        "nothing cached yet"
    );
    new_log_from_head(&p, 400);
    p.run(&["build"]).code(0);
    assert_eq!(p.manifest()["reused"]["surveys"], true);
    let incremental = p.read("output/indikatorer/indikatorer.csv");
    assert!(incremental.contains("utfordring_score_endring"));
    assert_eq!(incremental, export_from_scratch(&p));
    assert_eq!(p.manifest()["reused"]["surveys"], false);
    // A reference table changed: the survey indicators are computed again.
    p.run(&["build"]).code(0);
    let yrker = p.read("data/referanse/yrker.csv") + "\n";
    std::fs::write(p.path("data/referanse/yrker.csv"), yrker).unwrap();
    p.run(&["build"]).code(0);
    assert_eq!(p.manifest()["reused"]["surveys"], false);
    assert_eq!(
        p.files()
            .iter()
            .filter(|f| f.contains(".cache/undersokelser/"))
            .count(),
        1
    );
}

#[test]
fn the_files_other_than_logs_come_from_the_cache_when_only_logs_changed_with_what_a_cold_build_says()
 {
    let p = Project::new("otherscache").sample().templates();
    p.run(&["build"]).code(0);
    assert_eq!(
        p.manifest()["reused"]["others"],
        false,
        "nothing cached yet"
    );
    new_log_from_head(&p, 300);
    let warm = p.run(&["build"]).code(0);
    assert_eq!(p.manifest()["reused"]["others"], true);
    let quarantine = |p: &Project| -> Vec<(String, String)> {
        p.files()
            .into_iter()
            .filter(|f| f.starts_with("output/karantene/"))
            .map(|f| (f.clone(), p.read(&f)))
            .collect()
    };
    let (warm_export, warm_quarantine) =
        (p.read("output/indikatorer/indikatorer.csv"), quarantine(&p));
    let inputs = p.manifest()["inputs"].clone();
    // From scratch: the same messages, quarantine, export and accounting of every file.
    std::fs::remove_dir_all(p.path("output")).unwrap();
    let cold = p.run(&["build"]).code(0);
    assert_eq!(p.manifest()["reused"]["others"], false);
    assert_eq!(warm.stderr, cold.stderr);
    assert!(cold.stderr.contains("warning"), "{}", cold.stderr);
    assert_eq!(warm_export, p.read("output/indikatorer/indikatorer.csv"));
    assert_eq!(warm_quarantine, quarantine(&p));
    assert!(!warm_quarantine.is_empty());
    assert_eq!(inputs, p.manifest()["inputs"]);
    // A survey export changed: the other files are validated again, and one entry is kept.
    let tsv = p.read("data/undersokelser/ansattundersokelse-2025.tsv");
    let last = tsv.trim_end().lines().last().unwrap().to_string();
    std::fs::write(
        p.path("data/undersokelser/ansattundersokelse-2025.tsv"),
        tsv.replacen(&(last.clone() + "\n"), "", 1),
    )
    .unwrap();
    p.run(&["build"]).code(0);
    assert_eq!(p.manifest()["reused"]["others"], false);
    assert_eq!(
        p.files()
            .iter()
            .filter(|f| f.contains(".cache/andre/"))
            .count(),
        1
    );
}

#[test]
fn messages_name_the_data_folder_of_this_run_even_when_every_file_comes_from_the_caches() {
    let p = Project::new("movedcache").sample().templates();
    let first = p.run(&["build"]).code(0);
    assert!(
        first.stderr.contains("--> data/piloter/"),
        "{}",
        first.stderr
    );
    assert!(
        first.stderr.contains("--> data/undersokelser/"),
        "{}",
        first.stderr
    );
    // The same files under another name: every message names the folder given now.
    crate::support::copy_dir(&p.path("data"), &p.path("kopi"));
    let again = p.run(&["build", "--data", "kopi"]).code(0);
    assert!(!again.stderr.contains("--> data/"), "{}", again.stderr);
    assert_eq!(again.stderr, first.stderr.replace("--> data/", "--> kopi/"));
    let inputs = p.read("output/manifest.json");
    assert!(!inputs.contains("\"data/"), "{inputs}");
}
