//! Flows to a DataFrame, on every core: the flows are cut into blocks,
//! each block's columns are built on its own worker (the column table's
//! builders), and the blocks' frames are stacked in order.

use nwcap_flows::schema::{ColumnOptions, ColumnSpec};
use nwcap_flows::{Flow, to_columns};
use polars::prelude::DataFrame;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::frame::to_dataframe;

/// Flows per block converted by one worker.
const BLOCK: usize = 4096;

/// The columns `specs` of `flows` as a DataFrame; `files` names the inputs
/// of the flows' group (the `file` column).
pub fn flow_frame(
    flows: &[Flow],
    specs: &[&'static ColumnSpec],
    files: &[String],
) -> Result<DataFrame> {
    let opts = ColumnOptions {
        files: Some(files),
        ..ColumnOptions::default()
    };
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
