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

/// SplitMix64: tiny, well-mixed, stable forever.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
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
    let mut rng = SplitMix64::new(seed);
    let mut reps: Vec<Vec<f64>> = vec![Vec::with_capacity(RESAMPLES); pairs.len()];
    let mut sb = vec![0.0; width];
    let mut sa = vec![0.0; width];
    for _ in 0..RESAMPLES {
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
    reps.into_iter().map(interval).collect()
}

/// One day of units (patients): each unit id with its flags that day as a bit mask
/// (bit `f` = flag `f`).
pub type UnitDay = Vec<(usize, u32)>;

/// Intervals for `pilot − før` of the share of units with each flag among units seen,
/// resampling whole days within each phase; `n_units` bounds the unit ids, `n_flags ≤ 32`.
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
    let mut rng = SplitMix64::new(seed);
    let mut reps: Vec<Vec<f64>> = vec![Vec::with_capacity(RESAMPLES); n_flags];
    // Stamps instead of clearing: a unit counts once per resample and phase, and a day
    // drawn twice adds nothing (the statistic depends on the set of days only).
    let mut seen = vec![0u32; n_units];
    let mut mask = vec![0u32; n_units];
    let mut day_seen = vec![0u32; before.len().max(after.len())];
    let mut stamp = 0u32;
    for _ in 0..RESAMPLES {
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
        for f in 0..n_flags {
            let d = shares[1][f] - shares[0][f];
            if d.is_finite() {
                reps[f].push(d);
            }
        }
    }
    reps.into_iter().map(interval).collect()
}
