//! IP fragments attributed to their datagram's flow in any arrival order.
//!
//! The first fragment of a datagram (offset 0) carries the ports; a table
//! remembers (port-less key, direction, IP id) -> the datagram's flow key
//! for the fragment timeout (Zeek's `frag_timeout`, 5 min). A later
//! fragment whose datagram is known joins that flow at once. One that
//! arrives before its first fragment (Linux sends a large datagram last
//! fragment first) is held until the first fragment comes, within the
//! timeout, then joins the flow after it. Fragments whose first fragment
//! never comes in time join the flow of their addresses and protocol
//! without ports, as orphans, at the end of the input: applied then, in
//! the order they came, they do not depend on when a table swept its
//! flows, so results stay the same for any number of shards. Both maps are
//! bounded (oldest first out when full, the held ones then become orphans
//! at once); a held fragment keeps no payload.

use std::collections::VecDeque;

use nwcap_pcap::TimestampNs;
use rustc_hash::FxHashMap;

use crate::packed::PackedKey;
use crate::summary::PacketSummary;

/// A datagram: port-less key (with tunnel id), sender is its `a`, IP id.
pub(crate) type FragKey = (PackedKey, bool, u32);

/// A fragment held for its datagram's first fragment: the packet (no
/// payload), and its own key (with tunnel id) and that key's hash.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Held {
    pub packet: PacketSummary<'static>,
    pub key: PackedKey,
    pub hash: u64,
}

#[derive(Debug)]
pub(crate) struct Fragments {
    ttl: i64,
    capacity: usize,
    known: FxHashMap<FragKey, (PackedKey, bool, TimestampNs)>,
    known_order: VecDeque<(FragKey, TimestampNs)>,
    /// Held fragments by datagram, with the time the first was held.
    held: FxHashMap<FragKey, (TimestampNs, Vec<Held>)>,
    held_order: VecDeque<(FragKey, TimestampNs)>,
    held_count: usize,
}

impl Fragments {
    pub fn new(ttl: i64, capacity: usize) -> Fragments {
        Fragments {
            ttl,
            capacity: capacity.max(1),
            known: FxHashMap::default(),
            known_order: VecDeque::new(),
            held: FxHashMap::default(),
            held_order: VecDeque::new(),
            held_count: 0,
        }
    }

    /// A first fragment of datagram `fk` with flow key `key` (`from_a`) at
    /// `ts`; returns the fragments held for it, to add after it.
    pub fn first(
        &mut self,
        fk: FragKey,
        key: PackedKey,
        from_a: bool,
        ts: TimestampNs,
    ) -> Vec<Held> {
        if self.known.len() >= self.capacity {
            self.forget_known(ts, true);
        }
        if self.known.insert(fk, (key, from_a, ts)).is_none() {
            self.known_order.push_back((fk, ts));
        }
        let Some((t0, list)) = self.held.remove(&fk) else {
            return Vec::new();
        };
        // Fragments held longer than the timeout before this one stay
        // orphans.
        let (late, stale): (Vec<Held>, Vec<Held>) = list
            .into_iter()
            .partition(|h| ts.saturating_sub(h.packet.ts) <= self.ttl);
        self.held_count -= late.len();
        if !stale.is_empty() {
            self.held.insert(fk, (t0, stale));
        }
        late
    }

    /// The flow key and direction of a later fragment of `fk` at `ts`, if
    /// its datagram is known.
    pub fn resolve(&self, fk: &FragKey, ts: TimestampNs) -> Option<(PackedKey, bool)> {
        match self.known.get(fk) {
            Some(&(k, from_a, t)) if ts.saturating_sub(t) <= self.ttl => Some((k, from_a)),
            _ => None,
        }
    }

    /// Holds a later fragment of `fk`; returns the fragments that must
    /// leave as orphans to make room.
    pub fn hold(&mut self, fk: FragKey, h: Held) -> Vec<Held> {
        let mut out = Vec::new();
        while self.held_count >= self.capacity {
            match self.pop_oldest_held() {
                Some(v) => out.extend(v),
                None => break,
            }
        }
        let ts = h.packet.ts;
        let entry = self.held.entry(fk).or_insert_with(|| (ts, Vec::new()));
        if entry.1.is_empty() {
            entry.0 = ts;
            self.held_order.push_back((fk, ts));
        }
        entry.1.push(h);
        self.held_count += 1;
        out
    }

    /// The held fragments of the oldest datagram (none when its entry is
    /// stale: the datagram's first fragment came meanwhile).
    fn pop_oldest_held(&mut self) -> Option<Vec<Held>> {
        let (fk, t) = self.held_order.pop_front()?;
        Some(self.take_held(&fk, t))
    }

    fn take_held(&mut self, fk: &FragKey, t: TimestampNs) -> Vec<Held> {
        if self.held.get(fk).is_none_or(|e| e.0 != t) {
            return Vec::new();
        }
        let v = self.held.remove(fk).map(|e| e.1).unwrap_or_default();
        self.held_count -= v.len();
        v
    }

    /// At `now`: forgets datagrams older than the timeout.
    pub fn expire(&mut self, now: TimestampNs) {
        self.forget_known(now, false);
    }

    /// Every held fragment (the end of the input), oldest first.
    pub fn drain_held(&mut self) -> Vec<Held> {
        let mut out = Vec::new();
        while let Some(v) = self.pop_oldest_held() {
            out.extend(v);
        }
        out
    }

    /// Drops datagrams older than the timeout, or the oldest one when
    /// `force` is set and none is old enough.
    fn forget_known(&mut self, now: TimestampNs, force: bool) {
        let mut dropped = false;
        while let Some(&(k, t)) = self.known_order.front() {
            let old = now.saturating_sub(t) > self.ttl;
            if !(old || (force && !dropped)) {
                break;
            }
            self.known_order.pop_front();
            if self.known.get(&k).is_some_and(|e| e.2 == t) {
                self.known.remove(&k);
            }
            dropped = true;
        }
    }
}
