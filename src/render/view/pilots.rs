//! Chapters 6–8, the pilots: per pilot its description, periods and workflow, the
//! task-sharing (§2) and coordination (§3) indicators before and during the pilot with the
//! change and its interval, the freed specialist time, and the charts of shares before and
//! during and of minutes by task area and competence level.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{
    COORDINATION, Celle, Chart, Ctx, FigureView, TASK_AREAS, TASK_SHARING, bar_of, judge, keys,
    num_tick, order_by, pct_tick,
};
use crate::indicators::Keys;
use crate::model::Pilot;
use crate::render::format;
use crate::render::names::{area_name, level_name};
use crate::render::svg::{self, Bar, BarChart, Series};

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

/// Chapters 6–8's view of the `index`-th pilot (1-based; it names the chart files
/// `figurer/pilot-{index}.svg` and `figurer/pilot-{index}-minutter.svg`).
pub(super) fn pilot_view(
    ctx: &Ctx<'_>,
    index: usize,
    p: &Pilot,
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
    let riktig = ctx.row("riktig_niva_andel", "pilot", &phase_keys(p, "endring"));
    let sikker_forbedring =
        riktig.is_some_and(|r| !r.prikket && r.nedre.is_some_and(|lo| lo > 0.0));
    let figur = share_chart(ctx, index, p, &oppgavedeling, charts);
    let minutter_figur = minutes_chart(ctx, index, p, charts);
    let join = |v: Vec<String>| v.join(", ");
    PilotView {
        id: p.id.clone(),
        navn: p.navn.clone(),
        beskrivelse: p.beskrivelse.trim().to_string(),
        foretak: join(p.foretak.iter().map(|f| ctx.foretak_name(f)).collect()),
        enheter: join(p.enheter.iter().map(|e| ctx.enhet_name(e)).collect()),
        nye_roller: join(p.nye_roller.iter().map(|y| ctx.yrke_name(y)).collect()),
        perioder: periods(p),
        arbeidsflyt: workflow(ctx, p),
        oppgavedeling,
        samhandling,
        ind,
        frigjort,
        sikker_forbedring,
        figur,
        minutter_figur,
    }
}

/// The pilot's keys in phase `fase`.
fn phase_keys(p: &Pilot, fase: &str) -> Keys {
    Keys {
        pilot_id: Some(p.id.clone()),
        fase: Some(fase.to_string()),
        ..keys()
    }
}

/// The task-sharing shares before and during the pilot, with whiskers on the pilot bar:
/// before + the change's interval.
fn share_chart(
    ctx: &Ctx<'_>,
    index: usize,
    p: &Pilot,
    oppgavedeling: &[PilotIndicatorView],
    charts: &mut Vec<Chart>,
) -> FigureView {
    let k = |fase: &str| phase_keys(p, fase);
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
        svg::bar_chart(&BarChart {
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
    FigureView { fil, alt }
}

/// Minutes by task area before and during the pilot, stacked by competence level; `None`
/// when the table has none.
fn minutes_chart(
    ctx: &Ctx<'_>,
    index: usize,
    p: &Pilot,
    charts: &mut Vec<Chart>,
) -> Option<FigureView> {
    let mk = |fase: &str, omrade: &str, niva: Option<u8>| Keys {
        pilot_id: Some(p.id.clone()),
        fase: Some(fase.into()),
        omrade: Some(omrade.into()),
        kompetanseniva: niva,
        ..keys()
    };
    let areas = order_by(
        ctx.select("minutter_per_omrade", "pilot_område")
            .filter(|r| r.keys.pilot_id.as_deref() == Some(p.id.as_str()))
            .filter_map(|r| r.keys.omrade.as_deref()),
        &TASK_AREAS,
    );
    if areas.is_empty() {
        return None;
    }
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
            stacks.push(svg::Stack {
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
        svg::stack_chart(&svg::StackChart {
            legend: (1..=4).map(level_name).collect(),
            stacks,
            tick: num_tick,
        }),
    ));
    Some(FigureView { fil, alt })
}

/// The pilot's periods, `Før` and `Pilot`.
fn periods(p: &Pilot) -> Vec<PeriodView> {
    p.perioder
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
        .collect()
}

/// The pilot's mapped workflow, with task and profession names.
fn workflow(ctx: &Ctx<'_>, p: &Pilot) -> Vec<WorkflowStepView> {
    p.arbeidsflyt
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
        .collect()
}
