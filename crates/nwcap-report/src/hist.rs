//! Distributions on logarithmic bins (flow durations, sizes, handshake
//! round trips): five bins per decade, exact integer counts, fixed memory.
//!
//! Bin `k` holds the values `v` with `10^(k/5) <= v < 10^((k+1)/5)`, its
//! edges rounded up to integers (decade edges are exact powers of ten), so
//! a value's bin is found by a binary search over integers, never by a
//! floating-point logarithm that could put 1000 in the bin below.

use std::sync::LazyLock;

/// Bins per decade.
pub const PER_DECADE: usize = 5;

/// Decades covered: 1 to 10^19 (beyond `u64::MAX` is never reached).
const DECADES: usize = 20;

/// Lower edge of every bin.
static EDGES: LazyLock<Vec<u64>> = LazyLock::new(|| {
    let mut e = Vec::with_capacity(DECADES * PER_DECADE);
    for k in 0..DECADES * PER_DECADE {
        let decade = (k / PER_DECADE) as u32;
        let step = k % PER_DECADE;
        let Some(base) = 10u64.checked_pow(decade) else {
            break;
        };
        let v = if step == 0 {
            base
        } else {
            let x = 10f64.powf(k as f64 / PER_DECADE as f64).ceil();
            if x >= u64::MAX as f64 {
                break;
            }
            x as u64
        };
        // Small values round to equal edges (1, 2, 3, 4, 7, 10...): keep
        // the edges strictly increasing.
        if e.last().is_none_or(|&l| v > l) {
            e.push(v);
        }
    }
    e
});

/// Counts per logarithmic bin, plus the zeros.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogHistogram {
    zero: u64,
    counts: Vec<u64>,
}

impl Default for LogHistogram {
    fn default() -> Self {
        LogHistogram::new()
    }
}

impl LogHistogram {
    /// An empty histogram.
    pub fn new() -> LogHistogram {
        LogHistogram {
            zero: 0,
            counts: vec![0; EDGES.len()],
        }
    }

    /// Counts one value.
    #[inline]
    pub fn add(&mut self, v: u64) {
        if v == 0 {
            self.zero += 1;
            return;
        }
        let k = EDGES.partition_point(|&e| e <= v) - 1;
        self.counts[k] += 1;
    }

    /// Adds the counts of `other`.
    pub fn merge(&mut self, other: &LogHistogram) {
        self.zero += other.zero;
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
    }

    /// Values counted, zeros included.
    pub fn total(&self) -> u64 {
        self.zero + self.counts.iter().sum::<u64>()
    }

    /// The bins from the first to the last one holding a value.
    pub fn data(&self) -> HistData {
        let first = self.counts.iter().position(|&c| c > 0);
        let last = self.counts.iter().rposition(|&c| c > 0);
        let bins = match (first, last) {
            (Some(f), Some(l)) => (f..=l)
                .map(|k| HistBin {
                    lo: EDGES[k],
                    hi: EDGES.get(k + 1).copied().unwrap_or(u64::MAX),
                    count: self.counts[k],
                })
                .collect(),
            _ => Vec::new(),
        };
        HistData {
            zero: self.zero,
            bins,
        }
    }
}

/// One bin: values in `lo..hi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistBin {
    /// Smallest value of the bin.
    pub lo: u64,
    /// First value past the bin.
    pub hi: u64,
    /// Values counted.
    pub count: u64,
}

/// A histogram as plain data (what the page draws).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HistData {
    /// Values equal to zero (drawn apart: a log axis has no zero).
    pub zero: u64,
    /// Bins from the first non-empty one to the last.
    pub bins: Vec<HistBin>,
}

impl HistData {
    /// Values counted, zeros included.
    pub fn total(&self) -> u64 {
        self.zero + self.bins.iter().map(|b| b.count).sum::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decade_edges_are_exact_and_bins_hold_their_values() {
        let mut h = LogHistogram::new();
        for v in [0, 1, 9, 10, 999, 1000, 1001, u64::MAX] {
            h.add(v);
        }
        let d = h.data();
        assert_eq!(d.zero, 1);
        assert_eq!(d.total(), 8);
        let bin_of = |v: u64| {
            d.bins
                .iter()
                .find(|b| b.lo <= v && (v < b.hi || b.hi == u64::MAX))
                .copied()
        };
        let b1000 = bin_of(1000).expect("bin of 1000");
        assert_eq!(b1000.lo, 1000);
        assert_eq!(b1000.count, 2, "1000 and 1001 share a bin");
        let b999 = bin_of(999).expect("bin of 999");
        assert!(b999.hi == 1000 && b999.count == 1);
        assert_eq!(bin_of(u64::MAX).map(|b| b.count), Some(1));
    }

    #[test]
    fn edges_increase_five_per_decade() {
        assert!(EDGES.windows(2).all(|w| w[0] < w[1]));
        assert!(EDGES.contains(&1_000_000_000));
        let per = EDGES
            .iter()
            .filter(|&&e| (1_000..10_000).contains(&e))
            .count();
        assert_eq!(per, PER_DECADE);
    }
}
