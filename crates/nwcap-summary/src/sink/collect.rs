//! The whole table, for what needs it: `--sql` (a query sees every row)
//! and `--sort` without `--top` (a full sort). Each batch becomes a
//! DataFrame as it comes (the flows are freed), and the table is rendered
//! through the whole-frame path at the end.

use nwcap_engine::{FlowSink, GroupInfo, SinkError};
use nwcap_flows::Flow;
use nwcap_flows::schema::{COLUMNS, ColumnSpec};
use polars::prelude::DataFrame;

use crate::error::{Error, Result};
use crate::flowframe::{GroupNames, flow_frame};

/// Collects every flow as a DataFrame, then hands it to `finish`.
pub struct FullTable<F> {
    /// The columns kept (all of them for a query, which may name any).
    specs: Vec<&'static ColumnSpec>,
    group: GroupNames,
    frame: Option<DataFrame>,
    finish: Option<F>,
}

impl<F: FnOnce(DataFrame) -> Result<()> + Send> FullTable<F> {
    /// A table of every column whose rows go to `finish` at the end.
    pub fn new(finish: F) -> Self {
        FullTable::of(COLUMNS.iter().collect(), finish)
    }

    /// A table of the columns `specs` whose rows go to `finish`.
    pub fn of(specs: Vec<&'static ColumnSpec>, finish: F) -> Self {
        FullTable {
            specs,
            group: GroupNames::default(),
            frame: None,
            finish: Some(finish),
        }
    }

    fn add(&mut self, batch: &[Flow]) -> Result<()> {
        let df = flow_frame(batch, &self.specs, &self.group)?;
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
        self.group = group.into();
        Ok(())
    }

    fn flows(&mut self, batch: &mut Vec<Flow>) -> std::result::Result<(), SinkError> {
        Ok(self.add(batch)?)
    }

    fn end(&mut self) -> std::result::Result<(), SinkError> {
        let df = match self.frame.take() {
            Some(df) => df,
            None => flow_frame(&[], &self.specs, &GroupNames::default())?,
        };
        match self.finish.take() {
            Some(f) => Ok(f(df)?),
            None => Ok(()),
        }
    }
}
