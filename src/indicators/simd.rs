//! The survey bootstrap's inner loop on AVX-512: the one place the crate uses `unsafe`.
//!
//! A survey change's interval draws 2 000 × (n₁ + n₂) values; on the national workload that
//! is the largest single cost of a cold build (about 4.5 CPU-seconds), and it is bound by
//! the generator's three 64-bit multiplies per draw. AVX-512 (F + DQ) has a 64-bit
//! multiply for eight lanes and a gather, so eight resamples advance together in one
//! register, each with its own generator and its own sum in its own order: the replicates
//! are bit for bit those of the sequential loop (the tests compare them), about 1.8 times
//! faster. Without AVX-512, or off x86-64, [`mean_change_replicates`] returns `None` and the
//! caller runs its portable loop.
//!
//! The `unsafe` is confined here: calling a function compiled for features the CPU is
//! checked to have, and a gather whose every index is clamped below the slice's length.
#![allow(unsafe_code)]

/// The bootstrap replicates of `mean(current) − mean(previous)` as
/// [`super::bootstrap::mean_change_replicates`] defines them, when this CPU can take the
/// AVX-512 path; `None` otherwise (and for empty or very long slices).
pub fn mean_change_replicates(seed: u64, current: &[f64], previous: &[f64]) -> Option<Vec<f64>> {
    #[cfg(target_arch = "x86_64")]
    {
        let fits = |v: &[f64]| !v.is_empty() && u32::try_from(v.len()).is_ok();
        if fits(current)
            && fits(previous)
            && std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512dq")
        {
            // SAFETY: the CPU has AVX-512F and AVX-512DQ (checked just above), the features
            // `x86::mean_change_replicates` is compiled for.
            return Some(unsafe { x86::mean_change_replicates(seed, current, previous) });
        }
    }
    let _ = (seed, current, previous);
    None
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::super::bootstrap::{GAMMA, RESAMPLES};
    use std::arch::x86_64::{
        __m512i, _mm512_add_epi64, _mm512_add_pd, _mm512_i64gather_pd, _mm512_min_epu64,
        _mm512_mul_epu32, _mm512_mullo_epi64, _mm512_set1_epi64, _mm512_set1_pd, _mm512_setr_epi64,
        _mm512_srli_epi64, _mm512_storeu_pd, _mm512_xor_si512,
    };

    /// Resamples per register.
    const LANES: usize = 8;

    /// Eight generators one draw on, each lane's index below `n` (`n < 2³²`, so the high
    /// half of `z · n` is `(hi(z)·n + lo(z)·n >> 32) >> 32`, exactly), clamped to `last`.
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq")]
    fn indices(state: __m512i, n: __m512i, last: __m512i) -> __m512i {
        let c1 = _mm512_set1_epi64(0xbf58_476d_1ce4_e5b9_u64.cast_signed());
        let c2 = _mm512_set1_epi64(0x94d0_49bb_1331_11eb_u64.cast_signed());
        let mut z = state;
        z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64::<30>(z)), c1);
        z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64::<27>(z)), c2);
        z = _mm512_xor_si512(z, _mm512_srli_epi64::<31>(z));
        let hi = _mm512_mul_epu32(_mm512_srli_epi64::<32>(z), n);
        let lo = _mm512_mul_epu32(z, n);
        let index = _mm512_srli_epi64::<32>(_mm512_add_epi64(hi, _mm512_srli_epi64::<32>(lo)));
        _mm512_min_epu64(index, last)
    }

    /// The replicates, eight resamples at a time; `current` and `previous` are not empty
    /// and shorter than 2³².
    #[target_feature(enable = "avx512f,avx512dq")]
    pub(super) fn mean_change_replicates(seed: u64, current: &[f64], previous: &[f64]) -> Vec<f64> {
        let (nc, np) = (current.len(), previous.len());
        let per = (nc + np) as u64;
        let gamma = _mm512_set1_epi64(GAMMA.cast_signed());
        let mut out = Vec::with_capacity(RESAMPLES);
        for first in (0..RESAMPLES).step_by(LANES) {
            // Lane l is resample first + l: its generator starts (first + l) · per draws on.
            let start = |l: usize| {
                seed.wrapping_add(((first + l) as u64).wrapping_mul(per).wrapping_mul(GAMMA))
                    .cast_signed()
            };
            let mut state = _mm512_setr_epi64(
                start(0),
                start(1),
                start(2),
                start(3),
                start(4),
                start(5),
                start(6),
                start(7),
            );
            let mut sums = [[0.0f64; LANES]; 2];
            for (values, sum) in [current, previous].into_iter().zip(&mut sums) {
                let n = _mm512_set1_epi64(values.len() as i64);
                let last = _mm512_set1_epi64(values.len() as i64 - 1);
                let mut acc = _mm512_set1_pd(-0.0);
                for _ in 0..values.len() {
                    state = _mm512_add_epi64(state, gamma);
                    let index = indices(state, n, last);
                    // SAFETY: every lane of `index` is at most `values.len() − 1` (clamped
                    // in `indices`), so each of the eight reads is inside `values`.
                    let x = unsafe { _mm512_i64gather_pd::<8>(index, values.as_ptr()) };
                    acc = _mm512_add_pd(acc, x);
                }
                // SAFETY: `sum` is eight f64s, the width of the store.
                unsafe { _mm512_storeu_pd(sum.as_mut_ptr(), acc) };
            }
            let [sc, sp] = sums;
            let lanes = LANES.min(RESAMPLES - first);
            out.extend(
                sc.iter()
                    .zip(&sp)
                    .take(lanes)
                    .map(|(c, p)| c / nc as f64 - p / np as f64),
            );
        }
        out
    }
}
