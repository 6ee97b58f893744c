//! §2 Task sharing and §3 coordination, from the pilot activity logs, with before/after
//! changes and their cluster-bootstrap intervals.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;

use anyhow::Result;
use chrono::Datelike;

use super::bootstrap::{UnitDay, fnv1a, ratio_change, unit_share_change};
use super::frames::{Group, GroupKey};
use super::suppress::{Cell, Family};
use super::{Draft, Keys, new_row};
use crate::model::{Fase, Id, LogRow, Oppgave, Reference, Yrke};

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

/// A hash map with foldhash's fast hasher, fixed-seeded (the maps are only looked up, so
/// the seed never shows in a result; no HashDoS concern for the logs' ids).
pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// Interns strings to dense codes; from [`Interner::from_sorted`], code order is string
/// order.
#[derive(Default)]
struct Interner<'a> {
    index: FastMap<&'a str, u32>,
    names: Vec<&'a str>,
    /// The codes of ids by their address (see [`Interner::code_id`]); not in `index`.
    ids: FastMap<usize, u32>,
    last_id: Option<(usize, u32)>,
}

impl<'a> Interner<'a> {
    /// The code of text `s` (the log's ids go through [`Interner::code_id`]).
    fn code(&mut self, s: &'a str) -> u32 {
        match self.index.get(s) {
            Some(c) => *c,
            None => self.insert(s),
        }
    }

    /// The code of an id, known by the address of its interned text (see
    /// [`crate::ingest::cache::address`]): its text is read only the first time. Its
    /// dictionary answers only `code_id` (and gives its names to [`merge_dicts`]).
    fn code_id(&mut self, id: &'a Id) -> u32 {
        let a = crate::ingest::cache::address(id);
        if let Some((l, c)) = self.last_id
            && l == a
        {
            return c;
        }
        let c = match self.ids.get(&a) {
            Some(c) => *c,
            None => {
                let c = u32::try_from(self.names.len()).expect("fewer than 2^32 distinct keys");
                self.names.push(id.as_str());
                self.ids.insert(a, c);
                c
            }
        };
        self.last_id = Some((a, c));
        c
    }

    fn insert(&mut self, s: &'a str) -> u32 {
        let c = u32::try_from(self.names.len()).expect("fewer than 2^32 distinct keys");
        self.index.insert(s, c);
        self.names.push(s);
        c
    }

    /// A dictionary of distinct `names` in string order: code order is string order.
    fn from_sorted(names: Vec<&'a str>) -> Self {
        Interner {
            index: names.iter().zip(0u32..).map(|(n, c)| (*n, c)).collect(),
            names,
            ..Interner::default()
        }
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
        cols: &Columns,
        names: &[&str],
        sums: &[&str],
    ) -> (BTreeMap<GroupKey, Group>, BTreeMap<GroupKey, u64>) {
        let sums: Vec<usize> = sums.iter().map(|s| col_index(s)).collect();
        let (mut c, distinct) = cols.group_sum(names, &sums);
        let groups = self.groups(&c, names);
        c.rows = distinct;
        (groups, self.counts(&c, names))
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
    /// Integer-coded keys and the values, rows in canonical order.
    cols: Columns,
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

/// Rows per thread below which preparing the logs stays on one thread.
const MIN_ROWS_PER_THREAD: usize = 50_000;

/// Threads to prepare `n` rows on: one per core, each with at least
/// [`MIN_ROWS_PER_THREAD`] rows.
fn threads_for(n: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(n / MIN_ROWS_PER_THREAD)
        .max(1)
}

/// The key columns of a row that are interned: pilot, foretak, enhet, yrke, oppgave,
/// pasient, utført_av.
const INTERNED: usize = 7;

/// A row's local codes (see [`intern`]) as they wait in its key's place.
fn stash(c: [u32; INTERNED]) -> [u64; 5] {
    let two = |a: u32, b: u32| u64::from(a) | (u64::from(b) << 32);
    [
        two(c[0], c[1]),
        two(c[2], c[3]),
        two(c[4], c[5]),
        u64::from(c[6]),
        0,
    ]
}

/// The local codes [`stash`] put in a key's place.
fn unstash(k: &[u64; 5]) -> [u32; INTERNED] {
    let (lo, hi) = (|x: u64| x as u32, |x: u64| (x >> 32) as u32);
    [
        lo(k[0]),
        hi(k[0]),
        lo(k[1]),
        hi(k[1]),
        lo(k[2]),
        hi(k[2]),
        lo(k[3]),
    ]
}

/// Intern the key columns of `rows` with dictionaries of their own; each row's codes
/// ([`NONE`] for a missing patient or performer) wait in `out` (see [`stash`]) until its key
/// is packed there.
fn intern<'a>(rows: &[&'a LogRow], out: &mut [[u64; 5]]) -> [Interner<'a>; INTERNED] {
    let mut d: [Interner<'a>; INTERNED] = Default::default();
    for (key, row) in out.iter_mut().zip(rows) {
        *key = stash([
            d[0].code_id(&row.pilot_id),
            d[1].code_id(&row.foretak_id),
            d[2].code_id(&row.enhet_id),
            d[3].code_id(&row.yrke_id),
            d[4].code_id(&row.oppgave_id),
            0,
            row.utfort_av.as_ref().map_or(NONE, |u| d[6].code_id(u)),
        ]);
    }
    // The patients in a loop of their own: the many of them miss the cache, and with
    // nothing else in the loop the lookups of many rows are under way at once.
    let [.., patients, _] = &mut d;
    for (key, row) in out.iter_mut().zip(rows) {
        let c = row.pasient.as_ref().map_or(NONE, |p| patients.code_id(p));
        key[2] |= u64::from(c) << 32;
    }
    d
}

/// Dictionaries as one, in string order, and per dictionary the merged code of each of its
/// codes.
fn merge_dicts<'a>(dicts: &[&Interner<'a>]) -> (Interner<'a>, Vec<Vec<u32>>) {
    let mut names: Vec<&'a str> = dicts.iter().flat_map(|d| d.names.iter().copied()).collect();
    names.sort_unstable();
    names.dedup();
    let merged = Interner::from_sorted(names);
    let remaps = dicts
        .iter()
        .map(|d| d.names.iter().map(|n| merged.index[n]).collect())
        .collect();
    (merged, remaps)
}

/// Sort `v` on up to `threads` threads: split at its median (every key left of it is at
/// most every key right of it), then sort the halves side by side. The keys are totally
/// ordered, so the result is the one of a plain sort.
fn par_sort(v: &mut [[u64; 5]], threads: usize) {
    if threads <= 1 || v.len() < 4096 {
        v.sort_unstable();
        return;
    }
    let mid = v.len() / 2;
    v.select_nth_unstable(mid);
    let (left, right) = v.split_at_mut(mid);
    let half = threads / 2;
    std::thread::scope(|s| {
        s.spawn(move || par_sort(left, half));
        par_sort(right, threads - half);
    });
}

/// Canonical order, then the frame. The order is that of sorting by (pilot, fase,
/// foretak, enhet, dato, yrke, oppgave, minutter, pasient, utført_av) — every field, so
/// rows that tie are identical — computed on rank codes instead of strings.
///
/// On `threads` threads: each interns a run of the rows with dictionaries of its own, the
/// dictionaries are merged in string order, then each packs its run's keys with the merged
/// codes; the keys are sorted on the threads. Codes are ranks in string order whatever the
/// runs, so the result does not depend on `threads`.
fn prepare<'a>(logs: &[&'a LogRow], r: &'a Reference, threads: usize) -> Result<Prepared<'a>> {
    let run = logs.len().div_ceil(threads.max(1)).max(1);
    let runs: Vec<&[&'a LogRow]> = logs.chunks(run).collect();
    // Every field of a row, packed in canonical order; [`columns`] reads rows back from
    // their keys alone, in sorted order. Zeroed pages: each thread touches its own run.
    let mut order: Vec<[u64; 5]> = vec![[0; 5]; logs.len()];
    let parts: Vec<[Interner<'a>; INTERNED]> = std::thread::scope(|s| {
        let handles: Vec<_> = order
            .chunks_mut(run)
            .zip(&runs)
            .map(|(out, rows)| s.spawn(move || intern(rows, out)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("interning panicked"))
            .collect()
    });
    let (mut dicts, mut remaps) = (Vec::new(), vec![Vec::new(); parts.len()]);
    for j in 0..INTERNED {
        let column: Vec<&Interner> = parts.iter().map(|p| &p[j]).collect();
        let (d, per_part) = merge_dicts(&column);
        dicts.push(d);
        for (r, m) in remaps.iter_mut().zip(per_part) {
            r.push(m);
        }
    }
    drop(parts);
    let hi = |a: u32, b: u32| (u64::from(a) << 32) | u64::from(b);
    let some1 = |c: u32| if c == NONE { 0 } else { c + 1 };
    std::thread::scope(|s| {
        for ((out, rows), remap) in order.chunks_mut(run).zip(&runs).zip(&remaps) {
            s.spawn(move || {
                for (key, row) in out.iter_mut().zip(*rows) {
                    let mut c = unstash(key);
                    for (c, m) in c.iter_mut().zip(remap) {
                        if *c != NONE {
                            *c = m[*c as usize];
                        }
                    }
                    let dato = (Datelike::num_days_from_ce(&row.dato) as u32) ^ (1 << 31);
                    *key = [
                        (u64::from(c[0]) << 33)
                            | (u64::from(row.fase == Fase::Pilot) << 32)
                            | u64::from(c[1]),
                        hi(c[2], dato),
                        hi(c[3], c[4]),
                        total_order_key(row.minutter),
                        hi(some1(c[5]), some1(c[6])),
                    ];
                }
            });
        }
    });
    par_sort(&mut order, threads);
    let mut dicts = dicts.into_iter();
    let mut next = || dicts.next().expect("one dictionary per column");
    let mut coding = Coding {
        pilot: next(),
        foretak: next(),
        ..Coding::default()
    };
    let (_enhet, yrke, oppgave, pasient, utfort) = (next(), next(), next(), next(), next());

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

    let (cols, days, performer) = columns(
        order,
        &yrke_info,
        &oppgave_info,
        coding.pilot.names.len(),
        (utfort.names.len(), pasient.names.len()),
    );
    coding.n_pasient = pasient.names.len();
    let has_performer = coding
        .pilot
        .names
        .iter()
        .zip(&performer)
        .filter(|(_, p)| **p)
        .map(|(n, _)| (*n).to_owned())
        .collect();
    Ok(Prepared {
        cols,
        coding,
        days,
        has_performer,
    })
}

/// Rows [`columns`] reads between two shrinks of the keys.
const COLUMNS_BLOCK: usize = 1 << 16;

/// The columns of the canonically sorted row keys (see [`prepare`]), the days, and per
/// pilot whether any of its rows names a performer.
///
/// The rows are read from the last, and the keys already read are given back block by
/// block, so the keys and the columns are not both held whole (the columns' pages are
/// touched as they are filled). A row starts a day when its (pilot, fase, foretak, enhet,
/// dato) differs from the row before; the days are counted first, so that ids can be given
/// from the last.
fn columns(
    mut order: Vec<[u64; 5]>,
    yrke_info: &[Option<&Yrke>],
    oppgave_info: &[Option<(&Oppgave, u32)>],
    n_pilots: usize,
    (n_utfort, n_pasient): (usize, usize),
) -> (Columns, Vec<Day>, Vec<bool>) {
    let n = order.len();
    let starts = |order: &[[u64; 5]], i: usize| i == 0 || order[i][..2] != order[i - 1][..2];
    let n_days = (0..n).filter(|i| starts(&order, *i)).count();
    let mut cols = Columns {
        pilot: vec![0; n],
        fase: vec![0; n],
        foretak: vec![0; n],
        day: vec![0; n],
        niva: vec![0; n],
        omrade: vec![0; n],
        utfort: vec![0; n],
        pasient: vec![0; n],
        m: vec![0.0; n],
        bits: vec![0; n],
        n_utfort,
        n_pasient,
    };
    // Days from the last; reversed at the end.
    let mut days: Vec<Day> = Vec::with_capacity(n_days);
    let mut day = u32::try_from(n_days).expect("fewer than 2^32 days");
    let mut performer = vec![false; n_pilots];
    let mut end = n;
    while end > 0 {
        let start = end.saturating_sub(COLUMNS_BLOCK);
        for i in (start..end).rev() {
            let key = &order[i];
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
            let fc = lo(key[0] >> 32) & 1;
            cols.pilot[i] = c[0];
            cols.fase[i] = fc;
            cols.foretak[i] = c[1];
            cols.day[i] = day - 1;
            cols.niva[i] = p.map_or(NONE, u32::from);
            cols.omrade[i] = oppg.map_or(NONE, |(_, a)| a);
            cols.utfort[i] = utf_c.unwrap_or(NONE);
            cols.pasient[i] = pas_c.unwrap_or(NONE);
            cols.m[i] = from_total_order_key(key[3]);
            cols.bits[i] = row_bits(y, oppg.map(|(o, _)| o));
            if utf_c.is_some() {
                performer[c[0] as usize] = true;
            }
            if starts(&order, i) {
                days.push(Day {
                    pilot: c[0],
                    fase: fc,
                    foretak: c[1],
                });
                day -= 1;
            }
        }
        order.truncate(start);
        order.shrink_to_fit();
        end = start;
    }
    days.reverse();
    (cols, days, performer)
}

/// The bits of [`Columns::bits`] for a row by a profession of `y` doing a task `o`.
fn row_bits(y: Option<&Yrke>, o: Option<&Oppgave>) -> u16 {
    let p = y.map(|y| y.niva);
    let req = o.map(|o| o.krever_niva);
    let area = o.map(|o| o.omrade.as_str());
    let ny = y.is_some_and(|y| y.ny_yrkesgruppe);
    let (p0, r0) = (p.unwrap_or(0), req.unwrap_or(0));
    let both = p.is_some() && req.is_some();
    let mut bits = [
        both && p0 == r0,
        both && p0 > r0,
        both && p0 < r0,
        p0 == 4,
        p0 == 4 && both && r0 < 4,
        ny,
    ]
    .iter()
    .enumerate()
    .fold(0u16, |b, (i, x)| b | (u16::from(*x) << i));
    for (j, (_, a)) in COORD.iter().enumerate() {
        bits |= u16::from(area == Some(*a)) << (FLAG_BIT + j);
    }
    bits
}

/// Polars' float sum of a group (compensated, over the group's rows in order): the sums
/// of the export were taken this way, so they stay exactly the same.
#[derive(Debug, Clone, Copy, Default)]
struct Kahan {
    sum: f64,
    err: f64,
}

impl Kahan {
    fn add(&mut self, x: f64) {
        let y = x - self.err;
        let sum = self.sum + y;
        let err = (sum - self.sum) - y;
        self.sum = sum;
        if err.is_finite() {
            self.err = err;
        }
    }
}

/// The first bit of the coordination flags in [`Columns::bits`].
const FLAG_BIT: usize = 6;

/// The logs in integer-coded columns, rows in canonical order; [`NONE`] marks a null key.
#[derive(Default)]
struct Columns {
    pilot: Vec<u32>,
    fase: Vec<u32>,
    foretak: Vec<u32>,
    /// Day id (see [`Day`]).
    day: Vec<u32>,
    niva: Vec<u32>,
    omrade: Vec<u32>,
    utfort: Vec<u32>,
    pasient: Vec<u32>,
    /// Minutes.
    m: Vec<f64>,
    /// Per row: bits 0–5 say which of `m_riktig`, `m_over`, `m_under`, `m_spes`, `m_deleg`,
    /// `m_ny` hold the minutes (`m_spes` also sets `c_spes`); bits from [`FLAG_BIT`] are
    /// the [`FLAGS`].
    bits: Vec<u16>,
    /// Distinct performers (the `utfort` codes run below it).
    n_utfort: usize,
    /// Distinct patients (the `pasient` codes run below it).
    n_pasient: usize,
}

/// Groups keyed by integer codes, column-wise in first-seen order: callers decode the
/// codes and order the groups themselves.
#[derive(Debug, Default)]
struct Coded {
    /// Per key column, the code of each group (`None` where the key is null).
    keys: Vec<Vec<Option<u32>>>,
    /// Per value column, the sum of each group.
    sums: Vec<Vec<f64>>,
    /// Per group, its row count (or distinct count).
    rows: Vec<u64>,
}

impl Coded {
    fn len(&self) -> usize {
        self.rows.len()
    }
}

/// Group ids by key (up to four key columns), in first-seen order.
#[derive(Default)]
struct GroupIds {
    index: FastMap<[u32; 4], usize>,
    /// When the key columns' codes span few combinations: per combination (see
    /// [`GroupIds::slot`]), its group id plus one (0: not seen), instead of `index`.
    dense: Option<(Vec<u32>, [usize; 4])>,
    keys: Vec<[u32; 4]>,
    last: Option<([u32; 4], usize)>,
}

/// The most combinations of key codes [`GroupIds`] numbers by a table.
const DENSE_GROUPS: usize = 1 << 16;

impl GroupIds {
    /// Group ids for keys of the columns `cols` (unused places 0).
    fn of(cols: &[&[u32]]) -> Self {
        // Per place, the codes run below `bound` once null is moved to 0 and the others up.
        let mut strides = [0usize; 4];
        let mut size = 1usize;
        for (st, c) in strides.iter_mut().zip(cols) {
            let bound = c
                .iter()
                .map(|x| x.wrapping_add(1))
                .max()
                .map_or(1, |m| m as usize + 1);
            *st = size;
            size = size.saturating_mul(bound);
        }
        GroupIds {
            dense: (size <= DENSE_GROUPS).then(|| (vec![0; size], strides)),
            ..GroupIds::default()
        }
    }

    /// The place of `key` in the dense table (unused places have stride 0).
    fn slot(key: &[u32; 4], strides: &[usize; 4]) -> usize {
        key.iter()
            .zip(strides)
            .map(|(k, s)| k.wrapping_add(1) as usize * s)
            .sum()
    }

    fn id(&mut self, key: [u32; 4]) -> (usize, bool) {
        if let Some((k, g)) = self.last
            && k == key
        {
            return (g, false);
        }
        let next = self.keys.len();
        let (g, new) = match &mut self.dense {
            Some((table, strides)) => {
                let t = &mut table[Self::slot(&key, strides)];
                if *t == 0 {
                    *t = u32::try_from(next + 1).expect("fewer than 2^32 groups");
                    (next, true)
                } else {
                    (*t as usize - 1, false)
                }
            }
            None => match self.index.get(&key) {
                Some(g) => (*g, false),
                None => {
                    self.index.insert(key, next);
                    (next, true)
                }
            },
        };
        if new {
            self.keys.push(key);
        }
        self.last = Some((key, g));
        (g, new)
    }

    /// The key columns of the groups, nulls as `None`.
    fn key_columns(&self, n: usize) -> Vec<Vec<Option<u32>>> {
        (0..n)
            .map(|j| {
                self.keys
                    .iter()
                    .map(|k| (k[j] != NONE).then_some(k[j]))
                    .collect()
            })
            .collect()
    }
}

impl Columns {
    fn len(&self) -> usize {
        self.m.len()
    }

    fn key(&self, name: &str) -> &[u32] {
        match name {
            "pilot" => &self.pilot,
            "fase" => &self.fase,
            "foretak" => &self.foretak,
            "day" => &self.day,
            "niva" => &self.niva,
            "omrade" => &self.omrade,
            _ => unreachable!("no key column {name}"),
        }
    }

    /// Row `i`'s value of column `c`: [`SUMS`], then [`FLAGS`].
    fn value(&self, c: usize, i: usize) -> f64 {
        let bit = |b: usize| (self.bits[i] >> b) & 1 == 1;
        match c {
            0 => self.m[i],
            1..=6 => {
                if bit(c - 1) {
                    self.m[i]
                } else {
                    0.0
                }
            }
            7 => f64::from(u8::from(bit(3))),
            _ => f64::from(u8::from(bit(FLAG_BIT + c - SUMS.len()))),
        }
    }

    /// The group key of row `i` over `cols` (unused places 0).
    fn key_of(cols: &[&[u32]], i: usize) -> [u32; 4] {
        let mut k = [0u32; 4];
        for (x, c) in k.iter_mut().zip(cols) {
            *x = c[i];
        }
        k
    }

    /// Per group of `names`: the sums of the columns `sums` (as Polars sums a group), the
    /// row count, and the distinct non-null performers.
    fn group_sum(&self, names: &[&str], sums: &[usize]) -> (Coded, Vec<u64>) {
        let cols: Vec<&[u32]> = names.iter().map(|n| self.key(n)).collect();
        let words = self.n_utfort.div_ceil(64);
        let mut ids = GroupIds::of(&cols);
        let (mut acc, mut rows, mut seen): (Vec<Kahan>, Vec<u64>, Vec<u64>) = Default::default();
        for i in 0..self.len() {
            let (g, new) = ids.id(Self::key_of(&cols, i));
            if new {
                acc.resize(acc.len() + sums.len(), Kahan::default());
                rows.push(0);
                seen.resize(seen.len() + words, 0);
            }
            for (a, s) in acc[g * sums.len()..].iter_mut().zip(sums) {
                a.add(self.value(*s, i));
            }
            rows[g] += 1;
            let u = self.utfort[i];
            if u != NONE {
                seen[g * words + u as usize / 64] |= 1 << (u % 64);
            }
        }
        let distinct = (0..rows.len())
            .map(|g| {
                seen[g * words..(g + 1) * words]
                    .iter()
                    .map(|w| u64::from(w.count_ones()))
                    .sum()
            })
            .collect();
        let coded = Coded {
            keys: ids.key_columns(names.len()),
            sums: (0..sums.len())
                .map(|s| {
                    (0..rows.len())
                        .map(|g| acc[g * sums.len() + s].sum)
                        .collect()
                })
                .collect(),
            rows,
        };
        (coded, distinct)
    }

    /// Per group of `names`, over the rows with a patient: the patients, and how many of
    /// them have each of the [`FLAGS`] on any row.
    fn group_units(&self, names: &[&str]) -> Coded {
        let cols: Vec<&[u32]> = names.iter().map(|n| self.key(n)).collect();
        let mut ids = GroupIds::of(&cols);
        // Per group and patient: bit 7 = seen, bits 0.. = flags.
        let mut marks: Vec<Vec<u8>> = Vec::new();
        for i in 0..self.len() {
            let p = self.pasient[i];
            if p == NONE {
                continue;
            }
            let (g, new) = ids.id(Self::key_of(&cols, i));
            if new {
                marks.push(vec![0u8; self.n_pasient]);
            }
            marks[g][p as usize] |= 0x80 | ((self.bits[i] >> FLAG_BIT) as u8 & 0x7f);
        }
        let mut coded = Coded {
            keys: ids.key_columns(names.len()),
            sums: vec![Vec::with_capacity(marks.len()); FLAGS.len()],
            rows: Vec::with_capacity(marks.len()),
        };
        for m in &marks {
            coded
                .rows
                .push(m.iter().filter(|b| **b != 0).count() as u64);
            for (f, s) in coded.sums.iter_mut().enumerate() {
                s.push(m.iter().filter(|b| (**b >> f) & 1 == 1).count() as f64);
            }
        }
        coded
    }
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
    fn new(cols: &Columns, coding: &Coding, days: &[Day]) -> Self {
        // Per day, as Polars summed the (pilot, fase, day) groups: over its rows in order.
        let mut acc = vec![[Kahan::default(); SUMS.len()]; days.len()];
        // Per day, each patient once with the flags of any of its rows. A day's rows are
        // contiguous, so a patient last stamped with this day is already in its list.
        let mut per_day: Vec<UnitDay> = vec![Vec::new(); days.len()];
        let mut stamp = vec![NONE; coding.n_pasient];
        let mut slot = vec![0usize; coding.n_pasient];
        for i in 0..cols.len() {
            let d = cols.day[i] as usize;
            for (c, a) in acc[d].iter_mut().enumerate() {
                a.add(cols.value(c, i));
            }
            let p = cols.pasient[i];
            if p == NONE {
                continue;
            }
            let p = p as usize;
            if stamp[p] != cols.day[i] {
                stamp[p] = cols.day[i];
                slot[p] = per_day[d].len();
                per_day[d].push((p, 0));
            }
            per_day[d][slot[p]].1 |= u32::from(cols.bits[i] >> FLAG_BIT);
        }
        let sums = acc
            .iter()
            .map(|a| a.iter().map(|k| k.sum).collect())
            .collect();
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
        Boot {
            sums,
            unit_day_ids,
            unit_days,
            n_units: coding.n_pasient,
            ranges,
        }
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

    /// One target's share intervals (`coord`: its coordination intervals): days resampled
    /// within the pilot's (or the pilot × foretak's) phases, in (foretak, enhet, dato)
    /// order, seeded by the pilot. The two draw from generators of their own.
    fn target(
        &self,
        pilot: &str,
        [b, a]: &[Range<usize>; 2],
        pairs: &[(usize, usize)],
        coord: bool,
    ) -> Vec<Option<(f64, f64)>> {
        let seed = fnv1a(pilot);
        if coord {
            unit_share_change(
                self.unit_days(b),
                self.unit_days(a),
                FLAGS.len(),
                self.n_units,
                seed,
            )
        } else {
            ratio_change(&self.sums[b.clone()], &self.sums[a.clone()], pairs, seed)
        }
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
        // Distinct inputs, each computed once; their share and coordination intervals are
        // spread over the cores, and come back in the order of the tasks.
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
        let tasks: Vec<(usize, bool)> = (0..distinct.len())
            .flat_map(|i| [(i, false), (i, true)])
            .collect();
        let done = crate::par::map(&tasks, |(i, coord)| {
            self.target(distinct[*i].0, &distinct[*i].1, pairs, *coord)
        });
        slot.into_iter()
            .map(|i| (done[2 * i].clone(), done[2 * i + 1].clone()))
            .collect()
    }
}

/// Compute §2 and §3 with changes, intervals, families and links.
///
/// Every log indicator is keyed by one pilot, so each pilot's rows may come alone: the
/// rows of several pilots give the same draft rows as the pilots one at a time.
pub(crate) fn compute(logs: &[&LogRow], reference: &Reference, draft: &mut Draft) -> Result<()> {
    compute_on(logs, reference, draft, threads_for(logs.len()))
}

/// The groups of the §2 and §3 phase cells: per pilot × phase, per pilot × foretak × phase.
const PHASE_GROUPS: [&[&str]; 2] = [&["pilot", "fase"], &["pilot", "foretak", "fase"]];

/// The groups of the minutes per task area: (grouping, key columns).
const AREA_GROUPS: [(&str, &[&str]); 2] = [
    ("pilot_område", &["pilot", "fase", "omrade"]),
    (
        "pilot_område_kompetansenivå",
        &["pilot", "fase", "omrade", "niva"],
    ),
];

/// Group sums and distinct performers, keyed by decoded string keys.
type Sums = (BTreeMap<GroupKey, Group>, BTreeMap<GroupKey, u64>);

/// [`compute`], preparing the rows on `threads` threads (the draft does not depend on it).
fn compute_on(
    logs: &[&LogRow],
    reference: &Reference,
    draft: &mut Draft,
    threads: usize,
) -> Result<()> {
    if logs.is_empty() {
        return Ok(());
    }
    let Prepared {
        cols,
        coding,
        days,
        has_performer,
    } = prepare(logs, reference, threads)?;
    let ctx = Ctx {
        has_performer: &has_performer,
    };

    // Every group sum reads the columns only: they are taken side by side, and used below
    // in the order of the draft's rows.
    let (cols, coding, days) = (&cols, &coding, &days);
    // The day sums stay on this thread: their many small vectors are freed here, where the
    // next pilot's rows are read (a thread's frees stay in its allocator arena).
    let (phase, area, boot) = std::thread::scope(|s| {
        let area = s.spawn(|| {
            AREA_GROUPS.map(|(_, names)| coding.sums_and_performers(cols, names, &["m"]))
        });
        let phase = PHASE_GROUPS.map(|names| {
            s.spawn(move || {
                let sums = coding.sums_and_performers(cols, names, SUMS);
                let units = coding.groups(&cols.group_units(names), names);
                (sums, units)
            })
        });
        let boot = Boot::new(cols, coding, days);
        let join = "a group sum panicked";
        (
            phase.map(|h| h.join().expect(join)),
            area.join().expect(join),
            boot,
        )
    });

    // §2 shares and §3 coordination per pilot × phase and pilot × foretak × phase.
    let mut share_cells: BTreeMap<CellId, BTreeMap<&'static str, PhaseCell>> = BTreeMap::new();
    let mut coord_cells: BTreeMap<CellId, BTreeMap<&'static str, PhaseCell>> = BTreeMap::new();
    for (with_foretak, ((sums, perf), units)) in [false, true].into_iter().zip(phase) {
        share_rows(sums, &perf, with_foretak, &ctx, &mut share_cells, draft);
        coord_rows(units, &perf, with_foretak, &ctx, &mut coord_cells, draft);
    }

    // Bootstrap: per (enhet, dato) day totals, resampled.
    let (intervals, coord_intervals) =
        bootstrap_intervals(&boot, coding, &share_cells, &coord_cells);
    changes(&share_cells, &intervals, &ctx, draft);
    changes(&coord_cells, &coord_intervals, &ctx, draft);
    families(&share_cells, draft);
    families(&coord_cells, draft);

    minutes_per_area(area, &ctx, draft);
    Ok(())
}

/// Where a pilot × phase or pilot × foretak × phase group publishes: its keys, its
/// distinct performers and the count its primary rule uses.
struct PhaseTarget {
    pilot: String,
    foretak: Option<String>,
    fase: &'static str,
    performers: u64,
    primary: Option<u64>,
}

impl PhaseTarget {
    fn new(
        key: &GroupKey,
        with_foretak: bool,
        perf: &BTreeMap<GroupKey, u64>,
        ctx: &Ctx,
    ) -> PhaseTarget {
        let (pilot, foretak, fase) = split(key, with_foretak);
        let fase: &'static str = if fase == "før" { FASER[0] } else { FASER[1] };
        let performers = perf.get(key).copied().unwrap_or(0);
        let primary = ctx.primary(&pilot, performers);
        PhaseTarget {
            pilot,
            foretak,
            fase,
            performers,
            primary,
        }
    }

    /// Publish share `value` of indicator `id` over `n` and record it in `cells`.
    fn publish(
        &self,
        id: &'static str,
        value: f64,
        n: u64,
        cells: &mut BTreeMap<CellId, BTreeMap<&'static str, PhaseCell>>,
        draft: &mut Draft,
    ) {
        let row = draft.push(
            new_row(
                id,
                grp_name(&self.foretak),
                keys(&self.pilot, self.foretak.as_deref(), self.fase),
                Some(value),
                Some(n),
                "andel",
            ),
            self.primary,
        );
        cells
            .entry((id, self.pilot.clone(), self.foretak.clone()))
            .or_default()
            .insert(
                self.fase,
                PhaseCell {
                    row,
                    value,
                    n,
                    performers: self.performers,
                },
            );
    }
}

/// §2 share rows of each group in `sums`, recorded in `cells`.
fn share_rows(
    sums: BTreeMap<GroupKey, Group>,
    perf: &BTreeMap<GroupKey, u64>,
    with_foretak: bool,
    ctx: &Ctx,
    cells: &mut BTreeMap<CellId, BTreeMap<&'static str, PhaseCell>>,
    draft: &mut Draft,
) {
    for (key, g) in sums {
        let target = PhaseTarget::new(&key, with_foretak, perf, ctx);
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
            target.publish(id, value, n, cells, draft);
        }
    }
}

/// §3 coordination rows of each unit group in `groups`, recorded in `cells`.
fn coord_rows(
    groups: BTreeMap<GroupKey, Group>,
    perf: &BTreeMap<GroupKey, u64>,
    with_foretak: bool,
    ctx: &Ctx,
    cells: &mut BTreeMap<CellId, BTreeMap<&'static str, PhaseCell>>,
    draft: &mut Draft,
) {
    for (key, g) in groups {
        let target = PhaseTarget::new(&key, with_foretak, perf, ctx);
        for (j, (id, _)) in COORD.iter().enumerate() {
            let value = g.sums[j] / g.rows as f64;
            target.publish(id, value, g.rows, cells, draft);
        }
    }
}

/// Bootstrap intervals by cell (`None`: no interval).
type CellIntervals = BTreeMap<CellId, Option<(f64, f64)>>;

/// The bootstrap intervals of the share cells and of the coordination cells: one target
/// per (pilot, foretak) that has either.
fn bootstrap_intervals(
    boot: &Boot,
    coding: &Coding,
    share_cells: &BTreeMap<CellId, BTreeMap<&'static str, PhaseCell>>,
    coord_cells: &BTreeMap<CellId, BTreeMap<&'static str, PhaseCell>>,
) -> (CellIntervals, CellIntervals) {
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
    let mut intervals: CellIntervals = BTreeMap::new();
    let mut coord_intervals: CellIntervals = BTreeMap::new();
    for ((pilot, foretak), (cis, coord_cis)) in
        targets.iter().zip(boot.run(&targets, &pairs, coding))
    {
        for ((id, ..), ci) in SHARES.iter().zip(cis) {
            intervals.insert((id, pilot.clone(), foretak.clone()), ci);
        }
        for ((id, _), ci) in COORD.iter().zip(coord_cis) {
            coord_intervals.insert((id, pilot.clone(), foretak.clone()), ci);
        }
    }
    (intervals, coord_intervals)
}

/// Minutes per task area, per phase, and per performer level, with their families, from
/// the sums of [`AREA_GROUPS`].
fn minutes_per_area(area: [Sums; 2], ctx: &Ctx, draft: &mut Draft) {
    let mut fams: BTreeMap<GroupKey, Vec<Cell>> = BTreeMap::new();
    for ((grp, _), (sums, perf)) in AREA_GROUPS.iter().zip(area) {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_sums_are_polars_group_sums_bit_for_bit() {
        use super::super::bootstrap::SplitMix64;
        use super::super::frames::{FrameBuilder, group_sum, some};
        let mut rng = SplitMix64::new(3);
        let n = 20_000;
        let keys: Vec<String> = (0..n).map(|_| format!("k{}", rng.below(7))).collect();
        let vals: Vec<f64> = (0..n)
            .map(|_| (rng.below(720) as f64 + 1.0) / 7.0)
            .collect();
        let df = FrameBuilder::default()
            .str("k", some(keys.clone()))
            .f64("v", vals.iter().copied().map(Some).collect())
            .finish()
            .unwrap();
        let polars = group_sum(&df, &["k"], &["v"]).unwrap();
        let (mut ours, mut naive) = (BTreeMap::<&str, Kahan>::new(), BTreeMap::new());
        for (k, v) in keys.iter().zip(&vals) {
            ours.entry(k.as_str()).or_default().add(*v);
            *naive.entry(k.as_str()).or_insert(0.0) += *v;
        }
        assert_eq!(polars.len(), ours.len());
        let mut differs_from_naive = false;
        for (k, g) in &polars {
            let k = k[0].as_deref().unwrap();
            assert_eq!(g.sums[0].to_bits(), ours[k].sum.to_bits(), "{k}");
            differs_from_naive |= g.sums[0] != naive[k];
        }
        assert!(
            differs_from_naive,
            "the data should tell the two sums apart"
        );
    }

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
    fn merged_codes_follow_string_order() {
        let long = "a much longer key than fifteen bytes";
        let words = [
            "pilot",
            "før",
            "b",
            "a",
            "b",
            "Å",
            "a",
            long,
            "",
            long,
            "a\0",
            "",
            "12345678",
            "123456789",
            "1234",
            "12345",
            "123456789012345",
            "1234567890123456",
        ];
        for split in [0, 5, words.len()] {
            let (mut x, mut y) = (Interner::default(), Interner::default());
            let first: Vec<u32> = words[..split].iter().map(|w| x.code(w)).collect();
            let second: Vec<u32> = words[split..].iter().map(|w| y.code(w)).collect();
            let (mut merged, remaps) = merge_dicts(&[&x, &y]);
            let ranked: Vec<u32> = (first.iter().map(|c| remaps[0][*c as usize]))
                .chain(second.iter().map(|c| remaps[1][*c as usize]))
                .collect();
            for (x, cx) in words.iter().zip(&ranked) {
                for (y, cy) in words.iter().zip(&ranked) {
                    assert_eq!(x.cmp(y), cx.cmp(cy));
                }
                assert_eq!(merged.index[x], *cx);
                assert_eq!(merged.names[*cx as usize], *x);
                assert_eq!(merged.code(x), *cx);
            }
        }
    }

    /// Random log rows of two pilots, with minutes in thirds (sums that depend on the
    /// order of their additions), long and short ids, missing patients and performers.
    fn random_logs(n: usize) -> (Vec<LogRow>, Reference) {
        use super::super::bootstrap::SplitMix64;
        let yrke = |id: &str, niva: u8, ny: bool| Yrke {
            id: id.into(),
            navn: id.into(),
            styrk08: None,
            niva,
            ny_yrkesgruppe: ny,
            alias: Vec::new(),
        };
        let oppgave = |id: &str, omrade: &str, krever_niva: u8| Oppgave {
            id: id.into(),
            navn: id.into(),
            omrade: omrade.into(),
            krever_niva,
            alias: Vec::new(),
        };
        let reference = Reference {
            yrker: vec![
                yrke("spes", 4, false),
                yrke("sykepleier", 3, false),
                yrke("erfaringskonsulent", 2, true),
            ],
            oppgaver: vec![
                oppgave("samtale", "behandling", 4),
                oppgave("ringe-kommunen-om-bolig", "kommune", 2),
                oppgave("parorende", "pårørende", 3),
                oppgave("frivillig", "frivillige", 1),
            ],
            ..Reference::default()
        };
        let pick = |rng: &mut SplitMix64, xs: &[&str]| xs[rng.below(xs.len())].to_owned();
        let mut rng = SplitMix64::new(21);
        let start = chrono::NaiveDate::from_ymd_opt(2025, 1, 6).expect("a date");
        let rows = (0..n)
            .map(|_| {
                let day = rng.below(60);
                let pilot = pick(&mut rng, &["p1", "a pilot with a long id"]);
                let foretak = pick(&mut rng, &["STO", "HMR"]);
                LogRow {
                    pilot_id: pilot.as_str().into(),
                    dato: start + chrono::Days::new(day as u64),
                    fase: if day < 25 { Fase::For } else { Fase::Pilot },
                    enhet_id: format!("{foretak}-{}", rng.below(3)).into(),
                    foretak_id: foretak.into(),
                    yrke_id: pick(
                        &mut rng,
                        &["spes", "sykepleier", "erfaringskonsulent", "ukjent"],
                    )
                    .into(),
                    oppgave_id: pick(
                        &mut rng,
                        &[
                            "samtale",
                            "ringe-kommunen-om-bolig",
                            "parorende",
                            "frivillig",
                        ],
                    )
                    .into(),
                    minutter: (rng.below(60) + 1) as f64 / 3.0,
                    pasient: (rng.below(5) > 0).then(|| format!("P{}", rng.below(300)).into()),
                    utfort_av: (rng.below(4) > 0).then(|| format!("A{}", rng.below(30)).into()),
                }
            })
            .collect();
        (rows, reference)
    }

    #[test]
    fn the_draft_does_not_depend_on_the_threads_that_prepare_it() {
        let (rows, reference) = random_logs(12_000);
        let rows: Vec<&LogRow> = rows.iter().collect();
        let draft = |threads| {
            let mut d = Draft::default();
            compute_on(&rows, &reference, &mut d, threads).unwrap();
            serde_json::to_string(&d).unwrap()
        };
        let one = draft(1);
        assert!(one.contains("kommunesamarbeid_andel") && one.contains("nedre"));
        for threads in [2, 3] {
            assert!(one == draft(threads), "{threads} threads");
        }
    }

    #[test]
    fn group_ids_by_table_are_the_ids_by_hash() {
        use super::super::bootstrap::SplitMix64;
        let mut rng = SplitMix64::new(4);
        let col = |rng: &mut SplitMix64, n: u64| -> Vec<u32> {
            (0..5_000)
                .map(|_| match rng.below(n as usize + 1) as u64 {
                    x if x == n => NONE,
                    x => x as u32,
                })
                .collect()
        };
        let cols = [col(&mut rng, 3), col(&mut rng, 1), col(&mut rng, 40)];
        let cols: Vec<&[u32]> = cols.iter().map(Vec::as_slice).collect();
        let (mut table, mut hash) = (GroupIds::of(&cols), GroupIds::default());
        assert!(table.dense.is_some() && hash.dense.is_none());
        for i in 0..cols[0].len() {
            let key = Columns::key_of(&cols, i);
            assert_eq!(table.id(key), hash.id(key));
        }
        assert_eq!(table.keys, hash.keys);
    }

    #[test]
    fn parallel_sort_is_the_plain_sort() {
        let mut rng = super::super::bootstrap::SplitMix64::new(9);
        let mut v: Vec<[u64; 5]> = (0..20_000)
            .map(|_| std::array::from_fn(|_| rng.below(3) as u64))
            .collect();
        let mut plain = v.clone();
        plain.sort_unstable();
        par_sort(&mut v, 3);
        assert_eq!(v, plain);
    }
}
