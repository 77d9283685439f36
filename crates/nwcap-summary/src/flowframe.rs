//! Flows to a DataFrame, on every core: the columns are dealt out to the
//! workers, each worker builds its columns over all the flows (a block of
//! flows at a time, so the block stays in the core's cache while each of
//! its columns visits it), and every column comes out as one piece, which
//! the Parquet writer encodes without copying it again.

use nwcap_engine::GroupInfo;
use nwcap_flows::columns::Column as FlowColumn;
use nwcap_flows::schema::{ColumnOptions, ColumnSpec, IDENTIFIER_COLUMNS, Kind};
use nwcap_flows::{Flow, to_columns};
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
    let opts = group.options();
    let workers = rayon::current_num_threads();
    if flows.len() < SMALL || workers == 1 {
        return to_dataframe(to_columns(flows, specs, &opts));
    }
    let shares = deal(specs, 2 * workers);
    let built: Vec<Vec<(usize, FlowColumn)>> = shares
        .par_iter()
        .map(|share| {
            let mine: Vec<&ColumnSpec> = share.iter().map(|&i| specs[i]).collect();
            share
                .iter()
                .copied()
                .zip(to_columns(flows, &mine, &opts))
                .collect()
        })
        .collect();
    let mut columns: Vec<(usize, FlowColumn)> = built.into_iter().flatten().collect();
    columns.sort_unstable_by_key(|(i, _)| *i);
    to_dataframe(columns.into_iter().map(|(_, c)| c).collect())
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
