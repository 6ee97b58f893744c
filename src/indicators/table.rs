//! The one indicator table every document and export reads (indicators.md §7).

use serde::{Deserialize, Serialize};

/// The keys of one indicator cell; `None` where the key is not part of the grouping.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Keys {
    /// Health trust id (also on `enhet` rows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub foretak_id: Option<String>,
    /// Unit id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enhet_id: Option<String>,
    /// Profession id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yrke_id: Option<String>,
    /// Competence level 1–4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kompetanseniva: Option<u8>,
    /// Pilot id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pilot_id: Option<String>,
    /// `før`, `pilot` or `endring`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fase: Option<String>,
    /// Task area or challenge area.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub omrade: Option<String>,
    /// Survey key (export file stem).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undersokelse: Option<String>,
    /// Snapshot date `yyyy-mm-dd` for time series; `None` for current values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dato: Option<String>,
}

/// One value of one indicator in one cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorRow {
    /// Indicator id from the registry.
    pub indikator: String,
    /// Grouping: `region`, `foretak`, `enhet`, `foretak_yrke`, `pilot`, ….
    pub gruppering: String,
    /// The cell's keys.
    pub keys: Keys,
    /// The value; ratios as fractions; `None` when suppressed or undefined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdi: Option<f64>,
    /// Lower 95 % bound, where the indicator has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nedre: Option<f64>,
    /// Upper 95 % bound, where the indicator has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ovre: Option<f64>,
    /// The count the value rests on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u64>,
    /// `andel`, `årsverk`, `timer_per_uke`, `minutter`, `skår`, `antall`.
    pub maleenhet: String,
    /// Suppressed by disclosure control.
    pub prikket: bool,
    /// Survey rows: the series the survey is a round of (data-contract §6.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serie: Option<String>,
    /// Survey rows: the round's date, `yyyy-mm-dd`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runde: Option<String>,
}

/// All indicator values of a run, sorted per indicators.md §7.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IndicatorTable {
    /// The rows, sorted by indicator, grouping, then every key.
    pub rows: Vec<IndicatorRow>,
    /// What the indicators could not use, said once each (indicators.md §8: a task with a
    /// volume but no time, a support share ≥ 0,9, a setting naming something unknown).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merknader: Vec<Merknad>,
}

/// A note from computing the indicators: what could not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Merknad {
    /// The file it concerns (as shown in messages), or `tsb-report.toml`.
    pub fil: String,
    /// The note.
    pub tekst: String,
}

impl IndicatorTable {
    /// Sort rows by `indikator`, `gruppering`, then every key column (code-point order).
    pub fn sort(&mut self) {
        self.rows.sort_by(|a, b| {
            (&a.indikator, &a.gruppering, &a.keys).cmp(&(&b.indikator, &b.gruppering, &b.keys))
        });
    }
    /// The row of `indikator` at `gruppering` whose keys equal `keys`.
    pub fn get(&self, indikator: &str, gruppering: &str, keys: &Keys) -> Option<&IndicatorRow> {
        self.rows
            .iter()
            .find(|r| r.indikator == indikator && r.gruppering == gruppering && &r.keys == keys)
    }
    /// All rows of `indikator` at `gruppering`.
    pub fn select<'a>(
        &'a self,
        indikator: &'a str,
        gruppering: &'a str,
    ) -> impl Iterator<Item = &'a IndicatorRow> + 'a {
        self.rows
            .iter()
            .filter(move |r| r.indikator == indikator && r.gruppering == gruppering)
    }
}

impl IndicatorTable {
    /// `topp_utfordringer` (indicators.md §4, presentation only): the published
    /// `utfordring_score` rows of one unit in one survey, highest score first (ties by area),
    /// at most three. Suppressed areas never appear.
    pub fn topp_utfordringer(&self, undersokelse: &str, enhet_id: &str) -> Vec<&IndicatorRow> {
        let mut rows: Vec<&IndicatorRow> = self
            .select("utfordring_score", "enhet")
            .filter(|r| {
                !r.prikket
                    && r.keys.undersokelse.as_deref() == Some(undersokelse)
                    && r.keys.enhet_id.as_deref() == Some(enhet_id)
            })
            .filter(|r| r.verdi.is_some())
            .collect();
        rows.sort_by(|a, b| {
            b.verdi
                .unwrap_or(f64::MIN)
                .total_cmp(&a.verdi.unwrap_or(f64::MIN))
                .then_with(|| a.keys.omrade.cmp(&b.keys.omrade))
        });
        rows.truncate(3);
        rows
    }
}
