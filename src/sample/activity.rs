//! Activity volumes (`aktivitet/`, data-contract §5.1): what each unit does in a year, per
//! task, for the staffing-need model (indicators.md §8).
//!
//! Volumes follow the unit's staffing profile: per service type, a mix of the minutes of a
//! full-time year over the tasks such units record in the patient administration system
//! (consultations, intake assessments, group sessions, LAR follow-ups, medication, municipal
//! coordination meetings, appointments booked), divided by a typical duration, scaled by the unit's FTE and
//! varied a little per unit. Two years, 2024 and 2025; 2025 is current.

use std::path::Path;

use super::out::{Enc, TableWriter};
use super::reference::{self, ENHETER};
use super::rng::Rng;

/// Recorded minutes per FTE and year that the volumes describe.
const MINUTES_PER_FTE: f64 = 70_000.0;

/// (task, share of the recorded minutes, typical minutes per occurrence) per service type.
fn mix(tjeneste: &str) -> &'static [(&'static str, f64, f64)] {
    match tjeneste {
        "poliklinikk" => &[
            ("samtalebehandling", 0.36, 50.0),
            ("kartlegging", 0.07, 45.0),
            ("utredning", 0.12, 90.0),
            ("spesialistvurdering", 0.11, 60.0),
            ("gruppebehandling", 0.07, 90.0),
            ("samarbeidsmote", 0.07, 60.0),
            ("parorendesamtale", 0.05, 45.0),
            ("bolig_okonomi", 0.04, 40.0),
            ("nav_kontakt", 0.04, 20.0),
            ("timebestilling", 0.06, 10.0),
        ],
        "ambulant" => &[
            ("samtalebehandling", 0.24, 50.0),
            ("bolig_okonomi", 0.15, 40.0),
            ("nav_kontakt", 0.10, 20.0),
            ("samarbeidsmote", 0.14, 60.0),
            ("miljoterapi", 0.22, 45.0),
            ("kartlegging", 0.05, 45.0),
            ("spesialistvurdering", 0.05, 60.0),
            ("parorendesamtale", 0.05, 45.0),
        ],
        "LAR" => &[
            ("lar", 0.32, 30.0),
            ("legemidler", 0.14, 15.0),
            ("provetaking", 0.12, 10.0),
            ("spesialistvurdering", 0.08, 60.0),
            ("samarbeidsmote", 0.10, 60.0),
            ("samtalebehandling", 0.19, 50.0),
            ("timebestilling", 0.05, 10.0),
        ],
        "døgn" => &[
            ("miljoterapi", 0.55, 45.0),
            ("samtalebehandling", 0.12, 50.0),
            ("gruppebehandling", 0.10, 90.0),
            ("spesialistvurdering", 0.04, 60.0),
            ("legemidler", 0.06, 15.0),
            ("provetaking", 0.04, 10.0),
            ("parorendesamtale", 0.04, 45.0),
            ("samarbeidsmote", 0.03, 60.0),
            ("timebestilling", 0.02, 10.0),
        ],
        "avrusning" => &[
            ("legemidler", 0.15, 15.0),
            ("provetaking", 0.12, 10.0),
            ("miljoterapi", 0.48, 45.0),
            ("kartlegging", 0.08, 45.0),
            ("spesialistvurdering", 0.07, 60.0),
            ("samtalebehandling", 0.08, 50.0),
            ("timebestilling", 0.02, 10.0),
        ],
        _ => &[
            ("miljoterapi", 0.55, 45.0),
            ("samtalebehandling", 0.22, 50.0),
            ("nav_kontakt", 0.20, 20.0),
            ("timebestilling", 0.03, 10.0),
        ],
    }
}

/// How much of a full-time year the volumes describe, per service type: round-the-clock
/// units count more staffed hours per FTE in ward routines than outpatient units do.
fn intensity(tjeneste: &str) -> f64 {
    match tjeneste {
        "døgn" | "avrusning" => 1.6,
        "annet" => 1.4,
        "ambulant" => 1.1,
        "LAR" => 0.9,
        _ => 0.95,
    }
}

/// Write `aktivitet/aktivitetstall-2024-2025.csv`. Returns the number of files written.
pub fn write(out: &Path, seed: u64, mult: f64) -> anyhow::Result<u64> {
    let path = out.join("aktivitet").join("aktivitetstall-2024-2025.csv");
    let mut w = TableWriter::create(&path, Enc::Utf8Bom, ';', true)?;
    // As a patient-administration extract names them: the aliases and display names.
    w.header(&["År", "HF", "Enhet", "Aktivitet", "Antall"])?;
    for year in [2024, 2025] {
        for e in ENHETER {
            let fte: f64 = reference::staff_of(e).iter().map(|(_, f)| f).sum::<f64>() * mult;
            let mut rng = Rng::new(seed, &format!("aktivitet/{}/{year}", e.id));
            let unit_level = rng.uniform(0.85, 1.15) * intensity(e.tjeneste);
            for (task, share, minutes) in mix(e.tjeneste) {
                let noise = rng.uniform(0.9, 1.1);
                let growth = if year == 2024 { 0.95 } else { 1.0 };
                // Large scales (benchmarks) stay within the contract's plausibility bound.
                let n = (fte * MINUTES_PER_FTE * share / minutes * unit_level * noise * growth)
                    .round()
                    .min(1_000_000.0);
                w.record(&[
                    year.to_string(),
                    e.foretak.to_string(),
                    e.navn.to_string(),
                    reference::oppgave(task).navn.to_string(),
                    format!("{n}"),
                ])?;
            }
        }
    }
    w.finish()?;
    Ok(1)
}
