//! The pipelined driver: reading, decoding and flow updates overlap.
//!
//! Input comes as [`Window`]s (a block of a streamed pcap file, or a group
//! of chunks of a mapped, indexed file). Each step of the loop runs three
//! things at once on the rayon pool: fetch window `n + 2` (read + frame),
//! decode window `n + 1` (its chunks in parallel, each packet reduced to a
//! summary bucketed by shard), and feed window `n`'s buckets to the shard
//! tables (shards in parallel). Work stealing keeps both cores busy, and at
//! most three windows are alive, so memory does not grow with the file.
//!
//! Results do not depend on the thread count, for the same reasons as in
//! [`crate::parallel`]: a fixed number of shards chosen by a hash of the
//! port-less key, each shard fed in input order by exactly one task.
//!
//! A decoded summary must outlive the step that made it, while its window
//! is still owned by the loop, so it cannot borrow the window: it keeps its
//! payload prefix as an offset into [`Window::bytes`] and gets the slice
//! back when its shard consumes it. Hashes of the flow key are computed in
//! the parallel decode step, so the shard tables only compare keys.

use std::sync::Mutex;

use rayon::prelude::*;

use nwcap_pcap::packet::OuterUdp;
use nwcap_pcap::prefetch::prefetch_value;
use nwcap_pcap::{Packet, Record};

use crate::FlowConfig;
use crate::key::TunnelKey;
use crate::packed::{PackedKey, tunnel_hash};
use crate::parallel::{FlowOutput, finish_tables};
use crate::reader::PacketFilter;
use crate::summary::{FragRef, PacketSummary, Skip};
use crate::table::{FlowTable, TableStats, sort_flows};

/// A unit of input for [`run_pipeline`]: consecutive chunks of records of
/// one file whose packets all lie in one byte slice.
pub trait Window: Sync {
    /// The bytes every record (and so every payload) of the window lies in.
    fn bytes(&self) -> &[u8];
    /// Index of the file (caller's order).
    fn file(&self) -> u32;
    /// Number of chunks (units decoded in parallel).
    fn chunks(&self) -> usize;
    /// Input bytes the window stands for (progress).
    fn input_bytes(&self) -> u64;
    /// Calls `f` with each record of chunk `chunk` and its decoded packet,
    /// in file order. Packets not passed to `f` (filtered out) do not exist
    /// for the flow engine.
    fn for_each(&self, chunk: usize, f: &mut dyn FnMut(&Record<'_>, &Packet<'_>));
}

/// Receives progress from [`run_pipeline`] (the CLI draws a bar).
pub trait Progress: Sync {
    /// `bytes` more input bytes were fully processed.
    fn advance(&self, bytes: u64);
}

/// A packet summary detached from its window, packed to 112 bytes (every
/// packet is written once and read once through these): the payload prefix
/// is an offset into the window's bytes, the tunnel context an index into
/// its chunk's [`Buckets::tunnels`], the file and chunk come from the
/// window and the bucket.
struct Staged {
    key: PackedKey,
    hash: u64,
    ts: i64,
    /// Record index within the chunk.
    rec: u32,
    wire_len: u32,
    ip_len: u32,
    payload_len: u32,
    seq: u32,
    ack: u32,
    frag_id: u32,
    pay_at: u32,
    /// 1 + index into the chunk's tunnels, 0 when not tunnelled.
    tunnel: u32,
    pay_len: u16,
    window: u16,
    tcp_flags: u8,
    icmp_type: u8,
    icmp_code: u8,
    bits: u8,
}

const FROM_A: u8 = 1;
const TRUNCATED: u8 = 2;
const HAS_L4: u8 = 4;
const OUTER_LO: u8 = 8;
const FRAG: u8 = 16;
const FRAG_FIRST: u8 = 32;
const FRAG_SRC_LO: u8 = 64;
const PAYLOAD_CAPTURED: u8 = 128;

impl Staged {
    fn summary<'w>(
        &self,
        file: u32,
        chunk: u64,
        payload: &'w [u8],
        tunnels: &[(TunnelKey, Option<OuterUdp>)],
    ) -> PacketSummary<'w> {
        let bit = |b: u8| self.bits & b != 0;
        let tunnel = (self.tunnel as usize)
            .checked_sub(1)
            .and_then(|i| tunnels.get(i))
            .copied();
        PacketSummary {
            key: self.key,
            tunnel: tunnel.map(|t| t.0),
            outer_udp: tunnel.and_then(|t| t.1),
            from_a: bit(FROM_A),
            ord: chunk << 32 | u64::from(self.rec),
            file,
            ts: self.ts,
            wire_len: self.wire_len,
            ip_len: self.ip_len,
            payload_len: self.payload_len,
            truncated: bit(TRUNCATED),
            payload_captured: bit(PAYLOAD_CAPTURED),
            has_l4: bit(HAS_L4),
            tcp_flags: self.tcp_flags,
            seq: self.seq,
            ack: self.ack,
            window: self.window,
            icmp_type: self.icmp_type,
            icmp_code: self.icmp_code,
            outer_src_is_lo: bit(OUTER_LO),
            frag: bit(FRAG).then_some(FragRef {
                id: self.frag_id,
                first: bit(FRAG_FIRST),
                src_is_lo: bit(FRAG_SRC_LO),
            }),
            payload,
        }
    }
}

struct Buckets {
    shards: Vec<Vec<Staged>>,
    /// Tunnel contexts (and outer UDP headers) of this chunk's tunnelled
    /// packets.
    tunnels: Vec<(TunnelKey, Option<OuterUdp>)>,
    non_ip: u64,
    undecodable: u64,
}

/// Emptied buckets kept for reuse: their vectors keep their capacity, so
/// steady state allocates nothing per window.
type BucketPool = Mutex<Vec<Buckets>>;

fn fresh_buckets(pool: &BucketPool, shards: usize) -> Buckets {
    let reused = pool.lock().ok().and_then(|mut p| p.pop());
    match reused {
        Some(b) if b.shards.len() == shards => b,
        _ => Buckets {
            shards: (0..shards).map(|_| Vec::new()).collect(),
            tunnels: Vec::new(),
            non_ip: 0,
            undecodable: 0,
        },
    }
}

fn recycle(pool: &BucketPool, buckets: Vec<Buckets>) {
    if let Ok(mut p) = pool.lock() {
        for mut b in buckets {
            b.shards.iter_mut().for_each(Vec::clear);
            b.tunnels.clear();
            b.non_ip = 0;
            b.undecodable = 0;
            if p.len() < 64 {
                p.push(b);
            }
        }
    }
}

fn stage_chunk<W: Window + ?Sized>(
    w: &W,
    chunk: usize,
    shards: usize,
    filter: Option<&PacketFilter>,
    pool: &BucketPool,
) -> Buckets {
    let mut b = fresh_buckets(pool, shards);
    let base = w.bytes().as_ptr().addr();
    let base_len = w.bytes().len();
    let file = w.file();
    let mut i: u64 = 0;
    w.for_each(chunk, &mut |rec, pkt| {
        if filter.is_some_and(|keep| !keep(rec, pkt)) {
            return;
        }
        let rec_idx = i as u32;
        i += 1;
        match PacketSummary::new(file, 0, rec, pkt) {
            Ok(s) => {
                let (pay_at, pay_len) = match s.payload.as_ptr().addr().checked_sub(base) {
                    Some(at) if at + s.payload.len() <= base_len => {
                        match (u32::try_from(at), u16::try_from(s.payload.len())) {
                            (Ok(at), Ok(len)) => (at, len),
                            _ => (0, 0),
                        }
                    }
                    _ => (0, 0),
                };
                let th = s.tunnel.as_ref().map_or(0, tunnel_hash);
                let shard = s.shard(shards);
                let mut tunnel = 0;
                if let Some(t) = s.tunnel {
                    b.tunnels.push((t, s.outer_udp));
                    tunnel = u32::try_from(b.tunnels.len()).unwrap_or(0);
                }
                let frag = s.frag.unwrap_or(FragRef {
                    id: 0,
                    first: false,
                    src_is_lo: false,
                });
                let flag = |on: bool, b: u8| if on { b } else { 0 };
                b.shards[shard].push(Staged {
                    key: s.key,
                    hash: s.key.hash_with(th),
                    ts: s.ts,
                    rec: rec_idx,
                    wire_len: s.wire_len,
                    ip_len: s.ip_len,
                    payload_len: s.payload_len,
                    seq: s.seq,
                    ack: s.ack,
                    frag_id: frag.id,
                    pay_at,
                    tunnel,
                    pay_len,
                    window: s.window,
                    tcp_flags: s.tcp_flags,
                    icmp_type: s.icmp_type,
                    icmp_code: s.icmp_code,
                    bits: flag(s.from_a, FROM_A)
                        | flag(s.truncated, TRUNCATED)
                        | flag(s.has_l4, HAS_L4)
                        | flag(s.outer_src_is_lo, OUTER_LO)
                        | flag(s.frag.is_some(), FRAG)
                        | flag(frag.first, FRAG_FIRST)
                        | flag(frag.src_is_lo, FRAG_SRC_LO)
                        | flag(s.payload_captured, PAYLOAD_CAPTURED),
                });
            }
            Err(Skip::NonIp) => b.non_ip += 1,
            Err(Skip::Undecodable) => b.undecodable += 1,
        }
    });
    b
}

/// Packets ahead of the current one whose flows are prefetched.
const PREFETCH_AHEAD: usize = 8;

/// A window with its decoded buckets, waiting for the shard tables.
struct Decoded<W> {
    window: W,
    buckets: Vec<Buckets>,
    /// Input-wide index of the window's first chunk.
    first_chunk: u64,
}

fn decode_window<W: Window>(
    window: W,
    first_chunk: u64,
    shards: usize,
    filter: Option<&PacketFilter>,
    pool: &BucketPool,
) -> Decoded<W> {
    let buckets = (0..window.chunks())
        .into_par_iter()
        .map(|c| stage_chunk(&window, c, shards, filter, pool))
        .collect();
    Decoded {
        window,
        buckets,
        first_chunk,
    }
}

fn feed<W: Window>(tables: &mut [FlowTable], d: &Decoded<W>) -> Vec<Vec<crate::Flow>> {
    let bytes = d.window.bytes();
    let file = d.window.file();
    tables
        .par_iter_mut()
        .enumerate()
        .map(|(s, t)| {
            for (c, b) in d.buckets.iter().enumerate() {
                let chunk = d.first_chunk + c as u64;
                let list = &b.shards[s];
                for (i, st) in list.iter().enumerate() {
                    if let Some(later) = list.get(i + 2 * PREFETCH_AHEAD) {
                        prefetch_value(later);
                    }
                    if let Some(next) = list.get(i + PREFETCH_AHEAD) {
                        t.prefetch(next.hash);
                    }
                    let at = st.pay_at as usize;
                    let payload = bytes.get(at..at + usize::from(st.pay_len)).unwrap_or(&[]);
                    let p = st.summary(file, chunk, payload, &b.tunnels);
                    t.add_hashed(&p, st.hash);
                }
            }
            t.take_finished()
        })
        .collect()
}

/// Runs the flow engine over `windows` (in input order) on the current
/// rayon pool, overlapping input, decoding and flow updates. Packets the
/// `filter` rejects do not exist for the flow engine.
pub fn run_pipeline<W, I>(
    windows: I,
    cfg: &FlowConfig,
    filter: Option<&PacketFilter>,
    progress: Option<&dyn Progress>,
) -> FlowOutput
where
    W: Window + Send,
    I: IntoIterator<Item = W>,
    I::IntoIter: Send,
{
    let shards = cfg.shards.max(1);
    let mut tables: Vec<FlowTable> = (0..shards).map(|_| FlowTable::new(cfg.clone())).collect();
    let mut out = FlowOutput::default();
    let mut extra = TableStats::default();
    let mut iter = windows.into_iter();
    let mut next_chunk: u64 = 0;
    let mut fetched: Option<W> = iter.next();
    let mut decoded: Option<Decoded<W>> = None;
    let pool = &BucketPool::default();
    while fetched.is_some() || decoded.is_some() {
        let to_decode = fetched.take();
        let first_chunk = next_chunk;
        next_chunk += to_decode.as_ref().map_or(0, |w| w.chunks() as u64);
        let to_feed = decoded.take();
        let tables_ref = &mut tables;
        let iter_ref = &mut iter;
        let (read, (dec, finished)) = rayon::join(
            move || iter_ref.next(),
            move || {
                rayon::join(
                    move || to_decode.map(|w| decode_window(w, first_chunk, shards, filter, pool)),
                    move || {
                        to_feed.map(|d| {
                            let f = feed(tables_ref, &d);
                            (f, d)
                        })
                    },
                )
            },
        );
        if let Some((finished, d)) = finished {
            for b in &d.buckets {
                extra.non_ip += b.non_ip;
                extra.undecodable += b.undecodable;
            }
            for f in finished {
                out.flows.extend(f);
            }
            if let Some(p) = progress {
                p.advance(d.window.input_bytes());
            }
            recycle(pool, d.buckets);
        }
        fetched = read;
        decoded = dec;
    }
    finish_tables(tables, &mut out);
    out.stats.add(&extra);
    sort_flows(&mut out.flows);
    out
}
