//! Cluster bootstrap of a before/after change: resample (enhet, dato) days within each
//! phase with our own small PRNG, so intervals never change with a crate upgrade.

/// Resamples per interval.
pub const RESAMPLES: usize = 2000;

/// FNV-1a (64-bit) of a string: the seed of a pilot's bootstrap.
pub fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// SplitMix64's increment per draw.
pub(crate) const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// SplitMix64: tiny, well-mixed, stable forever.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }
    /// The generator `SplitMix64::new(seed)` becomes after `draws` draws (its state is a
    /// counter, so it can jump ahead).
    pub fn after(seed: u64, draws: u64) -> Self {
        SplitMix64(seed.wrapping_add(draws.wrapping_mul(GAMMA)))
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GAMMA);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// A uniform index in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

/// The `q` quantile of sorted values, linear interpolation between order statistics
/// (type 7).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Percentile 95 % interval of bootstrap replicates; `None` when there are too few.
pub fn interval(mut reps: Vec<f64>) -> Option<(f64, f64)> {
    if reps.len() < RESAMPLES / 2 {
        return None;
    }
    reps.sort_by(f64::total_cmp);
    Some((quantile(&reps, 0.025), quantile(&reps, 0.975)))
}

/// The [`RESAMPLES`] bootstrap replicates of `mean(current) − mean(previous)`, each
/// resample drawing `current.len()` values of `current`, then `previous.len()` of
/// `previous`, from one generator seeded `seed`, each mean's sum taken in draw order.
///
/// The result is exactly that sequential computation's; it is computed several resamples
/// at a time (the generator jumps ahead to each resample's first draw, and each resample
/// keeps its own sums in its own order), so the sums' additions no longer wait on each
/// other. On a CPU with AVX-512 eight resamples go in one register (`indicators::simd`).
pub fn mean_change_replicates(seed: u64, current: &[f64], previous: &[f64]) -> Vec<f64> {
    if current.is_empty() || previous.is_empty() {
        return mean_change_replicates_sequential(seed, current, previous);
    }
    super::simd::mean_change_replicates(seed, current, previous)
        .unwrap_or_else(|| mean_change_replicates_lanes(seed, current, previous))
}

/// [`mean_change_replicates`] four resamples at a time in portable code (neither slice
/// empty).
fn mean_change_replicates_lanes(seed: u64, current: &[f64], previous: &[f64]) -> Vec<f64> {
    const LANES: usize = 4;
    let (nc, np) = (current.len(), previous.len());
    let per = (nc + np) as u64;
    let mut out = Vec::with_capacity(RESAMPLES);
    for first in (0..RESAMPLES).step_by(LANES) {
        let mut rng: [SplitMix64; LANES] =
            std::array::from_fn(|l| SplitMix64::after(seed, (first + l) as u64 * per));
        let mut draw = |values: &[f64]| {
            let mut sums = [-0.0f64; LANES];
            for _ in 0..values.len() {
                for (s, r) in sums.iter_mut().zip(&mut rng) {
                    *s += values[r.below(values.len())];
                }
            }
            sums
        };
        let (sc, sp) = (draw(current), draw(previous));
        for l in 0..LANES.min(RESAMPLES - first) {
            out.push(sc[l] / nc as f64 - sp[l] / np as f64);
        }
    }
    out
}

/// [`mean_change_replicates`] one draw after the other.
fn mean_change_replicates_sequential(seed: u64, current: &[f64], previous: &[f64]) -> Vec<f64> {
    let mut rng = SplitMix64::new(seed);
    let mut reps = Vec::with_capacity(RESAMPLES);
    for _ in 0..RESAMPLES {
        let mut draw =
            |v: &[f64]| (0..v.len()).map(|_| v[rng.below(v.len())]).sum::<f64>() / v.len() as f64;
        let c = draw(current);
        let p = draw(previous);
        reps.push(c - p);
    }
    reps
}

/// Days of one phase, each a vector of sums.
pub type Days = [Vec<f64>];

/// Intervals for `pilot − før` of the ratios `sum[num] / sum[den]`, one per pair, resampling
/// whole days within each phase.
pub fn ratio_change(
    before: &Days,
    after: &Days,
    pairs: &[(usize, usize)],
    seed: u64,
) -> Vec<Option<(f64, f64)>> {
    if before.is_empty() || after.is_empty() {
        return vec![None; pairs.len()];
    }
    let width = before[0].len();
    let reps = in_runs(
        seed,
        (before.len(), after.len(), width),
        pairs.len(),
        |mut rng, range| {
            let mut reps: Vec<Vec<f64>> = vec![Vec::with_capacity(range.len()); pairs.len()];
            let mut sb = vec![0.0; width];
            let mut sa = vec![0.0; width];
            for _ in range {
                for (days, acc) in [(before, &mut sb), (after, &mut sa)] {
                    acc.iter_mut().for_each(|x| *x = 0.0);
                    for _ in 0..days.len() {
                        let d = &days[rng.below(days.len())];
                        for (a, v) in acc.iter_mut().zip(d) {
                            *a += v;
                        }
                    }
                }
                for (p, (num, den)) in pairs.iter().enumerate() {
                    if sb[*den] > 0.0 && sa[*den] > 0.0 {
                        reps[p].push(sa[*num] / sa[*den] - sb[*num] / sb[*den]);
                    }
                }
            }
            reps
        },
    );
    reps.into_iter().map(interval).collect()
}

/// Work per resample (days drawn times the words or values added per day) from which a
/// bootstrap is split over the cores: about ten milliseconds for the whole bootstrap.
const SPLIT_FROM_WORK: usize = 8_192;

/// Runs of a split bootstrap.
const RUNS: usize = 4;

/// The `n` series of replicates of a day bootstrap with `before + after` draws per resample
/// from one generator seeded `seed`, each adding about `width` numbers: `run` computes the
/// resamples of a range from the generator as it stands at the range's first draw. A large
/// bootstrap runs as [`RUNS`] ranges on every core, the ranges' replicates joined in order:
/// the very replicates of one run (a long bootstrap no longer finishes alone on one core
/// while the other waits).
fn in_runs(
    seed: u64,
    (before, after, width): (usize, usize, usize),
    n: usize,
    run: impl Fn(SplitMix64, std::ops::Range<usize>) -> Vec<Vec<f64>> + Sync,
) -> Vec<Vec<f64>> {
    let per = before + after;
    if per.saturating_mul(width.max(1)) < SPLIT_FROM_WORK {
        return run(SplitMix64::new(seed), 0..RESAMPLES);
    }
    let ranges = resample_ranges(RUNS);
    let parts = crate::par::map(&ranges, |range| {
        run(
            SplitMix64::after(seed, (range.start * per) as u64),
            range.clone(),
        )
    });
    let mut out: Vec<Vec<f64>> = vec![Vec::with_capacity(RESAMPLES); n];
    for part in parts {
        for (all, some) in out.iter_mut().zip(part) {
            all.extend(some);
        }
    }
    out
}

/// The [`RESAMPLES`] resamples cut into `runs` consecutive ranges, in order. A run of
/// resamples `range` with `per` draws each starts from `SplitMix64::after(seed, range.start
/// · per)`, so runs computed apart and joined in order give the replicates of one run.
pub(crate) fn resample_ranges(runs: usize) -> Vec<std::ops::Range<usize>> {
    (0..runs)
        .map(|r| r * RESAMPLES / runs..(r + 1) * RESAMPLES / runs)
        .collect()
}

/// One day of units (patients): each unit id with its flags that day as a bit mask
/// (bit `f` = flag `f`).
pub type UnitDay = Vec<(usize, u32)>;

/// Intervals for `pilot − før` of the share of units with each flag among units seen,
/// resampling whole days within each phase; `n_units` bounds the unit ids, `n_flags ≤ 32`.
///
/// The statistic only depends on how many distinct units (and units with each flag) the
/// drawn days cover, so the days are kept as bit sets over the units that occur when that is
/// compact, and as unit lists otherwise; both consume the generator identically and count
/// exactly the same, so the intervals never depend on the representation.
pub fn unit_share_change(
    before: &[UnitDay],
    after: &[UnitDay],
    n_flags: usize,
    n_units: usize,
    seed: u64,
) -> Vec<Option<(f64, f64)>> {
    if before.is_empty() || after.is_empty() {
        return vec![None; n_flags];
    }
    match DayBits::new(before, after, n_flags, n_units) {
        Some(bits) => unit_share_change_bits(&bits, before.len(), after.len(), n_flags, seed),
        None => unit_share_change_lists(before, after, n_flags, n_units, seed),
    }
}

/// Per day, `1 + n_flags` bit sets over the dense ids of the units that occur: the units
/// seen that day, then the units with each flag that day.
struct DayBits {
    /// 64-bit words per bit set.
    words: usize,
    /// All days of both phases (before first), `(1 + n_flags) * words` words each.
    bits: Vec<u64>,
}

impl DayBits {
    /// `None` when bit sets would be much larger than the unit lists.
    fn new(before: &[UnitDay], after: &[UnitDay], n_flags: usize, n_units: usize) -> Option<Self> {
        let mut dense = vec![u32::MAX; n_units];
        let mut n = 0u32;
        let mut entries = 0usize;
        for day in before.iter().chain(after) {
            entries += day.len();
            for (u, _) in day {
                if dense[*u] == u32::MAX {
                    dense[*u] = n;
                    n += 1;
                }
            }
        }
        let words = (n as usize).div_ceil(64).max(1);
        let stride = (1 + n_flags) * words;
        let n_days = before.len() + after.len();
        // Each drawn day costs `stride` word operations instead of one update per entry.
        if stride * n_days > 2 * entries + 64 * n_days {
            return None;
        }
        let mut bits = vec![0u64; stride * n_days];
        for (d, day) in before.iter().chain(after).enumerate() {
            let set = &mut bits[d * stride..(d + 1) * stride];
            for (u, m) in day {
                let id = dense[*u] as usize;
                let (w, b) = (id / 64, 1u64 << (id % 64));
                set[w] |= b;
                for f in 0..n_flags {
                    if (m >> f) & 1 == 1 {
                        set[(1 + f) * words + w] |= b;
                    }
                }
            }
        }
        Some(DayBits { words, bits })
    }
}

fn unit_share_change_bits(
    days: &DayBits,
    n_before: usize,
    n_after: usize,
    n_flags: usize,
    seed: u64,
) -> Vec<Option<(f64, f64)>> {
    let words = days.words;
    let stride = (1 + n_flags) * words;
    let reps = in_runs(
        seed,
        (n_before, n_after, stride),
        n_flags,
        |mut rng, range| {
            let mut reps: Vec<Vec<f64>> = vec![Vec::with_capacity(range.len()); n_flags];
            let mut acc = vec![0u64; stride];
            let mut day_seen = vec![0u32; n_before.max(n_after)];
            let mut stamp = 0u32;
            let mut shares = [vec![0.0; n_flags], vec![0.0; n_flags]];
            for _ in range {
                for (ph, (offset, len)) in
                    [(0, n_before), (n_before, n_after)].into_iter().enumerate()
                {
                    stamp += 1;
                    acc.iter_mut().for_each(|w| *w = 0);
                    for _ in 0..len {
                        let d = rng.below(len);
                        if day_seen[d] == stamp {
                            continue;
                        }
                        day_seen[d] = stamp;
                        let set = &days.bits[(offset + d) * stride..(offset + d + 1) * stride];
                        for (a, b) in acc.iter_mut().zip(set) {
                            *a |= b;
                        }
                    }
                    let count = |i: usize| -> u64 {
                        acc[i * words..(i + 1) * words]
                            .iter()
                            .map(|w| u64::from(w.count_ones()))
                            .sum()
                    };
                    let units = count(0);
                    for (f, share) in shares[ph].iter_mut().enumerate() {
                        *share = if units > 0 {
                            count(1 + f) as f64 / units as f64
                        } else {
                            f64::NAN
                        };
                    }
                }
                push_share_changes(&shares, &mut reps);
            }
            reps
        },
    );
    reps.into_iter().map(interval).collect()
}

/// One resample's `pilot − før` share per flag, kept where both phases saw units.
fn push_share_changes(shares: &[Vec<f64>; 2], reps: &mut [Vec<f64>]) {
    for (f, reps) in reps.iter_mut().enumerate() {
        let d = shares[1][f] - shares[0][f];
        if d.is_finite() {
            reps.push(d);
        }
    }
}

fn unit_share_change_lists(
    before: &[UnitDay],
    after: &[UnitDay],
    n_flags: usize,
    n_units: usize,
    seed: u64,
) -> Vec<Option<(f64, f64)>> {
    let entries = before.iter().chain(after).map(Vec::len).sum::<usize>();
    let per_day = entries / (before.len() + after.len()).max(1);
    let reps = in_runs(
        seed,
        (before.len(), after.len(), per_day),
        n_flags,
        |mut rng, range| {
            let mut reps: Vec<Vec<f64>> = vec![Vec::with_capacity(range.len()); n_flags];
            // Stamps instead of clearing: a unit counts once per resample and phase, and a day
            // drawn twice adds nothing (the statistic depends on the set of days only).
            let mut seen = vec![0u32; n_units];
            let mut mask = vec![0u32; n_units];
            let mut day_seen = vec![0u32; before.len().max(after.len())];
            let mut stamp = 0u32;
            for _ in range {
                let mut shares = [vec![0.0; n_flags], vec![0.0; n_flags]];
                for (ph, days) in [before, after].into_iter().enumerate() {
                    stamp += 1;
                    let mut units = 0u64;
                    let mut counts = vec![0u64; n_flags];
                    for _ in 0..days.len() {
                        let d = rng.below(days.len());
                        if day_seen[d] == stamp {
                            continue;
                        }
                        day_seen[d] = stamp;
                        for (u, m) in &days[d] {
                            if seen[*u] != stamp {
                                seen[*u] = stamp;
                                mask[*u] = 0;
                                units += 1;
                            }
                            let new = m & !mask[*u];
                            if new != 0 {
                                mask[*u] |= new;
                                for (f, c) in counts.iter_mut().enumerate() {
                                    *c += u64::from((new >> f) & 1);
                                }
                            }
                        }
                    }
                    for f in 0..n_flags {
                        shares[ph][f] = if units > 0 {
                            counts[f] as f64 / units as f64
                        } else {
                            f64::NAN
                        };
                    }
                }
                push_share_changes(&shares, &mut reps);
            }
            reps
        },
    );
    reps.into_iter().map(interval).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random patient days: `days` days over `units` units, `per_day` entries each.
    fn days(rng: &mut SplitMix64, days: usize, units: usize, per_day: usize) -> Vec<UnitDay> {
        (0..days)
            .map(|_| {
                let mut d: UnitDay = (0..per_day)
                    .map(|_| (rng.below(units), (rng.next_u64() & 0b111) as u32))
                    .collect();
                d.sort_unstable();
                d.dedup_by_key(|e| e.0);
                d
            })
            .collect()
    }

    #[test]
    fn replicates_computed_side_by_side_are_the_sequential_ones_bit_for_bit() {
        let mut rng = SplitMix64::new(5);
        for (nc, np) in [(1, 1), (3, 7), (250, 180), (1000, 1)] {
            // Thirds and sevenths: sums that depend on the order of their additions.
            let c: Vec<f64> = (0..nc).map(|_| rng.below(13) as f64 / 3.0).collect();
            let p: Vec<f64> = (0..np).map(|_| rng.below(29) as f64 / 7.0).collect();
            let slow = mean_change_replicates_sequential(99, &c, &p);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            let lanes = mean_change_replicates_lanes(99, &c, &p);
            assert_eq!(lanes.len(), RESAMPLES);
            assert_eq!(bits(&lanes), bits(&slow), "{nc} × {np}, four lanes");
            // What the build uses on this machine (AVX-512 where the CPU has it).
            let used = mean_change_replicates(99, &c, &p);
            assert_eq!(bits(&used), bits(&slow), "{nc} × {np}");
            if let Some(simd) = crate::indicators::simd::mean_change_replicates(99, &c, &p) {
                assert_eq!(bits(&simd), bits(&slow), "{nc} × {np}, AVX-512");
            }
        }
        let mut a = SplitMix64::new(17);
        for _ in 0..10 {
            a.next_u64();
        }
        assert_eq!(a.next_u64(), SplitMix64::after(17, 10).next_u64());
    }

    #[test]
    fn a_bootstrap_split_over_the_cores_has_the_replicates_of_one_run() {
        // Each resample draws `before + after` values; its replicates record the first and
        // the last draw (so any draw out of place shows).
        let run = |before: usize, after: usize| {
            move |mut rng: SplitMix64, range: std::ops::Range<usize>| {
                let mut reps = vec![Vec::new(), Vec::new()];
                for _ in range {
                    let draws: Vec<u64> = (0..before + after).map(|_| rng.next_u64()).collect();
                    reps[0].push(draws[0] as f64);
                    reps[1].push(draws[draws.len() - 1] as f64);
                }
                reps
            }
        };
        for (before, after) in [(3, 4), (700, 900)] {
            let work = (before, after, 8);
            assert_eq!((before + after) * 8 >= SPLIT_FROM_WORK, before == 700);
            let split = in_runs(11, work, 2, run(before, after));
            let whole = run(before, after)(SplitMix64::new(11), 0..RESAMPLES);
            assert_eq!(split.len(), 2);
            assert_eq!(split[0].len(), RESAMPLES);
            assert_eq!(split, whole, "{before} + {after} days");
        }
    }

    #[test]
    fn bit_sets_and_unit_lists_agree_exactly() {
        let mut rng = SplitMix64::new(7);
        for (nb, na, units, per_day) in [(5, 9, 40, 12), (30, 20, 300, 60), (3, 1, 2000, 5)] {
            let b = days(&mut rng, nb, units, per_day);
            let a = days(&mut rng, na, units, per_day);
            let lists = unit_share_change_lists(&b, &a, 3, units, 11);
            if let Some(bits) = DayBits::new(&b, &a, 3, units) {
                assert_eq!(unit_share_change_bits(&bits, nb, na, 3, 11), lists);
            }
            assert_eq!(unit_share_change(&b, &a, 3, units, 11), lists);
        }
    }
}
