//! Names asked for (DNS questions, TLS server names, HTTP hosts), counted
//! per flow in a map of bounded size.
//!
//! A capture of a DNS tunnel or a scan can carry a new name in every flow;
//! the map therefore stops taking new names at a cap. Names already in it
//! keep being counted exactly; flows whose name arrived after the cap are
//! counted apart, and the page says how many, so a reader knows that a
//! name first seen late may be missing from the list.

use rustc_hash::FxHashMap;

/// Distinct names kept by default.
pub const DEFAULT_CAP: usize = 100_000;

/// Flows per name, bounded.
#[derive(Debug, Clone)]
pub struct NameCounts {
    map: FxHashMap<Box<str>, u64>,
    cap: usize,
    flows: u64,
    untracked: u64,
}

impl NameCounts {
    /// An empty count that keeps at most `cap` distinct names.
    pub fn new(cap: usize) -> NameCounts {
        NameCounts {
            map: FxHashMap::default(),
            cap,
            flows: 0,
            untracked: 0,
        }
    }

    /// Counts one flow that asked for `name`.
    pub fn add(&mut self, name: &str) {
        self.flows += 1;
        if let Some(c) = self.map.get_mut(name) {
            *c += 1;
        } else if self.map.len() < self.cap {
            self.map.insert(name.into(), 1);
        } else {
            self.untracked += 1;
        }
    }

    /// The `n` names asked most (ties by name).
    pub fn data(&self, n: usize) -> NamesData {
        let mut rows: Vec<(&str, u64)> = self.map.iter().map(|(k, &v)| (&**k, v)).collect();
        let by = |a: &(&str, u64), b: &(&str, u64)| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0));
        if rows.len() > n && n > 0 {
            rows.select_nth_unstable_by(n - 1, by);
        }
        rows.truncate(n);
        rows.sort_by(by);
        NamesData {
            rows: rows.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            flows: self.flows,
            distinct: self.map.len() as u64,
            untracked: self.untracked,
            capped: self.untracked > 0,
        }
    }
}

/// The names most asked, as plain data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NamesData {
    /// (name, flows), most flows first.
    pub rows: Vec<(String, u64)>,
    /// Flows with a name.
    pub flows: u64,
    /// Distinct names counted.
    pub distinct: u64,
    /// Flows whose name was new after the cap was reached.
    pub untracked: u64,
    /// The cap was reached.
    pub capped: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_orders_and_caps() {
        let mut c = NameCounts::new(2);
        for n in [
            "b.example",
            "a.example",
            "b.example",
            "c.example",
            "a.example",
        ] {
            c.add(n);
        }
        let d = c.data(10);
        assert_eq!(
            d.rows,
            [("a.example".to_owned(), 2), ("b.example".to_owned(), 2)]
        );
        assert_eq!((d.flows, d.distinct, d.untracked), (5, 2, 1));
        assert_eq!(c.data(1).rows.len(), 1);
    }
}
