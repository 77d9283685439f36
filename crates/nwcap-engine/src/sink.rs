//! Where finished flows go: a [`FlowSink`] receives each group's flows as
//! they end, batch by batch, as Zeek writes conn.log. Writers (CSV,
//! NDJSON, Parquet, the table), aggregates (`top`, the report) and the
//! flow selection of `filter --flow` are sinks.

use nwcap_flows::Flow;
use rayon::prelude::*;

/// An error a sink met (a write failed, a reader went away); it stops the
/// run and is returned by [`crate::run`].
pub type SinkError = Box<dyn std::error::Error + Send + Sync>;

/// A group of inputs about to be read (one capture source).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInfo {
    /// Position of the group in the run (0, 1, ...).
    pub index: usize,
    /// The group's name (its capture source), when it has one.
    pub name: Option<String>,
    /// Names of the group's inputs in capture order; a flow's
    /// [`Flow::file`] indexes this list.
    pub files: Vec<String>,
}

/// Receives finished flows.
pub trait FlowSink: Send {
    /// A group starts; every flow until the next call belongs to it.
    fn begin(&mut self, group: &GroupInfo) -> Result<(), SinkError> {
        let _ = group;
        Ok(())
    }

    /// Finished flows, in output order (see [`crate::run`]). The batch is
    /// lent: a sink takes the flows it keeps out of it (`drain`,
    /// `append`); the engine drops the rest and reuses the vector.
    fn flows(&mut self, batch: &mut Vec<Flow>) -> Result<(), SinkError>;

    /// The run is over (after the last group).
    fn end(&mut self) -> Result<(), SinkError> {
        Ok(())
    }
}

/// A sink that keeps every flow (tests, small inputs, callers that need the
/// whole table anyway).
#[derive(Debug, Default)]
pub struct Collect {
    /// The flows, in output order.
    pub flows: Vec<Flow>,
    /// The groups seen, in order.
    pub groups: Vec<GroupInfo>,
}

impl FlowSink for Collect {
    fn begin(&mut self, group: &GroupInfo) -> Result<(), SinkError> {
        self.groups.push(group.clone());
        Ok(())
    }

    fn flows(&mut self, batch: &mut Vec<Flow>) -> Result<(), SinkError> {
        self.flows.append(batch);
        Ok(())
    }
}

impl<F: FnMut(&mut Vec<Flow>) -> Result<(), SinkError> + Send> FlowSink for F {
    fn flows(&mut self, batch: &mut Vec<Flow>) -> Result<(), SinkError> {
        self(batch)
    }
}

/// Two sinks fed from one run: each batch goes to `first` (a copy) and
/// then to `second`, so one pass over the input writes both (e.g. `nwcap
/// analyze --report`: the flow table and the report page).
pub struct Tee<'a> {
    /// Receives a copy of every batch.
    pub first: &'a mut dyn FlowSink,
    /// Receives the batch itself.
    pub second: &'a mut dyn FlowSink,
}

impl FlowSink for Tee<'_> {
    fn begin(&mut self, group: &GroupInfo) -> Result<(), SinkError> {
        self.first.begin(group)?;
        self.second.begin(group)
    }

    fn flows(&mut self, batch: &mut Vec<Flow>) -> Result<(), SinkError> {
        let mut copy = batch.clone();
        let first = self.first.flows(&mut copy);
        // What the first sink left of its copy goes as the engine's rest.
        drop_flows(&mut copy);
        first?;
        self.second.flows(batch)
    }

    fn end(&mut self) -> Result<(), SinkError> {
        self.first.end()?;
        self.second.end()
    }
}

/// Drops the flows left in `batch` on every core (a flow's TCP state and
/// hints are allocations of their own), keeping the vector's capacity.
pub(crate) fn drop_flows(batch: &mut Vec<Flow>) {
    batch.par_drain(..).with_min_len(4096).for_each(drop);
}
