//! Tests: the staffing need (WISN, indicators.md §8) — a worked example computed by hand,
//! the `aktivitet/` input, and the bundled sample's export.

use std::collections::{BTreeMap, BTreeSet};

use tsb_report::config::{
    ActivityStandardSettings, AdditionalActivitySettings, Settings, ValidationSettings,
    WorkingTimeSettings,
};
use tsb_report::indicators::wisn::WisnSettings;
use tsb_report::indicators::{IndicatorSettings, Keys, compute};
use tsb_report::model::*;
use tsb_report::validate::validate;

use crate::support::model::{
    close_named as close, d, enhet, foretak, oppgave, render_input, val, yrke,
};
use crate::support::{Project, check, repo, row_errors_by_file};

// ---------------------------------------------------------------- the worked example
//
// One health trust AAA with one outpatient unit AAA-POL (tjeneste poliklinikk), which is
// also the pilot's unit. Three professions: `spes` (legespesialist, nivå 4), `spl`
// (sykepleier, nivå 2), `sek` (merkantil, nivå 1). Tasks: `vurd` (spesialistvurdering,
// behandling, krever 4), `samt` (samtale, behandling, krever 3), `journal` (dokumentasjon,
// no volume: a support activity), `grp` (gruppe, behandling: a volume but never logged).
//
// Volumes 2025 in AAA-POL: vurd 1000, samt 2000, grp 10 (and an older 2024 row for vurd,
// 5000, which must not count: the latest year is current).
//
// `før` logs, one day (AAA-POL, 2025-01-10):
//   vurd:    spes 2 rows × 60 min = 120 min
//   samt:    spes 1 row  × 30 min =  30 min;  spl 3 rows × 30 min = 90 min
//   journal: spes 1 row  × 30 min;            spl 2 rows × 15 min = 30 min;  sek 1 × 20 min
// `pilot` logs, one day (AAA-POL, 2025-04-10): vurd moves to spl, the rest as before:
//   vurd:    spl 2 rows × 60 min
//   samt:    spes 1 × 30, spl 3 × 30;   journal: spes 1 × 30, spl 2 × 15
//
// Staffing at 2025-12-31: spes B 2.0, F 0.8, I 0.2, sick leave 10 %; spl B 1.0, F 1.0, I 0,
// sick leave unknown (the settings' 4 % is used); sek B 1.0, F 1.0.
// Settings: 37.5 h/week, 25 holiday days, 5 other absence days, default sick leave 4 %;
// [[tillegg]] AAA × spes, 100 hours × 2 persons (for the trust as a whole).

fn reference() -> Reference {
    Reference {
        foretak: vec![foretak("AAA", "AAA HF", Ownership::Offentlig)],
        enheter: vec![enhet("AAA-POL", "AAA", "AAA poliklinikk")],
        yrker: vec![
            yrke("sek", "sek", 1, false),
            yrke("spes", "spes", 4, false),
            yrke("spl", "spl", 2, false),
        ],
        oppgaver: vec![
            oppgave("grp", "grp", "behandling", 3),
            oppgave("journal", "journal", "dokumentasjon", 2),
            oppgave("samt", "samt", "behandling", 3),
            oppgave("vurd", "vurd", "behandling", 4),
        ],
    }
}

fn pilot() -> Pilot {
    Pilot {
        id: "p".into(),
        navn: "Pilot".into(),
        beskrivelse: String::new(),
        foretak: vec!["AAA".into()],
        enheter: vec!["AAA-POL".into()],
        nye_roller: vec!["spl".into()],
        perioder: vec![
            Periode {
                fase: Fase::For,
                fra: d("2025-01-01"),
                til: d("2025-03-31"),
            },
            Periode {
                fase: Fase::Pilot,
                fra: d("2025-04-01"),
                til: d("2025-06-30"),
            },
        ],
        arbeidsflyt: vec![],
    }
}

fn logs() -> Vec<LogRow> {
    let row = |dato: &str, fase: Fase, yrke: &str, oppgave: &str, m: f64| LogRow {
        pilot_id: "p".into(),
        dato: d(dato),
        fase,
        foretak_id: "AAA".into(),
        enhet_id: "AAA-POL".into(),
        yrke_id: yrke.into(),
        oppgave_id: oppgave.into(),
        minutter: m,
        pasient: None,
        utfort_av: None,
    };
    let mut v = Vec::new();
    let b = |v: &mut Vec<LogRow>, y: &str, t: &str, n: usize, m: f64| {
        for _ in 0..n {
            v.push(row("2025-01-10", Fase::For, y, t, m));
        }
    };
    b(&mut v, "spes", "vurd", 2, 60.0);
    b(&mut v, "spes", "samt", 1, 30.0);
    b(&mut v, "spl", "samt", 3, 30.0);
    b(&mut v, "spes", "journal", 1, 30.0);
    b(&mut v, "spl", "journal", 2, 15.0);
    b(&mut v, "sek", "journal", 1, 20.0);
    let a = |v: &mut Vec<LogRow>, y: &str, t: &str, n: usize, m: f64| {
        for _ in 0..n {
            v.push(row("2025-04-10", Fase::Pilot, y, t, m));
        }
    };
    a(&mut v, "spl", "vurd", 2, 60.0);
    a(&mut v, "spes", "samt", 1, 30.0);
    a(&mut v, "spl", "samt", 3, 30.0);
    a(&mut v, "spes", "journal", 1, 30.0);
    a(&mut v, "spl", "journal", 2, 15.0);
    v
}

fn staffing() -> Vec<StaffingRow> {
    let s = |yrke: &str, b: f64, f: f64, i: f64, syk: Option<f64>| StaffingRow {
        dato: d("2025-12-31"),
        foretak_id: "AAA".into(),
        enhet_id: "AAA-POL".into(),
        yrke_id: yrke.into(),
        budsjetterte_arsverk: b,
        besatte_arsverk: f,
        innleide_arsverk: i,
        ledige_stillinger: None,
        ledige_over_6_mnd: None,
        ansatte: None,
        sluttet_12_mnd: None,
        sykefravaer_pst: syk,
        kilde: StaffingSource::Hr,
    };
    vec![
        s("spes", 2.0, 0.8, 0.2, Some(10.0)),
        s("spl", 1.0, 1.0, 0.0, None),
        s("sek", 1.0, 1.0, 0.0, None),
    ]
}

fn activity() -> Vec<ActivityRow> {
    let a = |ar: i32, t: &str, n: f64| ActivityRow {
        ar,
        foretak_id: "AAA".into(),
        enhet_id: "AAA-POL".into(),
        oppgave_id: t.into(),
        antall: n,
        fil: "data/aktivitet/npr.csv".into(),
    };
    vec![
        a(2024, "vurd", 5000.0),
        a(2025, "vurd", 1000.0),
        a(2025, "samt", 2000.0),
        a(2025, "grp", 10.0),
    ]
}

fn dataset() -> Dataset {
    Dataset {
        reference: reference(),
        staffing: staffing(),
        pilots: vec![pilot()],
        logs: logs(),
        activity: activity(),
        ..Dataset::default()
    }
}

fn settings() -> IndicatorSettings {
    IndicatorSettings {
        k: 3,
        wisn: WisnSettings {
            arbeidstid: WorkingTimeSettings {
                timer_per_uke: 37.5,
                ferie_dager: 25.0,
                andre_fravaersdager: 5.0,
                sykefravaer_pst: 4.0,
            },
            standarder: vec![],
            tillegg: vec![AdditionalActivitySettings {
                foretak: "AAA".into(),
                enhet: None,
                yrke: "spes".into(),
                timer_per_ar: 100.0,
                personer: 2.0,
                beskrivelse: "Veiledning".into(),
            }],
        },
    }
}

fn unit(y: &str) -> Keys {
    Keys {
        foretak_id: Some("AAA".into()),
        enhet_id: Some("AAA-POL".into()),
        yrke_id: Some(y.into()),
        ..Keys::default()
    }
}

fn trust(y: &str) -> Keys {
    Keys {
        foretak_id: Some("AAA".into()),
        yrke_id: Some(y.into()),
        ..Keys::default()
    }
}

fn level(f: Option<&str>, l: u8) -> Keys {
    Keys {
        foretak_id: f.map(str::to_owned),
        kompetanseniva: Some(l),
        ..Keys::default()
    }
}

fn pilot_keys(f: Option<&str>, fase: &str, l: Option<u8>) -> Keys {
    Keys {
        pilot_id: Some("p".into()),
        foretak_id: f.map(str::to_owned),
        fase: Some(fase.into()),
        kompetanseniva: l,
        ..Keys::default()
    }
}

// AWT, by hand. 2025: A = 261 weekdays (starts on a Wednesday, 365 days: 52 × 5 + 1),
// B = 9 public holidays on weekdays (17 May is a Saturday), C = 25, E = 5, F = 37.5 / 5 = 7.5.
//   spes: D = 0.10 × (261 − 9 − 25) = 22.7;  AWT = (261 − 9 − 25 − 22.7 − 5) × 7.5
//         = 199.3 × 7.5 = 1494.75 hours
//   spl:  D = 0.04 × 227 = 9.08;             AWT = (261 − 9 − 25 − 9.08 − 5) × 7.5
//         = 212.92 × 7.5 = 1596.9 hours
const AWT_SPES: f64 = 1494.75;
const AWT_SPL: f64 = 1596.9;

#[test]
fn wisn_worked_example_by_hand() {
    assert_eq!(tsb_report::indicators::calendar::weekdays(2025), 261);
    assert_eq!(tsb_report::indicators::calendar::weekday_holidays(2025), 9);
    let a = &settings().wisn.arbeidstid;
    close(
        tsb_report::indicators::wisn::available_hours(2025, 0.10, a),
        AWT_SPES,
        "AWT spes",
    );
    close(
        tsb_report::indicators::wisn::available_hours(2025, 0.04, a),
        AWT_SPL,
        "AWT spl",
    );
    let t = compute(&dataset(), &settings()).unwrap();

    // Standard workloads: T(vurd) = 120 min / 2 rows = 60 min; T(samt) = 120 min / 4 rows
    // = 30 min. Shares: s(vurd, spes) = 120/120 = 1; s(samt, spes) = 30/120 = 0.25,
    // s(samt, spl) = 90/120 = 0.75.
    // Support (journal, no volume): CAS(spes) = 30 / (120 + 30 + 30) = 1/6, CAF = 1.2;
    // CAS(spl) = 30 / (90 + 30) = 0.25, CAF = 4/3; CAS(sek) = 20/20 = 1 ≥ 0.9: an error,
    // sek's need is not computed (a note, below).
    // Workload hours (latest year: vurd 1000, not the 2024 row of 5000):
    //   spes: 1000 × 60/60 × 1 + 2000 × 30/60 × 0.25 = 1000 + 250 = 1250 h
    //   spl:  2000 × 30/60 × 0.75 = 750 h
    // (grp has a volume but no time: not used, a note.)
    // R(unit, spes) = 1250 / 1494.75 × 1.2 = 1500 / 1494.75 = 1.003512…
    // R(unit, spl)  = 750 / 1596.9 × 4/3 = 1000 / 1596.9 = 0.626213…
    let r_spes = 1250.0 / AWT_SPES * 1.2;
    let r_spl = 750.0 / AWT_SPL * (4.0 / 3.0);
    close(r_spes, 1500.0 / 1494.75, "R spes");
    close(r_spl, 1000.0 / 1596.9, "R spl");
    close(
        val(&t, "wisn_behov", "enhet_yrke", &unit("spes")),
        r_spes,
        "R spes",
    );
    close(
        val(&t, "wisn_behov", "enhet_yrke", &unit("spl")),
        r_spl,
        "R spl",
    );
    // Staff F + I: spes 0.8 + 0.2 = 1.0; spl 1.0.
    close(
        val(&t, "wisn_arsverk", "enhet_yrke", &unit("spes")),
        1.0,
        "S spes",
    );
    // Difference F + I − R: spes 1 − 1.003512… = −0.003512… (a shortage); spl 1 − 0.626213….
    close(
        val(&t, "wisn_differanse", "enhet_yrke", &unit("spes")),
        1.0 - 1500.0 / 1494.75,
        "diff spes",
    );
    close(
        val(&t, "wisn_differanse", "enhet_yrke", &unit("spl")),
        1.0 - 1000.0 / 1596.9,
        "diff spl",
    );
    // Ratio (F + I) / R: spes 1494.75 / 1500 = 0.9965; spl 1596.9 / 1000 = 1.5969.
    close(
        val(&t, "wisn_ratio", "enhet_yrke", &unit("spes")),
        0.9965,
        "ratio spes",
    );
    close(
        val(&t, "wisn_ratio", "enhet_yrke", &unit("spl")),
        1.5969,
        "ratio spl",
    );

    // IAF (for the trust as a whole): 100 h × 2 persons / 1494.75 = 200 / 1494.75 = 0.1338…
    // R(AAA, spes) = (1500 + 200) / 1494.75 = 1.137314…; ratio 1494.75 / 1700.
    close(
        val(&t, "wisn_behov", "foretak_yrke", &trust("spes")),
        1700.0 / 1494.75,
        "R AAA spes",
    );
    close(
        val(&t, "wisn_ratio", "foretak_yrke", &trust("spes")),
        1494.75 / 1700.0,
        "ratio AAA spes",
    );
    close(
        val(
            &t,
            "wisn_behov",
            "foretak_kompetansenivå",
            &level(Some("AAA"), 4),
        ),
        1700.0 / 1494.75,
        "R AAA nivå 4",
    );
    close(
        val(&t, "wisn_behov", "kompetansenivå", &level(None, 2)),
        1000.0 / 1596.9,
        "R region nivå 2",
    );
    close(
        val(&t, "wisn_differanse", "kompetansenivå", &level(None, 4)),
        1.0 - 1700.0 / 1494.75,
        "diff region nivå 4",
    );
    // sek (CAS = 1) has no cells at all.
    assert!(t.get("wisn_behov", "enhet_yrke", &unit("sek")).is_none());
    assert!(
        t.get("wisn_behov", "kompetansenivå", &level(None, 1))
            .is_none()
    );

    // R′ under the pilot's shares: s′(vurd, spl) = 1, s′(vurd, spes) = 0; samt unchanged.
    //   spes: 2000 × 0.5 × 0.25 = 250 h → R′ = 250 / 1494.75 × 1.2 = 300 / 1494.75; with the
    //         trust's IAF: (300 + 200) / 1494.75
    //   spl:  (1000 × 1 × 1 + 750) h → R′ = 1750 / 1596.9 × 4/3 = 2333.33… / 1596.9
    close(
        val(
            &t,
            "wisn_behov_etter_oppgavedeling",
            "pilot_foretak_kompetansenivå",
            &pilot_keys(Some("AAA"), "pilot", Some(4)),
        ),
        500.0 / 1494.75,
        "R′ AAA nivå 4",
    );
    close(
        val(
            &t,
            "wisn_behov_etter_oppgavedeling",
            "pilot_kompetansenivå",
            &pilot_keys(None, "pilot", Some(2)),
        ),
        1750.0 * (4.0 / 3.0) / 1596.9,
        "R′ region nivå 2",
    );

    // The notes: grp (volume, no time) and sek (support share ≥ 0.9).
    let notes: Vec<&str> = t.merknader.iter().map(|m| m.tekst.as_str()).collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("task `grp`") && n.contains("no time")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("profession `sek`") && n.contains("100.0 %")),
        "{notes:?}"
    );
    assert_eq!(notes.len(), 2, "{notes:?}");
}

#[test]
fn wisn_moving_a_level_4_task_to_level_2_frees_a_paper_computable_amount() {
    let t = compute(&dataset(), &settings()).unwrap();
    // Only vurd changes hands: its 1000 × 60 min = 1000 h go from spes to spl. The
    // specialist need falls by 1000 h / AWT(spes) × CAF(spes) = 1000 / 1494.75 × 1.2
    // = 1200 / 1494.75 = 0.802809834… FTE (R − R′ = 1500/1494.75 − 300/1494.75).
    let freed = 1200.0 / 1494.75;
    close(
        val(
            &t,
            "frigjorte_spesialistarsverk",
            "pilot",
            &pilot_keys(None, "endring", None),
        ),
        freed,
        "freed region",
    );
    close(
        val(
            &t,
            "frigjorte_spesialistarsverk",
            "pilot_foretak",
            &pilot_keys(Some("AAA"), "endring", None),
        ),
        freed,
        "freed AAA",
    );
    // One day per phase: every resample draws the same days, so the 95 % interval is the
    // point itself.
    let r = t
        .get(
            "frigjorte_spesialistarsverk",
            "pilot",
            &pilot_keys(None, "endring", None),
        )
        .unwrap();
    close(r.nedre.unwrap(), freed, "lower");
    close(r.ovre.unwrap(), freed, "upper");
    // The specialist vacancy: max(2.0 − 0.8, 0) = 1.2 FTE; covered 0.8028… / 1.2 = 0.66900…
    close(
        val(
            &t,
            "vakanse_dekket_andel",
            "pilot",
            &pilot_keys(None, "pilot", None),
        ),
        freed / 1.2,
        "covered",
    );
    // The same, through the need rows: R(nivå 4) − R′(nivå 4) at the trust.
    let r4 = val(
        &t,
        "wisn_behov",
        "foretak_kompetansenivå",
        &level(Some("AAA"), 4),
    );
    let r4p = val(
        &t,
        "wisn_behov_etter_oppgavedeling",
        "pilot_foretak_kompetansenivå",
        &pilot_keys(Some("AAA"), "pilot", Some(4)),
    );
    close(r4 - r4p, freed, "R − R′");
}

#[test]
fn wisn_activity_standard_overrides_the_logs_mean() {
    let mut s = settings();
    s.wisn.standarder = vec![ActivityStandardSettings {
        oppgave: "vurd".into(),
        minutter: 90.0,
    }];
    let t = compute(&dataset(), &s).unwrap();
    // T(vurd) = 90: spes 1000 × 1.5 h + 250 h = 1750 h → R = 1750 × 1.2 / 1494.75.
    close(
        val(&t, "wisn_behov", "enhet_yrke", &unit("spes")),
        2100.0 / 1494.75,
        "R spes with standard",
    );
    // Freed: 1500 h × 1.2 / 1494.75.
    close(
        val(
            &t,
            "frigjorte_spesialistarsverk",
            "pilot",
            &pilot_keys(None, "endring", None),
        ),
        1800.0 / 1494.75,
        "freed with standard",
    );
}

#[test]
fn wisn_without_volumes_adds_nothing() {
    let mut ds = dataset();
    ds.activity.clear();
    let t = compute(&ds, &settings()).unwrap();
    assert!(t.rows.iter().all(|r| !r.indikator.starts_with("wisn")
        && r.indikator != "frigjorte_spesialistarsverk"
        && r.indikator != "vakanse_dekket_andel"));
    assert!(t.merknader.is_empty());
}

#[test]
fn wisn_pilot_values_follow_the_pilots_disclosure_control() {
    // With `utført_av` on the rows and fewer than k distinct performers, the pilot's phase
    // cells are suppressed, and with them what spreading it would free.
    let mut ds = dataset();
    for r in &mut ds.logs {
        r.utfort_av = Some("a1".into());
    }
    let t = compute(&ds, &settings()).unwrap();
    let r = t
        .get(
            "frigjorte_spesialistarsverk",
            "pilot",
            &pilot_keys(None, "endring", None),
        )
        .unwrap();
    assert!(r.prikket && r.verdi.is_none() && r.nedre.is_none());
    let r = t
        .get(
            "vakanse_dekket_andel",
            "pilot",
            &pilot_keys(None, "pilot", None),
        )
        .unwrap();
    assert!(r.prikket && r.verdi.is_none());
    // The need itself rests on volumes and staffing, not on people's answers: published.
    assert!(
        !t.get("wisn_behov", "enhet_yrke", &unit("spes"))
            .unwrap()
            .prikket
    );
}

#[test]
fn wisn_settings_are_strict() {
    let err = format!(
        "{:#}",
        Settings::parse("[arbeidstid]\ntimer_per_uke = 37.5\nferie = 25\n", "x.toml").unwrap_err()
    );
    assert!(err.contains("unknown field `ferie`"), "{err}");
    let err = format!(
        "{:#}",
        Settings::parse("[arbeidstid]\ntimer_per_uke = 0\n", "x.toml").unwrap_err()
    );
    assert!(err.contains("arbeidstid.timer_per_uke"), "{err}");
    let err = format!(
        "{:#}",
        Settings::parse(
            "[[aktivitetsstandard]]\noppgave = \"a\"\nminutter = 10\n[[aktivitetsstandard]]\noppgave = \"a\"\nminutter = 20\n",
            "x.toml"
        )
        .unwrap_err()
    );
    assert!(err.contains("given twice"), "{err}");
    let err = format!(
        "{:#}",
        Settings::parse(
            "[[tillegg]]\nforetak = \"STO\"\nyrke = \"lege\"\ntimer_per_ar = 80\n",
            "x.toml"
        )
        .unwrap_err()
    );
    assert!(err.contains("personer"), "{err}");
}

// ---------------------------------------------------------------- the `aktivitet/` input

#[test]
fn activity_files_are_read_in_every_dialect_with_aliases_and_names() {
    // Semicolon UTF-8 with BOM, the aliases `aar`, `hf`, `aktivitet`, `volum`, names instead
    // of ids, a decimal comma and digit grouping.
    let a = "\u{feff}aar;hf;enhet;aktivitet;volum\r\n2025;STO;LAR St. Olavs;LAR-oppfølging;1 200\r\n2025;STO;Poliklinikk rus Trondheim;Behandlingssamtale;3500\r\n";
    // TAB, Windows-1252 (ø as 0xF8), column order changed, `year`, canonical names.
    let mut b: Vec<u8> = b"enhet\tforetak\tyear\toppgave\tantall\n".to_vec();
    b.extend_from_slice(b"HMR-POL-MOL\tHMR\t2024\tSamarbeid om bolig\t40\n");
    b.extend_from_slice(b"Poliklinikk rus Molde\tHMR\t2025\tLAR-oppf\xf8lging\t7\n");
    let p = Project::new("activity_dialects")
        .reference()
        .file("data/aktivitet/a.csv", a)
        .file("data/aktivitet/b.txt", b);
    let v = check(&p);
    assert!(!v.has_errors(), "{:?}", v.diagnostics);
    let mut got: Vec<(i32, String, String, f64)> = v
        .dataset
        .activity
        .iter()
        .map(|r| (r.ar, r.enhet_id.clone(), r.oppgave_id.clone(), r.antall))
        .collect();
    got.sort_by(|a, b| (a.0, &a.1, &a.2).cmp(&(b.0, &b.1, &b.2)));
    assert_eq!(
        got,
        vec![
            (2024, "HMR-POL-MOL".into(), "bolig".into(), 40.0),
            (2025, "HMR-POL-MOL".into(), "lar".into(), 7.0),
            (2025, "STO-LAR".into(), "lar".into(), 1200.0),
            (2025, "STO-POL".into(), "samtale".into(), 3500.0),
        ]
    );
    let kinds: BTreeSet<&str> = v
        .inputs
        .iter()
        .filter(|i| i.path.starts_with("aktivitet/"))
        .map(|i| i.kind.as_str())
        .collect();
    assert_eq!(kinds, BTreeSet::from(["aktivitet"]));
}

#[test]
fn activity_row_errors_are_quarantined_and_accounted_for() {
    // Line 2 fine; 3 a repeat of line 2's unit × task × year; 4 above 1 000 000; 5 an
    // unknown unit; 6 a negative count; 7 a unit under the wrong trust; 8 a two-digit year;
    // 9 fine. The repeat in the second file (line 2) is also an error (across files).
    let a = "år;foretak;enhet;oppgave;antall\n\
             2025;STO;STO-LAR;lar;100\n\
             2025;STO;LAR Trondheim;LAR-oppfølging;5\n\
             2025;STO;STO-POL;samtale;1000001\n\
             2025;STO;STO-POLL;samtale;10\n\
             2025;STO;STO-POL;bolig;-3\n\
             2025;HMR;STO-POL;samtale;10\n\
             25;STO;STO-POL;samtale;10\n\
             2024;STO;STO-LAR;lar;90\n";
    let b = "år;foretak;enhet;oppgave;antall\n2025;STO;STO-LAR;lar;1\n2025;HMR;HMR-POL-MOL;lar;1\n";
    let p = Project::new("activity_errors")
        .reference()
        .file("data/aktivitet/a.csv", a)
        .file("data/aktivitet/b.csv", b)
        .file(
            "tsb-report.toml",
            "[validering]\nmaks_karantene_andel = 1.0\n",
        );
    let inv = tsb_report::discover::discover(&p.path("data")).unwrap();
    let v = validate(
        &inv,
        &ValidationSettings {
            maks_karantene_andel: 1.0,
        },
    );
    assert!(!v.has_file_errors(), "{:?}", v.diagnostics);
    let errs = row_errors_by_file(&v);
    let lines: Vec<(&str, u64)> = errs.iter().map(|(f, l, _)| (f.as_str(), *l)).collect();
    assert_eq!(
        lines,
        vec![
            ("a.csv", 3),
            ("a.csv", 4),
            ("a.csv", 5),
            ("a.csv", 6),
            ("a.csv", 7),
            ("a.csv", 8),
            ("b.csv", 2),
        ],
        "{errs:#?}"
    );
    assert!(
        errs[0].2.contains("already given on line 2"),
        "{}",
        errs[0].2
    );
    assert!(errs[1].2.contains("implausible"), "{}", errs[1].2);
    assert!(errs[6].2.contains("a.csv` line 2"), "{}", errs[6].2);
    let acc = |name: &str| {
        let i = v.inputs.iter().find(|i| i.path.ends_with(name)).unwrap();
        (i.rows_read, i.rows_used, i.rows_quarantined)
    };
    assert_eq!(acc("a.csv"), (8, 2, 6));
    assert_eq!(acc("b.csv"), (2, 1, 1));
    assert_eq!(v.dataset.activity.len(), 3);
    let q: BTreeMap<&str, usize> = v
        .quarantine
        .iter()
        .map(|q| (q.rel.as_str(), q.rows.len()))
        .collect();
    assert_eq!(
        q,
        BTreeMap::from([("aktivitet/a.csv", 6), ("aktivitet/b.csv", 1)])
    );
}

#[test]
fn activity_file_without_a_required_column_is_a_file_error() {
    let p = Project::new("activity_missing_column").reference().file(
        "data/aktivitet/a.csv",
        "år;foretak;enhet;oppgave\n2025;STO;STO-LAR;lar\n",
    );
    let v = check(&p);
    assert!(v.has_file_errors());
    let d = v
        .diagnostics
        .iter()
        .find(|d| d.file.ends_with("aktivitet/a.csv"))
        .unwrap();
    assert!(d.message.contains("antall"), "{}", d.message);
}

// ---------------------------------------------------------------- the bundled sample

#[test]
fn wisn_bundled_sample_ratio_and_vacancy_cover_are_consistent() {
    let data = repo().join("data");
    let inv = tsb_report::discover::discover(&data).unwrap();
    let (settings, _) = Settings::load(Some(&repo().join("tsb-report.toml"))).unwrap();
    let v = validate(&inv, &settings.validering);
    assert!(!v.has_file_errors());
    let ds = &v.dataset;
    assert!(!ds.activity.is_empty(), "the sample has activity volumes");
    let t = compute(
        ds,
        &IndicatorSettings {
            k: settings.prikking.k,
            wisn: WisnSettings::of(&settings),
        },
    )
    .unwrap();

    // F + I per unit × profession at the current snapshot.
    let mut latest: BTreeMap<(&str, &str), &StaffingRow> = BTreeMap::new();
    for r in &ds.staffing {
        let e = latest.entry((&r.enhet_id, &r.yrke_id)).or_insert(r);
        if r.dato > e.dato {
            *e = r;
        }
    }
    let units: BTreeSet<&str> = t
        .select("wisn_behov", "enhet_yrke")
        .filter_map(|r| r.keys.enhet_id.as_deref())
        .collect();
    assert_eq!(
        units.len(),
        ds.reference.enheter.len(),
        "every unit has volumes"
    );
    let niva = |y: &str| ds.reference.yrke(y).unwrap().niva;
    let trust_of = |e: &str| ds.reference.enhet(e).unwrap().foretak_id.clone();
    // Staff of the cells the need covers (professions with a computed need).
    let covered: BTreeSet<&str> = t
        .select("wisn_behov", "enhet_yrke")
        .filter_map(|r| r.keys.yrke_id.as_deref())
        .collect();
    let staff = |keep: &dyn Fn(&StaffingRow) -> bool| -> f64 {
        latest
            .values()
            .filter(|r| units.contains(r.enhet_id.as_str()) && covered.contains(r.yrke_id.as_str()))
            .filter(|r| keep(r))
            .map(|r| r.besatte_arsverk + r.innleide_arsverk)
            .sum()
    };
    let mut checked = 0;
    for r in t.rows.iter().filter(|r| r.indikator == "wisn_ratio") {
        assert!(!r.prikket);
        let k = &r.keys;
        let s = staff(&|c: &StaffingRow| {
            k.enhet_id.as_ref().is_none_or(|e| *e == c.enhet_id)
                && k.yrke_id.as_ref().is_none_or(|y| *y == c.yrke_id)
                && k.foretak_id
                    .as_ref()
                    .is_none_or(|f| *f == trust_of(&c.enhet_id))
                && k.kompetanseniva.is_none_or(|l| l == niva(&c.yrke_id))
        });
        let need = t
            .get("wisn_behov", &r.gruppering, k)
            .unwrap()
            .verdi
            .unwrap();
        let ratio = r.verdi.unwrap();
        assert!(
            (ratio - s / need).abs() < 1e-9 * ratio.max(1.0),
            "{} {k:?}: {ratio} != {s} / {need}",
            r.gruppering
        );
        checked += 1;
    }
    assert!(checked > 100, "{checked} ratio cells");

    // Vacancy covered = freed / vacant specialist FTE.
    let vac4 = t
        .get(
            "ledige_arsverk",
            "kompetansenivå",
            &Keys {
                kompetanseniva: Some(4),
                ..Keys::default()
            },
        )
        .unwrap()
        .verdi
        .unwrap();
    let mut pilots = 0;
    for p in &ds.pilots {
        let k = Keys {
            pilot_id: Some(p.id.clone()),
            fase: Some("endring".into()),
            ..Keys::default()
        };
        let freed = t.get("frigjorte_spesialistarsverk", "pilot", &k).unwrap();
        let cover = t
            .get(
                "vakanse_dekket_andel",
                "pilot",
                &Keys {
                    fase: Some("pilot".into()),
                    ..k.clone()
                },
            )
            .unwrap();
        assert!(!freed.prikket && !cover.prikket);
        let f = freed.verdi.unwrap();
        assert!((cover.verdi.unwrap() - f / vac4).abs() < 1e-12);
        let (lo, hi) = (freed.nedre.unwrap(), freed.ovre.unwrap());
        assert!(lo <= f && f <= hi, "{} {lo} {f} {hi}", p.id);
        // Per trust: the trust's specialist vacancy from the staffing cells.
        for fr in t
            .select("frigjorte_spesialistarsverk", "pilot_foretak")
            .filter(|r| r.keys.pilot_id == k.pilot_id)
        {
            let fid = fr.keys.foretak_id.clone().unwrap();
            let vac: f64 = latest
                .values()
                .filter(|c| c.foretak_id == fid && niva(&c.yrke_id) == 4)
                .map(|c| (c.budsjetterte_arsverk - c.besatte_arsverk).max(0.0))
                .sum();
            let ck = Keys {
                fase: Some("pilot".into()),
                ..fr.keys.clone()
            };
            if let Some(c) = t.get("vakanse_dekket_andel", "pilot_foretak", &ck) {
                assert!((c.verdi.unwrap() - fr.verdi.unwrap() / vac).abs() < 1e-12);
            }
        }
        pilots += 1;
    }
    assert_eq!(pilots, 3);
    // The sample's volumes are usable: no notes.
    assert!(t.merknader.is_empty(), "{:?}", t.merknader);

    // The report: chapter 5's table and chart, and in each pilot's subsection the freed
    // specialist FTE with its interval and what it means for the specialist vacancy; the
    // repository's rule on the new indicators is raised.
    use tsb_report::render::{RenderInput, ReportMeta, builtin_templates, render};
    let meta = ReportMeta {
        k: settings.prikking.k,
        ..ReportMeta::default()
    };
    let input = RenderInput {
        anbefalinger: &settings.anbefaling,
        ..render_input(&t, ds, &meta)
    };
    let r = render(&input, &builtin_templates()).unwrap();
    let typ = String::from_utf8(r.files["rapport.typ"].clone()).unwrap();
    assert!(typ.contains("<tab-wisn>") && typ.contains("<fig-wisn>"));
    assert!(r.files.contains_key("figurer/wisn_ratio.svg"));
    let ch7 = &typ[typ.find("<sec-piloter>").unwrap()..typ.find("<sec-samhandling>").unwrap()];
    assert_eq!(
        ch7.matches("Spredt til alle enheter av samme type").count(),
        3
    );
    assert_eq!(ch7.matches("årsverk i regionen (95 % KI ").count(), 3);
    assert_eq!(
        ch7.matches(" ledige spesialistårsverkene (nivå 4).")
            .count(),
        3,
        "{ch7}"
    );
    assert!(typ.contains("Spre LAR\\-modellen til alle LAR\\-enheter i regionen.*"));
}

// ---------------------------------------------------------------- the documents

fn rendered(ds: &Dataset) -> String {
    use tsb_report::render::{ReportMeta, builtin_templates, render};
    let table = compute(ds, &settings()).unwrap();
    let meta = ReportMeta {
        k: 3,
        ..ReportMeta::default()
    };
    let input = render_input(&table, ds, &meta);
    let r = render(&input, &builtin_templates()).expect("render succeeds");
    String::from_utf8(r.files["rapport.typ"].clone())
        .unwrap()
        .replace('\u{a0}', " ")
}

#[test]
fn wisn_sentences_read_correctly_published_suppressed_and_absent() {
    // Published: the worked example frees 1200 / 1494.75 = 0,8 FTE, 0,8028 / 1,2 = 66,9 %
    // of the 1,2 vacant specialist FTE.
    let typ = rendered(&dataset());
    assert!(
        typ.contains("frigjøre 0,8 spesialistårsverk i regionen (95 % KI 0,8 til 0,8). Det tilsvarer 66,9 % av de 1,2 ledige spesialistårsverkene (nivå 4)."),
        "{typ}"
    );
    assert!(typ.contains("<tab-wisn>") && typ.contains("figurer/wisn_ratio.svg"));
    assert!(typ.contains("AAA HF"));
    // Vedlegg B lists what the staffing need could not use (grp, sek).
    assert!(typ.contains("ikke kunne brukes i bemanningsbehovet (WISN)"));
    assert!(
        typ.contains("task \\`grp\\` has volumes in 1 unit(s) but no time"),
        "{typ}"
    );
    // Suppressed: no number, and why.
    let mut ds = dataset();
    for r in &mut ds.logs {
        r.utfort_av = Some("a1".into());
    }
    let typ = rendered(&ds);
    assert!(typ.contains("vises ikke, fordi pilotens registreringer bygger på for få personer"));
    assert!(!typ.contains("frigjøre 0,8"));
    // The pilot takes work from level 2 to level 4: the need for specialists rises, and the
    // interval is given in that direction. Now CAS(spes) = 30 / (30 + 30) = 0.5, CAF = 2, so
    // the rise is 1000 h × 2 / 1494.75 = 1,3 FTE.
    let mut ds = dataset();
    for r in &mut ds.logs {
        if r.oppgave_id == "vurd" {
            r.yrke_id = if r.fase == Fase::For { "spl" } else { "spes" }.into();
        }
    }
    let typ = rendered(&ds);
    assert!(
        typ.contains(
            "øke behovet for spesialister med 1,3 årsverk i regionen (95 % KI 1,3 til 1,3)."
        ),
        "{typ}"
    );
    // Absent: no volumes.
    let mut ds = dataset();
    ds.activity.clear();
    let typ = rendered(&ds);
    assert!(typ.contains("Uten aktivitetstall kan det ikke beregnes"));
    assert!(
        typ.contains(
            "Det finnes ikke aktivitetstall, så bemanningsbehovet (WISN) er ikke beregnet."
        )
    );
    assert!(!typ.contains("<tab-wisn>"));
}
