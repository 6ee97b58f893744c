//! The template contract: plain serde view structs holding already formatted strings, built
//! from the indicator table (the only source of numbers), the dataset (names, pilot
//! descriptions), the per-file accounting and the run facts.
//!
//! Templates never see raw numbers: every value is a [`Celle`] (`tekst` + `prikket`) or a
//! formatted string. A missing value prints `..`, a suppressed one `–`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::format;
use super::names::{area_name, describe_cell, level_name};
use super::{RenderInput, ReportMeta};
use crate::indicators::{IndicatorRow, IndicatorTable, Keys};
use crate::model::{Dataset, Ownership};

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

/// A challenge area's region values in the current staff survey.
#[derive(Debug, Clone, Serialize)]
pub struct AreaView {
    /// Area id.
    pub id: String,
    /// Display name.
    pub navn: String,
    /// `utfordring_score`.
    pub skar: Celle,
    /// `utfordring_andel`.
    pub andel: Celle,
}

/// One unit's row in the heat map.
#[derive(Debug, Clone, Serialize)]
pub struct UnitChallengeView {
    /// Unit id.
    pub id: String,
    /// Unit name.
    pub navn: String,
    /// Health trust name.
    pub foretak: String,
    /// Scores per area, in [`SurveyView::omrader`] order.
    pub celler: Vec<Celle>,
    /// Always three: the highest-scoring published areas, `Kapasitet (3,9)`; then `–`
    /// (suppressed) or `..` (missing).
    pub topp: Vec<Celle>,
    /// Response rate.
    pub svarprosent: Celle,
}

/// The current round (latest by date, data-contract §6.2) of a staff-survey series: in
/// [`ReportView::undersokelse`], of the series with the latest round.
#[derive(Debug, Clone, Serialize)]
pub struct SurveyView {
    /// Survey key (export file stem).
    pub nokkel: String,
    /// The series.
    pub serie: String,
    /// The round's date, Norwegian long form (`15. mars 2026`); empty when unknown.
    pub runde: String,
    /// The change since the previous round of the series, if there is one.
    pub endring: Option<ChangeView>,
    /// The current rounds of the other staff-survey series, with n and response rate.
    pub andre: Vec<SurveyRateView>,
    /// Areas (columns of the heat map), in display order, with region values.
    pub omrader: Vec<AreaView>,
    /// The region's three largest challenges, highest score first.
    pub storste: Vec<AreaView>,
    /// Units with at least one area value.
    pub enheter: Vec<UnitChallengeView>,
    /// Region response rate.
    pub svarprosent: Celle,
    /// Region number of responses (`antall_svar`).
    pub n: Celle,
    /// Region share considering leaving.
    pub vurderer_a_slutte: Celle,
    /// Region share of time on tasks others could do.
    pub tid_andre_kunne_gjort: Celle,
    /// Per health trust: share considering leaving, time others could do, response rate.
    pub foretak: Vec<EntityView>,
    /// Per profession: time others could do, share considering leaving.
    pub yrker: Vec<EntityView>,
    /// The heat map.
    pub figur: FigureView,
}

/// The change between two rounds of a series (indicators.md §4).
#[derive(Debug, Clone, Serialize)]
pub struct ChangeView {
    /// The previous round's survey key.
    pub forrige: String,
    /// The previous round's date, long form.
    pub forrige_runde: String,
    /// Per area, in display order: both levels and the change.
    pub omrader: Vec<AreaChangeView>,
    /// Considering leaving (region): both levels and the change in percentage points.
    pub vurderer_a_slutte: AreaChangeView,
    /// The chart: both rounds' scores per area.
    pub figur: FigureView,
}

/// One area's (or measure's) region values in two rounds and the change.
#[derive(Debug, Clone, Serialize)]
pub struct AreaChangeView {
    /// Display name.
    pub navn: String,
    /// The previous round's value.
    pub forrige: Celle,
    /// The current round's value.
    pub siste: Celle,
    /// The change, signed.
    pub endring: Celle,
    /// The 95 % interval, `−0,4 til 0,1`; empty when suppressed or missing.
    pub intervall: String,
    /// `sikker økning`, `sikker nedgang`, `ingen sikker endring` or empty.
    pub vurdering: String,
}

/// A survey's key and region response rate (Datagrunnlag).
#[derive(Debug, Clone, Serialize)]
pub struct SurveyRateView {
    /// Survey key.
    pub nokkel: String,
    /// Its series.
    pub serie: String,
    /// Its round's date, long form; empty when unknown.
    pub runde: String,
    /// Respondents (`antall_svar`).
    pub n: Celle,
    /// Region response rate.
    pub svarprosent: Celle,
}

/// A chart file and its alt text.
#[derive(Debug, Clone, Serialize)]
pub struct FigureView {
    /// Path relative to the build folder (`figurer/vakansgrad.svg`).
    pub fil: String,
    /// Alt text for screen readers.
    pub alt: String,
}

/// A pilot's before/after value of one indicator.
#[derive(Debug, Clone, Serialize)]
pub struct PilotIndicatorView {
    /// Indicator id.
    pub id: String,
    /// Indicator name.
    pub navn: String,
    /// Before the pilot.
    pub for_: Celle,
    /// During the pilot.
    pub pilot: Celle,
    /// Change, in percentage points (short form `+5,2`) or hours.
    pub endring: Celle,
    /// Change in words: `+5,2 prosentpoeng`.
    pub endring_tekst: String,
    /// 95 % interval, `+1,0 til +9,4`; empty when none.
    pub intervall: String,
    /// `sikker økning`, `sikker nedgang`, `ingen sikker endring` or empty.
    pub vurdering: String,
    /// The interval excludes 0.
    pub sikker: bool,
}

/// One step of a pilot's workflow.
#[derive(Debug, Clone, Serialize)]
pub struct WorkflowStepView {
    /// Step.
    pub steg: String,
    /// Task name, or empty.
    pub oppgave: String,
    /// Profession before.
    pub fra: String,
    /// Profession in the pilot.
    pub til: String,
}

/// A pilot phase's period.
#[derive(Debug, Clone, Serialize)]
pub struct PeriodView {
    /// `Før` or `Pilot`.
    pub fase: String,
    /// First day.
    pub fra: String,
    /// Last day.
    pub til: String,
}

/// One pilot.
#[derive(Debug, Clone, Serialize)]
pub struct PilotView {
    /// Pilot id.
    pub id: String,
    /// Name.
    pub navn: String,
    /// What changes.
    pub beskrivelse: String,
    /// Health trust names, joined.
    pub foretak: String,
    /// Unit names, joined.
    pub enheter: String,
    /// Professions whose role changes, joined.
    pub nye_roller: String,
    /// Periods.
    pub perioder: Vec<PeriodView>,
    /// Mapped workflow.
    pub arbeidsflyt: Vec<WorkflowStepView>,
    /// Task-sharing indicators (§7).
    pub oppgavedeling: Vec<PilotIndicatorView>,
    /// Coordination indicators (§8).
    pub samhandling: Vec<PilotIndicatorView>,
    /// All of the above by id.
    pub ind: BTreeMap<String, PilotIndicatorView>,
    /// Freed specialist time, hours per week.
    pub frigjort: PilotIndicatorView,
    /// The right-level share rose reliably.
    pub sikker_forbedring: bool,
    /// Before/after chart.
    pub figur: FigureView,
    /// Minutes by area and level, if the table has them.
    pub minutter_figur: Option<FigureView>,
}

/// Per-file data quality and provenance.
#[derive(Debug, Clone, Serialize)]
pub struct FileView {
    /// Path under the data folder.
    pub sti: String,
    /// Kind.
    pub type_: String,
    /// Status.
    pub status: String,
    /// Size in bytes.
    pub bytes: String,
    /// SHA-256.
    pub sha256: String,
    /// Rows read.
    pub lest: String,
    /// Rows used.
    pub brukt: String,
    /// Rows quarantined.
    pub karantene: String,
    /// Reasons with counts: `ukjent enhet (3)`.
    pub arsaker: Vec<String>,
    /// Warnings.
    pub advarsler: Vec<String>,
}

/// Per-kind file totals (Datagrunnlag).
#[derive(Debug, Clone, Serialize)]
pub struct SourceView {
    /// Kind.
    pub type_: String,
    /// Number of files.
    pub filer: String,
    /// Rows read.
    pub lest: String,
    /// Rows used.
    pub brukt: String,
    /// Rows quarantined.
    pub karantene: String,
}

/// The health trust with the highest vacancy rate.
#[derive(Debug, Clone, Serialize)]
pub struct HighestView {
    /// Name.
    pub navn: String,
    /// Vacancy rate.
    pub vakansgrad: String,
    /// Vacant FTE.
    pub ledige_arsverk: String,
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
    pub wisn: super::wisn::WisnView,
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

/// A chart to write: path and SVG text.
pub type Chart = (String, String);

/// What the view builders share: the table, the dataset and the indicator names.
pub(super) struct Ctx<'a> {
    pub(super) table: &'a IndicatorTable,
    pub(super) dataset: &'a Dataset,
    pub(super) names: BTreeMap<String, String>,
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
        Ctx {
            table: input.table,
            dataset: input.dataset,
            names,
        }
    }
    pub(super) fn row(&self, id: &str, grouping: &str, keys: &Keys) -> Option<&'a IndicatorRow> {
        self.table.get(id, grouping, keys)
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

    let region = entity(
        &ctx,
        "region",
        "Helse Midt-Norge".into(),
        false,
        "region",
        &keys(),
        &STAFFING,
    );
    let foretak: Vec<EntityView> = input
        .dataset
        .reference
        .foretak
        .iter()
        .map(|f| {
            let k = Keys {
                foretak_id: Some(f.id.clone()),
                ..keys()
            };
            entity(
                &ctx,
                &f.id,
                f.navn.clone(),
                f.eierskap == Ownership::Privat,
                "foretak",
                &k,
                &STAFFING,
            )
        })
        .collect();
    let yrke_ids: BTreeSet<String> = input
        .table
        .select("besatte_arsverk", "yrke")
        .filter_map(|r| r.keys.yrke_id.clone())
        .collect();
    let yrker: Vec<EntityView> = yrke_ids
        .iter()
        .filter(|id| {
            input
                .table
                .select("besatte_arsverk", "yrke")
                .any(|r| r.keys.yrke_id.as_deref() == Some(id) && r.keys.dato.is_none())
        })
        .map(|id| {
            let k = Keys {
                yrke_id: Some(id.clone()),
                ..keys()
            };
            entity(
                &ctx,
                id,
                ctx.yrke_name(id),
                false,
                "yrke",
                &k,
                &STAFFING_BY_PROFESSION,
            )
        })
        .collect();
    let levels: BTreeSet<u8> = input
        .table
        .select("besatte_arsverk", "kompetansenivå")
        .filter(|r| r.keys.dato.is_none())
        .filter_map(|r| r.keys.kompetanseniva)
        .collect();
    let nivaer: Vec<EntityView> = levels
        .iter()
        .map(|l| {
            let k = Keys {
                kompetanseniva: Some(*l),
                ..keys()
            };
            entity(
                &ctx,
                &l.to_string(),
                level_name(*l),
                false,
                "kompetansenivå",
                &k,
                &STAFFING_BY_PROFESSION,
            )
        })
        .collect();

    let hoyest_vakans = input
        .dataset
        .reference
        .foretak
        .iter()
        .filter_map(|f| {
            let k = Keys {
                foretak_id: Some(f.id.clone()),
                ..keys()
            };
            let r = ctx.row("vakansgrad", "foretak", &k)?;
            let v = r.verdi.filter(|_| !r.prikket)?;
            Some((v, f))
        })
        .fold(
            None::<(f64, &crate::model::Foretak)>,
            |best, (v, f)| match best {
                Some((bv, _)) if bv >= v => best,
                _ => Some((v, f)),
            },
        )
        .map(|(v, f)| {
            let k = Keys {
                foretak_id: Some(f.id.clone()),
                ..keys()
            };
            HighestView {
                navn: f.navn.clone(),
                vakansgrad: format::percent(v),
                ledige_arsverk: ctx.cell("ledige_arsverk", "foretak", &k).tekst,
            }
        });

    let dates: BTreeSet<&str> = input
        .table
        .select("besatte_arsverk", "region")
        .filter_map(|r| r.keys.dato.as_deref())
        .collect();
    let bemanningsperiode = match (dates.first(), dates.last()) {
        (Some(a), Some(b)) if a != b => {
            format!("{} – {}", format::date_str(a), format::date_str(b))
        }
        (Some(a), _) => format::date_str(a),
        _ => format::MANGLER.to_string(),
    };

    // Vacancy rate per health trust.
    let vak_bars: Vec<Bar> = foretak
        .iter()
        .map(|f| {
            let k = Keys {
                foretak_id: Some(f.id.clone()),
                ..keys()
            };
            bar_of(ctx.row("vakansgrad", "foretak", &k), 100.0)
        })
        .collect();
    let alt = format!(
        "Stolpediagram: vakansgrad per helseforetak. {}.",
        foretak
            .iter()
            .map(|f| format!("{} {}", f.navn, f.v["vakansgrad"].tekst))
            .collect::<Vec<_>>()
            .join("; ")
    );
    push_chart(
        &mut charts,
        &mut figurer,
        "vakansgrad",
        alt,
        super::svg::bar_chart(&BarChart {
            categories: foretak.iter().map(|f| f.navn.clone()).collect(),
            series: vec![Series {
                name: "Vakansgrad".into(),
                bars: vak_bars,
            }],
            max: None,
            tick: pct_tick,
        }),
    );
    // Budgeted and filled FTE per competence level.
    let niva_series = ["budsjetterte_arsverk", "besatte_arsverk"]
        .iter()
        .map(|id| Series {
            name: ctx.name(id),
            bars: levels
                .iter()
                .map(|l| {
                    bar_of(
                        ctx.row(
                            id,
                            "kompetansenivå",
                            &Keys {
                                kompetanseniva: Some(*l),
                                ..keys()
                            },
                        ),
                        1.0,
                    )
                })
                .collect(),
        })
        .collect();
    let alt = format!(
        "Stolpediagram: budsjetterte og besatte årsverk per kompetansenivå. {}.",
        nivaer
            .iter()
            .map(|n| format!(
                "{}: {} budsjettert, {} besatt",
                n.navn, n.v["budsjetterte_arsverk"].tekst, n.v["besatte_arsverk"].tekst
            ))
            .collect::<Vec<_>>()
            .join("; ")
    );
    push_chart(
        &mut charts,
        &mut figurer,
        "niva",
        alt,
        super::svg::bar_chart(&BarChart {
            categories: nivaer.iter().map(|n| n.navn.clone()).collect(),
            series: niva_series,
            max: None,
            tick: num_tick,
        }),
    );

    let undersokelser = survey_rates(&ctx);
    let undersokelse = current_survey(&ctx, &mut charts);
    let ansattserier = staff_series(&ctx, undersokelse.as_ref(), &mut charts);
    let piloter = input
        .dataset
        .pilots
        .iter()
        .enumerate()
        .map(|(i, p)| pilot_view(&ctx, i + 1, p, &mut charts))
        .collect();

    let (kilder, filer) = files(input);
    let definisjoner = if input.definitions.is_empty() {
        registry_definitions()
    } else {
        input.definitions.to_vec()
    };

    let wisn = super::wisn::build(&ctx, &mut charts);
    let view = ReportView {
        wisn,
        meta: meta_view(input.meta),
        region,
        foretak,
        yrker,
        nivaer,
        hoyest_vakans,
        bemanningsperiode,
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
        endringer: input.changes.map(|c| {
            let mut c = c.clone();
            if c.indikatorer.len() > MAX_CHANGES {
                c.ikke_vist += c.indikatorer.len() - MAX_CHANGES;
                c.indikatorer.truncate(MAX_CHANGES);
            }
            c
        }),
    };
    (view, charts)
}

use super::svg::{Bar, BarChart, Series};

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

/// Survey keys that are staff surveys: those with a response rate (only staff surveys have
/// one); all survey keys if none has.
fn staff_surveys(table: &IndicatorTable) -> BTreeSet<String> {
    let with_rate: BTreeSet<String> = table
        .select("svarprosent", "region")
        .filter_map(|r| r.keys.undersokelse.clone())
        .collect();
    if !with_rate.is_empty() {
        return with_rate;
    }
    table
        .rows
        .iter()
        .filter(|r| r.indikator == "utfordring_score")
        .filter_map(|r| r.keys.undersokelse.clone())
        .collect()
}

fn survey_rates(ctx: &Ctx<'_>) -> Vec<SurveyRateView> {
    let all: BTreeSet<String> = ctx
        .table
        .rows
        .iter()
        .filter(|r| r.gruppering == "region" && r.keys.undersokelse.is_some())
        .filter_map(|r| r.keys.undersokelse.clone())
        .collect();
    all.into_iter()
        .map(|s| {
            let k = Keys {
                undersokelse: Some(s.clone()),
                ..keys()
            };
            let (serie, runde) = round_of(ctx.table, &s);
            SurveyRateView {
                svarprosent: ctx.cell("svarprosent", "region", &k),
                n: ctx.cell("antall_svar", "region", &k),
                serie: serie.unwrap_or_else(|| s.clone()),
                runde: runde.map(|r| format::date_str(&r)).unwrap_or_default(),
                nokkel: s,
            }
        })
        .collect()
}

/// A survey's series and round date (`yyyy-mm-dd`), from its rows.
fn round_of(table: &IndicatorTable, key: &str) -> (Option<String>, Option<String>) {
    table
        .rows
        .iter()
        .find(|r| r.keys.undersokelse.as_deref() == Some(key) && r.runde.is_some())
        .map_or((None, None), |r| (r.serie.clone(), r.runde.clone()))
}

/// The headline staff survey: the latest round by date (never by file name); surveys
/// without a round date (tables built by hand) sort first, then by key.
fn latest_round(table: &IndicatorTable, keys: BTreeSet<String>) -> Option<String> {
    keys.into_iter()
        .map(|k| (round_of(table, &k).1, k))
        .max()
        .map(|(_, k)| k)
}

/// The previous round of `key`'s series: the survey with the same series and the latest
/// round date before it.
fn previous_round(table: &IndicatorTable, key: &str) -> Option<(String, String)> {
    let (Some(serie), Some(runde)) = round_of(table, key) else {
        return None;
    };
    let mut best: Option<(String, String)> = None;
    for r in &table.rows {
        if let (Some(u), Some(s), Some(d)) = (&r.keys.undersokelse, &r.serie, &r.runde)
            && s == &serie
            && d < &runde
            && best.as_ref().is_none_or(|(bd, bu)| (d, u) > (bd, bu))
        {
            best = Some((d.clone(), u.clone()));
        }
    }
    best.map(|(d, u)| (u, d))
}

/// A change cell with its interval and judgement.
fn change_cell(
    ctx: &Ctx<'_>,
    navn: String,
    level: &str,
    change: &str,
    cur: &Keys,
    prev: &Keys,
) -> AreaChangeView {
    let row = ctx.row(change, "region", cur);
    let (vurdering, _) = judge(row);
    let shown = |x: f64| match change {
        "vurderer_a_slutte_endring" => format::points_short(x),
        _ => {
            let t = format::score(x);
            if t.starts_with('−') || t.chars().all(|c| c == '0' || c == ',') {
                t
            } else {
                format!("+{t}")
            }
        }
    };
    let endring = match row {
        Some(r) if r.prikket => Celle::of(Some(r)),
        Some(r) => match r.verdi {
            Some(v) => Celle {
                tekst: shown(v),
                prikket: false,
            },
            None => Celle::missing(),
        },
        None => Celle::missing(),
    };
    let intervall = match row {
        Some(r) if !r.prikket => match (r.nedre, r.ovre) {
            (Some(lo), Some(hi)) => format!("{} til {}", shown(lo), shown(hi)),
            _ => String::new(),
        },
        _ => String::new(),
    };
    AreaChangeView {
        navn,
        forrige: ctx.cell(level, "region", prev),
        siste: ctx.cell(level, "region", cur),
        endring,
        intervall,
        vurdering,
    }
}

/// Chapter 4's change section: both rounds per area, and the change with its interval.
fn change_view(
    ctx: &Ctx<'_>,
    key: &str,
    area_ids: &[String],
    fil: String,
    charts: &mut Vec<Chart>,
) -> Option<ChangeView> {
    let (prev, prev_runde) = previous_round(ctx.table, key)?;
    let kk = |u: &str, a: Option<&String>| Keys {
        undersokelse: Some(u.to_string()),
        omrade: a.cloned(),
        ..keys()
    };
    let omrader: Vec<AreaChangeView> = area_ids
        .iter()
        .map(|a| {
            change_cell(
                ctx,
                area_name(a),
                "utfordring_score",
                "utfordring_score_endring",
                &kk(key, Some(a)),
                &kk(&prev, Some(a)),
            )
        })
        .collect();
    let vurderer_a_slutte = change_cell(
        ctx,
        ctx.name("vurderer_a_slutte_andel"),
        "vurderer_a_slutte_andel",
        "vurderer_a_slutte_endring",
        &kk(key, None),
        &kk(&prev, None),
    );
    let bar = |u: &str, a: &String| {
        let r = ctx.row("utfordring_score", "region", &kk(u, Some(a)));
        super::svg::Bar {
            value: r.filter(|r| !r.prikket).and_then(|r| r.verdi),
            label: format::row_value(r),
            interval: None,
            suppressed: r.is_some_and(|r| r.prikket),
        }
    };
    let forrige_runde = format::date_str(&prev_runde);
    let siste_runde = round_of(ctx.table, key)
        .1
        .map(|r| format::date_str(&r))
        .unwrap_or_default();
    let svg = super::svg::bar_chart(&BarChart {
        categories: area_ids.iter().map(|a| area_name(a)).collect(),
        series: vec![
            Series {
                name: format!("Forrige runde ({forrige_runde})"),
                bars: area_ids.iter().map(|a| bar(&prev, a)).collect(),
            },
            Series {
                name: format!("Siste runde ({siste_runde})"),
                bars: area_ids.iter().map(|a| bar(key, a)).collect(),
            },
        ],
        max: Some(5.0),
        tick: num_tick,
    });
    charts.push((fil.clone(), svg));
    let alt = format!(
        "Stolpediagram: utfordringsskår (1–5) per område i forrige runde ({forrige_runde}) og siste runde ({siste_runde}). {}",
        omrader
            .iter()
            .map(|o| format!(
                "{}: {} til {}{}",
                o.navn,
                o.forrige.tekst,
                o.siste.tekst,
                if o.vurdering.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", o.vurdering)
                }
            ))
            .collect::<Vec<_>>()
            .join("; ")
    );
    Some(ChangeView {
        forrige: prev,
        forrige_runde,
        omrader,
        vurderer_a_slutte,
        figur: FigureView { fil, alt },
    })
}

fn current_survey(ctx: &Ctx<'_>, charts: &mut Vec<Chart>) -> Option<SurveyView> {
    let key = latest_round(ctx.table, staff_surveys(ctx.table))?;
    Some(survey_view(ctx, key, "", charts))
}

/// [`ReportView::ansattserier`]: the headline, then the current round of every other
/// staff-survey series ([`SurveyView::andre`]), each with its own charts.
fn staff_series(
    ctx: &Ctx<'_>,
    headline: Option<&SurveyView>,
    charts: &mut Vec<Chart>,
) -> Vec<SurveyView> {
    let Some(h) = headline else {
        return Vec::new();
    };
    let mut all = vec![h.clone()];
    for (i, s) in h.andre.iter().enumerate() {
        all.push(survey_view(
            ctx,
            s.nokkel.clone(),
            &format!("-{}", i + 2),
            charts,
        ));
    }
    all
}

/// Chapter 4's view of one survey round; `suffix` makes its chart file names unique
/// (`figurer/utfordringer{suffix}.svg`, `figurer/utfordringer{suffix}-endring.svg`).
fn survey_view(ctx: &Ctx<'_>, key: String, suffix: &str, charts: &mut Vec<Chart>) -> SurveyView {
    let sk = |extra: Keys| Keys {
        undersokelse: Some(key.clone()),
        ..extra
    };
    let area_ids = order_by(
        ctx.table
            .rows
            .iter()
            .filter(|r| {
                r.indikator == "utfordring_score"
                    && r.keys.undersokelse.as_deref() == Some(key.as_str())
            })
            .filter_map(|r| r.keys.omrade.as_deref()),
        &CHALLENGE_AREAS,
    );
    let omrader: Vec<AreaView> = area_ids
        .iter()
        .map(|a| {
            let k = sk(Keys {
                omrade: Some(a.clone()),
                ..keys()
            });
            AreaView {
                id: a.clone(),
                navn: area_name(a),
                skar: ctx.cell("utfordring_score", "region", &k),
                andel: ctx.cell("utfordring_andel", "region", &k),
            }
        })
        .collect();
    let mut ranked: Vec<(f64, usize)> = area_ids
        .iter()
        .enumerate()
        .filter_map(|(i, a)| {
            let r = ctx.row(
                "utfordring_score",
                "region",
                &sk(Keys {
                    omrade: Some(a.clone()),
                    ..keys()
                }),
            )?;
            Some((r.verdi.filter(|_| !r.prikket)?, i))
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let storste = ranked
        .iter()
        .take(3)
        .map(|(_, i)| omrader[*i].clone())
        .collect();

    // Units in reference order that have any area row in this survey.
    let unit_ids: BTreeSet<String> = ctx
        .table
        .select("utfordring_score", "enhet")
        .filter(|r| r.keys.undersokelse.as_deref() == Some(key.as_str()))
        .filter_map(|r| r.keys.enhet_id.clone())
        .collect();
    let mut units: Vec<(String, String)> = Vec::new(); // (enhet_id, foretak_id)
    for e in &ctx.dataset.reference.enheter {
        if unit_ids.contains(&e.id) {
            units.push((e.id.clone(), e.foretak_id.clone()));
        }
    }
    for id in &unit_ids {
        if !units.iter().any(|(u, _)| u == id) {
            let f = ctx
                .table
                .select("utfordring_score", "enhet")
                .find(|r| r.keys.enhet_id.as_deref() == Some(id.as_str()))
                .and_then(|r| r.keys.foretak_id.clone())
                .unwrap_or_default();
            units.push((id.clone(), f));
        }
    }
    let ref_pos = |fid: &str| {
        ctx.dataset
            .reference
            .foretak
            .iter()
            .position(|f| f.id == fid)
            .unwrap_or(usize::MAX)
    };
    units.sort_by_key(|a| ref_pos(&a.1));

    let mut heat_rows = Vec::new();
    let mut heat_cells: Vec<Vec<super::svg::HeatCell>> = Vec::new();
    let enheter: Vec<UnitChallengeView> = units
        .iter()
        .map(|(eid, fid)| {
            let uk = |a: Option<String>| {
                sk(Keys {
                    foretak_id: Some(fid.clone()),
                    enhet_id: Some(eid.clone()),
                    omrade: a,
                    ..keys()
                })
            };
            let rows: Vec<Option<&IndicatorRow>> = area_ids
                .iter()
                .map(|a| ctx.row("utfordring_score", "enhet", &uk(Some(a.clone()))))
                .collect();
            let celler: Vec<Celle> = rows.iter().map(|r| Celle::of(*r)).collect();
            let mut scored: Vec<(f64, usize)> = rows
                .iter()
                .enumerate()
                .filter_map(|(i, r)| {
                    r.filter(|r| !r.prikket)
                        .and_then(|r| r.verdi)
                        .map(|v| (v, i))
                })
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let any_suppressed = rows.iter().any(|r| r.is_some_and(|r| r.prikket));
            let topp: Vec<Celle> = (0..3)
                .map(|i| match scored.get(i) {
                    Some((v, a)) => Celle {
                        tekst: format!("{} ({})", area_name(&area_ids[*a]), format::score(*v)),
                        prikket: false,
                    },
                    None if any_suppressed => Celle {
                        tekst: format::PRIKKET.to_string(),
                        prikket: true,
                    },
                    None => Celle::missing(),
                })
                .collect();
            let navn = ctx.enhet_name(eid);
            heat_rows.push(navn.clone());
            heat_cells.push(
                rows.iter()
                    .map(|r| match r {
                        Some(r) if r.prikket => super::svg::HeatCell {
                            value: None,
                            label: format::PRIKKET.into(),
                            suppressed: true,
                        },
                        Some(r) => super::svg::HeatCell {
                            value: r.verdi,
                            label: format::row_value(Some(r)),
                            suppressed: false,
                        },
                        None => super::svg::HeatCell {
                            value: None,
                            label: format::MANGLER.into(),
                            suppressed: false,
                        },
                    })
                    .collect(),
            );
            UnitChallengeView {
                id: eid.clone(),
                navn,
                foretak: ctx.foretak_name(fid),
                celler,
                topp,
                svarprosent: ctx.cell("svarprosent", "enhet", &uk(None)),
            }
        })
        .collect();
    let suppressed = heat_cells.iter().flatten().filter(|c| c.suppressed).count();
    let svg = super::svg::heat_map(&super::svg::HeatMap {
        columns: area_ids.iter().map(|a| area_name(a)).collect(),
        rows: heat_rows,
        cells: heat_cells,
        range: (1.0, 5.0),
        legend: "Skår 1–5".into(),
    });
    let fil = format!("figurer/utfordringer{suffix}.svg");
    charts.push((fil.clone(), svg));
    let alt = format!(
        "Varmekart: utfordringsskår (1–5, høyere er større utfordring) for {} enheter og {} områder. {} celler er prikket. Største utfordringer i regionen: {}.",
        enheter.len(),
        area_ids.len(),
        suppressed,
        ranked
            .iter()
            .take(3)
            .map(|(v, i)| format!("{} {}", area_name(&area_ids[*i]), format::score(*v)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let fk = |f: &str| {
        sk(Keys {
            foretak_id: Some(f.to_string()),
            ..keys()
        })
    };
    let foretak = ctx
        .dataset
        .reference
        .foretak
        .iter()
        .map(|f| {
            let k = fk(&f.id);
            let v = [
                ("vurderer_a_slutte_andel", &k),
                ("tid_andre_kunne_gjort", &k),
                ("svarprosent", &k),
            ]
            .iter()
            .map(|(i, k)| (i.to_string(), ctx.cell(i, "foretak", k)))
            .collect();
            EntityView {
                id: f.id.clone(),
                navn: f.navn.clone(),
                privat: f.eierskap == Ownership::Privat,
                v,
            }
        })
        .collect();
    let survey_yrker: BTreeSet<String> = ctx
        .table
        .rows
        .iter()
        .filter(|r| r.gruppering == "yrke" && r.keys.undersokelse.as_deref() == Some(key.as_str()))
        .filter_map(|r| r.keys.yrke_id.clone())
        .collect();
    let yrker = survey_yrker
        .iter()
        .map(|y| {
            let k = sk(Keys {
                yrke_id: Some(y.clone()),
                ..keys()
            });
            entity(
                ctx,
                y,
                ctx.yrke_name(y),
                false,
                "yrke",
                &k,
                &["tid_andre_kunne_gjort", "vurderer_a_slutte_andel"],
            )
        })
        .collect();
    let rk = sk(keys());
    let (serie, runde) = round_of(ctx.table, &key);
    let endring = change_view(
        ctx,
        &key,
        &area_ids,
        format!("figurer/utfordringer{suffix}-endring.svg"),
        charts,
    );
    let headline_serie = serie.clone();
    let mut current: BTreeMap<String, (Option<String>, String)> = BTreeMap::new();
    for k in staff_surveys(ctx.table) {
        let (s, r) = round_of(ctx.table, &k);
        let s = s.unwrap_or_else(|| k.clone());
        let e = current.entry(s).or_insert((None, String::new()));
        if (r.clone(), k.clone()) > (e.0.clone(), e.1.clone()) {
            *e = (r, k);
        }
    }
    let andre: Vec<SurveyRateView> = survey_rates(ctx)
        .into_iter()
        .filter(|v| {
            current.get(&v.serie).is_some_and(|(_, k)| *k == v.nokkel)
                && Some(&v.serie) != headline_serie.as_ref()
                && v.nokkel != key
                // a survey without round facts (a table built by hand) is no series
                && !v.runde.is_empty()
        })
        .collect();
    SurveyView {
        andre,
        serie: serie.unwrap_or_else(|| key.clone()),
        runde: runde.map(|r| format::date_str(&r)).unwrap_or_default(),
        endring,
        svarprosent: ctx.cell("svarprosent", "region", &rk),
        n: ctx.cell("antall_svar", "region", &rk),
        vurderer_a_slutte: ctx.cell("vurderer_a_slutte_andel", "region", &rk),
        tid_andre_kunne_gjort: ctx.cell("tid_andre_kunne_gjort", "region", &rk),
        nokkel: key,
        omrader,
        storste,
        enheter,
        foretak,
        yrker,
        figur: FigureView { fil, alt },
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

fn pilot_indicator(ctx: &Ctx<'_>, pilot: &str, id: &str) -> PilotIndicatorView {
    let k = |fase: &str| Keys {
        pilot_id: Some(pilot.to_string()),
        fase: Some(fase.to_string()),
        ..keys()
    };
    let change = ctx.row(id, "pilot", &k("endring"));
    let is_share = change.is_none_or(|r| r.maleenhet == "andel");
    let (endring, endring_tekst, intervall) = match change {
        Some(r) if r.prikket => (
            Celle {
                tekst: format::PRIKKET.into(),
                prikket: true,
            },
            format::PRIKKET.to_string(),
            String::new(),
        ),
        Some(r) => {
            let fmt = |v: f64| {
                if is_share {
                    format::points_short(v)
                } else {
                    format::number(v, 1)
                }
            };
            let tekst = r.verdi.map(fmt).unwrap_or_else(|| format::MANGLER.into());
            let words = match r.verdi {
                Some(v) if is_share => format::percentage_points(v),
                Some(v) => format::hours_per_week(v),
                None => format::MANGLER.into(),
            };
            let iv = match (r.nedre, r.ovre) {
                (Some(lo), Some(hi)) => format!("{} til {}", fmt(lo), fmt(hi)),
                _ => String::new(),
            };
            (
                Celle {
                    tekst,
                    prikket: false,
                },
                words,
                iv,
            )
        }
        None => (Celle::missing(), format::MANGLER.to_string(), String::new()),
    };
    let (vurdering, sikker) = judge(change);
    PilotIndicatorView {
        id: id.to_string(),
        navn: ctx.name(id),
        for_: ctx.cell(id, "pilot", &k("før")),
        pilot: ctx.cell(id, "pilot", &k("pilot")),
        endring,
        endring_tekst,
        intervall,
        vurdering,
        sikker,
    }
}

fn pilot_view(
    ctx: &Ctx<'_>,
    index: usize,
    p: &crate::model::Pilot,
    charts: &mut Vec<Chart>,
) -> PilotView {
    let oppgavedeling: Vec<PilotIndicatorView> = TASK_SHARING
        .iter()
        .map(|id| pilot_indicator(ctx, &p.id, id))
        .collect();
    let samhandling: Vec<PilotIndicatorView> = COORDINATION
        .iter()
        .map(|id| pilot_indicator(ctx, &p.id, id))
        .collect();
    let frigjort = pilot_indicator(ctx, &p.id, "frigjort_spesialisttid");
    let ind: BTreeMap<String, PilotIndicatorView> = oppgavedeling
        .iter()
        .chain(samhandling.iter())
        .map(|v| (v.id.clone(), v.clone()))
        .collect();
    let k = |fase: &str| Keys {
        pilot_id: Some(p.id.clone()),
        fase: Some(fase.to_string()),
        ..keys()
    };
    let riktig = ctx.row("riktig_niva_andel", "pilot", &k("endring"));
    let sikker_forbedring =
        riktig.is_some_and(|r| !r.prikket && r.nedre.is_some_and(|lo| lo > 0.0));

    // Before/after chart with whiskers on the pilot bar: before + the change's interval.
    let before: Vec<Bar> = TASK_SHARING
        .iter()
        .map(|id| bar_of(ctx.row(id, "pilot", &k("før")), 100.0))
        .collect();
    let during: Vec<Bar> = TASK_SHARING
        .iter()
        .map(|id| {
            let mut b = bar_of(ctx.row(id, "pilot", &k("pilot")), 100.0);
            let f = ctx
                .row(id, "pilot", &k("før"))
                .filter(|r| !r.prikket)
                .and_then(|r| r.verdi);
            let c = ctx.row(id, "pilot", &k("endring")).filter(|r| !r.prikket);
            if let (Some(f), Some(c)) = (f, c)
                && let (Some(lo), Some(hi)) = (c.nedre, c.ovre)
            {
                b.interval = Some(((f + lo) * 100.0, (f + hi) * 100.0));
            }
            b
        })
        .collect();
    let fil = format!("figurer/pilot-{index}.svg");
    charts.push((
        fil.clone(),
        super::svg::bar_chart(&BarChart {
            categories: TASK_SHARING.iter().map(|id| ctx.name(id)).collect(),
            series: vec![
                Series {
                    name: "Før".into(),
                    bars: before,
                },
                Series {
                    name: "Pilot".into(),
                    bars: during,
                },
            ],
            max: None,
            tick: pct_tick,
        }),
    ));
    let alt = format!(
        "Stolpediagram for piloten {}: andeler før og under piloten. {}.",
        p.navn,
        oppgavedeling
            .iter()
            .map(|v| {
                let iv = if v.intervall.is_empty() {
                    String::new()
                } else {
                    format!(", endring {} (95 % KI {})", v.endring.tekst, v.intervall)
                };
                format!(
                    "{}: før {}, pilot {}{}",
                    v.navn, v.for_.tekst, v.pilot.tekst, iv
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    );
    let figur = FigureView { fil, alt };

    // Minutes by task area and level.
    let mk = |fase: &str, omrade: &str, niva: Option<u8>| Keys {
        pilot_id: Some(p.id.clone()),
        fase: Some(fase.into()),
        omrade: Some(omrade.into()),
        kompetanseniva: niva,
        ..keys()
    };
    let areas = order_by(
        ctx.table
            .select("minutter_per_omrade", "pilot_område")
            .filter(|r| r.keys.pilot_id.as_deref() == Some(p.id.as_str()))
            .filter_map(|r| r.keys.omrade.as_deref()),
        &TASK_AREAS,
    );
    let minutter_figur = if areas.is_empty() {
        None
    } else {
        let mut stacks = Vec::new();
        for a in &areas {
            for (fase, label) in [("før", "før"), ("pilot", "pilot")] {
                let segments = (1..=4u8)
                    .map(|l| {
                        ctx.row(
                            "minutter_per_omrade",
                            "pilot_område_kompetansenivå",
                            &mk(fase, a, Some(l)),
                        )
                        .filter(|r| !r.prikket)
                        .and_then(|r| r.verdi)
                        .unwrap_or(0.0)
                    })
                    .collect();
                let total = ctx.row("minutter_per_omrade", "pilot_område", &mk(fase, a, None));
                stacks.push(super::svg::Stack {
                    label: format!("{} – {}", area_name(a), label),
                    segments,
                    total_label: format::row_value(total),
                });
            }
        }
        let alt = format!(
            "Stablet stolpediagram for piloten {}: minutter per oppgaveområde før og under piloten, fordelt på utførers kompetansenivå. {}.",
            p.navn,
            stacks
                .iter()
                .map(|s| format!("{} {} minutter", s.label, s.total_label))
                .collect::<Vec<_>>()
                .join("; ")
        );
        let fil = format!("figurer/pilot-{index}-minutter.svg");
        charts.push((
            fil.clone(),
            super::svg::stack_chart(&super::svg::StackChart {
                legend: (1..=4).map(level_name).collect(),
                stacks,
                tick: num_tick,
            }),
        ));
        Some(FigureView { fil, alt })
    };

    let join = |v: Vec<String>| v.join(", ");
    PilotView {
        id: p.id.clone(),
        navn: p.navn.clone(),
        beskrivelse: p.beskrivelse.trim().to_string(),
        foretak: join(p.foretak.iter().map(|f| ctx.foretak_name(f)).collect()),
        enheter: join(p.enheter.iter().map(|e| ctx.enhet_name(e)).collect()),
        nye_roller: join(p.nye_roller.iter().map(|y| ctx.yrke_name(y)).collect()),
        perioder: p
            .perioder
            .iter()
            .map(|pr| PeriodView {
                fase: if pr.fase == crate::model::Fase::For {
                    "Før".into()
                } else {
                    "Pilot".into()
                },
                fra: format::date(pr.fra),
                til: format::date(pr.til),
            })
            .collect(),
        arbeidsflyt: p
            .arbeidsflyt
            .iter()
            .map(|s| WorkflowStepView {
                steg: s.steg.clone(),
                oppgave: s
                    .oppgave
                    .as_deref()
                    .map(|o| {
                        ctx.dataset
                            .reference
                            .oppgave(o)
                            .map(|t| t.navn.clone())
                            .unwrap_or_else(|| o.to_string())
                    })
                    .unwrap_or_default(),
                fra: s
                    .fra
                    .as_deref()
                    .map(|y| ctx.yrke_name(y))
                    .unwrap_or_default(),
                til: s
                    .til
                    .as_deref()
                    .map(|y| ctx.yrke_name(y))
                    .unwrap_or_default(),
            })
            .collect(),
        oppgavedeling,
        samhandling,
        ind,
        frigjort,
        sikker_forbedring,
        figur,
        minutter_figur,
    }
}

fn files(input: &RenderInput<'_>) -> (Vec<SourceView>, Vec<FileView>) {
    let mut kinds: BTreeMap<&str, (u64, u64, u64, u64)> = BTreeMap::new();
    let mut files: Vec<&crate::model::InputFile> = input.inputs.iter().collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    for f in &files {
        let e = kinds.entry(f.kind.as_str()).or_default();
        e.0 += 1;
        e.1 += f.rows_read;
        e.2 += f.rows_used;
        e.3 += f.rows_quarantined;
    }
    let c = |n: u64| format::count(n as f64);
    let kilder = kinds
        .into_iter()
        .map(|(k, (n, r, u, q))| SourceView {
            type_: k.to_string(),
            filer: c(n),
            lest: c(r),
            brukt: c(u),
            karantene: c(q),
        })
        .collect();
    let filer = files
        .iter()
        .map(|f| FileView {
            sti: f.path.clone(),
            type_: f.kind.clone(),
            status: f.status.clone(),
            bytes: c(f.bytes),
            sha256: f.sha256.clone(),
            lest: c(f.rows_read),
            brukt: c(f.rows_used),
            karantene: c(f.rows_quarantined),
            arsaker: f
                .reasons
                .iter()
                .map(|(r, n)| format!("{r} ({})", c(*n)))
                .collect(),
            advarsler: f.warnings.clone(),
        })
        .collect();
    (kilder, filer)
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
