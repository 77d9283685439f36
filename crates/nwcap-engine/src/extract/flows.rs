//! `--flow UID|COMMUNITY_ID`: from flow ids to the packets of those flows.
//!
//! A uid is a hash of a flow's key, first timestamp and originator, so it
//! only exists once the flow engine has run: the inputs are first run
//! through the engine exactly as `nwcap flows` runs it (the same ordering
//! of files, the same timeouts: `--tcp-timeout`... must match the `flows`
//! run the ids came from), and each flow whose uid or
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
use nwcap_flows::{Flow, FlowKey, PacketSummary};

use crate::{EngineError, FlowSink, Group, Settings, SinkError};

type Spans = Vec<(i64, i64)>;

/// The flows asked for, as keys and time spans.
#[derive(Debug, Default)]
pub struct FlowSelection {
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

/// The flows named by `ids`, found by running the flow engine over
/// `files` exactly as `nwcap flows` does (same ordering rule, same
/// timeouts).
struct Select<'a> {
    wanted: HashSet<&'a str>,
    found: HashSet<String>,
    seed: u16,
    sel: FlowSelection,
}

impl FlowSink for Select<'_> {
    fn flows(&mut self, batch: &mut Vec<Flow>) -> Result<(), SinkError> {
        for f in batch.iter() {
            let u = uid(&f.key, f.ts, f.orig_is_a);
            if self.wanted.contains(u.as_str()) {
                self.sel.add(f.key, (f.ts, f.last_ts));
                self.found.insert(u);
                continue;
            }
            let c = community_id_of_key(self.seed, &f.key);
            if self.wanted.contains(c.as_str()) {
                self.sel.add(f.key, (i64::MIN, i64::MAX));
                self.found.insert(c);
            }
        }
        Ok(())
    }
}

/// Runs the flow engine over `groups` with `settings` (those of the
/// `nwcap flows` run the ids came from) and selects the flows named by
/// `ids` (uids, or Community IDs with `seed`).
pub fn find_flows(
    groups: &[Group],
    settings: &Settings,
    ids: &[String],
    seed: u16,
) -> Result<FlowSelection, EngineError> {
    let mut s = Select {
        wanted: ids.iter().map(String::as_str).collect(),
        found: HashSet::new(),
        seed,
        sel: FlowSelection::default(),
    };
    crate::run(groups, settings, None, &mut s)?;
    let mut sel = s.sel;
    sel.missing = ids
        .iter()
        .filter(|i| !s.found.contains(*i))
        .cloned()
        .collect();
    Ok(sel)
}
