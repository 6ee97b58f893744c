//! A small, stable PRNG owned by this crate, so the sample never changes with a crate upgrade.
//!
//! xoshiro256** (Blackman & Vigna), seeded through SplitMix64.

/// SplitMix64 step: used to seed [`Rng`] and to hash keys into stable pseudo-random values.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A stable hash of a string and a number into a `u64` (FNV-1a, then SplitMix64).
pub fn hash(key: &str, n: u64) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01B3);
    }
    let mut s = h ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    splitmix64(&mut s)
}

/// xoshiro256** generator.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator for `seed`, separated by `stream` so that independent parts of the data set
    /// do not shift when another part changes.
    pub fn new(seed: u64, stream: &str) -> Rng {
        let mut sm = seed ^ hash(stream, 0x5EED);
        let s = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        Rng { s }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)`.
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..n` (`n > 0`), by multiply-shift (bias negligible for small `n`).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform integer in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as usize) as i64
    }

    /// Uniform real in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f64()
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Approximately normal (sum of four uniforms), mean `mu`, standard deviation `sd`.
    pub fn normal(&mut self, mu: f64, sd: f64) -> f64 {
        let s: f64 = (0..4).map(|_| self.f64()).sum::<f64>() - 2.0;
        mu + sd * s * 3f64.sqrt()
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A weighted choice over indices, precomputed as a cumulative table.
#[derive(Debug, Clone)]
pub struct Weighted {
    cum: Vec<f64>,
}

impl Weighted {
    /// From non-negative weights with a positive sum.
    pub fn new(weights: &[f64]) -> Weighted {
        let mut acc = 0.0;
        let cum = weights
            .iter()
            .map(|w| {
                acc += w.max(0.0);
                acc
            })
            .collect();
        Weighted { cum }
    }

    /// An index drawn with probability proportional to its weight.
    pub fn sample(&self, rng: &mut Rng) -> usize {
        let total = *self.cum.last().unwrap_or(&0.0);
        let x = rng.f64() * total;
        let i = self.cum.partition_point(|&c| c <= x);
        i.min(self.cum.len().saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_sequence() {
        let mut a = Rng::new(1, "x");
        let mut b = Rng::new(1, "x");
        let va: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let vb: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        assert_eq!(va, vb);
        let mut c = Rng::new(2, "x");
        assert_ne!(va[0], c.next_u64());
    }

    #[test]
    fn weighted_respects_zero_weights() {
        let w = Weighted::new(&[0.0, 1.0, 0.0, 3.0]);
        let mut r = Rng::new(7, "w");
        for _ in 0..1000 {
            let i = w.sample(&mut r);
            assert!(i == 1 || i == 3);
        }
    }
}
