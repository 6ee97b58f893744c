//! Indicators: every formula of indicators.md, computed with Polars from the validated
//! [`Dataset`], suppressed once, and returned as a plain
//! [`IndicatorTable`] that the documents and exports read.
//!
//! Polars stays inside this module (`frames`); everything leaving it is plain Rust.
//! A new indicator (e.g. WISN, indicators.md §8) is a registry entry plus a stage module
//! that pushes rows, families and links into the `Draft`; disclosure control stays here.

pub mod bootstrap;
pub mod calendar;
pub mod export;
mod frames;
mod logs;
pub mod registry;
mod simd;
mod staffing;
pub mod suppress;
mod surveys;
pub mod table;
pub mod wisn;

pub use registry::{IndicatorDef, def, registry};
pub use table::{IndicatorRow, IndicatorTable, Keys, Merknad};

use std::collections::BTreeMap;

use crate::model::Dataset;

/// Settings that change indicator values.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorSettings {
    /// Minimum cell size for disclosure control (at least [`suppress::MIN_K`], by default
    /// [`suppress::DEFAULT_K`]).
    pub k: u32,
    /// Working time, activity standards and additional activities (§8).
    pub wisn: wisn::WisnSettings,
}

impl Default for IndicatorSettings {
    fn default() -> Self {
        IndicatorSettings {
            k: suppress::DEFAULT_K,
            wisn: wisn::WisnSettings::default(),
        }
    }
}

/// Rows before disclosure control, with what the control needs to know about them.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Draft {
    /// The rows, unsuppressed.
    pub(crate) rows: Vec<IndicatorRow>,
    /// Per row: the count the primary rule compares with `k` (`None`: the row has no
    /// primary rule). Counts, not verdicts, so that only [`disclose`] knows `k`.
    pub(crate) counts: Vec<Option<u64>>,
    /// Families of cells tied by additive relations.
    pub(crate) families: Vec<suppress::Family>,
    /// `(row, sources)`: the row is suppressed when any source is (changes, freed time).
    pub(crate) links: Vec<(usize, Vec<usize>)>,
}

impl Draft {
    /// Add a row with the count its primary rule compares with `k`; returns its index.
    pub(crate) fn push(&mut self, row: IndicatorRow, count: Option<u64>) -> usize {
        self.rows.push(row);
        self.counts.push(count);
        self.rows.len() - 1
    }

    /// Append another draft, renumbering its rows after ours.
    fn append(&mut self, other: Draft) {
        let off = self.rows.len();
        self.rows.extend(other.rows);
        self.counts.extend(other.counts);
        self.families
            .extend(other.families.into_iter().map(|mut f| {
                for c in &mut f.cells {
                    c.row = c.row.map(|r| r + off);
                }
                f
            }));
        self.links.extend(
            other
                .links
                .into_iter()
                .map(|(r, s)| (r + off, s.into_iter().map(|x| x + off).collect())),
        );
    }
}

/// One pilot's log indicators before disclosure control: what [`compute_incremental`]
/// takes back from an earlier run instead of that pilot's log rows. Opaque; serialisable
/// for the cache under `output/.cache/`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PilotDraft {
    draft: Draft,
    /// The pilot's logs summarised for the staffing-need model (§8).
    work: wisn::PilotWork,
}

/// A row with no interval, not suppressed.
pub(crate) fn new_row(
    indikator: &str,
    gruppering: &str,
    keys: Keys,
    verdi: Option<f64>,
    n: Option<u64>,
    maleenhet: &str,
) -> IndicatorRow {
    IndicatorRow {
        indikator: indikator.to_owned(),
        gruppering: gruppering.to_owned(),
        keys,
        verdi,
        nedre: None,
        ovre: None,
        n,
        maleenhet: maleenhet.to_owned(),
        prikket: false,
        serie: None,
        runde: None,
    }
}

/// Compute every indicator, then apply disclosure control.
pub fn compute(dataset: &Dataset, settings: &IndicatorSettings) -> anyhow::Result<IndicatorTable> {
    Ok(compute_incremental(dataset, settings, &BTreeMap::new())?.0)
}

/// [`compute`], taking the log indicators of the pilots in `earlier` from there: their
/// rows must not be in `dataset.logs`. No log indicator spans pilots, so each pilot's
/// draft depends on its own rows alone (and on the reference tables, which the caller's
/// cache key must cover; not on `k`). Returns the table and the drafts of the pilots
/// computed now.
pub fn compute_incremental(
    dataset: &Dataset,
    settings: &IndicatorSettings,
    earlier: &BTreeMap<String, PilotDraft>,
) -> anyhow::Result<(IndicatorTable, BTreeMap<String, PilotDraft>)> {
    let (table, fresh, _) = compute_cached(dataset, settings, earlier, None)?;
    Ok((table, fresh))
}

/// The survey indicators (§4, levels and changes between rounds) before disclosure control:
/// what [`compute_cached`] takes back from an earlier run when no survey, codebook, staffing,
/// activity or reference file changed (only logs did). Opaque; serialisable for the cache.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SurveyDraft {
    draft: Draft,
}

/// The survey indicators of `dataset` (its log rows are not read), as [`compute_cached`]
/// drafts them when it is given none: to draft them apart, e.g. while the logs are validated.
pub fn survey_draft(dataset: &Dataset) -> anyhow::Result<SurveyDraft> {
    let head = staffing::compute(dataset, &mut Draft::default())?;
    surveys_of(dataset, &head)
}

/// The survey indicators, given the staffing figures they divide by.
fn surveys_of(dataset: &Dataset, head: &staffing::Headcount) -> anyhow::Result<SurveyDraft> {
    let mut draft = Draft::default();
    surveys::compute(dataset, head, &mut draft)?;
    Ok(SurveyDraft { draft })
}

/// [`compute_incremental`], also taking the survey indicators from `surveys` when given: the
/// caller's cache key must cover every input but the logs (the survey rows refer only to
/// each other, so they are drafted apart and appended, giving the same table). Returns the
/// table, the pilots' drafts computed now and the survey draft.
pub fn compute_cached(
    dataset: &Dataset,
    settings: &IndicatorSettings,
    earlier: &BTreeMap<String, PilotDraft>,
    surveys: Option<SurveyDraft>,
) -> anyhow::Result<(IndicatorTable, BTreeMap<String, PilotDraft>, SurveyDraft)> {
    suppress::check_k(settings.k).map_err(anyhow::Error::msg)?;
    let mut draft = Draft::default();
    let head = staffing::compute(dataset, &mut draft)?;

    // The rows of each pilot, in their order within the data set.
    let mut per_pilot: BTreeMap<&str, Vec<&crate::model::LogRow>> = BTreeMap::new();
    for row in &dataset.logs {
        anyhow::ensure!(
            !earlier.contains_key(row.pilot_id.as_str()),
            "pilot `{}` has both log rows and an earlier draft",
            row.pilot_id
        );
        per_pilot
            .entry(row.pilot_id.as_str())
            .or_default()
            .push(row);
    }
    let mut fresh = BTreeMap::new();
    for (pilot, rows) in &per_pilot {
        fresh.insert((*pilot).to_owned(), pilot_draft(rows, &dataset.reference)?);
    }
    let mut pilots: Vec<(&String, &PilotDraft)> = earlier.iter().chain(&fresh).collect();
    pilots.sort_by_key(|(p, _)| *p);
    for (_, d) in &pilots {
        draft.append(d.draft.clone());
    }
    let works: BTreeMap<String, &wisn::PilotWork> = pilots
        .iter()
        .map(|(p, d)| ((*p).clone(), &d.work))
        .collect();
    let notes = wisn::compute(dataset, &settings.wisn, &works, &mut draft);
    let survey_draft = match surveys {
        Some(s) => s,
        None => surveys_of(dataset, &head)?,
    };
    draft.append(survey_draft.draft.clone());
    let mut table = disclose(draft, u64::from(settings.k));
    table.merknader = notes;
    Ok((table, fresh, survey_draft))
}

/// The log indicators of one pilot's rows (of any pilots' rows, in fact: each pilot's
/// rows give the same draft alone as together), before disclosure control: it does not
/// depend on `k`. The staffing-need summary is taken on a thread of its own beside the log
/// indicators (they share nothing but the rows).
pub fn pilot_draft(
    rows: &[&crate::model::LogRow],
    reference: &crate::model::Reference,
) -> anyhow::Result<PilotDraft> {
    let mut d = Draft::default();
    let work = std::thread::scope(|s| {
        let work = s.spawn(|| wisn::pilot_work(rows));
        logs::compute(rows, reference, &mut d)?;
        anyhow::Ok(work.join().expect("the staffing-need summary panicked"))
    })?;
    Ok(PilotDraft { draft: d, work })
}

/// Disclosure control, the one place that knows `k`: primary (a row whose count is below
/// `k`), secondary per family, then links; blank every suppressed row.
fn disclose(draft: Draft, k: u64) -> IndicatorTable {
    let Draft {
        mut rows,
        counts,
        families,
        links,
    } = draft;
    let mut suppressed: Vec<bool> = counts.iter().map(|c| c.is_some_and(|n| n < k)).collect();
    for fam in &families {
        fam.protect(&mut suppressed, k);
    }
    for (row, sources) in &links {
        if sources.iter().any(|s| suppressed[*s]) {
            suppressed[*row] = true;
        }
    }
    for (row, s) in rows.iter_mut().zip(&suppressed) {
        // −0 prints as "-0": publish plain zero.
        for v in [&mut row.verdi, &mut row.nedre, &mut row.ovre]
            .into_iter()
            .flatten()
        {
            if *v == 0.0 {
                *v = 0.0;
            }
        }
        if *s {
            row.prikket = true;
            row.verdi = None;
            row.n = None;
            row.nedre = None;
            row.ovre = None;
        }
    }
    let mut table = IndicatorTable {
        rows,
        ..IndicatorTable::default()
    };
    table.sort();
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft_with_counts(counts: &[Option<u64>]) -> Draft {
        let mut d = Draft::default();
        for (i, c) in counts.iter().enumerate() {
            let keys = Keys {
                pilot_id: Some(format!("p{i}")),
                ..Keys::default()
            };
            d.push(new_row("x", "pilot", keys, Some(1.0), Some(9), "andel"), *c);
        }
        d
    }

    #[test]
    fn disclosure_suppresses_the_rows_whose_count_is_below_k_and_nothing_else() {
        let counts = [Some(4), Some(5), None];
        let prikket = |k| -> Vec<bool> {
            disclose(draft_with_counts(&counts), k)
                .rows
                .iter()
                .map(|r| r.prikket)
                .collect()
        };
        assert_eq!(prikket(5), [true, false, false]);
        assert_eq!(prikket(3), [false, false, false]);
        assert_eq!(prikket(6), [true, true, false]);
    }

    #[test]
    fn k_below_three_is_refused_with_the_settings_name() {
        let err = compute(
            &Dataset::default(),
            &IndicatorSettings {
                k: 2,
                ..IndicatorSettings::default()
            },
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`prikking.k` is 2, but it may never be below 3"
        );
    }
}
