//! Pilots (`piloter/<id>/pilot.toml`) and their activity logs, written streaming.

use std::fmt::Write as _;
use std::path::Path;

use chrono::{Datelike, NaiveDate, Weekday};

use super::out::{Enc, TableWriter, comma, dmy, iso, write_text};
use super::reference::{self, OPPGAVER, YRKER};
use super::rng::{Rng, Weighted, hash};

/// A row error planted on purpose, so that quarantine has something to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planted {
    /// Path under the data folder.
    pub file: String,
    /// Line number as a text editor shows it (header = 1).
    pub line: u64,
    /// Column header.
    pub column: String,
    /// What is wrong.
    pub what: String,
}

/// What the log writer did.
#[derive(Debug, Default)]
pub struct LogStats {
    /// Files written (pilot.toml included).
    pub files: u64,
    /// Log rows written (planted errors included).
    pub rows: u64,
    /// Rows per pilot, in pilot order.
    pub per_pilot: Vec<(&'static str, u64)>,
    /// The planted row errors.
    pub planted: Vec<Planted>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dialect {
    /// Windows-1252, `;`, `dd.mm.yyyy`, decimal-comma minutes, names, CRLF; one file a month.
    Win1252Names,
    /// UTF-8, `,`, ISO dates, ids and a `fase` column; one folder per unit, one file a month.
    Utf8Ids,
    /// UTF-16 LE with BOM, TAB (Excel "Unicode text"), names; one file a month.
    Utf16Tab,
}

/// A date as (year, month, day).
type Ymd = (i32, u32, u32);

type Who = &'static [(&'static str, f64)];

/// One task in a pilot's activity mix.
struct TaskMix {
    oppgave: &'static str,
    /// Weight before and in the pilot.
    w: [f64; 2],
    /// Performer professions before and in the pilot.
    who: [Who; 2],
}

const fn t(oppgave: &'static str, w: [f64; 2], before: Who, pilot: Who) -> TaskMix {
    TaskMix {
        oppgave,
        w,
        who: [before, pilot],
    }
}

struct PilotSpec {
    id: &'static str,
    navn: &'static str,
    beskrivelse: &'static str,
    foretak: &'static str,
    enheter: &'static [(&'static str, &'static str, f64)],
    nye_roller: &'static [&'static str],
    /// (fra, til) before and in the pilot.
    perioder: [(Ymd, Ymd); 2],
    arbeidsflyt: &'static [(&'static str, &'static str, &'static str, &'static str)],
    /// Log rows at scale 1.
    budget: u64,
    dialect: Dialect,
    mix: &'static [TaskMix],
    /// Share of patients with a need for municipal coordination, relatives' and volunteers'
    /// involvement, before and in the pilot.
    flags: [[f64; 2]; 3],
}

const ALL: Who = &[
    ("legespesialist", 1.0),
    ("psykolog", 2.0),
    ("spesialsykepleier", 2.0),
    ("sykepleier", 2.0),
    ("sosionom", 1.0),
    ("merkantil", 1.0),
];

const PILOTS: &[PilotSpec] = &[
    PilotSpec {
        id: "bolig-koordinator",
        navn: "Boligkoordinator i poliklinikk og ambulant team",
        beskrivelse: "En sosionom koordinerer bolig og økonomi med kommunen og NAV for pasientene, \
                      en oppgave behandlerne tidligere tok i tillegg til behandlingen.",
        foretak: "HNT",
        enheter: &[("HNT-POL-LEV", "levanger", 1.6), ("HNT-AMB", "namsos", 1.0)],
        nye_roller: &["sosionom"],
        perioder: [
            ((2025, 8, 18), (2025, 10, 26)),
            ((2025, 10, 27), (2026, 3, 29)),
        ],
        arbeidsflyt: &[
            (
                "Kartlegge pasientens bolig- og økonomisituasjon",
                "bolig_okonomi",
                "psykolog",
                "sosionom",
            ),
            (
                "Kontakt med NAV om ytelser",
                "nav_kontakt",
                "spesialsykepleier",
                "sosionom",
            ),
            (
                "Ansvarsgruppemøte med kommunen",
                "samarbeidsmote",
                "psykolog",
                "klinisk_sosionom",
            ),
        ],
        budget: 50_000,
        dialect: Dialect::Utf16Tab,
        mix: &[
            t(
                "samtalebehandling",
                [30.0, 30.0],
                &[
                    ("psykolog", 40.0),
                    ("psykologspesialist", 25.0),
                    ("spesialsykepleier", 25.0),
                    ("klinisk_sosionom", 10.0),
                ],
                &[
                    ("psykolog", 40.0),
                    ("psykologspesialist", 25.0),
                    ("spesialsykepleier", 25.0),
                    ("klinisk_sosionom", 10.0),
                ],
            ),
            t(
                "utredning",
                [6.0, 6.0],
                &[("psykologspesialist", 60.0), ("legespesialist", 40.0)],
                &[("psykologspesialist", 60.0), ("legespesialist", 40.0)],
            ),
            t(
                "spesialistvurdering",
                [4.0, 4.0],
                &[("legespesialist", 50.0), ("psykologspesialist", 50.0)],
                &[("legespesialist", 50.0), ("psykologspesialist", 50.0)],
            ),
            t(
                "bolig_okonomi",
                [4.0, 6.0],
                &[
                    ("psykolog", 35.0),
                    ("spesialsykepleier", 35.0),
                    ("klinisk_sosionom", 20.0),
                    ("psykologspesialist", 10.0),
                ],
                &[
                    ("sosionom", 85.0),
                    ("klinisk_sosionom", 10.0),
                    ("psykolog", 5.0),
                ],
            ),
            t(
                "nav_kontakt",
                [1.5, 3.0],
                &[("spesialsykepleier", 50.0), ("klinisk_sosionom", 50.0)],
                &[("sosionom", 90.0), ("klinisk_sosionom", 10.0)],
            ),
            t(
                "samarbeidsmote",
                [1.0, 2.0],
                &[
                    ("klinisk_sosionom", 40.0),
                    ("psykolog", 40.0),
                    ("psykologspesialist", 20.0),
                ],
                &[
                    ("klinisk_sosionom", 60.0),
                    ("sosionom", 30.0),
                    ("psykolog", 10.0),
                ],
            ),
            t(
                "parorendesamtale",
                [2.0, 2.0],
                &[("spesialsykepleier", 50.0), ("psykolog", 50.0)],
                &[("spesialsykepleier", 50.0), ("psykolog", 50.0)],
            ),
            t(
                "frivillig_kontakt",
                [0.5, 0.5],
                &[("sosionom", 100.0)],
                &[("sosionom", 100.0)],
            ),
            t(
                "miljoterapi",
                [4.0, 4.0],
                &[("vernepleier", 50.0), ("miljoarbeider", 50.0)],
                &[("vernepleier", 50.0), ("miljoarbeider", 50.0)],
            ),
            t(
                "journal",
                [12.0, 12.0],
                &[
                    ("psykolog", 40.0),
                    ("spesialsykepleier", 30.0),
                    ("psykologspesialist", 20.0),
                    ("klinisk_sosionom", 10.0),
                ],
                &[
                    ("psykolog", 35.0),
                    ("spesialsykepleier", 30.0),
                    ("psykologspesialist", 15.0),
                    ("sosionom", 20.0),
                ],
            ),
            t(
                "timebestilling",
                [5.0, 5.0],
                &[("merkantil", 90.0), ("sykepleier", 10.0)],
                &[("merkantil", 90.0), ("sykepleier", 10.0)],
            ),
            t("internmote", [4.0, 4.0], ALL, ALL),
            t(
                "reise",
                [3.0, 3.0],
                &[
                    ("spesialsykepleier", 40.0),
                    ("vernepleier", 30.0),
                    ("psykolog", 30.0),
                ],
                &[
                    ("spesialsykepleier", 30.0),
                    ("vernepleier", 20.0),
                    ("psykolog", 20.0),
                    ("sosionom", 30.0),
                ],
            ),
        ],
        flags: [[0.15, 0.55], [0.20, 0.22], [0.05, 0.07]],
    },
    PilotSpec {
        id: "erfaringskonsulent-poliklinikk",
        navn: "Erfaringskonsulenter i poliklinikk",
        beskrivelse: "Erfaringskonsulenter med egen brukererfaring ansettes i poliklinikkene i Molde og \
                      Ålesund: likepersonsamtaler, pårørendegrupper og kontakt med frivillige.",
        foretak: "HMR",
        enheter: &[
            ("HMR-POL-MOL", "molde", 1.0),
            ("HMR-POL-ALE", "alesund", 1.1),
        ],
        nye_roller: &["erfaringskonsulent"],
        perioder: [
            ((2025, 2, 3), (2025, 4, 27)),
            ((2025, 4, 28), (2025, 10, 26)),
        ],
        arbeidsflyt: &[
            (
                "Likepersonsamtale ved oppstart av behandling",
                "erfaringsdeling",
                "",
                "erfaringskonsulent",
            ),
            (
                "Pårørendegruppe",
                "parorendegruppe",
                "spesialsykepleier",
                "erfaringskonsulent",
            ),
            (
                "Formidling til frivillige tilbud etter behandling",
                "frivillig_kontakt",
                "sosionom",
                "erfaringskonsulent",
            ),
        ],
        budget: 70_000,
        dialect: Dialect::Utf8Ids,
        mix: &[
            t(
                "samtalebehandling",
                [30.0, 30.0],
                &[
                    ("psykolog", 40.0),
                    ("psykologspesialist", 30.0),
                    ("spesialsykepleier", 20.0),
                    ("klinisk_sosionom", 10.0),
                ],
                &[
                    ("psykolog", 40.0),
                    ("psykologspesialist", 30.0),
                    ("spesialsykepleier", 20.0),
                    ("klinisk_sosionom", 10.0),
                ],
            ),
            t(
                "utredning",
                [8.0, 8.0],
                &[("psykologspesialist", 60.0), ("legespesialist", 40.0)],
                &[("psykologspesialist", 60.0), ("legespesialist", 40.0)],
            ),
            t(
                "spesialistvurdering",
                [5.0, 5.0],
                &[("legespesialist", 50.0), ("psykologspesialist", 50.0)],
                &[("legespesialist", 50.0), ("psykologspesialist", 50.0)],
            ),
            t(
                "kartlegging",
                [6.0, 6.0],
                &[
                    ("spesialsykepleier", 50.0),
                    ("psykolog", 30.0),
                    ("sykepleier", 20.0),
                ],
                &[
                    ("spesialsykepleier", 50.0),
                    ("psykolog", 30.0),
                    ("sykepleier", 20.0),
                ],
            ),
            t(
                "gruppebehandling",
                [6.0, 6.0],
                &[("psykolog", 50.0), ("spesialsykepleier", 50.0)],
                &[("psykolog", 50.0), ("spesialsykepleier", 50.0)],
            ),
            t(
                "erfaringsdeling",
                [0.0, 10.0],
                &[("erfaringskonsulent", 100.0)],
                &[("erfaringskonsulent", 100.0)],
            ),
            t(
                "parorendesamtale",
                [3.0, 3.0],
                &[("psykolog", 50.0), ("spesialsykepleier", 50.0)],
                &[
                    ("psykolog", 40.0),
                    ("spesialsykepleier", 40.0),
                    ("erfaringskonsulent", 20.0),
                ],
            ),
            t(
                "parorendegruppe",
                [0.5, 2.0],
                &[("spesialsykepleier", 100.0)],
                &[("erfaringskonsulent", 70.0), ("spesialsykepleier", 30.0)],
            ),
            t(
                "frivillig_kontakt",
                [1.0, 2.0],
                &[("sosionom", 100.0)],
                &[("erfaringskonsulent", 80.0), ("sosionom", 20.0)],
            ),
            t(
                "bolig_okonomi",
                [3.0, 3.0],
                &[("sosionom", 60.0), ("klinisk_sosionom", 40.0)],
                &[("sosionom", 60.0), ("klinisk_sosionom", 40.0)],
            ),
            t(
                "nav_kontakt",
                [1.0, 1.0],
                &[("sosionom", 100.0)],
                &[("sosionom", 100.0)],
            ),
            t(
                "journal",
                [12.0, 12.0],
                &[
                    ("psykolog", 40.0),
                    ("psykologspesialist", 25.0),
                    ("spesialsykepleier", 25.0),
                    ("sykepleier", 10.0),
                ],
                &[
                    ("psykolog", 38.0),
                    ("psykologspesialist", 24.0),
                    ("spesialsykepleier", 24.0),
                    ("sykepleier", 9.0),
                    ("erfaringskonsulent", 5.0),
                ],
            ),
            t(
                "timebestilling",
                [6.0, 6.0],
                &[("merkantil", 90.0), ("sykepleier", 10.0)],
                &[("merkantil", 90.0), ("sykepleier", 10.0)],
            ),
            t(
                "internmote",
                [4.0, 4.0],
                ALL,
                &[
                    ("legespesialist", 1.0),
                    ("psykolog", 2.0),
                    ("spesialsykepleier", 2.0),
                    ("sykepleier", 2.0),
                    ("sosionom", 1.0),
                    ("erfaringskonsulent", 1.0),
                ],
            ),
        ],
        flags: [[0.20, 0.22], [0.18, 0.45], [0.05, 0.30]],
    },
    PilotSpec {
        id: "lar-sykepleier",
        navn: "Sykepleierkoordinert LAR-oppfølging",
        beskrivelse: "Sykepleiere overtar den faste oppfølgingen av LAR-pasienter mellom \
                      legekonsultasjonene; legespesialisten konsentrerer seg om vurderinger og forskrivning.",
        foretak: "STO",
        enheter: &[("STO-LAR", "", 2.2), ("STO-LAR-ORK", "", 1.0)],
        nye_roller: &["sykepleier"],
        perioder: [((2025, 1, 6), (2025, 3, 2)), ((2025, 3, 3), (2025, 6, 29))],
        arbeidsflyt: &[
            (
                "Oppfølging av LAR-pasient mellom konsultasjoner",
                "lar",
                "legespesialist",
                "sykepleier",
            ),
            (
                "Utlevering og håndtering av legemidler",
                "legemidler",
                "sykepleier",
                "farmasoyt",
            ),
            (
                "Urinprøve og prøvetaking",
                "provetaking",
                "sykepleier",
                "helsefagarbeider",
            ),
            (
                "Spesialistvurdering ved endring i behandlingen",
                "spesialistvurdering",
                "legespesialist",
                "legespesialist",
            ),
        ],
        budget: 80_000,
        dialect: Dialect::Win1252Names,
        mix: &[
            t(
                "lar",
                [30.0, 30.0],
                &[
                    ("legespesialist", 55.0),
                    ("lege", 20.0),
                    ("spesialsykepleier", 15.0),
                    ("sykepleier", 10.0),
                ],
                &[
                    ("sykepleier", 70.0),
                    ("spesialsykepleier", 12.0),
                    ("legespesialist", 12.0),
                    ("lege", 6.0),
                ],
            ),
            t(
                "spesialistvurdering",
                [8.0, 8.0],
                &[("legespesialist", 100.0)],
                &[("legespesialist", 100.0)],
            ),
            t(
                "forskrivning",
                [8.0, 8.0],
                &[("legespesialist", 70.0), ("lege", 30.0)],
                &[("legespesialist", 50.0), ("lege", 45.0), ("farmasoyt", 5.0)],
            ),
            t(
                "legemidler",
                [12.0, 12.0],
                &[
                    ("sykepleier", 50.0),
                    ("spesialsykepleier", 25.0),
                    ("helsefagarbeider", 15.0),
                    ("legespesialist", 10.0),
                ],
                &[
                    ("sykepleier", 60.0),
                    ("farmasoyt", 20.0),
                    ("spesialsykepleier", 10.0),
                    ("helsefagarbeider", 10.0),
                ],
            ),
            t(
                "provetaking",
                [8.0, 8.0],
                &[
                    ("sykepleier", 50.0),
                    ("helsefagarbeider", 40.0),
                    ("spesialsykepleier", 10.0),
                ],
                &[("helsefagarbeider", 60.0), ("sykepleier", 40.0)],
            ),
            t(
                "samtalebehandling",
                [8.0, 8.0],
                &[
                    ("psykolog", 50.0),
                    ("spesialsykepleier", 30.0),
                    ("legespesialist", 20.0),
                ],
                &[
                    ("psykolog", 55.0),
                    ("spesialsykepleier", 35.0),
                    ("legespesialist", 10.0),
                ],
            ),
            t(
                "bolig_okonomi",
                [4.0, 4.0],
                &[
                    ("sosionom", 60.0),
                    ("sykepleier", 20.0),
                    ("legespesialist", 20.0),
                ],
                &[("sosionom", 70.0), ("sykepleier", 30.0)],
            ),
            t(
                "samarbeidsmote",
                [2.0, 2.0],
                &[("legespesialist", 50.0), ("spesialsykepleier", 50.0)],
                &[
                    ("spesialsykepleier", 60.0),
                    ("sykepleier", 20.0),
                    ("legespesialist", 20.0),
                ],
            ),
            t(
                "parorendesamtale",
                [2.0, 2.0],
                &[("spesialsykepleier", 50.0), ("sykepleier", 50.0)],
                &[("spesialsykepleier", 50.0), ("sykepleier", 50.0)],
            ),
            t(
                "frivillig_kontakt",
                [1.0, 1.0],
                &[("sosionom", 50.0), ("vernepleier", 50.0)],
                &[("sosionom", 50.0), ("vernepleier", 50.0)],
            ),
            t(
                "journal",
                [10.0, 10.0],
                &[
                    ("legespesialist", 40.0),
                    ("sykepleier", 40.0),
                    ("spesialsykepleier", 20.0),
                ],
                &[
                    ("sykepleier", 60.0),
                    ("legespesialist", 20.0),
                    ("spesialsykepleier", 20.0),
                ],
            ),
            t(
                "epikrise",
                [3.0, 3.0],
                &[("legespesialist", 70.0), ("lege", 30.0)],
                &[("legespesialist", 60.0), ("lege", 40.0)],
            ),
            t(
                "timebestilling",
                [5.0, 5.0],
                &[("merkantil", 80.0), ("sykepleier", 20.0)],
                &[("merkantil", 80.0), ("sykepleier", 20.0)],
            ),
            t("internmote", [4.0, 4.0], ALL, ALL),
        ],
        flags: [[0.25, 0.28], [0.20, 0.22], [0.05, 0.06]],
    },
];

/// Mean and standard deviation of minutes per task.
fn minutes_of(oppgave: &str) -> (f64, f64) {
    match oppgave {
        "lar" => (25.0, 10.0),
        "spesialistvurdering" => (45.0, 15.0),
        "forskrivning" => (15.0, 8.0),
        "legemidler" => (10.0, 5.0),
        "provetaking" => (10.0, 4.0),
        "samtalebehandling" => (50.0, 12.0),
        "bolig_okonomi" => (35.0, 20.0),
        "samarbeidsmote" => (60.0, 20.0),
        "parorendesamtale" => (45.0, 15.0),
        "parorendegruppe" => (90.0, 20.0),
        "frivillig_kontakt" => (30.0, 15.0),
        "journal" => (15.0, 8.0),
        "epikrise" => (30.0, 12.0),
        "timebestilling" => (8.0, 4.0),
        "internmote" => (30.0, 15.0),
        "utredning" => (75.0, 25.0),
        "kartlegging" => (30.0, 10.0),
        "gruppebehandling" => (90.0, 20.0),
        "erfaringsdeling" => (40.0, 15.0),
        "nav_kontakt" => (20.0, 10.0),
        "reise" => (45.0, 25.0),
        "miljoterapi" => (45.0, 20.0),
        _ => (20.0, 10.0),
    }
}

/// Tasks logged without a patient.
fn without_patient(oppgave: &str) -> bool {
    matches!(oppgave, "internmote" | "annet")
}

fn date((y, m, d): Ymd) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

/// Activity level of a weekday: holidays and summer are quieter; weekends have no logging.
fn day_factor(d: NaiveDate) -> f64 {
    if matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
        return 0.0;
    }
    let (m, day) = (d.month(), d.day());
    if (m == 7) || (m == 8 && day <= 3) {
        0.4
    } else if (m == 12 && day >= 22) || (m == 1 && day <= 2) {
        0.3
    } else if d.year() == 2025 && m == 4 && (14..=21).contains(&day) {
        0.6
    } else {
        1.0
    }
}

/// The flag bits of a patient in a phase: 1 = kommune, 2 = pårørende, 4 = frivillige.
fn patient_flags(spec: &PilotSpec, seed: u64, patient: u64, phase: usize) -> usize {
    let mut bits = 0;
    for (k, probs) in spec.flags.iter().enumerate() {
        let h = hash(spec.id, seed ^ (patient * 8 + phase as u64 * 4 + k as u64));
        if (h >> 11) as f64 / (1u64 << 53) as f64 <= probs[phase] {
            bits |= 1 << k;
        }
    }
    bits
}

fn gate_bit(omrade: &str) -> usize {
    match omrade {
        "kommune" => 1,
        "pårørende" => 2,
        "frivillige" => 4,
        _ => 0,
    }
}

struct Unit {
    id: &'static str,
    folder: &'static str,
    /// Expected rows per full working day at this scale.
    lambda: f64,
    patients: Vec<u64>,
    /// Staff refs per profession id.
    staff: Vec<(&'static str, Vec<u64>)>,
}

struct Prepared {
    /// Per phase and flag combination: a weighted choice over `mix`.
    task_choice: Vec<Vec<Weighted>>,
    /// Per phase and task: a weighted choice over `who`.
    who_choice: Vec<Vec<Weighted>>,
    units: Vec<Unit>,
    periods: [(NaiveDate, NaiveDate); 2],
}

fn prepare(
    spec: &PilotSpec,
    scale_milli: u64,
    next_patient: &mut u64,
    next_staff: &mut u64,
) -> Prepared {
    let periods = [
        (date(spec.perioder[0].0), date(spec.perioder[0].1)),
        (date(spec.perioder[1].0), date(spec.perioder[1].1)),
    ];
    let mut task_choice = Vec::new();
    let mut who_choice = Vec::new();
    for phase in 0..2 {
        let mut per_flags = Vec::new();
        for flags in 0..8usize {
            let w: Vec<f64> = spec
                .mix
                .iter()
                .map(|m| {
                    let g = gate_bit(reference::oppgave(m.oppgave).omrade);
                    if g == 0 || flags & g != 0 {
                        m.w[phase]
                    } else {
                        0.0
                    }
                })
                .collect();
            per_flags.push(Weighted::new(&w));
        }
        task_choice.push(per_flags);
        who_choice.push(
            spec.mix
                .iter()
                .map(|m| Weighted::new(&m.who[phase].iter().map(|w| w.1).collect::<Vec<_>>()))
                .collect(),
        );
    }
    let mut effective_days = 0.0;
    let mut d = periods[0].0;
    while d <= periods[1].1 {
        effective_days += day_factor(d);
        d = d.succ_opt().expect("date");
    }
    let total_w: f64 = spec.enheter.iter().map(|u| u.2).sum();
    let scaled = spec.budget as f64 * scale_milli as f64 / 1000.0;
    let mut units = Vec::new();
    for &(id, folder, w) in spec.enheter {
        let rows = scaled * w / total_w;
        let n_pat = ((rows / 110.0).round() as u64).max(12);
        let patients = (0..n_pat).map(|i| *next_patient + i).collect();
        *next_patient += n_pat;
        // every profession the pilot's mix names, with a roster sized by its FTE in the unit
        let mut profs: Vec<&'static str> = spec
            .mix
            .iter()
            .flat_map(|m| m.who.iter().flat_map(|w| w.iter().map(|p| p.0)))
            .collect();
        profs.sort_unstable();
        profs.dedup();
        let fte = reference::staff_of(reference::enhet(id));
        let staff = profs
            .into_iter()
            .map(|p| {
                let f = fte.iter().find(|x| x.0 == p).map_or(1.5, |x| x.1);
                let n = ((f * 1.3).round() as u64).clamp(3, 20);
                let refs = (0..n).map(|i| *next_staff + i).collect();
                *next_staff += n;
                (p, refs)
            })
            .collect();
        units.push(Unit {
            id,
            folder,
            lambda: rows / effective_days,
            patients,
            staff,
        });
    }
    Prepared {
        task_choice,
        who_choice,
        units,
        periods,
    }
}

/// One generated activity.
struct Act {
    task: &'static str,
    yrke: &'static str,
    minutes: f64,
    patient: Option<u64>,
    staff: u64,
}

fn activity(
    spec: &PilotSpec,
    p: &Prepared,
    u: &Unit,
    phase: usize,
    seed: u64,
    rng: &mut Rng,
) -> Act {
    let patient = *rng.pick(&u.patients);
    let flags = patient_flags(spec, seed, patient, phase);
    let ti = p.task_choice[phase][flags].sample(rng);
    let m = &spec.mix[ti];
    let wi = p.who_choice[phase][ti].sample(rng);
    let yrke = m.who[phase][wi].0;
    let roster = &u.staff.iter().find(|s| s.0 == yrke).expect("roster").1;
    let staff = *rng.pick(roster);
    let (mu, sd) = minutes_of(m.oppgave);
    let raw = rng.normal(mu, sd).clamp(5.0, 240.0);
    let minutes = if rng.chance(0.75) {
        ((raw / 5.0).round() * 5.0).max(5.0)
    } else {
        raw.round()
    };
    Act {
        task: m.oppgave,
        yrke,
        minutes,
        patient: (!without_patient(m.oppgave)).then_some(patient),
        staff,
    }
}

/// A name as the secretariat would type it: mostly the official name, sometimes an alias or
/// lower case.
fn typed(rng: &mut Rng, navn: &'static str, alias: &'static [&'static str]) -> String {
    let x = rng.f64();
    if x < 0.08 && !alias.is_empty() {
        (*rng.pick(alias)).to_string()
    } else if x < 0.12 {
        navn.to_lowercase()
    } else {
        navn.to_string()
    }
}

fn pilot_toml(spec: &PilotSpec) -> String {
    let mut s = String::new();
    let q = |v: &[&str]| {
        v.iter()
            .map(|x| format!("\"{x}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(s, "# Pilot: {}", spec.navn);
    let _ = writeln!(s, "id = \"{}\"", spec.id);
    let _ = writeln!(s, "navn = \"{}\"", spec.navn);
    let _ = writeln!(
        s,
        "beskrivelse = \"{}\"",
        spec.beskrivelse
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    );
    let _ = writeln!(s, "foretak = [{}]", q(&[spec.foretak]));
    let units: Vec<&str> = spec.enheter.iter().map(|u| u.0).collect();
    let _ = writeln!(s, "enheter = [{}]", q(&units));
    let _ = writeln!(s, "nye_roller = [{}]", q(spec.nye_roller));
    for (fase, (fra, til)) in ["før", "pilot"].iter().zip(spec.perioder) {
        let _ = writeln!(
            s,
            "\n[[periode]]\nfase = \"{fase}\"\nfra = {}\ntil = {}",
            iso(date(fra)),
            iso(date(til))
        );
    }
    for (steg, oppgave, fra, til) in spec.arbeidsflyt {
        let _ = writeln!(
            s,
            "\n[[arbeidsflyt]]\nsteg = \"{steg}\"\noppgave = \"{oppgave}\""
        );
        if !fra.is_empty() {
            let _ = writeln!(s, "fra = \"{fra}\"");
        }
        let _ = writeln!(s, "til = \"{til}\"");
    }
    s
}

/// The months (first day) from `a` to `b`.
fn months(a: NaiveDate, b: NaiveDate) -> Vec<NaiveDate> {
    let mut v = Vec::new();
    let mut m = NaiveDate::from_ymd_opt(a.year(), a.month(), 1).expect("date");
    while m <= b {
        v.push(m);
        m = m.checked_add_months(chrono::Months::new(1)).expect("date");
    }
    v
}

/// Rows to plant: (pilot, file stem month, date the row follows, column, what).
fn planted_kind(pilot: &str, d: NaiveDate, unit: &str) -> Option<u8> {
    match (pilot, d.year(), d.month(), d.day(), unit) {
        ("lar-sykepleier", 2025, 4, 7, "STO-LAR") => Some(0),
        ("lar-sykepleier", 2025, 4, 15, "STO-LAR") => Some(1),
        ("lar-sykepleier", 2025, 4, 23, "STO-LAR") => Some(2),
        ("erfaringskonsulent-poliklinikk", 2025, 6, 11, "HMR-POL-MOL") => Some(3),
        _ => None,
    }
}

/// Write the three pilots.
pub fn write(out: &Path, scale_milli: u64, seed: u64) -> anyhow::Result<LogStats> {
    let mut stats = LogStats::default();
    let mut next_patient = 101u64;
    let mut next_staff = 101u64;
    for spec in PILOTS {
        let dir = out.join("piloter").join(spec.id);
        write_text(&dir.join("pilot.toml"), &pilot_toml(spec))?;
        stats.files += 1;
        let prep = prepare(spec, scale_milli, &mut next_patient, &mut next_staff);
        let mut rng = Rng::new(seed, spec.id);
        let (start, end) = (prep.periods[0].0, prep.periods[1].1);
        let mut pilot_rows = 0;
        // one file per month, or per unit and month
        let jobs: Vec<(Vec<usize>, NaiveDate)> = if spec.dialect == Dialect::Utf8Ids {
            (0..prep.units.len())
                .flat_map(|u| months(start, end).into_iter().map(move |m| (vec![u], m)))
                .collect()
        } else {
            months(start, end)
                .into_iter()
                .map(|m| ((0..prep.units.len()).collect(), m))
                .collect()
        };
        for (units, month) in jobs {
            let stamp = month.format("%Y-%m").to_string();
            let (rel, enc, delim, crlf, header): (String, Enc, char, bool, &[&str]) =
                match spec.dialect {
                    Dialect::Win1252Names => (
                        format!("logg-{stamp}.csv"),
                        Enc::Win1252,
                        ';',
                        true,
                        &[
                            "Dato",
                            "Foretak",
                            "Avdeling",
                            "Yrkesgruppe",
                            "Aktivitet",
                            "Minutter",
                            "Pasient",
                            "Utført av",
                        ],
                    ),
                    Dialect::Utf8Ids => (
                        format!("{}/{stamp}.csv", prep.units[units[0]].folder),
                        Enc::Utf8,
                        ',',
                        false,
                        &[
                            "dato",
                            "foretak",
                            "enhet",
                            "fase",
                            "yrke",
                            "oppgave",
                            "minutter",
                            "pasient",
                            "utført_av",
                        ],
                    ),
                    Dialect::Utf16Tab => (
                        format!("aktivitetslogg-{stamp}.txt"),
                        Enc::Utf16Le,
                        '\t',
                        true,
                        &[
                            "Dato",
                            "HF",
                            "Enhet",
                            "Profesjon",
                            "Oppgave",
                            "Tid_min",
                            "Pasient_ref",
                            "Ansatt_ref",
                        ],
                    ),
                };
            let rel_full = format!("piloter/{}/{rel}", spec.id);
            let mut w = TableWriter::create(&out.join(&rel_full), enc, delim, crlf)?;
            w.header(header)?;
            let mut d = month.max(start);
            let month_end = month
                .checked_add_months(chrono::Months::new(1))
                .expect("date");
            while d < month_end && d <= end {
                let f = day_factor(d);
                let phase = if d <= prep.periods[0].1 { 0 } else { 1 };
                if f > 0.0 {
                    let ds = match spec.dialect {
                        Dialect::Utf8Ids => iso(d),
                        _ => dmy(d),
                    };
                    for &ui in &units {
                        let u = &prep.units[ui];
                        let lambda = u.lambda * f;
                        let n = rng.normal(lambda, lambda.sqrt() * 0.6).round().max(0.0) as u64;
                        for _ in 0..n {
                            let a = activity(spec, &prep, u, phase, seed, &mut rng);
                            let row = format_row(spec, &ds, u, phase, &a, &mut rng);
                            w.record(&row)?;
                        }
                        if let Some(kind) = planted_kind(spec.id, d, u.id) {
                            let a = activity(spec, &prep, u, phase, seed, &mut rng);
                            let mut row = format_row(spec, &ds, u, phase, &a, &mut rng);
                            let (col, what) = match kind {
                                0 => {
                                    row[2] = "LAR Trondhiem".into();
                                    (
                                        2,
                                        "skrivefeil i enhetsnavnet: `LAR Trondhiem` for `LAR Trondheim`",
                                    )
                                }
                                1 => {
                                    row[5] = "abc".into();
                                    (5, "minutter er ikke et tall: `abc`")
                                }
                                2 => {
                                    row[0] = "04.07.2025".into();
                                    (
                                        0,
                                        "dato 04.07.2025 utenfor begge periodene (dag og måned byttet om)",
                                    )
                                }
                                _ => {
                                    row[2] = "Poliklinikk rus Moldde".into();
                                    (
                                        2,
                                        "skrivefeil i enhetsnavnet: `Poliklinikk rus Moldde` for `Poliklinikk rus Molde`",
                                    )
                                }
                            };
                            stats.planted.push(Planted {
                                file: rel_full.clone(),
                                line: w.rows + 2,
                                column: header[col].to_string(),
                                what: what.to_string(),
                            });
                            w.record(&row)?;
                        }
                    }
                }
                d = d.succ_opt().expect("date");
            }
            pilot_rows += w.finish()?;
            stats.files += 1;
        }
        stats.rows += pilot_rows;
        stats.per_pilot.push((spec.id, pilot_rows));
    }
    Ok(stats)
}

fn minutes_text(m: f64, decimal_comma: bool) -> String {
    if m.fract() == 0.0 {
        format!("{m:.0}")
    } else if decimal_comma {
        comma(m, 1)
    } else {
        format!("{m:.1}")
    }
}

fn format_row(
    spec: &PilotSpec,
    ds: &str,
    u: &Unit,
    phase: usize,
    a: &Act,
    rng: &mut Rng,
) -> Vec<String> {
    let e = reference::enhet(u.id);
    let y = YRKER.iter().find(|y| y.id == a.yrke).expect("yrke");
    let o = OPPGAVER.iter().find(|o| o.id == a.task).expect("oppgave");
    let pas = a.patient.map(|p| format!("P{p:05}")).unwrap_or_default();
    let staff = format!("A{:04}", a.staff);
    match spec.dialect {
        Dialect::Win1252Names => {
            let f = if rng.chance(0.85) {
                "St. Olavs hospital"
            } else {
                "St. Olav"
            };
            // now and then a half minute, as typed into Excel
            let minutes = if rng.chance(0.04) {
                a.minutes + 0.5
            } else {
                a.minutes
            };
            vec![
                ds.to_string(),
                f.to_string(),
                typed(rng, e.navn, e.alias),
                typed(rng, y.navn, y.alias),
                typed(rng, o.navn, o.alias),
                minutes_text(minutes, true),
                pas,
                staff,
            ]
        }
        Dialect::Utf8Ids => vec![
            ds.to_string(),
            spec.foretak.to_string(),
            u.id.to_string(),
            ["før", "pilot"][phase].to_string(),
            a.yrke.to_string(),
            a.task.to_string(),
            minutes_text(a.minutes, false),
            pas,
            staff,
        ],
        Dialect::Utf16Tab => vec![
            ds.to_string(),
            spec.foretak.to_string(),
            typed(rng, e.navn, e.alias),
            typed(rng, y.navn, y.alias),
            typed(rng, o.navn, o.alias),
            minutes_text(a.minutes, false),
            pas,
            staff,
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_do_not_overlap_and_mix_is_known() {
        for p in PILOTS {
            assert!(date(p.perioder[0].1) < date(p.perioder[1].0), "{}", p.id);
            for m in p.mix {
                let _ = reference::oppgave(m.oppgave);
                for who in m.who {
                    for (y, _) in who.iter() {
                        let _ = reference::yrke(y);
                    }
                }
            }
            for &(u, _, _) in p.enheter {
                assert_eq!(reference::enhet(u).foretak, p.foretak);
            }
        }
    }
}
