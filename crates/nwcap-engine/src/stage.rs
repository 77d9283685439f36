//! Staging: each chunk of a block is decoded on its own worker, its
//! packets filtered, reduced to [`PacketSummary`] values, packed into
//! 112-byte records and bucketed by shard (a hash of the port-less key, so
//! every fragment of a datagram meets its flow's table).
//!
//! A staged packet must outlive the step that made it, while its block is
//! still owned by the driver, so it cannot borrow the block: it keeps its
//! payload prefix as an offset into [`Block::bytes`] and gets the slice back
//! when its shard consumes it. The flow key's hash is computed here, in
//! parallel, so the shard tables only compare keys.

use std::sync::Mutex;

use nwcap_flows::key::TunnelKey;
use nwcap_flows::packed::{PackedKey, tunnel_hash};
use nwcap_flows::summary::{FragRef, PacketSummary, Skip};
use nwcap_pcap::Block;
use nwcap_pcap::decode::decode_into;
use nwcap_pcap::packet::OuterUdp;
use nwcap_pcap::packet::Packet;
use nwcap_pcap::source::Walked;

use crate::report::Counts;
use crate::{Settings, Tally, select};

/// A packet summary detached from its window, packed to 112 bytes (every
/// packet is written once and read once through these): the payload prefix
/// is an offset into the window's bytes, the tunnel context an index into
/// its chunk's [`Buckets::tunnels`], the file and chunk come from the
/// window and the bucket.
pub(crate) struct Staged {
    key: PackedKey,
    pub(crate) hash: u64,
    ts: i64,
    /// Record index within the chunk.
    rec: u32,
    wire_len: u32,
    ip_len: u32,
    payload_len: u32,
    seq: u32,
    ack: u32,
    frag_id: u32,
    pub(crate) pay_at: u32,
    /// 1 + index into the chunk's tunnels, 0 when not tunnelled.
    tunnel: u32,
    pub(crate) pay_len: u16,
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
    pub(crate) fn summary<'w>(
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

pub(crate) struct Buckets {
    pub(crate) shards: Vec<Vec<Staged>>,
    /// Tunnel contexts (and outer UDP headers) of this chunk's tunnelled
    /// packets.
    pub(crate) tunnels: Vec<(TunnelKey, Option<OuterUdp>)>,
    /// What the chunk's packets did at each stage.
    pub(crate) counts: Counts,
    /// The observer's share of the chunk, when there is an observer.
    pub(crate) tally: Option<Box<dyn Tally>>,
    /// The [`BucketPool`] list it returns to.
    home: usize,
}

/// Emptied buckets kept for reuse: their vectors keep their capacity, so
/// steady state allocates nothing per block. One list per worker: a worker
/// refills the buckets it filled before, whose lines its own caches hold.
/// Buckets filled on one core and refilled on another made every staged
/// record's store fetch its line from the other core first (the staging
/// step took up to twice its single-thread time on two cores).
pub(crate) struct BucketPool {
    /// Index 0 for threads outside the pool, `i + 1` for worker `i`.
    homes: Vec<Mutex<Vec<Buckets>>>,
}

impl BucketPool {
    /// A pool for the current rayon pool's workers.
    pub(crate) fn new() -> BucketPool {
        BucketPool {
            homes: (0..=rayon::current_num_threads())
                .map(|_| Mutex::new(Vec::new()))
                .collect(),
        }
    }
}

/// The calling thread's list in a [`BucketPool`].
fn home() -> usize {
    rayon::current_thread_index().map_or(0, |i| i + 1)
}

fn fresh_buckets(pool: &BucketPool, shards: usize) -> Buckets {
    let home = home();
    let reused = pool
        .homes
        .get(home)
        .and_then(|h| h.lock().ok().and_then(|mut p| p.pop()));
    match reused {
        Some(b) if b.shards.len() == shards => b,
        _ => Buckets {
            shards: (0..shards).map(|_| Vec::new()).collect(),
            tunnels: Vec::new(),
            counts: Counts::default(),
            tally: None,
            home,
        },
    }
}

/// Empties `buckets` and gives each back to the list of the worker that
/// filled it.
pub(crate) fn recycle(pool: &BucketPool, buckets: Vec<Buckets>) {
    for mut b in buckets {
        b.shards.iter_mut().for_each(Vec::clear);
        b.tunnels.clear();
        b.counts = Counts::default();
        b.tally = None;
        if let Some(Ok(mut p)) = pool.homes.get(b.home).map(Mutex::lock)
            && p.len() < 64
        {
            p.push(b);
        }
    }
}

/// What staging a block's chunks needs: the block, where it comes from,
/// and the run's settings.
pub(crate) struct Stager<'a> {
    pub(crate) block: &'a Block,
    pub(crate) group: usize,
    /// Index of the block's input in the group.
    pub(crate) file: u32,
    pub(crate) shards: usize,
    pub(crate) settings: &'a Settings,
    pub(crate) pool: &'a BucketPool,
}

impl Stager<'_> {
    /// Decodes, filters and stages chunk `chunk`, walked from `from` if
    /// given ([`Block::walk`]); how the walk went, for [`Block::settle`].
    pub(crate) fn stage(&self, chunk: usize, from: Option<usize>) -> (Buckets, Walked) {
        stage_chunk(self, chunk, from)
    }
}

/// [`Stager::stage`].
fn stage_chunk(ctx: &Stager<'_>, chunk: usize, from: Option<usize>) -> (Buckets, Walked) {
    let Stager {
        block,
        group,
        file,
        shards,
        settings,
        pool,
    } = *ctx;
    let (filter, per_filter) = (settings.filter.as_ref(), settings.count_per_filter);
    let mut b = fresh_buckets(pool, shards);
    let mut tally = settings.observer.as_deref().map(|o| o.tally(group));
    let base = block.bytes().as_ptr().addr();
    let base_len = block.bytes().len();
    let mut i: u64 = 0;
    // Decoded in place, record after record (`decode_into`).
    let mut pkt = Packet::default();
    let walked = block.walk(chunk, from, &mut |rec| {
        decode_into(rec.linktype, rec.data, &mut pkt);
        let pkt = &pkt;
        let kept = select::keep(filter, per_filter, pkt, &mut b.counts);
        if let Some(t) = tally.as_mut() {
            t.record(file, rec, pkt, kept);
        }
        if !kept {
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
            // Counted by the filter stage (no five-tuple).
            Err(Skip::NonIp | Skip::Undecodable) => {}
        }
    });
    b.tally = tally;
    (b, walked)
}
