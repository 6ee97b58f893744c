//! §2 Task sharing and §3 coordination, from the pilot activity logs, with before/after
//! changes and their cluster-bootstrap intervals.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use polars::prelude::DataFrame;

use super::bootstrap::{UnitDay, fnv1a, ratio_change, unit_share_change};
use super::frames::{
    FrameBuilder, GroupKey, group_distinct, group_sum, group_units, some, unit_flags,
};
use super::suppress::{Cell, Family};
use super::{Draft, Keys, new_row};
use crate::model::{Dataset, LogRow};

/// Hours per week of one specialist FTE.
const HOURS_PER_FTE_WEEK: f64 = 37.5;

const SUMS: &[&str] = &[
    "m", "m_riktig", "m_over", "m_under", "m_spes", "m_deleg", "m_ny", "c_spes",
];

/// (id, numerator column, denominator column, column counting the denominator's rows)
const SHARES: &[(&str, &str, &str, &str)] = &[
    ("riktig_niva_andel", "m_riktig", "m", ""),
    ("overkvalifisert_andel", "m_over", "m", ""),
    ("underkvalifisert_andel", "m_under", "m", ""),
    (
        "spesialisttid_delegerbar_andel",
        "m_deleg",
        "m_spes",
        "c_spes",
    ),
    ("ny_yrkesgruppe_andel", "m_ny", "m", ""),
];

/// (id, task area)
const COORD: &[(&str, &str)] = &[
    ("kommunesamarbeid_andel", "kommune"),
    ("parorende_andel", "pårørende"),
    ("frivillige_andel", "frivillige"),
];
const FLAGS: &[&str] = &["f_kommune", "f_parorende", "f_frivillige"];

const FASER: [&str; 2] = ["før", "pilot"];

fn col_index(name: &str) -> usize {
    SUMS.iter().position(|c| *c == name).expect("sum column")
}

fn frame(rows: &[&LogRow], dataset: &Dataset) -> Result<DataFrame> {
    let r = &dataset.reference;
    let mut vals: Vec<Vec<Option<f64>>> = vec![Vec::new(); SUMS.len() + FLAGS.len()];
    let mut niva = Vec::new();
    let mut omrade = Vec::new();
    for row in rows {
        let p = r.yrke(&row.yrke_id).map(|y| y.niva);
        let oppg = r.oppgave(&row.oppgave_id);
        let req = oppg.map(|o| o.krever_niva);
        let area = oppg.map(|o| o.omrade.clone());
        let ny = r.yrke(&row.yrke_id).is_some_and(|y| y.ny_yrkesgruppe);
        let m = row.minutter;
        let when = |c: bool| Some(if c { m } else { 0.0 });
        let (p0, r0) = (p.unwrap_or(0), req.unwrap_or(0));
        let both = p.is_some() && req.is_some();
        let v = [
            Some(m),
            when(both && p0 == r0),
            when(both && p0 > r0),
            when(both && p0 < r0),
            when(p0 == 4),
            when(p0 == 4 && both && r0 < 4),
            when(ny),
            Some(if p0 == 4 { 1.0 } else { 0.0 }),
        ];
        for (i, x) in v.into_iter().enumerate() {
            vals[i].push(x);
        }
        for (j, (_, a)) in COORD.iter().enumerate() {
            vals[SUMS.len() + j].push(Some(if area.as_deref() == Some(*a) {
                1.0
            } else {
                0.0
            }));
        }
        niva.push(p.map(|p| p.to_string()));
        omrade.push(area);
    }
    let mut fb = FrameBuilder::default()
        .str("pilot", some(rows.iter().map(|r| r.pilot_id.clone())))
        .str(
            "fase",
            some(rows.iter().map(|r| r.fase.as_str().to_owned())),
        )
        .str("foretak", some(rows.iter().map(|r| r.foretak_id.clone())))
        .str("enhet", some(rows.iter().map(|r| r.enhet_id.clone())))
        .str(
            "dato",
            some(rows.iter().map(|r| r.dato.format("%Y-%m-%d").to_string())),
        )
        .str("niva", niva)
        .str("omrade", omrade)
        .str("utfort", rows.iter().map(|r| r.utfort_av.clone()).collect())
        .str("pasient", rows.iter().map(|r| r.pasient.clone()).collect());
    for (name, v) in SUMS.iter().chain(FLAGS).zip(vals) {
        fb = fb.f64(name, v);
    }
    fb.finish()
}

fn canonical(rows: &mut [&LogRow]) {
    rows.sort_by(|a, b| {
        (
            &a.pilot_id,
            a.fase,
            &a.foretak_id,
            &a.enhet_id,
            a.dato,
            &a.yrke_id,
            &a.oppgave_id,
        )
            .cmp(&(
                &b.pilot_id,
                b.fase,
                &b.foretak_id,
                &b.enhet_id,
                b.dato,
                &b.yrke_id,
                &b.oppgave_id,
            ))
            .then(a.minutter.total_cmp(&b.minutter))
            .then((&a.pasient, &a.utfort_av).cmp(&(&b.pasient, &b.utfort_av)))
    });
}

/// A phase cell's published row, its count and its distinct performers.
#[derive(Debug, Clone, Copy)]
struct PhaseCell {
    row: usize,
    value: f64,
    n: u64,
    performers: u64,
}

/// Where a share cell lives: (indicator, pilot, foretak or `None` for the whole pilot).
type CellId = (&'static str, String, Option<String>);

struct Ctx<'a> {
    k: u64,
    /// Pilots that log `utført_av`: only their cells get the performer rule.
    has_performer: &'a BTreeSet<String>,
}

impl Ctx<'_> {
    fn primary(&self, pilot: &str, performers: u64) -> bool {
        self.has_performer.contains(pilot) && performers < self.k
    }
}

fn keys(pilot: &str, foretak: Option<&str>, fase: &str) -> Keys {
    Keys {
        pilot_id: Some(pilot.to_owned()),
        foretak_id: foretak.map(str::to_owned),
        fase: Some(fase.to_owned()),
        ..Keys::default()
    }
}

fn grp_name(foretak: &Option<String>) -> &'static str {
    if foretak.is_some() {
        "pilot_foretak"
    } else {
        "pilot"
    }
}

/// Families `pilot = Σ pilot_foretak` per (indicator, pilot, phase).
fn families(cells: &BTreeMap<CellId, BTreeMap<&'static str, PhaseCell>>, draft: &mut Draft) {
    let mut fams: BTreeMap<(&str, String, &str), Vec<Cell>> = BTreeMap::new();
    for ((id, pilot, foretak), phases) in cells {
        for (fase, pc) in phases {
            fams.entry((id, pilot.clone(), fase))
                .or_default()
                .push(Cell {
                    grp: grp_name(foretak),
                    dims: foretak
                        .iter()
                        .map(|f| ("foretak", Some(f.clone())))
                        .collect(),
                    row: Some(pc.row),
                    n: pc.n,
                });
        }
    }
    for (_, cells) in fams {
        draft
            .families
            .push(Family::new(cells, &[("pilot", "pilot_foretak")]));
    }
}

/// Change rows (`fase = endring`) for every cell with both phases.
fn changes(
    cells: &BTreeMap<CellId, BTreeMap<&'static str, PhaseCell>>,
    intervals: &BTreeMap<CellId, Option<(f64, f64)>>,
    ctx: &Ctx,
    draft: &mut Draft,
) {
    for (cid, phases) in cells {
        let (id, pilot, foretak) = cid;
        let (Some(b), Some(a)) = (phases.get("før"), phases.get("pilot")) else {
            continue;
        };
        let mut row = new_row(
            id,
            grp_name(foretak),
            keys(pilot, foretak.as_deref(), "endring"),
            Some(a.value - b.value),
            Some(a.n.min(b.n)),
            "andel",
        );
        if let Some(Some((lo, hi))) = intervals.get(cid) {
            row.nedre = Some(*lo);
            row.ovre = Some(*hi);
        }
        let primary = ctx.primary(pilot, a.performers.min(b.performers));
        let r = draft.push(row, primary);
        draft.links.push((r, vec![b.row, a.row]));
        if *id == "spesialisttid_delegerbar_andel" && foretak.is_none() {
            let ci = intervals.get(cid).copied().flatten();
            let mut fr = new_row(
                "frigjort_spesialisttid",
                "pilot",
                keys(pilot, None, "endring"),
                Some((b.value - a.value) * HOURS_PER_FTE_WEEK),
                Some(a.n.min(b.n)),
                "timer_per_uke",
            );
            if let Some((lo, hi)) = ci {
                fr.nedre = Some(-hi * HOURS_PER_FTE_WEEK);
                fr.ovre = Some(-lo * HOURS_PER_FTE_WEEK);
            }
            let f = draft.push(fr, primary);
            draft.links.push((f, vec![b.row, a.row]));
        }
    }
}

fn split(key: &GroupKey, with_foretak: bool) -> (String, Option<String>, String) {
    let s = |i: usize| key[i].clone().unwrap_or_default();
    if with_foretak {
        (s(0), Some(s(1)), s(2))
    } else {
        (s(0), None, s(1))
    }
}

/// Compute §2 and §3 with changes, intervals, families and links.
pub(crate) fn compute(dataset: &Dataset, k: u64, draft: &mut Draft) -> Result<()> {
    let mut rows: Vec<&LogRow> = dataset.logs.iter().collect();
    if rows.is_empty() {
        return Ok(());
    }
    canonical(&mut rows);
    let df = frame(&rows, dataset)?;
    let has_performer: BTreeSet<String> = rows
        .iter()
        .filter(|r| r.utfort_av.is_some())
        .map(|r| r.pilot_id.clone())
        .collect();
    let ctx = Ctx {
        k,
        has_performer: &has_performer,
    };

    // §2 shares and §3 coordination per pilot × phase and pilot × foretak × phase.
    let mut share_cells: BTreeMap<CellId, BTreeMap<&'static str, PhaseCell>> = BTreeMap::new();
    let mut coord_cells: BTreeMap<CellId, BTreeMap<&'static str, PhaseCell>> = BTreeMap::new();
    for with_foretak in [false, true] {
        let names: &[&str] = if with_foretak {
            &["pilot", "foretak", "fase"]
        } else {
            &["pilot", "fase"]
        };
        let perf = group_distinct(&df, names, "utfort")?;
        for (key, g) in group_sum(&df, names, SUMS)? {
            let (pilot, foretak, fase) = split(&key, with_foretak);
            let fase: &'static str = if fase == "før" { FASER[0] } else { FASER[1] };
            let performers = perf.get(&key).copied().unwrap_or(0);
            let primary = ctx.primary(&pilot, performers);
            for (id, num, den, cnt) in SHARES {
                let d = g.sums[col_index(den)];
                if d <= 0.0 {
                    continue;
                }
                let n = if cnt.is_empty() {
                    g.rows
                } else {
                    g.sums[col_index(cnt)] as u64
                };
                let value = g.sums[col_index(num)] / d;
                let row = draft.push(
                    new_row(
                        id,
                        grp_name(&foretak),
                        keys(&pilot, foretak.as_deref(), fase),
                        Some(value),
                        Some(n),
                        "andel",
                    ),
                    primary,
                );
                share_cells
                    .entry((id, pilot.clone(), foretak.clone()))
                    .or_default()
                    .insert(
                        fase,
                        PhaseCell {
                            row,
                            value,
                            n,
                            performers,
                        },
                    );
            }
        }
        for (key, g) in group_units(&df, names, "pasient", FLAGS)? {
            let (pilot, foretak, fase) = split(&key, with_foretak);
            let fase: &'static str = if fase == "før" { FASER[0] } else { FASER[1] };
            let performers = perf.get(&key).copied().unwrap_or(0);
            let primary = ctx.primary(&pilot, performers);
            for (j, (id, _)) in COORD.iter().enumerate() {
                let value = g.sums[j] / g.rows as f64;
                let row = draft.push(
                    new_row(
                        id,
                        grp_name(&foretak),
                        keys(&pilot, foretak.as_deref(), fase),
                        Some(value),
                        Some(g.rows),
                        "andel",
                    ),
                    primary,
                );
                coord_cells
                    .entry((id, pilot.clone(), foretak.clone()))
                    .or_default()
                    .insert(
                        fase,
                        PhaseCell {
                            row,
                            value,
                            n: g.rows,
                            performers,
                        },
                    );
            }
        }
    }

    // Bootstrap: per (enhet, dato) day totals from Polars, resampled in plain Rust.
    let day_names = ["pilot", "foretak", "enhet", "dato", "fase"];
    let day_sums = group_sum(&df, &day_names, SUMS)?;
    let day_units = unit_flags(&df, &day_names, "pasient", FLAGS)?;
    let pairs: Vec<(usize, usize)> = SHARES
        .iter()
        .map(|(_, num, den, _)| (col_index(num), col_index(den)))
        .collect();
    let mut intervals: BTreeMap<CellId, Option<(f64, f64)>> = BTreeMap::new();
    let mut coord_intervals: BTreeMap<CellId, Option<(f64, f64)>> = BTreeMap::new();
    let targets: BTreeSet<(String, Option<String>)> = share_cells
        .keys()
        .chain(coord_cells.keys())
        .map(|(_, p, f)| (p.clone(), f.clone()))
        .collect();
    for (pilot, foretak) in &targets {
        let seed = fnv1a(pilot);
        let in_cell = |key: &GroupKey| {
            key[0].as_deref() == Some(pilot.as_str())
                && foretak
                    .as_ref()
                    .is_none_or(|f| key[1].as_deref() == Some(f.as_str()))
        };
        let phase_days = |fase: &str| -> Vec<Vec<f64>> {
            day_sums
                .iter()
                .filter(|(key, _)| in_cell(key) && key[4].as_deref() == Some(fase))
                .map(|(_, g)| g.sums.clone())
                .collect()
        };
        let cis = ratio_change(&phase_days("før"), &phase_days("pilot"), &pairs, seed);
        for ((id, ..), ci) in SHARES.iter().zip(cis) {
            intervals.insert((id, pilot.clone(), foretak.clone()), ci);
        }
        // Patients: unit ids interned per pilot; one UnitDay per (enhet, dato).
        let mut ids: BTreeMap<&str, usize> = BTreeMap::new();
        let mut unit_days: [BTreeMap<(&str, &str, &str), UnitDay>; 2] = Default::default();
        for (key, flags) in day_units.iter().filter(|(key, _)| in_cell(key)) {
            let ph = usize::from(key[4].as_deref() == Some("pilot"));
            let next = ids.len();
            let u = *ids.entry(key[5].as_deref().unwrap_or("")).or_insert(next);
            let day = (
                key[1].as_deref().unwrap_or(""),
                key[2].as_deref().unwrap_or(""),
                key[3].as_deref().unwrap_or(""),
            );
            let mask = flags
                .iter()
                .enumerate()
                .fold(0u32, |m, (f, v)| m | (u32::from(*v > 0.0) << f));
            unit_days[ph].entry(day).or_default().push((u, mask));
        }
        let [b, a] = unit_days.map(|m| m.into_values().collect::<Vec<_>>());
        let cis = unit_share_change(&b, &a, FLAGS.len(), ids.len(), seed);
        for ((id, _), ci) in COORD.iter().zip(cis) {
            coord_intervals.insert((id, pilot.clone(), foretak.clone()), ci);
        }
    }
    changes(&share_cells, &intervals, &ctx, draft);
    changes(&coord_cells, &coord_intervals, &ctx, draft);
    families(&share_cells, draft);
    families(&coord_cells, draft);

    // Minutes per task area, per phase, and per performer level.
    let mut fams: BTreeMap<GroupKey, Vec<Cell>> = BTreeMap::new();
    for (grp, names) in [
        ("pilot_område", &["pilot", "fase", "omrade"][..]),
        (
            "pilot_område_kompetansenivå",
            &["pilot", "fase", "omrade", "niva"][..],
        ),
    ] {
        let perf = group_distinct(&df, names, "utfort")?;
        for (key, g) in group_sum(&df, names, &["m"])? {
            let pilot = key[0].clone().unwrap_or_default();
            let performers = perf.get(&key).copied().unwrap_or(0);
            let mut kk = keys(&pilot, None, key[1].as_deref().unwrap_or(""));
            kk.omrade = key[2].clone();
            kk.kompetanseniva = key
                .get(3)
                .and_then(|v| v.as_deref())
                .and_then(|s| s.parse().ok());
            let row = draft.push(
                new_row(
                    "minutter_per_omrade",
                    grp,
                    kk,
                    Some(g.sums[0]),
                    Some(g.rows),
                    "minutter",
                ),
                ctx.primary(&pilot, performers),
            );
            fams.entry(key[..3].to_vec()).or_default().push(Cell {
                grp: if key.len() == 3 { "total" } else { "niva" },
                dims: key
                    .get(3)
                    .map(|v| ("niva", v.clone()))
                    .into_iter()
                    .collect(),
                row: Some(row),
                n: g.rows,
            });
        }
    }
    for (_, cells) in fams {
        draft
            .families
            .push(Family::new(cells, &[("total", "niva")]));
    }
    Ok(())
}
