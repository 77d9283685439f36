//! Shape statistics of a flow from exact integer sums.
//!
//! The count and the sum of the values are counters every flow keeps
//! anyway (packets and payload bytes of a direction; for inter-arrival
//! times, packets - 1 and `last_ts - ts`), so a [`Spread`] adds only the sum
//! of squares (128 bits, exact) and the extremes. Nothing is divided per
//! packet, the result does not depend on the order of the values (merging
//! is addition), and the standard deviation is computed at the end from
//! exact integers: `var = (n Σx² - (Σx)²) / (n (n - 1))`, so a flow whose
//! packets all have the same length has a standard deviation of exactly 0.

/// Sum of squares and extremes of a stream of non-negative integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spread {
    /// Sum of squares, low and high 64 bits (kept as two words so the
    /// struct needs no 16-byte alignment).
    sq: [u64; 2],
    min: u64,
    max: u64,
}

impl Default for Spread {
    fn default() -> Self {
        Spread {
            sq: [0, 0],
            min: u64::MAX,
            max: 0,
        }
    }
}

impl Spread {
    /// Adds one value.
    #[inline]
    pub fn push(&mut self, x: u64) {
        let sq = (u128::from(self.sq[1]) << 64 | u128::from(self.sq[0]))
            .saturating_add(u128::from(x) * u128::from(x));
        self.sq = [sq as u64, (sq >> 64) as u64];
        self.min = self.min.min(x);
        self.max = self.max.max(x);
    }

    /// Combines two spreads (as if all values were pushed to one).
    pub fn merge(&mut self, o: &Spread) {
        let sq = self.sum_sq().saturating_add(o.sum_sq());
        self.sq = [sq as u64, (sq >> 64) as u64];
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
    }

    /// Sum of the squares.
    pub fn sum_sq(&self) -> u128 {
        u128::from(self.sq[1]) << 64 | u128::from(self.sq[0])
    }

    /// Smallest value, if any was pushed.
    pub fn min(&self) -> Option<u64> {
        (self.min <= self.max).then_some(self.min)
    }

    /// Largest value, if any was pushed.
    pub fn max(&self) -> Option<u64> {
        (self.min <= self.max).then_some(self.max)
    }

    /// Mean of `n` values summing to `sum`.
    pub fn mean(n: u64, sum: u64) -> Option<f64> {
        (n > 0).then(|| sum as f64 / n as f64)
    }

    /// Sample standard deviation (n - 1 denominator, as CICFlowMeter) of
    /// the `n` values pushed, whose sum is `sum`; 0 for a single value.
    pub fn std(&self, n: u64, sum: u64) -> Option<f64> {
        match n {
            0 => None,
            1 => Some(0.0),
            n => {
                let (n128, s) = (u128::from(n), u128::from(sum));
                let var = match (n128.checked_mul(self.sum_sq()), s.checked_mul(s)) {
                    // Exact: n Σx² >= (Σx)² for any values.
                    (Some(a), Some(b)) => a.saturating_sub(b) as f64 / (n128 * (n128 - 1)) as f64,
                    // Beyond 128 bits (never with packet sizes and times of
                    // real captures): floating point.
                    _ => {
                        let (nf, sf) = (n as f64, sum as f64);
                        ((self.sum_sq() as f64 - sf * sf / nf) / (nf - 1.0)).max(0.0)
                    }
                };
                Some(var.sqrt())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(xs: &[u64]) -> (Spread, u64, u64) {
        let mut s = Spread::default();
        xs.iter().for_each(|&x| s.push(x));
        (s, xs.len() as u64, xs.iter().sum())
    }

    #[test]
    fn matches_two_pass() {
        let xs = [3, 7, 7, 19, 24];
        let (s, n, sum) = of(&xs);
        let mean = sum as f64 / 5.0;
        let var = xs.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / 4.0;
        assert_eq!(Spread::mean(n, sum), Some(mean));
        assert!((s.std(n, sum).expect("std") - var.sqrt()).abs() < 1e-12);
        assert_eq!((s.min(), s.max()), (Some(3), Some(24)));
    }

    #[test]
    fn constant_values_have_zero_spread() {
        let (s, n, sum) = of(&[1460; 1000]);
        assert_eq!(s.std(n, sum), Some(0.0));
        let big = 300_000_000_000u64; // 300 s in ns
        let (s, n, sum) = of(&[big, big, big]);
        assert_eq!(s.std(n, sum), Some(0.0));
    }

    #[test]
    fn merge_equals_sequential_and_empty_is_none() {
        let xs = [1, 2, 4, 8, 16, 32];
        let (all, n, sum) = of(&xs);
        let (mut a, _, _) = of(&xs[..2]);
        let (b, _, _) = of(&xs[2..]);
        a.merge(&b);
        assert_eq!(a, all);
        assert_eq!(a.std(n, sum), all.std(n, sum));
        let e = Spread::default();
        assert_eq!((e.min(), e.max(), e.std(0, 0)), (None, None, None));
        assert_eq!(Spread::mean(0, 0), None);
    }
}
