//! The driver: reading, decoding, flow updates and the sink overlap.
//!
//! Each step of the loop runs four things at once on the rayon pool: read
//! block `n + 3` of the input (map it and guess where its chunks' records
//! start, for a classic pcap file; read and frame it otherwise), decode
//! block `n + 2` (its chunks in parallel, each packet filtered and staged
//! by shard, then the block settled: a chunk walked from a wrong guess is
//! decoded again), feed block `n + 1`'s buckets to the shard tables
//! (shards in parallel), and hand the flows that ended in block `n` to the
//! sink. Work stealing keeps every core busy, and at most four blocks are
//! alive, so memory follows the blocks and the active flows, not the
//! input.
//!
//! Results do not depend on the thread count: a fixed number of shards is
//! chosen by a hash of the port-less key, each shard is fed in input order
//! by exactly one task, and blocks and chunks are cut at the same places
//! whatever the threads.
//!
//! **Output order.** Flows leave as they end (a timeout, a TCP split, the
//! end of the input), block by block: the flows that ended while one block
//! was fed form one batch, sorted by first packet time, then by position
//! of the first packet in the input, then a tunnel's outer connection
//! before the one inside it (`Flow::output_key`). The flows still active
//! at the end of a group come last, in the same order. The same for any
//! thread count.

use nwcap_flows::flow::OutputKey;
use nwcap_flows::table::{FlowTable, TableStats, merge_finished};
use nwcap_flows::{Flow, FlowConfig};
use nwcap_pcap::Block;
use nwcap_pcap::prefetch::prefetch_value;
use rayon::prelude::*;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::group::{self, Group, Pending};
use crate::report::{Counts, FileReport, RunReport};
use crate::sink::{FlowSink, GroupInfo, SinkError, drop_flows};
use crate::stage::{BucketPool, Buckets, Stager, recycle};
use crate::{Progress, Settings};

/// Packets ahead of the current one whose flows are prefetched.
const PREFETCH_AHEAD: usize = 8;
/// Flows per batch handed to the sink at the end of a group.
const END_BATCH: usize = 65_536;

/// Why a run stopped early.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The sink failed (a write error, a closed pipe): the run stopped.
    #[error("{0}")]
    Sink(SinkError),
}

impl EngineError {
    /// The sink's error.
    pub fn into_inner(self) -> SinkError {
        match self {
            EngineError::Sink(e) => e,
        }
    }
}

/// A block of one input of the group.
struct Unit {
    block: Block,
    file: u32,
}

/// A block with its staged buckets, waiting for the shard tables.
struct Decoded {
    unit: Unit,
    buckets: Vec<Buckets>,
    /// Group-wide index of the block's first chunk.
    first_chunk: u64,
}

/// The group's inputs as one sequence of blocks, in capture order.
struct Feed {
    pending: Vec<Pending>,
    at: usize,
    current: Option<nwcap_pcap::Source>,
    /// The reports of the inputs closed so far, with their sources'
    /// ledgers (read when the group ends: a source's last blocks settle
    /// after it closes).
    reports: Vec<(FileReport, Option<nwcap_pcap::source::Ledger>)>,
    group: usize,
    block_bytes: Option<usize>,
}

impl Feed {
    fn close_current(&mut self, error: Option<String>) {
        if let Some(s) = self.current.take() {
            let report = FileReport {
                group: self.group,
                name: s.name().to_string(),
                format: Some(s.format()),
                compressed: s.compressed(),
                records: 0,
                damage: Vec::new(),
                error,
            };
            self.reports.push((report, Some(s.ledger())));
        }
        self.at += 1;
    }
}

impl Iterator for Feed {
    type Item = Unit;

    fn next(&mut self) -> Option<Unit> {
        loop {
            if self.current.is_none() {
                let p = self.pending.get_mut(self.at)?;
                match p.take() {
                    Ok(s) => {
                        let s = s.speculative();
                        self.current = Some(match self.block_bytes {
                            Some(n) => s.with_block_bytes(n),
                            None => s,
                        });
                    }
                    Err(e) => {
                        let report = FileReport {
                            group: self.group,
                            name: p.name.clone(),
                            format: None,
                            compressed: false,
                            records: 0,
                            damage: Vec::new(),
                            error: Some(e),
                        };
                        self.reports.push((report, None));
                        self.at += 1;
                        continue;
                    }
                }
            }
            let file = u32::try_from(self.at).unwrap_or(u32::MAX);
            let step = self.current.as_mut().map(nwcap_pcap::Source::next_block);
            match step {
                Some(Ok(Some(block))) => return Some(Unit { block, file }),
                Some(Ok(None)) | None => self.close_current(None),
                Some(Err(e)) => {
                    let name = self
                        .current
                        .as_ref()
                        .map_or(String::new(), |s| s.name().to_string());
                    self.close_current(Some(format!("{name}: read error: {e}")));
                }
            }
        }
    }
}

/// Decodes a block's chunks in parallel, then settles the block: a chunk
/// whose walk started at a wrong guess is decoded again (serially, from
/// where the previous chunk ended), and chunks after damage that stops the
/// file are dropped.
fn decode_unit(
    unit: Unit,
    group: usize,
    first_chunk: u64,
    settings: &Settings,
    shards: usize,
    pool: &BucketPool,
) -> Decoded {
    let block = &unit.block;
    let stager = Stager {
        block,
        group,
        file: unit.file,
        shards,
        settings,
        pool,
    };
    let (mut buckets, mut walks): (Vec<Buckets>, Vec<_>) = (0..block.chunks())
        .into_par_iter()
        .map(|c| stager.stage(c, None))
        .unzip();
    let kept = block.settle(&mut walks, &mut |c, from| {
        let (b, w) = stager.stage(c, Some(from));
        if let Some(old) = buckets.get_mut(c) {
            recycle(pool, vec![std::mem::replace(old, b)]);
        }
        w
    });
    if kept < buckets.len() {
        recycle(pool, buckets.split_off(kept));
    }
    Decoded {
        unit,
        buckets,
        first_chunk,
    }
}

/// Feeds a decoded block to the shard tables; the flows that ended, in
/// output order, appended to `out` (an emptied batch, reused: its pages
/// are already touched).
fn feed(tables: &mut [FlowTable], d: &Decoded, mut out: Vec<Flow>) -> Vec<Flow> {
    let bytes = d.unit.block.bytes();
    let file = d.unit.file;
    tables.par_iter_mut().enumerate().for_each(|(s, t)| {
        for (c, b) in d.buckets.iter().enumerate() {
            let chunk = d.first_chunk + c as u64;
            let list = &b.shards[s];
            for (i, st) in list.iter().enumerate() {
                if let Some(later) = list.get(i + 2 * PREFETCH_AHEAD) {
                    prefetch_value(later);
                }
                if let Some(next) = list.get(i + PREFETCH_AHEAD) {
                    t.prefetch(next.hash);
                    // The payload's first cache line: the flow may look
                    // at it (service hints), and it may have been last
                    // read on another core.
                    if next.pay_len > 0
                        && let Some(first) = bytes.get(next.pay_at as usize)
                    {
                        prefetch_value(first);
                    }
                }
                let at = st.pay_at as usize;
                let payload = bytes.get(at..at + usize::from(st.pay_len)).unwrap_or(&[]);
                let p = st.summary(file, chunk, payload, &b.tunnels);
                t.add_hashed(&p, st.hash);
            }
        }
    });
    merge_finished(tables, &mut out);
    out
}

/// Hands `batch` to the sink, then drops what the sink left; the emptied
/// batch is kept for reuse.
fn sink_batch(sink: &mut dyn FlowSink, batch: &mut Vec<Flow>) -> Result<u64, SinkError> {
    let n = batch.len() as u64;
    let sunk = sink.flows(batch);
    drop_flows(batch);
    sunk.map(|()| n)
}

/// Sorted lists of flows merged into one sorted sequence (the output
/// order: first packet time, then input position).
struct Merge {
    lists: Vec<std::iter::Peekable<std::vec::IntoIter<Flow>>>,
    /// The next flow's sort key and its list, smallest first.
    heap: BinaryHeap<Reverse<(OutputKey, usize)>>,
}

impl Merge {
    fn new(mut lists: Vec<std::iter::Peekable<std::vec::IntoIter<Flow>>>) -> Merge {
        let mut heap = BinaryHeap::with_capacity(lists.len());
        for (i, l) in lists.iter_mut().enumerate() {
            if let Some(f) = l.peek() {
                heap.push(Reverse((f.output_key(), i)));
            }
        }
        Merge { lists, heap }
    }
}

impl Iterator for Merge {
    type Item = Flow;

    fn next(&mut self) -> Option<Flow> {
        let Reverse((_, i)) = self.heap.pop()?;
        let list = self.lists.get_mut(i)?;
        let flow = list.next()?;
        if let Some(f) = list.peek() {
            self.heap.push(Reverse((f.output_key(), i)));
        }
        Some(flow)
    }
}

fn add_table_stats(c: &mut Counts, s: &TableStats) {
    c.flow_packets += s.packets;
    c.orphan_fragments += s.orphan_fragments;
}

/// Runs one group; its file reports and counts go into `report`.
pub(crate) fn run_group(
    group: &Group,
    index: usize,
    settings: &Settings,
    progress: Option<&dyn Progress>,
    sink: &mut dyn FlowSink,
    report: &mut RunReport,
) -> Result<(), SinkError> {
    let (pending, failed) = group::open(group, index);
    let info = GroupInfo {
        index,
        name: group.name.clone(),
        files: pending.iter().map(|p| p.name.clone()).collect(),
    };
    if let Some(p) = progress {
        let sizes: Option<u64> = pending.iter().map(|p| p.size).sum();
        p.start(sizes);
    }
    sink.begin(&info)?;
    let cfg: &FlowConfig = &settings.flow;
    let shards = cfg.shards.max(1);
    let mut tables: Vec<FlowTable> = (0..shards).map(|_| FlowTable::new(cfg.clone())).collect();
    let pool = &BucketPool::default();
    let mut inputs = Feed {
        pending,
        at: 0,
        current: None,
        reports: Vec::new(),
        group: index,
        block_bytes: settings.block_bytes,
    };
    let mut counts = Counts::default();
    let mut flows_out = 0u64;
    let mut next_chunk: u64 = 0;
    let mut fetched: Option<Unit> = inputs.next();
    let mut decoded: Option<Decoded> = None;
    let mut ended: Vec<Flow> = Vec::new();
    // Emptied batches, kept for the next merges.
    let mut spares: Vec<Vec<Flow>> = Vec::new();
    let mut result: Result<(), SinkError> = Ok(());
    while fetched.is_some() || decoded.is_some() || !ended.is_empty() {
        let to_decode = fetched.take();
        let first_chunk = next_chunk;
        next_chunk += to_decode.as_ref().map_or(0, |u| u.block.chunks() as u64);
        let to_feed = decoded.take();
        let mut to_sink = std::mem::take(&mut ended);
        let out = spares.pop().unwrap_or_default();
        let tables_ref = &mut tables;
        let inputs_ref = &mut inputs;
        let sink_ref = &mut *sink;
        let (read, (dec, (fed, sunk))) = rayon::join(
            move || inputs_ref.next(),
            move || {
                rayon::join(
                    move || {
                        to_decode
                            .map(|u| decode_unit(u, index, first_chunk, settings, shards, pool))
                    },
                    move || {
                        rayon::join(
                            move || {
                                to_feed.map(|d| {
                                    let flows = feed(tables_ref, &d, out);
                                    // The block is read no more: released
                                    // (unmapped) here, beside the sink,
                                    // not between steps while the workers
                                    // would wait.
                                    let Decoded { unit, buckets, .. } = d;
                                    let bytes = unit.block.input_bytes();
                                    drop(unit);
                                    (flows, buckets, bytes)
                                })
                            },
                            move || {
                                let n = if to_sink.is_empty() {
                                    Ok(0)
                                } else {
                                    sink_batch(sink_ref, &mut to_sink)
                                };
                                (n, to_sink)
                            },
                        )
                    },
                )
            },
        );
        let (sunk, emptied) = sunk;
        spares.push(emptied);
        match sunk {
            Ok(n) => flows_out += n,
            Err(e) => {
                result = Err(e);
                break;
            }
        }
        if let Some((flows, mut buckets, bytes)) = fed {
            for b in &mut buckets {
                counts.add(&b.counts);
                if let (Some(o), Some(t)) = (settings.observer.as_deref(), b.tally.take()) {
                    o.merge(t);
                }
            }
            if let Some(p) = progress {
                p.advance(bytes);
            }
            recycle(pool, buckets);
            ended = flows;
        }
        fetched = read;
        decoded = dec;
    }
    if result.is_ok() {
        // The end of the group: every active flow ends. Each table hands
        // its flows over sorted, one table at a time (memory holds the
        // active flows once, not twice), and the sorted lists are merged
        // into batches for the sink.
        // The step buffers are sized for the largest step: only one is
        // kept, for the batches below.
        drop(ended);
        spares.truncate(1);
        let mut lists = Vec::with_capacity(tables.len());
        for t in tables {
            let (flows, stats) = t.finish();
            add_table_stats(&mut counts, &stats);
            lists.push(flows.into_iter().peekable());
        }
        let mut merged = Merge::new(lists);
        let mut batch = spares.pop().unwrap_or_default();
        loop {
            batch.extend(merged.by_ref().take(END_BATCH));
            if batch.is_empty() {
                break;
            }
            match sink_batch(sink, &mut batch) {
                Ok(n) => flows_out += n,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
    } else {
        for t in &tables {
            add_table_stats(&mut counts, &t.stats());
        }
    }
    // Inputs not reached (a sink error stopped the run) are not reported.
    inputs.close_current(None);
    report
        .files
        .extend(inputs.reports.into_iter().map(|(mut r, ledger)| {
            if let Some(l) = ledger {
                r.records = l.records();
                r.damage = l.damage();
            }
            r
        }));
    report.files.extend(failed);
    report.counts.add(&counts);
    report.flows += flows_out;
    result
}
