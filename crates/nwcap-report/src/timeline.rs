//! Traffic over time: counts and bytes per time bin and per class
//! (protocol, service, conn_state...), in bounded memory.
//!
//! Bins are aligned on multiples of their width counted from the Unix
//! epoch, and every width of the ladder ([`WIDTHS_NS`]) divides the next
//! one. So when the time span outgrows the bin budget the bins coarsen
//! exactly (whole bins merge into whole bins), and two timelines filled
//! from different parts of one capture (files, shards, threads) merge into
//! the timeline the whole capture would have given: the final width is the
//! smallest one at which the whole span fits, whatever the order of the
//! input. The widths are round numbers (1 ms, 2 ms, 10 ms ... 1 s, 2 s,
//! 10 s, 20 s, 1 min ...), so a reader can be told "one bar per 10 s".
//!
//! Adding is one division and one addition per item: the packet pass calls
//! [`Timeline::add`] for every packet.

use std::collections::VecDeque;

/// Most classes a timeline holds (a stack of more is unreadable anyway).
pub const MAX_CLASSES: usize = 10;

/// Default bin budget: fine enough for a chart 1,000 pixels wide.
pub const DEFAULT_MAX_BINS: usize = 1000;

const US: i64 = 1_000;
const MS: i64 = 1_000_000;
const S: i64 = 1_000_000_000;
const MIN: i64 = 60 * S;
const H: i64 = 60 * MIN;
const D: i64 = 24 * H;

/// Bin widths in ns, finest first; each divides the next.
pub const WIDTHS_NS: &[i64] = &[
    US,
    2 * US,
    10 * US,
    20 * US,
    100 * US,
    200 * US,
    MS,
    2 * MS,
    10 * MS,
    20 * MS,
    100 * MS,
    200 * MS,
    S,
    2 * S,
    10 * S,
    20 * S,
    MIN,
    2 * MIN,
    10 * MIN,
    20 * MIN,
    H,
    2 * H,
    6 * H,
    12 * H,
    D,
    2 * D,
    10 * D,
    20 * D,
    100 * D,
    200 * D,
    1_000 * D,
    2_000 * D,
    10_000 * D,
    20_000 * D,
    100_000 * D,
];

/// What one bin holds for one class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cell {
    /// Items (packets, or flows).
    pub count: u64,
    /// Bytes of those items.
    pub bytes: u64,
}

impl Cell {
    fn add(&mut self, o: Cell) {
        self.count += o.count;
        self.bytes += o.bytes;
    }
}

type Bin = [Cell; MAX_CLASSES];

/// Counts and bytes per time bin and class; see the module documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    classes: Vec<String>,
    max_bins: usize,
    /// Index into [`WIDTHS_NS`].
    level: usize,
    /// Bin number (timestamp / width) of `bins[0]`.
    lo: i64,
    bins: VecDeque<Bin>,
}

impl Timeline {
    /// An empty timeline with these class names (at most [`MAX_CLASSES`];
    /// further names are dropped and their items counted in the last class)
    /// and the default bin budget.
    pub fn new(classes: &[&str]) -> Timeline {
        Timeline::with_max_bins(classes, DEFAULT_MAX_BINS)
    }

    /// An empty timeline holding at most `max_bins` bins (at least 4).
    pub fn with_max_bins(classes: &[&str], max_bins: usize) -> Timeline {
        Timeline {
            classes: classes
                .iter()
                .take(MAX_CLASSES)
                .map(|c| (*c).to_owned())
                .collect(),
            max_bins: max_bins.max(4),
            level: 0,
            lo: 0,
            bins: VecDeque::new(),
        }
    }

    /// The class names.
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// Current bin width, ns.
    pub fn width_ns(&self) -> i64 {
        WIDTHS_NS[self.level]
    }

    /// True when nothing was added.
    pub fn is_empty(&self) -> bool {
        self.bins.is_empty()
    }

    /// Number of bins from the first to the last one with items.
    pub fn len(&self) -> usize {
        self.bins.len()
    }

    /// Adds `count` items of `bytes` bytes at `ts_ns` to class `class` (a
    /// class past the last counts in the last).
    #[inline]
    pub fn add_n(&mut self, ts_ns: i64, count: u64, bytes: u64, class: usize) {
        let i = self.slot(ts_ns.div_euclid(self.width_ns()));
        let c = class.min(self.classes.len().saturating_sub(1));
        self.bins[i][c].add(Cell { count, bytes });
    }

    /// Adds one item (a packet of `wire_bytes` bytes) at `ts_ns`.
    #[inline]
    pub fn add(&mut self, ts_ns: i64, wire_bytes: u64, class: usize) {
        self.add_n(ts_ns, 1, wire_bytes, class);
    }

    /// The position in `bins` of bin number `i` (at the current width),
    /// growing or coarsening the timeline as needed.
    #[inline]
    fn slot(&mut self, mut i: i64) -> usize {
        if self.bins.is_empty() {
            self.lo = i;
            self.bins.push_back(Bin::default());
            return 0;
        }
        let hi = self.hi();
        if i >= self.lo && i <= hi {
            return (i - self.lo) as usize;
        }
        let w = self.width_ns();
        let ts = i.saturating_mul(w);
        while self.span_with(i) > self.max_bins as i128 && self.level + 1 < WIDTHS_NS.len() {
            self.coarsen();
            i = ts.div_euclid(self.width_ns());
        }
        self.extend_to(i, i);
        (i - self.lo) as usize
    }

    /// Bin number of the last bin.
    fn hi(&self) -> i64 {
        self.lo + self.bins.len() as i64 - 1
    }

    /// Bins needed to hold the current range and bin number `i`.
    fn span_with(&self, i: i64) -> i128 {
        let lo = i128::from(self.lo.min(i));
        let hi = i128::from(self.hi().max(i));
        hi - lo + 1
    }

    /// Adds empty bins so that bin numbers `lo..=hi` are held.
    fn extend_to(&mut self, lo: i64, hi: i64) {
        if self.bins.is_empty() {
            self.lo = lo;
            self.bins.push_back(Bin::default());
        }
        while self.lo > lo {
            self.bins.push_front(Bin::default());
            self.lo -= 1;
        }
        while self.hi() < hi {
            self.bins.push_back(Bin::default());
        }
    }

    /// Moves to the next width of the ladder, merging whole bins.
    fn coarsen(&mut self) {
        if self.level + 1 >= WIDTHS_NS.len() {
            return;
        }
        let factor = WIDTHS_NS[self.level + 1] / WIDTHS_NS[self.level];
        self.level += 1;
        if self.bins.is_empty() {
            return;
        }
        let new_lo = self.lo.div_euclid(factor);
        let mut out: VecDeque<Bin> = VecDeque::new();
        for (k, b) in self.bins.iter().enumerate() {
            let j = (self.lo + k as i64).div_euclid(factor) - new_lo;
            let j = j as usize;
            if j >= out.len() {
                out.push_back(Bin::default());
            }
            for (dst, src) in out[j].iter_mut().zip(b) {
                dst.add(*src);
            }
        }
        self.lo = new_lo;
        self.bins = out;
    }

    /// Coarsens until at most `max_bins` bins remain (for drawing).
    pub fn coarsen_to(&mut self, max_bins: usize) {
        while self.bins.len() > max_bins.max(1) && self.level + 1 < WIDTHS_NS.len() {
            self.coarsen();
        }
    }

    /// Adds every item of `other` (same classes, in the same order), as if
    /// they had been added here.
    pub fn merge(&mut self, other: &Timeline) {
        if other.bins.is_empty() {
            return;
        }
        let mut other = other.clone();
        loop {
            while self.level < other.level {
                self.coarsen();
            }
            while other.level < self.level {
                other.coarsen();
            }
            if self.bins.is_empty() {
                break;
            }
            let lo = i128::from(self.lo.min(other.lo));
            let hi = i128::from(self.hi().max(other.hi()));
            if hi - lo < self.max_bins as i128 || self.level + 1 >= WIDTHS_NS.len() {
                break;
            }
            self.coarsen();
        }
        let lo = if self.bins.is_empty() {
            other.lo
        } else {
            self.lo.min(other.lo)
        };
        self.extend_to(lo, other.hi());
        self.extend_to(lo, lo);
        for (k, b) in other.bins.iter().enumerate() {
            let j = (other.lo + k as i64 - self.lo) as usize;
            for (dst, src) in self.bins[j].iter_mut().zip(b) {
                dst.add(*src);
            }
        }
    }

    /// The bins, oldest first, as plain data.
    pub fn data(&self) -> TimelineData {
        let n = self.classes.len();
        TimelineData {
            classes: self.classes.clone(),
            width_ns: self.width_ns(),
            start_ns: self.lo.saturating_mul(self.width_ns()),
            bins: self.bins.iter().map(|b| b[..n].to_vec()).collect(),
        }
    }
}

/// A timeline's bins as plain data (what the page draws).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TimelineData {
    /// Class names, in stacking order (first at the bottom).
    pub classes: Vec<String>,
    /// Bin width, ns.
    pub width_ns: i64,
    /// Start of the first bin, ns since the epoch (UTC).
    pub start_ns: i64,
    /// Per bin, one cell per class.
    pub bins: Vec<Vec<Cell>>,
}

impl TimelineData {
    /// Items and bytes per class over all bins.
    pub fn totals(&self) -> Vec<Cell> {
        let mut t = vec![Cell::default(); self.classes.len()];
        for b in &self.bins {
            for (dst, src) in t.iter_mut().zip(b) {
                dst.add(*src);
            }
        }
        t
    }

    /// True when no bin holds an item.
    pub fn is_empty(&self) -> bool {
        self.bins.iter().flatten().all(|c| c.count == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn widths_divide_each_other() {
        for w in WIDTHS_NS.windows(2) {
            assert_eq!(w[1] % w[0], 0, "{} does not divide {}", w[0], w[1]);
        }
    }

    #[test]
    fn bins_coarsen_to_round_widths_and_keep_every_item() {
        let mut t = Timeline::with_max_bins(&["a", "b"], 100);
        // 10 minutes of one packet per 100 ms: 6,000 packets.
        let t0 = 1_700_000_000 * S;
        for k in 0..6_000i64 {
            t.add(t0 + k * 100 * MS, 60, (k % 2) as usize);
        }
        // 600 s in at most 100 bins: 10 s bins (20 s would be coarser
        // than needed), 60 or 61 of them.
        assert_eq!(t.width_ns(), 10 * S);
        assert!(t.len() <= 100);
        let d = t.data();
        let tot = d.totals();
        assert_eq!(tot[0].count + tot[1].count, 6_000);
        assert_eq!(tot[0].bytes, 3_000 * 60);
        assert_eq!(d.start_ns % (10 * S), 0);
        assert!(d.bins.iter().all(|b| b[0].count == 50 && b[1].count == 50));
    }

    #[test]
    fn an_earlier_timestamp_grows_the_front() {
        let mut t = Timeline::new(&["x"]);
        t.add(10 * S, 1, 0);
        t.add(5 * S, 1, 0);
        t.add(-3 * S, 1, 0);
        let d = t.data();
        assert!(d.start_ns <= -3 * S);
        assert_eq!(d.totals()[0].count, 3);
    }

    #[test]
    fn extreme_timestamps_stay_bounded() {
        let mut t = Timeline::with_max_bins(&["x"], 8);
        t.add(i64::MIN + 1, 1, 0);
        t.add(i64::MAX, 1, 0);
        t.add(0, 1, 0);
        assert!(t.len() <= 8);
        assert_eq!(t.data().totals()[0].count, 3);
    }

    #[test]
    fn unknown_class_counts_in_the_last() {
        let mut t = Timeline::new(&["a", "other"]);
        t.add(0, 5, 7);
        assert_eq!(t.data().totals()[1], Cell { count: 1, bytes: 5 });
    }

    proptest! {
        /// Split anywhere, in any order: merged halves equal one pass.
        #[test]
        fn merged_halves_equal_one_pass(
            items in prop::collection::vec((-5_000_000_000_000i64..5_000_000_000_000, 0u64..2000, 0usize..3), 0..300),
            cut in 0usize..300,
            max_bins in 4usize..64,
        ) {
            let names = ["tcp", "udp", "other"];
            let mut one = Timeline::with_max_bins(&names, max_bins);
            for &(ts, b, c) in &items {
                one.add(ts, b, c);
            }
            let cut = cut.min(items.len());
            let mut a = Timeline::with_max_bins(&names, max_bins);
            let mut b = Timeline::with_max_bins(&names, max_bins);
            for &(ts, by, c) in &items[..cut] {
                a.add(ts, by, c);
            }
            for &(ts, by, c) in items[cut..].iter().rev() {
                b.add(ts, by, c);
            }
            b.merge(&a);
            prop_assert_eq!(one.data(), b.data());
        }
    }
}
