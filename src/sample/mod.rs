//! `tsb-report sample`: a deterministic synthetic data set in the data contract.
//!
//! The same `(scale, seed)` always gives byte-identical files: all randomness comes from
//! [`rng`], a PRNG this crate owns, every collection is iterated in a fixed order, and the
//! XLSX creation time is fixed. Activity logs are written row by row, so scale 50
//! (~10 million rows) runs in constant memory.

use std::fmt::Write as _;
use std::path::Path;

pub mod activity;
pub mod logs;
pub mod out;
pub mod reference;
pub mod rng;
pub mod staffing;
pub mod surveys;

/// What the generator wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SampleSummary {
    /// Files written.
    pub files: u64,
    /// Activity log rows written.
    pub log_rows: u64,
    /// Survey respondents written.
    pub respondents: u64,
}

/// Write a complete data set for `scale` and `seed` into `out`.
pub fn generate(out: &Path, scale: u32, seed: u64) -> anyhow::Result<SampleSummary> {
    anyhow::ensure!(scale >= 1, "--scale must be at least 1");
    generate_milli(out, u64::from(scale) * 1000, seed)
}

/// Like [`generate`], with the scale in thousandths (`1000` = scale 1), so tests can write a
/// small data set quickly: log rows and staff-survey respondents are proportional to
/// `scale_milli`; reference tables, staffing (multiplied by the whole scale, at least 1),
/// pilots, codebooks and the unit-leader survey do not shrink.
pub fn generate_milli(out: &Path, scale_milli: u64, seed: u64) -> anyhow::Result<SampleSummary> {
    anyhow::ensure!(scale_milli >= 1, "scale must be positive");
    std::fs::create_dir_all(out)?;
    let mult = (scale_milli / 1000).max(1) as f64;
    let mut files = reference::write(out)?;
    let (f, _heads) = staffing::write(out, seed, mult)?;
    files += f;
    let (f, respondents) = surveys::write(out, scale_milli, seed, mult)?;
    files += f;
    let logs = logs::write(out, scale_milli, seed)?;
    files += logs.files;
    files += activity::write(out, seed, mult)?;
    out::write_text(
        &out.join("EKSEMPELDATA.md"),
        &note(scale_milli, seed, respondents, &logs),
    )?;
    files += 1;
    Ok(SampleSummary {
        files,
        log_rows: logs.rows,
        respondents,
    })
}

fn note(scale_milli: u64, seed: u64, respondents: u64, logs: &logs::LogStats) -> String {
    let scale = if scale_milli.is_multiple_of(1000) {
        (scale_milli / 1000).to_string()
    } else {
        format!("{} (testskala)", scale_milli as f64 / 1000.0)
    };
    let mut s = String::new();
    let _ = writeln!(s, "# EKSEMPELDATA\n");
    let _ = writeln!(
        s,
        "Alle data i denne mappen er **syntetiske**. De er laget av programmet med\n\
         kommandoen `tsb-report sample --scale {scale} --seed {seed}` og beskriver ingen\n\
         virkelige pasienter, ansatte eller enheter. Navn, e-postadresser, pasient- og\n\
         ansattreferanser er oppdiktet. Tallene er laget for å være realistiske nok til å\n\
         prøve ut rapporten, ikke for å trekke konklusjoner.\n"
    );
    let _ = writeln!(s, "## Innhold\n");
    let _ = writeln!(
        s,
        "- `referanse/`: 5 foretak, {} enheter, {} yrker, {} oppgaver",
        reference::ENHETER.len(),
        reference::YRKER.len(),
        reference::OPPGAVER.len()
    );
    let _ = writeln!(
        s,
        "- `bemanning/`: 4 HR-uttrekk (31.03.2025, 30.09.2025, 31.03.2026, 30.09.2026)"
    );
    let _ = writeln!(
        s,
        "- `undersokelser/`: 2 ansattundersøkelser og 1 enhetslederundersøkelse, {respondents} besvarelser i alt"
    );
    let _ = writeln!(
        s,
        "- `piloter/`: 3 piloter, {} aktivitetsregistreringer i alt:",
        logs.rows
    );
    for (id, n) in &logs.per_pilot {
        let _ = writeln!(s, "  - `{id}`: {n}");
    }
    let _ = writeln!(s, "\n## Plantede feil\n");
    let _ = writeln!(
        s,
        "For å vise karantenen inneholder loggene noen få bevisst feilaktige rader:\n"
    );
    for p in &logs.planted {
        let _ = writeln!(
            s,
            "- `{}`, linje {}, kolonne `{}`: {}",
            p.file, p.line, p.column, p.what
        );
    }
    s
}
