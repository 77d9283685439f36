//! The whole table, for what needs it: `--sql` (a query sees every row)
//! and `--sort` without `--top` (a full sort). Each batch becomes a
//! DataFrame as it comes (the flows are freed), and the table is rendered
//! through the whole-frame path at the end.

use nwcap_engine::{FlowSink, GroupInfo, SinkError};
use nwcap_flows::Flow;
use nwcap_flows::schema::{COLUMNS, ColumnSpec};
use polars::prelude::DataFrame;

use crate::error::{Error, Result};
use crate::flowframe::flow_frame;

/// Collects every flow as a DataFrame, then hands it to `finish`.
pub struct FullTable<F> {
    files: Vec<String>,
    frame: Option<DataFrame>,
    finish: Option<F>,
}

impl<F: FnOnce(DataFrame) -> Result<()> + Send> FullTable<F> {
    /// A table whose rows go to `finish` at the end.
    pub fn new(finish: F) -> Self {
        FullTable {
            files: Vec::new(),
            frame: None,
            finish: Some(finish),
        }
    }

    fn specs() -> Vec<&'static ColumnSpec> {
        COLUMNS.iter().collect()
    }

    fn add(&mut self, batch: &[Flow]) -> Result<()> {
        let df = flow_frame(batch, &Self::specs(), &self.files)?;
        match &mut self.frame {
            Some(f) => {
                f.vstack_mut(&df)
                    .map_err(Error::polars("building the flow table"))?;
            }
            None => self.frame = Some(df),
        }
        Ok(())
    }
}

impl<F: FnOnce(DataFrame) -> Result<()> + Send> FlowSink for FullTable<F> {
    fn begin(&mut self, group: &GroupInfo) -> std::result::Result<(), SinkError> {
        self.files.clone_from(&group.files);
        Ok(())
    }

    fn flows(&mut self, batch: Vec<Flow>) -> std::result::Result<(), SinkError> {
        Ok(self.add(&batch)?)
    }

    fn end(&mut self) -> std::result::Result<(), SinkError> {
        let df = match self.frame.take() {
            Some(df) => df,
            None => flow_frame(&[], &Self::specs(), &[])?,
        };
        match self.finish.take() {
            Some(f) => Ok(f(df)?),
            None => Ok(()),
        }
    }
}
