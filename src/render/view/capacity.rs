//! Chapter 3, capacity and vacancy (indicators.md §1): the staffing indicators for the
//! region, per health trust, profession and competence level, the trust with the highest
//! vacancy rate, the snapshot period, and the charts of vacancy per trust and FTE per level.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{
    Chart, Ctx, EntityView, FigureView, STAFFING, STAFFING_BY_PROFESSION, bar_of, entity, keys,
    num_tick, pct_tick, push_chart,
};
use crate::indicators::Keys;
use crate::model::Ownership;
use crate::render::format;
use crate::render::names::level_name;
use crate::render::svg::{self, BarChart, Series};

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

/// The chapter's part of [`super::ReportView`].
pub(super) struct Capacity {
    pub(super) region: EntityView,
    pub(super) foretak: Vec<EntityView>,
    pub(super) yrker: Vec<EntityView>,
    pub(super) nivaer: Vec<EntityView>,
    pub(super) hoyest_vakans: Option<HighestView>,
    pub(super) bemanningsperiode: String,
}

/// Build the chapter; its charts (`vakansgrad`, `niva`) go to `charts` and `figurer`.
pub(super) fn build(
    ctx: &Ctx<'_>,
    charts: &mut Vec<Chart>,
    figurer: &mut BTreeMap<String, FigureView>,
) -> Capacity {
    let region = entity(
        ctx,
        "region",
        "Helse Midt-Norge".into(),
        false,
        "region",
        &keys(),
        &STAFFING,
    );
    let foretak = trusts(ctx);
    let yrker = professions(ctx);
    let levels: BTreeSet<u8> = ctx
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
                ctx,
                &l.to_string(),
                level_name(*l),
                false,
                "kompetansenivå",
                &k,
                &STAFFING_BY_PROFESSION,
            )
        })
        .collect();
    let hoyest_vakans = highest_vacancy(ctx);
    let bemanningsperiode = staffing_period(ctx);
    vacancy_chart(ctx, &foretak, charts, figurer);
    level_chart(ctx, &levels, &nivaer, charts, figurer);
    Capacity {
        region,
        foretak,
        yrker,
        nivaer,
        hoyest_vakans,
        bemanningsperiode,
    }
}

/// Every health trust in the reference table, with its staffing values.
fn trusts(ctx: &Ctx<'_>) -> Vec<EntityView> {
    ctx.dataset
        .reference
        .foretak
        .iter()
        .map(|f| {
            let k = Keys {
                foretak_id: Some(f.id.clone()),
                ..keys()
            };
            entity(
                ctx,
                &f.id,
                f.navn.clone(),
                f.eierskap == Ownership::Privat,
                "foretak",
                &k,
                &STAFFING,
            )
        })
        .collect()
}

/// The professions with a current filled-FTE value, with their first four indicators.
fn professions(ctx: &Ctx<'_>) -> Vec<EntityView> {
    let yrke_ids: BTreeSet<String> = ctx
        .select("besatte_arsverk", "yrke")
        .filter_map(|r| r.keys.yrke_id.clone())
        .collect();
    yrke_ids
        .iter()
        .filter(|id| {
            ctx.select("besatte_arsverk", "yrke")
                .any(|r| r.keys.yrke_id.as_deref() == Some(id) && r.keys.dato.is_none())
        })
        .map(|id| {
            let k = Keys {
                yrke_id: Some(id.clone()),
                ..keys()
            };
            entity(
                ctx,
                id,
                ctx.yrke_name(id),
                false,
                "yrke",
                &k,
                &STAFFING_BY_PROFESSION,
            )
        })
        .collect()
}

/// The health trust with the highest published vacancy rate (the first of equals).
fn highest_vacancy(ctx: &Ctx<'_>) -> Option<HighestView> {
    ctx.dataset
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
        })
}

/// The staffing snapshot dates, first and last: `1. januar 2026 – 1. oktober 2026`.
fn staffing_period(ctx: &Ctx<'_>) -> String {
    let dates: BTreeSet<&str> = ctx
        .select("besatte_arsverk", "region")
        .filter_map(|r| r.keys.dato.as_deref())
        .collect();
    match (dates.first(), dates.last()) {
        (Some(a), Some(b)) if a != b => {
            format!("{} – {}", format::date_str(a), format::date_str(b))
        }
        (Some(a), _) => format::date_str(a),
        _ => format::MANGLER.to_string(),
    }
}

/// Vacancy rate per health trust.
fn vacancy_chart(
    ctx: &Ctx<'_>,
    foretak: &[EntityView],
    charts: &mut Vec<Chart>,
    figurer: &mut BTreeMap<String, FigureView>,
) {
    let vak_bars = foretak
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
        charts,
        figurer,
        "vakansgrad",
        alt,
        svg::bar_chart(&BarChart {
            categories: foretak.iter().map(|f| f.navn.clone()).collect(),
            series: vec![Series {
                name: "Vakansgrad".into(),
                bars: vak_bars,
            }],
            max: None,
            tick: pct_tick,
        }),
    );
}

/// Budgeted and filled FTE per competence level.
fn level_chart(
    ctx: &Ctx<'_>,
    levels: &BTreeSet<u8>,
    nivaer: &[EntityView],
    charts: &mut Vec<Chart>,
    figurer: &mut BTreeMap<String, FigureView>,
) {
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
        charts,
        figurer,
        "niva",
        alt,
        svg::bar_chart(&BarChart {
            categories: nivaer.iter().map(|n| n.navn.clone()).collect(),
            series: niva_series,
            max: None,
            tick: num_tick,
        }),
    );
}
