//! §4 Challenge areas and other survey indicators, per survey, with their families for
//! secondary suppression.

use std::collections::BTreeMap;

use anyhow::Result;
use polars::prelude::DataFrame;

use super::frames::{FrameBuilder, GroupKey, group_sum, some};
use super::staffing::{Headcount, cmp_opt};
use super::suppress::{Cell, Family};
use super::{Draft, IndicatorRow, Keys, new_row};
use crate::model::{Dataset, Respondent, SurveyRound, SurveyType};

type Groupings = &'static [(&'static str, &'static [&'static str])];
type Pairs = &'static [(&'static str, &'static str)];

const AREA_GROUPS: Groupings = &[
    ("region", &[]),
    ("foretak", &["foretak"]),
    ("enhet", &["foretak", "enhet"]),
    ("yrke", &["yrke"]),
];
const AREA_PAIRS: Pairs = &[
    ("region", "foretak"),
    ("region", "enhet"),
    ("region", "yrke"),
    ("foretak", "enhet"),
];
const TID_GROUPS: Groupings = &[
    ("region", &[]),
    ("yrke", &["yrke"]),
    ("foretak", &["foretak"]),
    ("foretak_yrke", &["foretak", "yrke"]),
];
const TID_PAIRS: Pairs = &[
    ("region", "foretak"),
    ("region", "yrke"),
    ("foretak", "foretak_yrke"),
    ("yrke", "foretak_yrke"),
];
const REGION_ONLY: Groupings = &[("region", &[])];
const SVAR_GROUPS: Groupings = &[
    ("region", &[]),
    ("foretak", &["foretak"]),
    ("enhet", &["foretak", "enhet"]),
];
const SVAR_PAIRS: Pairs = &[
    ("region", "foretak"),
    ("region", "enhet"),
    ("foretak", "enhet"),
];

/// One indicator over one frame: how to read its numerator and count.
struct Spec<'a> {
    id: &'static str,
    unit: &'static str,
    /// Column summed for the numerator.
    num: &'static str,
    /// Column summed for `n`.
    cnt: &'static str,
    /// The value from (grouping, keys, numerator, n); `None` = not published here.
    value: &'a dyn Fn(&str, &Keys, f64, u64) -> Option<f64>,
}

fn mean(_: &str, _: &Keys, num: f64, n: u64) -> Option<f64> {
    Some(num / n as f64)
}

fn canonical(rs: &mut [&Respondent]) {
    // Compared item by item, as the lists of (area, score bits) they are, without building
    // the lists for every comparison.
    fn scores(r: &Respondent) -> impl Iterator<Item = (&str, u64)> {
        r.scores
            .iter()
            .map(|s| (s.omrade.as_str(), s.score.to_bits()))
    }
    rs.sort_by(|a, b| {
        (
            &a.undersokelse,
            &a.respondent,
            &a.foretak_id,
            &a.enhet_id,
            &a.yrke_id,
        )
            .cmp(&(
                &b.undersokelse,
                &b.respondent,
                &b.foretak_id,
                &b.enhet_id,
                &b.yrke_id,
            ))
            .then(a.survey_type.cmp(&b.survey_type))
            .then(a.vurderer_a_slutte.cmp(&b.vurderer_a_slutte))
            .then(cmp_opt(a.tid_andre_kunne_gjort, b.tid_andre_kunne_gjort))
            .then_with(|| scores(a).cmp(scores(b)))
    });
}

fn area_frame(rs: &[&Respondent]) -> Result<DataFrame> {
    let (mut who, mut omr, mut score, mut hoy, mut one) = (vec![], vec![], vec![], vec![], vec![]);
    for (i, r) in rs.iter().enumerate() {
        let mut by_area: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
        for s in &r.scores {
            by_area.entry(s.omrade.as_str()).or_default().push(s.score);
        }
        for (area, mut v) in by_area {
            v.sort_by(f64::total_cmp);
            let m = v.iter().sum::<f64>() / v.len() as f64;
            who.push(i);
            omr.push(Some(area));
            score.push(Some(m));
            hoy.push(Some(if m >= 4.0 { 1.0 } else { 0.0 }));
            one.push(Some(1.0));
        }
    }
    // The texts borrowed from the respondents: a frame of a row per respondent and area
    // copies them once, into Polars' buffers.
    FrameBuilder::default()
        .str(
            "undersokelse",
            some(who.iter().map(|i| rs[*i].undersokelse.as_str())),
        )
        .str("omrade", omr)
        .str(
            "foretak",
            some(who.iter().map(|i| rs[*i].foretak_id.as_str())),
        )
        .str("enhet", some(who.iter().map(|i| rs[*i].enhet_id.as_str())))
        .str(
            "yrke",
            who.iter().map(|i| rs[*i].yrke_id.as_deref()).collect(),
        )
        .f64("score", score)
        .f64("hoy", hoy)
        .f64("one", one)
        .finish()
}

fn respondent_frame(rs: &[&Respondent]) -> Result<DataFrame> {
    let flag = |b: bool| Some(if b { 1.0 } else { 0.0 });
    FrameBuilder::default()
        .str(
            "undersokelse",
            some(rs.iter().map(|r| r.undersokelse.as_str())),
        )
        .str("foretak", some(rs.iter().map(|r| r.foretak_id.as_str())))
        .str("enhet", some(rs.iter().map(|r| r.enhet_id.as_str())))
        .str("yrke", rs.iter().map(|r| r.yrke_id.as_deref()).collect())
        .f64("tid", rs.iter().map(|r| r.tid_andre_kunne_gjort).collect())
        .f64(
            "tid_cnt",
            rs.iter()
                .map(|r| flag(r.tid_andre_kunne_gjort.is_some()))
                .collect(),
        )
        .f64(
            "slutt",
            rs.iter()
                .map(|r| r.vurderer_a_slutte.map(|b| if b { 1.0 } else { 0.0 }))
                .collect(),
        )
        .f64(
            "slutt_cnt",
            rs.iter()
                .map(|r| flag(r.vurderer_a_slutte.is_some()))
                .collect(),
        )
        .f64("svar", rs.iter().map(|_| Some(1.0)).collect())
        .f64(
            "ansatt",
            rs.iter()
                .map(|r| flag(r.survey_type == SurveyType::Ansatt))
                .collect(),
        )
        .finish()
}

/// Emit `specs` at `groups` over `df` (keyed additionally by `base`), with one family per
/// (indicator, base key) tied by `pairs`. Cells with a missing key (respondents without a
/// profession) and cells a spec does not publish become hidden cells of the family.
fn emit(
    df: &DataFrame,
    base: &[&str],
    groups: Groupings,
    pairs: Pairs,
    specs: &[Spec],
    draft: &mut Draft,
) -> Result<()> {
    let mut sums: Vec<&str> = specs.iter().flat_map(|s| [s.num, s.cnt]).collect();
    sums.sort_unstable();
    sums.dedup();
    let at = |c: &str| sums.iter().position(|s| *s == c).expect("sum column");
    let mut fams: BTreeMap<(&str, GroupKey), Vec<Cell>> = BTreeMap::new();
    for (grp, names) in groups {
        let mut all: Vec<&str> = base.to_vec();
        all.extend_from_slice(names);
        for (key, g) in group_sum(df, &all, &sums)? {
            let (bk, gk) = key.split_at(base.len());
            let mut keys = Keys {
                undersokelse: bk[0].clone(),
                omrade: bk.get(1).cloned().flatten(),
                ..Keys::default()
            };
            let mut dims = Vec::new();
            for (name, v) in names.iter().zip(gk) {
                match *name {
                    "foretak" => keys.foretak_id = v.clone(),
                    "enhet" => keys.enhet_id = v.clone(),
                    _ => keys.yrke_id = v.clone(),
                }
                let dim: &'static str = match *name {
                    "foretak" => "foretak",
                    "enhet" => "enhet",
                    _ => "yrke",
                };
                dims.push((dim, v.clone()));
            }
            let complete = gk.iter().all(Option::is_some);
            for spec in specs {
                let num = g.sums[at(spec.num)];
                let n = g.sums[at(spec.cnt)].round() as u64;
                if n == 0 {
                    continue;
                }
                let value = if complete {
                    (spec.value)(grp, &keys, num, n)
                } else {
                    None
                };
                let row = value.map(|v| {
                    draft.push(
                        new_row(spec.id, grp, keys.clone(), Some(v), Some(n), spec.unit),
                        Some(n),
                    )
                });
                fams.entry((spec.id, bk.to_vec())).or_default().push(Cell {
                    grp,
                    dims: dims.clone(),
                    row,
                    n,
                });
            }
        }
    }
    for (_, cells) in fams {
        draft.families.push(Family::new(cells, pairs));
    }
    Ok(())
}

/// Compute §4 for every survey, then the changes between rounds.
pub(crate) fn compute(dataset: &Dataset, head: &Headcount, draft: &mut Draft) -> Result<()> {
    let start = draft.rows.len();
    // Every respondent in canonical order, once for the levels and the changes.
    let mut rs: Vec<&Respondent> = dataset.respondents.iter().collect();
    canonical(&mut rs);
    levels(&rs, head, draft)?;
    // Every survey row carries its series and round (indicators.md §4).
    let rounds: BTreeMap<&str, &SurveyRound> = dataset
        .survey_rounds
        .iter()
        .map(|r| (r.undersokelse.as_str(), r))
        .collect();
    for row in &mut draft.rows[start..] {
        if let Some(r) = row.keys.undersokelse.as_deref().and_then(|u| rounds.get(u)) {
            row.serie = Some(r.serie.clone());
            row.runde = Some(r.runde.to_string());
        }
    }
    changes(&rs, draft, start, &round_pairs(&dataset.survey_rounds));
    Ok(())
}

/// The current and the previous round of each series with two rounds or more, by date
/// (never by file name): `(series, previous, current)`.
pub(crate) fn round_pairs(rounds: &[SurveyRound]) -> Vec<RoundPair<'_>> {
    let mut by_series: BTreeMap<&str, Vec<&SurveyRound>> = BTreeMap::new();
    for r in rounds {
        by_series.entry(&r.serie).or_default().push(r);
    }
    by_series
        .into_iter()
        .filter_map(|(s, mut v)| {
            v.sort_by(|a, b| (a.runde, &a.undersokelse).cmp(&(b.runde, &b.undersokelse)));
            let n = v.len();
            (n >= 2).then(|| (s, v[n - 2], v[n - 1]))
        })
        .collect()
}

/// A change indicator of one series: its id, the level indicator it is the change of and
/// the område (for area scores); its values are the column of the same place in
/// [`Round::values`].
type ChangeSpec = (&'static str, &'static str, Option<String>);

/// One bootstrap of a change: the seed and both rounds' values (current, previous).
type ChangeJob = (u64, Vec<f64>, Vec<f64>);

/// `utfordring_score_endring` and `vurderer_a_slutte_endring` (indicators.md §4): current −
/// previous round of each series, per område at region, foretak, enhet and yrke, with a
/// 95 % bootstrap interval over respondents within each round (seed from the series name).
/// A change is linked to both rounds' level rows: suppressed whenever either is, so it is
/// published only where both levels are and never reveals more than they do.
fn changes(rs: &[&Respondent], draft: &mut Draft, start: usize, pairs: &[RoundPair]) {
    let index: std::collections::HashMap<(&str, &str, &Keys), usize> = draft.rows[start..]
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (
                (r.indikator.as_str(), r.gruppering.as_str(), &r.keys),
                start + i,
            )
        })
        .collect();
    let mut new_rows: Vec<(IndicatorRow, Option<u64>, Vec<usize>)> = Vec::new();
    // Per new row, its bootstrap: the seed and both rounds' values.
    let mut jobs: Vec<ChangeJob> = Vec::new();
    for (serie, prev, cur) in pairs {
        let rp = round_respondents(rs, &prev.undersokelse);
        let rc = round_respondents(rs, &cur.undersokelse);
        let specs = change_specs(&rp, &rc);
        let (vp, vc) = (Round::of(&rp, &specs), Round::of(&rc, &specs));
        // Each round's cells per grouping, once for every indicator.
        let groups: Vec<(&str, &[&str], Cells, Cells)> = AREA_GROUPS
            .iter()
            .map(|(grp, dims)| (*grp, *dims, vp.cells(dims), vc.cells(dims)))
            .collect();
        for (s, (id, level, omrade)) in specs.iter().enumerate() {
            for (grp, dims, gp, gc) in &groups {
                let (cp, cc) = (gp.values(&vp.values[s]), gc.values(&vc.values[s]));
                for (key, xc) in gc.keys.iter().zip(&cc) {
                    let Some(xp) = gp.find(key).map(|j| &cp[j]) else {
                        continue;
                    };
                    if xc.is_empty() || xp.is_empty() {
                        continue;
                    }
                    let kc = change_keys(&cur.undersokelse, omrade, dims, key);
                    let kp = change_keys(&prev.undersokelse, omrade, dims, key);
                    let (Some(&lc), Some(&lp)) = (
                        index.get(&(*level, *grp, &kc)),
                        index.get(&(*level, *grp, &kp)),
                    ) else {
                        continue;
                    };
                    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
                    let value = mean(xc) - mean(xp);
                    let seed = super::bootstrap::fnv1a(serie)
                        ^ super::bootstrap::fnv1a(&format!("{id}|{grp}|{key:?}"));
                    let n = xc.len().min(xp.len()) as u64;
                    let unit = if *id == "utfordring_score_endring" {
                        "skår"
                    } else {
                        "andel"
                    };
                    let mut row = new_row(id, grp, kc, Some(value), Some(n), unit);
                    row.serie = Some(cur.serie.clone());
                    row.runde = Some(cur.runde.to_string());
                    new_rows.push((row, Some(n), vec![lc, lp]));
                    jobs.push((seed, xc.clone(), xp.clone()));
                }
            }
        }
    }
    drop(index);
    // The bootstraps are independent (each its own seed): run them on every core.
    let intervals = crate::par::map(&jobs, |(seed, xc, xp)| {
        super::bootstrap::interval(super::bootstrap::mean_change_replicates(*seed, xc, xp))
    });
    for ((row, _, _), ci) in new_rows.iter_mut().zip(intervals) {
        if let Some((lo, hi)) = ci {
            row.nedre = Some(lo);
            row.ovre = Some(hi);
        }
    }
    for (row, primary, sources) in new_rows {
        let i = draft.push(row, primary);
        draft.links.push((i, sources));
    }
}

/// A series' previous and current round: `(series, previous, current)`.
type RoundPair<'a> = (&'a str, &'a SurveyRound, &'a SurveyRound);

/// The respondents of survey `u` from `rs` in canonical order (so in canonical order too:
/// the order sorts by survey first, and keeps its order among equals).
fn round_respondents<'a>(rs: &[&'a Respondent], u: &str) -> Vec<&'a Respondent> {
    rs.iter().copied().filter(|r| r.undersokelse == u).collect()
}

/// The change indicators of a pair of rounds: the score of every area either round has, in
/// area order, then considering leaving.
fn change_specs(rp: &[&Respondent], rc: &[&Respondent]) -> Vec<ChangeSpec> {
    let mut areas: Vec<&str> = rc
        .iter()
        .chain(rp)
        .flat_map(|r| r.scores.iter().map(|s| s.omrade.as_str()))
        .collect();
    areas.sort_unstable();
    areas.dedup();
    let mut specs: Vec<ChangeSpec> = areas
        .iter()
        .map(|a| {
            (
                "utfordring_score_endring",
                "utfordring_score",
                Some((*a).to_owned()),
            )
        })
        .collect();
    specs.push(("vurderer_a_slutte_endring", "vurderer_a_slutte_andel", None));
    specs
}

/// One round's respondents and their value for each change indicator.
struct Round<'a, 'r> {
    rs: &'a [&'r Respondent],
    /// Per indicator of the specs (in their order), per respondent: the mean of its scores
    /// in the area (sorted, then summed), or 1/0 for considering leaving; `None` when the
    /// respondent has none.
    values: Vec<Vec<Option<f64>>>,
}

impl<'a, 'r> Round<'a, 'r> {
    /// The values of `specs` (areas in order, considering leaving last), each respondent's
    /// scores gone through once.
    fn of(rs: &'a [&'r Respondent], specs: &[ChangeSpec]) -> Self {
        let areas: Vec<&str> = specs.iter().filter_map(|s| s.2.as_deref()).collect();
        let mut values = vec![vec![None; rs.len()]; specs.len()];
        let mut scores: Vec<(&str, f64)> = Vec::new();
        for (i, r) in rs.iter().enumerate() {
            scores.clear();
            scores.extend(r.scores.iter().map(|s| (s.omrade.as_str(), s.score)));
            scores.sort_by(|a, b| a.0.cmp(b.0).then(a.1.total_cmp(&b.1)));
            for run in scores.chunk_by(|a, b| a.0 == b.0) {
                let Ok(a) = areas.binary_search(&run[0].0) else {
                    continue;
                };
                let sum = run.iter().map(|s| s.1).sum::<f64>();
                values[a][i] = Some(sum / run.len() as f64);
            }
            values[areas.len()][i] = r.vurderer_a_slutte.map(|b| if b { 1.0 } else { 0.0 });
        }
        Round { rs, values }
    }

    /// The respondents by cell of `dims` (foretak, enhet, yrke); a respondent without a
    /// profession where `dims` has one is in none.
    fn cells(&self, dims: &[&str]) -> Cells<'r> {
        let mut ids: BTreeMap<Vec<&'r str>, u32> = BTreeMap::new();
        let of: Vec<Option<u32>> = self
            .rs
            .iter()
            .map(|r| {
                let key: Option<Vec<&'r str>> = dims
                    .iter()
                    .map(|d| match *d {
                        "foretak" => Some(r.foretak_id.as_str()),
                        "enhet" => Some(r.enhet_id.as_str()),
                        _ => r.yrke_id.as_deref(),
                    })
                    .collect();
                key.map(|k| {
                    let next = u32::try_from(ids.len()).expect("fewer than 2^32 cells");
                    *ids.entry(k).or_insert(next)
                })
            })
            .collect();
        // Cells numbered in key order.
        let mut rank = vec![0u32; ids.len()];
        for (r, id) in (0u32..).zip(ids.values()) {
            rank[*id as usize] = r;
        }
        Cells {
            of: of
                .into_iter()
                .map(|c| c.map(|c| rank[c as usize]))
                .collect(),
            keys: ids.into_keys().collect(),
        }
    }
}

/// A round's respondents by cell: the cells' keys in order, and each respondent's cell.
struct Cells<'r> {
    keys: Vec<Vec<&'r str>>,
    of: Vec<Option<u32>>,
}

impl Cells<'_> {
    /// Per cell, the values (of one indicator, per respondent) of its respondents that have
    /// one, in the respondents' order.
    fn values(&self, column: &[Option<f64>]) -> Vec<Vec<f64>> {
        let mut out = vec![Vec::new(); self.keys.len()];
        for (c, x) in self.of.iter().zip(column) {
            if let (Some(c), Some(x)) = (c, x) {
                out[*c as usize].push(*x);
            }
        }
        out
    }

    /// The cell of `key`.
    fn find(&self, key: &[&str]) -> Option<usize> {
        self.keys.binary_search_by(|k| k.as_slice().cmp(key)).ok()
    }
}

/// The keys of a change (or level) cell in survey `u`: `omrade`, and `key` as the values of
/// `dims`.
fn change_keys(u: &str, omrade: &Option<String>, dims: &[&str], key: &[&str]) -> Keys {
    let mut kk = Keys {
        undersokelse: Some(u.to_owned()),
        omrade: omrade.clone(),
        ..Keys::default()
    };
    for (d, v) in dims.iter().zip(key) {
        match *d {
            "foretak" => kk.foretak_id = Some((*v).to_owned()),
            "enhet" => kk.enhet_id = Some((*v).to_owned()),
            _ => kk.yrke_id = Some((*v).to_owned()),
        }
    }
    kk
}

/// The level indicators of every survey.
fn levels(rs: &[&Respondent], head: &Headcount, draft: &mut Draft) -> Result<()> {
    if rs.is_empty() {
        return Ok(());
    }
    let areas = area_frame(rs)?;
    let share = |_: &str, _: &Keys, num: f64, n: u64| Some(num / n as f64);
    emit(
        &areas,
        &["undersokelse", "omrade"],
        AREA_GROUPS,
        AREA_PAIRS,
        &[
            Spec {
                id: "utfordring_score",
                unit: "skår",
                num: "score",
                cnt: "one",
                value: &mean,
            },
            Spec {
                id: "utfordring_andel",
                unit: "andel",
                num: "hoy",
                cnt: "one",
                value: &share,
            },
        ],
        draft,
    )?;
    respondent_levels(&respondent_frame(rs)?, head, draft)
}

/// The level indicators of the respondents' own answers: time others could do, considering
/// leaving, number of responses and the response rate (against `head`).
fn respondent_levels(resp: &DataFrame, head: &Headcount, draft: &mut Draft) -> Result<()> {
    let share = |_: &str, _: &Keys, num: f64, n: u64| Some(num / n as f64);
    emit(
        resp,
        &["undersokelse"],
        TID_GROUPS,
        TID_PAIRS,
        &[Spec {
            id: "tid_andre_kunne_gjort",
            unit: "andel",
            num: "tid",
            cnt: "tid_cnt",
            value: &mean,
        }],
        draft,
    )?;
    emit(
        resp,
        &["undersokelse"],
        AREA_GROUPS,
        AREA_PAIRS,
        &[Spec {
            id: "vurderer_a_slutte_andel",
            unit: "andel",
            num: "slutt",
            cnt: "slutt_cnt",
            value: &share,
        }],
        draft,
    )?;
    let count = |_: &str, _: &Keys, _: f64, n: u64| Some(n as f64);
    emit(
        resp,
        &["undersokelse"],
        REGION_ONLY,
        &[],
        &[Spec {
            id: "antall_svar",
            unit: "antall",
            num: "svar",
            cnt: "svar",
            value: &count,
        }],
        draft,
    )?;
    let svar = |grp: &str, keys: &Keys, _: f64, n: u64| -> Option<f64> {
        let h = match grp {
            "region" => head.region,
            "foretak" => head.foretak.get(keys.foretak_id.as_deref()?).copied(),
            _ => head
                .enhet
                .get(&(keys.foretak_id.clone()?, keys.enhet_id.clone()?))
                .copied(),
        }?;
        (h > 0.0).then(|| n as f64 / h)
    };
    emit(
        resp,
        &["undersokelse"],
        SVAR_GROUPS,
        SVAR_PAIRS,
        &[Spec {
            id: "svarprosent",
            unit: "andel",
            num: "ansatt",
            cnt: "ansatt",
            value: &svar,
        }],
        draft,
    )
}
