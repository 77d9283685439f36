//! The largest flows, kept in a bounded heap: memory for `n` rows whatever
//! the number of flows.
//!
//! Order: wire bytes of both directions, then packets (both descending),
//! then the first packet's time and position (ascending), a total order,
//! so the same flows are kept whatever order they arrive in. A row's text
//! (uid, addresses) is made only when the flow enters the heap.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use nwcap_flows::Flow;
use nwcap_flows::ident::uid;
use nwcap_flows::schema::proto_name;

/// One flow as the table of largest flows shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowRow {
    /// Zeek-style uid, as `nwcap flows` prints it.
    pub uid: String,
    /// First packet time, ns since the epoch (UTC).
    pub ts: i64,
    /// Last packet time minus first, ns.
    pub duration_ns: i64,
    /// Transport protocol as in the `proto` column.
    pub proto: String,
    /// Originator address.
    pub orig_h: String,
    /// Originator port (ICMP: type).
    pub orig_p: Option<u16>,
    /// Responder address.
    pub resp_h: String,
    /// Responder port (ICMP: code).
    pub resp_p: Option<u16>,
    /// Service, from content or port.
    pub service: Option<String>,
    /// Zeek conn_state.
    pub conn_state: String,
    /// Packets from the originator.
    pub orig_pkts: u64,
    /// Packets from the responder.
    pub resp_pkts: u64,
    /// Wire bytes from the originator.
    pub orig_wire_bytes: u64,
    /// Wire bytes from the responder.
    pub resp_wire_bytes: u64,
    /// Retransmitted TCP segments.
    pub retransmits: u64,
    /// DNS question, TLS server name or HTTP host, when one was seen.
    pub name: Option<String>,
    /// Index of the file the flow started in.
    pub file: u32,
}

impl FlowRow {
    /// The row of a flow.
    pub fn of(f: &Flow) -> FlowRow {
        FlowRow {
            uid: uid(&f.key, f.ts, f.orig_is_a),
            ts: f.ts,
            duration_ns: f.duration(),
            proto: proto_name(f.key.proto).to_owned(),
            orig_h: f.orig_h().to_string(),
            orig_p: f.orig_p(),
            resp_h: f.resp_h().to_string(),
            resp_p: f.resp_p(),
            service: f.service().map(str::to_owned),
            conn_state: f.conn_state().to_owned(),
            orig_pkts: f.orig.pkts,
            resp_pkts: f.resp.pkts,
            orig_wire_bytes: f.orig.bytes,
            resp_wire_bytes: f.resp.bytes,
            retransmits: f.analysis().retransmissions,
            name: f
                .dns_query()
                .or_else(|| f.tls_sni())
                .or_else(|| f.http_host())
                .map(str::to_owned),
            file: f.file,
        }
    }

    /// Wire bytes of both directions.
    pub fn bytes(&self) -> u64 {
        self.orig_wire_bytes + self.resp_wire_bytes
    }

    /// Packets of both directions.
    pub fn pkts(&self) -> u64 {
        self.orig_pkts + self.resp_pkts
    }
}

/// Larger is kept first.
type Rank = (u64, u64, Reverse<i64>, Reverse<u64>);

fn rank(f: &Flow) -> Rank {
    (
        f.orig.bytes + f.resp.bytes,
        f.orig.pkts + f.resp.pkts,
        Reverse(f.ts),
        Reverse(f.first_ord),
    )
}

#[derive(Debug)]
struct Entry {
    rank: Rank,
    row: FlowRow,
}

impl PartialEq for Entry {
    fn eq(&self, o: &Self) -> bool {
        self.rank == o.rank
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Entry {
    fn cmp(&self, o: &Self) -> Ordering {
        self.rank.cmp(&o.rank)
    }
}

/// The `n` largest flows seen so far.
#[derive(Debug)]
pub struct Largest {
    n: usize,
    /// A min-heap: the smallest kept flow on top, to be pushed out.
    heap: BinaryHeap<Reverse<Entry>>,
}

impl Largest {
    /// Keeps the `n` largest flows.
    pub fn new(n: usize) -> Largest {
        Largest {
            n,
            heap: BinaryHeap::with_capacity(n.min(1 << 16) + 1),
        }
    }

    /// Offers one flow.
    #[inline]
    pub fn add(&mut self, f: &Flow) {
        if self.n == 0 {
            return;
        }
        let r = rank(f);
        if self.heap.len() >= self.n {
            match self.heap.peek() {
                Some(Reverse(min)) if r > min.rank => {
                    self.heap.pop();
                }
                _ => return,
            }
        }
        self.heap.push(Reverse(Entry {
            rank: r,
            row: FlowRow::of(f),
        }));
    }

    /// The rows, largest first.
    pub fn rows(self) -> Vec<FlowRow> {
        let mut v: Vec<Entry> = self.heap.into_iter().map(|Reverse(e)| e).collect();
        v.sort_by(|a, b| b.cmp(a));
        v.into_iter().map(|e| e.row).collect()
    }
}
