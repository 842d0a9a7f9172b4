//! Random draws: a seeded SplitMix64 generator and the delay distributions of a scenario.
//!
//! Everything random in the model comes from here, so one seed gives the same run on any
//! machine: the generator is integer arithmetic, and the few floating-point functions
//! the distributions need come from `libm` (the same bits everywhere), never from the
//! platform's maths library.

use batchscale::time::TICKS_PER_SECOND;
use serde::{Deserialize, Serialize};

/// SplitMix64 (Steele, Lea and Flood): 64 bits of state, one addition and a mix per draw.
/// Its state is a plain number, so a model that holds it serialises and restores exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    /// An independent stream for one purpose (`stream` a small constant): the seed mixed
    /// with the stream number, so that, say, the sample drops of two formulas compared on
    /// one seed are the same whatever each formula's allocations drew.
    pub fn stream(seed: u64, stream: u64) -> SplitMix64 {
        let mut mix = SplitMix64::new(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        SplitMix64::new(mix.next_u64())
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform double in (0, 1]: never 0, so its logarithm is finite.
    pub fn next_open01(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }

    /// A uniform index below `n` (`n` > 0), without modulo bias worth speaking of
    /// (multiply-shift over 64 bits).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// A standard normal draw (Box-Muller, one of the pair).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.next_open01();
        let u2 = self.next_open01();
        libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(std::f64::consts::TAU * u2)
    }

    /// An exponential draw with the given mean.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -libm::log(self.next_open01()) * mean
    }
}

/// The z-score of the 95th percentile of a standard normal distribution.
const Z95: f64 = 1.644_853_626_951_472_2;

/// A delay: fixed, or drawn from a distribution. Values are in 100-ns ticks; a drawn
/// delay is rounded to whole seconds \[decided: times in the reports stay readable\] and
/// is never negative.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "distribution", rename_all = "lowercase")]
pub enum Delay {
    /// Always `value` ticks.
    Fixed {
        /// Ticks.
        value: i64,
    },
    /// Uniform between `min` and `max` ticks.
    Uniform {
        /// Ticks.
        min: i64,
        /// Ticks.
        max: i64,
    },
    /// Log-normal with the given median and 95th percentile (ticks; `p95` ≥ `median` > 0).
    LogNormal {
        /// Ticks.
        median: i64,
        /// Ticks.
        p95: i64,
    },
    /// Exponential with the given mean (ticks).
    Exponential {
        /// Ticks.
        mean: i64,
    },
}

impl Delay {
    /// No delay.
    pub const ZERO: Delay = Delay::Fixed { value: 0 };

    /// A fixed delay of `ticks`.
    pub fn fixed(ticks: i64) -> Delay {
        Delay::Fixed { value: ticks }
    }

    /// Whether every draw is 0 (a fixed zero delay).
    pub fn is_zero(&self) -> bool {
        matches!(self, Delay::Fixed { value: 0 })
    }

    /// One draw, in ticks. A fixed delay consumes no random bits.
    pub fn sample(&self, rng: &mut SplitMix64) -> i64 {
        let seconds = match *self {
            Delay::Fixed { value } => return value.max(0),
            Delay::Uniform { min, max } => {
                let (lo, hi) = (min.min(max) as f64, min.max(max) as f64);
                (lo + (hi - lo) * rng.next_open01()) / TICKS_PER_SECOND as f64
            }
            Delay::LogNormal { median, p95 } => {
                let median = median.max(1) as f64;
                let sigma = (libm::log(p95.max(1) as f64) - libm::log(median)).max(0.0) / Z95;
                median * libm::exp(sigma * rng.normal()) / TICKS_PER_SECOND as f64
            }
            Delay::Exponential { mean } => {
                rng.exponential(mean.max(0) as f64) / TICKS_PER_SECOND as f64
            }
        };
        // Rounded to whole seconds; beyond 100 years is clamped (a pathological draw).
        let seconds = libm::round(seconds).clamp(0.0, 100.0 * 365.0 * 86_400.0);
        seconds as i64 * TICKS_PER_SECOND
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_the_reference_sequence() {
        // The reference implementation's first outputs for seed 0.
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn fixed_delays_draw_nothing() {
        let mut rng = SplitMix64::new(7);
        let before = rng;
        assert_eq!(Delay::fixed(5).sample(&mut rng), 5);
        assert_eq!(rng, before);
    }

    #[test]
    fn lognormal_delays_have_the_requested_median_and_p95() {
        let s = TICKS_PER_SECOND;
        let delay = Delay::LogNormal {
            median: 300 * s,
            p95: 720 * s,
        };
        let mut rng = SplitMix64::new(1);
        let mut draws: Vec<i64> = (0..20_000).map(|_| delay.sample(&mut rng) / s).collect();
        draws.sort_unstable();
        let median = draws[draws.len() / 2];
        let p95 = draws[draws.len() * 95 / 100];
        assert!((290..=310).contains(&median), "median {median}");
        assert!((680..=760).contains(&p95), "p95 {p95}");
    }

    #[test]
    fn uniform_and_exponential_stay_in_range() {
        let s = TICKS_PER_SECOND;
        let mut rng = SplitMix64::new(3);
        for _ in 0..1000 {
            let u = Delay::Uniform {
                min: 60 * s,
                max: 120 * s,
            }
            .sample(&mut rng);
            assert!((60 * s..=120 * s).contains(&u));
            assert!(Delay::Exponential { mean: 60 * s }.sample(&mut rng) >= 0);
        }
    }
}
