//! The analysis engine: the path of a packet from an input to a finished
//! flow, run over groups of inputs.
//!
//! ```text
//! Input ─ Source (opened once: mapped, piped, gunzipped) ─ Block
//!   ─ chunks decoded in parallel ─ filter (five-tuple, Network Watcher
//!   semantics) ─ staged by shard ─ FlowTable per shard ─ flows that end
//!   ─ FlowSink (writer, aggregate, report)
//! ```
//!
//! A [`Group`] is one capture source: its inputs are put in capture order
//! (see [`group`] for the rule) and read as one stream, so a flow crossing
//! from one file to the next stays one flow; groups never share flows.
//! [`by_source`] puts input files into groups (see [`sources`] for the
//! rule: Network Watcher's storage layout, one named source, or one per
//! file).
//! Finished flows go to a [`FlowSink`] as soon as they end (see [`run`] for
//! the order), so memory follows the active flows, not the total. The
//! [`RunReport`] says what each input held, what was damaged, and how many
//! packets each stage read, dropped and kept.
//!
//! In a few lines:
//!
//! ```no_run
//! use nwcap_engine::{Collect, Group, Settings, run};
//!
//! let group = Group::new(["testdata/sample.pcap"]);
//! let mut flows = Collect::default();
//! let report = run(&[group], &Settings::default(), None, &mut flows)?;
//! println!("{} flows from {} packets", flows.flows.len(), report.counts.read);
//! # Ok::<(), nwcap_engine::EngineError>(())
//! ```

pub mod extract;
pub mod group;
pub mod report;
mod run;
pub mod select;
pub mod sink;
pub mod sources;
mod stage;

pub use group::Group;
pub use nwcap_filter::FilterSet;
pub use nwcap_flows::{Flow, FlowConfig};
pub use nwcap_pcap::Input;
pub use report::{Counts, FileReport, RunReport};
pub use run::EngineError;
pub use select::five_tuple;
pub use sink::{Collect, FlowSink, GroupInfo, SinkError, Tee};
pub use sources::{SourceRule, by_source};

/// Sees every record the engine reads, on the workers, chunk by chunk:
/// what a caller needs of the packets themselves (a throughput timeline,
/// per-file statistics for a report) comes from the engine's one pass
/// instead of a second read of the input. Costs nothing when unused.
pub trait Observer: Sync + Send {
    /// A fresh tally for one chunk of records of group `group` (the
    /// group's index in the run).
    fn tally(&self, group: usize) -> Box<dyn Tally>;
    /// Adds a finished chunk's tally back (a group's chunks come in input
    /// order; groups one after the other).
    fn merge(&self, tally: Box<dyn Tally>);
}

/// One chunk's share of an [`Observer`]'s work.
pub trait Tally: Send + Sync {
    /// One record of input file `file` (an index into the group's
    /// [`GroupInfo::files`]), its decoded packet, and whether the filters
    /// kept it.
    fn record(
        &mut self,
        file: u32,
        rec: &nwcap_pcap::Record<'_>,
        pkt: &nwcap_pcap::Packet<'_>,
        kept: bool,
    );
    /// The tally as `Any`, for its observer to take its own type back.
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any>;
}

/// Settings of a run.
#[derive(Clone, Default)]
pub struct Settings {
    /// Flow table settings (timeouts...).
    pub flow: FlowConfig,
    /// Network Watcher filters; packets no filter matches do not exist
    /// for the flow tables. `None` keeps every packet.
    pub filter: Option<FilterSet>,
    /// Count the packets each filter matches ([`Counts::per_filter`]).
    pub count_per_filter: bool,
    /// Block size of every input (tests use small blocks).
    pub block_bytes: Option<usize>,
    /// Sees every record (see [`Observer`]).
    pub observer: Option<std::sync::Arc<dyn Observer>>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("flow", &self.flow)
            .field("filter", &self.filter)
            .field("count_per_filter", &self.count_per_filter)
            .field("block_bytes", &self.block_bytes)
            .field("observer", &self.observer.is_some())
            .finish()
    }
}

/// Receives progress from [`run`] (the CLI draws a bar).
pub trait Progress: Sync {
    /// A group starts; `total` is the size of its inputs as stored, when
    /// every input is a regular file.
    fn start(&self, total: Option<u64>) {
        let _ = total;
    }

    /// `bytes` more input bytes (as stored) were processed.
    fn advance(&self, bytes: u64);
}

/// Runs the engine over `groups`, one after the other (each on every
/// core), handing finished flows to `sink`.
///
/// Flows leave as they end, block by block of input: the flows that ended
/// while one block was read form one batch, sorted by first packet time,
/// then by position in the input, then a tunnel's outer connection before
/// the one inside it (the two start with the same packet); the flows
/// still active at the end of a
/// group follow, in the same order. The order does not depend on the
/// number of threads.
///
/// Inputs that cannot be opened or are damaged are reported in the
/// [`RunReport`] and do not stop the others; only a failing sink stops the
/// run ([`EngineError::Sink`]). When no input at all could be opened, the
/// sink's [`FlowSink::end`] is not called.
pub fn run(
    groups: &[Group],
    settings: &Settings,
    progress: Option<&dyn Progress>,
    sink: &mut dyn FlowSink,
) -> Result<RunReport, EngineError> {
    let mut report = RunReport::default();
    if let Some(set) = &settings.filter
        && settings.count_per_filter
    {
        report.counts.per_filter = vec![0; set.filters().len()];
    }
    for (i, g) in groups.iter().enumerate() {
        // The driver runs on a worker of the pool: between two steps of
        // its loop the other workers keep stealing instead of waiting for
        // a thread outside the pool to hand them the next step.
        let report = &mut report;
        let sink = &mut *sink;
        rayon::scope(move |_| run::run_group(g, i, settings, progress, sink, report))
            .map_err(EngineError::Sink)?;
    }
    // When no input could be opened there is nothing to write: the sink
    // is not finished (a writer leaves no output), the caller reports it.
    if !report.nothing_read() {
        sink.end().map_err(EngineError::Sink)?;
    }
    Ok(report)
}
