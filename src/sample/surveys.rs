//! Survey exports (`undersokelser/`) and their codebooks: a Nettskjema TSV (2025), a Microsoft
//! Forms workbook (2026) and a unit-leader survey as a Norwegian Excel CSV (2026).

use std::fmt::Write as _;
use std::path::Path;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};

use super::out::{Cell, Enc, TableWriter, comma, write_text, write_xlsx};
use super::reference::{self, ENHETER, Enhet};
use super::rng::{Rng, Weighted, hash};
use super::staffing;

/// The nine challenge areas, in the order of `BASE`.
pub use crate::model::CHALLENGE_AREAS as AREAS;

/// A Likert item: variable name, question text, area index, agreement means less challenge.
struct Item {
    var: &'static str,
    text: &'static str,
    area: usize,
    positiv: bool,
}

const ITEMS: &[Item] = &[
    Item {
        var: "q01",
        text: "Vi har nok ansatte til å gi pasientene et forsvarlig tilbud",
        area: 0,
        positiv: true,
    },
    Item {
        var: "q02",
        text: "Ventelistene i enheten er for lange",
        area: 0,
        positiv: false,
    },
    Item {
        var: "q03",
        text: "Det er vanskelig å rekruttere spesialister til enheten",
        area: 1,
        positiv: false,
    },
    Item {
        var: "q04",
        text: "Ledige stillinger blir besatt innen rimelig tid",
        area: 1,
        positiv: true,
    },
    Item {
        var: "q05",
        text: "Jeg trives og ønsker å fortsette å jobbe i enheten",
        area: 2,
        positiv: true,
    },
    Item {
        var: "q06",
        text: "Arbeidsbelastningen gjør at kolleger slutter",
        area: 2,
        positiv: false,
    },
    Item {
        var: "q07",
        text: "Oppgavene er fordelt slik at hver yrkesgruppe bruker sin kompetanse",
        area: 3,
        positiv: true,
    },
    Item {
        var: "q08",
        text: "Jeg gjør ofte oppgaver som andre yrkesgrupper kunne gjort",
        area: 3,
        positiv: false,
    },
    Item {
        var: "q09",
        text: "Jeg får brukt min faglige kompetanse fullt ut",
        area: 4,
        positiv: true,
    },
    Item {
        var: "q10",
        text: "Det mangler kompetanse i enheten til å gi et godt tilbud",
        area: 4,
        positiv: false,
    },
    Item {
        var: "q11",
        text: "Digitale verktøy sparer meg for tid i arbeidshverdagen",
        area: 5,
        positiv: true,
    },
    Item {
        var: "q12",
        text: "Dårlige IT-systemer stjeler tid fra pasientarbeidet",
        area: 5,
        positiv: false,
    },
    Item {
        var: "q13",
        text: "Samarbeidet med kommunen om bolig og økonomi fungerer godt",
        area: 6,
        positiv: true,
    },
    Item {
        var: "q14",
        text: "Pasienter blir værende i behandling fordi kommunen mangler bolig eller oppfølging",
        area: 6,
        positiv: false,
    },
    Item {
        var: "q15",
        text: "Pårørende blir systematisk involvert i behandlingen",
        area: 7,
        positiv: true,
    },
    Item {
        var: "q16",
        text: "Vi mangler tid og rutiner for å involvere pårørende og frivillige",
        area: 7,
        positiv: false,
    },
    Item {
        var: "q17",
        text: "Overgangen mellom døgnbehandling, poliklinikk og kommune er godt koordinert",
        area: 8,
        positiv: true,
    },
    Item {
        var: "q18",
        text: "Pasienter faller mellom to stoler i overgangene mellom tjenestenivåene",
        area: 8,
        positiv: false,
    },
];

const LABELS: [&str; 5] = [
    "Helt uenig",
    "Uenig",
    "Verken enig eller uenig",
    "Enig",
    "Helt enig",
];
const VET_IKKE: &str = "Vet ikke";
const Q_FORETAK: &str = "Hvilket helseforetak jobber du i?";
const Q_TID: &str =
    "Omtrent hvor stor andel av arbeidstiden bruker du på oppgaver andre kunne gjort?";
const Q_SLUTTE: &str = "Vurderer du å slutte i løpet av det neste året?";
const Q_TILTAK: &str = "Hvilke tiltak ville hjulpet mest?";
const TILTAK: [&str; 6] = [
    "Flere stillinger",
    "Bedre oppgavedeling",
    "Nye yrkesgrupper",
    "Bedre digitale verktøy",
    "Tettere samarbeid med kommunen",
    "Mer involvering av pårørende",
];
const COMMENTS: [&str; 6] = [
    "Vi trenger flere hender i hverdagen.",
    "Bra at noen spør!",
    "LAR-oppfølgingen tar mye tid fra legene.",
    "Samarbeidet med NAV har blitt bedre i år.",
    "For mye dobbeltdokumentasjon.",
    "Ønsker mer tid til pårørendearbeid.",
];

/// Challenge level (1–5) per provider and area before any unit, profession or person effect.
const BASE: [(&str, [f64; 9]); 5] = [
    ("BKL", [3.0, 2.9, 2.6, 2.8, 2.5, 3.0, 3.1, 2.6, 3.2]),
    ("HMR", [3.4, 3.4, 2.9, 3.2, 2.8, 3.5, 3.7, 3.2, 3.6]),
    ("HNT", [3.5, 4.2, 3.6, 3.1, 2.9, 3.2, 3.3, 3.0, 3.4]),
    ("STO", [4.1, 3.2, 3.0, 3.4, 2.8, 3.3, 3.0, 3.1, 3.3]),
    ("TYR", [2.9, 3.0, 2.5, 2.7, 2.4, 3.4, 3.2, 2.5, 3.0]),
];

const FORNAVN: [&str; 32] = [
    "Kari",
    "Ola",
    "Ingrid",
    "Lars",
    "Marit",
    "Per",
    "Anne",
    "Jon",
    "Silje",
    "Espen",
    "Hanne",
    "Øyvind",
    "Tone",
    "Bjørn",
    "Ida",
    "Håkon",
    "Nora",
    "Magnus",
    "Line",
    "Sindre",
    "Åse",
    "Torbjørn",
    "Camilla",
    "Eirik",
    "Sunniva",
    "Vegard",
    "Randi",
    "Stian",
    "Kristin",
    "Aslak",
    "Mona",
    "Ragnhild",
];
const ETTERNAVN: [&str; 32] = [
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersen",
    "Pedersen",
    "Nilsen",
    "Kristiansen",
    "Jensen",
    "Karlsen",
    "Berg",
    "Haugen",
    "Hagen",
    "Eriksen",
    "Bakken",
    "Solberg",
    "Strand",
    "Moen",
    "Lie",
    "Dahl",
    "Rønning",
    "Aune",
    "Lund",
    "Myhre",
    "Sæther",
    "Fjærli",
    "Vik",
    "Brekke",
    "Holm",
    "Grønli",
    "Sletten",
    "Øien",
];

fn ascii_mail(s: &str) -> String {
    s.to_lowercase()
        .replace('æ', "ae")
        .replace('ø', "o")
        .replace('å', "a")
}

/// A unit-level effect in [-0.35, 0.35] on an area, stable across surveys.
fn unit_effect(seed: u64, unit: &str, area: usize) -> f64 {
    let h = hash(unit, seed ^ (area as u64 + 77));
    ((h >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.7
}

/// The pilots' traces in the 2026 survey: areas the pilot units improved.
fn pilot_effect(year: i32, unit: &str, area: usize) -> f64 {
    if year < 2026 {
        return 0.0;
    }
    match (unit, AREAS[area]) {
        ("STO-LAR" | "STO-LAR-ORK", "oppgavedeling") => -0.6,
        ("HMR-POL-MOL" | "HMR-POL-ALE", "pårørende") => -0.6,
        ("HNT-POL-LEV" | "HNT-AMB", "kommune") => -0.7,
        _ => 0.0,
    }
}

/// One generated staff respondent.
struct Resp {
    unit: &'static Enhet,
    yrke: &'static str,
    /// Answer index per item: None = blank, Some(5) = "Vet ikke", else 0..5 label index.
    answers: Vec<Option<usize>>,
    tid: Option<u32>,
    slutte: Option<bool>,
    tiltak: Vec<usize>,
    submitted: NaiveDateTime,
}

fn respondent(
    seed: u64,
    year: i32,
    unit: &'static Enhet,
    yrke: &'static str,
    rng: &mut Rng,
    start: NaiveDate,
) -> Resp {
    let base = BASE.iter().find(|b| b.0 == unit.foretak).expect("base").1;
    let niva = reference::yrke(yrke).niva;
    let person = rng.normal(0.0, 0.45);
    let mut area_level = [0.0; 9];
    for (a, lvl) in area_level.iter_mut().enumerate() {
        let prof = match (niva, AREAS[a]) {
            (4, "oppgavedeling") => 0.5,
            (4, "kompetansebruk") => 0.4,
            (4, "kapasitet") => 0.2,
            (1, "oppgavedeling") => -0.3,
            _ => 0.0,
        };
        *lvl = base[a]
            + unit_effect(seed, unit.id, a)
            + pilot_effect(year, unit.id, a)
            + prof
            + person;
    }
    let answers = ITEMS
        .iter()
        .map(|it| {
            let x = rng.f64();
            if x < 0.03 {
                None
            } else if x < 0.07 {
                Some(5)
            } else {
                let c = (area_level[it.area] + rng.normal(0.0, 0.75))
                    .round()
                    .clamp(1.0, 5.0) as usize;
                Some(if it.positiv { 5 - c } else { c - 1 })
            }
        })
        .collect();
    let (mu, sd) = match niva {
        4 => (
            if year >= 2026 && unit.tjeneste == "LAR" {
                19.0
            } else {
                28.0
            },
            10.0,
        ),
        3 => (20.0, 9.0),
        2 => (14.0, 8.0),
        _ => (8.0, 6.0),
    };
    let tid = (!rng.chance(0.04)).then(|| rng.normal(mu, sd).clamp(0.0, 80.0).round() as u32);
    let p_slutte = 0.12
        + if niva == 4 { 0.1 } else { 0.0 }
        + if unit.foretak == "HNT" { 0.08 } else { 0.0 }
        + 0.06 * (area_level[2] - 3.0);
    let slutte = (!rng.chance(0.03)).then(|| rng.chance(p_slutte.clamp(0.02, 0.6)));
    let mut tiltak: Vec<usize> = (0..TILTAK.len()).filter(|_| rng.chance(0.3)).collect();
    if tiltak.is_empty() && rng.chance(0.7) {
        tiltak.push(rng.below(TILTAK.len()));
    }
    // submitted on a weekday during three weeks, working hours
    let mut day = start + Duration::days(rng.range(0, 20));
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day += Duration::days(2);
    }
    let submitted = day
        .and_hms_opt(
            rng.range(7, 15) as u32,
            rng.range(0, 59) as u32,
            rng.range(0, 59) as u32,
        )
        .expect("time");
    Resp {
        unit,
        yrke,
        answers,
        tid,
        slutte,
        tiltak,
        submitted,
    }
}

/// Respondents per unit for a survey of `total` respondents: small units get a handful, the
/// rest in proportion to headcount, never above it.
fn allocate(
    total: u64,
    heads: &[(&'static str, u32)],
    small: &[u64],
) -> Vec<(&'static Enhet, u64)> {
    let mut small_it = small.iter().cycle();
    let mut fixed = Vec::new();
    let mut big = Vec::new();
    for e in ENHETER {
        let h = heads.iter().find(|x| x.0 == e.id).map_or(1, |x| x.1);
        if e.small {
            fixed.push((e, (*small_it.next().unwrap_or(&3)).min(u64::from(h))));
        } else {
            big.push((e, f64::from(h)));
        }
    }
    let rest = total.saturating_sub(fixed.iter().map(|x| x.1).sum());
    let sum_h: f64 = big.iter().map(|x| x.1).sum();
    let mut alloc: Vec<(&'static Enhet, u64, f64)> = big
        .iter()
        .map(|&(e, h)| {
            let q = rest as f64 * h / sum_h;
            (e, q.floor() as u64, q - q.floor())
        })
        .collect();
    let mut left = rest - alloc.iter().map(|x| x.1).sum::<u64>();
    let mut order: Vec<usize> = (0..alloc.len()).collect();
    order.sort_by(|&a, &b| alloc[b].2.total_cmp(&alloc[a].2).then(a.cmp(&b)));
    for i in order {
        if left == 0 {
            break;
        }
        alloc[i].1 += 1;
        left -= 1;
    }
    let mut out: Vec<(&'static Enhet, u64)> = fixed;
    for (e, n, _) in alloc {
        let h = heads.iter().find(|x| x.0 == e.id).map_or(1, |x| x.1);
        out.push((e, n.min(u64::from(h))));
    }
    out.sort_by(|a, b| a.0.id.cmp(b.0.id));
    out
}

fn generate_respondents(
    seed: u64,
    year: i32,
    total: u64,
    heads: &[(&'static str, u32)],
    start: NaiveDate,
) -> Vec<Resp> {
    let small: &[u64] = if year == 2025 { &[3, 4, 2] } else { &[4, 3, 3] };
    let mut rng = Rng::new(seed, &format!("undersokelse/{year}"));
    let mut out = Vec::new();
    for (e, n) in allocate(total, heads, small) {
        let staff = reference::staff_of(e);
        let w = Weighted::new(&staff.iter().map(|s| s.1).collect::<Vec<_>>());
        for _ in 0..n {
            let yrke = staff[w.sample(&mut rng)].0;
            out.push(respondent(seed, year, e, yrke, &mut rng, start));
        }
    }
    // the export lists submissions in the order they came in
    out.sort_by(|a, b| a.submitted.cmp(&b.submitted).then(a.unit.id.cmp(b.unit.id)));
    out
}

fn answer_label(a: Option<usize>) -> &'static str {
    match a {
        None => "",
        Some(5) => VET_IKKE,
        Some(i) => LABELS[i],
    }
}

fn typed_name(
    rng: &mut Rng,
    navn: &'static str,
    alias: &'static [&'static str],
    p_alias: f64,
) -> String {
    if rng.chance(p_alias) && !alias.is_empty() {
        (*rng.pick(alias)).to_string()
    } else {
        navn.to_string()
    }
}

fn svarskala() -> String {
    let mut s = String::from("\n[svarskala]\n");
    for (i, l) in LABELS.iter().enumerate() {
        let _ = writeln!(s, "\"{l}\" = {}", i + 1);
    }
    let _ = writeln!(s, "\"{VET_IKKE}\" = \"mangler\"");
    s
}

fn sporsmal(kolonne: &str, item: Option<&Item>, maal: Option<&str>) -> String {
    let mut s = format!("\n[[sporsmal]]\nkolonne = \"{kolonne}\"\n");
    if let Some(it) = item {
        let retning = if it.positiv { "positiv" } else { "utfordring" };
        let _ = writeln!(
            s,
            "omrade = \"{}\"\nretning = \"{retning}\"",
            AREAS[it.area]
        );
    }
    if let Some(m) = maal {
        let _ = writeln!(s, "maal = \"{m}\"");
    }
    s
}

/// Which Nettskjema columns are headed by the variable name rather than the question text.
fn nettskjema_header(it: &Item) -> &'static str {
    if it.var.as_bytes()[2].is_multiple_of(2) {
        it.var
    } else {
        it.text
    }
}

/// Write the three surveys. Returns (files, respondents).
pub fn write(out: &Path, scale_milli: u64, seed: u64, mult: f64) -> anyhow::Result<(u64, u64)> {
    let dir = out.join("undersokelser");
    let heads: Vec<(&'static str, u32)> = {
        let cells = staffing::snapshot(seed, 3, mult);
        let mut h: Vec<(&'static str, u32)> = Vec::new();
        for c in cells {
            match h.last_mut() {
                Some(x) if x.0 == c.enhet => x.1 += c.ansatte,
                _ => h.push((c.enhet, c.ansatte)),
            }
        }
        h
    };
    let mut respondents = 0;

    // (a) Nettskjema 2025
    let start = NaiveDate::from_ymd_opt(2025, 3, 3).expect("date");
    let rs = generate_respondents(seed, 2025, 700 * scale_milli / 1000, &heads, start);
    let mut rng = Rng::new(seed, "nettskjema/format");
    let mut w = TableWriter::create(
        &dir.join("ansattundersokelse-2025.tsv"),
        Enc::Utf8,
        '\t',
        false,
    )?;
    let mut header: Vec<String> = [
        "NR",
        "E-post",
        "Opprettet",
        "Endret",
        Q_FORETAK,
        "Enhet",
        "Yrkesgruppe",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(ITEMS.iter().map(|it| nettskjema_header(it).to_string()));
    header.push(Q_TID.into());
    header.push(Q_SLUTTE.into());
    header.extend((1..=TILTAK.len()).map(|i| format!("tiltak_{i}")));
    header.push("Kommentar".into());
    w.header(&header)?;
    for (i, r) in rs.iter().enumerate() {
        let f = reference::foretak(r.unit.foretak);
        let y = reference::yrke(r.yrke);
        let email = if rng.chance(0.1) {
            format!(
                "{}.{}@{}.eksempel.no",
                ascii_mail(rng.pick::<&str>(&FORNAVN)),
                ascii_mail(rng.pick::<&str>(&ETTERNAVN)),
                f.id.to_lowercase()
            )
        } else {
            String::new()
        };
        let edited = r.submitted + Duration::minutes(rng.range(0, 3));
        let mut row = vec![
            (40_000 + i as u64 * 7 + rng.range(0, 6) as u64).to_string(),
            email,
            r.submitted.format("%d.%m.%Y %H:%M").to_string(),
            edited.format("%d.%m.%Y %H:%M").to_string(),
            typed_name(&mut rng, f.navn, f.alias, 0.12),
            typed_name(&mut rng, r.unit.navn, r.unit.alias, 0.2),
            typed_name(&mut rng, y.navn, y.alias, 0.08),
        ];
        row.extend(r.answers.iter().map(|a| answer_label(*a).to_string()));
        row.push(r.tid.map(|t| t.to_string()).unwrap_or_default());
        row.push(
            r.slutte
                .map(|s| if s { "Ja" } else { "Nei" }.to_string())
                .unwrap_or_default(),
        );
        row.extend((0..TILTAK.len()).map(|k| {
            if r.tiltak.contains(&k) {
                "1".to_string()
            } else {
                String::new()
            }
        }));
        row.push(if rng.chance(0.04) {
            rng.pick(&COMMENTS).to_string()
        } else {
            String::new()
        });
        w.record(&row)?;
    }
    respondents += w.finish()?;
    let mut kb = String::from(
        "# Kodebok for Nettskjema-eksporten av ansattundersøkelsen 2025\n\
         type = \"ansatt\"\n\
         # two rounds of one series: 2025 (baseline) and 2026 (follow-up)\n\
         serie = \"ansattundersokelse\"\n\
         respondent = \"NR\"\ninnsendt = \"Opprettet\"\n",
    );
    let _ = writeln!(
        kb,
        "foretak = \"{Q_FORETAK}\"\nenhet = \"Enhet\"\nyrke = \"Yrkesgruppe\""
    );
    kb.push_str("personkolonner = [\"E-post\"]\n");
    kb.push_str(&svarskala());
    for it in ITEMS {
        kb.push_str(&sporsmal(nettskjema_header(it), Some(it), None));
    }
    kb.push_str(&sporsmal(Q_TID, None, Some("tid_andre_kunne_gjort_pst")));
    kb.push_str(&sporsmal(Q_SLUTTE, None, Some("vurderer_å_slutte")));
    write_text(&dir.join("ansattundersokelse-2025.kodebok.toml"), &kb)?;

    // (b) Microsoft Forms 2026
    let start = NaiveDate::from_ymd_opt(2026, 2, 2).expect("date");
    let rs = generate_respondents(seed, 2026, 800 * scale_milli / 1000, &heads, start);
    let mut rng = Rng::new(seed, "forms/format");
    let q_enhet = "Hvilken enhet jobber du i?";
    let q_yrke = "Hva er din yrkesgruppe?";
    let mut header: Vec<&str> = vec![
        "ID",
        "Starttidspunkt",
        "Fullføringstidspunkt",
        "E-postadresse",
        "Navn",
        Q_FORETAK,
        q_enhet,
        q_yrke,
    ];
    header.extend(ITEMS.iter().map(|it| it.text));
    header.extend([Q_TID, Q_SLUTTE, Q_TILTAK]);
    let mut rows = Vec::with_capacity(rs.len());
    for (i, r) in rs.iter().enumerate() {
        let f = reference::foretak(r.unit.foretak);
        let y = reference::yrke(r.yrke);
        let fornavn = *rng.pick(&FORNAVN);
        let etternavn = *rng.pick(&ETTERNAVN);
        let started = r.submitted - Duration::seconds(rng.range(150, 900));
        let mut row = vec![
            Cell::N((i + 1) as f64),
            Cell::T(started),
            Cell::T(r.submitted),
            Cell::S(format!(
                "{}.{}@{}.eksempel.no",
                ascii_mail(fornavn),
                ascii_mail(etternavn),
                f.id.to_lowercase()
            )),
            Cell::S(format!("{fornavn} {etternavn}")),
            Cell::S(f.navn.to_string()),
            Cell::S(typed_name(&mut rng, r.unit.navn, r.unit.alias, 0.15)),
            Cell::S(y.navn.to_string()),
        ];
        row.extend(r.answers.iter().map(|a| match a {
            None => Cell::Blank,
            a => Cell::S(answer_label(*a).to_string()),
        }));
        row.push(r.tid.map_or(Cell::Blank, |t| Cell::N(f64::from(t))));
        row.push(r.slutte.map_or(Cell::Blank, |s| {
            Cell::S(if s { "Ja" } else { "Nei" }.into())
        }));
        row.push(if r.tiltak.is_empty() {
            Cell::Blank
        } else {
            Cell::S(
                r.tiltak
                    .iter()
                    .map(|&k| format!("{};", TILTAK[k]))
                    .collect(),
            )
        });
        rows.push(row);
    }
    respondents += rows.len() as u64;
    write_xlsx(
        &dir.join("ansattundersokelse-2026.xlsx"),
        "Sheet1",
        &header,
        &rows,
        NaiveDate::from_ymd_opt(2026, 3, 2)
            .expect("date")
            .and_hms_opt(9, 0, 0)
            .expect("time"),
    )?;
    let mut kb = String::from(
        "# Kodebok for Microsoft Forms-eksporten av ansattundersøkelsen 2026\n\
         type = \"ansatt\"\n\
         # the follow-up round of the 2025 survey; the round's date is the median submission\n\
         serie = \"ansattundersokelse\"\n\
         respondent = \"ID\"\ninnsendt = \"Fullføringstidspunkt\"\n",
    );
    let _ = writeln!(
        kb,
        "foretak = \"{Q_FORETAK}\"\nenhet = \"{q_enhet}\"\nyrke = \"{q_yrke}\""
    );
    kb.push_str("personkolonner = [\"E-post\", \"E-postadresse\", \"Navn\"]\n");
    kb.push_str(&svarskala());
    for it in ITEMS {
        kb.push_str(&sporsmal(it.text, Some(it), None));
    }
    kb.push_str(&sporsmal(Q_TID, None, Some("tid_andre_kunne_gjort_pst")));
    kb.push_str(&sporsmal(Q_SLUTTE, None, Some("vurderer_å_slutte")));
    write_text(&dir.join("ansattundersokelse-2026.kodebok.toml"), &kb)?;

    // (c) unit-leader survey 2026: Questback CSV opened and saved in Norwegian Excel
    respondents += write_leaders(&dir, seed, mult)?;
    Ok((6, respondents))
}

const LEADER_ITEMS: [usize; 4] = [0, 2, 12, 16];
const LEADER_PROFS: [&str; 2] = ["legespesialist", "psykologspesialist"];

fn write_leaders(dir: &Path, seed: u64, mult: f64) -> anyhow::Result<u64> {
    let mut rng = Rng::new(seed, "enhetsledere");
    let cells = staffing::snapshot(seed, 2, mult);
    let mut header: Vec<String> = [
        "Respondent",
        "Innsendt",
        "Navn",
        "E-post",
        "Helseforetak",
        "Enhet",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for p in LEADER_PROFS {
        header.push(format!("Budsjetterte årsverk {p}"));
        header.push(format!("Besatte årsverk {p}"));
    }
    header.extend(LEADER_ITEMS.iter().map(|&i| ITEMS[i].text.to_string()));
    let mut w = TableWriter::create(
        &dir.join("enhetslederundersokelse-2026.csv"),
        Enc::Win1252,
        ';',
        true,
    )?;
    w.header(&header)?;
    for (n, e) in ENHETER.iter().enumerate() {
        let f = reference::foretak(e.foretak);
        // two leaders answered on the HR snapshot date, where the HR row wins
        let when = if e.id == "HNT-LAR" || e.id == "STO-AMB" {
            NaiveDate::from_ymd_opt(2026, 3, 31)
                .expect("date")
                .and_hms_opt(14, 5, 0)
                .expect("time")
        } else {
            let mut d = NaiveDate::from_ymd_opt(2026, 2, 9).expect("date")
                + Duration::days(rng.range(0, 18));
            while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                d += Duration::days(2);
            }
            d.and_hms_opt(rng.range(8, 15) as u32, rng.range(0, 59) as u32, 0)
                .expect("time")
        };
        let fornavn = *rng.pick(&FORNAVN);
        let etternavn = *rng.pick(&ETTERNAVN);
        let mut row = vec![
            format!("{}", 900_100 + n * 13),
            when.format("%d.%m.%Y %H:%M").to_string(),
            format!("{fornavn} {etternavn}"),
            format!(
                "{}.{}@{}.eksempel.no",
                ascii_mail(fornavn),
                ascii_mail(etternavn),
                f.id.to_lowercase()
            ),
            f.navn.to_string(),
            e.navn.to_string(),
        ];
        for p in LEADER_PROFS {
            match cells.iter().find(|c| c.enhet == e.id && c.yrke == p) {
                Some(c) => {
                    let filled = (c.f + (rng.range(-1, 1) as f64) * 0.5).clamp(0.0, c.b + 0.5);
                    row.push(comma(c.b, 1));
                    row.push(comma(filled, 1));
                }
                None => {
                    row.push(String::new());
                    row.push(String::new());
                }
            }
        }
        let base = BASE.iter().find(|b| b.0 == e.foretak).expect("base").1;
        for &i in &LEADER_ITEMS {
            let it = &ITEMS[i];
            let c = (base[it.area] + unit_effect(seed, e.id, it.area) + rng.normal(0.0, 0.6))
                .round()
                .clamp(1.0, 5.0) as usize;
            row.push(LABELS[if it.positiv { 5 - c } else { c - 1 }].to_string());
        }
        w.record(&row)?;
    }
    let n = w.finish()?;
    let mut kb = String::from(
        "# Kodebok for enhetslederundersøkelsen 2026 (Questback, lagret fra Excel)\n\
         type = \"enhet\"\nrespondent = \"Respondent\"\ninnsendt = \"Innsendt\"\n\
         foretak = \"Helseforetak\"\nenhet = \"Enhet\"\npersonkolonner = [\"Navn\", \"E-post\"]\n",
    );
    kb.push_str(&svarskala());
    for &i in &LEADER_ITEMS {
        kb.push_str(&sporsmal(ITEMS[i].text, Some(&ITEMS[i]), None));
    }
    for p in LEADER_PROFS {
        for (label, maal) in [
            ("Budsjetterte", "budsjetterte_årsverk"),
            ("Besatte", "besatte_årsverk"),
        ] {
            let _ = write!(
                kb,
                "\n[[bemanning]]\nkolonne = \"{label} årsverk {p}\"\nyrke = \"{p}\"\nmaal = \"{maal}\"\n"
            );
        }
    }
    write_text(&dir.join("enhetslederundersokelse-2026.kodebok.toml"), &kb)?;
    Ok(n)
}
