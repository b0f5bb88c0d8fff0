//! A bit-exact port of CPython's `random.seed(int)`, `getrandbits`, `_randbelow` and `shuffle`, so
//! `--subsample N` (the original's `random.seed(42); random.shuffle(data); data[:N]`) selects exactly
//! the same samples as the Python runner (evals-runs.md §2.6, §4.1).
//!
//! CPython's generator is MT19937 seeded with `init_by_array` over the 32-bit words of `abs(seed)`
//! (least significant first; seed 0 is the one-word key `[0]`). `shuffle` walks `i` from `len−1` down to
//! 1 and swaps `x[i]` with `x[_randbelow(i+1)]`, where `_randbelow(n)` draws `getrandbits(n.bit_length())`
//! until the value is below `n` (rejection sampling; note `bit_length` of `n`, not of `n − 1`).

/// The seed the original runner uses for `--shuffle` / `--subsample`.
pub const DEFAULT_SEED: u64 = 42;

const N: usize = 624;
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

/// CPython's `random.Random` core (MT19937).
#[derive(Clone)]
pub struct PyRandom {
    mt: [u32; N],
    index: usize,
}

impl std::fmt::Debug for PyRandom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PyRandom")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl PyRandom {
    /// `random.seed(seed)` for a non-negative integer.
    pub fn new(seed: u64) -> Self {
        let lo = seed as u32;
        let hi = (seed >> 32) as u32;
        if hi == 0 {
            Self::from_key(&[lo])
        } else {
            Self::from_key(&[lo, hi])
        }
    }

    /// `random.seed(seed)` for any integer: CPython seeds with `abs(seed)`.
    pub fn from_i64(seed: i64) -> Self {
        Self::new(seed.unsigned_abs())
    }

    /// `init_by_array(key)`: the key is the seed's 32-bit words, least significant first. An empty key is
    /// treated as `[0]`, as CPython does for seed 0.
    pub fn from_key(key: &[u32]) -> Self {
        let key: &[u32] = if key.is_empty() { &[0] } else { key };
        let mut mt = [0u32; N];
        mt[0] = 19_650_218;
        for i in 1..N {
            mt[i] = 1_812_433_253u32
                .wrapping_mul(mt[i - 1] ^ (mt[i - 1] >> 30))
                .wrapping_add(i as u32);
        }
        let (mut i, mut j) = (1usize, 0usize);
        for _ in 0..N.max(key.len()) {
            mt[i] = (mt[i] ^ (mt[i - 1] ^ (mt[i - 1] >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(key[j])
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            mt[i] = (mt[i] ^ (mt[i - 1] ^ (mt[i - 1] >> 30)).wrapping_mul(1_566_083_941))
                .wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        mt[0] = 0x8000_0000;
        PyRandom { mt, index: N }
    }

    fn twist(&mut self) {
        let mag = |y: u32| if y & 1 == 0 { 0 } else { MATRIX_A };
        for k in 0..N {
            let y = (self.mt[k] & UPPER_MASK) | (self.mt[(k + 1) % N] & LOWER_MASK);
            self.mt[k] = self.mt[(k + M) % N] ^ (y >> 1) ^ mag(y);
        }
        self.index = 0;
    }

    /// `genrand_uint32`: the next tempered 32-bit output.
    pub fn next_u32(&mut self) -> u32 {
        if self.index >= N {
            self.twist();
        }
        let mut y = self.mt[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// `getrandbits(k)` for `k ≤ 64`: one draw (top `k` bits) for `k ≤ 32`; otherwise 32-bit words filled
    /// least significant first, the last one keeping its top `k mod 32` bits.
    pub fn getrandbits(&mut self, k: u32) -> u64 {
        let k = k.min(64);
        if k == 0 {
            return 0;
        }
        if k <= 32 {
            return u64::from(self.next_u32() >> (32 - k));
        }
        let lo = u64::from(self.next_u32());
        let hi = u64::from(self.next_u32() >> (64 - k));
        lo | (hi << 32)
    }

    /// `_randbelow_with_getrandbits(n)`: uniform in `[0, n)`; 0 for `n == 0` (Python raises instead, but
    /// shuffle never asks for it).
    pub fn randbelow(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let k = 64 - n.leading_zeros();
        loop {
            let r = self.getrandbits(k);
            if r < n {
                return r;
            }
        }
    }

    /// `random()`: a float in [0, 1) with 53 random bits (`genrand_res53`).
    pub fn random(&mut self) -> f64 {
        let a = self.next_u32() >> 5;
        let b = self.next_u32() >> 6;
        (f64::from(a) * 67_108_864.0 + f64::from(b)) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// `shuffle(x)` in place.
    pub fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.randbelow(i as u64 + 1) as usize;
            xs.swap(i, j);
        }
    }
}

/// The permutation `random.seed(seed); random.shuffle(list(range(n)))` produces.
pub fn shuffled_indices(n: usize, seed: u64) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    PyRandom::new(seed).shuffle(&mut idx);
    idx
}

/// Indices (into the loader's data order) of the original's `--subsample limit`: shuffle with `seed`,
/// then keep the first `limit`. A `limit` of 0 keeps everything, like Python's `if limit:`.
pub fn subsample_indices(n: usize, limit: usize, seed: u64) -> Vec<usize> {
    let mut idx = shuffled_indices(n, seed);
    if limit > 0 {
        idx.truncate(limit);
    }
    idx
}

/// The original's `--subsample limit` applied to a list: the selected items, in shuffled order.
pub fn subsample<T: Clone>(items: &[T], limit: usize, seed: u64) -> Vec<T> {
    subsample_indices(items.len(), limit, seed)
        .into_iter()
        .map(|i| items[i].clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_42_known_values() {
        let mut r = PyRandom::new(42);
        assert_eq!(r.getrandbits(32), 2_746_317_213);
        assert_eq!(r.getrandbits(32), 478_163_327);
        assert_eq!(r.getrandbits(64), 13_679_192_365_072_849_617);
        assert_eq!(shuffled_indices(10, 42), vec![7, 3, 2, 8, 5, 6, 9, 4, 0, 1]);
        assert_eq!(shuffled_indices(10, 0), vec![7, 8, 1, 5, 3, 4, 2, 0, 9, 6]);
    }

    #[test]
    fn seeds_use_abs_and_wide_keys() {
        assert_eq!(PyRandom::from_i64(-5).getrandbits(32), 2_675_342_405);
        assert_eq!(PyRandom::new(5).getrandbits(32), 2_675_342_405);
        assert_eq!(PyRandom::new((1 << 40) + 7).getrandbits(32), 2_635_837_658);
    }

    #[test]
    fn random_float() {
        // Python: random.seed(42); random.random() == 0.6394267984578837
        assert_eq!(PyRandom::new(42).random(), 0.6394267984578837);
    }

    #[test]
    fn subsample_limits() {
        assert_eq!(subsample_indices(10, 3, 42), vec![7, 3, 2]);
        assert_eq!(subsample_indices(3, 0, 42).len(), 3);
        assert_eq!(subsample(&["a", "b", "c"], 10, 42).len(), 3);
        assert!(shuffled_indices(0, 42).is_empty());
        assert_eq!(shuffled_indices(1, 42), vec![0]);
    }
}
