//! The driver: reading, decoding, flow updates and the sink overlap.
//!
//! Five kinds of task run on the rayon pool, each started as soon as its
//! input is ready and its part is free ([`Driver::pump`]), not in steps
//! that wait for the slowest: read the next block (map it and guess where
//! its chunks' records start, for a classic pcap file; read and frame it
//! otherwise), then decode it (its chunks in parallel, each packet
//! filtered and staged by shard); feed decoded blocks to the shard tables
//! in input order (the block first settled: a chunk walked from a wrong
//! guess is decoded again; then the shards in parallel); release each fed
//! block (unmap it, recycle its buckets: off the tables' path, by
//! whichever worker is free); hand each block's ended flows to the sink
//! in the same order. Reads, feeds and sink batches each run one at a
//! time; blocks decode in any order. At most [`IN_FLIGHT`] blocks are
//! between reading and their release and
//! [`BATCHES`] batches of ended flows are alive, so memory follows the
//! blocks and the active flows, not the input. A stage that lags (the
//! sink, when flows are short) holds the others back through these
//! bounds, and work stealing keeps every core on whatever is ready.
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
use nwcap_pcap::source::Walked;
use rayon::prelude::*;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::sync::Mutex;

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

impl Unit {
    /// What stages this block's chunks.
    fn stager<'a>(
        &'a self,
        group: usize,
        settings: &'a Settings,
        shards: usize,
        pool: &'a BucketPool,
    ) -> Stager<'a> {
        Stager {
            block: &self.block,
            group,
            file: self.file,
            shards,
            settings,
            pool,
        }
    }
}

/// A block with its staged buckets, waiting for the shard tables.
struct Decoded {
    unit: Unit,
    buckets: Vec<Buckets>,
    /// How each chunk's walk went, for [`settle`].
    walks: Vec<Walked>,
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

/// Decodes a block's chunks in parallel, each from its guessed start.
/// Blocks are decoded in any order; [`settle`] then checks them in input
/// order.
fn decode_unit(
    unit: Unit,
    group: usize,
    first_chunk: u64,
    settings: &Settings,
    shards: usize,
    pool: &BucketPool,
) -> Decoded {
    let stager = unit.stager(group, settings, shards, pool);
    let (buckets, walks): (Vec<Buckets>, Vec<_>) = (0..unit.block.chunks())
        .into_par_iter()
        .map(|c| stager.stage(c, None))
        .unzip();
    Decoded {
        unit,
        buckets,
        walks,
        first_chunk,
    }
}

/// Settles a decoded block (blocks of one source settle one at a time, in
/// input order): a chunk whose walk started at a wrong guess is decoded
/// again (serially, from where the previous chunk ended), and chunks after
/// damage that stops the file are dropped.
fn settle(d: &mut Decoded, group: usize, settings: &Settings, shards: usize, pool: &BucketPool) {
    let stager = d.unit.stager(group, settings, shards, pool);
    let buckets = &mut d.buckets;
    let kept = d.unit.block.settle(&mut d.walks, &mut |c, from| {
        let (b, w) = stager.stage(c, Some(from));
        if let Some(old) = buckets.get_mut(c) {
            recycle(pool, vec![std::mem::replace(old, b)]);
        }
        w
    });
    if kept < buckets.len() {
        recycle(pool, buckets.split_off(kept));
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

/// The driver of one group, shared by its tasks. Each part that one task
/// at a time may use (the inputs, the tables, the sink) has its own lock,
/// held by that task while it runs; [`State`] says which parts are busy
/// and what waits for them, under a lock held only to look.
struct Driver<'a> {
    settings: &'a Settings,
    progress: Option<&'a dyn Progress>,
    pool: BucketPool,
    index: usize,
    shards: usize,
    state: Mutex<State>,
    inputs: Mutex<Feed>,
    tables: Mutex<Tables>,
    sink: Mutex<&'a mut dyn FlowSink>,
}

/// The shard tables with what feeding them counted.
struct Tables {
    tables: Vec<FlowTable>,
    counts: Counts,
}

/// What is running and what waits, in [`Driver`].
#[derive(Default)]
struct State {
    reading: bool,
    feeding: bool,
    sinking: bool,
    /// The inputs are exhausted.
    read_done: bool,
    /// Group-wide index of the next block's first chunk.
    next_chunk: u64,
    /// Sequence number of the next block read.
    next_read: u64,
    /// Blocks being read, or read and not yet released.
    in_flight: usize,
    /// Decoded blocks waiting for their turn at the tables, by sequence
    /// number.
    decoded: BTreeMap<u64, Decoded>,
    /// Sequence number of the next block to feed.
    next_feed: u64,
    /// Batches of ended flows waiting for the sink, in output order.
    to_sink: VecDeque<Vec<Flow>>,
    /// Emptied batches, kept for the next merges (their pages are
    /// touched already).
    spares: Vec<Vec<Flow>>,
    flows_out: u64,
    error: Option<SinkError>,
}

/// Blocks alive at once between reading and their release (each mapped or
/// buffered, with its staged packets): enough for every stage to have
/// work, few enough that memory follows the blocks, not the input.
const IN_FLIGHT: usize = 2;
/// Batches of ended flows alive at once: being filled by the tables,
/// waiting for the sink, or in the sink. Two, as many as a step of
/// lock-step stages had (the sink writing one while the tables fill the
/// next): each holds the flows that ended in one block, tens of MB when
/// flows are short.
const BATCHES: usize = 2;

/// Takes a lock. A task that panicked poisoned it; its panic ends the
/// scope and the run, so what it left is not read for results.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl<'a> Driver<'a> {
    /// Starts every task whose input is ready and whose part is free: the
    /// next read (while fewer than [`IN_FLIGHT`] blocks are alive), the
    /// next block's turn at the tables (in input order, while the sink
    /// keeps up), and the next batch's turn at the sink (in output order).
    fn pump<'s>(&'s self, scope: &rayon::Scope<'s>)
    where
        'a: 's,
    {
        let mut st = lock(&self.state);
        if st.error.is_some() {
            return;
        }
        if !st.reading && !st.read_done && st.in_flight < IN_FLIGHT {
            st.reading = true;
            st.in_flight += 1;
            scope.spawn(move |s| self.read(s));
        }
        if !st.feeding && st.to_sink.len() + usize::from(st.sinking) < BATCHES {
            let next = st.next_feed;
            if let Some(d) = st.decoded.remove(&next) {
                st.feeding = true;
                let out = st.spares.pop().unwrap_or_default();
                scope.spawn(move |s| self.feed(s, d, out));
            }
        }
        if !st.sinking
            && let Some(batch) = st.to_sink.pop_front()
        {
            st.sinking = true;
            scope.spawn(move |s| self.sink(s, batch));
        }
    }

    /// Reads the next block, lets the next read start, then decodes the
    /// block.
    fn read<'s>(&'s self, scope: &rayon::Scope<'s>)
    where
        'a: 's,
    {
        let unit = lock(&self.inputs).next();
        let claimed = {
            let mut st = lock(&self.state);
            st.reading = false;
            match unit {
                Some(u) => {
                    let seq = st.next_read;
                    st.next_read += 1;
                    let first_chunk = st.next_chunk;
                    st.next_chunk += u.block.chunks() as u64;
                    Some((u, seq, first_chunk))
                }
                None => {
                    st.read_done = true;
                    st.in_flight -= 1;
                    None
                }
            }
        };
        self.pump(scope);
        if let Some((u, seq, first_chunk)) = claimed {
            let (settings, pool) = (self.settings, &self.pool);
            let d = decode_unit(u, self.index, first_chunk, settings, self.shards, pool);
            lock(&self.state).decoded.insert(seq, d);
            self.pump(scope);
        }
    }

    /// Feeds a decoded block to the tables; its ended flows queue for the
    /// sink.
    fn feed<'s>(&'s self, scope: &rayon::Scope<'s>, mut d: Decoded, out: Vec<Flow>)
    where
        'a: 's,
    {
        let (flows, unit, buckets) = {
            let mut guard = lock(&self.tables);
            let t = &mut *guard;
            settle(&mut d, self.index, self.settings, self.shards, &self.pool);
            let flows = feed(&mut t.tables, &d, out);
            let Decoded {
                unit, mut buckets, ..
            } = d;
            for b in &mut buckets {
                t.counts.add(&b.counts);
                if let (Some(o), Some(tally)) = (self.settings.observer.as_deref(), b.tally.take())
                {
                    o.merge(tally);
                }
            }
            (flows, unit, buckets)
        };
        {
            let mut st = lock(&self.state);
            st.feeding = false;
            st.next_feed += 1;
            if flows.is_empty() {
                st.spares.push(flows);
            } else {
                st.to_sink.push_back(flows);
            }
        }
        // What the block held is released by a task of its own, queued
        // before the next block's turn at the tables (a worker takes its
        // newest task first): the tables go on at once, and a worker with
        // nothing else to do unmaps the block.
        scope.spawn(move |s| self.release(s, unit, buckets));
        self.pump(scope);
    }

    /// Releases a fed block (unmaps it, recycles its buckets); then
    /// another block may be read.
    fn release<'s>(&'s self, scope: &rayon::Scope<'s>, unit: Unit, buckets: Vec<Buckets>)
    where
        'a: 's,
    {
        let bytes = unit.block.input_bytes();
        drop(unit);
        recycle(&self.pool, buckets);
        if let Some(p) = self.progress {
            p.advance(bytes);
        }
        lock(&self.state).in_flight -= 1;
        self.pump(scope);
    }

    /// Hands a batch to the sink.
    fn sink<'s>(&'s self, scope: &rayon::Scope<'s>, mut batch: Vec<Flow>)
    where
        'a: 's,
    {
        let sunk = sink_batch(&mut **lock(&self.sink), &mut batch);
        {
            let mut st = lock(&self.state);
            st.sinking = false;
            st.spares.push(batch);
            match sunk {
                Ok(n) => st.flows_out += n,
                Err(e) => {
                    st.error.get_or_insert(e);
                }
            }
        }
        self.pump(scope);
    }
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
    let tables: Vec<FlowTable> = (0..shards).map(|_| FlowTable::new(cfg.clone())).collect();
    let driver = Driver {
        settings,
        progress,
        pool: BucketPool::new(),
        index,
        shards,
        state: Mutex::new(State::default()),
        inputs: Mutex::new(Feed {
            pending,
            at: 0,
            current: None,
            reports: Vec::new(),
            group: index,
            block_bytes: settings.block_bytes,
        }),
        tables: Mutex::new(Tables {
            tables,
            counts: Counts::default(),
        }),
        sink: Mutex::new(sink),
    };
    rayon::scope(|s| driver.pump(s));
    let Driver {
        state,
        inputs,
        tables,
        sink,
        ..
    } = driver;
    let st = state
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut inputs = inputs
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Tables { tables, mut counts } = tables
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let sink = sink
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut flows_out = st.flows_out;
    let mut spares = st.spares;
    let mut result: Result<(), SinkError> = st.error.map_or(Ok(()), Err);
    if result.is_ok() {
        // The end of the group: every active flow ends. Each table hands
        // its flows over sorted, one table at a time (memory holds the
        // active flows once, not twice), and the sorted lists are merged
        // into batches for the sink.
        // The batches are sized for the largest block's: only one is
        // kept, for the batches below.
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
