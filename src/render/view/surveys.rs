//! Chapter 4, the staff surveys (indicators.md §4): the current round of every series
//! (the headline the latest by date), its challenge areas for the region and per unit (the
//! heat map), the measures per health trust and profession, the response rates, and the
//! change since the series' previous round with its chart.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{
    CHALLENGE_AREAS, Celle, Chart, Ctx, EntityView, FigureView, entity, judge, keys, num_tick,
    order_by,
};
use crate::indicators::{IndicatorRow, IndicatorTable, Keys};
use crate::model::Ownership;
use crate::render::format;
use crate::render::names::area_name;
use crate::render::svg::{self, BarChart, Series};

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
/// [`super::ReportView::undersokelse`], of the series with the latest round.
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

pub(super) fn survey_rates(ctx: &Ctx<'_>) -> Vec<SurveyRateView> {
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
        svg::Bar {
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
    let svg = svg::bar_chart(&BarChart {
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

pub(super) fn current_survey(ctx: &Ctx<'_>, charts: &mut Vec<Chart>) -> Option<SurveyView> {
    let key = latest_round(ctx.table, staff_surveys(ctx.table))?;
    Some(survey_view(ctx, key, "", charts))
}

/// [`super::ReportView::ansattserier`]: the headline, then the current round of every other
/// staff-survey series ([`SurveyView::andre`]), each with its own charts.
pub(super) fn staff_series(
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
    let (area_ids, omrader, ranked) = areas(ctx, &key);
    let storste = ranked
        .iter()
        .take(3)
        .map(|(_, i)| omrader[*i].clone())
        .collect();
    let units = survey_units(ctx, &key);
    let (enheter, heat_rows, heat_cells) = unit_rows(ctx, &key, &area_ids, &units);
    let suppressed = heat_cells.iter().flatten().filter(|c| c.suppressed).count();
    let svg = svg::heat_map(&svg::HeatMap {
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
    let foretak = trust_measures(ctx, &key);
    let yrker = profession_measures(ctx, &key);
    let rk = survey_keys(&key, keys());
    let (serie, runde) = round_of(ctx.table, &key);
    let endring = change_view(
        ctx,
        &key,
        &area_ids,
        format!("figurer/utfordringer{suffix}-endring.svg"),
        charts,
    );
    let andre = other_series(ctx, &key, serie.as_ref());
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

/// `extra` in survey `key`.
fn survey_keys(key: &str, extra: Keys) -> Keys {
    Keys {
        undersokelse: Some(key.to_string()),
        ..extra
    }
}

/// The survey's challenge areas in display order, their region values, and the published
/// region scores ranked highest first as (score, index into the areas).
fn areas(ctx: &Ctx<'_>, key: &str) -> (Vec<String>, Vec<AreaView>, Vec<(f64, usize)>) {
    let ak = |a: &str| {
        survey_keys(
            key,
            Keys {
                omrade: Some(a.to_string()),
                ..keys()
            },
        )
    };
    let area_ids = order_by(
        ctx.table
            .rows
            .iter()
            .filter(|r| {
                r.indikator == "utfordring_score" && r.keys.undersokelse.as_deref() == Some(key)
            })
            .filter_map(|r| r.keys.omrade.as_deref()),
        &CHALLENGE_AREAS,
    );
    let omrader: Vec<AreaView> = area_ids
        .iter()
        .map(|a| {
            let k = ak(a);
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
            let r = ctx.row("utfordring_score", "region", &ak(a))?;
            Some((r.verdi.filter(|_| !r.prikket)?, i))
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    (area_ids, omrader, ranked)
}

/// The units with any area row in this survey, as (enhet id, foretak id): in reference
/// order, then the others, sorted by their health trust's place in the reference table.
fn survey_units(ctx: &Ctx<'_>, key: &str) -> Vec<(String, String)> {
    let unit_ids: BTreeSet<String> = ctx
        .select("utfordring_score", "enhet")
        .filter(|r| r.keys.undersokelse.as_deref() == Some(key))
        .filter_map(|r| r.keys.enhet_id.clone())
        .collect();
    let mut units: Vec<(String, String)> = Vec::new();
    for e in &ctx.dataset.reference.enheter {
        if unit_ids.contains(&e.id) {
            units.push((e.id.clone(), e.foretak_id.clone()));
        }
    }
    for id in &unit_ids {
        if !units.iter().any(|(u, _)| u == id) {
            let f = ctx
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
    units
}

/// Per unit its row of the heat map: the view, the map's row name and its cells.
fn unit_rows(
    ctx: &Ctx<'_>,
    key: &str,
    area_ids: &[String],
    units: &[(String, String)],
) -> (Vec<UnitChallengeView>, Vec<String>, Vec<Vec<svg::HeatCell>>) {
    let mut heat_rows = Vec::new();
    let mut heat_cells = Vec::new();
    let enheter = units
        .iter()
        .map(|(eid, fid)| {
            let uk = |a: Option<String>| {
                survey_keys(
                    key,
                    Keys {
                        foretak_id: Some(fid.clone()),
                        enhet_id: Some(eid.clone()),
                        omrade: a,
                        ..keys()
                    },
                )
            };
            let rows: Vec<Option<&IndicatorRow>> = area_ids
                .iter()
                .map(|a| ctx.row("utfordring_score", "enhet", &uk(Some(a.clone()))))
                .collect();
            let navn = ctx.enhet_name(eid);
            heat_rows.push(navn.clone());
            heat_cells.push(rows.iter().map(|r| heat_cell(*r)).collect());
            UnitChallengeView {
                id: eid.clone(),
                navn,
                foretak: ctx.foretak_name(fid),
                celler: rows.iter().map(|r| Celle::of(*r)).collect(),
                topp: top_three(area_ids, &rows),
                svarprosent: ctx.cell("svarprosent", "enhet", &uk(None)),
            }
        })
        .collect();
    (enheter, heat_rows, heat_cells)
}

/// A unit's three highest-scoring published areas, `Kapasitet (3,9)`; then `–` if any of its
/// cells is suppressed, else `..`.
fn top_three(area_ids: &[String], rows: &[Option<&IndicatorRow>]) -> Vec<Celle> {
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
    (0..3)
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
        .collect()
}

/// A heat-map cell for an indicator row.
fn heat_cell(row: Option<&IndicatorRow>) -> svg::HeatCell {
    match row {
        Some(r) if r.prikket => svg::HeatCell {
            value: None,
            label: format::PRIKKET.into(),
            suppressed: true,
        },
        Some(r) => svg::HeatCell {
            value: r.verdi,
            label: format::row_value(Some(r)),
            suppressed: false,
        },
        None => svg::HeatCell {
            value: None,
            label: format::MANGLER.into(),
            suppressed: false,
        },
    }
}

/// Per health trust in the reference table: considering leaving, time others could do and
/// the response rate.
fn trust_measures(ctx: &Ctx<'_>, key: &str) -> Vec<EntityView> {
    ctx.dataset
        .reference
        .foretak
        .iter()
        .map(|f| {
            let k = survey_keys(
                key,
                Keys {
                    foretak_id: Some(f.id.clone()),
                    ..keys()
                },
            );
            let v = [
                "vurderer_a_slutte_andel",
                "tid_andre_kunne_gjort",
                "svarprosent",
            ]
            .iter()
            .map(|i| (i.to_string(), ctx.cell(i, "foretak", &k)))
            .collect();
            EntityView {
                id: f.id.clone(),
                navn: f.navn.clone(),
                privat: f.eierskap == Ownership::Privat,
                v,
            }
        })
        .collect()
}

/// Per profession in the survey: time others could do and considering leaving.
fn profession_measures(ctx: &Ctx<'_>, key: &str) -> Vec<EntityView> {
    let survey_yrker: BTreeSet<String> = ctx
        .table
        .rows
        .iter()
        .filter(|r| r.gruppering == "yrke" && r.keys.undersokelse.as_deref() == Some(key))
        .filter_map(|r| r.keys.yrke_id.clone())
        .collect();
    survey_yrker
        .iter()
        .map(|y| {
            let k = survey_keys(
                key,
                Keys {
                    yrke_id: Some(y.clone()),
                    ..keys()
                },
            );
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
        .collect()
}

/// [`SurveyView::andre`]: the current round of every staff-survey series other than `key`'s
/// (`headline_serie`).
fn other_series(ctx: &Ctx<'_>, key: &str, headline_serie: Option<&String>) -> Vec<SurveyRateView> {
    let mut current: BTreeMap<String, (Option<String>, String)> = BTreeMap::new();
    for k in staff_surveys(ctx.table) {
        let (s, r) = round_of(ctx.table, &k);
        let s = s.unwrap_or_else(|| k.clone());
        let e = current.entry(s).or_insert((None, String::new()));
        if (r.clone(), k.clone()) > (e.0.clone(), e.1.clone()) {
            *e = (r, k);
        }
    }
    survey_rates(ctx)
        .into_iter()
        .filter(|v| {
            current.get(&v.serie).is_some_and(|(_, k)| *k == v.nokkel)
                && Some(&v.serie) != headline_serie
                && v.nokkel != key
                // a survey without round facts (a table built by hand) is no series
                && !v.runde.is_empty()
        })
        .collect()
}
