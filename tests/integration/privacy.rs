//! Tests: personal data never leaves the ingest stage (data-contract §7).

use crate::support::{Project, pdf_text};

fn all_output_text(p: &Project) -> String {
    let mut text = String::new();
    for f in p.files().into_iter().filter(|f| f.starts_with("output/")) {
        let path = p.path(&f);
        if f.ends_with(".pdf") {
            text.push_str(&pdf_text(&path));
        }
        text.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
    }
    text
}

#[test]
fn no_name_or_email_from_a_survey_export_reaches_any_output() {
    let p = Project::new("privacy")
        .reference()
        .data("survey_person_columns");
    p.run(&["build"]).code(0);
    let text = all_output_text(&p);
    assert!(
        text.len() > 10_000,
        "the build wrote too little to be a real check"
    );
    for needle in ["Nordmann", "@example.no", "ola.nordmann"] {
        assert!(!text.contains(needle), "`{needle}` leaked into the outputs");
    }
    // The survey itself did reach the documents.
    assert!(text.contains("ansatt-2025"));
}
