//! The short per-trust reports (`foretak/<id>.pdf`): one health trust's own figures beside
//! the region's, its units' largest challenges and the pilots it runs. Built from the same
//! indicator table as the main report.

use std::collections::BTreeSet;

use serde::Serialize;

use super::format;
use super::names::area_name;
use super::view::{
    COORDINATION, Celle, Ctx, PilotView, ReportView, STAFFING, SurveyView, TASK_SHARING,
    UnitChallengeView, keys,
};
use crate::indicators::Keys;
use crate::model::Ownership;

/// One indicator for the trust beside the region.
#[derive(Debug, Clone, Serialize)]
pub struct CompareView {
    /// Indicator or area id.
    pub id: String,
    /// Display name.
    pub navn: String,
    /// The trust's value.
    pub foretak: Celle,
    /// The region's value.
    pub region: Celle,
}

/// One profession at the trust, with the region's vacancy rate for the profession.
#[derive(Debug, Clone, Serialize)]
pub struct TrustProfessionView {
    /// Profession name.
    pub navn: String,
    /// Budgeted FTE at the trust.
    pub budsjetterte: Celle,
    /// Filled FTE at the trust.
    pub besatte: Celle,
    /// Vacant FTE at the trust.
    pub ledige: Celle,
    /// Vacancy rate at the trust.
    pub vakansgrad: Celle,
    /// Vacancy rate of the profession in the region.
    pub vakansgrad_region: Celle,
}

/// The trust in the current staff survey.
#[derive(Debug, Clone, Serialize)]
pub struct TrustSurveyView {
    /// Survey key.
    pub nokkel: String,
    /// Response rate, considering leaving, time others could do: trust beside region.
    pub nokkeltall: Vec<CompareView>,
    /// Challenge score per area: trust beside region.
    pub omrader: Vec<CompareView>,
    /// The trust's three largest challenges, `Kapasitet (3,9)`, highest first.
    pub storste: Vec<String>,
    /// The trust's units, each with its top three challenges.
    pub enheter: Vec<UnitChallengeView>,
}

/// One task-sharing indicator of a pilot at this trust (`pilot_foretak`).
#[derive(Debug, Clone, Serialize)]
pub struct TrustPilotRow {
    /// Indicator name.
    pub navn: String,
    /// Before.
    pub for_: Celle,
    /// During the pilot.
    pub pilot: Celle,
    /// Change in percentage points, short form (`+5,2`).
    pub endring: Celle,
}

/// A pilot the trust runs.
#[derive(Debug, Clone, Serialize)]
pub struct TrustPilotView {
    /// The pilot as in the main report (pilot-level results).
    pub pilot: PilotView,
    /// The pilot runs at more than one trust.
    pub flere_foretak: bool,
    /// Units of this trust in the pilot, joined.
    pub enheter: String,
    /// Task-sharing and coordination indicators at this trust.
    pub egne: Vec<TrustPilotRow>,
}

/// Everything the per-trust template sees besides the main view (as `ft`).
#[derive(Debug, Clone, Serialize)]
pub struct TrustView {
    /// Trust id.
    pub id: String,
    /// Name.
    pub navn: String,
    /// A private provider.
    pub privat: bool,
    /// Staffing indicators: trust beside region.
    pub bemanning: Vec<CompareView>,
    /// Professions at the trust.
    pub yrker: Vec<TrustProfessionView>,
    /// The trust's vacancy rate rank among the trusts with a published rate: `2 av 5`.
    pub vakans_rang: String,
    /// The current staff survey, if any.
    pub undersokelse: Option<TrustSurveyView>,
    /// Pilots the trust runs.
    pub piloter: Vec<TrustPilotView>,
}

/// The trust's file stem: its id with anything but ASCII letters, digits, `-` and `_`
/// replaced by `_`.
pub fn file_stem(id: &str) -> String {
    let s: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() { "_".into() } else { s }
}

fn fk(id: &str) -> Keys {
    Keys {
        foretak_id: Some(id.to_string()),
        ..keys()
    }
}

/// One view per health trust in the reference table, in reference order.
pub(super) fn build(ctx: &Ctx<'_>, view: &ReportView) -> Vec<TrustView> {
    ctx.dataset
        .reference
        .foretak
        .iter()
        .map(|f| trust(ctx, view, &f.id, &f.navn, f.eierskap == Ownership::Privat))
        .collect()
}

fn trust(ctx: &Ctx<'_>, view: &ReportView, id: &str, navn: &str, privat: bool) -> TrustView {
    let bemanning = STAFFING
        .iter()
        .map(|i| CompareView {
            id: i.to_string(),
            navn: ctx.name(i),
            foretak: ctx.cell(i, "foretak", &fk(id)),
            region: ctx.cell(i, "region", &keys()),
        })
        .collect();
    TrustView {
        id: id.to_string(),
        navn: navn.to_string(),
        privat,
        bemanning,
        yrker: professions(ctx, id),
        vakans_rang: vacancy_rank(ctx, id),
        undersokelse: view.undersokelse.as_ref().map(|s| survey(ctx, s, id)),
        piloter: pilots(ctx, view, id),
    }
}

/// The professions with budgeted FTE at the trust, in reference order then the others, each
/// beside the profession's vacancy rate in the region.
fn professions(ctx: &Ctx<'_>, id: &str) -> Vec<TrustProfessionView> {
    let present: BTreeSet<String> = ctx
        .select("budsjetterte_arsverk", "foretak_yrke")
        .filter(|r| r.keys.dato.is_none() && r.keys.foretak_id.as_deref() == Some(id))
        .filter_map(|r| r.keys.yrke_id.clone())
        .collect();
    let mut yrke_ids: Vec<String> = ctx
        .dataset
        .reference
        .yrker
        .iter()
        .filter(|y| present.contains(&y.id))
        .map(|y| y.id.clone())
        .collect();
    let extra: Vec<String> = present
        .iter()
        .filter(|y| !yrke_ids.contains(y))
        .cloned()
        .collect();
    yrke_ids.extend(extra);
    yrke_ids
        .iter()
        .map(|y| {
            let k = Keys {
                foretak_id: Some(id.to_string()),
                yrke_id: Some(y.clone()),
                ..keys()
            };
            let ky = Keys {
                yrke_id: Some(y.clone()),
                ..keys()
            };
            TrustProfessionView {
                navn: ctx.yrke_name(y),
                budsjetterte: ctx.cell("budsjetterte_arsverk", "foretak_yrke", &k),
                besatte: ctx.cell("besatte_arsverk", "foretak_yrke", &k),
                ledige: ctx.cell("ledige_arsverk", "foretak_yrke", &k),
                vakansgrad: ctx.cell("vakansgrad", "foretak_yrke", &k),
                vakansgrad_region: ctx.cell("vakansgrad", "yrke", &ky),
            }
        })
        .collect()
}

/// The trust's vacancy rate rank among the trusts with a published rate: `2 av 5`; empty
/// when its own is not published.
fn vacancy_rank(ctx: &Ctx<'_>, id: &str) -> String {
    let mut rates: Vec<(f64, &str)> = ctx
        .dataset
        .reference
        .foretak
        .iter()
        .filter_map(|f| {
            let r = ctx.row("vakansgrad", "foretak", &fk(&f.id))?;
            Some((r.verdi.filter(|_| !r.prikket)?, f.id.as_str()))
        })
        .collect();
    rates.sort_by(|a, b| b.0.total_cmp(&a.0));
    rates
        .iter()
        .position(|(_, f)| *f == id)
        .map(|p| format!("{} av {}", p + 1, rates.len()))
        .unwrap_or_default()
}

/// The trust in the current staff survey `s`.
fn survey(ctx: &Ctx<'_>, s: &SurveyView, id: &str) -> TrustSurveyView {
    let sk = |extra: Keys| Keys {
        undersokelse: Some(s.nokkel.clone()),
        ..extra
    };
    let nokkeltall = [
        "svarprosent",
        "vurderer_a_slutte_andel",
        "tid_andre_kunne_gjort",
    ]
    .iter()
    .map(|i| CompareView {
        id: i.to_string(),
        navn: ctx.name(i),
        foretak: ctx.cell(i, "foretak", &sk(fk(id))),
        region: ctx.cell(i, "region", &sk(keys())),
    })
    .collect();
    let ak = |a: &str| {
        sk(Keys {
            omrade: Some(a.to_string()),
            ..fk(id)
        })
    };
    let omrader: Vec<CompareView> = s
        .omrader
        .iter()
        .map(|a| CompareView {
            id: a.id.clone(),
            navn: a.navn.clone(),
            foretak: ctx.cell("utfordring_score", "foretak", &ak(&a.id)),
            region: a.skar.clone(),
        })
        .collect();
    let mut scored: Vec<(f64, usize)> = s
        .omrader
        .iter()
        .enumerate()
        .filter_map(|(i, a)| {
            let r = ctx.row("utfordring_score", "foretak", &ak(&a.id))?;
            Some((r.verdi.filter(|_| !r.prikket)?, i))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let storste = scored
        .iter()
        .take(3)
        .map(|(v, i)| format!("{} ({})", area_name(&s.omrader[*i].id), format::score(*v)))
        .collect();
    let units: BTreeSet<String> = ctx
        .select("utfordring_score", "enhet")
        .filter(|r| {
            r.keys.foretak_id.as_deref() == Some(id)
                && r.keys.undersokelse.as_deref() == Some(s.nokkel.as_str())
        })
        .filter_map(|r| r.keys.enhet_id.clone())
        .collect();
    TrustSurveyView {
        nokkel: s.nokkel.clone(),
        nokkeltall,
        omrader,
        storste,
        enheter: s
            .enheter
            .iter()
            .filter(|e| units.contains(&e.id))
            .cloned()
            .collect(),
    }
}

/// The pilots the trust runs, each as in the main report with the trust's own units and
/// indicators.
fn pilots(ctx: &Ctx<'_>, view: &ReportView, id: &str) -> Vec<TrustPilotView> {
    ctx.dataset
        .pilots
        .iter()
        .filter(|p| p.foretak.iter().any(|f| f == id))
        .filter_map(|p| {
            let pv = view.piloter.iter().find(|v| v.id == p.id)?.clone();
            let own: Vec<String> = p
                .enheter
                .iter()
                .filter(|e| {
                    ctx.dataset
                        .reference
                        .enhet(e)
                        .is_none_or(|u| u.foretak_id == id)
                })
                .map(|e| ctx.enhet_name(e))
                .collect();
            Some(TrustPilotView {
                pilot: pv,
                flere_foretak: p.foretak.len() > 1,
                enheter: own.join(", "),
                egne: own_rows(ctx, &p.id, id),
            })
        })
        .collect()
}

/// Pilot `pilot`'s task-sharing and coordination indicators at trust `id` (`pilot_foretak`).
fn own_rows(ctx: &Ctx<'_>, pilot: &str, id: &str) -> Vec<TrustPilotRow> {
    let pk = |fase: &str| Keys {
        pilot_id: Some(pilot.to_string()),
        fase: Some(fase.to_string()),
        ..fk(id)
    };
    TASK_SHARING
        .iter()
        .chain(COORDINATION.iter())
        .map(|i| {
            let change = ctx.row(i, "pilot_foretak", &pk("endring"));
            let endring = match change {
                Some(r) if r.prikket => Celle {
                    tekst: format::PRIKKET.into(),
                    prikket: true,
                },
                Some(r) => Celle {
                    tekst: r
                        .verdi
                        .map(format::points_short)
                        .unwrap_or_else(|| format::MANGLER.into()),
                    prikket: false,
                },
                None => Celle::missing(),
            };
            TrustPilotRow {
                navn: ctx.name(i),
                for_: ctx.cell(i, "pilot_foretak", &pk("før")),
                pilot: ctx.cell(i, "pilot_foretak", &pk("pilot")),
                endring,
            }
        })
        .collect()
}
