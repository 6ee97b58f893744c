//! Tests: render. A small hand-built indicator table and dataset (with hostile names) go
//! through the built-in templates; the generated Typst is checked for escaping, Norwegian
//! formatting and that its numbers are the table's.

use chrono::NaiveDate;
use tsb_report::config::{RuleSettings, Settings};
use tsb_report::indicators::{IndicatorRow, IndicatorTable, Keys};
use tsb_report::model::{
    Arbeidsflyt, Dataset, Fase, InputFile, Ownership, Periode, Pilot, Reference,
};
use tsb_report::render::rules::evaluate_rules;
use tsb_report::render::view::changed_indicator;
use tsb_report::render::{
    ChangedIndicator, ChangesView, RenderInput, Rendered, ReportMeta, builtin_templates, render,
};

use crate::support::assert_snapshot;
use crate::support::model::{
    HOSTILE_PILOT, HOSTILE_UNIT, NBSP, enhet, foretak, oppgave, render_input, yrke,
};

const INJECTION: &str = "#read(\"/etc/passwd\")";

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn dataset() -> Dataset {
    Dataset {
        reference: Reference {
            foretak: vec![
                foretak("BKL", "Blå Kors Lade", Ownership::Privat),
                foretak("HMR", "Helse Møre og Romsdal HF", Ownership::Offentlig),
                foretak("HNT", "Helse Nord-Trøndelag HF", Ownership::Offentlig),
                foretak("STO", "St. Olavs hospital HF", Ownership::Offentlig),
                foretak("TYR", "Tyrilistiftelsen", Ownership::Privat),
            ],
            enheter: vec![
                enhet("HMR-POL", "HMR", "Poliklinikk rus Molde"),
                enhet("STO-LAR", "STO", HOSTILE_UNIT),
            ],
            yrker: vec![
                yrke("erfaringskonsulent", "Erfaringskonsulent", 1, true),
                yrke("psykologspesialist", "Psykologspesialist", 4, false),
                yrke("sykepleier", "Sykepleier", 2, false),
            ],
            oppgaver: vec![oppgave("inntak", "Inntakssamtale", "utredning", 2)],
        },
        pilots: vec![Pilot {
            id: "tverrfaglig".into(),
            navn: HOSTILE_PILOT.into(),
            beskrivelse: format!("Sykepleier tar inntak. {INJECTION} 12. juni -- slutt"),
            foretak: vec!["STO".into()],
            enheter: vec!["STO-LAR".into()],
            nye_roller: vec!["erfaringskonsulent".into()],
            perioder: vec![
                Periode {
                    fase: Fase::For,
                    fra: date(2026, 1, 5),
                    til: date(2026, 3, 1),
                },
                Periode {
                    fase: Fase::Pilot,
                    fra: date(2026, 3, 2),
                    til: date(2026, 6, 1),
                },
            ],
            arbeidsflyt: vec![Arbeidsflyt {
                steg: "Inntak = første samtale".into(),
                oppgave: Some("inntak".into()),
                fra: Some("psykologspesialist".into()),
                til: Some("sykepleier".into()),
            }],
        }],
        ..Dataset::default()
    }
}

struct Row {
    id: &'static str,
    grouping: &'static str,
    keys: Keys,
    verdi: Option<f64>,
    unit: &'static str,
}

fn row(
    id: &'static str,
    grouping: &'static str,
    keys: Keys,
    verdi: f64,
    unit: &'static str,
) -> Row {
    Row {
        id,
        grouping,
        keys,
        verdi: Some(verdi),
        unit,
    }
}

fn into_row(r: Row) -> IndicatorRow {
    IndicatorRow {
        indikator: r.id.into(),
        gruppering: r.grouping.into(),
        keys: r.keys,
        verdi: r.verdi,
        nedre: None,
        ovre: None,
        n: r.verdi.map(|_| 40),
        maleenhet: r.unit.into(),
        prikket: r.verdi.is_none(),
        serie: None,
        runde: None,
    }
}

fn k_foretak(f: &str) -> Keys {
    Keys {
        foretak_id: Some(f.into()),
        ..Keys::default()
    }
}

fn k_pilot(fase: &str) -> Keys {
    Keys {
        pilot_id: Some("tverrfaglig".into()),
        fase: Some(fase.into()),
        ..Keys::default()
    }
}

const SURVEY: &str = "ansattundersokelse-2026";

fn k_survey(extra: Keys) -> Keys {
    Keys {
        undersokelse: Some(SURVEY.into()),
        ..extra
    }
}

fn table() -> IndicatorTable {
    let mut rows: Vec<Row> = vec![
        row("vakansgrad", "region", Keys::default(), 0.4321, "andel"),
        row(
            "ledige_arsverk",
            "region",
            Keys::default(),
            1234.56,
            "årsverk",
        ),
        row(
            "budsjetterte_arsverk",
            "region",
            Keys::default(),
            2857.1,
            "årsverk",
        ),
        row(
            "besatte_arsverk",
            "region",
            Keys::default(),
            1622.54,
            "årsverk",
        ),
        row("turnover", "region", Keys::default(), 0.0987, "andel"),
        row(
            "langtidsledige_andel",
            "region",
            Keys::default(),
            0.3456,
            "andel",
        ),
        row(
            "spesialistandel",
            "region",
            Keys::default(),
            0.2468,
            "andel",
        ),
        row(
            "besatte_arsverk",
            "region",
            Keys {
                dato: Some("2026-01-01".into()),
                ..Keys::default()
            },
            1500.0,
            "årsverk",
        ),
        row(
            "besatte_arsverk",
            "region",
            Keys {
                dato: Some("2026-10-01".into()),
                ..Keys::default()
            },
            1622.54,
            "årsverk",
        ),
        row("vakansgrad", "foretak", k_foretak("STO"), 0.1111, "andel"),
        row("vakansgrad", "foretak", k_foretak("HMR"), 0.2222, "andel"),
        row("vakansgrad", "foretak", k_foretak("BKL"), 0.0777, "andel"),
        row("vakansgrad", "foretak", k_foretak("TYR"), 0.3333, "andel"),
        row(
            "ledige_arsverk",
            "foretak",
            k_foretak("TYR"),
            17.0,
            "årsverk",
        ),
        row(
            "budsjetterte_arsverk",
            "foretak",
            k_foretak("STO"),
            512.34,
            "årsverk",
        ),
        row(
            "besatte_arsverk",
            "kompetansenivå",
            Keys {
                kompetanseniva: Some(4),
                ..Keys::default()
            },
            211.9,
            "årsverk",
        ),
        row(
            "budsjetterte_arsverk",
            "kompetansenivå",
            Keys {
                kompetanseniva: Some(4),
                ..Keys::default()
            },
            250.0,
            "årsverk",
        ),
        row(
            "besatte_arsverk",
            "yrke",
            Keys {
                yrke_id: Some("psykologspesialist".into()),
                ..Keys::default()
            },
            88.8,
            "årsverk",
        ),
        row(
            "riktig_niva_andel",
            "pilot",
            k_pilot("før"),
            0.5123,
            "andel",
        ),
        row(
            "riktig_niva_andel",
            "pilot",
            k_pilot("pilot"),
            0.6789,
            "andel",
        ),
        row(
            "riktig_niva_andel",
            "pilot",
            k_pilot("endring"),
            0.1666,
            "andel",
        ),
        row(
            "overkvalifisert_andel",
            "pilot",
            k_pilot("før"),
            0.3,
            "andel",
        ),
        row(
            "overkvalifisert_andel",
            "pilot",
            k_pilot("pilot"),
            0.25,
            "andel",
        ),
        row(
            "overkvalifisert_andel",
            "pilot",
            k_pilot("endring"),
            -0.05,
            "andel",
        ),
        row(
            "frigjort_spesialisttid",
            "pilot",
            k_pilot("endring"),
            3.21,
            "timer_per_uke",
        ),
        row(
            "kommunesamarbeid_andel",
            "pilot",
            k_pilot("før"),
            0.2,
            "andel",
        ),
        row(
            "minutter_per_omrade",
            "pilot_område",
            Keys {
                omrade: Some("utredning".into()),
                ..k_pilot("før")
            },
            930.0,
            "minutter",
        ),
        row(
            "minutter_per_omrade",
            "pilot_område_kompetansenivå",
            Keys {
                omrade: Some("utredning".into()),
                kompetanseniva: Some(4),
                ..k_pilot("før")
            },
            930.0,
            "minutter",
        ),
        row(
            "svarprosent",
            "region",
            k_survey(Keys::default()),
            0.7654,
            "andel",
        ),
        row(
            "svarprosent",
            "region",
            Keys {
                undersokelse: Some("ansattundersokelse-2025".into()),
                ..Keys::default()
            },
            0.6,
            "andel",
        ),
        row(
            "vurderer_a_slutte_andel",
            "region",
            k_survey(Keys::default()),
            0.1357,
            "andel",
        ),
        row(
            "tid_andre_kunne_gjort",
            "region",
            k_survey(Keys::default()),
            0.2109,
            "andel",
        ),
    ];
    for (area, score) in [
        ("kapasitet", 3.91),
        ("rekruttering", 4.12),
        ("kommune", 3.55),
    ] {
        let a = Some(area.to_string());
        rows.push(row(
            "utfordring_score",
            "region",
            k_survey(Keys {
                omrade: a.clone(),
                ..Keys::default()
            }),
            score,
            "skår",
        ));
        rows.push(row(
            "utfordring_score",
            "enhet",
            k_survey(Keys {
                foretak_id: Some("STO".into()),
                enhet_id: Some("STO-LAR".into()),
                omrade: a.clone(),
                ..Keys::default()
            }),
            score - 0.5,
            "skår",
        ));
        rows.push(Row {
            id: "utfordring_score",
            grouping: "enhet",
            keys: k_survey(Keys {
                foretak_id: Some("HMR".into()),
                enhet_id: Some("HMR-POL".into()),
                omrade: a,
                ..Keys::default()
            }),
            verdi: if area == "kommune" {
                None
            } else {
                Some(score + 0.3)
            },
            unit: "skår",
        });
    }
    // Suppressed cells.
    rows.push(Row {
        id: "vakansgrad",
        grouping: "foretak",
        keys: k_foretak("HNT"),
        verdi: None,
        unit: "andel",
    });
    rows.push(Row {
        id: "kommunesamarbeid_andel",
        grouping: "pilot",
        keys: k_pilot("pilot"),
        verdi: None,
        unit: "andel",
    });
    let mut table = IndicatorTable {
        rows: rows.into_iter().map(into_row).collect(),
        ..IndicatorTable::default()
    };
    for r in &mut table.rows {
        match (r.indikator.as_str(), r.keys.fase.as_deref()) {
            ("riktig_niva_andel", Some("endring")) => {
                r.nedre = Some(0.0555);
                r.ovre = Some(0.2777);
            }
            ("overkvalifisert_andel", Some("endring")) => {
                r.nedre = Some(-0.12);
                r.ovre = Some(0.02);
            }
            ("frigjort_spesialisttid", _) => {
                r.nedre = Some(1.05);
                r.ovre = Some(5.4);
            }
            _ => {}
        }
    }
    table.sort();
    table
}

fn inputs() -> Vec<InputFile> {
    vec![
        InputFile {
            path: "bemanning/#hr_[1].csv".into(),
            kind: "bemanning".into(),
            bytes: 12345,
            sha256: "ab".repeat(32),
            status: "brukt".into(),
            rows_read: 1200,
            rows_used: 1197,
            rows_quarantined: 3,
            reasons: vec![("ukjent enhet".into(), 3)],
            warnings: vec!["kolonnen `notat` er ikke brukt".into()],
        },
        InputFile {
            path: "referanse/foretak.csv".into(),
            kind: "referanse".into(),
            bytes: 321,
            sha256: "cd".repeat(32),
            status: "brukt".into(),
            rows_read: 5,
            rows_used: 5,
            ..InputFile::default()
        },
    ]
}

fn meta(is_sample: bool, is_final: bool) -> ReportMeta {
    ReportMeta {
        title: "Riktig person til riktig oppgave til riktig tid i TSB".into(),
        subtitle: "Prosjektrapport".into(),
        author: "Prosjektsekretariatet".into(),
        date: Some(date(2026, 11, 23)),
        data_version: "a1b2c3d4".into(),
        is_sample,
        is_final,
        k: 5,
        tool_version: "0.1.0".into(),
        typst_version: "0.15.1".into(),
        settings_text: "k = 5\n[rapport]\ntittel = \"Riktig person\"\n".into(),
    }
}

fn render_with(meta: &ReportMeta, changes: Option<&ChangesView>) -> Rendered {
    let table = table();
    let dataset = dataset();
    let inputs = inputs();
    let input = RenderInput {
        inputs: &inputs,
        changes,
        ..render_input(&table, &dataset, meta)
    };
    render(&input, &builtin_templates()).expect("render succeeds")
}

fn render_with_rules(rules: &[RuleSettings], changes: Option<&ChangesView>) -> Rendered {
    let table = table();
    let dataset = dataset();
    let inputs = inputs();
    let m = meta(true, false);
    let input = RenderInput {
        inputs: &inputs,
        changes,
        anbefalinger: rules,
        ..render_input(&table, &dataset, &m)
    };
    render(&input, &builtin_templates()).expect("render succeeds")
}

fn text(r: &Rendered, name: &str) -> String {
    String::from_utf8(r.files[name].clone()).unwrap()
}

#[test]
fn renders_both_documents_and_every_chart() {
    let r = render_with(&meta(true, false), None);
    let names: Vec<&str> = r.files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "figurer/niva.svg",
            "figurer/pilot-1-minutter.svg",
            "figurer/pilot-1.svg",
            "figurer/utfordringer.svg",
            "figurer/vakansgrad.svg",
            "foretak/BKL.typ",
            "foretak/HMR.typ",
            "foretak/HNT.typ",
            "foretak/STO.typ",
            "foretak/TYR.typ",
            "rapport.typ",
            "styrenotat.typ"
        ]
    );
    let docs: Vec<(&str, &str)> = r
        .documents
        .iter()
        .map(|d| (d.source.as_str(), d.pdf.as_str()))
        .collect();
    assert_eq!(
        docs,
        [
            ("rapport.typ", "rapport.pdf"),
            ("styrenotat.typ", "styrenotat.pdf"),
            ("foretak/BKL.typ", "foretak/BKL.pdf"),
            ("foretak/HMR.typ", "foretak/HMR.pdf"),
            ("foretak/HNT.typ", "foretak/HNT.pdf"),
            ("foretak/STO.typ", "foretak/STO.pdf"),
            ("foretak/TYR.typ", "foretak/TYR.pdf"),
        ]
    );
}

#[test]
fn numbers_in_the_documents_come_from_the_table() {
    let r = render_with(&meta(true, false), None);
    let rapport = text(&r, "rapport.typ");
    let notat = text(&r, "styrenotat.typ");
    for doc in [&rapport, &notat] {
        assert!(doc.contains(&format!("43,2{NBSP}%")), "vakansgrad 0.4321");
        assert!(
            doc.contains(&format!("1{NBSP}234,6")),
            "ledige årsverk 1234.56"
        );
        assert!(
            doc.contains(&format!("51,2{NBSP}%")),
            "riktig nivå før 0.5123"
        );
        assert!(
            doc.contains(&format!("67,9{NBSP}%")),
            "riktig nivå pilot 0.6789"
        );
        assert!(doc.contains("3,2"), "frigjort spesialisttid 3.21");
    }
    assert!(
        rapport.contains(&format!("33,3{NBSP}%")),
        "TYR vakansgrad 0.3333"
    );
    assert!(rapport.contains(&format!("9,9{NBSP}%")), "turnover 0.0987");
    assert!(
        rapport.contains(&format!("76,5{NBSP}%")),
        "svarprosent 0.7654"
    );
    assert!(
        rapport.contains("\\+16,7 prosentpoeng"),
        "endring 0.1666 in words"
    );
    assert!(
        rapport.contains("\\+5,5 til \\+27,8"),
        "interval 0.0555–0.2777"
    );
    assert!(rapport.contains("sikker økning"));
    assert!(
        rapport.contains("ingen sikker endring"),
        "overkvalifisert interval spans 0"
    );
    assert!(rapport.contains("1,1 til 5,4"), "frigjort interval");
    assert!(rapport.contains("23\\. november 2026"), "report date");
    assert!(
        rapport.contains("1\\. januar 2026 – 1\\. oktober 2026"),
        "staffing period"
    );
}

#[test]
fn suppressed_cells_print_a_dash_with_the_footnote() {
    let r = render_with(&meta(true, false), None);
    let rapport = text(&r, "rapport.typ");
    assert!(rapport.contains("–#footnote(<prikk>)"));
    assert!(rapport.contains("#footnote[Færre enn 5 svar."));
    assert!(rapport.matches("<prikk>").count() >= 3);
    let heat = text(&r, "figurer/utfordringer.svg");
    assert!(
        heat.contains("url(#prikket)"),
        "suppressed heat-map cell is hatched"
    );
    assert!(heat.contains(">–</text>"));
}

#[test]
fn hostile_names_print_literally() {
    let r = render_with(&meta(true, false), None);
    let rapport = text(&r, "rapport.typ");
    assert!(
        rapport
            .contains("Seksjon \\#2 \\*avrusning\\* \\[Levanger\\] \\$y\\$ \\@x \\<b\\> \\_v\\_")
    );
    assert!(rapport.contains("Tverrfaglig team: \\#set text(red) og \\_kursiv\\_"));
    assert!(rapport.contains("\\#read(\\\"\\/etc\\/passwd\\\")"));
    assert!(rapport.contains("12\\. juni \\-\\- slutt"));
    assert!(rapport.contains("bemanning\\/\\#hr\\_\\[1\\].csv"));
    for doc in [&rapport, &text(&r, "styrenotat.typ")] {
        // Alt texts are string literals, checked below.
        let doc: String = doc
            .lines()
            .filter(|l| !l.contains("alt: \""))
            .collect::<Vec<_>>()
            .join("\n");
        for bad in ["#read(", "#set text(red)", "*avrusning*", "_kursiv_"] {
            for (i, _) in doc.match_indices(bad) {
                let before = &doc[..i];
                assert!(before.ends_with('\\'), "unescaped `{bad}` at byte {i}");
            }
        }
    }
    // In string literals (alt text) only `"` and `\` are escaped.
    assert!(rapport.contains("alt: \"Stolpediagram for piloten Tverrfaglig team: #set text(red)"));
}

#[test]
fn every_health_trust_is_named() {
    let r = render_with(&meta(true, false), None);
    let rapport = text(&r, "rapport.typ");
    for name in [
        "St. Olavs hospital HF",
        "Helse Møre og Romsdal HF",
        "Helse Nord\\-Trøndelag HF",
        "Blå Kors Lade",
        "Tyrilistiftelsen",
    ] {
        assert!(rapport.contains(name), "{name}");
    }
}

#[test]
fn banner_and_draft_marks_follow_the_meta() {
    let sample_draft = render_with(&meta(true, false), None);
    for doc in ["rapport.typ", "styrenotat.typ", "foretak/STO.typ"] {
        let t = text(&sample_draft, doc);
        assert!(
            t.contains("background: place("),
            "{doc}: banner on every page"
        );
        assert!(t.contains("EKSEMPELDATA – ikke reelle tall"));
        assert!(t.contains("UTKAST"));
        assert!(t.contains("#set text(lang: \"nb\""));
        assert!(t.contains("#set document(title: \""), "{doc}: title");
        assert!(t.contains("Riktig person til riktig oppgave til riktig tid i TSB\", author:"));
    }
    let real_final = render_with(&meta(false, true), None);
    for doc in ["rapport.typ", "styrenotat.typ", "foretak/STO.typ"] {
        let t = text(&real_final, doc);
        assert!(!t.contains("EKSEMPELDATA"), "{doc}");
        assert!(!t.contains("UTKAST"), "{doc}");
    }
}

#[test]
fn appendix_c_covers_first_run_and_changes() {
    let first = text(&render_with(&meta(true, false), None), "rapport.typ");
    assert!(first.contains("første kjøring"));
    let changes = ChangesView {
        forrige_kjoring: "1. oktober 2026".into(),
        indikatorer: vec![changed_indicator(
            &dataset(),
            &[],
            "vakansgrad",
            &k_foretak("STO"),
            Some(0.4),
            Some(0.4321),
            "andel",
        )],
        filer_lagt_til: vec!["bemanning/ny.csv".into()],
        ..ChangesView::default()
    };
    let later = text(
        &render_with(&meta(true, false), Some(&changes)),
        "rapport.typ",
    );
    assert!(!later.contains("første kjøring"));
    assert!(later.contains("bemanning\\/ny.csv"));
    assert!(later.contains("<tab-endringer>"));
    assert!(later.contains(&format!(
        "[Vakansgrad], [St. Olavs hospital HF], [40,0{NBSP}%], [43,2{NBSP}%]"
    )));
    let region = changed_indicator(
        &dataset(),
        &[],
        "x",
        &Keys::default(),
        None,
        Some(2.0),
        "årsverk",
    );
    assert_eq!(
        region,
        ChangedIndicator {
            indikator: "x".into(),
            celle: "Helse Midt-Norge".into(),
            forrige: "–".into(),
            na: "2,0".into()
        }
    );
}

#[test]
fn output_is_deterministic() {
    let a = render_with(&meta(true, false), None);
    let b = render_with(&meta(true, false), None);
    assert_eq!(a.files, b.files);
}

#[test]
fn a_template_printing_an_undefined_value_fails() {
    let table = table();
    let dataset = dataset();
    let m = meta(true, false);
    let input = render_input(&table, &dataset, &m);
    let mut templates = builtin_templates();
    templates.insert(
        "styrenotat.typ.j2".into(),
        "{{ region.v.finnes_ikke }}".into(),
    );
    let err = render(&input, &templates).unwrap_err().to_string();
    assert!(err.contains("styrenotat.typ.j2"), "{err}");
}

#[test]
fn snapshot_rapport_typ() {
    let r = render_with(&meta(true, false), None);
    assert_snapshot("render", "rapport_typ", &text(&r, "rapport.typ"));
}

#[test]
fn snapshot_styrenotat_typ() {
    let r = render_with(&meta(true, false), None);
    assert_snapshot("render", "styrenotat_typ", &text(&r, "styrenotat.typ"));
}

/// Compiles every document (hostile names and a raised rule included) with the real typst,
/// found the way the build finds it, with the build's flags. Fails (never skips) when typst
/// is missing.
#[test]
fn typst_compiles_the_documents_with_hostile_names() {
    let typst = tsb_report::typeset::resolve(None, &|_| {}).expect("typst resolves");
    let r = render_with_rules(&hostile_rules(), None);
    // `TSB_RENDER_OUT=dir` keeps the build folder and PDFs for a look by hand.
    let keep = std::env::var_os("TSB_RENDER_OUT");
    let scratch = crate::support::Project::new("render-typst");
    let dir = match &keep {
        Some(d) => std::path::PathBuf::from(d),
        None => scratch.dir.clone(),
    };
    for (path, bytes) in &r.files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
    }
    let root = std::fs::canonicalize(&dir).unwrap();
    for doc in &r.documents {
        let job = tsb_report::typeset::TypstJob {
            root: root.clone(),
            source: root.join(&doc.source),
            output: root.join(&doc.pdf),
            creation_timestamp: 1795392000,
            font_paths: Vec::new(),
            timeout: None,
        };
        let stderr = tsb_report::typeset::compile(&typst, &job)
            .unwrap_or_else(|e| panic!("{}: {e}", doc.source));
        assert!(!stderr.contains("warning"), "{}: {stderr}", doc.source);
        let pdf = std::fs::read(root.join(&doc.pdf)).unwrap();
        assert!(pdf.starts_with(b"%PDF"));
    }
}

#[test]
fn renders_a_run_without_any_data() {
    let table = IndicatorTable::default();
    let dataset = Dataset::default();
    let m = meta(false, false);
    let input = render_input(&table, &dataset, &m);
    let r = render(&input, &builtin_templates()).expect("render succeeds without data");
    let rapport = text(&r, "rapport.typ");
    assert!(rapport.contains("Datagrunnlaget har ingen piloter."));
    assert!(rapport.contains("Datagrunnlaget har ingen ansattundersøkelse"));
    if let Some(dir) = std::env::var_os("TSB_RENDER_OUT_EMPTY") {
        for (path, bytes) in &r.files {
            let p = std::path::Path::new(&dir).join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, bytes).unwrap();
        }
    }
}

/// A region-sized fixture: five trusts, three units each, nine areas, four pilots.
fn large() -> (IndicatorTable, Dataset) {
    let mut ds = dataset();
    ds.reference.enheter.clear();
    let mut rows = Vec::new();
    let mut x = 7u64;
    let mut rnd = move || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((x >> 33) % 10_000) as f64 / 10_000.0
    };
    let areas = [
        "kapasitet",
        "rekruttering",
        "beholde",
        "oppgavedeling",
        "kompetansebruk",
        "teknologi",
        "kommune",
        "pårørende",
        "overganger",
    ];
    let staff = ["budsjetterte_arsverk", "besatte_arsverk", "ledige_arsverk"];
    let shares = [
        "bemanningsgrad",
        "vakansgrad",
        "langtidsledige_andel",
        "innleieandel",
    ];
    let shares2 = ["spesialistandel", "turnover", "sykefravaer"];
    let mut push = |id: &'static str, g: &'static str, keys: Keys, v: Option<f64>, unit| {
        rows.push(Row {
            id,
            grouping: g,
            keys,
            verdi: v,
            unit,
        });
    };
    for f in ["BKL", "HMR", "HNT", "STO", "TYR"] {
        for id in staff {
            push(
                id,
                "foretak",
                k_foretak(f),
                Some(100.0 + rnd() * 400.0),
                "årsverk",
            );
        }
        for id in shares.iter().chain(shares2.iter()) {
            push(id, "foretak", k_foretak(f), Some(rnd() * 0.4), "andel");
        }
        for u in ["Poliklinikk", "Døgnseksjon", "Ambulant team"] {
            let eid = format!("{f}-{}", &u[..3].to_uppercase());
            ds.reference
                .enheter
                .push(enhet(&eid, f, &format!("{u} {f}")));
            for a in areas {
                let keys = k_survey(Keys {
                    foretak_id: Some(f.into()),
                    enhet_id: Some(eid.clone()),
                    omrade: Some(a.into()),
                    ..Keys::default()
                });
                let v = rnd();
                push(
                    "utfordring_score",
                    "enhet",
                    keys,
                    (v > 0.1).then_some(1.0 + 4.0 * v),
                    "skår",
                );
            }
        }
    }
    for a in areas {
        let keys = k_survey(Keys {
            omrade: Some(a.into()),
            ..Keys::default()
        });
        push(
            "utfordring_score",
            "region",
            keys.clone(),
            Some(2.0 + 2.0 * rnd()),
            "skår",
        );
        push(
            "utfordring_andel",
            "region",
            keys,
            Some(rnd() * 0.6),
            "andel",
        );
    }
    for l in 1..=4u8 {
        for id in ["budsjetterte_arsverk", "besatte_arsverk"] {
            let keys = Keys {
                kompetanseniva: Some(l),
                ..Keys::default()
            };
            push(
                id,
                "kompetansenivå",
                keys,
                Some(200.0 + rnd() * 600.0),
                "årsverk",
            );
        }
    }
    let mut table = table();
    table.rows.extend(rows.into_iter().map(into_row));
    let base = ds.pilots[0].clone();
    for (i, navn) in [
        "Sykepleier i inntak",
        "Erfaringskonsulent i oppfølging",
        "Farmasøyt i LAR",
    ]
    .iter()
    .enumerate()
    {
        let mut p = base.clone();
        p.id = format!("p{i}");
        p.navn = navn.to_string();
        ds.pilots.push(p);
        for r in table.rows.clone() {
            if r.keys.pilot_id.as_deref() == Some("tverrfaglig") {
                let mut r = r;
                r.keys.pilot_id = Some(format!("p{i}"));
                table.rows.push(r);
            }
        }
    }
    table.sort();
    (table, ds)
}

/// Dumps the region-sized fixture to `TSB_RENDER_OUT_LARGE` for a look by hand.
#[test]
#[ignore = "writes files for manual layout review"]
fn dump_large_fixture() {
    let (table, ds) = large();
    let m = meta(true, false);
    let inputs = inputs();
    let input = RenderInput {
        inputs: &inputs,
        ..render_input(&table, &ds, &m)
    };
    let r = render(&input, &builtin_templates()).unwrap();
    let Some(dir) = std::env::var_os("TSB_RENDER_OUT_LARGE") else {
        return;
    };
    for (path, bytes) in &r.files {
        let p = std::path::Path::new(&dir).join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
    }
}

/// Two rules on the hand-built table: one holds (region vacancy 43,2 % over 30 %, the pilot
/// freed 3,2 hours, at least 2), one does not (STO 11,1 % is not over 15 %; HNT is
/// suppressed). The raised sentence carries hostile text, which must come out escaped.
fn hostile_rules() -> Vec<RuleSettings> {
    Settings::parse(
        r##"
[[anbefaling]]
tittel = "Spre #piloten *nå*"
tekst = "Vakansgraden er {vakansgrad} og piloten frigjorde {frigjort} timer; se #read(\"x\") {{ikke}}."
[[anbefaling.vilkar]]
navn = "vakansgrad"
indikator = "vakansgrad"
gruppering = "region"
over = 0.30
[[anbefaling.vilkar]]
navn = "frigjort"
indikator = "frigjort_spesialisttid"
gruppering = "pilot"
pilot_id = "tverrfaglig"
fase = "endring"
minst = 2.0

[[anbefaling]]
tittel = "Rekruttere ved St. Olavs"
tekst = "Vakansgraden ved St. Olavs er {sto}."
[[anbefaling.vilkar]]
navn = "sto"
indikator = "vakansgrad"
gruppering = "foretak"
foretak_id = "STO"
over = 0.15

[[anbefaling]]
tittel = "Rekruttere i Nord-Trøndelag"
tekst = "Vakansgraden er {hnt}."
[[anbefaling.vilkar]]
navn = "hnt"
indikator = "vakansgrad"
gruppering = "foretak"
foretak_id = "HNT"
over = 0.0
"##,
        "regler.toml",
    )
    .expect("the rules parse")
    .anbefaling
}

#[test]
fn a_rule_that_holds_is_raised_with_its_values_and_one_that_does_not_is_listed() {
    let view = evaluate_rules(&hostile_rules(), &table(), &dataset());
    assert_eq!(view.antall, 3);
    assert_eq!(view.kandidater.len(), 1);
    let k = &view.kandidater[0];
    assert_eq!(k.tittel, "Spre #piloten *nå*");
    assert_eq!(
        k.tekst,
        format!(
            "Vakansgraden er 43,2{NBSP}% og piloten frigjorde 3,2 timer; se #read(\"x\") {{ikke}}."
        )
    );
    assert_eq!(
        k.grunnlag,
        [
            format!("Vakansgrad, Helse Midt-Norge: 43,2{NBSP}% (vilkår: over 30,0{NBSP}%)"),
            format!(
                "Frigjort spesialisttid, {HOSTILE_PILOT}, endring: 3,2 timer per uke (vilkår: minst 2,0 timer per uke)"
            ),
        ]
    );
    let titles: Vec<&str> = view.ikke_utlost.iter().map(|r| r.tittel.as_str()).collect();
    assert_eq!(
        titles,
        ["Rekruttere ved St. Olavs", "Rekruttere i Nord-Trøndelag"]
    );
    assert_eq!(
        view.ikke_utlost[0].arsaker,
        [format!(
            "Vakansgrad, St. Olavs hospital HF: 11,1{NBSP}% (vilkår: over 15,0{NBSP}%)"
        )]
    );
    assert!(
        view.ikke_utlost[1].arsaker[0].contains("prikket"),
        "{:?}",
        view.ikke_utlost[1]
    );

    // A survey indicator names its survey: 76,5 % in 2026, 60,0 % in 2025.
    let survey = Settings::parse(
        &format!(
            "[[anbefaling]]\ntittel = \"S\"\ntekst = \"{{s}}\"\n[[anbefaling.vilkar]]\nnavn = \"s\"\nindikator = \"svarprosent\"\ngruppering = \"region\"\nundersokelse = \"{SURVEY}\"\nover = 0.7\n"
        ),
        "x.toml",
    )
    .unwrap()
    .anbefaling;
    let v = evaluate_rules(&survey, &table(), &dataset());
    assert_eq!(v.kandidater[0].tekst, format!("76,5{NBSP}%"));

    let rapport = text(&render_with_rules(&hostile_rules(), None), "rapport.typ");
    assert!(rapport.contains("== Kandidater fra reglene i tsb-report.toml"));
    assert!(
        rapport.contains("*Spre \\#piloten \\*nå\\*.*"),
        "title escaped"
    );
    assert!(
        rapport.contains("se \\#read(\\\"x\\\") \\{ikke\\}."),
        "sentence escaped"
    );
    assert!(rapport.contains("*Regler som ikke slo til*"));
    assert!(rapport.contains(&format!(
        "- Rekruttere ved St. Olavs: Vakansgrad, St. Olavs hospital HF: 11,1{NBSP}% (vilkår: over 15,0{NBSP}%)."
    )));
    let none = text(&render_with(&meta(true, false), None), "rapport.typ");
    assert!(none.contains("Ingen regler for kandidatanbefalinger er satt opp"));
}

#[test]
fn rules_with_unknown_indicators_groupings_or_placeholders_are_settings_errors() {
    let rule = |vilkar: &str, tekst: &str| {
        format!(
            "[[anbefaling]]\ntittel = \"T\"\ntekst = \"{tekst}\"\n[[anbefaling.vilkar]]\nnavn = \"v\"\n{vilkar}\n"
        )
    };
    let err = |toml: String| {
        format!(
            "{:#}",
            Settings::parse(&toml, "tsb-report.toml").unwrap_err()
        )
    };
    let e = err(rule(
        "indikator = \"vakansgrd\"\ngruppering = \"yrke\"\nyrke_id = \"lege\"\nover = 0.1",
        "{v}",
    ));
    assert!(
        e.contains("failed to read settings `tsb-report.toml`")
            && e.contains("«T»")
            && e.contains("unknown indicator `vakansgrd`; did you mean `vakansgrad`?"),
        "{e}"
    );
    let e = err(rule(
        "indikator = \"tull\"\ngruppering = \"yrke\"\nover = 0.1",
        "{v}",
    ));
    assert!(
        e.contains("unknown indicator `tull`; known: budsjetterte_arsverk"),
        "{e}"
    );
    let e = err(rule(
        "indikator = \"vakansgrad\"\ngruppering = \"pilot\"\nover = 0.1",
        "{v}",
    ));
    assert!(
        e.contains("indicator `vakansgrad` is not computed at grouping `pilot`"),
        "{e}"
    );
    let e = err(rule(
        "indikator = \"vakansgrad\"\ngruppering = \"yrke\"\nyrke_id = \"lege\"\nover = 0.1",
        "{w}",
    ));
    assert!(
        e.contains("`tekst` uses `{w}`, but no condition is named `w`"),
        "{e}"
    );
    let e = err(rule(
        "indikator = \"vakansgrad\"\ngruppering = \"yrke\"\nover = 0.1",
        "{v}",
    ));
    assert!(e.contains("grouping `yrke` needs `yrke_id`"), "{e}");
    let e = err(rule(
        "indikator = \"vakansgrad\"\ngruppering = \"foretak\"\nforetak_id = \"STO\"\nyrke_id = \"lege\"\nover = 0.1",
        "{v}",
    ));
    assert!(
        e.contains("`yrke_id` does not apply at grouping `foretak`"),
        "{e}"
    );
    let e = err(rule(
        "indikator = \"svarprosent\"\ngruppering = \"region\"\nunder = 0.5",
        "{v}",
    ));
    assert!(
        e.contains("`svarprosent` comes from a survey and needs `undersokelse`"),
        "{e}"
    );
    let e = err(rule(
        "indikator = \"vakansgrad\"\ngruppering = \"region\"\nover = 15",
        "{v}",
    ));
    assert!(e.contains("written as a fraction"), "{e}");
    let e = err(rule(
        "indikator = \"vakansgrad\"\ngruppering = \"region\"",
        "{v}",
    ));
    assert!(e.contains("it needs a threshold"), "{e}");
    let e = err(rule(
        "indikator = \"vakansgrad\"\ngruppering = \"region\"\nover = 0.1\nstorre = 0.2",
        "{v}",
    ));
    assert!(e.contains("unknown field `storre`"), "{e}");
}

#[test]
fn the_board_briefing_sums_up_appendix_c_in_one_line() {
    let first = text(&render_with(&meta(true, false), None), "styrenotat.typ");
    assert!(first.contains("Første kjøring"), "{first}");
    let changes = ChangesView {
        forrige_kjoring: "abc".into(),
        indikatorer: vec![ChangedIndicator::default(); 3],
        filer_lagt_til: vec!["bemanning/ny.csv".into()],
        filer_endret: vec!["a.csv".into(), "b.csv".into()],
        ..ChangesView::default()
    };
    let later = text(
        &render_with(&meta(true, false), Some(&changes)),
        "styrenotat.typ",
    );
    assert!(
        later.contains(
            "Endringer siden forrige kjøring: 1 ny fil, 2 filer endret, 3 indikatorverdier endret (se vedlegg C i prosjektrapporten)."
        ),
        "{later}"
    );
    let none = text(
        &render_with(&meta(true, false), Some(&ChangesView::default())),
        "styrenotat.typ",
    );
    assert!(none.contains("Endringer siden forrige kjøring: ingen."));
}

#[test]
fn each_health_trust_gets_its_own_short_report() {
    let r = render_with(&meta(true, false), None);
    let sto = text(&r, "foretak/STO.typ");
    assert!(sto.contains(
        "#set document(title: \"St. Olavs hospital HF: Riktig person til riktig oppgave til riktig tid i TSB\""
    ));
    assert!(sto.contains("#set text(lang: \"nb\""));
    // The trust beside the region: STO's vacancy 11,1 % and the region's 43,2 %.
    assert!(sto.contains(&format!(
        "har en vakansgrad på 11,1{NBSP}%, mot 43,2{NBSP}% i regionen (nummer 3 av 4"
    )));
    assert!(sto.contains(&format!("[Budsjetterte årsverk], [512,3], [2{NBSP}857,1],")));
    // Its unit (hostile name, escaped) with the top three, and its pilot.
    assert!(sto.contains("[Seksjon \\#2 \\*avrusning\\* \\[Levanger\\] \\$y\\$ \\@x \\<b\\> \\_v\\_], [Rekruttering (3,6)]"));
    assert!(sto.contains("== Tverrfaglig team: \\#set text(red) og \\_kursiv\\_"));
    let bkl = text(&r, "foretak/BKL.typ");
    assert!(bkl.contains("Blå Kors Lade har ingen piloter i prosjektet."));
    assert!(!bkl.contains("Seksjon"), "another trust's unit");
}

/// Words a Norwegian sentence cannot end on, nor put right before a comma or a colon.
const CONNECTORS: &[&str] = &[
    "er", "og", "eller", "ved", "på", "mot", "med", "fra", "av", "som", "enn", "i", "til", "for",
    "om", "fordi", "at", "de", "den", "det", "en", "et", "hos",
];

/// The places in the generated Typst where a sentence ends (or a clause breaks) on a bare
/// connector or on punctuation: `er .`, `og ,`, `: .`, `, .`, `()`.
fn empty_sentences(typ: &str) -> Vec<String> {
    let mut bad = Vec::new();
    for line in typ.lines() {
        // Values and markup that are not words: the suppression footnote, the `..` of an
        // absent value, emphasis.
        let clean = line
            .replace("#footnote(<prikk>)", "")
            .replace("..", "X")
            .replace(['*', '_'], "");
        let words: Vec<&str> = clean.split_whitespace().collect();
        for (i, w) in words.iter().enumerate() {
            let next = words.get(i + 1).copied().unwrap_or("");
            let starts_punct = next.starts_with(['.', ',', ';', ':']) && next.len() <= 2;
            let bare = w.trim_start_matches(['(', '[', '«']).to_lowercase();
            if starts_punct && CONNECTORS.contains(&bare.as_str()) {
                bad.push(format!("`{w} {next}` in: {line}"));
            }
            if starts_punct && w.ends_with([':', ',', ';']) {
                bad.push(format!("`{w} {next}` in: {line}"));
            }
            if next.len() == 1 && next.starts_with(['.', ',', ';', ':']) {
                bad.push(format!("`{w} {next}` in: {line}"));
            }
            if let Some(stem) = w.strip_suffix('.')
                && ["er", "og", "eller", "enn", "ved", "mot", "som"]
                    .contains(&stem.to_lowercase().as_str())
                && !line.trim_start().starts_with(['#', '['])
            {
                bad.push(format!("`{w}` in: {line}"));
            }
            if w.starts_with("()") || (*w == "(" && next.starts_with(')')) {
                bad.push(format!("`{w}` in: {line}"));
            }
        }
    }
    bad
}

/// Every generated document of `r` checked with [`empty_sentences`].
fn empty_sentences_in(r: &Rendered) -> Vec<String> {
    r.files
        .iter()
        .filter(|(name, _)| name.ends_with(".typ"))
        .flat_map(|(name, bytes)| {
            empty_sentences(&String::from_utf8_lossy(bytes))
                .into_iter()
                .map(move |b| format!("{name}: {b}"))
        })
        .collect()
}

fn render_table(table: &IndicatorTable, dataset: &Dataset) -> Rendered {
    let inputs = inputs();
    let m = meta(false, false);
    let rules = hostile_rules();
    let input = RenderInput {
        inputs: &inputs,
        anbefalinger: &rules,
        ..render_input(table, dataset, &m)
    };
    render(&input, &builtin_templates()).expect("render succeeds")
}

#[test]
fn the_sentence_check_finds_a_sentence_with_nothing_in_it() {
    assert!(!empty_sentences("De største utfordringene er .").is_empty());
    assert!(!empty_sentences("Perioder: .").is_empty());
    assert!(!empty_sentences("Enheter: , Perioder").is_empty());
    assert!(empty_sentences("fra – til –, ingen endring.").is_empty());
    assert!(empty_sentences("Tegnet .. betyr at tallet mangler.").is_empty());
    assert!(empty_sentences("ingen tidligere kjøring å sammenligne med.").is_empty());
}

#[test]
fn every_sentence_reads_right_when_every_value_is_suppressed_or_absent() {
    // Every cell suppressed (the survey's region cells included).
    let mut suppressed = table();
    for r in &mut suppressed.rows {
        r.verdi = None;
        r.nedre = None;
        r.ovre = None;
        r.n = None;
        r.prikket = true;
    }
    // Every value absent: no indicator rows, and a pilot with nothing but a name.
    let empty = IndicatorTable::default();
    let mut bare = dataset();
    bare.pilots.push(Pilot {
        id: "tom".into(),
        navn: "Tom pilot".into(),
        beskrivelse: String::new(),
        foretak: vec![],
        enheter: vec![],
        nye_roller: vec![],
        perioder: vec![],
        arbeidsflyt: vec![],
    });
    let mut bad = Vec::new();
    for (what, t, d) in [
        ("all suppressed", &suppressed, &dataset()),
        ("all absent", &empty, &bare),
        ("all suppressed, bare pilot", &suppressed, &bare),
        ("no data at all", &empty, &Dataset::default()),
    ] {
        let r = render_table(t, d);
        bad.extend(
            empty_sentences_in(&r)
                .into_iter()
                .map(|b| format!("{what}: {b}")),
        );
    }
    assert!(
        bad.is_empty(),
        "sentences with nothing in them:\n{}",
        bad.join("\n")
    );
}
