//! The parallel driver: identical results whatever the thread count.
//!
//! Phase 1: workers turn chunks (consecutive records of one file, handed
//! out in file order) into [`PacketSummary`] values, bucketed into a
//! *fixed* number of shards by a hash of the port-less key (addresses,
//! protocol, VLAN, tunnel), so all fragments of a datagram meet their flow.
//! Phase 2: one worker per shard runs the sequential [`FlowTable`] over its
//! buckets in chunk order. Every flow therefore sees its packets in file
//! order on exactly one table, and the shard count does not depend on the
//! thread count: the output equals a sequential run, bit for bit.
//!
//! Memory is bounded by processing a window of chunks at a time; finished
//! flows are collected after each window, active ones stay in the tables.

use nwcap_pcap::{Packet, Record};
use rayon::prelude::*;

use crate::FlowConfig;
use crate::flow::Flow;
use crate::summary::{PacketSummary, Skip};
use crate::table::{FlowTable, TableStats, sort_flows};

/// A block of consecutive records of one file, with their decoded packets.
///
/// The reader/CLI implements this for its own chunk type (decoding and, if
/// wanted, filtering inside `for_each`: packets not passed to `f` do not
/// exist for the flow engine).
pub trait PacketChunk: Sync {
    /// Index of the file (in the caller's order) the records belong to.
    fn file(&self) -> u32;
    /// Calls `f` with each record and its decoded packet, in file order.
    fn for_each<'s>(&'s self, f: &mut dyn FnMut(&Record<'s>, &Packet<'s>));
}

/// A chunk of already decoded packets (tests, small inputs).
#[derive(Debug, Clone, Default)]
pub struct DecodedChunk<'a> {
    /// File index.
    pub file: u32,
    /// Records with their decoded packets, in file order.
    pub packets: Vec<(Record<'a>, Packet<'a>)>,
}

impl PacketChunk for DecodedChunk<'_> {
    fn file(&self) -> u32 {
        self.file
    }

    fn for_each<'s>(&'s self, f: &mut dyn FnMut(&Record<'s>, &Packet<'s>)) {
        for (r, p) in &self.packets {
            f(r, p);
        }
    }
}

/// Flows and counters of a run.
#[derive(Debug, Default)]
pub struct FlowOutput {
    /// Flows sorted by first packet time, then input position.
    pub flows: Vec<Flow>,
    /// Counters summed over all shards.
    pub stats: TableStats,
}

struct Buckets<'s> {
    shards: Vec<Vec<PacketSummary<'s>>>,
    non_ip: u64,
    undecodable: u64,
}

fn summarize<'s, C: PacketChunk>(chunk: &'s C, chunk_idx: u64, shards: usize) -> Buckets<'s> {
    let mut b = Buckets {
        shards: (0..shards).map(|_| Vec::new()).collect(),
        non_ip: 0,
        undecodable: 0,
    };
    let file = chunk.file();
    let mut i: u64 = 0;
    chunk.for_each(&mut |rec, pkt| {
        let ord = (chunk_idx << 32) | (i & 0xffff_ffff);
        i += 1;
        match PacketSummary::new(file, ord, rec, pkt) {
            Ok(s) => {
                let shard = shard_of(&s, shards);
                b.shards[shard].push(s);
            }
            Err(Skip::NonIp) => b.non_ip += 1,
            Err(Skip::Undecodable) => b.undecodable += 1,
        }
    });
    b
}

/// The shard of a packet (see [`PacketSummary::shard`]).
fn shard_of(s: &PacketSummary<'_>, shards: usize) -> usize {
    s.shard(shards)
}

/// Runs the flow engine over `chunks` on the current rayon pool.
pub fn run_flows<C, I>(chunks: I, cfg: &FlowConfig) -> FlowOutput
where
    C: PacketChunk,
    I: IntoIterator<Item = C>,
{
    let shards = cfg.shards.max(1);
    let window = if cfg.window_chunks == 0 {
        (rayon::current_num_threads() * 2).max(2)
    } else {
        cfg.window_chunks
    };
    let mut tables: Vec<FlowTable> = (0..shards).map(|_| FlowTable::new(cfg.clone())).collect();
    let mut out = FlowOutput::default();
    let mut extra = TableStats::default();
    let mut iter = chunks.into_iter();
    let mut chunk_idx: u64 = 0;
    loop {
        let batch: Vec<C> = iter.by_ref().take(window).collect();
        if batch.is_empty() {
            break;
        }
        let base = chunk_idx;
        chunk_idx += batch.len() as u64;
        let buckets: Vec<Buckets<'_>> = batch
            .par_iter()
            .enumerate()
            .map(|(i, c)| summarize(c, base + i as u64, shards))
            .collect();
        for b in &buckets {
            extra.non_ip += b.non_ip;
            extra.undecodable += b.undecodable;
        }
        let finished: Vec<Vec<Flow>> = tables
            .par_iter_mut()
            .enumerate()
            .map(|(s, t)| {
                for b in &buckets {
                    for p in &b.shards[s] {
                        t.add(p);
                    }
                }
                t.take_finished()
            })
            .collect();
        for f in finished {
            out.flows.extend(f);
        }
    }
    finish_tables(tables, &mut out);
    out.stats.add(&extra);
    sort_flows(&mut out.flows);
    out
}

/// Moves every flow of `tables` (finished or live) into `out`, one table
/// at a time into room reserved once, so at most one table's flows exist
/// twice (a million flows would otherwise be held twice at the end).
pub(crate) fn finish_tables(tables: Vec<FlowTable>, out: &mut FlowOutput) {
    let total: usize = tables.iter().map(FlowTable::held).sum();
    out.flows.reserve_exact(total);
    for t in tables {
        let stats = t.finish_into(&mut out.flows);
        out.stats.add(&stats);
    }
}

/// Runs the flow engine on the given rayon pool (e.g. to fix the thread
/// count); the result does not depend on the pool's size.
pub fn run_flows_in_pool<C, I>(pool: &rayon::ThreadPool, chunks: I, cfg: &FlowConfig) -> FlowOutput
where
    C: PacketChunk + Send,
    I: IntoIterator<Item = C> + Send,
{
    pool.install(|| run_flows(chunks, cfg))
}
