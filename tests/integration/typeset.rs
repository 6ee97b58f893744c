//! Tests: the typst adapter. These use the real, pinned typst found the way `build` finds it
//! (installing it into the cache when absent), so they never skip.

use std::path::Path;

use tsb_report::typeset::{self, TYPST_VERSION, TypesetError, TypstJob};

use crate::support::{Project, pdf_info, planted};

fn typst() -> typeset::Typst {
    typeset::resolve(None, &|m| eprintln!("{m}"))
        .expect("the pinned typst must be available or installable")
}

fn job(p: &Project, name: &str) -> TypstJob {
    TypstJob {
        root: p.path(""),
        source: p.path(&format!("{name}.typ")),
        output: p.path(&format!("{name}.pdf")),
        creation_timestamp: 1_750_000_000,
        font_paths: vec![],
        timeout: None,
    }
}

#[test]
fn resolves_the_pinned_version() {
    assert_eq!(typst().version, TYPST_VERSION);
}

#[test]
fn an_explicit_program_that_does_not_exist_fails_with_a_hint() {
    let err = typeset::resolve(Some(Path::new("/no/such/typst")), &|_| {}).unwrap_err();
    assert!(matches!(err, TypesetError::NotRunnable { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("failed to run typst `/no/such/typst` (not found)"),
        "{msg}"
    );
    let hints = err.hints();
    assert!(hints[0].starts_with("pass `--typst PATH`"), "{hints:?}");
}

#[cfg(unix)]
#[test]
fn an_explicit_program_is_used_and_its_version_read() {
    let p = Project::new("fake-typst");
    p.executable("typst", "#!/bin/sh\necho 'typst 0.15.1 (fake)'\n");
    let t = typeset::resolve(Some(&p.path("typst")), &|_| {}).unwrap();
    assert_eq!(t.version, "0.15.1");
    assert_eq!(t.program, p.path("typst"));
}

#[test]
fn a_typst_error_surfaces_typst_message_and_keeps_the_source() {
    let p = Project::new("typst-error").file("bad.typ", "= Tittel\n#let x = (\n");
    let err = typeset::compile(&typst(), &job(&p, "bad")).unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("failed to typeset"), "{msg}");
    assert!(
        msg.contains("bad.typ:"),
        "typst's own located message is missing: {msg}"
    );
    assert!(msg.contains("error:"), "{msg}");
    assert!(p.path("bad.typ").exists());
    assert!(!p.path("bad.pdf").exists());
}

#[test]
fn the_same_source_gives_byte_identical_pdfs_declaring_pdfa_and_pdfua() {
    let src = "#set document(title: [Prøve], author: \"Sekretariatet\")\n#set text(lang: \"nb\")\n= Sammendrag\nÆøå 1 234,5.\n";
    let p = Project::new("typst-repro").file("a.typ", src);
    let t = typst();
    typeset::compile(&t, &job(&p, "a")).unwrap();
    std::fs::rename(p.path("a.pdf"), p.path("first.pdf")).unwrap();
    typeset::compile(&t, &job(&p, "a")).unwrap();
    assert_eq!(
        std::fs::read(p.path("a.pdf")).unwrap(),
        std::fs::read(p.path("first.pdf")).unwrap()
    );
    let xmp = crate::support::pdf_xmp(&p.path("a.pdf"));
    assert!(
        xmp.contains("pdfaid:part>2") || xmp.contains("pdfaid:part=\"2\""),
        "no PDF/A-2 id: {xmp}"
    );
    assert!(
        xmp.contains("pdfuaid:part>1") || xmp.contains("pdfuaid:part=\"1\""),
        "no PDF/UA-1 id: {xmp}"
    );
    let info = pdf_info(&p.path("a.pdf"));
    assert!(
        info.lines()
            .any(|l| l.starts_with("Title:") && l.ends_with(" Prøve")),
        "{info}"
    );
}

/// A fake `cargo install`: prints canned progress the way cargo does (lines, and a progress
/// bar redrawn with `\r`), waits for the word go, then installs a fake typst at `--root`.
#[cfg(unix)]
fn fake_cargo(p: &Project) -> std::path::PathBuf {
    let body = format!(
        r#"#!/bin/sh
echo "$@" >> '{calls}'
# The profile rustc is to build with, and whether it is there while cargo runs.
flags="$CARGO_ENCODED_RUSTFLAGS"
echo "$flags" >> '{flags}'
profile="${{flags#-Cprofile-use=}}"
if [ -n "$flags" ] && [ "$profile" != "$flags" ] && head -c 8 "$profile" | od -An -tx1 | grep -q 'ff 6c 70 72 6f 66 69 81'; then echo present >> '{flags}'; fi
root=""
prev=""
for a in "$@"; do
  if [ "$prev" = --root ]; then root="$a"; fi
  prev="$a"
done
echo '    Updating crates.io index' >&2
echo '   Compiling proc-macro2 v1.0.95' >&2
printf '    Building [====>          ] 37/412: proc-macro2, syn\r' >&2
echo '   Compiling typst-library v0.15.1' >&2
touch '{started}'
i=0
while [ ! -e '{go}' ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done
mkdir -p "$root/bin"
printf '#!/bin/sh\necho "typst 0.15.1 (fake)"\n' > "$root/bin/typst"
chmod 755 "$root/bin/typst"
echo '  Installed package `typst-cli v0.15.1`' >&2
"#,
        calls = p.path("calls").display(),
        flags = p.path("flags").display(),
        started = p.path("started").display(),
        go = p.path("go").display(),
    );
    p.executable("cargo", &body)
}

#[cfg(unix)]
#[test]
fn the_install_shows_cargo_progress_and_a_second_run_waits_for_the_same_install() {
    use std::sync::mpsc;
    let p = Project::new("install-progress");
    let cargo = fake_cargo(&p);
    let root = p.path("cache/typst");
    let (tx1, rx1) = mpsc::channel::<String>();
    let first = {
        let (cargo, root) = (cargo.clone(), root.clone());
        std::thread::spawn(move || {
            typeset::install_with(&cargo, &root, &|m| {
                let _ = tx1.send(m.to_string());
            })
        })
    };
    crate::incremental::wait_for(&p.path("started"));
    let (tx2, rx2) = mpsc::channel::<String>();
    let second = {
        let (cargo, root) = (cargo.clone(), root.clone());
        std::thread::spawn(move || {
            typeset::install_with(&cargo, &root, &|m| {
                let _ = tx2.send(m.to_string());
            })
        })
    };
    let waiting = rx2
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the second run says nothing");
    std::fs::write(p.path("go"), "").unwrap();
    first.join().unwrap().unwrap();
    second.join().unwrap().unwrap();
    let said: Vec<String> = rx1.try_iter().collect();
    assert!(
        said.iter()
            .any(|l| l.ends_with("Compiling proc-macro2 v1.0.95 (1 crates so far)")),
        "{said:#?}"
    );
    assert!(
        said.iter()
            .any(|l| l.ends_with("Compiling typst-library v0.15.1 (37/412)")),
        "cargo's count must be shown: {said:#?}"
    );
    assert!(
        waiting.contains("waiting for that install")
            && waiting.contains(&format!("pid {}", std::process::id())),
        "{waiting}"
    );
    assert_eq!(
        p.read("calls").lines().count(),
        1,
        "the second run must reuse the first run's install"
    );
    assert_eq!(
        typeset::version_of(&root.join("bin/typst")).unwrap(),
        TYPST_VERSION
    );
    // typst is built with the shipped profile: rustc is told where it is, it is there (an
    // LLVM indexed profile) while cargo runs, and it is gone after.
    let flags = p.read("flags");
    let lines: Vec<&str> = flags.lines().collect();
    let profile = root.join(format!("typst-{TYPST_VERSION}.profdata"));
    assert_eq!(
        lines,
        [
            format!("-Cprofile-use={}", profile.display()).as_str(),
            "present"
        ],
        "{flags}"
    );
    assert!(!profile.exists());
}

/// Every PDF under the project's output folder.
fn pdfs(p: &Project) -> Vec<std::path::PathBuf> {
    p.files()
        .into_iter()
        .filter(|f| {
            f.starts_with("output/") && !f.starts_with("output/.cache") && f.ends_with(".pdf")
        })
        .map(|f| p.path(&f))
        .collect()
}

/// Check a PDF with a real validator (the `page_validation` crate, whose verdicts match
/// veraPDF's test corpus) against PDF/A-2b and PDF/UA-1, and that every table in its
/// structure tree has header cells (a layout table without them is flagged by PDF/UA
/// checkers).
///
/// One rule is checked here instead: page_validation 0.12.2 counts a stream whose data ends
/// in CR (before typst's LF and `endstream`) one byte short and reports "a stream /Length
/// does not match its raw content length" (ISO 19005-2 6.1.7.1:1), which happens to about
/// one stream in 256. [`exact_stream_lengths`] checks that rule strictly instead.
fn assert_conformant(pdf: &Path) {
    use page_validation::{ValidationOptions, ValidationProfile, validate_pdf};
    const STREAM_LENGTH_RULE: &str = "ISO 19005-2:2011:6.1.7.1:1";
    let bytes = std::fs::read(pdf).unwrap();
    let streams = exact_stream_lengths(&bytes).unwrap_or_else(|e| panic!("{}: {e}", pdf.display()));
    assert!(streams > 0, "{}: no streams found", pdf.display());
    for profile in [ValidationProfile::PdfA2b, ValidationProfile::PdfUa1] {
        let report = validate_pdf(pdf, &ValidationOptions::default().profile(profile))
            .unwrap_or_else(|e| panic!("{}: the validator failed: {e}", pdf.display()));
        let failures: Vec<String> = report
            .failures
            .iter()
            .filter(|f| f.rule_id != STREAM_LENGTH_RULE)
            .map(|f| format!("[{}] {}", f.rule_id, f.message))
            .collect();
        assert!(
            failures.is_empty(),
            "{} is not {profile:?}:\n{}",
            pdf.display(),
            failures.join("\n")
        );
    }
    let tables = tables_without_header_cells(pdf);
    assert_eq!(
        tables,
        0,
        "{}: {tables} tables without header cells",
        pdf.display()
    );
}

/// Walk every stream of a PDF in file order and check that its direct `/Length` is exactly
/// the bytes between the EOL after `stream` and the EOL before `endstream` (PDF/A-2
/// 6.1.7.1); returns the number of streams.
fn exact_stream_lengths(b: &[u8]) -> Result<usize, String> {
    let find = |from: usize, what: &[u8]| {
        b.get(from..)
            .and_then(|rest| rest.windows(what.len()).position(|w| w == what))
            .map(|i| from + i)
    };
    let (mut pos, mut n) = (0, 0);
    while let Some(i) = find(pos, b"stream") {
        pos = i + 6;
        if i >= 3 && &b[i - 3..i] == b"end" {
            continue;
        }
        let data = if b[pos..].starts_with(b"\r\n") {
            pos + 2
        } else if b[pos..].starts_with(b"\n") {
            pos + 1
        } else {
            continue;
        };
        // The stream's dictionary: from its object header to the keyword.
        let header = b[..i]
            .windows(4)
            .rposition(|w| w == b" obj")
            .ok_or("a stream outside an object")?;
        let dict = String::from_utf8_lossy(&b[header..i]);
        // `/Length` itself, not `/Length1` of a font file.
        let length = dict
            .match_indices("/Length")
            .map(|(at, _)| &dict[at + 7..])
            .filter(|rest| rest.starts_with(char::is_whitespace))
            .last()
            .ok_or("a stream without /Length")?;
        let length = length.trim_start();
        let digits: String = length.chars().take_while(char::is_ascii_digit).collect();
        let len: usize = digits
            .parse()
            .map_err(|_| "a /Length that is not a number")?;
        if length[digits.len()..]
            .trim_start()
            .starts_with(|c: char| c.is_ascii_digit())
        {
            return Err("an indirect /Length (not checked here)".into());
        }
        let end = data + len;
        let tail = b.get(end..).unwrap_or_default();
        if !(tail.starts_with(b"\nendstream")
            || tail.starts_with(b"\r\nendstream")
            || tail.starts_with(b"\rendstream"))
        {
            return Err(format!(
                "the stream at byte {i} is not /Length {len} bytes long"
            ));
        }
        n += 1;
        pos = end;
    }
    Ok(n)
}

/// The number of `Table` structure elements with no `TH` below them.
fn tables_without_header_cells(pdf: &Path) -> usize {
    use lopdf::{Document, Object};
    let doc = Document::load(pdf).unwrap();
    fn resolve<'a>(doc: &'a Document, o: &'a Object) -> &'a Object {
        match o {
            Object::Reference(id) => doc.get_object(*id).unwrap_or(o),
            _ => o,
        }
    }
    fn kind(doc: &Document, o: &Object) -> Option<Vec<u8>> {
        let d = resolve(doc, o).as_dict().ok()?;
        Some(d.get(b"S").ok()?.as_name().ok()?.to_vec())
    }
    fn kids<'a>(doc: &'a Document, o: &'a Object) -> Vec<&'a Object> {
        let Ok(d) = resolve(doc, o).as_dict() else {
            return Vec::new();
        };
        match d.get(b"K") {
            Ok(k) => match resolve(doc, k) {
                Object::Array(a) => a.iter().collect(),
                _ => vec![k],
            },
            Err(_) => Vec::new(),
        }
    }
    fn has_th(doc: &Document, o: &Object, depth: usize) -> bool {
        depth < 64
            && kids(doc, o).into_iter().any(|k| {
                kind(doc, k).as_deref() == Some(b"TH".as_slice()) || has_th(doc, k, depth + 1)
            })
    }
    fn walk(doc: &Document, o: &Object, depth: usize, bad: &mut usize) {
        if depth > 64 {
            return;
        }
        if kind(doc, o).as_deref() == Some(b"Table".as_slice()) && !has_th(doc, o, 0) {
            *bad += 1;
        }
        for k in kids(doc, o) {
            walk(doc, k, depth + 1, bad);
        }
    }
    let root = doc
        .catalog()
        .unwrap()
        .get(b"StructTreeRoot")
        .expect("a tagged PDF has a structure tree");
    let mut bad = 0;
    walk(&doc, root, 0, &mut bad);
    bad
}

#[test]
fn the_table_check_finds_a_layout_table_without_header_cells() {
    let src = "#set document(title: [Prøve])\n#set text(lang: \"nb\")\n= Tittel\n#table(columns: 2, [Dato:], [1. mai])\n";
    let p = Project::new("layout-table").file("a.typ", src);
    typeset::compile(&typst(), &job(&p, "a")).unwrap();
    assert_eq!(tables_without_header_cells(&p.path("a.pdf")), 1);
    let src = src.replace("#table(columns: 2,", "#grid(columns: 2,");
    let p = Project::new("layout-grid").file("a.typ", src);
    typeset::compile(&typst(), &job(&p, "a")).unwrap();
    assert_eq!(tables_without_header_cells(&p.path("a.pdf")), 0);
}

#[test]
fn every_pdf_the_build_writes_passes_pdfa_2b_and_pdfua_1() {
    let p = planted("conformance").templates();
    p.run(&["build"]).code(0);
    let all = pdfs(&p);
    assert!(all.len() >= 3, "{all:?}");
    for pdf in &all {
        assert_conformant(pdf);
    }
}

/// A pilot named with an emoji and Chinese, a log file named with an emoji, and a
/// character no shipped font has (an Egyptian hieroglyph) in the pilot's description.
#[test]
fn text_the_embedded_fonts_lack_is_shown_or_marked_and_check_and_build_agree() {
    let p = planted("fonts").templates();
    let before = p.run(&["check"]);
    let toml = p
        .read("data/piloter/lar-sykepleier/pilot.toml")
        .replace(
            "navn = \"Sykepleierkoordinert LAR-oppfølging\"",
            "navn = \"Pilot 🚀 北京 avd\"",
        )
        .replace(
            "mellom legekonsultasjonene.",
            "mellom legekonsultasjonene \u{13000}.",
        );
    assert!(toml.contains('🚀') && toml.contains('\u{13000}'));
    std::fs::write(p.path("data/piloter/lar-sykepleier/pilot.toml"), toml).unwrap();
    std::fs::rename(
        p.path("data/piloter/lar-sykepleier/logg-2025.csv"),
        p.path("data/piloter/lar-sykepleier/uke06😀.csv"),
    )
    .unwrap();
    let check = p.run(&["check"]);
    assert_eq!(check.code, before.code, "{}", check.stderr);
    assert!(
        check.stderr.contains("U+13000") && check.stderr.contains("pilot.toml"),
        "check warns about the character, naming the file: {}",
        check.stderr
    );
    assert!(!check.stderr.contains("U+1F680"), "{}", check.stderr);
    let build = p.run(&["build"]).code(0);
    assert!(
        build.stderr.contains("U+13000") && build.stderr.contains("printed as □"),
        "a character no font has is named in a warning: {}",
        build.stderr
    );
    assert!(!build.stderr.contains("U+1F680"), "{}", build.stderr);
    let text = crate::support::pdf_text(&p.path("output/rapport.pdf"));
    for s in ["🚀", "北京", "😀", "□"] {
        assert!(text.contains(s), "rapport.pdf lacks {s}");
    }
    assert!(crate::support::pdf_text(&p.path("output/styrenotat.pdf")).contains("北京"));
    for pdf in pdfs(&p) {
        assert_conformant(&pdf);
    }
}

#[test]
fn every_pdf_of_the_bundled_sample_passes_pdfa_2b_and_pdfua_1() {
    use crate::support::repo;
    let p = Project::new("conformance-sample");
    let (data, templates, settings) = (
        repo().join("data"),
        repo().join("report-templates"),
        repo().join("tsb-report.toml"),
    );
    p.run(&[
        "build",
        "--data",
        data.to_str().unwrap(),
        "--templates",
        templates.to_str().unwrap(),
        "--settings",
        settings.to_str().unwrap(),
    ])
    .code(0);
    let all = pdfs(&p);
    assert!(all.len() >= 7, "{all:?}");
    for pdf in &all {
        assert_conformant(pdf);
    }
}
