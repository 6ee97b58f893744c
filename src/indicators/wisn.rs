//! §8 Staffing need (WHO WISN) and what each pilot's task sharing frees when spread to the
//! units of its kind.
//!
//! Inputs: the current activity volumes `V(u,t)`, the pilots' `før` logs (minutes per
//! occurrence `T(t)`, who does what `s(t,y)`, support shares `CAS(y)`), the current staffing
//! snapshot (filled and hired-in FTE, sick leave) and `[arbeidstid]`,
//! `[[aktivitetsstandard]]`, `[[tillegg]]` from the settings. The pilots' logs are never all
//! in memory: each pilot's rows are summarised into a [`PilotWork`] (minutes and rows per
//! day × task × profession), which is cached with the pilot's other log indicators.
//!
//! A task with a volume but no time or no known performer, a profession whose support share
//! is 0,9 or more, and a setting that names something unknown are reported as [`Merknad`]s,
//! never guessed.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::bootstrap::{SplitMix64, fnv1a, interval, resample_ranges};
use super::table::Merknad;
use super::{Draft, Keys, new_row};
use crate::config::{ActivityStandardSettings, AdditionalActivitySettings, WorkingTimeSettings};
use crate::model::{Dataset, Fase, LogRow, StaffingRow};

/// A support share at or above this makes CAF meaningless: an error in the data.
pub const MAX_SUPPORT_SHARE: f64 = 0.9;

/// The settings of §8.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WisnSettings {
    /// `[arbeidstid]`.
    pub arbeidstid: WorkingTimeSettings,
    /// `[[aktivitetsstandard]]`.
    pub standarder: Vec<ActivityStandardSettings>,
    /// `[[tillegg]]`.
    pub tillegg: Vec<AdditionalActivitySettings>,
}

impl WisnSettings {
    /// The §8 settings of a settings file.
    pub fn of(s: &crate::config::Settings) -> WisnSettings {
        WisnSettings {
            arbeidstid: s.arbeidstid.clone(),
            standarder: s.aktivitetsstandard.clone(),
            tillegg: s.tillegg.clone(),
        }
    }
}

/// One logged day (enhet, dato) of a pilot: `(task, profession, minutes, rows)`, sorted.
pub type WorkDay = Vec<(String, String, f64, u64)>;

/// A pilot's logs as the staffing-need model uses them: per phase, one entry per
/// (enhet, dato) day, in (enhet, dato) order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PilotWork {
    /// Days of phase `før`.
    pub before: Vec<WorkDay>,
    /// Days of phase `pilot`.
    pub after: Vec<WorkDay>,
}

/// Summarise one pilot's log rows.
///
/// One table of cells (phase, enhet, dato, task, profession) — each cell's minutes added in
/// row order —, then the cells in key order, cut into days: a few large allocations, given
/// back whole, instead of a table per day.
pub fn pilot_work(rows: &[&LogRow]) -> PilotWork {
    use super::logs::FastMap;
    type Cell<'a> = (Fase, &'a str, chrono::NaiveDate, &'a str, &'a str);
    let mut cells: FastMap<Cell<'_>, (f64, u64)> = FastMap::default();
    for r in rows {
        let key = (
            r.fase,
            r.enhet_id.as_str(),
            r.dato,
            r.oppgave_id.as_str(),
            r.yrke_id.as_str(),
        );
        let e = cells.entry(key).or_default();
        e.0 += r.minutter;
        e.1 += 1;
    }
    let mut cells: Vec<_> = cells.into_iter().collect();
    cells.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut work = PilotWork::default();
    for day in cells.chunk_by(|a, b| a.0.0 == b.0.0 && a.0.1 == b.0.1 && a.0.2 == b.0.2) {
        let out: WorkDay = day
            .iter()
            .map(|((_, _, _, t, y), (m, n))| ((*t).to_owned(), (*y).to_owned(), *m, *n))
            .collect();
        match day[0].0.0 {
            Fase::For => work.before.push(out),
            Fase::Pilot => work.after.push(out),
        }
    }
    work
}

/// Minutes per task × profession (`nt × ny`) and rows per task of a set of days.
#[derive(Debug, Clone, PartialEq)]
struct Agg {
    min: Vec<f64>,
    rows: Vec<f64>,
}

/// A day in dense indices: the minutes per slot `task × ny + profession` (each slot once),
/// and the rows per task. Rows are whole numbers, so adding a day's rows per task first
/// gives the same sums as adding them cell by cell (and the bootstrap's inner loop no
/// longer waits on one task's running sum cell after cell).
#[derive(Debug, Default)]
struct Day {
    min: Vec<(usize, f64)>,
    rows: Vec<(usize, f64)>,
}

struct PilotData {
    id: String,
    tjenester: BTreeSet<String>,
    before_days: Vec<Day>,
    after_days: Vec<Day>,
    before: Agg,
    after: Agg,
    rows_before: u64,
    rows_after: u64,
}

/// A unit with current volumes.
struct Unit {
    enhet: String,
    foretak: String,
    tjeneste: String,
    /// `(task, volume, year, file)`.
    volumes: Vec<(usize, f64, i32, String)>,
}

/// The model's parameters derived from the `før` logs.
struct Params {
    /// Minutes per occurrence, per task.
    t: Vec<Option<f64>>,
    /// Per tjeneste: per task, the shares by profession.
    shares: BTreeMap<String, TaskShares>,
    /// CAF per profession; `None` when the support share is ≥ 0,9.
    caf: Vec<Option<f64>>,
    /// CAS per profession.
    cas: Vec<f64>,
}

struct Model<'a> {
    nt: usize,
    ny: usize,
    yrke_ids: Vec<&'a str>,
    niva: Vec<u8>,
    support: Vec<bool>,
    standard: Vec<Option<f64>>,
    pilots: Vec<PilotData>,
    units: Vec<Unit>,
    /// AWT hours per (foretak, year), per profession; `None` when not positive.
    awt: Awt,
    /// Per tjeneste of the units (in order), the pilots whose shares it pools: those that
    /// cover it, or all when none does.
    pools: Vec<(String, Vec<usize>)>,
}

impl Model<'_> {
    fn empty_agg(&self) -> Agg {
        Agg {
            min: vec![0.0; self.nt * self.ny],
            rows: vec![0.0; self.nt],
        }
    }

    fn agg(&self, days: &[Day]) -> Agg {
        let mut a = self.empty_agg();
        for d in days {
            add_day(&mut a, d);
        }
        a
    }

    /// Parameters from the `før` aggregates of every pilot (in `self.pilots` order).
    fn params(&self, before: &[&Agg]) -> Params {
        self.params_for(before, &|_| true, None)
    }

    /// [`Model::params`] where only the tasks `task` accepts and (when given) the tjenester
    /// in `tjenester` are wanted: T and the shares of the others are left `None`, and
    /// those wanted come out exactly as [`Model::params`] gives them (the bootstrap of a
    /// pilot's freed FTE reads no others).
    fn params_for(
        &self,
        before: &[&Agg],
        task: &dyn Fn(usize) -> bool,
        tjenester: Option<&BTreeSet<String>>,
    ) -> Params {
        let (nt, ny) = (self.nt, self.ny);
        let mut t = vec![None; nt];
        for (ti, out) in t.iter_mut().enumerate() {
            if !task(ti) {
                continue;
            }
            if let Some(m) = self.standard[ti] {
                *out = Some(m);
                continue;
            }
            let rows: f64 = before.iter().map(|a| a.rows[ti]).sum();
            let min: f64 = before
                .iter()
                .map(|a| a.min[ti * ny..(ti + 1) * ny].iter().sum::<f64>())
                .sum();
            if rows > 0.0 {
                *out = Some(min / rows);
            }
        }
        let pooled = |which: &[usize], ti: usize| -> Option<Vec<f64>> {
            let mut v = vec![0.0; ny];
            for &q in which {
                for (y, x) in v.iter_mut().enumerate() {
                    *x += before[q].min[ti * ny + y];
                }
            }
            let total: f64 = v.iter().sum();
            (total > 0.0).then(|| v.into_iter().map(|x| x / total).collect())
        };
        let all: Vec<usize> = (0..self.pilots.len()).collect();
        let mut shares = BTreeMap::new();
        // Tjenester with the same pool get the same shares: computed once per pool.
        let mut computed: Vec<(&[usize], TaskShares)> = Vec::new();
        for (g, pool) in &self.pools {
            if tjenester.is_some_and(|wanted| !wanted.contains(g)) {
                continue;
            }
            let i = match computed.iter().position(|(p, _)| *p == pool.as_slice()) {
                Some(i) => i,
                None => {
                    let per_task = (0..nt)
                        .map(|ti| {
                            task(ti)
                                .then(|| pooled(pool, ti).or_else(|| pooled(&all, ti)))
                                .flatten()
                        })
                        .collect();
                    computed.push((pool, per_task));
                    computed.len() - 1
                }
            };
            shares.insert(g.clone(), computed[i].1.clone());
        }
        let mut cas = vec![0.0; ny];
        let mut caf = vec![Some(1.0); ny];
        for y in 0..ny {
            let (mut sup, mut tot) = (0.0, 0.0);
            for a in before {
                for ti in 0..nt {
                    let m = a.min[ti * ny + y];
                    tot += m;
                    if self.support[ti] {
                        sup += m;
                    }
                }
            }
            if tot > 0.0 {
                cas[y] = sup / tot;
                caf[y] = (cas[y] < MAX_SUPPORT_SHARE).then(|| 1.0 / (1.0 - cas[y]));
            }
        }
        Params {
            t,
            shares,
            caf,
            cas,
        }
    }

    /// The pools of [`Model::pools`], from the units' tjenester and the pilots'.
    fn pools_of_units(&self) -> Vec<(String, Vec<usize>)> {
        let all: Vec<usize> = (0..self.pilots.len()).collect();
        let tjenester: BTreeSet<&str> = self.units.iter().map(|u| u.tjeneste.as_str()).collect();
        tjenester
            .into_iter()
            .map(|g| {
                let pool: Vec<usize> = all
                    .iter()
                    .copied()
                    .filter(|q| self.pilots[*q].tjenester.contains(g))
                    .collect();
                let pool = if pool.is_empty() { all.clone() } else { pool };
                (g.to_owned(), pool)
            })
            .collect()
    }

    fn awt(&self, foretak: &str, year: i32, y: usize) -> Option<f64> {
        self.awt.get(foretak)?.get(&year)?[y]
    }

    /// R(u,y) without additional activities, per profession; `over`: a spread pilot's change
    /// of the shares, applied to the pooled ones for the tasks it covers.
    fn need(&self, p: &Params, u: &Unit, over: Option<&[Option<Vec<f64>>]>) -> Vec<f64> {
        let mut r = vec![0.0; self.ny];
        let base = &p.shares[&u.tjeneste];
        for (ti, v, year, _) in &u.volumes {
            let (Some(t), Some(s)) = (p.t[*ti], base[*ti].as_ref()) else {
                continue;
            };
            let spread_s = over.and_then(|o| o[*ti].as_ref()).map(|d| spread(s, d));
            let s = spread_s.as_ref().unwrap_or(s);
            for (y, share) in s.iter().enumerate() {
                if *share == 0.0 {
                    continue;
                }
                if let (Some(awt), Some(caf)) = (self.awt(&u.foretak, *year, y), p.caf[y]) {
                    r[y] += v * t / 60.0 * share / awt * caf;
                }
            }
        }
        r
    }
}

fn add_day(a: &mut Agg, d: &Day) {
    for (slot, m) in &d.min {
        a.min[*slot] += m;
    }
    for (t, n) in &d.rows {
        a.rows[*t] += n;
    }
}

/// The pilot-phase shares per task of an aggregate (`None` where the task has no minutes).
fn shares_of(a: &Agg, nt: usize, ny: usize) -> Vec<Option<Vec<f64>>> {
    (0..nt)
        .map(|ti| {
            let v = &a.min[ti * ny..(ti + 1) * ny];
            let total: f64 = v.iter().sum();
            (total > 0.0).then(|| v.iter().map(|x| x / total).collect())
        })
        .collect()
}

/// A pilot's change of who does what, per task it logged in both phases: the pilot phase's
/// shares minus the `før` phase's.
fn change_of(before: &Agg, after: &Agg, nt: usize, ny: usize) -> Vec<Option<Vec<f64>>> {
    shares_of(before, nt, ny)
        .into_iter()
        .zip(shares_of(after, nt, ny))
        .map(|(b, a)| Some(a?.iter().zip(b?).map(|(a, b)| a - b).collect()))
        .collect()
}

/// The pooled shares `s` with a pilot's change `d` applied: `max(s + d, 0)`, scaled to sum
/// to 1. Where the pilot alone informs `s`, this is the pilot phase's shares.
fn spread(s: &[f64], d: &[f64]) -> Vec<f64> {
    let v: Vec<f64> = s.iter().zip(d).map(|(s, d)| (s + d).max(0.0)).collect();
    let total: f64 = v.iter().sum();
    if total > 0.0 {
        v.into_iter().map(|x| x / total).collect()
    } else {
        s.to_vec()
    }
}

/// Weekdays and weekday holidays of a year, memoised.
fn calendar(year: i32, memo: &mut HashMap<i32, (f64, f64)>) -> (f64, f64) {
    *memo.entry(year).or_insert_with(|| {
        (
            f64::from(super::calendar::weekdays(year)),
            f64::from(super::calendar::weekday_holidays(year)),
        )
    })
}

/// Available working time per FTE, hours per year: `(A − (B + C + D + E)) × F` with
/// `D = sick × (A − B − C)`.
pub fn available_hours(year: i32, sick: f64, a: &WorkingTimeSettings) -> f64 {
    let weekdays = f64::from(super::calendar::weekdays(year));
    let holidays = f64::from(super::calendar::weekday_holidays(year));
    awt_of(weekdays, holidays, sick, a)
}

fn awt_of(weekdays: f64, holidays: f64, sick: f64, a: &WorkingTimeSettings) -> f64 {
    let d = sick * (weekdays - holidays - a.ferie_dager);
    (weekdays - (holidays + a.ferie_dager + d + a.andre_fravaersdager)) * (a.timer_per_uke / 5.0)
}

/// Each unit × profession cell at its latest snapshot.
fn current_staffing(staffing: &[StaffingRow]) -> Vec<&StaffingRow> {
    let mut latest: BTreeMap<(&str, &str), &StaffingRow> = BTreeMap::new();
    for r in staffing {
        let e = latest
            .entry((r.enhet_id.as_str(), r.yrke_id.as_str()))
            .or_insert(r);
        if r.dato > e.dato {
            *e = r;
        }
    }
    latest.into_values().collect()
}

/// Dense indices of the reference tasks and professions.
struct Index<'a> {
    task_ids: Vec<&'a str>,
    task_idx: HashMap<&'a str, usize>,
    yrke_idx: HashMap<&'a str, usize>,
}

const SETTINGS_FILE: &str = "tsb-report.toml";

/// The staffing-need rows: computed, pushed into `draft`; returns the notes.
pub(crate) fn compute(
    dataset: &Dataset,
    settings: &WisnSettings,
    works: &BTreeMap<String, &PilotWork>,
    draft: &mut Draft,
) -> Vec<Merknad> {
    let mut notes = Vec::new();
    if dataset.activity.is_empty() {
        return notes;
    }
    let r = &dataset.reference;
    let task_ids: Vec<&str> = r.oppgaver.iter().map(|o| o.id.as_str()).collect();
    let task_idx: HashMap<&str, usize> =
        task_ids.iter().enumerate().map(|(i, t)| (*t, i)).collect();
    let yrke_ids: Vec<&str> = r.yrker.iter().map(|y| y.id.as_str()).collect();
    let yrke_idx: HashMap<&str, usize> =
        yrke_ids.iter().enumerate().map(|(i, y)| (*y, i)).collect();
    let ix = Index {
        task_ids,
        task_idx,
        yrke_idx,
    };
    let (nt, ny) = (ix.task_ids.len(), yrke_ids.len());

    let (units, with_volume) = current_units(dataset, &ix);
    let standard = standards(settings, &ix, &mut notes);
    let support: Vec<bool> = r
        .oppgaver
        .iter()
        .enumerate()
        .map(|(i, o)| {
            matches!(o.omrade.as_str(), "dokumentasjon" | "administrasjon")
                && !with_volume.contains(&i)
        })
        .collect();
    let pilots = pilot_data(dataset, works, &ix);
    let current = current_staffing(&dataset.staffing);
    let (awt, trust_year) = working_time(&current, &units, &yrke_ids, settings);

    let mut model = Model {
        nt,
        ny,
        yrke_ids,
        niva: r.yrker.iter().map(|y| y.niva).collect(),
        support,
        standard,
        pilots,
        pools: Vec::new(),
        units,
        awt,
    };
    model.pools = model.pools_of_units();
    let befores: Vec<Agg> = model
        .pilots
        .iter()
        .map(|p| model.agg(&p.before_days))
        .collect();
    let afters: Vec<Agg> = model
        .pilots
        .iter()
        .map(|p| model.agg(&p.after_days))
        .collect();
    for (p, (b, a)) in model.pilots.iter_mut().zip(befores.into_iter().zip(afters)) {
        p.before = b;
        p.after = a;
    }
    let before_refs: Vec<&Agg> = model.pilots.iter().map(|p| &p.before).collect();
    let params = model.params(&before_refs);
    unusable_notes(&model, &params, &ix, &mut notes);
    let (iaf_unit, iaf_trust) =
        additional_activities(settings, &model, &ix, &trust_year, &mut notes);
    let (staff, vacancy4) = staff_and_vacancy(&current, &model, &ix);

    // R per unit × profession; professions without CAF are left out.
    let needs: Vec<Vec<f64>> = model
        .units
        .iter()
        .map(|u| model.need(&params, u, None))
        .collect();
    let ctx = NeedCtx {
        model: &model,
        params: &params,
        needs: &needs,
        iaf_unit: &iaf_unit,
        iaf_trust: &iaf_trust,
        staff: &staff,
    };
    emit_needs(draft, &ctx);
    emit_pilots(draft, &ctx, &vacancy4);
    notes
}

/// Current volumes (the latest year per unit × task) per unit, in unit order, and the tasks
/// that have a positive one.
fn current_units(dataset: &Dataset, ix: &Index<'_>) -> (Vec<Unit>, BTreeSet<usize>) {
    let r = &dataset.reference;
    let mut latest: BTreeMap<(&str, &str), &crate::model::ActivityRow> = BTreeMap::new();
    for a in &dataset.activity {
        let e = latest
            .entry((a.enhet_id.as_str(), a.oppgave_id.as_str()))
            .or_insert(a);
        if a.ar > e.ar {
            *e = a;
        }
    }
    let with_volume: BTreeSet<usize> = latest
        .values()
        .filter(|a| a.antall > 0.0)
        .filter_map(|a| ix.task_idx.get(a.oppgave_id.as_str()).copied())
        .collect();
    let mut units: BTreeMap<&str, Unit> = BTreeMap::new();
    for a in latest.values() {
        let Some(&ti) = ix.task_idx.get(a.oppgave_id.as_str()) else {
            continue;
        };
        let tjeneste = r
            .enhet(&a.enhet_id)
            .map_or_else(|| "annet".to_owned(), |e| e.tjeneste.clone());
        let u = units.entry(a.enhet_id.as_str()).or_insert_with(|| Unit {
            enhet: a.enhet_id.clone(),
            foretak: a.foretak_id.clone(),
            tjeneste,
            volumes: Vec::new(),
        });
        u.volumes.push((ti, a.antall, a.ar, a.fil.clone()));
    }
    (units.into_values().collect(), with_volume)
}

/// Minutes per task from `[[aktivitetsstandard]]`; unknown tasks are noted.
fn standards(
    settings: &WisnSettings,
    ix: &Index<'_>,
    notes: &mut Vec<Merknad>,
) -> Vec<Option<f64>> {
    let mut standard = vec![None; ix.task_ids.len()];
    for s in &settings.standarder {
        match ix.task_idx.get(s.oppgave.trim()) {
            Some(&ti) => standard[ti] = Some(s.minutter),
            None => notes.push(Merknad {
                fil: SETTINGS_FILE.into(),
                tekst: format!(
                    "`[[aktivitetsstandard]]` names unknown task `{}`; it is not used",
                    s.oppgave
                ),
            }),
        }
    }
    standard
}

/// Each pilot's days in dense indices, with the services of its units.
fn pilot_data(
    dataset: &Dataset,
    works: &BTreeMap<String, &PilotWork>,
    ix: &Index<'_>,
) -> Vec<PilotData> {
    let r = &dataset.reference;
    let mut pilots = Vec::new();
    for (id, w) in works {
        let tjenester: BTreeSet<String> = dataset
            .pilots
            .iter()
            .find(|p| &p.id == id)
            .map(|p| {
                p.enheter
                    .iter()
                    .filter_map(|e| r.enhet(e).map(|e| e.tjeneste.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let ny = dataset.reference.yrker.len();
        let dense = |days: &[WorkDay]| -> Vec<Day> {
            days.iter()
                .map(|d| {
                    let mut day = Day::default();
                    for (t, y, m, n) in d {
                        let (Some(&t), Some(&y)) =
                            (ix.task_idx.get(t.as_str()), ix.yrke_idx.get(y.as_str()))
                        else {
                            continue;
                        };
                        day.min.push((t * ny + y, *m));
                        match day.rows.iter_mut().find(|(task, _)| *task == t) {
                            Some((_, rows)) => *rows += *n as f64,
                            None => day.rows.push((t, *n as f64)),
                        }
                    }
                    day
                })
                .collect()
        };
        let before_days = dense(&w.before);
        let after_days = dense(&w.after);
        let rows = |days: &[WorkDay]| days.iter().flatten().map(|c| c.3).sum::<u64>();
        pilots.push(PilotData {
            id: id.clone(),
            tjenester,
            rows_before: rows(&w.before),
            rows_after: rows(&w.after),
            before: Agg {
                min: Vec::new(),
                rows: Vec::new(),
            },
            after: Agg {
                min: Vec::new(),
                rows: Vec::new(),
            },
            before_days,
            after_days,
        });
    }
    pilots
}

/// AWT per (foretak, year) and profession, from the sick leave per foretak × yrke at the
/// current snapshot (§1); and each health trust's latest volume year (for the additional
/// activities).
/// Per task, the shares by profession (`None` where the task has no minutes).
type TaskShares = Vec<Option<Vec<f64>>>;

/// AWT hours per health trust and year, per profession (by trust first: looked up without
/// building a key, in the bootstrap's inner loop).
type Awt = HashMap<String, HashMap<i32, Vec<Option<f64>>>>;

fn working_time(
    current: &[&StaffingRow],
    units: &[Unit],
    yrke_ids: &[&str],
    settings: &WisnSettings,
) -> (Awt, BTreeMap<String, i32>) {
    let mut sick: HashMap<(&str, &str), (f64, f64)> = HashMap::new();
    for c in current {
        if let Some(p) = c.sykefravaer_pst {
            let e = sick
                .entry((c.foretak_id.as_str(), c.yrke_id.as_str()))
                .or_default();
            e.0 += p / 100.0 * c.besatte_arsverk;
            e.1 += c.besatte_arsverk;
        }
    }
    let default_sick = settings.arbeidstid.sykefravaer_pst / 100.0;
    let mut memo = HashMap::new();
    let mut awt: Awt = HashMap::new();
    let mut years: BTreeSet<(String, i32)> = units
        .iter()
        .flat_map(|u| u.volumes.iter().map(|v| (u.foretak.clone(), v.2)))
        .collect();
    // Additional activities use the health trust's latest volume year.
    let trust_year: BTreeMap<String, i32> = units.iter().fold(BTreeMap::new(), |mut m, u| {
        for v in &u.volumes {
            let e = m.entry(u.foretak.clone()).or_insert(v.2);
            *e = (*e).max(v.2);
        }
        m
    });
    years.extend(trust_year.iter().map(|(f, y)| (f.clone(), *y)));
    for (f, year) in years {
        let (a, b) = calendar(year, &mut memo);
        let v = yrke_ids
            .iter()
            .map(|y| {
                let s = sick
                    .get(&(f.as_str(), *y))
                    .filter(|(_, den)| *den > 0.0)
                    .map_or(default_sick, |(num, den)| num / den);
                let h = awt_of(a, b, s, &settings.arbeidstid);
                (h > 0.0).then_some(h)
            })
            .collect();
        awt.entry(f).or_default().insert(year, v);
    }
    (awt, trust_year)
}

/// What cannot be used, said once each: volumes without a time or a known performer, and
/// professions without CAF.
fn unusable_notes(model: &Model<'_>, params: &Params, ix: &Index<'_>, notes: &mut Vec<Merknad>) {
    let mut unusable: BTreeMap<usize, (BTreeSet<&str>, &str, &'static str)> = BTreeMap::new();
    for u in &model.units {
        for (ti, v, _, fil) in &u.volumes {
            if *v <= 0.0 {
                continue;
            }
            let why = if params.t[*ti].is_none() {
                Some("no time: no `før` log rows and no `[[aktivitetsstandard]]`")
            } else if params.shares[&u.tjeneste][*ti].is_none() {
                Some("no `før` log rows show who does it")
            } else {
                None
            };
            if let Some(why) = why {
                let e = unusable
                    .entry(*ti)
                    .or_insert((BTreeSet::new(), fil.as_str(), why));
                e.0.insert(u.enhet.as_str());
            }
        }
    }
    for (ti, (enheter, fil, why)) in &unusable {
        notes.push(Merknad {
            fil: (*fil).to_owned(),
            tekst: format!(
                "task `{}` has volumes in {} unit(s) but {why}; its volumes are not used in the staffing need",
                ix.task_ids[*ti],
                enheter.len()
            ),
        });
    }
    for (y, caf) in params.caf.iter().enumerate() {
        if caf.is_none() {
            notes.push(Merknad {
                fil: "aktivitetslogger (før)".into(),
                tekst: format!(
                    "profession `{}` spends {:.1} % of its `før` minutes on support activities (documentation and administration without volumes), 90 % or more: the staffing need of the profession is not computed",
                    model.yrke_ids[y],
                    params.cas[y] * 100.0
                ),
            });
        }
    }
}

/// Additional-activity FTE (IAF) per unit × profession and per health trust × profession.
type Iaf<'a> = (
    HashMap<(&'a str, usize), f64>,
    BTreeMap<(&'a str, usize), f64>,
);

fn additional_activities<'a>(
    settings: &WisnSettings,
    model: &'a Model<'_>,
    ix: &Index<'_>,
    trust_year: &'a BTreeMap<String, i32>,
    notes: &mut Vec<Merknad>,
) -> Iaf<'a> {
    let mut iaf_unit: HashMap<(&str, usize), f64> = HashMap::new();
    let mut iaf_trust: BTreeMap<(&str, usize), f64> = BTreeMap::new();
    for t in &settings.tillegg {
        let Some(&y) = ix.yrke_idx.get(t.yrke.trim()) else {
            notes.push(Merknad {
                fil: SETTINGS_FILE.into(),
                tekst: format!(
                    "`[[tillegg]]` names unknown profession `{}`; it is not used",
                    t.yrke
                ),
            });
            continue;
        };
        let Some((f, &year)) = trust_year.get_key_value(t.foretak.trim()) else {
            notes.push(Merknad {
                fil: SETTINGS_FILE.into(),
                tekst: format!(
                    "`[[tillegg]]` for `{}` × `{}`: the health trust has no activity volumes (or is unknown); it is not used",
                    t.foretak, t.yrke
                ),
            });
            continue;
        };
        let Some(awt) = model.awt(f, year, y) else {
            continue;
        };
        let f = f.as_str();
        let iaf = t.timer_per_ar * t.personer / awt;
        match &t.enhet {
            None => *iaf_trust.entry((f, y)).or_default() += iaf,
            Some(e) => match model.units.iter().find(|u| u.enhet == e.trim() && u.foretak == f) {
                Some(u) => *iaf_unit.entry((u.enhet.as_str(), y)).or_default() += iaf,
                None => notes.push(Merknad {
                    fil: SETTINGS_FILE.into(),
                    tekst: format!(
                        "`[[tillegg]]` for unit `{e}`: the unit has no activity volumes in `{f}`; it is not used"
                    ),
                }),
            },
        }
    }
    (iaf_unit, iaf_trust)
}

/// Staff per unit × profession (filled + hired-in), and the specialist vacancy per trust.
type Staff<'a> = (HashMap<(&'a str, usize), f64>, BTreeMap<&'a str, f64>);

fn staff_and_vacancy<'a>(
    current: &[&'a StaffingRow],
    model: &Model<'_>,
    ix: &Index<'_>,
) -> Staff<'a> {
    let mut staff: HashMap<(&str, usize), f64> = HashMap::new();
    let mut vacancy4: BTreeMap<&str, f64> = BTreeMap::new();
    for c in current {
        let Some(&y) = ix.yrke_idx.get(c.yrke_id.as_str()) else {
            continue;
        };
        *staff.entry((c.enhet_id.as_str(), y)).or_default() +=
            c.besatte_arsverk + c.innleide_arsverk;
        if model.niva[y] == 4 {
            *vacancy4.entry(c.foretak_id.as_str()).or_default() +=
                (c.budsjetterte_arsverk - c.besatte_arsverk).max(0.0);
        }
    }
    (staff, vacancy4)
}

/// What the need rows are computed from.
struct NeedCtx<'a, 'm> {
    model: &'a Model<'m>,
    params: &'a Params,
    /// R per unit (in unit order) × profession.
    needs: &'a [Vec<f64>],
    iaf_unit: &'a HashMap<(&'a str, usize), f64>,
    iaf_trust: &'a BTreeMap<(&'a str, usize), f64>,
    staff: &'a HashMap<(&'a str, usize), f64>,
}

impl NeedCtx<'_, '_> {
    /// A unit's (profession, R with its IAF, staff) cells with a need or staff, for the
    /// professions with CAF.
    fn cells(&self, u: &Unit, need: &[f64]) -> Vec<(usize, f64, f64)> {
        (0..self.model.ny)
            .filter(|y| self.params.caf[*y].is_some())
            .filter_map(|y| {
                let key = (u.enhet.as_str(), y);
                let iaf = self.iaf_unit.get(&key).copied().unwrap_or(0.0);
                let rr = need[y] + iaf;
                let s = self.staff.get(&key).copied().unwrap_or(0.0);
                (rr > 0.0 || s > 0.0).then_some((y, rr, s))
            })
            .collect()
    }
}

#[derive(Default, Clone, Copy)]
struct Sum {
    r: f64,
    s: f64,
    n: u64,
}

impl Sum {
    fn add(&mut self, r: f64, s: f64, n: u64) {
        self.r += r;
        self.s += s;
        self.n += n;
    }
}

/// The need rows per unit × profession, foretak × profession, foretak × level and level.
fn emit_needs(draft: &mut Draft, ctx: &NeedCtx<'_, '_>) {
    let model = ctx.model;
    let mut by_fy: BTreeMap<(&str, usize), Sum> = BTreeMap::new();
    for (u, need) in model.units.iter().zip(ctx.needs) {
        let n = u.volumes.len() as u64;
        for (y, rr, s) in ctx.cells(u, need) {
            let keys = Keys {
                foretak_id: Some(u.foretak.clone()),
                enhet_id: Some(u.enhet.clone()),
                yrke_id: Some(model.yrke_ids[y].to_owned()),
                ..Keys::default()
            };
            emit(draft, "enhet_yrke", keys, rr, s, n);
            by_fy
                .entry((u.foretak.as_str(), y))
                .or_default()
                .add(rr, s, n);
        }
    }
    for ((f, y), iaf) in ctx.iaf_trust {
        if ctx.params.caf[*y].is_some() {
            by_fy.entry((f, *y)).or_default().r += iaf;
        }
    }
    let mut by_fl: BTreeMap<(&str, u8), Sum> = BTreeMap::new();
    for ((f, y), s) in &by_fy {
        let keys = Keys {
            foretak_id: Some((*f).to_owned()),
            yrke_id: Some(model.yrke_ids[*y].to_owned()),
            ..Keys::default()
        };
        emit(draft, "foretak_yrke", keys, s.r, s.s, s.n);
        by_fl
            .entry((f, model.niva[*y]))
            .or_default()
            .add(s.r, s.s, s.n);
    }
    let mut by_l: BTreeMap<u8, Sum> = BTreeMap::new();
    for ((f, l), s) in &by_fl {
        let keys = Keys {
            foretak_id: Some((*f).to_owned()),
            kompetanseniva: Some(*l),
            ..Keys::default()
        };
        emit(draft, "foretak_kompetansenivå", keys, s.r, s.s, s.n);
        by_l.entry(*l).or_default().add(s.r, s.s, s.n);
    }
    for (l, s) in &by_l {
        let keys = Keys {
            kompetanseniva: Some(*l),
            ..Keys::default()
        };
        emit(draft, "kompetansenivå", keys, s.r, s.s, s.n);
    }
}

/// Each pilot spread to the units of its kind: the need after task sharing, the freed
/// specialist FTE and the share of the vacancy it covers.
fn emit_pilots(draft: &mut Draft, ctx: &NeedCtx<'_, '_>, vacancy4: &BTreeMap<&str, f64>) {
    let model = ctx.model;
    let region_vacancy: f64 = vacancy4.values().sum();
    // The pilots' bootstraps are independent (each its own seed): run them on every core.
    let mut all_cis = freed_intervals(model);
    for (pi, p) in model.pilots.iter().enumerate() {
        if p.after_days.is_empty() {
            continue;
        }
        // The pilot's phase rows carry its disclosure control.
        let sources: Vec<usize> = draft
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.indikator == "riktig_niva_andel"
                    && r.gruppering == "pilot"
                    && r.keys.pilot_id.as_deref() == Some(p.id.as_str())
                    && matches!(r.keys.fase.as_deref(), Some("før" | "pilot"))
            })
            .map(|(i, _)| i)
            .collect();
        let out = PilotRows {
            pilot: p,
            n: p.rows_before.min(p.rows_after),
            sources,
        };
        let over = change_of(&p.before, &p.after, model.nt, model.ny);
        let mut l_sum: BTreeMap<u8, f64> = BTreeMap::new();
        for ((f, l), v) in &spread_need(ctx, p, &over) {
            let mut k = out.keys(Some(*f), "pilot");
            k.kompetanseniva = Some(*l);
            out.push(draft, "pilot_foretak_kompetansenivå", k, *v, "behov", None);
            *l_sum.entry(*l).or_default() += v;
        }
        for (l, v) in &l_sum {
            let mut k = out.keys(None, "pilot");
            k.kompetanseniva = Some(*l);
            out.push(draft, "pilot_kompetansenivå", k, *v, "behov", None);
        }
        let cis = std::mem::take(&mut all_cis[pi]);
        emit_freed(draft, ctx, &out, &over, &cis, vacancy4, region_vacancy);
    }
}

/// R′ per foretak × level when pilot `p`'s change of shares `over` is applied in the units
/// of its kind.
fn spread_need<'a>(
    ctx: &NeedCtx<'a, '_>,
    p: &PilotData,
    over: &[Option<Vec<f64>>],
) -> BTreeMap<(&'a str, u8), f64> {
    let model = ctx.model;
    let mut fl: BTreeMap<(&str, u8), f64> = BTreeMap::new();
    for (u, need) in model.units.iter().zip(ctx.needs) {
        let need2 = if p.tjenester.contains(&u.tjeneste) {
            model.need(ctx.params, u, Some(over))
        } else {
            need.clone()
        };
        for (y, rr, _) in ctx.cells(u, &need2) {
            *fl.entry((u.foretak.as_str(), model.niva[y])).or_default() += rr;
        }
    }
    for ((f, y), iaf) in ctx.iaf_trust {
        if ctx.params.caf[*y].is_some() {
            *fl.entry((f, model.niva[*y])).or_default() += iaf;
        }
    }
    fl
}

/// Freed specialist FTE per trust and for the region, with the day bootstrap's
/// intervals, and the share of the specialist vacancy they cover.
fn emit_freed(
    draft: &mut Draft,
    ctx: &NeedCtx<'_, '_>,
    out: &PilotRows<'_>,
    over: &[Option<Vec<f64>>],
    cis: &BTreeMap<Option<String>, Option<(f64, f64)>>,
    vacancy4: &BTreeMap<&str, f64>,
    region_vacancy: f64,
) {
    let point = freed(ctx.model, ctx.params, over, out.pilot);
    let mut total = 0.0;
    for (f, v) in &point {
        total += v;
        let ci = cis.get(&Some((*f).to_owned())).copied().flatten();
        let k = out.keys(Some(*f), "endring");
        out.push(draft, "pilot_foretak", k, *v, "frigjort", ci);
        if let Some(vac) = vacancy4.get(f).filter(|v| **v > 0.0) {
            let ci = ci.map(|(lo, hi)| (lo / vac, hi / vac));
            let k = out.keys(Some(*f), "pilot");
            out.push(draft, "pilot_foretak", k, v / vac, "dekket", ci);
        }
    }
    if !point.is_empty() {
        let ci = cis.get(&None).copied().flatten();
        out.push(
            draft,
            "pilot",
            out.keys(None, "endring"),
            total,
            "frigjort",
            ci,
        );
        if region_vacancy > 0.0 {
            let ci = ci.map(|(lo, hi)| (lo / region_vacancy, hi / region_vacancy));
            let k = out.keys(None, "pilot");
            out.push(draft, "pilot", k, total / region_vacancy, "dekket", ci);
        }
    }
}

/// How one pilot's spread rows are made: its row count and the rows whose disclosure
/// control they follow.
struct PilotRows<'p> {
    pilot: &'p PilotData,
    n: u64,
    sources: Vec<usize>,
}

impl PilotRows<'_> {
    fn keys(&self, foretak: Option<&str>, fase: &str) -> Keys {
        Keys {
            pilot_id: Some(self.pilot.id.clone()),
            foretak_id: foretak.map(str::to_owned),
            fase: Some(fase.to_owned()),
            ..Keys::default()
        }
    }

    /// Push one row: `unit` is `behov`, `frigjort` or `dekket`.
    fn push(
        &self,
        draft: &mut Draft,
        grp: &str,
        keys: Keys,
        v: f64,
        unit: &str,
        ci: Option<(f64, f64)>,
    ) {
        let mut row = new_row(
            match unit {
                "behov" => "wisn_behov_etter_oppgavedeling",
                "frigjort" => "frigjorte_spesialistarsverk",
                _ => "vakanse_dekket_andel",
            },
            grp,
            keys,
            Some(v),
            Some(self.n),
            if unit == "dekket" {
                "andel"
            } else {
                "årsverk"
            },
        );
        if let Some((lo, hi)) = ci {
            row.nedre = Some(lo);
            row.ovre = Some(hi);
        }
        let i = draft.push(row, None);
        if !self.sources.is_empty() {
            draft.links.push((i, self.sources.clone()));
        }
    }
}

/// The four values of one cell: staff, need, difference and ratio.
fn emit(draft: &mut Draft, grp: &str, keys: Keys, r: f64, s: f64, n: u64) {
    draft.push(
        new_row(
            "wisn_arsverk",
            grp,
            keys.clone(),
            Some(s),
            Some(n),
            "årsverk",
        ),
        None,
    );
    draft.push(
        new_row("wisn_behov", grp, keys.clone(), Some(r), Some(n), "årsverk"),
        None,
    );
    draft.push(
        new_row(
            "wisn_differanse",
            grp,
            keys.clone(),
            Some(s - r),
            Some(n),
            "årsverk",
        ),
        None,
    );
    if r > 0.0 {
        draft.push(
            new_row("wisn_ratio", grp, keys, Some(s / r), Some(n), "forhold"),
            None,
        );
    }
}

/// Specialist FTE freed per health trust when pilot `p`'s change of shares `over` is applied
/// to the pooled ones in the units of its kind: `Σ_{u, t, y: nivå 4} V·T/60·(s − s′)/AWT·CAF`.
/// Only the trusts with such units are present.
fn freed<'m>(
    m: &'m Model<'_>,
    params: &Params,
    over: &[Option<Vec<f64>>],
    p: &PilotData,
) -> BTreeMap<&'m str, f64> {
    let plan = FreedPlan::new(m, p);
    plan.trusts
        .iter()
        .copied()
        .zip(plan.freed(params, over, &mut Vec::new()))
        .collect()
}

/// What [`freed`] reads of the model for one pilot, looked up once for all resamples: the
/// pilot's units with their trust and tjeneste as indices, and each volume's AWT for the
/// level-4 professions.
struct FreedPlan<'m> {
    /// The trusts of the pilot's units, in name order.
    trusts: Vec<&'m str>,
    /// The tjenester of the pilot's units, in name order.
    tjenester: Vec<&'m str>,
    /// Per unit (in model order): its trust, its tjeneste, and its volumes.
    units: Vec<(usize, usize, Vec<PlannedVolume>)>,
}

/// A unit's volume for [`FreedPlan`]: the task, the volume, and `(profession, AWT)` of the
/// level-4 professions that have an AWT.
type PlannedVolume = (usize, f64, Vec<(usize, f64)>);

impl<'m> FreedPlan<'m> {
    fn new(m: &'m Model<'_>, p: &PilotData) -> Self {
        let units: Vec<&Unit> = m
            .units
            .iter()
            .filter(|u| p.tjenester.contains(&u.tjeneste))
            .collect();
        let sorted = |of: fn(&'m Unit) -> &'m str| -> Vec<&'m str> {
            units
                .iter()
                .map(|u| of(u))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect()
        };
        let trusts = sorted(|u| u.foretak.as_str());
        let tjenester = sorted(|u| u.tjeneste.as_str());
        let level4: Vec<usize> = (0..m.ny).filter(|y| m.niva[*y] == 4).collect();
        let index = |all: &[&str], x: &str| all.binary_search(&x).unwrap_or_default();
        let units = units
            .iter()
            .map(|u| {
                let volumes = u
                    .volumes
                    .iter()
                    .map(|(ti, v, year, _)| {
                        let awt = level4
                            .iter()
                            .filter_map(|y| Some((*y, m.awt(&u.foretak, *year, *y)?)))
                            .collect();
                        (*ti, *v, awt)
                    })
                    .collect();
                (
                    index(&trusts, &u.foretak),
                    index(&tjenester, &u.tjeneste),
                    volumes,
                )
            })
            .collect();
        FreedPlan {
            trusts,
            tjenester,
            units,
        }
    }

    /// The freed FTE per trust of [`FreedPlan::trusts`]; each trust's sum is taken in the
    /// order of its units, tasks and professions. `spreads` is scratch space (the spread
    /// shares per tjeneste × task, computed once per call).
    fn freed(
        &self,
        params: &Params,
        over: &[Option<Vec<f64>>],
        spreads: &mut Vec<Option<Vec<f64>>>,
    ) -> Vec<f64> {
        let nt = params.t.len();
        let bases: Vec<&TaskShares> = self.tjenester.iter().map(|g| &params.shares[*g]).collect();
        spreads.clear();
        spreads.resize(self.tjenester.len() * nt, None);
        let mut out = vec![0.0; self.trusts.len()];
        for (trust, g, volumes) in &self.units {
            let acc = &mut out[*trust];
            for (ti, v, awt) in volumes {
                let (Some(t), Some(s), Some(d)) =
                    (params.t[*ti], bases[*g][*ti].as_ref(), over[*ti].as_ref())
                else {
                    continue;
                };
                let s2 = spreads[g * nt + ti].get_or_insert_with(|| spread(s, d));
                for (y, awt) in awt {
                    if let Some(caf) = params.caf[*y] {
                        *acc += v * t / 60.0 * (s[*y] - s2[*y]) / awt * caf;
                    }
                }
            }
        }
        out
    }
}

/// 95 % intervals of the freed specialist FTE of each pilot, per health trust (`Some`) and
/// for the region (`None`): the pilot's (enhet, dato) days are resampled within each phase
/// (the §2 day bootstrap, 2 000 resamples, seed from the pilot id), and T, s, CAS and the
/// pilot's shares recomputed from each resample.
///
/// A pilot's resamples are taken in [`CHUNKS`] runs on every core (each run's generator
/// jumps ahead to its first resample's draws), and the runs' replicates joined in order: the
/// same replicates as one sequential run, with the cores kept busy when there are fewer
/// pilots than cores or pilots of different sizes.
fn freed_intervals(m: &Model<'_>) -> Vec<FreedIntervals> {
    let runs: Vec<(usize, std::ops::Range<usize>)> = (0..m.pilots.len())
        .filter(|pi| !m.pilots[*pi].before_days.is_empty() && !m.pilots[*pi].after_days.is_empty())
        .flat_map(|pi| resample_ranges(CHUNKS).into_iter().map(move |r| (pi, r)))
        .collect();
    // Each pilot's days and units are prepared once, for all of its runs.
    let prepared: Vec<Option<Prepared<'_>>> = (0..m.pilots.len())
        .map(|pi| {
            runs.iter()
                .any(|(q, _)| *q == pi)
                .then(|| Prepared::of(m, pi))
        })
        .collect();
    let replicates = crate::par::map(&runs, |(pi, range)| {
        let p = prepared[*pi]
            .as_ref()
            .expect("a pilot with runs is prepared");
        freed_replicates(m, *pi, p, range.clone())
    });
    let mut reps: Vec<BTreeMap<Option<String>, Vec<f64>>> = vec![BTreeMap::new(); m.pilots.len()];
    for ((pi, _), run) in runs.iter().zip(replicates) {
        for (k, v) in run {
            reps[*pi].entry(k).or_default().extend(v);
        }
    }
    reps.into_iter()
        .map(|r| r.into_iter().map(|(k, v)| (k, interval(v))).collect())
        .collect()
}

/// One phase's days, ready to be resampled: as they are, or, when every sum of a resample
/// is exact ([`exactly_summable`]), also as one dense row per day over the slots and tasks
/// the phase uses.
struct Phase<'d> {
    days: &'d [Day],
    dense: Option<DenseDays>,
}

/// Days as dense rows: `values[d * width ..][..width]` holds day `d`'s minutes per slot of
/// `slots`, then its rows per task of `tasks`.
struct DenseDays {
    slots: Vec<usize>,
    tasks: Vec<usize>,
    width: usize,
    values: Vec<f64>,
}

/// One run's working space for [`Phase::add_resample`]: the running sums of a resample and
/// the draws per day.
#[derive(Default)]
struct Scratch {
    acc: Vec<f64>,
    counts: Vec<u32>,
}

impl<'d> Phase<'d> {
    fn new(days: &'d [Day]) -> Self {
        let dense = exactly_summable(days).then(|| {
            let mut slots: Vec<usize> = days
                .iter()
                .flat_map(|d| d.min.iter().map(|e| e.0))
                .collect();
            let mut tasks: Vec<usize> = days
                .iter()
                .flat_map(|d| d.rows.iter().map(|e| e.0))
                .collect();
            for v in [&mut slots, &mut tasks] {
                v.sort_unstable();
                v.dedup();
            }
            let width = slots.len() + tasks.len();
            let mut values = vec![0.0; days.len() * width];
            for (d, row) in days.iter().zip(values.chunks_exact_mut(width.max(1))) {
                for (slot, m) in &d.min {
                    row[slots.binary_search(slot).unwrap_or_default()] = *m;
                }
                for (t, r) in &d.rows {
                    row[slots.len() + tasks.binary_search(t).unwrap_or_default()] = *r;
                }
            }
            DenseDays {
                slots,
                tasks,
                width,
                values,
            }
        });
        Phase { days, dense }
    }

    /// Add `days.len()` days drawn with replacement (`days.len()` draws of `rng`) to `agg`,
    /// each sum in draw order. With dense rows the draws are counted first and each drawn
    /// day added once, times its count, in day order: the same sums, as every partial sum
    /// is exact, from memory read in order and added a row at a time.
    fn add_resample(&self, agg: &mut Agg, rng: &mut SplitMix64, scratch: &mut Scratch) {
        let n = self.days.len();
        let Some(dense) = &self.dense else {
            for _ in 0..n {
                add_day(agg, &self.days[rng.below(n)]);
            }
            return;
        };
        let Scratch { acc, counts } = scratch;
        counts.clear();
        counts.resize(n, 0);
        for _ in 0..n {
            counts[rng.below(n)] += 1;
        }
        acc.clear();
        acc.resize(dense.width, 0.0);
        if dense.width > 0 {
            for (row, c) in dense.values.chunks_exact(dense.width).zip(counts.iter()) {
                if *c == 0 {
                    continue;
                }
                let c = f64::from(*c);
                for (a, v) in acc.iter_mut().zip(row) {
                    *a += c * v;
                }
            }
        }
        let (min, rows) = acc.split_at(dense.slots.len());
        for (slot, v) in dense.slots.iter().zip(min) {
            agg.min[*slot] += v;
        }
        for (t, v) in dense.tasks.iter().zip(rows) {
            agg.rows[*t] += v;
        }
    }
}

/// Whether every sum of a resample of `days` is exact in `f64`: all minutes and rows are
/// multiples of 1/64 (whole minutes, halves, quarters …), and `days.len()` of the largest day
/// stay far below 2⁵³/64. Then adding them in any order gives the same bits.
fn exactly_summable(days: &[Day]) -> bool {
    const SCALE: f64 = 64.0;
    let mut largest = 0.0f64;
    for d in days {
        let mut total = 0.0;
        for v in d.min.iter().chain(&d.rows).map(|(_, v)| *v) {
            let scaled = v * SCALE;
            if !scaled.is_finite() || scaled.fract() != 0.0 {
                return false;
            }
            total += scaled.abs();
        }
        largest = largest.max(total);
    }
    largest * (days.len() as f64) < 2f64.powi(50)
}

/// A pilot's freed-FTE intervals, per health trust (`Some`) and for the region (`None`).
type FreedIntervals = BTreeMap<Option<String>, Option<(f64, f64)>>;

/// Runs per pilot of [`freed_intervals`].
const CHUNKS: usize = 8;

/// The freed-FTE replicates of resamples `range` of pilot `pi` (both phases have days).
/// A pilot's phases and units, prepared once for all runs of its freed-FTE bootstrap.
struct Prepared<'m> {
    before: Phase<'m>,
    after: Phase<'m>,
    plan: FreedPlan<'m>,
}

impl<'m> Prepared<'m> {
    fn of(m: &'m Model<'_>, pi: usize) -> Self {
        let p = &m.pilots[pi];
        Prepared {
            before: Phase::new(&p.before_days),
            after: Phase::new(&p.after_days),
            plan: FreedPlan::new(m, p),
        }
    }
}

fn freed_replicates(
    m: &Model<'_>,
    pi: usize,
    prepared: &Prepared<'_>,
    range: std::ops::Range<usize>,
) -> BTreeMap<Option<String>, Vec<f64>> {
    let p = &m.pilots[pi];
    let per = (p.before_days.len() + p.after_days.len()) as u64;
    let mut rng = SplitMix64::after(fnv1a(&format!("wisn\0{}", p.id)), range.start as u64 * per);
    let Prepared {
        before,
        after,
        plan,
    } = prepared;
    let mut scratch = Scratch::default();
    let mut spreads = Vec::new();
    let mut trusts: Vec<Vec<f64>> = vec![Vec::with_capacity(range.len()); plan.trusts.len()];
    let mut region = Vec::with_capacity(range.len());
    for _ in range {
        let mut b = m.empty_agg();
        before.add_resample(&mut b, &mut rng, &mut scratch);
        let mut a = m.empty_agg();
        after.add_resample(&mut a, &mut rng, &mut scratch);
        let befores: Vec<&Agg> = m
            .pilots
            .iter()
            .enumerate()
            .map(|(q, x)| if q == pi { &b } else { &x.before })
            .collect();
        let over = change_of(&b, &a, m.nt, m.ny);
        let params = m.params_for(&befores, &|ti| over[ti].is_some(), Some(&p.tjenester));
        let f = plan.freed(&params, &over, &mut spreads);
        let total: f64 = f.iter().sum();
        for (k, v) in trusts.iter_mut().zip(f) {
            k.push(v);
        }
        region.push(total);
    }
    let mut reps: BTreeMap<Option<String>, Vec<f64>> = plan
        .trusts
        .iter()
        .map(|k| Some((*k).to_owned()))
        .zip(trusts)
        .collect();
    reps.insert(None, region);
    reps
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random days over `slots` minute slots and `tasks` tasks, minutes from `minute`.
    fn random_days(
        rng: &mut SplitMix64,
        n: usize,
        slots: usize,
        tasks: usize,
        minute: &dyn Fn(&mut SplitMix64) -> f64,
    ) -> Vec<Day> {
        (0..n)
            .map(|_| {
                let mut used: Vec<usize> =
                    (0..1 + rng.below(8)).map(|_| rng.below(slots)).collect();
                used.sort_unstable();
                used.dedup();
                Day {
                    min: used.iter().map(|s| (*s, minute(rng))).collect(),
                    rows: {
                        let used: Vec<usize> = (0..tasks).filter(|_| rng.below(2) == 1).collect();
                        used.into_iter()
                            .map(|t| (t, (1 + rng.below(40)) as f64))
                            .collect()
                    },
                }
            })
            .collect()
    }

    #[test]
    fn counted_resamples_are_the_drawn_ones_bit_for_bit() {
        let mut rng = SplitMix64::new(3);
        let whole = |r: &mut SplitMix64| (1 + r.below(240)) as f64;
        let halves = |r: &mut SplitMix64| (1 + r.below(480)) as f64 / 2.0;
        let thirds = |r: &mut SplitMix64| (1 + r.below(720)) as f64 / 3.0;
        for (minute, summable) in [
            (&whole as &dyn Fn(&mut SplitMix64) -> f64, true),
            (&halves, true),
            (&thirds, false),
        ] {
            for n in [1, 2, 7, 300] {
                let days = random_days(&mut rng, n, 40, 6, minute);
                assert_eq!(exactly_summable(&days), summable, "n = {n}");
                let empty = || Agg {
                    min: vec![0.0; 40],
                    rows: vec![0.0; 6],
                };
                let (mut drawn, mut counted) = (empty(), empty());
                let (mut r1, mut r2) = (SplitMix64::new(n as u64), SplitMix64::new(n as u64));
                let phase = Phase::new(&days);
                let mut scratch = Scratch::default();
                assert_eq!(phase.dense.is_some(), summable);
                for _ in 0..5 {
                    for _ in 0..n {
                        add_day(&mut drawn, &days[r1.below(n)]);
                    }
                    phase.add_resample(&mut counted, &mut r2, &mut scratch);
                }
                let bits = |a: &Agg| {
                    a.min
                        .iter()
                        .chain(&a.rows)
                        .map(|x| x.to_bits())
                        .collect::<Vec<_>>()
                };
                assert_eq!(bits(&drawn), bits(&counted), "n = {n}");
                assert_eq!(r1.next_u64(), r2.next_u64(), "the same draws");
            }
        }
        // Far too large to stay exact.
        let huge = vec![Day {
            min: vec![(0, 2f64.powi(49))],
            rows: Vec::new(),
        }];
        assert!(!exactly_summable(&huge));
    }

    #[test]
    fn available_hours_2025_by_hand() {
        // 2025: A = 261 weekdays, B = 9 weekday holidays, C = 25, sick 10 %:
        // D = 0.10 × (261 − 9 − 25) = 22.7, E = 5; (261 − 9 − 25 − 22.7 − 5) × 7.5
        // = 199.3 × 7.5 = 1494.75 hours.
        let a = WorkingTimeSettings {
            sykefravaer_pst: 0.0,
            ..WorkingTimeSettings::default()
        };
        assert!((available_hours(2025, 0.10, &a) - 1494.75).abs() < 1e-9);
    }
}
