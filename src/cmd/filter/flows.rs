//! `--flow UID|COMMUNITY_ID`: from flow ids to the packets of those flows.
//!
//! A uid is a hash of a flow's key, first timestamp and originator, so it
//! only exists once the flow engine has run: the inputs are first run
//! through the same engine with the same settings as `nwcap flows` (inputs
//! in first-timestamp order, default timeouts), and each flow whose uid or
//! Community ID was asked for becomes a key with a time span. A packet then
//! belongs to a selected flow when its flow key is that key and its time is
//! within the span (flows of one key never overlap in time: the engine
//! starts a new one only after the previous ended). A Community ID names
//! every flow of its 5-tuple, so its span is all time.
//!
//! Non-first IP fragments carry no ports; they are kept when their
//! port-less key and time match a selected flow (the engine attributes them
//! by IP id, which may rarely differ for two concurrent flows between the
//! same hosts).

use std::collections::{HashMap, HashSet};

use nwcap_flows::ident::{community_id_of_key, uid};
use nwcap_flows::{CaptureChunk, FlowConfig, FlowKey, PacketSummary, run_flows};
use nwcap_pcap::{Index, decode};

type Spans = Vec<(i64, i64)>;

/// The flows asked for, as keys and time spans.
#[derive(Debug, Default)]
pub(super) struct FlowSelection {
    spans: HashMap<FlowKey, Spans>,
    portless: HashMap<FlowKey, Spans>,
    /// Ids that matched no flow.
    pub missing: Vec<String>,
    /// Flows selected.
    pub flows: usize,
}

fn within(spans: Option<&Spans>, ts: i64) -> bool {
    spans.is_some_and(|s| s.iter().any(|&(a, b)| a <= ts && ts <= b))
}

impl FlowSelection {
    /// Whether a packet belongs to a selected flow.
    #[inline]
    pub fn contains(&self, s: &PacketSummary<'_>) -> bool {
        let key = s.flow_key();
        if s.frag.is_some_and(|f| !f.first) {
            return within(self.portless.get(&key.without_ports()), s.ts);
        }
        within(self.spans.get(&key), s.ts)
    }

    fn add(&mut self, key: FlowKey, span: (i64, i64)) {
        self.spans.entry(key).or_default().push(span);
        self.portless
            .entry(key.without_ports())
            .or_default()
            .push(span);
        self.flows += 1;
    }
}

/// Run the flow engine over `inputs` and select the flows named by `ids`.
pub(super) fn resolve(inputs: &[Index<'_>], ids: &[String], seed: u16) -> FlowSelection {
    let mut order: Vec<usize> = (0..inputs.len()).collect();
    order.sort_by_key(|&i| (inputs[i].stats.first_ts.unwrap_or(i64::MAX), i));
    let chunks = order.iter().enumerate().flat_map(|(file, &i)| {
        let index = &inputs[i];
        index.chunks.iter().map(move |c| CaptureChunk {
            file: u32::try_from(file).unwrap_or(u32::MAX),
            index,
            chunk: *c,
            filter: None,
            decode: decode::decode,
        })
    });
    let out = run_flows(chunks, &FlowConfig::default());
    let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
    let mut found: HashSet<String> = HashSet::new();
    let mut sel = FlowSelection::default();
    for f in &out.flows {
        let u = uid(&f.key, f.ts, f.orig_is_a);
        if wanted.contains(u.as_str()) {
            sel.add(f.key, (f.ts, f.last_ts));
            found.insert(u);
            continue;
        }
        let c = community_id_of_key(seed, &f.key);
        if wanted.contains(c.as_str()) {
            sel.add(f.key, (i64::MIN, i64::MAX));
            found.insert(c);
        }
    }
    sel.missing = ids
        .iter()
        .filter(|i| !found.contains(*i))
        .cloned()
        .collect();
    sel
}
