//! Tests: survey exports as the tools write them (data-contract §6–§6.3), survey rounds
//! (indicators.md §4) and the survey side of disclosure control (§5).

use tsb_report::indicators::{IndicatorSettings, Keys, compute};
use tsb_report::model::*;
use tsb_report::render::RenderInput;

use crate::support::model::{enhet, foretak, render_input, yrke};
use crate::support::{Project, check, first_file_error, fixture, short};

/// A project with the shared reference tables and one export with its codebook.
fn survey(name: &str, export: &str, bytes: impl AsRef<[u8]>, codebook: &str) -> Project {
    let stem = export.rsplit_once('.').map_or(export, |(s, _)| s);
    Project::new(name)
        .reference()
        .file(&format!("data/undersokelser/{export}"), bytes)
        .file(&format!("data/undersokelser/{stem}.kodebok.toml"), codebook)
}

// ---------------------------------------------------------------- item 6: suppression

fn reference() -> Reference {
    Reference {
        foretak: vec![
            foretak("A", "A", Ownership::Offentlig),
            foretak("B", "B", Ownership::Offentlig),
        ],
        enheter: vec![enhet("A-1", "A", "A-1"), enhet("B-1", "B", "B-1")],
        yrker: vec![yrke("spl", "spl", 2, false)],
        oppgaver: vec![],
    }
}

fn respondent(i: usize, enhet: &str, score: f64) -> Respondent {
    Respondent {
        undersokelse: "ans2026".into(),
        survey_type: SurveyType::Ansatt,
        respondent: format!("r{i}"),
        foretak_id: enhet[..1].into(),
        enhet_id: enhet.into(),
        yrke_id: Some("spl".into()),
        scores: vec![ItemScore {
            omrade: "kapasitet".into(),
            score,
        }],
        tid_andre_kunne_gjort: None,
        vurderer_a_slutte: Some(i.is_multiple_of(2)),
    }
}

/// Issue 10, item 6: one trust at 3 respondents, another at 11. The region (14) must stay
/// published; the other trust's cell goes instead.
#[test]
fn surveys_secondary_suppression_keeps_the_region_of_3_and_11() {
    let mut rs: Vec<Respondent> = (0..3).map(|i| respondent(i, "A-1", 4.0)).collect();
    rs.extend((3..14).map(|i| respondent(i, "B-1", 2.0 + (i % 3) as f64)));
    let ds = Dataset {
        reference: reference(),
        respondents: rs,
        ..Dataset::default()
    };
    let t = compute(&ds, &IndicatorSettings::default()).unwrap();
    let area = |k: Keys| Keys {
        undersokelse: Some("ans2026".into()),
        omrade: Some("kapasitet".into()),
        ..k
    };
    let fo = |f: &str| Keys {
        foretak_id: Some(f.into()),
        ..Keys::default()
    };
    for id in ["utfordring_score", "utfordring_andel"] {
        let region = t.get(id, "region", &area(Keys::default())).unwrap();
        assert!(!region.prikket, "{id}: the region (14) must stay published");
        assert_eq!(region.n, Some(14));
        assert!(t.get(id, "foretak", &area(fo("A"))).unwrap().prikket);
        assert!(
            t.get(id, "foretak", &area(fo("B"))).unwrap().prikket,
            "{id}: trust B (11) is hidden instead of the region"
        );
    }
    let region = t
        .get(
            "vurderer_a_slutte_andel",
            "region",
            &Keys {
                undersokelse: Some("ans2026".into()),
                ..Keys::default()
            },
        )
        .unwrap();
    assert!(!region.prikket);
}

// ---------------------------------------------------------------- item 7: messages

const CODEBOOK: &str = r#"type = "ansatt"
respondent = "E-post"
innsendt = "Opprettet"
foretak = "Helseforetak"
enhet = "Enhet"
yrke = "Yrkesgruppe"

[svarskala]
"Uenig" = 2
"Enig" = 4

[[sporsmal]]
kolonne = "q1"
omrade = "kapasitet"
retning = "utfordring"

[[sporsmal]]
kolonne = "Andel tid"
maal = "tid_andre_kunne_gjort_pst"
"#;

#[test]
fn surveys_a_duplicate_respondent_id_is_never_printed() {
    let export = "E-post;Opprettet;Helseforetak;Enhet;Yrkesgruppe;q1;Andel tid\n\
        kari@example.no;02.02.2025;STO;STO-LAR;spl;Enig;10\n\
        ola@example.no;02.02.2025;STO;STO-LAR;spl;Enig;10\n\
        kari@example.no;03.02.2025;STO;STO-LAR;spl;Uenig;10\n";
    let p = survey("dup-id", "ans-2025.csv", export, CODEBOOK);
    let v = check(&p);
    let text = short(&v, &p);
    assert!(!text.contains("kari@"), "the id leaked: {text}");
    assert!(
        text.contains("ans-2025.csv:4: error: duplicate respondent id (the same as on line 2)"),
        "{text}"
    );
}

#[test]
fn surveys_messages_quote_the_cell_as_it_was_cut_and_escaped() {
    let export = "NR;Opprettet;Helseforetak;Enhet;Yrkesgruppe;q1;Andel tid\n\
        1;02.02.2025;STO;STO-LAR;spl;Enig;1e3\n\
        2;02.02.2025;STO;STO-LAR;spl;\"Enig\nerror: forged\";10\n\
        3;02.02.2025;STO;STO-LAR;spl;Enig;10\n"
        .to_string()
        + &format!("4;02.02.2025;STO;STO-LAR;spl;{};10\n", "y".repeat(70))
        + &(5..40)
            .map(|i| format!("{i};02.02.2025;STO;STO-LAR;spl;Enig;10\n"))
            .collect::<String>();
    let p = survey(
        "quote",
        "ans-2025.csv",
        export,
        &CODEBOOK.replace("\"E-post\"", "\"NR\""),
    );
    let v = check(&p);
    let text = short(&v, &p);
    // The percentage's own text, not the reformatted 1000.
    assert!(
        text.contains("found `1e3`") && !text.contains("1000"),
        "{text}"
    );
    // The line break is escaped: no message line begins with the cell's text.
    assert!(
        text.contains("unknown answer `Enig\\nerror: forged`"),
        "{text}"
    );
    assert!(
        !text.lines().any(|l| l.starts_with("error: forged")),
        "{text}"
    );
    assert!(
        text.contains(&format!("unknown answer `{}…`", "y".repeat(60))),
        "{text}"
    );
}

#[test]
fn surveys_the_hint_about_the_rows_comes_after_the_rows() {
    let export = "NR;Opprettet;Helseforetak;Enhet;Yrkesgruppe;q1;Andel tid\n".to_string()
        + &(1..=10)
            .map(|i| {
                format!(
                    "{i};02.02.2025;STO;STO-LAR;spl;{};10\n",
                    if i <= 4 { "Kanskje" } else { "Enig" }
                )
            })
            .collect::<String>();
    let p = survey(
        "hint-order",
        "ans-2025.csv",
        export,
        &CODEBOOK.replace("\"E-post\"", "\"NR\""),
    );
    let run = p.run(&["check"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let err = &run.stderr;
    let last_row = err.rfind("unknown answer").expect(err);
    let hint = err.find("fix the rows listed above").expect(err);
    assert!(hint > last_row, "the hint comes before the rows:\n{err}");
    // A refused file's rows are refused, not "with errors"; singular where one.
    let summary = err.lines().last().unwrap();
    assert!(
        summary.contains("(0 with errors, 10 in refused files)"),
        "{summary}"
    );
    assert!(summary.contains("1 file error, 4 row errors"), "{summary}");
    assert!(!summary.contains("1 file errors"), "{summary}");
}

// ---------------------------------------------------------------- items 1–3: shapes

/// Every shape of data-contract §6.1, with its export's stem and its number of rows.
const SHAPES: [(&str, usize); 13] = [
    ("nettskjema-csv", 6),
    ("nettskjema-xlsx", 6),
    ("nettskjema-legacy", 6),
    ("surveyxact-semicolon", 6),
    ("surveyxact-comma", 6),
    ("surveyxact-utf16", 6),
    ("surveyxact-xlsx", 6),
    ("forms-no", 6),
    ("forms-en-quiz", 6),
    ("sep-directive", 6),
    ("topplinjer", 6),
    ("utf16-le-no-bom", 6),
    ("utf16-be-no-bom", 6),
];

/// Personal values planted in the fixtures: never in any output or message.
const PERSONAL: [&str; 5] = [
    "@example.no",
    "Nordmann",
    "Per Hansen",
    "Lise Berg",
    "Mer tid til pasientene",
];

fn shape(name: &str, with_codebook: bool) -> Project {
    let p = Project::new(name).reference();
    let dir = fixture(&format!("surveys/{name}"));
    let mut p = p;
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        if !with_codebook && file.ends_with(".kodebok.toml") {
            continue;
        }
        p = p.file(
            &format!("data/undersokelser/{file}"),
            std::fs::read(e.path()).unwrap(),
        );
    }
    p
}

fn assert_no_personal(text: &str, what: &str) {
    for v in PERSONAL {
        assert!(!text.contains(v), "`{v}` leaked into {what}:\n{text}");
    }
}

#[test]
fn surveys_every_export_shape_passes_check_with_a_codebook_from_the_contract() {
    for (name, rows) in SHAPES {
        let p = shape(name, true);
        let v = check(&p);
        let text = short(&v, &p);
        assert!(!v.has_errors(), "{name}:\n{text}");
        assert_eq!(v.dataset.respondents.len(), rows, "{name}:\n{text}");
        assert_eq!(v.dataset.survey_rounds.len(), 1, "{name}");
        assert!(
            !text.contains("fits no rule") && !text.contains("has no codebook"),
            "{name}: a tool's own codebook is recognised, never taken for an export:\n{text}"
        );
        assert_no_personal(&text, name);
        assert_no_personal(&format!("{:?}", v.dataset), name);
        let run = p.run(&["check"]);
        assert_eq!(run.code, 0, "{name}:\n{}", run.stderr);
        assert_no_personal(&run.stderr, name);
    }
}

#[test]
fn surveys_nettskjema_ids_times_and_decimal_points_read_as_written() {
    for name in ["nettskjema-csv", "nettskjema-xlsx"] {
        let p = shape(name, true);
        let v = check(&p);
        let ids: Vec<&str> = v
            .dataset
            .respondents
            .iter()
            .map(|r| r.respondent.as_str())
            .collect();
        assert_eq!(
            ids[0], "27685292",
            "{name}: the integer id, never 2.7685292E7"
        );
        let tid: Vec<Option<f64>> = v
            .dataset
            .respondents
            .iter()
            .map(|r| r.tid_andre_kunne_gjort)
            .collect();
        assert_eq!(tid[0], Some(0.125), "{name}");
        // `$created` with its offset: the round is the median submission date.
        let round = &v.dataset.survey_rounds[0];
        assert_eq!(round.serie, "ansatt-nettskjema", "{name}");
        assert_eq!(round.runde.to_string(), "2023-06-03", "{name}");
    }
}

#[test]
fn surveys_without_respondent_column_use_line_numbers_and_runde() {
    let p = shape("surveyxact-semicolon", true);
    let v = check(&p);
    let ids: Vec<&str> = v
        .dataset
        .respondents
        .iter()
        .map(|r| r.respondent.as_str())
        .collect();
    assert_eq!(ids, ["2", "3", "4", "5", "6", "7"]);
    assert_eq!(v.dataset.survey_rounds[0].runde.to_string(), "2025-10-01");
    // Without `runde` and without dates: a file error whose hint says to give `runde`.
    let cb = std::fs::read_to_string(fixture("surveys/surveyxact-semicolon/dataset.kodebok.toml"))
        .unwrap()
        .replace("runde = \"2025-10\"\n", "");
    let p = p.file("data/undersokelser/dataset.kodebok.toml", cb);
    let v = check(&p);
    let d = first_file_error(&v);
    assert!(d.hints.iter().any(|h| h.contains("runde")), "{d:?}");
}

#[test]
fn surveys_an_unticked_box_is_no_on_both_checkbox_shapes() {
    // `Ja`/empty (legacy Nettskjema), 1/0 (Nettskjema report), 1/empty (SurveyXact).
    for name in ["nettskjema-legacy", "nettskjema-csv", "surveyxact-comma"] {
        let v = check(&shape(name, true));
        let answers: Vec<Option<bool>> = v
            .dataset
            .respondents
            .iter()
            .map(|r| r.vurderer_a_slutte)
            .collect();
        assert_eq!(
            answers,
            [
                Some(true),
                Some(false),
                Some(false),
                Some(false),
                Some(true),
                Some(false)
            ],
            "{name}: every respondent answered"
        );
        // The share is over every respondent of the cell: 2 of 6.
        let t = compute(
            &v.dataset,
            &IndicatorSettings {
                k: 3,
                ..IndicatorSettings::default()
            },
        )
        .unwrap();
        let r = t
            .rows
            .iter()
            .find(|r| r.indikator == "vurderer_a_slutte_andel" && r.gruppering == "region")
            .unwrap();
        assert_eq!((r.verdi, r.n), (Some(2.0 / 6.0), Some(6)), "{name}");
    }
}

// ---------------------------------------------------------------- item 5: kodebok

#[test]
fn surveys_kodebok_drafts_pass_check_on_every_shape_and_never_overwrite() {
    for (name, rows) in SHAPES {
        let p = shape(name, false);
        let export = std::fs::read_dir(p.path("data/undersokelser"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .find(|f| !tsb_report::discover::is_tool_codebook(f) && !f.ends_with(".kodebok.toml"))
            .unwrap();
        let rel = format!("data/undersokelser/{export}");
        let run = p.run(&["kodebok", &rel]);
        assert_eq!(run.code, 0, "{name}:\n{}", run.stderr);
        let stem = export.rsplit_once('.').unwrap().0;
        let draft_rel = format!("data/undersokelser/{stem}.kodebok.toml");
        let draft = p.read(&draft_rel);
        assert_no_personal(&draft, &format!("{name}'s draft"));
        let run = p.run(&["check"]);
        assert_eq!(
            run.code, 0,
            "{name}: the draft passes check\n{draft}\n{}",
            run.stderr
        );
        let v = check(&p);
        assert_eq!(v.dataset.respondents.len(), rows, "{name}");
        let run = p.run(&["build", "--out", "output"]);
        assert_eq!(run.code, 0, "{name}: the draft builds\n{}", run.stderr);
        // Never over an existing codebook.
        let again = p.run(&["kodebok", &rel]);
        assert_ne!(again.code, 0, "{name}");
        assert_eq!(p.read(&draft_rel), draft, "{name}");
    }
}

#[test]
fn surveys_kodebok_guesses_person_columns_scale_and_tool_labels() {
    let p = shape("forms-no", false);
    p.run(&["kodebok", "data/undersokelser/ansatt-forms-2025.xlsx"])
        .code(0);
    let draft = p.read("data/undersokelser/ansatt-forms-2025.kodebok.toml");
    assert!(
        draft.contains("personkolonner = [\"E-postadresse\", \"Navn\"]"),
        "{draft}"
    );
    assert!(draft.contains("respondent = \"ID\""), "{draft}");
    assert!(
        draft.contains("innsendt = \"Fullføringstidspunkt\""),
        "{draft}"
    );
    assert!(draft.contains("\n\"Helt enig\" = 5"), "{draft}");
    assert!(
        draft.contains("(free text or many values: not shown)"),
        "{draft}"
    );
    // Edited only to map a question to an area, the draft still passes `check`.
    let q = "Vi har nok ansatte til å gi pasientene et forsvarlig tilbud";
    let block = format!("# [[sporsmal]]\n# kolonne = \"{q}\"\n");
    let at = draft.find(&block).expect("the question's entry");
    let rest = &draft[at + block.len()..];
    let values_end = rest.find('\n').unwrap() + 1;
    let edited = format!(
        "{}[[sporsmal]]\nkolonne = \"{q}\"\n{}omrade = \"kapasitet\"\nretning = \"positiv\"\n{}",
        &draft[..at],
        &rest[..values_end],
        &rest[values_end..].replacen(
            "# omrade = \"kapasitet\"\n# retning = \"utfordring\"\n",
            "",
            1
        )
    );
    let p = p.file("data/undersokelser/ansatt-forms-2025.kodebok.toml", edited);
    p.run(&["check"]).code(0);
    let v = check(&p);
    assert!(v.dataset.respondents.iter().all(|r| r.scores.len() == 1));
    // Numeric codes labelled from Nettskjema's own codebook beside the export.
    let p = shape("nettskjema-legacy", false);
    p.run(&["kodebok", "data/undersokelser/ansatt-legacy-2025.tsv"])
        .code(0);
    let draft = p.read("data/undersokelser/ansatt-legacy-2025.kodebok.toml");
    assert!(draft.contains("\"1\" = 1   # Helt uenig"), "{draft}");
    assert!(draft.contains("personkolonner = [\"E-post\"]"), "{draft}");
    // … and from SurveyXact's `Labels` sheet in its workbook.
    let p = shape("surveyxact-xlsx", false);
    p.run(&["kodebok", "data/undersokelser/dataset.xlsx"])
        .code(0);
    let draft = p.read("data/undersokelser/dataset.kodebok.toml");
    assert!(draft.contains("ark = \"Dataset\""), "{draft}");
    assert!(draft.contains("\"4\" = 4   # Helt enig"), "{draft}");
}

// ---------------------------------------------------------------- item 4: rounds

fn round_export(seed: usize) -> String {
    let mut s = String::from("NR;Helseforetak;Enhet;Yrkesgruppe;q1;slutte\n");
    for i in 0..12 {
        let (f, e) = if i % 2 == 0 {
            ("St. Olavs", "LAR Trondheim")
        } else {
            ("Helse MR", "Poliklinikk rus Molde")
        };
        let a = ["Uenig", "Enig", "Helt enig"][(i + seed) % 3];
        let slutte = if (i + seed).is_multiple_of(4) {
            "Ja"
        } else {
            "Nei"
        };
        s.push_str(&format!("{i};{f};{e};Sykepleier;{a};{slutte}\n"));
    }
    s
}

fn round_codebook(runde: &str) -> String {
    format!(
        r#"type = "ansatt"
serie = "ans"
runde = "{runde}"
respondent = "NR"
foretak = "Helseforetak"
enhet = "Enhet"
yrke = "Yrkesgruppe"

[svarskala]
"Uenig" = 2
"Enig" = 4
"Helt enig" = 5

[[sporsmal]]
kolonne = "q1"
omrade = "kapasitet"
retning = "utfordring"

[[sporsmal]]
kolonne = "slutte"
maal = "vurderer_å_slutte"
"#
    )
}

/// Two rounds of one series; `(stem, runde, seed)` each.
fn two_rounds(name: &str, a: (&str, &str, usize), b: (&str, &str, usize)) -> Project {
    let mut p = Project::new(name).reference();
    for (stem, runde, seed) in [a, b] {
        p = p
            .file(
                &format!("data/undersokelser/{stem}.csv"),
                round_export(seed),
            )
            .file(
                &format!("data/undersokelser/{stem}.kodebok.toml"),
                format!("# {stem}\n{}", round_codebook(runde)),
            );
    }
    p
}

fn report_text(p: &Project) -> String {
    let v = check(p);
    assert!(!v.has_errors(), "{}", short(&v, p));
    let table = compute(&v.dataset, &IndicatorSettings::default()).unwrap();
    let meta = tsb_report::render::ReportMeta {
        title: "t".into(),
        subtitle: "s".into(),
        author: "a".into(),
        date: None,
        data_version: "x".into(),
        is_sample: false,
        is_final: false,
        k: 5,
        tool_version: "0".into(),
        typst_version: "0".into(),
        settings_text: String::new(),
    };
    let input = RenderInput {
        inputs: &v.inputs,
        ..render_input(&table, &v.dataset, &meta)
    };
    let r = tsb_report::render::render(&input, &tsb_report::render::builtin_templates()).unwrap();
    String::from_utf8(r.files["rapport.typ"].clone()).unwrap()
        + &String::from_utf8(r.files["styrenotat.typ"].clone()).unwrap()
}

#[test]
fn surveys_the_current_round_is_the_latest_by_date_not_by_file_name() {
    // The newer round's file name sorts first; then the other way round.
    for (newer, older) in [("ans-a", "ans-b"), ("ans-z", "ans-b")] {
        let p = two_rounds("rounds", (newer, "2026-03", 1), (older, "2025-03", 0));
        let v = check(&p);
        let t = compute(&v.dataset, &IndicatorSettings::default()).unwrap();
        let change = t
            .rows
            .iter()
            .find(|r| r.indikator == "utfordring_score_endring" && r.gruppering == "region")
            .expect("a change row");
        assert_eq!(change.keys.undersokelse.as_deref(), Some(newer));
        assert_eq!(change.serie.as_deref(), Some("ans"));
        assert_eq!(change.runde.as_deref(), Some("2026-03-01"));
        assert!(change.nedre.is_some() && change.ovre.is_some());
        assert!(
            t.rows
                .iter()
                .any(|r| r.indikator == "vurderer_a_slutte_endring")
        );
        // Typst escapes (`ans\-a`, `1\. mars`) removed.
        let text = report_text(&p).replace('\\', "");
        let lines: String = text
            .lines()
            .filter(|l| l.contains("runde") || l.contains("slutte"))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            text.contains(&format!("Ansattundersøkelsen {newer} (runde 1. mars 2026)")),
            "{lines}"
        );
        assert!(text.contains("Endring siden forrige runde"), "{lines}");
        assert!(
            text.contains(&format!("Vurderer å slutte ({newer})")),
            "{lines}"
        );
        // Chapter 3 lists every round with n.
        assert!(
            text.contains(&format!(
                "{older} (serien ans, runde 1. mars 2025): 12 svar"
            )),
            "{lines}"
        );
    }
}

#[test]
fn surveys_chapter_4_names_the_current_round_of_every_staff_series() {
    let p = two_rounds("series", ("ans-a", "2026-03", 1), ("ans-b", "2025-03", 0))
        .file("data/undersokelser/pol-2025.csv", round_export(2))
        .file(
            "data/undersokelser/pol-2025.kodebok.toml",
            round_codebook("2025-09").replace("serie = \"ans\"", "serie = \"pol\""),
        );
    let text = report_text(&p).replace('\\', "");
    assert!(
        text.contains("Datagrunnlaget har 2 serier av ansattundersøkelsen"),
        "{text}"
    );
    assert!(
        text.contains("pol-2025 i serien pol (runde 1. september 2025, 12 svar"),
        "{text}"
    );
    // The headline series has its change; `pol` has only one round, so none.
    assert!(text.contains("== Serien pol"), "{text}");
    assert!(text.contains("<tab-endring>"), "{text}");
    assert!(!text.contains("<tab-endring-2>"), "{text}");
}

/// Issue 10, item 4: chapter 4 shows the current round of *each* staff-survey series and, for
/// each, the change since its previous round (chart and table), each with its own chart files
/// and labels; the headline (chapter 1, the board briefing) stays the series with the latest
/// round.
#[test]
fn surveys_chapter_4_shows_every_staff_series_with_its_change() {
    let pol = |runde: &str| round_codebook(runde).replace("serie = \"ans\"", "serie = \"pol\"");
    let p = two_rounds(
        "two-series",
        ("ans-a", "2026-03", 1),
        ("ans-b", "2025-03", 0),
    )
    .file("data/undersokelser/pol-a.csv", round_export(2))
    .file("data/undersokelser/pol-a.kodebok.toml", pol("2024-09"))
    .file("data/undersokelser/pol-b.csv", round_export(3))
    .file("data/undersokelser/pol-b.kodebok.toml", pol("2025-09"));
    let run = p.run(&["build", "--out", "output"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let typ = p.read("output/build/rapport.typ").replace('\\', "");
    let ch4 = &typ[typ.find("<sec-utfordringer>").unwrap()..typ.find("<sec-kapasitet>").unwrap()];
    // Both series, each its subsection with its current round and its change section.
    for (serie, cur, prev, runde, x) in [
        ("ans", "ans-a", "ans-b", "1. mars 2026", ""),
        ("pol", "pol-b", "pol-a", "1. september 2025", "-2"),
    ] {
        assert!(ch4.contains(&format!("== Serien {serie}\n")), "{ch4}");
        assert!(
            ch4.contains(&format!(
                "Ansattundersøkelsen {cur} (runde {runde}) er siste runde i serien {serie}; forrige runde var {prev}"
            )),
            "{ch4}"
        );
        for label in ["fig-utfordringer", "tab-topp", "fig-endring", "tab-endring"] {
            assert_eq!(
                ch4.matches(&format!("<{label}{x}>")).count(),
                1,
                "{label}{x}: {ch4}"
            );
        }
    }
    assert_eq!(
        ch4.matches("=== Endring siden forrige runde").count(),
        2,
        "{ch4}"
    );
    // Every change row has its interval and judgement, in both tables.
    let judged = ch4.matches("sikker endring]").count()
        + ch4.matches("sikker økning]").count()
        + ch4.matches("sikker nedgang]").count();
    assert_eq!(
        judged, 4,
        "two rows (kapasitet, vurderer å slutte) per table: {ch4}"
    );
    // Chart files unique per series, all written.
    let figs: Vec<&str> = ch4
        .match_indices("image(\"")
        .map(|(i, _)| ch4[i + 7..].split('"').next().unwrap())
        .collect();
    assert_eq!(
        figs,
        [
            "figurer/utfordringer.svg",
            "figurer/utfordringer-endring.svg",
            "figurer/utfordringer-2.svg",
            "figurer/utfordringer-2-endring.svg"
        ]
    );
    for f in &figs {
        assert!(p.path(&format!("output/build/{f}")).is_file(), "{f}");
    }
    // The headline stays the series with the latest round.
    assert!(typ.contains("ifølge ansattundersøkelsen ans-a"), "{typ}");
    let pdf = crate::support::pdf_text(&p.path("output/rapport.pdf"));
    assert!(
        pdf.contains("Serien ans") && pdf.contains("Serien pol"),
        "{pdf}"
    );
}

/// indicators.md §4: a change is suppressed whenever either round's cell is, so published
/// levels and changes together reveal no suppressed cell.
#[test]
fn surveys_a_change_is_suppressed_whenever_either_round_is() {
    // The previous round has only 3 respondents in Molde; the current round 6.
    let small = |seed: usize| {
        round_export(seed)
            .lines()
            .enumerate()
            .filter(|(i, l)| *i == 0 || !l.contains("Molde") || *i <= 6)
            .map(|(_, l)| format!("{l}\n"))
            .collect::<String>()
    };
    let p = Project::new("change-suppressed")
        .reference()
        .file("data/undersokelser/ans-2026.csv", round_export(1))
        .file(
            "data/undersokelser/ans-2026.kodebok.toml",
            round_codebook("2026-03"),
        )
        .file("data/undersokelser/ans-2025.csv", small(0))
        .file(
            "data/undersokelser/ans-2025.kodebok.toml",
            round_codebook("2025-03"),
        );
    let v = check(&p);
    assert!(!v.has_errors(), "{}", short(&v, &p));
    let t = compute(&v.dataset, &IndicatorSettings::default()).unwrap();
    let level = |id: &str, r: &tsb_report::indicators::IndicatorRow, u: &str| {
        t.get(
            id,
            &r.gruppering,
            &Keys {
                undersokelse: Some(u.into()),
                ..r.keys.clone()
            },
        )
        .unwrap_or_else(|| panic!("no level {id} {r:?}"))
        .prikket
    };
    let mut checked = 0;
    for r in t.rows.iter().filter(|r| r.indikator.ends_with("_endring")) {
        let id = if r.indikator == "utfordring_score_endring" {
            "utfordring_score"
        } else {
            "vurderer_a_slutte_andel"
        };
        let either = level(id, r, "ans-2026") || level(id, r, "ans-2025");
        assert_eq!(r.prikket, either, "{r:?}");
        checked += usize::from(either);
    }
    assert!(checked > 0, "some change rests on a suppressed level");
}

#[test]
fn surveys_a_duplicate_round_is_a_file_error() {
    let p = two_rounds(
        "dup-round",
        ("ans-a", "2026-03", 1),
        ("ans-b", "2026-03", 0),
    );
    let v = check(&p);
    let d = first_file_error(&v);
    assert!(d.file.ends_with("ans-b.csv"), "{d:?}");
    assert!(
        d.message.contains("round 2026-03-01 of series `ans`"),
        "{d:?}"
    );
    assert_eq!(v.dataset.survey_rounds.len(), 1);
}

#[test]
fn surveys_two_exports_may_share_one_codebook_text() {
    let cb = round_codebook("2026-03").replace("serie = \"ans\"\n", "");
    let p = Project::new("same-codebook")
        .reference()
        .file("data/undersokelser/lar-2026.csv", round_export(0))
        .file("data/undersokelser/lar-2026.kodebok.toml", &cb)
        .file("data/undersokelser/pol-2026.csv", round_export(1))
        .file("data/undersokelser/pol-2026.kodebok.toml", &cb);
    let v = check(&p);
    assert!(!v.has_errors(), "{}", short(&v, &p));
    assert_eq!(v.dataset.survey_rounds.len(), 2);
}

#[test]
fn surveys_a_codebook_that_maps_nothing_gets_a_warning() {
    let cb = "type = \"ansatt\"\nrunde = \"2025-01\"\nrespondent = \"NR\"\nforetak = \"Helseforetak\"\nenhet = \"Enhet\"\n";
    let p = survey("maps-nothing", "tom-2025.csv", round_export(0), cb);
    let v = check(&p);
    let text = short(&v, &p);
    assert!(!v.has_errors(), "{text}");
    assert!(
        text.contains("tom-2025.kodebok.toml: warning: the codebook maps no question"),
        "{text}"
    );
}

/// Every shape in one data folder (stems made unique), built into PDFs: no personal value
/// from any export appears in any output file.
#[test]
fn surveys_every_shape_builds_and_no_personal_value_reaches_the_output() {
    let mut p = Project::new("all-shapes").reference();
    for (name, _) in SHAPES {
        for e in std::fs::read_dir(fixture(&format!("surveys/{name}")))
            .unwrap()
            .flatten()
        {
            let file = e.file_name().to_string_lossy().into_owned();
            // `dataset.csv` ×3, one stem for CSV and Excel: give each shape its own stem.
            let renamed = if tsb_report::discover::is_tool_codebook(&file) {
                file
            } else {
                let (stem, ext) = file
                    .strip_suffix(".kodebok.toml")
                    .map(|s| (s, "kodebok.toml"))
                    .or_else(|| file.rsplit_once('.'))
                    .unwrap();
                format!("{name}-{stem}.{ext}")
            };
            p = p.file(
                &format!("data/undersokelser/{renamed}"),
                std::fs::read(e.path()).unwrap(),
            );
        }
    }
    let run = p.run(&["build", "--out", "output"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_no_personal(&run.stderr, "build's messages");
    for f in p.files() {
        if f.starts_with("output/") {
            let bytes = std::fs::read(p.path(&f)).unwrap();
            let text = if f.ends_with(".pdf") {
                crate::support::pdf_text(&p.path(&f))
            } else {
                String::from_utf8_lossy(&bytes).into_owned()
            };
            assert_no_personal(&text, &f);
        }
    }
    let csv = p.read("output/indikatorer/indikatorer.csv");
    assert!(
        csv.contains("surveyxact-utf16-dataset"),
        "every shape is in the export"
    );
}
