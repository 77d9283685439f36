//! Flows to a DataFrame, on every core: the flows are cut into blocks,
//! each block's columns are built on its own worker (the column table's
//! builders), and the blocks' frames are stacked in order.

use nwcap_engine::GroupInfo;
use nwcap_flows::schema::{ColumnOptions, ColumnSpec};
use nwcap_flows::{Flow, to_columns};
use polars::prelude::DataFrame;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::frame::to_dataframe;

/// Flows per block converted by one worker.
const BLOCK: usize = 4096;

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
    if flows.len() <= BLOCK {
        return to_dataframe(to_columns(flows, specs, &opts));
    }
    let parts: Vec<Result<DataFrame>> = flows
        .par_chunks(BLOCK)
        .map(|b| to_dataframe(to_columns(b, specs, &opts)))
        .collect();
    let mut it = parts.into_iter();
    let mut df = match it.next() {
        Some(first) => first?,
        None => return to_dataframe(to_columns(&[], specs, &opts)),
    };
    for p in it {
        df.vstack_mut(&p?)
            .map_err(Error::polars("building the flow table"))?;
    }
    Ok(df)
}
