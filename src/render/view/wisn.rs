//! The staffing need (WISN, indicators.md §8) for the documents: need beside staff per
//! health trust × competence level (chapter 5, with a chart of the WISN ratio), and per
//! pilot what spreading it to the units of its kind would free (chapter 7, chapter 1, the
//! board briefing). Every number comes from the indicator table; every sentence reads
//! correctly when a value is suppressed or absent.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Celle, Chart, Ctx, FigureView};
use crate::indicators::{IndicatorRow, Keys};
use crate::render::format;
use crate::render::names::level_name;
use crate::render::svg::{self, BarChart, Series};

/// One cell of need beside staff.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WisnCellView {
    /// Competence level name (or the health trust's name in the region summary).
    pub navn: String,
    /// Filled + hired-in FTE.
    pub arsverk: Celle,
    /// Staffing need.
    pub behov: Celle,
    /// Staff − need.
    pub differanse: Celle,
    /// Staff / need.
    pub ratio: Celle,
}

/// A health trust's need per competence level.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WisnTrustView {
    /// Name.
    pub navn: String,
    /// Per competence level present, in level order.
    pub nivaer: Vec<WisnCellView>,
}

/// What spreading one pilot would free.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WisnPilotView {
    /// Freed specialist FTE in the region.
    pub frigjort: Celle,
    /// Its 95 % interval, `0,4 til 1,9`; empty when none.
    pub intervall: String,
    /// Share of the specialist vacancy covered.
    pub dekket: Celle,
    /// The paragraph for chapter 7.
    pub tekst: String,
}

/// Everything of §8 the templates see.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WisnView {
    /// Any staffing-need value exists (activity volumes were given).
    pub har_data: bool,
    /// Per health trust with volumes.
    pub foretak: Vec<WisnTrustView>,
    /// The region per competence level.
    pub region: Vec<WisnCellView>,
    /// The region's specialists (level 4).
    pub spesialister: WisnCellView,
    /// The chart of the WISN ratio per health trust and level.
    pub figur: Option<FigureView>,
    /// Per pilot id.
    pub piloter: BTreeMap<String, WisnPilotView>,
    /// The region's specialist figure in one sentence (chapter 1, board briefing).
    pub sammendrag: String,
    /// What the staffing need could not use (Vedlegg B): `file: note`.
    pub merknader: Vec<String>,
}

fn cell_of(ctx: &Ctx<'_>, grp: &str, keys: &Keys, navn: String) -> WisnCellView {
    WisnCellView {
        navn,
        arsverk: ctx.cell("wisn_arsverk", grp, keys),
        behov: ctx.cell("wisn_behov", grp, keys),
        differanse: ctx.cell("wisn_differanse", grp, keys),
        ratio: ctx.cell("wisn_ratio", grp, keys),
    }
}

fn published(row: Option<&IndicatorRow>) -> Option<f64> {
    row.filter(|r| !r.prikket).and_then(|r| r.verdi)
}

fn ratio_tick(v: f64) -> String {
    format::number(v, 1)
}

/// Build the view; the chart goes to `charts` as `figurer/wisn_ratio.svg`.
pub(super) fn build(ctx: &Ctx<'_>, charts: &mut Vec<Chart>) -> WisnView {
    let t = ctx.table;
    let har_data = ctx.select("wisn_behov", "kompetansenivå").next().is_some();
    let mut view = WisnView {
        har_data,
        merknader: t
            .merknader
            .iter()
            .map(|m| format!("{}: {}", m.fil, m.tekst))
            .collect(),
        ..WisnView::default()
    };
    for p in &ctx.dataset.pilots {
        view.piloter
            .insert(p.id.clone(), pilot(ctx, &p.id, har_data));
    }
    if !har_data {
        view.sammendrag =
            "Det finnes ikke aktivitetstall, så bemanningsbehovet (WISN) er ikke beregnet.".into();
        return view;
    }
    let mut levels: Vec<u8> = ctx
        .select("wisn_behov", "kompetansenivå")
        .filter_map(|r| r.keys.kompetanseniva)
        .collect();
    levels.sort_unstable();
    levels.dedup();
    view.foretak = trusts(ctx, &levels);
    view.region = levels
        .iter()
        .map(|l| cell_of(ctx, "kompetansenivå", &level_keys(*l), level_name(*l)))
        .collect();
    view.spesialister = cell_of(ctx, "kompetansenivå", &level_keys(4), level_name(4));
    view.sammendrag = summary(ctx, &view.spesialister);
    view.figur = ratio_chart(ctx, &levels, &view.foretak, charts);
    view
}

/// The region's keys at competence level `l`.
fn level_keys(l: u8) -> Keys {
    Keys {
        kompetanseniva: Some(l),
        ..Keys::default()
    }
}

/// Per health trust with volumes, its need per competence level present.
fn trusts(ctx: &Ctx<'_>, levels: &[u8]) -> Vec<WisnTrustView> {
    let mut out = Vec::new();
    for f in &ctx.dataset.reference.foretak {
        let nivaer: Vec<WisnCellView> = levels
            .iter()
            .filter_map(|l| {
                let k = Keys {
                    foretak_id: Some(f.id.clone()),
                    kompetanseniva: Some(*l),
                    ..Keys::default()
                };
                ctx.row("wisn_behov", "foretak_kompetansenivå", &k)?;
                Some(cell_of(ctx, "foretak_kompetansenivå", &k, level_name(*l)))
            })
            .collect();
        if !nivaer.is_empty() {
            out.push(WisnTrustView {
                navn: f.navn.clone(),
                nivaer,
            });
        }
    }
    out
}

/// The region's specialist figure (`s`, level 4) in one sentence.
fn summary(ctx: &Ctx<'_>, s: &WisnCellView) -> String {
    let lk = level_keys(4);
    match (
        published(ctx.row("wisn_behov", "kompetansenivå", &lk)),
        published(ctx.row("wisn_arsverk", "kompetansenivå", &lk)),
    ) {
        (Some(_), Some(_)) => format!(
            "Etter arbeidsmengden i enhetene med aktivitetstall trenger regionen {} spesialistårsverk (nivå 4), mot {} besatte og innleide årsverk: en WISN-ratio på {}{}.",
            s.behov.tekst,
            s.arsverk.tekst,
            s.ratio.tekst,
            if published(ctx.row("wisn_ratio", "kompetansenivå", &lk)).is_some_and(|r| r < 1.0) {
                ", altså mer arbeid enn bemanning"
            } else {
                ""
            }
        ),
        _ => "Bemanningsbehovet for spesialister (nivå 4) kan ikke vises for regionen.".into(),
    }
}

/// The WISN ratio per health trust and level; `None` when no trust has one.
fn ratio_chart(
    ctx: &Ctx<'_>,
    levels: &[u8],
    foretak: &[WisnTrustView],
    charts: &mut Vec<Chart>,
) -> Option<FigureView> {
    let trusts: Vec<&crate::model::Foretak> = ctx
        .dataset
        .reference
        .foretak
        .iter()
        .filter(|f| {
            ctx.select("wisn_ratio", "foretak_kompetansenivå")
                .any(|r| r.keys.foretak_id.as_deref() == Some(f.id.as_str()))
        })
        .collect();
    if trusts.is_empty() {
        return None;
    }
    let series: Vec<Series> = levels
        .iter()
        .map(|l| Series {
            name: format!("Nivå {l}"),
            bars: trusts
                .iter()
                .map(|f| {
                    super::bar_of(
                        ctx.row(
                            "wisn_ratio",
                            "foretak_kompetansenivå",
                            &Keys {
                                foretak_id: Some(f.id.clone()),
                                kompetanseniva: Some(*l),
                                ..Keys::default()
                            },
                        ),
                        1.0,
                    )
                })
                .collect(),
        })
        .collect();
    let alt = format!(
        "Stolpediagram: WISN-ratio (besatte og innleide årsverk delt på bemanningsbehovet) per helseforetak og kompetansenivå; under 1 betyr mer arbeid enn bemanning. {}.",
        foretak
            .iter()
            .map(|f| format!(
                "{}: {}",
                f.navn,
                f.nivaer
                    .iter()
                    .map(|c| format!("{} {}", c.navn, c.ratio.tekst))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .collect::<Vec<_>>()
            .join("; ")
    );
    let fil = "figurer/wisn_ratio.svg".to_string();
    charts.push((
        fil.clone(),
        svg::bar_chart(&BarChart {
            categories: trusts.iter().map(|f| f.navn.clone()).collect(),
            series,
            max: None,
            tick: ratio_tick,
        }),
    ));
    Some(FigureView { fil, alt })
}

/// What spreading pilot `id` to the units of its kind would free, in words.
fn pilot(ctx: &Ctx<'_>, id: &str, har_data: bool) -> WisnPilotView {
    let k = Keys {
        pilot_id: Some(id.to_owned()),
        fase: Some("endring".into()),
        ..Keys::default()
    };
    let fr = ctx.row("frigjorte_spesialistarsverk", "pilot", &k);
    // The share of the vacancy covered is a level under the pilot's task sharing (`pilot`),
    // the freed FTE a difference (`endring`).
    let dk = ctx.row(
        "vakanse_dekket_andel",
        "pilot",
        &Keys {
            fase: Some("pilot".into()),
            ..k.clone()
        },
    );
    let intervall = fr
        .filter(|r| !r.prikket)
        .and_then(|r| Some((r.nedre?, r.ovre?)))
        .map(|(lo, hi)| format!("{} til {}", format::fte(lo), format::fte(hi)))
        .unwrap_or_default();
    let ledige = ctx.cell(
        "ledige_arsverk",
        "kompetansenivå",
        &Keys {
            kompetanseniva: Some(4),
            ..Keys::default()
        },
    );
    let tekst = match fr {
        _ if !har_data => "Uten aktivitetstall kan det ikke beregnes hva spredning av piloten ville frigjøre av spesialistårsverk.".to_string(),
        None => "Hva spredning av piloten ville frigjøre av spesialistårsverk, kan ikke beregnes: det finnes ikke aktivitetstall for enheter av samme type, eller piloten mangler registreringer fra pilotperioden.".to_string(),
        Some(r) if r.prikket => "Hva spredning av piloten ville frigjøre av spesialistårsverk, vises ikke, fordi pilotens registreringer bygger på for få personer (prikket).".to_string(),
        Some(r) => {
            let v = r.verdi.unwrap_or(0.0);
            // The interval in the sentence's own direction: freed, or the added need.
            let ci = match (r.nedre, r.ovre) {
                (Some(lo), Some(hi)) => {
                    let (a, b) = if v >= 0.0 { (lo, hi) } else { (-hi, -lo) };
                    let unsure = if lo <= 0.0 && hi >= 0.0 {
                        "; ingen sikker endring"
                    } else {
                        ""
                    };
                    format!(
                        " (95 % KI {} til {}{unsure})",
                        format::fte(a),
                        format::fte(b)
                    )
                }
                _ => String::new(),
            };
            let first = if v >= 0.0 {
                format!(
                    "Spredt til alle enheter av samme type som pilotens enheter ville oppgavedelingen i piloten frigjøre {} spesialistårsverk i regionen{ci}.",
                    format::fte(v)
                )
            } else {
                format!(
                    "Spredt til alle enheter av samme type som pilotens enheter ville oppgavedelingen i piloten øke behovet for spesialister med {} årsverk i regionen{ci}.",
                    format::fte(-v)
                )
            };
            let second = match dk {
                Some(d) if !d.prikket && d.verdi.is_some() && v > 0.0 => format!(
                    " Det tilsvarer {} av de {} ledige spesialistårsverkene (nivå 4).",
                    format::row_value(Some(d)),
                    ledige.tekst
                ),
                Some(_) if v > 0.0 => String::new(),
                None if v > 0.0 => " Regionen har ingen registrerte ledige spesialistårsverk å sammenligne med.".to_string(),
                Some(d) if !d.prikket => format!(
                    " Spredningen dekker dermed ingen del av de {} ledige spesialistårsverkene (nivå 4).",
                    ledige.tekst
                ),
                _ => String::new(),
            };
            format!("{first}{second}")
        }
    };
    WisnPilotView {
        frigjort: Celle::of(fr),
        intervall,
        dekket: Celle::of(dk),
        tekst,
    }
}
