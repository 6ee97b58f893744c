//! Tests: the typst adapter. These use the real, pinned typst found the way `build` finds it
//! (installing it into the cache when absent), so they never skip.

use std::path::Path;

use tsb_report::typeset::{self, TYPST_VERSION, TypesetError, TypstJob};

use crate::support::{Project, pdf_info};

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
    assert!(msg.contains("hint: pass `--typst PATH`"), "{msg}");
}

#[cfg(unix)]
#[test]
fn an_explicit_program_is_used_and_its_version_read() {
    use std::os::unix::fs::PermissionsExt;
    let p = Project::new("fake-typst").file("typst", "#!/bin/sh\necho 'typst 0.15.1 (fake)'\n");
    std::fs::set_permissions(p.path("typst"), std::fs::Permissions::from_mode(0o755)).unwrap();
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
