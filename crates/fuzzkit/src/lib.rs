//! Fixed-seed inputs for the seeded fuzz tests (`tests/fuzz_seeded.rs` in agent, kernel,
//! perception and evals; docs/fuzzing.md): a byte source, structured values from `arbitrary`,
//! and mutations of valid inputs. Every run tries the same inputs, so a failure reproduces.

use arbitrary::{Arbitrary, Unstructured};

/// splitmix64: a fixed-seed byte source.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// Flip, insert, delete, duplicate and truncate bytes of a valid input, and splice in words of
/// the format (`dictionary` must not be empty).
pub fn mutate(rng: &mut Rng, seed: &[u8], dictionary: &[&str]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(6) {
            0 if !out.is_empty() => {
                let i = at.min(out.len() - 1);
                out[i] ^= 1 << rng.below(8);
            }
            1 => out.insert(at, rng.next_u64() as u8),
            2 if at < out.len() => {
                let end = (at + 1 + rng.below(8)).min(out.len());
                out.drain(at..end);
            }
            3 => out.truncate(at),
            4 => {
                let word = dictionary[rng.below(dictionary.len())].as_bytes();
                out.splice(at..at, word.iter().copied());
            }
            _ if !out.is_empty() => {
                let from = rng.below(out.len());
                let end = (from + 1 + rng.below(16)).min(out.len());
                let chunk = out[from..end].to_vec();
                out.splice(at..at, chunk);
            }
            _ => {}
        }
    }
    out
}

/// Calls `f` with `count` values of `T` built by `arbitrary` from seeded random bytes.
pub fn structured<T: for<'a> Arbitrary<'a>>(seed: u64, count: usize, mut f: impl FnMut(T)) {
    let mut rng = Rng(seed);
    let mut built = 0;
    while built < count {
        let len = 16 + rng.below(512);
        let raw = rng.bytes(len);
        if let Ok(v) = T::arbitrary(&mut Unstructured::new(&raw)) {
            f(v);
            built += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_inputs() {
        let (mut a, mut b) = (Rng(7), Rng(7));
        assert_eq!(a.bytes(64), b.bytes(64));
        assert_ne!(Rng(7).bytes(64), Rng(8).bytes(64));
        let m1 = mutate(&mut Rng(3), b"hello world", &["X"]);
        let m2 = mutate(&mut Rng(3), b"hello world", &["X"]);
        assert_eq!(m1, m2);
        assert!(Rng(1).below(0) == 0 && (0..100).all(|_| a.below(5) < 5));
    }

    #[test]
    fn structured_builds_exactly_count_values() {
        let mut seen = Vec::new();
        structured::<(u8, bool)>(1, 50, |v| seen.push(v));
        assert_eq!(seen.len(), 50);
        assert!(seen.iter().any(|v| v.1) && seen.iter().any(|v| !v.1));
    }
}
