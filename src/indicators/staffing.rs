//! §1 Capacity and vacancy, from the staffing cells.

use std::collections::BTreeMap;

use anyhow::Result;
use chrono::NaiveDate;

use super::frames::{FrameBuilder, Group, GroupKey, group_sum, some};
use super::{Draft, Keys, new_row};
use crate::model::{Dataset, StaffingRow};

/// Current headcount (`ansatte`) summed over the cells where it is known, per grouping.
#[derive(Debug, Default, Clone)]
pub(crate) struct Headcount {
    /// Region total, if any cell knows it.
    pub(crate) region: Option<f64>,
    /// Per health trust.
    pub(crate) foretak: BTreeMap<String, f64>,
    /// Per (health trust, unit).
    pub(crate) enhet: BTreeMap<(String, String), f64>,
}

const SUMS: &[&str] = &[
    "b", "f", "i", "vac", "f4", "ls_num", "ls_den", "ls_cnt", "tu_num", "tu_den", "tu_cnt",
    "sy_num", "sy_den", "sy_cnt", "ans", "ans_cnt",
];

/// (grouping, key columns, all ten indicators or only the four capacity ones)
const GROUPINGS: &[(&str, &[&str], bool)] = &[
    ("region", &[], true),
    ("foretak", &["foretak"], true),
    ("enhet", &["foretak", "enhet"], true),
    ("foretak_yrke", &["foretak", "yrke"], true),
    ("yrke", &["yrke"], false),
    ("kompetansenivå", &["niva"], false),
];

fn known(a: Option<f64>, b: Option<f64>) -> Option<(f64, f64)> {
    Some((a?, b?))
}

fn frame(rows: &[&StaffingRow], dataset: &Dataset) -> Result<polars::prelude::DataFrame> {
    let niva = |y: &str| dataset.reference.yrke(y).map(|y| y.niva);
    let mut c: BTreeMap<&str, Vec<Option<f64>>> = SUMS.iter().map(|s| (*s, Vec::new())).collect();
    let mut push = |name: &str, v: Option<f64>| c.get_mut(name).expect("known column").push(v);
    for r in rows {
        let (b, f) = (r.budsjetterte_arsverk, r.besatte_arsverk);
        push("b", Some(b));
        push("f", Some(f));
        push("i", Some(r.innleide_arsverk));
        push("vac", Some((b - f).max(0.0)));
        push(
            "f4",
            Some(if niva(&r.yrke_id) == Some(4) { f } else { 0.0 }),
        );
        let ls = known(r.ledige_over_6_mnd, r.ledige_stillinger);
        push("ls_num", ls.map(|x| x.0));
        push("ls_den", ls.map(|x| x.1));
        push("ls_cnt", Some(if ls.is_some() { 1.0 } else { 0.0 }));
        let tu = known(r.sluttet_12_mnd, r.ansatte);
        push("tu_num", tu.map(|x| x.0));
        push("tu_den", tu.map(|x| x.1));
        push("tu_cnt", Some(if tu.is_some() { 1.0 } else { 0.0 }));
        push("sy_num", r.sykefravaer_pst.map(|p| p / 100.0 * f));
        push("sy_den", r.sykefravaer_pst.map(|_| f));
        push(
            "sy_cnt",
            Some(if r.sykefravaer_pst.is_some() {
                1.0
            } else {
                0.0
            }),
        );
        push("ans", r.ansatte);
        push("ans_cnt", Some(if r.ansatte.is_some() { 1.0 } else { 0.0 }));
    }
    let mut fb = FrameBuilder::default()
        .str(
            "dato",
            some(rows.iter().map(|r| r.dato.format("%Y-%m-%d").to_string())),
        )
        .str("foretak", some(rows.iter().map(|r| r.foretak_id.clone())))
        .str("enhet", some(rows.iter().map(|r| r.enhet_id.clone())))
        .str("yrke", some(rows.iter().map(|r| r.yrke_id.clone())))
        .str(
            "niva",
            rows.iter()
                .map(|r| niva(&r.yrke_id).map(|n| n.to_string()))
                .collect(),
        );
    for s in SUMS {
        fb = fb.f64(s, c.remove(s).unwrap_or_default());
    }
    fb.finish()
}

fn keys_of(names: &[&str], key: &GroupKey, dato: Option<String>) -> Keys {
    let mut k = Keys {
        dato,
        ..Keys::default()
    };
    for (name, v) in names.iter().zip(key) {
        match *name {
            "foretak" => k.foretak_id = v.clone(),
            "enhet" => k.enhet_id = v.clone(),
            "yrke" => k.yrke_id = v.clone(),
            "niva" => k.kompetanseniva = v.as_deref().and_then(|s| s.parse().ok()),
            _ => {}
        }
    }
    k
}

fn ratio(num: f64, den: f64) -> Option<f64> {
    (den > 0.0).then(|| num / den)
}

fn emit(draft: &mut Draft, grp: &str, all: bool, keys: Keys, g: &Group) {
    let s = |name: &str| g.sums[SUMS.iter().position(|c| *c == name).expect("sum column")];
    let n = g.rows;
    let mut put = |id: &str, verdi: Option<f64>, n: u64, unit: &str| {
        if let Some(v) = verdi
            && n > 0
        {
            draft.push(new_row(id, grp, keys.clone(), Some(v), Some(n), unit), None);
        }
    };
    put("budsjetterte_arsverk", Some(s("b")), n, "årsverk");
    put("besatte_arsverk", Some(s("f")), n, "årsverk");
    put("ledige_arsverk", Some(s("vac")), n, "årsverk");
    put("vakansgrad", ratio(s("vac"), s("b")), n, "andel");
    if !all {
        return;
    }
    put("bemanningsgrad", ratio(s("f"), s("b")), n, "andel");
    put(
        "langtidsledige_andel",
        ratio(s("ls_num"), s("ls_den")),
        s("ls_cnt") as u64,
        "andel",
    );
    put("innleieandel", ratio(s("i"), s("f") + s("i")), n, "andel");
    put("spesialistandel", ratio(s("f4"), s("f")), n, "andel");
    put(
        "turnover",
        ratio(s("tu_num"), s("tu_den")),
        s("tu_cnt") as u64,
        "andel",
    );
    put(
        "sykefravaer",
        ratio(s("sy_num"), s("sy_den")),
        s("sy_cnt") as u64,
        "andel",
    );
}

/// Total order on optional floats (`None` first): the canonical orders of the staffing rows
/// here and of the survey respondents (`surveys`, which builds on this module).
pub(crate) fn cmp_opt(a: Option<f64>, b: Option<f64>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        _ => a.is_some().cmp(&b.is_some()),
    }
}

/// Canonical order of staffing rows, so sums never depend on the input order.
fn canonical(rows: &mut [&StaffingRow]) {
    rows.sort_by(|a, b| {
        (&a.dato, &a.foretak_id, &a.enhet_id, &a.yrke_id)
            .cmp(&(&b.dato, &b.foretak_id, &b.enhet_id, &b.yrke_id))
            .then(a.kilde.cmp(&b.kilde))
            .then(a.budsjetterte_arsverk.total_cmp(&b.budsjetterte_arsverk))
            .then(a.besatte_arsverk.total_cmp(&b.besatte_arsverk))
            .then(a.innleide_arsverk.total_cmp(&b.innleide_arsverk))
            .then(cmp_opt(a.ledige_stillinger, b.ledige_stillinger))
            .then(cmp_opt(a.ledige_over_6_mnd, b.ledige_over_6_mnd))
            .then(cmp_opt(a.ansatte, b.ansatte))
            .then(cmp_opt(a.sluttet_12_mnd, b.sluttet_12_mnd))
            .then(cmp_opt(a.sykefravaer_pst, b.sykefravaer_pst))
    });
}

/// Compute §1 (current values and the time series) and return the current headcount.
pub(crate) fn compute(dataset: &Dataset, draft: &mut Draft) -> Result<Headcount> {
    let mut all: Vec<&StaffingRow> = dataset.staffing.iter().collect();
    canonical(&mut all);
    // Current: each unit × profession cell at its own latest snapshot.
    let mut latest: BTreeMap<(&str, &str, &str), NaiveDate> = BTreeMap::new();
    for r in &all {
        let e = latest
            .entry((&r.foretak_id, &r.enhet_id, &r.yrke_id))
            .or_insert(r.dato);
        *e = (*e).max(r.dato);
    }
    let current: Vec<&StaffingRow> = all
        .iter()
        .copied()
        .filter(|r| {
            latest.get(&(
                r.foretak_id.as_str(),
                r.enhet_id.as_str(),
                r.yrke_id.as_str(),
            )) == Some(&r.dato)
        })
        .collect();
    let cur = frame(&current, dataset)?;
    let series = frame(&all, dataset)?;
    let mut head = Headcount::default();
    for (grp, names, full) in GROUPINGS {
        for (key, g) in group_sum(&cur, names, SUMS)? {
            let keys = keys_of(names, &key, None);
            let ans_cnt = g.sums[SUMS.len() - 1];
            let ans = g.sums[SUMS.len() - 2];
            if ans_cnt > 0.0 {
                match *grp {
                    "region" => head.region = Some(ans),
                    "foretak" => {
                        if let Some(f) = &keys.foretak_id {
                            head.foretak.insert(f.clone(), ans);
                        }
                    }
                    "enhet" => {
                        if let (Some(f), Some(e)) = (&keys.foretak_id, &keys.enhet_id) {
                            head.enhet.insert((f.clone(), e.clone()), ans);
                        }
                    }
                    _ => {}
                }
            }
            emit(draft, grp, *full, keys, &g);
        }
        let mut tnames = vec!["dato"];
        tnames.extend_from_slice(names);
        for (key, g) in group_sum(&series, &tnames, SUMS)? {
            let keys = keys_of(names, &key[1..].to_vec(), key[0].clone());
            emit(draft, grp, *full, keys, &g);
        }
    }
    Ok(head)
}
