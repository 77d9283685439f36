//! The sequential flow table: one per shard, fed packets in file order.
//!
//! Memory follows active flows: a flow ends when its timeout passes
//! (checked when its next packet arrives, and by a sweep each time the
//! table's clock advances by `sweep_interval`), when a new SYN follows a
//! closed TCP connection, or at [`FlowTable::finish`]. An ended flow waits
//! (an expired one in its slot) until it is taken: by [`merge_finished`]
//! over several tables, or [`FlowTable::take_finished`] for one table.
//!
//! Tunnels: a packet tunnelled in UDP (VXLAN, Geneve, Teredo, AYIYA,
//! GTP-U, GRE in UDP) counts in two flows, as in Zeek: the outer UDP
//! connection and the inner one, which records the outer one as its
//! tunnel parent.
//!
//! Fragments join their datagram's flow in any arrival order (see
//! `frags`); one whose first fragment never comes joins the flow of the
//! same addresses and protocol without ports (and is counted in
//! [`TableStats::orphan_fragments`]).
//!
//! TCP flows that end keep their Wireshark analysis state for a later flow
//! of the same 5-tuple (see `streams`).

use hashbrown::HashTable;
use nwcap_pcap::prefetch::prefetch_value;
use nwcap_pcap::{Packet, Record, TimestampNs};
use rustc_hash::FxHashMap;

use crate::FlowConfig;
use crate::flow::{Flow, OutputKey};
use crate::frags::{FragKey, Fragments, Held};
use crate::key::TunnelKey;
use crate::packed::{PackedKey, tunnel_hash};
use crate::streams::EndedStreams;
use crate::summary::{PacketSummary, Skip};

/// Packet counts that did not become flow packets or need a note.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableStats {
    /// Packets added to flows.
    pub packets: u64,
    /// Frames that are not IP.
    pub non_ip: u64,
    /// Frames that could not be decoded up to IP.
    pub undecodable: u64,
    /// Non-first fragments whose first fragment was not seen.
    pub orphan_fragments: u64,
    /// Flows emitted.
    pub flows: u64,
}

impl TableStats {
    /// Adds another table's counts.
    pub fn add(&mut self, o: &TableStats) {
        self.packets += o.packets;
        self.non_ip += o.non_ip;
        self.undecodable += o.undecodable;
        self.orphan_fragments += o.orphan_fragments;
        self.flows += o.flows;
    }
}

/// A flow key with its hash computed once (in the parallel decode step):
/// lookups hash nothing and compare the hash before the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct HKey {
    hash: u64,
    key: PackedKey,
}

/// The live flows of a table: a slab of flows, their keys and expiry
/// deadlines in dense arrays indexed by slot, and a hash index of slot
/// numbers (4 bytes an entry, so the index stays in the core's cache while
/// the flows do not). The sweep scans only the deadlines.
#[derive(Debug, Default)]
struct Slab {
    index: HashTable<u32>,
    keys: Vec<HKey>,
    flows: Vec<Option<Flow>>,
    /// Time after which the slot's flow has expired (`i64::MAX`: free, or
    /// its flow has ended and waits to be taken).
    deadline: Vec<TimestampNs>,
    free: Vec<u32>,
}

impl Slab {
    fn len(&self) -> usize {
        self.index.len()
    }

    #[inline]
    fn find(&self, k: &HKey) -> Option<usize> {
        let keys = &self.keys;
        self.index
            .find(k.hash, |&s| keys[s as usize] == *k)
            .map(|&s| s as usize)
    }

    fn insert(&mut self, k: HKey, f: Flow, deadline: TimestampNs) -> usize {
        let slot = match self.free.pop() {
            Some(s) => {
                let i = s as usize;
                self.keys[i] = k;
                self.flows[i] = Some(f);
                self.deadline[i] = deadline;
                s
            }
            None => {
                // A table never holds 2^32 flows: memory runs out first.
                let s = u32::try_from(self.keys.len()).unwrap_or(u32::MAX);
                self.keys.push(k);
                self.flows.push(Some(f));
                self.deadline.push(deadline);
                s
            }
        };
        let keys = &self.keys;
        self.index
            .insert_unique(k.hash, slot, |&s| keys[s as usize].hash);
        slot as usize
    }

    /// Retires the flow of `slot`: it leaves the index (a later packet of
    /// its key starts a new flow) and the sweep, but stays in its slot
    /// until [`Slab::take`]; false if the slot holds no live flow (free,
    /// or retired already: a clock at `i64::MAX` reaches their deadline).
    fn retire(&mut self, slot: usize) -> bool {
        if !self.flows.get(slot).is_some_and(Option::is_some) {
            return false;
        }
        let hash = self.keys[slot].hash;
        let Ok(e) = self.index.find_entry(hash, |&s| s as usize == slot) else {
            return false;
        };
        e.remove();
        self.deadline[slot] = TimestampNs::MAX;
        true
    }

    /// Moves a retired flow out and frees its slot.
    fn take(&mut self, slot: usize) -> Option<Flow> {
        let f = self.flows.get_mut(slot)?.take()?;
        self.free.push(u32::try_from(slot).unwrap_or(u32::MAX));
        Some(f)
    }

    fn drain(&mut self) -> impl Iterator<Item = Flow> + '_ {
        self.index.clear();
        self.keys.clear();
        self.deadline.clear();
        self.free.clear();
        self.flows.drain(..).flatten()
    }
}

/// A flow table processing packets sequentially.
#[derive(Debug)]
pub struct FlowTable {
    cfg: FlowConfig,
    map: Slab,
    /// Shard-local ids of the tunnel contexts met so far (ids from 1).
    tunnels: FxHashMap<TunnelKey, u32>,
    frags: Fragments,
    /// TCP analysis of flows the sweep ended.
    ended: EndedStreams,
    /// Flows a packet split off (a new SYN, or the old flow had timed
    /// out), all `Some` until merged (the option lets a merge of several
    /// tables move each flow out once, in any order).
    done: Vec<Option<Flow>>,
    /// Finished flows not yet taken, in the order they ended: split ones
    /// in `done`, expired ones still in their slab slot (moved once, by
    /// the merge, straight into the output).
    finished: Vec<Waiting>,
    now: TimestampNs,
    next_sweep: Option<TimestampNs>,
    stats: TableStats,
    ord: u64,
}

impl FlowTable {
    /// An empty table.
    pub fn new(cfg: FlowConfig) -> Self {
        FlowTable {
            frags: Fragments::new(cfg.frag_timeout_ns, cfg.frag_capacity),
            cfg,
            map: Slab::default(),
            tunnels: FxHashMap::default(),
            ended: EndedStreams::default(),
            done: Vec::new(),
            finished: Vec::new(),
            now: TimestampNs::MIN,
            next_sweep: None,
            stats: TableStats::default(),
            ord: 0,
        }
    }

    /// Convenience for sequential use: summarises and adds one decoded
    /// packet of file `file`.
    pub fn push(&mut self, file: u32, rec: &Record<'_>, pkt: &Packet<'_>) {
        let ord = self.ord;
        self.ord += 1;
        match PacketSummary::new(file, ord, rec, pkt) {
            Ok(s) => self.add(&s),
            Err(skip) => self.skipped(skip),
        }
    }

    /// Counts a frame that is not part of any flow.
    pub fn skipped(&mut self, skip: Skip) {
        match skip {
            Skip::NonIp => self.stats.non_ip += 1,
            Skip::Undecodable => self.stats.undecodable += 1,
        }
    }

    /// Number of flows currently in the table.
    pub fn active(&self) -> usize {
        self.map.len()
    }

    /// Hint: a packet whose key hash is `hash` comes soon; starts loading
    /// its flow into the cache (the flows of a busy table do not fit it).
    #[inline]
    pub fn prefetch(&self, hash: u64) {
        // The first slot with a matching tag is almost always the one.
        if let Some(&slot) = self.map.index.find(hash, |_| true) {
            let slot = slot as usize;
            if let (Some(k), Some(Some(f))) = (self.map.keys.get(slot), self.map.flows.get(slot)) {
                prefetch_value(k);
                prefetch_value(f);
            }
        }
    }

    /// Adds one packet summary.
    pub fn add(&mut self, p: &PacketSummary<'_>) {
        let th = p.tunnel.as_ref().map_or(0, tunnel_hash);
        self.add_hashed(p, p.key.hash_with(th));
    }

    /// Adds one packet summary whose key hash (`p.key.hash_with` the
    /// [`tunnel_hash`] of `p.tunnel`, or 0) is already known.
    pub fn add_hashed(&mut self, p: &PacketSummary<'_>, hash: u64) {
        self.stats.packets += 1;
        if p.ts > self.now {
            self.now = p.ts;
            match self.next_sweep {
                None => self.next_sweep = Some(p.ts.saturating_add(self.cfg.sweep_interval_ns)),
                Some(t) if p.ts >= t => {
                    self.sweep();
                    self.next_sweep = Some(p.ts.saturating_add(self.cfg.sweep_interval_ns));
                }
                Some(_) => {}
            }
        }
        // A packet tunnelled in UDP is also a packet of the tunnel's outer
        // connection (which the sharding put in this table too).
        let parent = p.outer().and_then(|o| {
            let slot = self.add_one(&o, o.key.hash_with(0))?;
            let outer = self.map.flows[slot].as_mut()?;
            outer.carried += 1;
            outer.carried_bytes += u64::from(o.wire_len);
            Some(outer.as_parent())
        });
        if let Some(slot) = self.add_one(p, hash)
            && let Some(parent) = parent
            && let Some(f) = self.map.flows[slot].as_mut()
        {
            f.add_parent(parent);
        }
    }

    /// Adds one packet to its flow; returns the flow's slot (none for a
    /// fragment held until its datagram's first fragment).
    fn add_one(&mut self, p: &PacketSummary<'_>, hash: u64) -> Option<usize> {
        let mut pkey = p.key;
        if let Some(t) = &p.tunnel {
            let next = u32::try_from(self.tunnels.len() + 1).unwrap_or(u32::MAX);
            pkey.tunnel = *self.tunnels.entry(*t).or_insert(next);
        }
        let Some(fr) = p.frag else {
            return self.add_keyed(p, pkey, p.from_a, hash);
        };
        let fk: FragKey = (pkey.without_ports(), fr.src_is_lo, fr.id);
        if fr.first {
            let held = if p.has_l4 {
                self.frags.first(fk, pkey, p.from_a, p.ts)
            } else {
                Vec::new()
            };
            let slot = self.add_keyed(p, pkey, p.from_a, hash);
            for h in held {
                self.add_one(&h.packet, h.hash);
            }
            return slot;
        }
        match self.frags.resolve(&fk, p.ts) {
            Some((key, from_a)) => {
                let h = key.hash_with(p.tunnel.as_ref().map_or(0, tunnel_hash));
                self.add_keyed(p, key, from_a, h)
            }
            None => {
                let orphans = self.frags.hold(
                    fk,
                    Held {
                        packet: p.detached(),
                        key: pkey,
                        hash,
                    },
                );
                self.add_orphans(orphans);
                None
            }
        }
    }

    /// Adds fragments whose datagram's first fragment never came: to the
    /// flow of their addresses and protocol, without ports.
    fn add_orphans(&mut self, orphans: Vec<Held>) {
        for h in orphans {
            self.stats.orphan_fragments += 1;
            self.add_keyed(&h.packet, h.key, h.packet.from_a, h.hash);
        }
    }

    /// Adds one packet to the flow of `key` (`from_a` relative to it).
    fn add_keyed(
        &mut self,
        p: &PacketSummary<'_>,
        key: PackedKey,
        from_a: bool,
        hash: u64,
    ) -> Option<usize> {
        let hkey = HKey { hash, key };
        let cfg = &self.cfg;
        match self.map.find(&hkey) {
            Some(slot) => {
                let flow = self.map.flows[slot].as_mut()?;
                if flow.ends_before(p, cfg) {
                    let mut fresh = Flow::start(key.to_flow_key(p.tunnel), p, from_a, cfg);
                    fresh.inherit_analysis(flow, p, cfg.tcp_timeout_ns);
                    fresh.update(p, from_a, cfg);
                    let old = std::mem::replace(flow, fresh);
                    self.map.deadline[slot] = flow.ends_at(cfg);
                    self.emit(old);
                } else {
                    flow.update(p, from_a, cfg);
                    self.map.deadline[slot] = flow.ends_at(cfg);
                }
                Some(slot)
            }
            None => {
                let mut f = Flow::start(key.to_flow_key(p.tunnel), p, from_a, cfg);
                if key.proto == nwcap_pcap::packet::ipproto::TCP
                    && let Some(a) = self.ended.take(&key, p.ts, cfg.tcp_timeout_ns)
                {
                    f.continue_analysis(a, p);
                }
                f.update(p, from_a, cfg);
                let deadline = f.ends_at(cfg);
                Some(self.map.insert(hkey, f, deadline))
            }
        }
    }

    fn emit(&mut self, f: Flow) {
        self.stats.flows += 1;
        let at = u32::try_from(self.done.len()).unwrap_or(u32::MAX);
        self.done.push(Some(f));
        self.finished.push(Waiting::Split(at));
    }

    /// Emits every flow whose timeout has passed at the table's clock.
    pub fn sweep(&mut self) {
        let now = self.now;
        for slot in 0..self.map.deadline.len() {
            // Left in its slot until the merge moves it out.
            if now < self.map.deadline[slot] || !self.map.retire(slot) {
                continue;
            }
            self.stats.flows += 1;
            self.finished
                .push(Waiting::Slot(u32::try_from(slot).unwrap_or(u32::MAX)));
            if let Some(Some(f)) = self.map.flows.get(slot)
                && let Some(a) = f.analysis_state()
            {
                self.ended
                    .keep(self.map.keys[slot].key, a.clone(), f.last_ts);
            }
        }
        self.ended.expire(now, self.cfg.tcp_timeout_ns);
        self.frags.expire(now);
    }

    /// A finished flow not yet taken.
    fn waiting(&self, w: Waiting) -> Option<&Flow> {
        match w {
            Waiting::Slot(s) => self.map.flows.get(s as usize)?.as_ref(),
            Waiting::Split(i) => self.done.get(i as usize)?.as_ref(),
        }
    }

    /// Moves a finished flow out (its slot, if it had one, is free again).
    fn take_waiting(&mut self, w: Waiting) -> Option<Flow> {
        match w {
            Waiting::Slot(s) => self.map.take(s as usize),
            Waiting::Split(i) => self.done.get_mut(i as usize)?.take(),
        }
    }

    /// Forgets the finished flows, all taken (the lists keep their
    /// capacity).
    fn clear_finished(&mut self) {
        self.finished.clear();
        self.done.clear();
    }

    /// Moves the flows finished so far (expired or split) to the end of
    /// `out`, in the output order ([`merge_finished`] for one table): a
    /// table used on its own hands them over with this, or keeps them until
    /// [`FlowTable::finish`].
    pub fn take_finished(&mut self, out: &mut Vec<Flow>) {
        merge_finished(std::slice::from_mut(self), out);
    }

    /// Ends the input: every flow is emitted, in the output order
    /// ([`Flow::output_key`]).
    pub fn finish(self) -> (Vec<Flow>, TableStats) {
        let (mut flows, stats) = self.finish_unsorted();
        sort_flows(&mut flows);
        (flows, stats)
    }

    /// [`FlowTable::finish`] without the sort (the drivers sort once, over
    /// all shards).
    pub(crate) fn finish_unsorted(self) -> (Vec<Flow>, TableStats) {
        let mut flows = Vec::with_capacity(self.held());
        let stats = self.finish_into(&mut flows);
        (flows, stats)
    }

    /// Counters so far.
    pub fn stats(&self) -> TableStats {
        self.stats
    }

    /// Flows held: finished and not yet taken, plus live ones.
    pub fn held(&self) -> usize {
        self.finished.len() + self.map.len()
    }

    /// Ends the input, moving every flow into `out` (unsorted).
    pub fn finish_into(mut self, out: &mut Vec<Flow>) -> TableStats {
        let orphans = self.frags.drain_held();
        self.add_orphans(orphans);
        let finished = std::mem::take(&mut self.finished);
        out.extend(finished.into_iter().filter_map(|w| self.take_waiting(w)));
        self.clear_finished();
        let live = self.map.len();
        self.stats.flows += live as u64;
        out.extend(self.map.drain());
        self.stats
    }
}

/// Where a finished flow waits for the merge.
#[derive(Debug, Clone, Copy)]
enum Waiting {
    /// In this slab slot (it expired).
    Slot(u32),
    /// At this index of the table's split flows.
    Split(u32),
}

/// Moves the flows finished so far in each table (expired or split) to the
/// end of `out`, leaving the active ones, in the output order of
/// [`sort_flows`], ties by table then by the order they ended. Only small
/// keys are sorted; each flow moves once, from its slot into `out`.
pub fn merge_finished(tables: &mut [FlowTable], out: &mut Vec<Flow>) {
    let mut order: Vec<(OutputKey, u32, u32)> = Vec::new();
    for (t, table) in tables.iter().enumerate() {
        for (i, &w) in table.finished.iter().enumerate() {
            if let (Some(f), Ok(t), Ok(i)) = (table.waiting(w), u32::try_from(t), u32::try_from(i))
            {
                order.push((f.output_key(), t, i));
            }
        }
    }
    order.sort_unstable();
    out.reserve(order.len());
    for (_, t, i) in order {
        let Some(table) = tables.get_mut(t as usize) else {
            continue;
        };
        if let Some(f) = table
            .finished
            .get(i as usize)
            .copied()
            .and_then(|w| table.take_waiting(w))
        {
            out.push(f);
        }
    }
    tables.iter_mut().for_each(FlowTable::clear_finished);
}

/// The output order ([`Flow::output_key`]): first packet time, then
/// position in the input, then a tunnel's outer connection first.
///
/// Flows are large, so the sort orders small (key, index) pairs and then
/// applies the permutation in place with swaps (each flow moves about
/// once, instead of `log n` times in a comparison sort).
pub fn sort_flows(flows: &mut [Flow]) {
    let mut order: Vec<(OutputKey, usize)> = flows
        .iter()
        .enumerate()
        .map(|(i, f)| (f.output_key(), i))
        .collect();
    order.sort_unstable();
    // dest[i] = the position flow i must go to.
    let mut dest = vec![0usize; flows.len()];
    for (to, &(_, from)) in order.iter().enumerate() {
        dest[from] = to;
    }
    for i in 0..flows.len() {
        while dest[i] != i {
            let j = dest[i];
            flows.swap(i, j);
            dest.swap(i, j);
        }
    }
}
