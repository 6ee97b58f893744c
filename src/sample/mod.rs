//! `tsb-report sample`: a deterministic synthetic data set in the data contract.

use std::path::Path;

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
    let _ = (out, scale, seed);
    anyhow::bail!("sample is not implemented yet")
}
