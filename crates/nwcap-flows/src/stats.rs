//! Running statistics (count, min, max, mean, variance) in O(1) memory.
//!
//! Welford's update is used because every flow is processed by exactly one
//! worker in file order, so no merge is needed; [`RunningStats::merge`]
//! (Chan et al.'s exact pairwise formula) is there for callers that combine
//! flows themselves.

/// Count, min, max, mean and variance of a stream of values.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RunningStats {
    n: u64,
    mean: f64,
    m2: f64,
    min: f64,
    max: f64,
}

impl RunningStats {
    /// Adds one value.
    pub fn push(&mut self, x: f64) {
        if self.n == 0 {
            self.min = x;
            self.max = x;
        } else {
            self.min = self.min.min(x);
            self.max = self.max.max(x);
        }
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
    }

    /// Combines two summaries exactly (as if all values were pushed to one).
    pub fn merge(&mut self, other: &RunningStats) {
        if other.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *other;
            return;
        }
        let n = self.n + other.n;
        let delta = other.mean - self.mean;
        let nf = n as f64;
        self.mean += delta * other.n as f64 / nf;
        self.m2 += other.m2 + delta * delta * (self.n as f64) * (other.n as f64) / nf;
        self.n = n;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Number of values.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// Smallest value, if any.
    pub fn min(&self) -> Option<f64> {
        (self.n > 0).then_some(self.min)
    }

    /// Largest value, if any.
    pub fn max(&self) -> Option<f64> {
        (self.n > 0).then_some(self.max)
    }

    /// Mean, if any value.
    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then_some(self.mean)
    }

    /// Sample standard deviation (n - 1 denominator, as CICFlowMeter);
    /// 0 for a single value.
    pub fn std(&self) -> Option<f64> {
        match self.n {
            0 => None,
            1 => Some(0.0),
            n => Some((self.m2.max(0.0) / (n - 1) as f64).sqrt()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welford_matches_two_pass() {
        let xs = [3.0, 7.0, 7.0, 19.0, 24.0];
        let mut s = RunningStats::default();
        xs.iter().for_each(|&x| s.push(x));
        let mean = xs.iter().sum::<f64>() / 5.0;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / 4.0;
        assert!((s.mean().expect("mean") - mean).abs() < 1e-12);
        assert!((s.std().expect("std") - var.sqrt()).abs() < 1e-12);
        assert_eq!(s.min(), Some(3.0));
        assert_eq!(s.max(), Some(24.0));
    }

    #[test]
    fn merge_equals_sequential() {
        let xs = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0];
        let mut all = RunningStats::default();
        xs.iter().for_each(|&x| all.push(x));
        let mut a = RunningStats::default();
        let mut b = RunningStats::default();
        xs[..2].iter().for_each(|&x| a.push(x));
        xs[2..].iter().for_each(|&x| b.push(x));
        a.merge(&b);
        assert_eq!(a.count(), 6);
        assert!((a.mean().expect("m") - all.mean().expect("m")).abs() < 1e-12);
        assert!((a.std().expect("s") - all.std().expect("s")).abs() < 1e-12);
        assert_eq!(RunningStats::default().std(), None);
    }
}
