//! The template contract: plain serde view structs holding already formatted strings, built
//! from the indicator table (the only source of numbers), the dataset (names, pilot
//! descriptions), the per-file accounting and the run facts.
//!
//! Templates never see raw numbers: every value is a [`Celle`] (`tekst` + `prikket`) or a
//! formatted string. A missing value prints `..`, a suppressed one `–`.
//!
//! One module per part of the report: `capacity` (chapter 3), `surveys` (chapter 4),
//! `pilots` (chapters 6–8), [`wisn`] (the staffing need, chapter 5), `sources` (the data
//! basis, Vedlegg B and D) and `appendices` (definitions and changes, Vedlegg A and C); this
//! module holds what they share and puts the [`ReportView`] together.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::format;
use super::svg::Bar;
use super::{RenderInput, ReportMeta};
use crate::indicators::{IndicatorRow, IndicatorTable, Keys};
use crate::model::Dataset;

mod appendices;
mod capacity;
mod pilots;
mod sources;
mod surveys;
pub mod wisn;

pub use appendices::{
    ChangedIndicator, ChangesView, DefinitionView, MAX_CHANGES, changed_indicator, changes_summary,
    registry_definitions,
};
pub use capacity::HighestView;
pub use pilots::{PeriodView, PilotIndicatorView, PilotView, WorkflowStepView};
pub use sources::{FileView, SourceView};
pub use surveys::{
    AreaChangeView, AreaView, ChangeView, SurveyRateView, SurveyView, UnitChallengeView,
};

/// Staffing indicators, in table order.
pub const STAFFING: [&str; 10] = [
    "budsjetterte_arsverk",
    "besatte_arsverk",
    "bemanningsgrad",
    "ledige_arsverk",
    "vakansgrad",
    "langtidsledige_andel",
    "innleieandel",
    "spesialistandel",
    "turnover",
    "sykefravaer",
];

/// Staffing indicators also computed per `yrke` and `kompetansenivå`.
pub const STAFFING_BY_PROFESSION: [&str; 4] = [
    "budsjetterte_arsverk",
    "besatte_arsverk",
    "bemanningsgrad",
    "ledige_arsverk",
];

/// Task-sharing indicators shown per pilot (§7).
pub const TASK_SHARING: [&str; 5] = [
    "riktig_niva_andel",
    "overkvalifisert_andel",
    "underkvalifisert_andel",
    "spesialisttid_delegerbar_andel",
    "ny_yrkesgruppe_andel",
];

/// Coordination indicators shown per pilot (§8).
pub const COORDINATION: [&str; 3] = [
    "kommunesamarbeid_andel",
    "parorende_andel",
    "frivillige_andel",
];

pub use crate::model::{CHALLENGE_AREAS, TASK_AREAS};

/// One printed value: its text and whether it is suppressed (the template adds the
/// "Færre enn k svar" footnote).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Celle {
    /// Formatted value, `–` when suppressed, `..` when missing.
    pub tekst: String,
    /// Suppressed by disclosure control.
    pub prikket: bool,
}

impl Celle {
    pub(super) fn of(row: Option<&IndicatorRow>) -> Celle {
        Celle {
            tekst: format::row_value(row),
            prikket: row.is_some_and(|r| r.prikket),
        }
    }
    pub(super) fn missing() -> Celle {
        Celle {
            tekst: format::MANGLER.to_string(),
            prikket: false,
        }
    }
}

/// Run facts, formatted.
#[derive(Debug, Clone, Serialize)]
pub struct MetaView {
    /// Title.
    pub tittel: String,
    /// Subtitle.
    pub undertittel: String,
    /// Author (`Fra`).
    pub forfatter: String,
    /// Report date, `23. november 2026`.
    pub dato: String,
    /// Data version (short hash).
    pub dataversjon: String,
    /// Synthetic data: print the EKSEMPELDATA banner.
    pub eksempeldata: bool,
    /// Final build: no UTKAST.
    pub endelig: bool,
    /// Disclosure threshold, as text.
    pub k: String,
    /// `tsb-report` version.
    pub verktoyversjon: String,
    /// typst version.
    pub typstversjon: String,
    /// Settings as TOML text.
    pub innstillinger: String,
}

/// An entity (region, health trust, profession, level) with its indicator values by id.
#[derive(Debug, Clone, Serialize)]
pub struct EntityView {
    /// Id (`region`, `STO`, `psykologspesialist`, `4`).
    pub id: String,
    /// Display name.
    pub navn: String,
    /// A private provider (health trusts only).
    pub privat: bool,
    /// Indicator id → value.
    pub v: BTreeMap<String, Celle>,
}

/// A chart file and its alt text.
#[derive(Debug, Clone, Serialize)]
pub struct FigureView {
    /// Path relative to the build folder (`figurer/vakansgrad.svg`).
    pub fil: String,
    /// Alt text for screen readers.
    pub alt: String,
}

/// Everything a template sees.
#[derive(Debug, Clone, Serialize)]
pub struct ReportView {
    /// Run facts.
    pub meta: MetaView,
    /// Region values of every staffing indicator, by id.
    pub region: EntityView,
    /// Health trusts (every one in the reference table), with staffing values.
    pub foretak: Vec<EntityView>,
    /// Professions with staffing values (first four indicators).
    pub yrker: Vec<EntityView>,
    /// Competence levels with staffing values (first four indicators).
    pub nivaer: Vec<EntityView>,
    /// The health trust with the highest vacancy rate, if any is published.
    pub hoyest_vakans: Option<HighestView>,
    /// Staffing snapshot dates, first and last: `1. januar 2026 – 1. oktober 2026`.
    pub bemanningsperiode: String,
    /// The current staff survey, if any.
    pub undersokelse: Option<SurveyView>,
    /// Chapter 4: the current round of every staff-survey series, the headline
    /// ([`ReportView::undersokelse`]) first, then the other series in key order (the order of
    /// [`SurveyView::andre`]); empty when there is no staff survey. Chart files are unique per
    /// series: the headline's are `figurer/utfordringer.svg` and
    /// `figurer/utfordringer-endring.svg`, the n-th series' (n ≥ 2) `figurer/utfordringer-n.svg`
    /// and `figurer/utfordringer-n-endring.svg`.
    pub ansattserier: Vec<SurveyView>,
    /// Every survey with its region response rate.
    pub undersokelser: Vec<SurveyRateView>,
    /// Pilots.
    pub piloter: Vec<PilotView>,
    /// Charts by name: `vakansgrad`, `niva`.
    pub figurer: BTreeMap<String, FigureView>,
    /// Per-kind totals.
    pub kilder: Vec<SourceView>,
    /// Per-file accounting.
    pub filer: Vec<FileView>,
    /// Indicator definitions (Vedlegg A).
    pub definisjoner: Vec<DefinitionView>,
    /// Changes since the last run (Vedlegg C); `None` on the first run.
    pub endringer: Option<ChangesView>,
    /// Vedlegg C in one line, for the board briefing: `Endringer siden forrige kjøring: 1 ny
    /// fil, 3 indikatorverdier endret.` or `Første kjøring …`.
    pub endringer_kort: String,
    /// Candidate recommendations from the rules in `tsb-report.toml` (§9).
    pub regler: super::rules::RulesView,
    /// Staffing need (WISN) and what spreading each pilot would free (indicators.md §8).
    pub wisn: wisn::WisnView,
}

/// A chart to write: path and SVG text.
pub type Chart = (String, String);

/// What the view builders share: the table, the dataset and the indicator names.
pub(super) struct Ctx<'a> {
    pub(super) table: &'a IndicatorTable,
    pub(super) dataset: &'a Dataset,
    pub(super) names: BTreeMap<String, String>,
    /// The table's rows of each indicator and grouping, by index, in table order: a lookup
    /// reads one group instead of the whole table (the documents look up thousands of cells).
    groups: HashMap<&'a str, HashMap<&'a str, Vec<usize>>>,
}

impl<'a> Ctx<'a> {
    /// The context for `input`: indicator names from its definitions, then the registry.
    pub(super) fn new(input: &RenderInput<'a>) -> Ctx<'a> {
        let names: BTreeMap<String, String> = input
            .definitions
            .iter()
            .map(|d| (d.id.clone(), d.navn.clone()))
            .chain(registry_definitions().into_iter().map(|d| (d.id, d.navn)))
            .rev()
            .collect();
        let mut groups: HashMap<&str, HashMap<&str, Vec<usize>>> = HashMap::new();
        for (i, r) in input.table.rows.iter().enumerate() {
            groups
                .entry(r.indikator.as_str())
                .or_default()
                .entry(r.gruppering.as_str())
                .or_default()
                .push(i);
        }
        Ctx {
            table: input.table,
            dataset: input.dataset,
            names,
            groups,
        }
    }
    /// The first row of `id` at `grouping` whose keys equal `keys` (as
    /// [`IndicatorTable::get`]).
    pub(super) fn row(&self, id: &str, grouping: &str, keys: &Keys) -> Option<&'a IndicatorRow> {
        self.select(id, grouping).find(|r| &r.keys == keys)
    }
    /// Every row of `id` at `grouping`, in table order (as [`IndicatorTable::select`]).
    pub(super) fn select(
        &self,
        id: &str,
        grouping: &str,
    ) -> impl Iterator<Item = &'a IndicatorRow> + use<'_, 'a> {
        let table: &'a IndicatorTable = self.table;
        self.groups
            .get(id)
            .and_then(|g| g.get(grouping))
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(move |&i| &table.rows[i])
    }
    pub(super) fn cell(&self, id: &str, grouping: &str, keys: &Keys) -> Celle {
        Celle::of(self.row(id, grouping, keys))
    }
    pub(super) fn name(&self, id: &str) -> String {
        self.names
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }
    pub(super) fn foretak_name(&self, id: &str) -> String {
        self.dataset
            .reference
            .foretak(id)
            .map(|f| f.navn.clone())
            .unwrap_or_else(|| id.to_string())
    }
    pub(super) fn enhet_name(&self, id: &str) -> String {
        self.dataset
            .reference
            .enhet(id)
            .map(|e| e.navn.clone())
            .unwrap_or_else(|| id.to_string())
    }
    pub(super) fn yrke_name(&self, id: &str) -> String {
        self.dataset
            .reference
            .yrke(id)
            .map(|y| y.navn.clone())
            .unwrap_or_else(|| id.to_string())
    }
}

fn order_by<'s>(ids: impl IntoIterator<Item = &'s str>, order: &[&str]) -> Vec<String> {
    let set: BTreeSet<&str> = ids.into_iter().collect();
    let mut out: Vec<String> = order
        .iter()
        .filter(|a| set.contains(**a))
        .map(|a| a.to_string())
        .collect();
    out.extend(
        set.iter()
            .filter(|a| !order.contains(a))
            .map(|a| a.to_string()),
    );
    out
}

pub(super) fn keys() -> Keys {
    Keys::default()
}

fn entity(
    ctx: &Ctx<'_>,
    id: &str,
    navn: String,
    privat: bool,
    grouping: &str,
    k: &Keys,
    ids: &[&str],
) -> EntityView {
    let v = ids
        .iter()
        .map(|i| (i.to_string(), ctx.cell(i, grouping, k)))
        .collect();
    EntityView {
        id: id.to_string(),
        navn,
        privat,
        v,
    }
}

fn pct_tick(v: f64) -> String {
    format!("{}{}%", format::number(v, 0), format::NBSP)
}

fn num_tick(v: f64) -> String {
    if v.fract().abs() < 1e-9 {
        format::number(v, 0)
    } else {
        format::number(v, 1)
    }
}

/// Build the view and the charts.
pub fn build(input: &RenderInput<'_>) -> (ReportView, Vec<Chart>) {
    let ctx = Ctx::new(input);
    let mut charts = Vec::new();
    let mut figurer = BTreeMap::new();
    let capacity = capacity::build(&ctx, &mut charts, &mut figurer);
    let undersokelser = surveys::survey_rates(&ctx);
    let undersokelse = surveys::current_survey(&ctx, &mut charts);
    let ansattserier = surveys::staff_series(&ctx, undersokelse.as_ref(), &mut charts);
    let piloter = input
        .dataset
        .pilots
        .iter()
        .enumerate()
        .map(|(i, p)| pilots::pilot_view(&ctx, i + 1, p, &mut charts))
        .collect();
    let (kilder, filer) = sources::files(input);
    let definisjoner = if input.definitions.is_empty() {
        registry_definitions()
    } else {
        input.definitions.to_vec()
    };
    let wisn = wisn::build(&ctx, &mut charts);
    let view = ReportView {
        wisn,
        meta: meta_view(input.meta),
        region: capacity.region,
        foretak: capacity.foretak,
        yrker: capacity.yrker,
        nivaer: capacity.nivaer,
        hoyest_vakans: capacity.hoyest_vakans,
        bemanningsperiode: capacity.bemanningsperiode,
        undersokelse,
        ansattserier,
        undersokelser,
        piloter,
        figurer,
        kilder,
        filer,
        definisjoner,
        endringer_kort: changes_summary(input.changes),
        regler: super::rules::evaluate_rules(input.anbefalinger, input.table, input.dataset),
        endringer: input.changes.map(appendices::listed),
    };
    (view, charts)
}

fn push_chart(
    charts: &mut Vec<Chart>,
    figurer: &mut BTreeMap<String, FigureView>,
    name: &str,
    alt: String,
    svg: String,
) {
    let fil = format!("figurer/{name}.svg");
    charts.push((fil.clone(), svg));
    figurer.insert(name.to_string(), FigureView { fil, alt });
}

/// A chart bar for an indicator row: its value times `scale`, or a suppressed or missing bar.
pub(super) fn bar_of(row: Option<&IndicatorRow>, scale: f64) -> Bar {
    match row {
        Some(r) if r.prikket => Bar {
            suppressed: true,
            label: format::PRIKKET.into(),
            ..Bar::default()
        },
        Some(r) => Bar {
            value: r.verdi.map(|v| v * scale),
            label: format::row_value(Some(r)),
            ..Bar::default()
        },
        None => Bar {
            label: format::MANGLER.into(),
            ..Bar::default()
        },
    }
}

fn meta_view(m: &ReportMeta) -> MetaView {
    MetaView {
        tittel: m.title.clone(),
        undertittel: m.subtitle.clone(),
        forfatter: m.author.clone(),
        dato: m
            .date
            .map(format::date)
            .unwrap_or_else(|| format::MANGLER.to_string()),
        dataversjon: m.data_version.clone(),
        eksempeldata: m.is_sample,
        endelig: m.is_final,
        k: m.k.to_string(),
        verktoyversjon: m.tool_version.clone(),
        typstversjon: m.typst_version.clone(),
        innstillinger: m.settings_text.clone(),
    }
}

fn judge(row: Option<&IndicatorRow>) -> (String, bool) {
    match row {
        Some(r) if !r.prikket => match (r.nedre, r.ovre) {
            (Some(lo), Some(_)) if lo > 0.0 => ("sikker økning".into(), true),
            (Some(lo), Some(hi)) if hi < 0.0 && lo <= hi => ("sikker nedgang".into(), true),
            (Some(_), Some(_)) => ("ingen sikker endring".into(), false),
            _ => (String::new(), false),
        },
        _ => (String::new(), false),
    }
}
