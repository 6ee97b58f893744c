//! Vedlegg A and C: the indicator definitions from the registry, and what changed since
//! the previous run (moved indicator cells and input files), listed and in one line.

use serde::Serialize;

use crate::indicators::Keys;
use crate::model::Dataset;
use crate::render::format;
use crate::render::names::describe_cell;

/// One indicator's definition for Vedlegg A (filled by the lead from the registry).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DefinitionView {
    /// Indicator id.
    pub id: String,
    /// Norwegian name.
    pub navn: String,
    /// Formula in words or symbols.
    pub formel: String,
    /// Unit (`andel`, `årsverk`, …).
    pub maleenhet: String,
    /// Groupings it is computed at, comma-separated.
    pub grupperinger: String,
}

/// One indicator cell that moved since the previous run (Vedlegg C).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChangedIndicator {
    /// Indicator name.
    pub indikator: String,
    /// The cell, in words (`Region`, `St. Olavs hospital HF`, …).
    pub celle: String,
    /// Previous value, formatted.
    pub forrige: String,
    /// Current value, formatted.
    pub na: String,
}

/// What changed since the previous run (Vedlegg C); `None` on the first run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChangesView {
    /// Date or data version of the previous run, as printed.
    pub forrige_kjoring: String,
    /// Indicator cells that moved.
    pub indikatorer: Vec<ChangedIndicator>,
    /// Input files added.
    pub filer_lagt_til: Vec<String>,
    /// Input files whose contents changed.
    pub filer_endret: Vec<String>,
    /// Input files removed.
    pub filer_fjernet: Vec<String>,
    /// Moved cells not listed (render keeps the first [`MAX_CHANGES`]); leave 0.
    pub ikke_vist: usize,
}

/// At most this many moved indicator cells are listed in Vedlegg C.
pub const MAX_CHANGES: usize = 40;

/// One moved indicator cell for Vedlegg C, formatted: the lead maps each
/// `changes::Moved` through this. `names` are the indicator definitions (may be empty).
pub fn changed_indicator(
    dataset: &Dataset,
    definitions: &[DefinitionView],
    indikator: &str,
    keys: &Keys,
    old: Option<f64>,
    new: Option<f64>,
    maleenhet: &str,
) -> ChangedIndicator {
    let navn = definitions
        .iter()
        .find(|d| d.id == indikator)
        .map(|d| d.navn.clone())
        .or_else(|| {
            registry_definitions()
                .into_iter()
                .find(|d| d.id == indikator)
                .map(|d| d.navn)
        })
        .unwrap_or_else(|| indikator.to_string());
    let show = |v: Option<f64>| {
        v.map(|v| format::in_unit(v, maleenhet))
            .unwrap_or_else(|| format::PRIKKET.to_string())
    };
    ChangedIndicator {
        indikator: navn,
        celle: describe_cell(dataset, keys),
        forrige: show(old),
        na: show(new),
    }
}

/// Vedlegg C as listed: at most [`MAX_CHANGES`] moved cells, the rest counted in
/// [`ChangesView::ikke_vist`].
pub(super) fn listed(changes: &ChangesView) -> ChangesView {
    let mut c = changes.clone();
    if c.indikatorer.len() > MAX_CHANGES {
        c.ikke_vist += c.indikatorer.len() - MAX_CHANGES;
        c.indikatorer.truncate(MAX_CHANGES);
    }
    c
}

/// Vedlegg C in one line: what changed since the previous run, counted.
pub fn changes_summary(changes: Option<&ChangesView>) -> String {
    let Some(c) = changes else {
        return "Første kjøring: det finnes ingen tidligere kjøring å sammenligne med.".into();
    };
    let n = |count: usize, one: &str, many: &str| {
        (count > 0).then(|| format!("{count} {}", if count == 1 { one } else { many }))
    };
    let parts: Vec<String> = [
        n(c.filer_lagt_til.len(), "ny fil", "nye filer"),
        n(c.filer_endret.len(), "fil endret", "filer endret"),
        n(c.filer_fjernet.len(), "fil fjernet", "filer fjernet"),
        n(
            c.indikatorer.len() + c.ikke_vist,
            "indikatorverdi endret",
            "indikatorverdier endret",
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        "Endringer siden forrige kjøring: ingen.".into()
    } else {
        format!(
            "Endringer siden forrige kjøring: {} (se vedlegg C i prosjektrapporten).",
            parts.join(", ")
        )
    }
}

/// Vedlegg A's definitions, from the one indicator registry (never written twice).
pub fn registry_definitions() -> Vec<DefinitionView> {
    crate::indicators::registry::registry()
        .iter()
        .filter(|d| d.eksporteres || d.id == "topp_utfordringer")
        .map(|d| DefinitionView {
            id: d.id.into(),
            navn: d.navn.into(),
            formel: d.formel.into(),
            maleenhet: d.maleenhet.into(),
            grupperinger: d
                .grupperinger
                .iter()
                .map(|g| g.replace('_', " × "))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect()
}
