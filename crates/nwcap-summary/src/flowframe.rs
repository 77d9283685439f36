//! Flows to a DataFrame, on every core: the columns are dealt out to the
//! workers, each worker builds its columns over all the flows (a block of
//! flows at a time, so the block stays in the core's cache while each of
//! its columns visits it), and every column comes out as one piece, which
//! the Parquet writer encodes without copying it again.

use nwcap_engine::GroupInfo;
use nwcap_flows::Flow;
use nwcap_flows::columns::Column as FlowColumn;
use nwcap_flows::schema::{ColumnOptions, ColumnSpec, IDENTIFIER_COLUMNS, Kind};
use polars::prelude::DataFrame;
use rayon::prelude::*;

use crate::error::Result;
use crate::frame::to_dataframe;

/// Fewer flows than this are converted on one worker.
const SMALL: usize = 4096;

/// What the columns take from the flows' group: the names of its inputs
/// (the `file` column) and its capture source (the `source` column).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupNames {
    /// Input names in capture order (a flow's file index points here).
    pub files: Vec<String>,
    /// The group's source name.
    pub source: Option<String>,
}

impl From<&GroupInfo> for GroupNames {
    fn from(g: &GroupInfo) -> GroupNames {
        GroupNames {
            files: g.files.clone(),
            source: g.name.clone(),
        }
    }
}

impl GroupNames {
    /// The column options of this group.
    pub fn options(&self) -> ColumnOptions<'_> {
        ColumnOptions {
            files: Some(&self.files),
            source: self.source.as_deref(),
            ..ColumnOptions::default()
        }
    }
}

/// The columns `specs` of `flows` as a DataFrame; `group` names the
/// inputs and the source of the flows' group (`file`, `source`).
pub fn flow_frame(
    flows: &[Flow],
    specs: &[&'static ColumnSpec],
    group: &GroupNames,
) -> Result<DataFrame> {
    let mut b = FrameBuilder::new(specs);
    b.append(flows, group);
    b.take()
}

/// Rows of flow columns, built as the flows come and taken as one frame:
/// a table's rows arrive in several batches, and each column grows in one
/// piece (no frames of a few rows each to concatenate before writing).
pub struct FrameBuilder {
    specs: Vec<&'static ColumnSpec>,
    /// The columns dealt out to the workers: each share's positions in
    /// `specs` and its columns so far.
    shares: Vec<Vec<(usize, FlowColumn)>>,
    rows: usize,
    /// Rows taken at most between two [`FrameBuilder::take`]s, if known:
    /// the columns grow by doubling up to it, not past it, until a full
    /// batch has been taken.
    limit: Option<usize>,
    /// A full batch (`limit` rows) was taken: the output is large, and
    /// each later batch's columns are made room for at once (growing them
    /// by doubling copied each column several times, in fresh pages).
    filled: bool,
}

impl FrameBuilder {
    /// No rows yet, of the columns `specs`.
    pub fn new(specs: &[&'static ColumnSpec]) -> FrameBuilder {
        let shares = deal(specs, 2 * rayon::current_num_threads())
            .into_iter()
            .map(|share| {
                share
                    .into_iter()
                    .map(|i| {
                        let s = specs[i];
                        let c = FlowColumn {
                            name: s.name,
                            data: s.kind.empty(0),
                        };
                        (i, c)
                    })
                    .collect()
            })
            .collect();
        FrameBuilder {
            specs: specs.to_vec(),
            shares,
            rows: 0,
            limit: None,
            filled: false,
        }
    }

    /// The same, told that at most `rows` rows come between two
    /// [`FrameBuilder::take`]s (a writer's batch): no column grows past
    /// that, so a full batch holds no spare room when it is taken. A
    /// shorter one (the last, or one a group change ends) keeps the room
    /// made for it, up to the whole batch: room never written is address
    /// space, not memory (its pages are never touched), and the frame is
    /// written and dropped at once. Giving it back measured 2-3 MB more
    /// peak memory, for the copy.
    pub fn with_limit(mut self, rows: usize) -> FrameBuilder {
        self.limit = Some(rows);
        self
    }

    /// Rows so far.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Appends the rows of `flows`; `group` names the inputs and the
    /// source of their group (`file`, `source`).
    pub fn append(&mut self, flows: &[Flow], group: &GroupNames) {
        let opts = group.options();
        let specs = &self.specs;
        // Room for the rows: doubling, as a vector grows, but not past the
        // limit; the whole limit once a full batch has been taken.
        let want = self.rows + flows.len();
        let room = match self.limit {
            Some(limit) if want <= limit && self.filled => limit,
            Some(limit) if want <= limit => (2 * self.rows).clamp(want, limit),
            _ => want,
        };
        let build = |share: &mut Vec<(usize, FlowColumn)>| {
            for (_, c) in share.iter_mut() {
                c.data.reserve_exact(room.saturating_sub(c.data.len()));
            }
            let mine: Vec<&ColumnSpec> = share.iter().map(|&(i, _)| specs[i]).collect();
            nwcap_flows::extend_columns(flows, &mine, &opts, share.iter_mut().map(|(_, c)| c));
        };
        if flows.len() < SMALL || rayon::current_num_threads() == 1 {
            self.shares.iter_mut().for_each(build);
        } else {
            self.shares.par_iter_mut().for_each(build);
        }
        self.rows += flows.len();
    }

    /// The rows so far as a DataFrame, in the order of the specs; the
    /// builder is empty again.
    pub fn take(&mut self) -> Result<DataFrame> {
        let mut columns: Vec<(usize, FlowColumn)> = Vec::with_capacity(self.specs.len());
        for share in &mut self.shares {
            for (i, c) in share.iter_mut() {
                let empty = self.specs[*i].kind.empty(0);
                let data = std::mem::replace(&mut c.data, empty);
                columns.push((*i, FlowColumn { name: c.name, data }));
            }
        }
        columns.sort_unstable_by_key(|(i, _)| *i);
        self.filled |= self.limit.is_some_and(|limit| self.rows >= limit);
        self.rows = 0;
        to_dataframe(columns.into_iter().map(|(_, c)| c).collect())
    }
}

/// The positions of `specs` dealt into at most `n` shares of about equal
/// work: the costliest columns first, each to the share with the least
/// so far (text is written byte by byte, and the uid and the Community ID
/// hash the flow's key).
fn deal(specs: &[&ColumnSpec], n: usize) -> Vec<Vec<usize>> {
    let cost = |s: &ColumnSpec| match s.kind {
        Kind::Text if IDENTIFIER_COLUMNS.contains(&s.name) => 8,
        Kind::Text => 3,
        _ => 1,
    };
    let mut by_cost: Vec<usize> = (0..specs.len()).collect();
    by_cost.sort_by_key(|&i| std::cmp::Reverse(cost(specs[i])));
    let mut shares: Vec<(u32, Vec<usize>)> = vec![(0, Vec::new()); n.clamp(1, specs.len().max(1))];
    for i in by_cost {
        if let Some(least) = shares.iter_mut().min_by_key(|(w, _)| *w) {
            least.0 += cost(specs[i]);
            least.1.push(i);
        }
    }
    shares
        .into_iter()
        .map(|(_, s)| s)
        .filter(|s| !s.is_empty())
        .collect()
}
