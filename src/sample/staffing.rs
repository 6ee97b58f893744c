//! Staffing snapshots (`bemanning/`): one HR export per date, each in its own dialect.

use std::path::Path;

use chrono::NaiveDate;

use super::out::{Cell, Enc, TableWriter, comma, dmy, iso, write_xlsx};
use super::reference::{self, ENHETER};
use super::rng::Rng;

/// One unit × profession cell at one date.
#[derive(Debug, Clone)]
pub struct Cellv {
    /// Unit id.
    pub enhet: &'static str,
    /// Provider id.
    pub foretak: &'static str,
    /// Profession id.
    pub yrke: &'static str,
    /// Budgeted FTE.
    pub b: f64,
    /// Filled FTE.
    pub f: f64,
    /// Hired-in FTE.
    pub i: f64,
    /// Open positions.
    pub ledige: u32,
    /// Of which open > 6 months.
    pub ledige6: u32,
    /// Headcount.
    pub ansatte: u32,
    /// Leavers in 12 months.
    pub sluttet: u32,
    /// Sick leave percent.
    pub syk: f64,
}

/// The snapshot dates.
pub const DATES: [(i32, u32, u32); 4] =
    [(2025, 3, 31), (2025, 9, 30), (2026, 3, 31), (2026, 9, 30)];

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Fill ratio range of specialist (nivå 4) positions per provider.
fn specialist_fill(foretak: &str, snapshot: usize) -> (f64, f64) {
    let drift = snapshot as f64 * 0.015;
    match foretak {
        "HNT" => (0.66 - drift, 0.82 - drift),
        "STO" => (0.78, 0.90),
        "HMR" => (0.76, 0.90),
        _ => (0.84, 0.97),
    }
}

/// All cells of one snapshot, in unit then profession order. `mult` multiplies FTE and counts.
pub fn snapshot(seed: u64, snapshot: usize, mult: f64) -> Vec<Cellv> {
    let mut cells = Vec::new();
    for e in ENHETER {
        let staff = reference::staff_of(e);
        for (yrke, fte) in staff {
            let y = reference::yrke(yrke);
            let mut base = Rng::new(seed, &format!("bemanning/{}/{yrke}", e.id));
            let growth = 1.0 + base.uniform(-0.02, 0.04) * snapshot as f64;
            let b = ((fte * growth * mult * 2.0).round() / 2.0).max(0.5);
            let mut rng = Rng::new(seed, &format!("bemanning/{}/{yrke}/{snapshot}", e.id));
            // where specialists are short, level-3 cells are often over-filled to fill the gap
            let ratio = if y.niva == 4 {
                let (lo, hi) = specialist_fill(e.foretak, snapshot);
                rng.uniform(lo, hi)
            } else if y.niva == 3 && matches!(e.foretak, "HNT" | "STO") && rng.chance(0.35) {
                rng.uniform(1.03, 1.15)
            } else {
                rng.uniform(0.9, 1.05)
            };
            let f = round1(b * ratio);
            let gap = (b - f).max(0.0);
            let i = if y.niva == 4 && gap > 0.0 {
                round1(gap * rng.uniform(0.15, 0.6))
            } else if rng.chance(0.05) {
                round1(rng.uniform(0.1, 0.5) * mult.sqrt())
            } else {
                0.0
            };
            let ledige = (gap / 0.8).round() as u32 + u32::from(rng.chance(0.1));
            let long_share = match (y.niva, e.foretak) {
                (4, "HNT") => 0.8,
                (4, _) => 0.45,
                _ => 0.2,
            };
            let ledige6 = (0..ledige).filter(|_| rng.chance(long_share)).count() as u32;
            let ansatte = ((f * rng.uniform(1.1, 1.35)).round() as u32).max(u32::from(f > 0.0));
            let turnover = match (y.niva, e.foretak) {
                (4, "HNT") => 0.22,
                (4, _) => 0.14,
                (_, "HNT") => 0.13,
                _ => 0.09,
            };
            let sluttet = (0..ansatte).filter(|_| rng.chance(turnover)).count() as u32;
            let syk = round1(rng.uniform(3.0, 10.5) + if e.tjeneste == "døgn" { 1.5 } else { 0.0 });
            cells.push(Cellv {
                enhet: e.id,
                foretak: e.foretak,
                yrke,
                b,
                f,
                i,
                ledige,
                ledige6,
                ansatte,
                sluttet,
                syk,
            });
        }
    }
    cells
}

fn d(i: usize) -> NaiveDate {
    let (y, m, dd) = DATES[i];
    NaiveDate::from_ymd_opt(y, m, dd).expect("date")
}

/// Write the four snapshots. Returns (files, headcount per unit at the latest snapshot).
pub fn write(out: &Path, seed: u64, mult: f64) -> anyhow::Result<(u64, Vec<(&'static str, u32)>)> {
    let dir = out.join("bemanning");
    let mut latest = Vec::new();
    for s in 0..4 {
        let cells = snapshot(seed, s, mult);
        let mut rng = Rng::new(seed, &format!("bemanning/format/{s}"));
        let date = d(s);
        match s {
            0 => {
                // Excel on Norwegian Windows: Windows-1252, `;`, decimal comma, names
                let mut w = TableWriter::create(
                    &dir.join("bemanning-2025-03-31.csv"),
                    Enc::Win1252,
                    ';',
                    true,
                )?;
                w.header(&[
                    "Per dato",
                    "Foretak",
                    "Enhet",
                    "Yrke",
                    "Budsjetterte årsverk",
                    "Besatte årsverk",
                    "Innleie",
                    "Ledige stillinger",
                    "Ledige over 6 mnd",
                    "Ansatte",
                    "Avganger",
                    "Sykefravær",
                ])?;
                for c in &cells {
                    let f = reference::foretak(c.foretak);
                    let e = reference::enhet(c.enhet);
                    let y = reference::yrke(c.yrke);
                    let syk = if f.eierskap == "privat" && rng.chance(0.3) {
                        String::new()
                    } else if rng.chance(0.5) {
                        format!("{} %", comma(c.syk, 1))
                    } else {
                        comma(c.syk, 1)
                    };
                    w.record(&[
                        dmy(date),
                        f.navn.to_string(),
                        if rng.chance(0.1) {
                            e.alias[0].to_string()
                        } else {
                            e.navn.to_string()
                        },
                        y.navn.to_string(),
                        comma(c.b, 1),
                        comma(c.f, 1),
                        if c.i > 0.0 {
                            comma(c.i, 1)
                        } else {
                            String::new()
                        },
                        c.ledige.to_string(),
                        c.ledige6.to_string(),
                        c.ansatte.to_string(),
                        c.sluttet.to_string(),
                        syk,
                    ])?;
                }
                w.finish()?;
            }
            1 => {
                // Excel "CSV UTF-8": BOM, `;`, decimal comma, ISO dates, contract headers, ids
                let mut w = TableWriter::create(
                    &dir.join("HR-uttrekk 2025-09-30.csv"),
                    Enc::Utf8Bom,
                    ';',
                    true,
                )?;
                w.header(&[
                    "dato",
                    "foretak",
                    "enhet",
                    "yrke",
                    "budsjetterte_årsverk",
                    "besatte_årsverk",
                    "innleide_årsverk",
                    "ledige_stillinger",
                    "ledige_over_6_mnd",
                    "ansatte",
                    "sluttet_12_mnd",
                    "sykefravær_pst",
                ])?;
                for c in &cells {
                    let y = reference::yrke(c.yrke);
                    w.record(&[
                        iso(date),
                        c.foretak.to_string(),
                        c.enhet.to_string(),
                        y.navn.to_string(),
                        comma(c.b, 1),
                        comma(c.f, 1),
                        comma(c.i, 1),
                        c.ledige.to_string(),
                        c.ledige6.to_string(),
                        c.ansatte.to_string(),
                        c.sluttet.to_string(),
                        comma(c.syk, 1),
                    ])?;
                }
                w.finish()?;
            }
            2 => {
                // a system export: UTF-8 with BOM, `,`, decimal point, aliases for headers;
                // the private providers do not report headcount or leavers here
                let mut w = TableWriter::create(
                    &dir.join("bemanning_2026-03-31.csv"),
                    Enc::Utf8Bom,
                    ',',
                    false,
                )?;
                w.header(&[
                    "per_dato",
                    "foretak",
                    "enhet",
                    "yrke",
                    "budsjett_årsverk",
                    "avtalte_årsverk",
                    "innleie",
                    "ledige_stillinger",
                    "ledige_over_6_mnd",
                    "ansatte",
                    "avganger",
                    "sykefravær_pst",
                ])?;
                for c in &cells {
                    let privat = reference::foretak(c.foretak).eierskap == "privat";
                    let opt = |v: u32| if privat { String::new() } else { v.to_string() };
                    w.record(&[
                        iso(date),
                        c.foretak.to_string(),
                        reference::enhet(c.enhet).navn.to_string(),
                        c.yrke.to_string(),
                        format!("{:.1}", c.b),
                        format!("{:.1}", c.f),
                        format!("{:.1}", c.i),
                        c.ledige.to_string(),
                        c.ledige6.to_string(),
                        opt(c.ansatte),
                        opt(c.sluttet),
                        format!("{:.1}", c.syk),
                    ])?;
                }
                w.finish()?;
            }
            _ => {
                // the latest snapshot as a workbook with typed cells
                let rows: Vec<Vec<Cell>> = cells
                    .iter()
                    .map(|c| {
                        vec![
                            Cell::D(date),
                            Cell::S(reference::foretak(c.foretak).navn.to_string()),
                            Cell::S(reference::enhet(c.enhet).navn.to_string()),
                            Cell::S(reference::yrke(c.yrke).navn.to_string()),
                            Cell::N(c.b),
                            Cell::N(c.f),
                            if c.i > 0.0 { Cell::N(c.i) } else { Cell::Blank },
                            Cell::N(f64::from(c.ledige)),
                            Cell::N(f64::from(c.ledige6)),
                            Cell::N(f64::from(c.ansatte)),
                            Cell::N(f64::from(c.sluttet)),
                            Cell::N(c.syk),
                        ]
                    })
                    .collect();
                write_xlsx(
                    &dir.join("bemanning-2026-09-30.xlsx"),
                    "Bemanning",
                    &[
                        "Dato",
                        "Foretak",
                        "Enhet",
                        "Yrke",
                        "Budsjetterte årsverk",
                        "Besatte årsverk",
                        "Innleide årsverk",
                        "Ledige stillinger",
                        "Ledige over 6 mnd",
                        "Ansatte",
                        "Sluttet 12 mnd",
                        "Sykefravær pst",
                    ],
                    &rows,
                    date.and_hms_opt(8, 0, 0).expect("time"),
                )?;
                let mut heads: Vec<(&'static str, u32)> = Vec::new();
                for c in &cells {
                    match heads.last_mut() {
                        Some(h) if h.0 == c.enhet => h.1 += c.ansatte,
                        _ => heads.push((c.enhet, c.ansatte)),
                    }
                }
                latest = heads;
            }
        }
    }
    Ok((4, latest))
}
