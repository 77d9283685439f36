//! Merging the kept records of several inputs by timestamp.
//!
//! A k-way merge over the inputs' kept lists, each in file order: the next
//! record written is the earliest head, ties going to the earlier input.
//! Within one input the file order is kept even where its timestamps go
//! backwards, so a single input comes out exactly in its own order.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use nwcap_pcap::Record;

use super::Selection;

/// `(input, record)` in merged order.
pub fn by_time<'s, 'a>(
    inputs: &'s [Selection<'a>],
) -> impl Iterator<Item = (usize, &'s Record<'a>)> + 's {
    let mut pos = vec![0usize; inputs.len()];
    let mut heap: BinaryHeap<Reverse<(i64, usize)>> = inputs
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.kept.first().map(|r| Reverse((r.ts, i))))
        .collect();
    std::iter::from_fn(move || {
        let Reverse((_, i)) = heap.pop()?;
        let rec = inputs[i].kept.get(pos[i])?;
        pos[i] += 1;
        if let Some(next) = inputs[i].kept.get(pos[i]) {
            heap.push(Reverse((next.ts, i)));
        }
        Some((i, rec))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use nwcap_pcap::LinkType;

    fn rec(ts: i64) -> Record<'static> {
        Record {
            ts,
            origlen: 0,
            data: &[],
            interface: 0,
            linktype: LinkType::ETHERNET,
            offset: 0,
        }
    }

    fn sel(ts: &[i64]) -> Selection<'static> {
        Selection {
            kept: ts.iter().map(|&t| rec(t)).collect(),
            ..Selection::default()
        }
    }

    #[test]
    fn merges_by_time_keeping_each_file_order() {
        let inputs = [sel(&[1, 5, 3, 9]), sel(&[2, 5, 6]), sel(&[])];
        let got: Vec<(usize, i64)> = by_time(&inputs).map(|(i, r)| (i, r.ts)).collect();
        assert_eq!(
            got,
            [(0, 1), (1, 2), (0, 5), (0, 3), (1, 5), (1, 6), (0, 9)]
        );
    }
}
