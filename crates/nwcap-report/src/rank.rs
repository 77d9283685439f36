//! The aggregates `nwcap top` prints (talkers, conversations, ports,
//! services, protocols), summed flow by flow with exact integers.
//!
//! The numbers and the order are those of `nwcap top` (the polars queries
//! in `nwcap-summary/src/top.rs`): bytes are wire bytes of both
//! directions, a flow from an address to itself counts once for that
//! talker, a conversation's `addr_a` is the smaller address *as text*, and
//! rows are ordered by bytes, packets, flows (descending), then by the key
//! as text (ascending, absent values last). A test runs both commands on
//! the same input and compares.
//!
//! Only the map entries live in memory (one per address, address pair,
//! port or service); the order is computed once, at the end, and only for
//! the rows that can make the top: the `n`-th largest by the numbers is
//! found first, and the text keys are formatted for the rows that reach it.

use std::cmp::Ordering;
use std::hash::Hash;
use std::net::IpAddr;

use nwcap_flows::Flow;
use nwcap_flows::schema::proto_name;
use rustc_hash::FxHashMap;

/// Flows, packets and wire bytes of a group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sums {
    /// Flows.
    pub flows: u64,
    /// Packets, both directions.
    pub pkts: u64,
    /// Wire bytes, both directions.
    pub bytes: u64,
}

impl Sums {
    fn add(&mut self, pkts: u64, bytes: u64) {
        self.flows += 1;
        self.pkts += pkts;
        self.bytes += bytes;
    }

    /// The order of `nwcap top`: larger first.
    fn key(&self) -> (u64, u64, u64) {
        (self.bytes, self.pkts, self.flows)
    }
}

/// One row of top talkers (`nwcap top --by talkers`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TalkerRow {
    /// Address.
    pub addr: String,
    /// Flows, packets and bytes the address took part in.
    pub sums: Sums,
    /// Bytes the address sent.
    pub tx_bytes: u64,
    /// Bytes the address received.
    pub rx_bytes: u64,
}

/// One row of top conversations (`--by conversations`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationRow {
    /// The address that sorts first as text.
    pub addr_a: String,
    /// The other address.
    pub addr_b: String,
    /// Flows, packets and bytes between them.
    pub sums: Sums,
    /// Bytes from `addr_a` to `addr_b`.
    pub bytes_a_to_b: u64,
    /// Bytes from `addr_b` to `addr_a`.
    pub bytes_b_to_a: u64,
}

/// One row of top ports (`--by ports`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortRow {
    /// Transport protocol as in the `proto` column.
    pub proto: String,
    /// Responder port (ICMP: code); none for protocols without ports.
    pub resp_p: Option<u16>,
    /// Flows, packets and bytes.
    pub sums: Sums,
}

/// One row of a ranking by a name (`--by services`, `--by protocols`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedRow {
    /// The name; none for flows without one (no service detected).
    pub name: Option<String>,
    /// Flows, packets and bytes.
    pub sums: Sums,
}

/// A ranking's first rows and how many groups there were in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranked<T> {
    /// The first rows, in order.
    pub rows: Vec<T>,
    /// Groups in all (addresses, pairs, ports...).
    pub groups: u64,
}

impl<T> Default for Ranked<T> {
    fn default() -> Self {
        Ranked {
            rows: Vec::new(),
            groups: 0,
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Talker {
    sums: Sums,
    tx: u64,
    rx: u64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Pair {
    sums: Sums,
    /// Bytes from the smaller address (by `IpAddr` order) to the larger.
    lo_to_hi: u64,
    hi_to_lo: u64,
}

/// The five rankings, filled flow by flow.
#[derive(Debug, Default)]
pub struct Rankings {
    talkers: FxHashMap<IpAddr, Talker>,
    pairs: FxHashMap<(IpAddr, IpAddr), Pair>,
    ports: FxHashMap<(&'static str, Option<u16>), Sums>,
    services: FxHashMap<Option<&'static str>, Sums>,
    protocols: FxHashMap<&'static str, Sums>,
}

/// The rankings' first rows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RankingsData {
    /// Top talkers.
    pub talkers: Ranked<TalkerRow>,
    /// Top conversations.
    pub conversations: Ranked<ConversationRow>,
    /// Top responder ports.
    pub ports: Ranked<PortRow>,
    /// Top services.
    pub services: Ranked<NamedRow>,
    /// Every transport protocol.
    pub protocols: Ranked<NamedRow>,
}

impl Rankings {
    /// Counts one flow.
    pub fn add(&mut self, f: &Flow) {
        let pkts = f.orig.pkts + f.resp.pkts;
        let bytes = f.orig.bytes + f.resp.bytes;
        let (o, r) = (f.orig_h(), f.resp_h());
        let t = self.talkers.entry(o).or_default();
        t.sums.add(pkts, bytes);
        t.tx += f.orig.bytes;
        t.rx += f.resp.bytes;
        if r != o {
            let t = self.talkers.entry(r).or_default();
            t.sums.add(pkts, bytes);
            t.tx += f.resp.bytes;
            t.rx += f.orig.bytes;
        }
        let (key, lo_to_hi, hi_to_lo) = if o <= r {
            ((o, r), f.orig.bytes, f.resp.bytes)
        } else {
            ((r, o), f.resp.bytes, f.orig.bytes)
        };
        let p = self.pairs.entry(key).or_default();
        p.sums.add(pkts, bytes);
        p.lo_to_hi += lo_to_hi;
        p.hi_to_lo += hi_to_lo;
        self.ports
            .entry((proto_name(f.key.proto), f.resp_p()))
            .or_default()
            .add(pkts, bytes);
        self.services
            .entry(f.service())
            .or_default()
            .add(pkts, bytes);
        self.protocols
            .entry(proto_name(f.key.proto))
            .or_default()
            .add(pkts, bytes);
    }

    /// The first `n` rows of each ranking (every protocol).
    pub fn data(self, n: usize) -> RankingsData {
        let groups = |len: usize| len as u64;
        let talkers = Ranked {
            groups: groups(self.talkers.len()),
            rows: top_n(
                self.talkers.into_iter().collect(),
                n,
                |t| t.sums.key(),
                |a| a.to_string(),
            )
            .into_iter()
            .map(|(_, t, addr)| TalkerRow {
                addr,
                sums: t.sums,
                tx_bytes: t.tx,
                rx_bytes: t.rx,
            })
            .collect(),
        };
        let conversations = Ranked {
            groups: groups(self.pairs.len()),
            rows: top_n(
                self.pairs.into_iter().collect(),
                n,
                |p| p.sums.key(),
                |&(lo, hi)| {
                    let (lo, hi) = (lo.to_string(), hi.to_string());
                    if lo <= hi {
                        (lo, hi, false)
                    } else {
                        (hi, lo, true)
                    }
                },
            )
            .into_iter()
            .map(|(_, p, (a, b, swapped))| {
                let (ab, ba) = if swapped {
                    (p.hi_to_lo, p.lo_to_hi)
                } else {
                    (p.lo_to_hi, p.hi_to_lo)
                };
                ConversationRow {
                    addr_a: a,
                    addr_b: b,
                    sums: p.sums,
                    bytes_a_to_b: ab,
                    bytes_b_to_a: ba,
                }
            })
            .collect(),
        };
        let ports = Ranked {
            groups: groups(self.ports.len()),
            rows: top_n(
                self.ports.into_iter().collect(),
                n,
                Sums::key,
                |&(proto, port)| (proto.to_owned(), NullsLast(port)),
            )
            .into_iter()
            .map(|((_, port), sums, (proto, _))| PortRow {
                proto,
                resp_p: port,
                sums,
            })
            .collect(),
        };
        let services = named(self.services, n, |s| s.map(str::to_owned));
        let protocols = named(self.protocols, usize::MAX, |p| Some((*p).to_owned()));
        RankingsData {
            talkers,
            conversations,
            ports,
            services,
            protocols,
        }
    }
}

fn named<K: Eq + Hash>(
    map: FxHashMap<K, Sums>,
    n: usize,
    name: impl Fn(&K) -> Option<String>,
) -> Ranked<NamedRow> {
    Ranked {
        groups: map.len() as u64,
        rows: top_n(map.into_iter().collect(), n, Sums::key, |k| {
            NullsLast(name(k))
        })
        .into_iter()
        .map(|(_, sums, NullsLast(name))| NamedRow { name, sums })
        .collect(),
    }
}

/// An optional key that sorts its absent values after the present ones,
/// as polars does with `nulls_last`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct NullsLast<T>(Option<T>);

impl<T: Ord> PartialOrd for NullsLast<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T: Ord> Ord for NullsLast<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => a.cmp(b),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    }
}

/// The first `n` entries ordered by `num` (descending), then by `text`
/// (ascending), with each kept entry's text key. `text` runs only for the
/// entries whose numbers reach the `n`-th largest.
fn top_n<K, V, N: Ord, T: Ord>(
    mut entries: Vec<(K, V)>,
    n: usize,
    num: impl Fn(&V) -> N,
    text: impl Fn(&K) -> T,
) -> Vec<(K, V, T)> {
    if n == 0 || entries.is_empty() {
        return Vec::new();
    }
    if entries.len() > n {
        entries.select_nth_unstable_by(n - 1, |a, b| num(&b.1).cmp(&num(&a.1)));
        let cut = num(&entries[n - 1].1);
        let tail = entries.split_off(n);
        entries.extend(tail.into_iter().filter(|e| num(&e.1) == cut));
    }
    let mut keyed: Vec<(K, V, T)> = entries
        .into_iter()
        .map(|(k, v)| {
            let t = text(&k);
            (k, v, t)
        })
        .collect();
    keyed.sort_by(|a, b| num(&b.1).cmp(&num(&a.1)).then_with(|| a.2.cmp(&b.2)));
    keyed.truncate(n);
    keyed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_n_orders_by_numbers_then_text_and_keeps_boundary_ties() {
        let entries: Vec<(u32, u64)> = vec![(5, 10), (1, 10), (30, 7), (2, 10), (4, 99), (3, 1)];
        let got: Vec<u32> = top_n(entries.clone(), 3, |v| *v, |k| k.to_string())
            .into_iter()
            .map(|(k, _, _)| k)
            .collect();
        // 99 first, then the ties at 10 by text: "1" < "2" < "5".
        assert_eq!(got, [4, 1, 2]);
        let all: Vec<u32> = top_n(entries, 100, |v| *v, |k| k.to_string())
            .into_iter()
            .map(|(k, _, _)| k)
            .collect();
        assert_eq!(all, [4, 1, 2, 5, 30, 3]);
    }

    #[test]
    fn text_order_is_not_numeric_order() {
        // As text, "10.0.0.10" < "10.0.0.9".
        let a: IpAddr = "10.0.0.9".parse().expect("addr");
        let b: IpAddr = "10.0.0.10".parse().expect("addr");
        let got = top_n(vec![(a, 1u64), (b, 1)], 2, |v| *v, |k| k.to_string());
        assert_eq!(got[0].0, b);
    }

    #[test]
    fn nulls_sort_last() {
        let mut v = vec![NullsLast(None), NullsLast(Some(2)), NullsLast(Some(1))];
        v.sort();
        assert_eq!(v, [NullsLast(Some(1)), NullsLast(Some(2)), NullsLast(None)]);
    }
}
