//! §2 Task sharing and §3 coordination, from the pilot activity logs, with before/after
//! changes and their cluster-bootstrap intervals.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;

use anyhow::Result;
use chrono::Datelike;
use polars::prelude::DataFrame;

use super::bootstrap::{UnitDay, fnv1a, ratio_change, unit_share_change};
use super::frames::{
    Coded, FrameBuilder, Group, GroupKey, group_distinct_coded, group_sum_coded,
    group_sum_distinct_coded, group_units_coded, unit_flags_coded,
};
use super::suppress::{Cell, Family};
use super::{Draft, Keys, new_row};
use crate::model::{Fase, LogRow, Oppgave, Reference, Yrke};

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

/// FxHash-style hasher for the short id strings of the logs (no HashDoS concern here).
#[derive(Default, Clone, Copy)]
struct FastHasher(u64);

impl FastHasher {
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(b));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// Interns strings to dense codes; after [`Interner::rank`], code order is string order.
#[derive(Default)]
struct Interner<'a> {
    index: FastMap<&'a str, u32>,
    names: Vec<&'a str>,
    last: Option<(&'a str, u32)>,
}

impl<'a> Interner<'a> {
    fn code(&mut self, s: &'a str) -> u32 {
        if let Some((l, c)) = self.last
            && l == s
        {
            return c;
        }
        let c = match self.index.get(s) {
            Some(c) => *c,
            None => {
                let c = u32::try_from(self.names.len()).expect("fewer than 2^32 distinct keys");
                self.index.insert(s, c);
                self.names.push(s);
                c
            }
        };
        self.last = Some((s, c));
        c
    }

    /// Renumber the codes in string order; returns the new code of each old code.
    fn rank(&mut self) -> Vec<u32> {
        let mut order: Vec<usize> = (0..self.names.len()).collect();
        order.sort_unstable_by_key(|c| self.names[*c]);
        let mut remap = vec![0u32; order.len()];
        for (r, c) in order.iter().enumerate() {
            remap[*c] = u32::try_from(r).expect("fewer than 2^32 distinct keys");
        }
        self.names = order.iter().map(|c| self.names[*c]).collect();
        self.index = self
            .names
            .iter()
            .zip(0u32..)
            .map(|(n, c)| (*n, c))
            .collect();
        self.last = None;
        remap
    }
}

/// The code dictionaries of a log frame's key columns.
#[derive(Default)]
struct Coding<'a> {
    pilot: Interner<'a>,
    foretak: Interner<'a>,
    omrade: Interner<'a>,
    /// Number of distinct patients (the `pasient` codes run below it).
    n_pasient: usize,
}

impl Coding<'_> {
    /// The string key of column `name` for `code`, exactly as a string column would hold it.
    fn decode(&self, name: &str, code: Option<u32>) -> Option<String> {
        let c = code? as usize;
        Some(match name {
            "pilot" => self.pilot.names[c].to_owned(),
            "foretak" => self.foretak.names[c].to_owned(),
            "omrade" => self.omrade.names[c].to_owned(),
            "fase" => FASER[c].to_owned(),
            "niva" => c.to_string(),
            _ => unreachable!("no string key column {name}"),
        })
    }

    /// Groups keyed by their decoded string keys.
    fn groups(&self, c: &Coded, names: &[&str]) -> BTreeMap<GroupKey, Group> {
        (0..c.len())
            .filter(|i| c.rows[*i] > 0)
            .map(|i| {
                let key = names
                    .iter()
                    .zip(&c.keys)
                    .map(|(n, k)| self.decode(n, k[i]))
                    .collect();
                let sums = c.sums.iter().map(|s| s[i]).collect();
                (
                    key,
                    Group {
                        sums,
                        rows: c.rows[i],
                    },
                )
            })
            .collect()
    }

    /// Sums of `sums` and distinct performers per group, keyed by decoded string keys.
    fn sums_and_performers(
        &self,
        df: &DataFrame,
        names: &[&str],
        sums: &[&str],
    ) -> Result<(BTreeMap<GroupKey, Group>, BTreeMap<GroupKey, u64>)> {
        if names.len() < 3 {
            // Two keys may run partitioned: keep these queries as they are.
            let perf = self.counts(&group_distinct_coded(df, names, "utfort")?, names);
            return Ok((self.groups(&group_sum_coded(df, names, sums)?, names), perf));
        }
        let (mut c, distinct) = group_sum_distinct_coded(df, names, sums, "utfort")?;
        let groups = self.groups(&c, names);
        c.rows = distinct;
        Ok((groups, self.counts(&c, names)))
    }

    /// Distinct counts keyed by their decoded string keys.
    fn counts(&self, c: &Coded, names: &[&str]) -> BTreeMap<GroupKey, u64> {
        self.groups(c, names)
            .into_iter()
            .map(|(k, g)| (k, g.rows))
            .collect()
    }
}

/// One (pilot, fase, foretak, enhet, dato) day of the canonically sorted rows; day ids
/// follow the canonical order, so within a pilot and phase they run in (foretak, enhet,
/// dato) order.
struct Day {
    pilot: u32,
    fase: u32,
    foretak: u32,
}

/// The logs, prepared: the frame, its code dictionaries, its days, and the pilots that
/// log `utført_av`.
struct Prepared<'a> {
    /// Integer-coded keys (`pilot`, `fase`, `foretak`, `day`, `niva`, `omrade`, `utfort`,
    /// `pasient`) and the f64 value columns, rows in canonical order.
    df: DataFrame,
    coding: Coding<'a>,
    days: Vec<Day>,
    has_performer: BTreeSet<String>,
}

const NONE: u32 = u32::MAX;

/// `x` as an unsigned key ordered like [`f64::total_cmp`].
fn total_order_key(x: f64) -> u64 {
    let bits = x.to_bits() as i64;
    (bits ^ ((((bits >> 63) as u64) >> 1) as i64)) as u64 ^ (1 << 63)
}

/// The inverse of [`total_order_key`].
fn from_total_order_key(k: u64) -> f64 {
    let t = (k ^ (1 << 63)) as i64;
    f64::from_bits((t ^ ((((t >> 63) as u64) >> 1) as i64)) as u64)
}

/// Canonical order, then the frame. The order is that of sorting by (pilot, fase,
/// foretak, enhet, dato, yrke, oppgave, minutter, pasient, utført_av) — every field, so
/// rows that tie are identical — computed on rank codes instead of strings.
fn prepare<'a>(logs: &[&'a LogRow], r: &'a Reference) -> Result<Prepared<'a>> {
    let mut coding = Coding::default();
    let (mut enhet, mut yrke, mut oppgave, mut pasient, mut utfort) =
        <(Interner, Interner, Interner, Interner, Interner)>::default();
    let mut raw: Vec<[u32; 7]> = Vec::with_capacity(logs.len());
    for row in logs {
        raw.push([
            coding.pilot.code(&row.pilot_id),
            coding.foretak.code(&row.foretak_id),
            enhet.code(&row.enhet_id),
            yrke.code(&row.yrke_id),
            oppgave.code(&row.oppgave_id),
            row.pasient.as_deref().map_or(NONE, |p| pasient.code(p)),
            row.utfort_av.as_deref().map_or(NONE, |u| utfort.code(u)),
        ]);
    }
    let remaps = [
        coding.pilot.rank(),
        coding.foretak.rank(),
        enhet.rank(),
        yrke.rank(),
        oppgave.rank(),
        pasient.rank(),
        utfort.rank(),
    ];
    for r in &mut raw {
        for (c, remap) in r.iter_mut().zip(&remaps) {
            if *c != NONE {
                *c = remap[*c as usize];
            }
        }
    }
    let hi = |a: u32, b: u32| (u64::from(a) << 32) | u64::from(b);
    let some1 = |c: u32| if c == NONE { 0 } else { c + 1 };
    // Every field of a row, packed in canonical order; the loop below reads rows back from
    // their keys alone, in sorted order.
    let mut order: Vec<[u64; 5]> = logs
        .iter()
        .zip(&raw)
        .map(|(row, c)| {
            let dato = (Datelike::num_days_from_ce(&row.dato) as u32) ^ (1 << 31);
            [
                (u64::from(c[0]) << 33)
                    | (u64::from(row.fase == Fase::Pilot) << 32)
                    | u64::from(c[1]),
                hi(c[2], dato),
                hi(c[3], c[4]),
                total_order_key(row.minutter),
                hi(some1(c[5]), some1(c[6])),
            ]
        })
        .collect();
    drop(raw);
    order.sort_unstable();

    // Reference lookups once per distinct profession and task.
    let yrke_info: Vec<Option<&Yrke>> = yrke
        .names
        .iter()
        .map(|id| r.yrker.iter().find(|y| y.id == *id))
        .collect();
    let oppgave_info: Vec<Option<(&Oppgave, u32)>> = oppgave
        .names
        .iter()
        .map(|id| {
            r.oppgaver
                .iter()
                .find(|o| o.id == *id)
                .map(|o| (o, coding.omrade.code(&o.omrade)))
        })
        .collect();

    let n = logs.len();
    let mut vals: Vec<Vec<Option<f64>>> = vec![Vec::with_capacity(n); SUMS.len() + FLAGS.len()];
    let mut pilot = Vec::with_capacity(n);
    let mut fase = Vec::with_capacity(n);
    let mut foretak = Vec::with_capacity(n);
    let mut day = Vec::with_capacity(n);
    let mut niva = Vec::with_capacity(n);
    let mut omrade = Vec::with_capacity(n);
    let mut utf = Vec::with_capacity(n);
    let mut pas = Vec::with_capacity(n);
    let mut days: Vec<Day> = Vec::new();
    let mut performer = vec![false; coding.pilot.names.len()];
    let mut prev: Option<[u64; 2]> = None;
    for key in &order {
        let lo = |k: u64| k as u32;
        let opt = |k: u32| k.checked_sub(1);
        let c = [
            lo(key[0] >> 33),
            lo(key[0]),
            lo(key[1] >> 32),
            lo(key[2] >> 32),
            lo(key[2]),
        ];
        let (pas_c, utf_c) = (opt(lo(key[4] >> 32)), opt(lo(key[4])));
        let y = yrke_info[c[3] as usize];
        let p = y.map(|y| y.niva);
        let oppg = oppgave_info[c[4] as usize];
        let req = oppg.map(|(o, _)| o.krever_niva);
        let area = oppg.map(|(o, _)| o.omrade.as_str());
        let ny = y.is_some_and(|y| y.ny_yrkesgruppe);
        let m = from_total_order_key(key[3]);
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
            vals[SUMS.len() + j].push(Some(if area == Some(*a) { 1.0 } else { 0.0 }));
        }
        let fc = lo(key[0] >> 32) & 1;
        if prev != Some([key[0], key[1]]) {
            days.push(Day {
                pilot: c[0],
                fase: fc,
                foretak: c[1],
            });
            prev = Some([key[0], key[1]]);
        }
        pilot.push(c[0]);
        fase.push(fc);
        foretak.push(c[1]);
        day.push(u32::try_from(days.len() - 1).expect("fewer than 2^32 days"));
        niva.push(p.map(u32::from));
        omrade.push(oppg.map(|(_, a)| a));
        utf.push(utf_c);
        pas.push(pas_c);
        if utf_c.is_some() {
            performer[c[0] as usize] = true;
        }
    }
    coding.n_pasient = pasient.names.len();
    let has_performer = coding
        .pilot
        .names
        .iter()
        .zip(&performer)
        .filter(|(_, p)| **p)
        .map(|(n, _)| (*n).to_owned())
        .collect();
    let mut fb = FrameBuilder::default()
        .codes("pilot", pilot)
        .codes("fase", fase)
        .codes("foretak", foretak)
        .codes("day", day)
        .opt_codes("niva", niva)
        .opt_codes("omrade", omrade)
        .opt_codes("utfort", utf)
        .opt_codes("pasient", pas);
    for (name, v) in SUMS.iter().chain(FLAGS).zip(vals) {
        fb = fb.f64(name, v);
    }
    let df = fb.finish()?;
    Ok(Prepared {
        df,
        coding,
        days,
        has_performer,
    })
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
    /// Pilots that log `utført_av`: only their cells get the performer rule.
    has_performer: &'a BTreeSet<String>,
}

impl Ctx<'_> {
    /// The count the primary rule compares with `k`: the performers, in a pilot that logs
    /// them (`None`: no primary rule).
    fn primary(&self, pilot: &str, performers: u64) -> Option<u64> {
        self.has_performer.contains(pilot).then_some(performers)
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

/// Intervals of one bootstrap target: per share, then per coordination flag.
type TargetIntervals = (Vec<Option<(f64, f64)>>, Vec<Option<(f64, f64)>>);

/// The day-level inputs of the bootstrap, built once: day sums and patient days indexed by
/// day id, and each (pilot, fase, foretak) block of day ids.
struct Boot {
    /// Per day id, the sums of [`SUMS`].
    sums: Vec<Vec<f64>>,
    /// Day ids that have patients, ascending.
    unit_day_ids: Vec<usize>,
    /// The patients of those days.
    unit_days: Vec<UnitDay>,
    /// Number of distinct patients (bounds the unit ids).
    n_units: usize,
    /// Day-id range per (pilot, fase, foretak or `None` for the whole pilot).
    ranges: HashMap<(u32, u32, Option<u32>), Range<usize>>,
}

impl Boot {
    fn new(df: &DataFrame, coding: &Coding, days: &[Day]) -> Result<Self> {
        let day_of = |k: Option<u32>| k.expect("day is never null") as usize;
        // Three keys or more: Polars never runs these partitioned, like the string keys
        // (pilot, foretak, enhet, dato, fase) they stand for.
        let keys = ["pilot", "fase", "day"];
        let grouped = group_sum_coded(df, &keys, SUMS)?;
        let mut sums = vec![Vec::new(); days.len()];
        for i in 0..grouped.len() {
            sums[day_of(grouped.keys[2][i])] = grouped.sums.iter().map(|s| s[i]).collect();
        }
        let flags = unit_flags_coded(df, &keys, "pasient", FLAGS)?;
        let mut per_day: Vec<UnitDay> = vec![Vec::new(); days.len()];
        for i in 0..flags.len() {
            let unit = flags.keys[3][i].expect("null patients are filtered") as usize;
            let mask = flags
                .sums
                .iter()
                .enumerate()
                .fold(0u32, |m, (f, v)| m | (u32::from(v[i] > 0.0) << f));
            per_day[day_of(flags.keys[2][i])].push((unit, mask));
        }
        let (unit_day_ids, unit_days) = per_day
            .into_iter()
            .enumerate()
            .filter(|(_, d)| !d.is_empty())
            .unzip();
        let mut ranges: HashMap<(u32, u32, Option<u32>), Range<usize>> = HashMap::new();
        for (id, d) in days.iter().enumerate() {
            for key in [(d.pilot, d.fase, None), (d.pilot, d.fase, Some(d.foretak))] {
                ranges.entry(key).or_insert(id..id).end = id + 1;
            }
        }
        Ok(Boot {
            sums,
            unit_day_ids,
            unit_days,
            n_units: coding.n_pasient,
            ranges,
        })
    }

    /// The day-id range of a target's phase (empty when it has no days).
    fn range(
        &self,
        coding: &Coding,
        pilot: &str,
        foretak: Option<&str>,
        fase: u32,
    ) -> Range<usize> {
        let Some(p) = coding.pilot.index.get(pilot) else {
            return 0..0;
        };
        let f = match foretak {
            None => None,
            Some(f) => match coding.foretak.index.get(f) {
                Some(c) => Some(*c),
                None => return 0..0,
            },
        };
        self.ranges.get(&(*p, fase, f)).cloned().unwrap_or(0..0)
    }

    /// The patient days within a range of day ids, in day order.
    fn unit_days(&self, days: &Range<usize>) -> &[UnitDay] {
        let lo = self.unit_day_ids.partition_point(|d| *d < days.start);
        let hi = self.unit_day_ids.partition_point(|d| *d < days.end);
        &self.unit_days[lo..hi]
    }

    /// One target's intervals: days resampled within the pilot's (or the pilot × foretak's)
    /// phases, in (foretak, enhet, dato) order, seeded by the pilot.
    fn target(
        &self,
        pilot: &str,
        [b, a]: &[Range<usize>; 2],
        pairs: &[(usize, usize)],
    ) -> TargetIntervals {
        let seed = fnv1a(pilot);
        let cis = ratio_change(&self.sums[b.clone()], &self.sums[a.clone()], pairs, seed);
        let coord = unit_share_change(
            self.unit_days(b),
            self.unit_days(a),
            FLAGS.len(),
            self.n_units,
            seed,
        );
        (cis, coord)
    }

    /// Every target's intervals, in the order of `targets`. A pilot × foretak target with
    /// exactly the pilot's days (a pilot in one foretak) has the pilot's intervals: same
    /// days, same seed.
    fn run(
        &self,
        targets: &[(String, Option<String>)],
        pairs: &[(usize, usize)],
        coding: &Coding,
    ) -> Vec<TargetIntervals> {
        let inputs: Vec<(&str, [Range<usize>; 2])> = targets
            .iter()
            .map(|(p, f)| {
                (
                    p.as_str(),
                    [0, 1].map(|fase| self.range(coding, p, f.as_deref(), fase)),
                )
            })
            .collect();
        // Distinct inputs, each computed once, spread over the cores; results are placed by
        // index, so the order of completion does not matter.
        let mut first: HashMap<&(&str, [Range<usize>; 2]), usize> = HashMap::new();
        let mut distinct: Vec<&(&str, [Range<usize>; 2])> = Vec::new();
        let slot: Vec<usize> = inputs
            .iter()
            .map(|input| {
                *first.entry(input).or_insert_with(|| {
                    distinct.push(input);
                    distinct.len() - 1
                })
            })
            .collect();
        let workers = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(distinct.len())
            .max(1);
        let mut done: Vec<Option<TargetIntervals>> = vec![None; distinct.len()];
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|w| {
                    let distinct = &distinct;
                    scope.spawn(move || {
                        (w..distinct.len())
                            .step_by(workers)
                            .map(|i| (i, self.target(distinct[i].0, &distinct[i].1, pairs)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for h in handles {
                for (i, r) in h.join().expect("bootstrap worker") {
                    done[i] = Some(r);
                }
            }
        });
        slot.into_iter()
            .map(|i| done[i].clone().expect("computed"))
            .collect()
    }
}

/// Compute §2 and §3 with changes, intervals, families and links.
///
/// Every log indicator is keyed by one pilot, so each pilot's rows may come alone: the
/// rows of several pilots give the same draft rows as the pilots one at a time.
pub(crate) fn compute(logs: &[&LogRow], reference: &Reference, draft: &mut Draft) -> Result<()> {
    if logs.is_empty() {
        return Ok(());
    }
    let Prepared {
        df,
        coding,
        days,
        has_performer,
    } = prepare(logs, reference)?;
    let ctx = Ctx {
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
        let (sums, perf) = coding.sums_and_performers(&df, names, SUMS)?;
        for (key, g) in sums {
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
        let units = group_units_coded(&df, names, "pasient", FLAGS)?;
        for (key, g) in coding.groups(&units, names) {
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
    let boot = Boot::new(&df, &coding, &days)?;
    let pairs: Vec<(usize, usize)> = SHARES
        .iter()
        .map(|(_, num, den, _)| (col_index(num), col_index(den)))
        .collect();
    let targets: Vec<(String, Option<String>)> = share_cells
        .keys()
        .chain(coord_cells.keys())
        .map(|(_, p, f)| (p.clone(), f.clone()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut intervals: BTreeMap<CellId, Option<(f64, f64)>> = BTreeMap::new();
    let mut coord_intervals: BTreeMap<CellId, Option<(f64, f64)>> = BTreeMap::new();
    for ((pilot, foretak), (cis, coord_cis)) in
        targets.iter().zip(boot.run(&targets, &pairs, &coding))
    {
        for ((id, ..), ci) in SHARES.iter().zip(cis) {
            intervals.insert((id, pilot.clone(), foretak.clone()), ci);
        }
        for ((id, _), ci) in COORD.iter().zip(coord_cis) {
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
        let (sums, perf) = coding.sums_and_performers(&df, names, &["m"])?;
        for (key, g) in sums {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_order_keys_sort_like_total_cmp_and_round_trip() {
        let xs = [
            -f64::INFINITY,
            -720.0,
            -1.5,
            -0.0,
            0.0,
            f64::MIN_POSITIVE,
            0.5,
            15.0,
            720.0,
            f64::INFINITY,
            f64::NAN,
        ];
        for a in xs {
            assert_eq!(
                from_total_order_key(total_order_key(a)).to_bits(),
                a.to_bits()
            );
            for b in xs {
                assert_eq!(
                    total_order_key(a).cmp(&total_order_key(b)),
                    a.total_cmp(&b),
                    "{a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn ranked_codes_follow_string_order() {
        let mut i = Interner::default();
        let words = ["pilot", "før", "b", "a", "b", "Å", "a"];
        let first: Vec<u32> = words.iter().map(|w| i.code(w)).collect();
        let remap = i.rank();
        let ranked: Vec<u32> = first.iter().map(|c| remap[*c as usize]).collect();
        for (x, cx) in words.iter().zip(&ranked) {
            for (y, cy) in words.iter().zip(&ranked) {
                assert_eq!(x.cmp(y), cx.cmp(cy));
            }
            assert_eq!(i.index[x], *cx);
            assert_eq!(i.names[*cx as usize], *x);
        }
    }
}
