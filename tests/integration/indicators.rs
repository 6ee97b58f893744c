//! Tests: indicators. Hand-computed fixtures for every formula of indicators.md, the
//! bootstrap, disclosure control and the export.

use proptest::prelude::*;
use tsb_report::indicators::suppress::{Relation, derivable};
use tsb_report::indicators::{
    IndicatorRow, IndicatorSettings, IndicatorTable, Keys, bootstrap, compute, def, export,
    registry,
};
use tsb_report::model::*;

use crate::support::model::{close, d, enhet, foretak, oppgave, val, yrke};

/// Three trusts (one private) with four units, three professions, six tasks; every name is
/// its id.
fn reference() -> Reference {
    Reference {
        foretak: vec![
            foretak("A", "A", Ownership::Offentlig),
            foretak("B", "B", Ownership::Offentlig),
            foretak("P", "P", Ownership::Privat),
        ],
        enheter: vec![
            enhet("A-1", "A", "A-1"),
            enhet("A-2", "A", "A-2"),
            enhet("B-1", "B", "B-1"),
            enhet("P-1", "P", "P-1"),
        ],
        yrker: vec![
            yrke("ek", "ek", 1, true),
            yrke("spes", "spes", 4, false),
            yrke("spl", "spl", 2, false),
        ],
        oppgaver: vec![
            oppgave("t_beh", "t_beh", "behandling", 4),
            oppgave("t_dok", "t_dok", "dokumentasjon", 1),
            oppgave("t_friv", "t_friv", "frivillige", 1),
            oppgave("t_kom", "t_kom", "kommune", 2),
            oppgave("t_med", "t_med", "medisinsk", 3),
            oppgave("t_par", "t_par", "pårørende", 2),
        ],
    }
}

#[allow(clippy::too_many_arguments)]
fn staff(
    dato: &str,
    enhet: &str,
    yrke: &str,
    b: f64,
    f: f64,
    i: f64,
    opt: [Option<f64>; 5],
) -> StaffingRow {
    StaffingRow {
        dato: d(dato),
        foretak_id: enhet[..1].into(),
        enhet_id: enhet.into(),
        yrke_id: yrke.into(),
        budsjetterte_arsverk: b,
        besatte_arsverk: f,
        innleide_arsverk: i,
        ledige_stillinger: opt[0],
        ledige_over_6_mnd: opt[1],
        ansatte: opt[2],
        sluttet_12_mnd: opt[3],
        sykefravaer_pst: opt[4],
        kilde: StaffingSource::Hr,
    }
}

fn staffing_rows() -> Vec<StaffingRow> {
    vec![
        // An older snapshot of a cell: must not count as current.
        staff(
            "2026-01-01",
            "A-1",
            "spes",
            10.0,
            10.0,
            0.0,
            [Some(9.0), Some(9.0), Some(99.0), Some(9.0), Some(50.0)],
        ),
        // Filled > budgeted next to filled < budgeted: the vacancy must not net out.
        staff(
            "2026-06-01",
            "A-1",
            "spes",
            4.0,
            5.0,
            1.0,
            [Some(0.0), Some(0.0), Some(6.0), Some(1.0), Some(10.0)],
        ),
        staff(
            "2026-06-01",
            "A-1",
            "spl",
            10.0,
            7.0,
            0.0,
            [Some(3.0), Some(1.0), Some(8.0), Some(2.0), Some(5.0)],
        ),
        // Latest snapshot of its own cell at an earlier date; optional columns unknown.
        staff("2026-03-01", "B-1", "spl", 6.0, 6.0, 2.0, [None; 5]),
    ]
}

#[allow(clippy::too_many_arguments)]
fn log(
    fase: Fase,
    dato: &str,
    enhet: &str,
    yrke: &str,
    oppgave: &str,
    m: f64,
    pas: Option<&str>,
    av: Option<&str>,
) -> LogRow {
    LogRow {
        pilot_id: "p1".into(),
        dato: d(dato),
        fase,
        foretak_id: enhet[..1].into(),
        enhet_id: enhet.into(),
        yrke_id: yrke.into(),
        oppgave_id: oppgave.into(),
        minutter: m,
        pasient: pas.map(Into::into),
        utfort_av: av.map(Into::into),
    }
}

fn log_rows() -> Vec<LogRow> {
    use Fase::*;
    vec![
        log(
            For,
            "2026-01-05",
            "A-1",
            "spes",
            "t_beh",
            60.0,
            Some("x1"),
            None,
        ),
        log(
            For,
            "2026-01-05",
            "A-1",
            "spes",
            "t_dok",
            30.0,
            Some("x1"),
            None,
        ),
        log(
            For,
            "2026-01-06",
            "A-1",
            "spl",
            "t_med",
            20.0,
            Some("x2"),
            None,
        ),
        log(
            For,
            "2026-01-06",
            "A-1",
            "ek",
            "t_friv",
            10.0,
            Some("x3"),
            None,
        ),
        log(
            For,
            "2026-01-07",
            "A-1",
            "spl",
            "t_kom",
            20.0,
            Some("x2"),
            None,
        ),
        log(
            Pilot,
            "2026-03-05",
            "A-1",
            "spes",
            "t_beh",
            60.0,
            Some("y1"),
            None,
        ),
        log(
            Pilot,
            "2026-03-05",
            "A-1",
            "spl",
            "t_dok",
            30.0,
            Some("y1"),
            None,
        ),
        log(
            Pilot,
            "2026-03-06",
            "A-1",
            "ek",
            "t_friv",
            30.0,
            Some("y2"),
            None,
        ),
        log(
            Pilot,
            "2026-03-06",
            "A-1",
            "spl",
            "t_par",
            20.0,
            Some("y1"),
            None,
        ),
        log(Pilot, "2026-03-07", "A-1", "spl", "t_kom", 20.0, None, None),
    ]
}

fn pilot() -> tsb_report::model::Pilot {
    tsb_report::model::Pilot {
        id: "p1".into(),
        navn: "Pilot 1".into(),
        beskrivelse: String::new(),
        foretak: vec!["A".into()],
        enheter: vec!["A-1".into()],
        nye_roller: vec!["ek".into()],
        perioder: vec![
            Periode {
                fase: Fase::For,
                fra: d("2026-01-01"),
                til: d("2026-02-28"),
            },
            Periode {
                fase: Fase::Pilot,
                fra: d("2026-03-01"),
                til: d("2026-06-30"),
            },
        ],
        arbeidsflyt: vec![],
    }
}

fn resp(
    id: &str,
    enhet: &str,
    yrke: Option<&str>,
    kap: &[f64],
    tid: Option<f64>,
    slutt: Option<bool>,
) -> Respondent {
    Respondent {
        undersokelse: "ans2026".into(),
        survey_type: SurveyType::Ansatt,
        respondent: id.into(),
        foretak_id: enhet[..1].into(),
        enhet_id: enhet.into(),
        yrke_id: yrke.map(Into::into),
        scores: kap
            .iter()
            .map(|s| ItemScore {
                omrade: "kapasitet".into(),
                score: *s,
            })
            .collect(),
        tid_andre_kunne_gjort: tid,
        vurderer_a_slutte: slutt,
    }
}

fn respondents() -> Vec<Respondent> {
    vec![
        // 4.5: e.g. "Enig" on a challenge item (4) and "Helt uenig" on a positive one, reversed 6 − 1 = 5.
        resp("r1", "A-1", Some("spl"), &[4.0, 5.0], Some(0.1), Some(true)),
        resp("r2", "A-1", Some("spl"), &[2.0], Some(0.2), Some(false)),
        // "Vet ikke" on every capacity item: no score, drops out of the area's n.
        resp("r3", "A-1", Some("spes"), &[], Some(0.3), Some(true)),
        resp("r10", "A-1", Some("spes"), &[3.0], Some(0.2), Some(false)),
        resp(
            "r4",
            "A-2",
            Some("spl"),
            &[3.0, 4.0],
            Some(0.4),
            Some(false),
        ),
        resp("r5", "A-2", Some("spes"), &[5.0], Some(0.5), Some(false)),
        resp(
            "r6",
            "A-2",
            Some("spes"),
            &[1.0, 2.0],
            Some(0.4),
            Some(false),
        ),
        resp("r7", "B-1", Some("spl"), &[4.0], Some(0.2), Some(true)),
        resp(
            "r8",
            "B-1",
            Some("spl"),
            &[4.0, 4.0],
            Some(0.3),
            Some(false),
        ),
        resp(
            "r9",
            "B-1",
            Some("spl"),
            &[2.0, 3.0],
            Some(0.1),
            Some(false),
        ),
    ]
}

fn dataset() -> Dataset {
    let mut staffing = staffing_rows();
    // Headcount for the response rate: A-2 spl, current.
    staffing.push(staff(
        "2026-06-01",
        "A-2",
        "spl",
        8.0,
        8.0,
        0.0,
        [None, None, Some(10.0), None, None],
    ));
    Dataset {
        reference: reference(),
        staffing,
        pilots: vec![pilot()],
        logs: log_rows(),
        respondents: respondents(),
        survey_rounds: vec![],
        activity: Vec::new(),
    }
}

fn k3() -> IndicatorSettings {
    IndicatorSettings {
        k: 3,
        ..IndicatorSettings::default()
    }
}

fn keys() -> Keys {
    Keys::default()
}

fn row<'a>(t: &'a IndicatorTable, id: &str, grp: &str, k: &Keys) -> &'a IndicatorRow {
    t.get(id, grp, k)
        .unwrap_or_else(|| panic!("no row {id} {grp} {k:?}"))
}

fn survey(k: Keys) -> Keys {
    Keys {
        undersokelse: Some("ans2026".into()),
        ..k
    }
}

fn area(k: Keys) -> Keys {
    Keys {
        omrade: Some("kapasitet".into()),
        ..survey(k)
    }
}

fn fo(f: &str) -> Keys {
    Keys {
        foretak_id: Some(f.into()),
        ..keys()
    }
}

fn en(e: &str) -> Keys {
    Keys {
        foretak_id: Some(e[..1].into()),
        enhet_id: Some(e.into()),
        ..keys()
    }
}

fn yr(y: &str) -> Keys {
    Keys {
        yrke_id: Some(y.into()),
        ..keys()
    }
}

fn staffing_only() -> Dataset {
    Dataset {
        reference: reference(),
        staffing: staffing_rows(),
        ..Dataset::default()
    }
}

#[test]
fn staffing_counts_each_cells_latest_snapshot_and_vacancies_cell_by_cell() {
    let t = compute(&staffing_only(), &k3()).unwrap();
    let r = keys();
    close(val(&t, "budsjetterte_arsverk", "region", &r), 20.0);
    close(val(&t, "besatte_arsverk", "region", &r), 18.0);
    close(val(&t, "bemanningsgrad", "region", &r), 18.0 / 20.0);
    // Cell by cell: max(4 − 5, 0) + max(10 − 7, 0) + 0 = 3, not 20 − 18 = 2.
    close(val(&t, "ledige_arsverk", "region", &r), 3.0);
    close(val(&t, "vakansgrad", "region", &r), 3.0 / 20.0);
    close(val(&t, "langtidsledige_andel", "region", &r), 1.0 / 3.0);
    assert_eq!(row(&t, "langtidsledige_andel", "region", &r).n, Some(2));
    close(val(&t, "innleieandel", "region", &r), 3.0 / 21.0);
    close(val(&t, "spesialistandel", "region", &r), 5.0 / 18.0);
    close(val(&t, "turnover", "region", &r), 3.0 / 14.0);
    // Weighted by F over the cells where sick leave is known.
    close(
        val(&t, "sykefravaer", "region", &r),
        (0.10 * 5.0 + 0.05 * 7.0) / 12.0,
    );
    assert_eq!(row(&t, "budsjetterte_arsverk", "region", &r).n, Some(3));
    assert_eq!(row(&t, "sykefravaer", "region", &r).n, Some(2));

    close(val(&t, "ledige_arsverk", "foretak", &fo("A")), 3.0);
    close(val(&t, "vakansgrad", "foretak", &fo("A")), 3.0 / 14.0);
    close(val(&t, "ledige_arsverk", "enhet", &en("A-1")), 3.0);
    close(val(&t, "innleieandel", "foretak", &fo("B")), 2.0 / 8.0);
    assert!(
        t.get("turnover", "foretak", &fo("B")).is_none(),
        "no known turnover in B"
    );
    let fy = Keys {
        foretak_id: Some("A".into()),
        yrke_id: Some("spes".into()),
        ..keys()
    };
    close(val(&t, "ledige_arsverk", "foretak_yrke", &fy), 0.0);
    close(val(&t, "bemanningsgrad", "foretak_yrke", &fy), 5.0 / 4.0);
    close(val(&t, "besatte_arsverk", "yrke", &yr("spl")), 13.0);
    let lvl2 = Keys {
        kompetanseniva: Some(2),
        ..keys()
    };
    close(
        val(&t, "budsjetterte_arsverk", "kompetansenivå", &lvl2),
        16.0,
    );
    close(val(&t, "ledige_arsverk", "kompetansenivå", &lvl2), 3.0);
    close(val(&t, "vakansgrad", "kompetansenivå", &lvl2), 3.0 / 16.0);
    assert!(
        t.get("turnover", "yrke", &yr("spl")).is_none(),
        "only four indicators by yrke"
    );
    assert!(
        t.rows.iter().all(|r| !r.prikket),
        "staffing is never suppressed"
    );
}

#[test]
fn staffing_has_a_value_at_every_snapshot_date() {
    let t = compute(&staffing_only(), &k3()).unwrap();
    let at = |s: &str| Keys {
        dato: Some(s.into()),
        ..keys()
    };
    close(
        val(&t, "budsjetterte_arsverk", "region", &at("2026-01-01")),
        10.0,
    );
    close(
        val(&t, "budsjetterte_arsverk", "region", &at("2026-06-01")),
        14.0,
    );
    close(val(&t, "ledige_arsverk", "region", &at("2026-06-01")), 3.0);
    close(
        val(&t, "budsjetterte_arsverk", "region", &at("2026-03-01")),
        6.0,
    );
    assert_eq!(
        row(&t, "besatte_arsverk", "region", &at("2026-06-01")).n,
        Some(2)
    );
    let e = Keys {
        dato: Some("2026-01-01".into()),
        ..en("A-1")
    };
    close(val(&t, "turnover", "enhet", &e), 9.0 / 99.0);
}

fn ph(f: &str) -> Keys {
    Keys {
        pilot_id: Some("p1".into()),
        fase: Some(f.into()),
        ..keys()
    }
}

fn logs_only() -> Dataset {
    Dataset {
        reference: reference(),
        pilots: vec![pilot()],
        logs: log_rows(),
        ..Dataset::default()
    }
}

#[test]
fn task_sharing_shares_follow_the_minutes_at_each_level_in_each_phase() {
    let t = compute(&logs_only(), &k3()).unwrap();
    close(
        val(&t, "riktig_niva_andel", "pilot", &ph("før")),
        90.0 / 140.0,
    );
    close(
        val(&t, "overkvalifisert_andel", "pilot", &ph("før")),
        30.0 / 140.0,
    );
    close(
        val(&t, "underkvalifisert_andel", "pilot", &ph("før")),
        20.0 / 140.0,
    );
    close(
        val(&t, "spesialisttid_delegerbar_andel", "pilot", &ph("før")),
        30.0 / 90.0,
    );
    close(
        val(&t, "ny_yrkesgruppe_andel", "pilot", &ph("før")),
        10.0 / 140.0,
    );
    assert_eq!(row(&t, "riktig_niva_andel", "pilot", &ph("før")).n, Some(5));
    assert_eq!(
        row(&t, "spesialisttid_delegerbar_andel", "pilot", &ph("før")).n,
        Some(2)
    );
    close(
        val(&t, "riktig_niva_andel", "pilot", &ph("pilot")),
        130.0 / 160.0,
    );
    close(
        val(&t, "overkvalifisert_andel", "pilot", &ph("pilot")),
        30.0 / 160.0,
    );
    close(
        val(&t, "underkvalifisert_andel", "pilot", &ph("pilot")),
        0.0,
    );
    close(
        val(&t, "spesialisttid_delegerbar_andel", "pilot", &ph("pilot")),
        0.0,
    );
    close(
        val(&t, "ny_yrkesgruppe_andel", "pilot", &ph("pilot")),
        30.0 / 160.0,
    );
    close(
        val(&t, "riktig_niva_andel", "pilot", &ph("endring")),
        130.0 / 160.0 - 90.0 / 140.0,
    );
    let fr = row(&t, "frigjort_spesialisttid", "pilot", &ph("endring"));
    close(fr.verdi.unwrap(), 30.0 / 90.0 * 37.5);
    assert_eq!(fr.maleenhet, "timer_per_uke");
    let pf = Keys {
        foretak_id: Some("A".into()),
        ..ph("før")
    };
    close(
        val(&t, "riktig_niva_andel", "pilot_foretak", &pf),
        90.0 / 140.0,
    );
    // Minutes per area, and per performer level.
    let o = |a: &str| Keys {
        omrade: Some(a.into()),
        ..ph("før")
    };
    close(
        val(&t, "minutter_per_omrade", "pilot_område", &o("behandling")),
        60.0,
    );
    close(
        val(&t, "minutter_per_omrade", "pilot_område", &o("kommune")),
        20.0,
    );
    let ol = Keys {
        kompetanseniva: Some(4),
        ..o("dokumentasjon")
    };
    close(
        val(
            &t,
            "minutter_per_omrade",
            "pilot_område_kompetansenivå",
            &ol,
        ),
        30.0,
    );
}

#[test]
fn coordination_shares_count_only_rows_with_a_patient() {
    let t = compute(&logs_only(), &k3()).unwrap();
    close(
        val(&t, "kommunesamarbeid_andel", "pilot", &ph("før")),
        1.0 / 3.0,
    );
    close(val(&t, "parorende_andel", "pilot", &ph("før")), 0.0);
    close(val(&t, "frivillige_andel", "pilot", &ph("før")), 1.0 / 3.0);
    assert_eq!(
        row(&t, "kommunesamarbeid_andel", "pilot", &ph("før")).n,
        Some(3)
    );
    // The kommune task in the pilot phase has no patient: it does not count.
    close(
        val(&t, "kommunesamarbeid_andel", "pilot", &ph("pilot")),
        0.0,
    );
    close(val(&t, "parorende_andel", "pilot", &ph("pilot")), 0.5);
    close(val(&t, "frivillige_andel", "pilot", &ph("pilot")), 0.5);
    close(
        val(&t, "kommunesamarbeid_andel", "pilot", &ph("endring")),
        -1.0 / 3.0,
    );
    assert_eq!(
        row(&t, "parorende_andel", "pilot", &ph("endring")).n,
        Some(2)
    );
}

#[test]
fn survey_scores_shares_and_response_rates_are_right_at_every_grouping() {
    let t = compute(&dataset(), &k3()).unwrap();
    close(
        val(&t, "utfordring_score", "region", &area(keys())),
        30.0 / 9.0,
    );
    assert_eq!(
        row(&t, "utfordring_score", "region", &area(keys())).n,
        Some(9)
    );
    close(
        val(&t, "utfordring_andel", "region", &area(keys())),
        4.0 / 9.0,
    );
    close(
        val(&t, "utfordring_score", "enhet", &area(en("A-1"))),
        9.5 / 3.0,
    );
    close(
        val(&t, "utfordring_andel", "enhet", &area(en("A-1"))),
        1.0 / 3.0,
    );
    close(
        val(&t, "utfordring_score", "foretak", &area(fo("A"))),
        19.5 / 6.0,
    );
    close(
        val(&t, "utfordring_andel", "foretak", &area(fo("A"))),
        2.0 / 6.0,
    );
    close(
        val(&t, "utfordring_score", "yrke", &area(yr("spes"))),
        9.5 / 3.0,
    );
    close(
        val(&t, "tid_andre_kunne_gjort", "region", &survey(keys())),
        2.7 / 10.0,
    );
    let fy_a = Keys {
        foretak_id: Some("A".into()),
        yrke_id: Some("spl".into()),
        ..survey(keys())
    };
    close(
        val(&t, "tid_andre_kunne_gjort", "foretak_yrke", &fy_a),
        0.7 / 3.0,
    );
    close(
        val(&t, "tid_andre_kunne_gjort", "yrke", &survey(yr("spes"))),
        1.4 / 4.0,
    );
    let fy = Keys {
        foretak_id: Some("B".into()),
        yrke_id: Some("spl".into()),
        ..survey(keys())
    };
    close(
        val(&t, "tid_andre_kunne_gjort", "foretak_yrke", &fy),
        0.6 / 3.0,
    );
    close(
        val(&t, "vurderer_a_slutte_andel", "region", &survey(keys())),
        3.0 / 10.0,
    );
    close(
        val(&t, "vurderer_a_slutte_andel", "enhet", &survey(en("A-1"))),
        2.0 / 4.0,
    );
    // Response rate against current headcount where known (B-1's is not).
    close(
        val(&t, "svarprosent", "region", &survey(keys())),
        10.0 / 24.0,
    );
    close(
        val(&t, "svarprosent", "foretak", &survey(fo("A"))),
        7.0 / 24.0,
    );
    close(
        val(&t, "svarprosent", "enhet", &survey(en("A-1"))),
        4.0 / 14.0,
    );
    close(
        val(&t, "svarprosent", "enhet", &survey(en("A-2"))),
        3.0 / 10.0,
    );
    assert!(t.get("svarprosent", "enhet", &survey(en("B-1"))).is_none());
}

#[test]
fn a_k_below_three_is_an_error_and_the_default_is_five() {
    assert!(
        compute(
            &dataset(),
            &IndicatorSettings {
                k: 2,
                ..IndicatorSettings::default()
            }
        )
        .is_err()
    );
    assert_eq!(IndicatorSettings::default().k, 5);
}

#[test]
fn every_exported_row_is_in_the_registry_with_its_unit_and_grouping() {
    let t = compute(&dataset(), &k3()).unwrap();
    for r in &t.rows {
        let def = def(&r.indikator).unwrap_or_else(|| panic!("{} not in registry", r.indikator));
        assert_eq!(def.maleenhet, r.maleenhet, "{}", r.indikator);
        assert!(
            def.grupperinger.contains(&r.gruppering.as_str()),
            "{} at {}",
            r.indikator,
            r.gruppering
        );
    }
    let mut ids: Vec<_> = registry().iter().map(|d| d.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), registry().len());
}

// --- Bootstrap -----------------------------------------------------------------------

/// Many days per phase: specialists do delegable work before, less in the pilot.
fn bootstrap_logs(pilot_share: f64) -> Dataset {
    let mut logs = Vec::new();
    for day in 0..20u32 {
        for (fase, share, month) in [(Fase::For, 0.5, 1), (Fase::Pilot, pilot_share, 3)] {
            let date = format!("2026-{month:02}-{:02}", day + 1);
            let wobble = f64::from(day % 3) * 5.0;
            let deleg = 60.0 * share + wobble;
            let mut r = log(
                fase,
                &date,
                if day % 2 == 0 { "A-1" } else { "A-2" },
                "spes",
                "t_dok",
                deleg,
                Some("x"),
                None,
            );
            r.pasient = Some(format!("pas{day}").into());
            logs.push(r);
            let mut r2 = log(
                fase,
                &date,
                "A-1",
                "spes",
                "t_beh",
                60.0 - 60.0 * share + 10.0,
                None,
                None,
            );
            r2.pasient = None;
            logs.push(r2);
        }
    }
    Dataset {
        reference: reference(),
        pilots: vec![pilot()],
        logs,
        ..Dataset::default()
    }
}

#[test]
fn the_bootstrap_interval_is_deterministic_and_contains_the_estimate() {
    let ds = bootstrap_logs(0.1);
    let a = compute(&ds, &k3()).unwrap();
    let b = compute(&ds, &k3()).unwrap();
    assert_eq!(a, b);
    let r = row(
        &a,
        "spesialisttid_delegerbar_andel",
        "pilot",
        &ph("endring"),
    );
    let (v, lo, hi) = (r.verdi.unwrap(), r.nedre.unwrap(), r.ovre.unwrap());
    assert!(lo <= v && v <= hi, "{lo} ≤ {v} ≤ {hi}");
    assert!(hi < 0.0, "a clear drop excludes 0: [{lo}, {hi}]");
    let fr = row(&a, "frigjort_spesialisttid", "pilot", &ph("endring"));
    close(fr.verdi.unwrap(), -v * 37.5);
    assert!(fr.nedre.unwrap() > 0.0 && fr.nedre.unwrap() <= fr.verdi.unwrap());
}

#[test]
fn the_bootstrap_interval_of_no_change_contains_zero() {
    let ds = bootstrap_logs(0.5);
    let t = compute(&ds, &k3()).unwrap();
    let r = row(
        &t,
        "spesialisttid_delegerbar_andel",
        "pilot",
        &ph("endring"),
    );
    let (lo, hi) = (r.nedre.unwrap(), r.ovre.unwrap());
    close(r.verdi.unwrap(), 0.0);
    assert!(lo <= 0.0 && 0.0 <= hi, "[{lo}, {hi}]");
    assert!(lo < hi);
}

#[test]
fn the_bootstraps_hash_generator_and_quantile_keep_their_pinned_values() {
    // Pinned values: a crate upgrade must never change them.
    assert_eq!(bootstrap::fnv1a(""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(bootstrap::fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
    let mut g = bootstrap::SplitMix64::new(0);
    assert_eq!(g.next_u64(), 0xe220_a839_7b1d_cdaf);
    close(bootstrap::quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
}

// --- Disclosure control ---------------------------------------------------------------

#[test]
fn the_derivability_check_follows_a_chain_of_relations() {
    // t = a + b with t and a known: b is derivable.
    let rels: Vec<Relation> = vec![vec![(0, 1.0), (1, -1.0), (2, -1.0)]];
    assert_eq!(
        derivable(3, &rels, &[false, false, true]),
        vec![false, false, true]
    );
    // Two hidden parts protect each other.
    assert_eq!(
        derivable(3, &rels, &[false, true, true]),
        vec![false, false, false]
    );
    // Two relations sharing hidden cells: t1 = a + b, t2 = a + c, b = c + 0 … a chain.
    let rels: Vec<Relation> = vec![
        vec![(0, 1.0), (1, -1.0), (2, -1.0)],
        vec![(3, 1.0), (1, -1.0), (4, -1.0)],
        vec![(5, 1.0), (2, -1.0)],
    ];
    // Hidden a, b, c: b = t2 total... b is pinned by relation 3, then a, then c.
    let h = [false, true, true, false, true, false];
    assert_eq!(
        derivable(6, &rels, &h),
        vec![false, true, true, false, true, false]
    );
}

fn small_unit_survey() -> Dataset {
    let mut rs = Vec::new();
    let mut add = |id: usize, enhet: &str, score: f64| {
        rs.push(resp(&format!("s{id}"), enhet, None, &[score], None, None));
    };
    for (i, s) in [1.0, 2.0].into_iter().enumerate() {
        add(i, "A-1", s);
    }
    for i in 0..6 {
        add(10 + i, "A-2", 3.0 + f64::from(i as u8 % 2));
    }
    for i in 0..6 {
        add(20 + i, "B-1", 2.0 + f64::from(i as u8 % 3));
    }
    Dataset {
        reference: reference(),
        respondents: rs,
        ..Dataset::default()
    }
}

#[test]
fn secondary_suppression_hides_another_unit_beside_a_small_one() {
    let t = compute(&small_unit_survey(), &IndicatorSettings::default()).unwrap();
    let a1 = row(&t, "utfordring_score", "enhet", &area(en("A-1")));
    assert!(a1.prikket && a1.verdi.is_none() && a1.n.is_none());
    // Primary alone would leave A-1 = foretak A − A-2: another enhet must go too.
    let others = ["A-2", "B-1"]
        .iter()
        .filter(|e| row(&t, "utfordring_score", "enhet", &area(en(e))).prikket)
        .count();
    assert!(others >= 1, "secondary suppression must hide another unit");
    assert!(!row(&t, "utfordring_score", "region", &area(keys())).prikket);
    assert_no_derivable(&t);
}

/// Independent check over the published table: rebuild the relations region = Σ foretak
/// = Σ enhet = Σ yrke, foretak = Σ its enheter for every (indicator, survey, area) family
/// of the area groupings, and assert no suppressed cell is derivable.
fn assert_no_derivable(t: &IndicatorTable) {
    for id in [
        "utfordring_score",
        "utfordring_andel",
        "vurderer_a_slutte_andel",
        "tid_andre_kunne_gjort",
    ] {
        let rows: Vec<&IndicatorRow> = t.rows.iter().filter(|r| r.indikator == id).collect();
        let mut fams: Vec<(Option<String>, Option<String>)> = rows
            .iter()
            .map(|r| (r.keys.undersokelse.clone(), r.keys.omrade.clone()))
            .collect();
        fams.sort();
        fams.dedup();
        for (u, o) in fams {
            let cells: Vec<&&IndicatorRow> = rows
                .iter()
                .filter(|r| r.keys.undersokelse == u && r.keys.omrade == o)
                .collect();
            let idx = |grp: &str, f: &dyn Fn(&Keys) -> bool| -> Vec<usize> {
                (0..cells.len())
                    .filter(|i| cells[*i].gruppering == grp && f(&cells[*i].keys))
                    .collect()
            };
            let mut rels: Vec<Relation> = Vec::new();
            let rel = |t: usize, parts: Vec<usize>| {
                let mut r: Relation = vec![(t, 1.0)];
                r.extend(parts.into_iter().map(|p| (p, -1.0)));
                r
            };
            for reg in idx("region", &|_| true) {
                for g in ["foretak", "enhet", "yrke"] {
                    rels.push(rel(reg, idx(g, &|_| true)));
                }
            }
            for f in idx("foretak", &|_| true) {
                let fid = cells[f].keys.foretak_id.clone();
                rels.push(rel(f, idx("enhet", &|k| k.foretak_id == fid)));
                rels.push(rel(f, idx("foretak_yrke", &|k| k.foretak_id == fid)));
            }
            for y in idx("yrke", &|_| true) {
                let yid = cells[y].keys.yrke_id.clone();
                rels.push(rel(y, idx("foretak_yrke", &|k| k.yrke_id == yid)));
            }
            rels.retain(|r| r.len() > 1);
            let hidden: Vec<bool> = cells.iter().map(|c| c.prikket).collect();
            let d = derivable(cells.len(), &rels, &hidden);
            for (c, dd) in cells.iter().zip(d) {
                assert!(
                    !dd,
                    "{id} {} {:?} is suppressed but derivable",
                    c.gruppering, c.keys
                );
            }
        }
    }
}

fn arb_survey() -> impl Strategy<Value = Dataset> {
    let enheter = ["A-1", "A-2", "B-1", "P-1"];
    let yrker = ["spl", "spes", "ek"];
    let cell = (0..4usize, 0..3usize, 1..=5u8, any::<bool>(), 0..4u8);
    prop::collection::vec(cell, 1..40).prop_map(move |v| {
        let respondents = v
            .into_iter()
            .enumerate()
            .map(|(i, (e, y, s, q, tid))| {
                resp(
                    &format!("q{i}"),
                    enheter[e],
                    Some(yrker[y]),
                    &[f64::from(s)],
                    (tid > 0).then(|| f64::from(tid) / 10.0),
                    Some(q),
                )
            })
            .collect();
        Dataset {
            reference: reference(),
            respondents,
            ..Dataset::default()
        }
    })
}

fn shuffle<T>(v: &mut [T], mut seed: u64) {
    for i in (1..v.len()).rev() {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        v.swap(i, ((seed >> 33) as usize) % (i + 1));
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_surveys_leave_no_suppressed_cell_derivable(ds in arb_survey()) {
        let t = compute(&ds, &IndicatorSettings::default()).unwrap();
        for r in &t.rows {
            if r.gruppering != "region" && r.n.is_some_and(|n| n < 5) {
                prop_assert!(r.prikket);
            }
        }
        assert_no_derivable(&t);
    }

    #[test]
    fn shuffled_input_gives_an_identical_export(seed in any::<u64>()) {
        let ds = dataset();
        let expected = export::to_csv(&compute(&ds, &k3()).unwrap());
        let mut sh = ds.clone();
        shuffle(&mut sh.staffing, seed);
        shuffle(&mut sh.logs, seed ^ 1);
        shuffle(&mut sh.respondents, seed ^ 2);
        let got = export::to_csv(&compute(&sh, &k3()).unwrap());
        prop_assert_eq!(expected, got);
    }
}

// --- Export ---------------------------------------------------------------------------

#[test]
fn the_csv_export_has_a_bom_crlf_line_ends_and_the_contracts_header() {
    let t = compute(&staffing_only(), &k3()).unwrap();
    let a = export::to_csv(&t);
    assert_eq!(a, export::to_csv(&t), "byte-identical twice");
    assert!(a.starts_with("\u{feff}".as_bytes()), "UTF-8 BOM");
    let text = String::from_utf8(a).unwrap();
    assert!(text.ends_with("\r\n"));
    assert_eq!(
        text.matches('\n').count(),
        text.matches("\r\n").count(),
        "CRLF only"
    );
    let header = text
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        header,
        "indikator;gruppering;foretak_id;enhet_id;yrke_id;kompetansenivå;pilot_id;fase;område;undersøkelse;serie;runde;dato;verdi;nedre;øvre;n;måleenhet;prikket"
    );
    let shown = text
        .replace('\u{feff}', "<BOM>")
        .replace("\r\n", "<CRLF>\n");
    crate::support::assert_snapshot("indicators", "indikatorer_csv_staffing", &shown);
}

#[test]
fn the_csv_export_leaves_suppressed_cells_empty_and_writes_decimal_commas() {
    let t = compute(&small_unit_survey(), &IndicatorSettings::default()).unwrap();
    let text = String::from_utf8(export::to_csv(&t)).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("utfordring_score;enhet;A;A-1;"))
        .unwrap()
        .to_owned();
    assert!(line.ends_with(";;;;;skår;ja"), "{line}");
    assert_eq!(export::number(0.1 + 0.2), "0,30000000000000004");
    assert_eq!(export::number(3.0), "3");
    assert_eq!(export::number(-0.25), "-0,25");
}

#[test]
fn the_parquet_export_is_deterministic_and_typed() {
    use polars::prelude::{DataType, ParquetReader, SerReader};
    let t = compute(&dataset(), &k3()).unwrap();
    let a = export::to_parquet(&t).unwrap();
    let b = export::to_parquet(&t).unwrap();
    assert_eq!(a, b, "byte-identical twice");
    let df = ParquetReader::new(std::io::Cursor::new(a))
        .finish()
        .unwrap();
    assert_eq!(df.height(), t.rows.len());
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(names, export::COLUMNS.map(String::from).to_vec());
    assert_eq!(df.column("verdi").unwrap().dtype(), &DataType::Float64);
    assert_eq!(df.column("n").unwrap().dtype(), &DataType::UInt64);
    assert_eq!(df.column("prikket").unwrap().dtype(), &DataType::Boolean);
    assert_eq!(df.column("dato").unwrap().dtype(), &DataType::Date);
}

fn performer_logs() -> Dataset {
    let mut logs = Vec::new();
    for (fase, date) in [(Fase::For, "2026-01-05"), (Fase::Pilot, "2026-03-05")] {
        for i in 0..6 {
            let who = format!("a{i}");
            let yrke = if i % 2 == 0 { "spes" } else { "spl" };
            logs.push(log(
                fase,
                date,
                "A-1",
                yrke,
                "t_dok",
                30.0,
                Some(&format!("pa{i}")),
                Some(&who),
            ));
        }
        for i in 0..2 {
            let who = format!("b{i}");
            logs.push(log(
                fase,
                date,
                "B-1",
                "spes",
                "t_beh",
                40.0,
                Some(&format!("pb{i}")),
                Some(&who),
            ));
        }
    }
    Dataset {
        reference: reference(),
        pilots: vec![pilot()],
        logs,
        ..Dataset::default()
    }
}

#[test]
fn log_cells_with_few_performers_are_suppressed() {
    let t = compute(&performer_logs(), &IndicatorSettings::default()).unwrap();
    let pf = |f: &str, fase: &str| Keys {
        foretak_id: Some(f.into()),
        ..ph(fase)
    };
    for id in [
        "riktig_niva_andel",
        "overkvalifisert_andel",
        "kommunesamarbeid_andel",
    ] {
        // Eight performers in the pilot as a whole: published.
        assert!(!row(&t, id, "pilot", &ph("før")).prikket, "{id}");
        assert!(!row(&t, id, "pilot", &ph("endring")).prikket, "{id}");
        // Two in B: primary; A would give B away as pilot − A: secondary.
        for fase in ["før", "pilot", "endring"] {
            let b = row(&t, id, "pilot_foretak", &pf("B", fase));
            assert!(
                b.prikket && b.verdi.is_none() && b.n.is_none(),
                "{id} B {fase}"
            );
            assert!(
                row(&t, id, "pilot_foretak", &pf("A", fase)).prikket,
                "{id} A {fase}"
            );
        }
    }
    // Freed specialist time rests on the whole pilot cell: eight performers per phase.
    assert!(!row(&t, "frigjort_spesialisttid", "pilot", &ph("endring")).prikket);
    // Per level: three performers each at levels 2 and 4 in documentation: both primary;
    // the area total (six) stays published.
    let o = |lvl: u8| Keys {
        omrade: Some("dokumentasjon".into()),
        kompetanseniva: Some(lvl),
        ..ph("før")
    };
    assert!(
        row(
            &t,
            "minutter_per_omrade",
            "pilot_område_kompetansenivå",
            &o(2)
        )
        .prikket
    );
    assert!(
        row(
            &t,
            "minutter_per_omrade",
            "pilot_område_kompetansenivå",
            &o(4)
        )
        .prikket
    );
    let total = Keys {
        omrade: Some("dokumentasjon".into()),
        ..ph("før")
    };
    close(
        val(&t, "minutter_per_omrade", "pilot_område", &total),
        180.0,
    );
    // Without `utført_av` the performer rule does not apply.
    let t = compute(&logs_only(), &IndicatorSettings::default()).unwrap();
    assert!(t.rows.iter().all(|r| !r.prikket));
}

#[test]
fn a_unit_leader_survey_is_counted_under_its_own_key() {
    let mut ds = dataset();
    for i in 0..3 {
        let mut r = resp(&format!("l{i}"), "A-1", None, &[5.0, 4.0], None, None);
        r.undersokelse = "leder2026".into();
        r.survey_type = SurveyType::Enhet;
        ds.respondents.push(r);
    }
    let t = compute(&ds, &k3()).unwrap();
    let k = Keys {
        undersokelse: Some("leder2026".into()),
        omrade: Some("kapasitet".into()),
        ..keys()
    };
    close(val(&t, "utfordring_score", "region", &k), 4.5);
    close(val(&t, "utfordring_andel", "region", &k), 1.0);
    // The staff survey is not pooled with it, and a leader survey has no response rate.
    close(
        val(&t, "utfordring_score", "region", &area(keys())),
        30.0 / 9.0,
    );
    assert!(
        t.rows.iter().all(|r| !(r.indikator == "svarprosent"
            && r.keys.undersokelse.as_deref() == Some("leder2026")))
    );
    let top = t.topp_utfordringer("ans2026", "A-1");
    assert_eq!(top.len(), 1);
    close(top[0].verdi.unwrap(), 9.5 / 3.0);
}

#[test]
fn an_empty_dataset_gives_an_empty_table_and_a_header_only_export() {
    let t = compute(&Dataset::default(), &IndicatorSettings::default()).unwrap();
    assert!(t.rows.is_empty());
    let csv = String::from_utf8(export::to_csv(&t)).unwrap();
    assert_eq!(csv.matches("\r\n").count(), 1, "header only");
    assert!(!export::to_parquet(&t).unwrap().is_empty());
}
