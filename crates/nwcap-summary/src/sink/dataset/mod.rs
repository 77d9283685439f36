//! `nwcap flows --dataset DIR`: the flow table as a Hive-partitioned
//! Parquet dataset, `source=<name>/date=<yyyy-mm-dd>/hour=<hh>/part-<n>-<tag>.parquet`
//! by default (the partition columns are chosen by [`Partition`]; their
//! values are in the folder names, not in the files), streamed: memory
//! holds at most one row group of flows across every open part file.
//!
//! Each flow goes to the partition of its source and of the UTC hour of
//! its `ts`. A partition's rows are buffered and written as row groups
//! (the schema and encoding of `--format parquet`); when the buffers of
//! all partitions reach [`PARQUET_ROW_GROUP`] flows, the largest is
//! written. A part file holds at most [`MAX_ROWS_PER_FILE`] rows, and at
//! most [`MAX_OPEN`] part files are open at once (the one written to
//! least recently is finished first); both depend only on the flows, so
//! the same captures give the same files, byte for byte.
//!
//! Files are written as hidden temporary files (`.part-....tmp`, which
//! Spark, pyarrow and DuckDB skip) and renamed into place at the end of
//! the run ([`commit`]); a run that fails leaves the dataset as it was.

mod commit;
pub mod layout;

use std::collections::BTreeMap;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use nwcap_engine::{FlowSink, GroupInfo, SinkError};
use nwcap_flows::Flow;
use nwcap_flows::schema::{COLUMNS, ColumnSpec, column};
use polars::prelude::Schema;

use crate::error::{Error, Result};
use crate::flowframe::{GroupNames, flow_frame};
use crate::parquet::{RowGroupWriter, Shared};
use crate::write::PARQUET_ROW_GROUP;
use commit::{Finished, SourceCommit};
pub use layout::Partition;

/// Most rows in one part file.
pub const MAX_ROWS_PER_FILE: usize = 1 << 20;
/// Most part files open at once.
pub const MAX_OPEN: usize = 64;

/// What a dataset run writes.
#[derive(Debug, Clone)]
pub struct DatasetOptions {
    /// The dataset's folder (created if missing).
    pub dir: PathBuf,
    /// Partition columns, outermost first.
    pub partition_by: Vec<Partition>,
    /// Columns to keep (`None`: every column of the flow table).
    pub columns: Option<Vec<String>>,
}

/// A part file's output (polars' writer owns its `Write`).
type PartOut = Shared<BufWriter<std::fs::File>>;

/// An open part file.
struct Part {
    tmp: tempfile::TempPath,
    dest: PathBuf,
    batched: RowGroupWriter<PartOut>,
    out: PartOut,
    pending: Vec<Flow>,
    rows: usize,
    used: u64,
}

/// One source's run.
struct SourceRun {
    name: String,
    tag: String,
    group: GroupNames,
    /// No input of the source could be opened: its old files stay.
    skip: bool,
    open: BTreeMap<PathBuf, Part>,
    next: BTreeMap<PathBuf, u32>,
    /// Partition folder by hour of `ts` (the folder of a flow depends on
    /// the hour at most).
    folders: BTreeMap<i64, PathBuf>,
    finished: Vec<Finished>,
    pending: usize,
    clock: u64,
}

/// The dataset sink (see the module documentation).
pub struct DatasetWriter {
    dir: PathBuf,
    parts: Vec<Partition>,
    specs: Vec<&'static ColumnSpec>,
    schema: Schema,
    current: Option<SourceRun>,
    done: Vec<SourceCommit>,
}

const HOUR_NS: i64 = 3_600_000_000_000;

impl DatasetWriter {
    /// A dataset writer; the columns are checked and the folder created
    /// here, before any packet is read.
    pub fn new(opts: &DatasetOptions) -> Result<DatasetWriter> {
        let partitioned_by_source = opts.partition_by.contains(&Partition::Source);
        let names: Vec<&str> = match &opts.columns {
            Some(c) => c.iter().map(String::as_str).collect(),
            None => COLUMNS.iter().map(|c| c.name).collect(),
        };
        let unknown: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| column(n).is_none())
            .collect();
        if !unknown.is_empty() {
            return Err(Error::UnknownColumns {
                unknown: unknown.join(", "),
                valid: COLUMNS
                    .iter()
                    .map(|c| c.name)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        // A partition column lives in the folder names only.
        let specs: Vec<&'static ColumnSpec> = names
            .iter()
            .filter_map(|n| column(n))
            .filter(|c| !(partitioned_by_source && c.name == "source"))
            .collect();
        if specs.is_empty() {
            return Err(Error::InvalidPartition(
                "no column left besides the partition columns".into(),
            ));
        }
        let schema = flow_frame(&[], &specs, &GroupNames::default())?
            .schema()
            .as_ref()
            .clone();
        std::fs::create_dir_all(&opts.dir).map_err(|source| Error::Io {
            action: "creating the dataset folder",
            path: opts.dir.clone(),
            source,
        })?;
        Ok(DatasetWriter {
            dir: opts.dir.clone(),
            parts: opts.partition_by.clone(),
            specs,
            schema,
            current: None,
            done: Vec::new(),
        })
    }

    fn start(&mut self, g: &GroupInfo) -> Result<()> {
        self.finish_source()?;
        let name = g.name.clone().unwrap_or_default();
        self.current = Some(SourceRun {
            tag: layout::tag(&name),
            name,
            group: g.into(),
            skip: g.files.is_empty(),
            open: BTreeMap::new(),
            next: BTreeMap::new(),
            folders: BTreeMap::new(),
            finished: Vec::new(),
            pending: 0,
            clock: 0,
        });
        Ok(())
    }

    /// Finishes the current source's open files; its commit waits for the
    /// end of the run.
    fn finish_source(&mut self) -> Result<()> {
        let Some(mut run) = self.current.take() else {
            return Ok(());
        };
        let folders: Vec<PathBuf> = run.open.keys().cloned().collect();
        for f in folders {
            self.close(&mut run, &f)?;
        }
        if !run.skip {
            self.done.push(SourceCommit {
                scope: layout::scope(&self.dir, &self.parts, &run.name),
                own_scope: self.parts.first() == Some(&Partition::Source),
                tag: run.tag,
                files: run.finished,
            });
        }
        Ok(())
    }

    fn push(&mut self, batch: &mut Vec<Flow>) -> Result<()> {
        let Some(mut run) = self.current.take() else {
            // Flows before any group: the engine always begins one.
            return Ok(());
        };
        let result = self.push_into(&mut run, batch);
        self.current = Some(run);
        result
    }

    fn push_into(&self, run: &mut SourceRun, batch: &mut Vec<Flow>) -> Result<()> {
        for flow in batch.drain(..) {
            let hour = flow.ts.div_euclid(HOUR_NS);
            let folder = match run.folders.get(&hour) {
                Some(f) => f.clone(),
                None => {
                    let f = layout::folder(&self.parts, &run.name, &flow);
                    run.folders.insert(hour, f.clone());
                    f
                }
            };
            if !run.open.contains_key(&folder) {
                if run.open.len() >= MAX_OPEN {
                    let lru = run
                        .open
                        .iter()
                        .min_by_key(|(_, p)| p.used)
                        .map(|(k, _)| k.clone());
                    if let Some(k) = lru {
                        self.close(run, &k)?;
                    }
                }
                let part = self.open(run, &folder)?;
                run.open.insert(folder.clone(), part);
            }
            run.clock += 1;
            let clock = run.clock;
            let full = match run.open.get_mut(&folder) {
                Some(p) => {
                    p.used = clock;
                    p.pending.push(flow);
                    p.rows + p.pending.len() >= MAX_ROWS_PER_FILE
                        || p.pending.len() >= PARQUET_ROW_GROUP
                }
                None => false,
            };
            run.pending += 1;
            if full {
                self.write_pending(run, &folder)?;
            }
            while run.pending >= PARQUET_ROW_GROUP {
                let largest = run
                    .open
                    .iter()
                    .max_by_key(|(k, p)| (p.pending.len(), std::cmp::Reverse((*k).clone())))
                    .map(|(k, _)| k.clone());
                match largest {
                    Some(k) => self.write_pending(run, &k)?,
                    None => break,
                }
            }
        }
        Ok(())
    }

    fn open(&self, run: &mut SourceRun, folder: &Path) -> Result<Part> {
        let dir = self.dir.join(folder);
        std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
            action: "creating the partition folder",
            path: dir.clone(),
            source,
        })?;
        let n = run.next.entry(folder.to_path_buf()).or_insert(0);
        let dest = dir.join(layout::part_name(*n, &run.tag));
        *n += 1;
        let (file, tmp) = crate::output::temp_beside(&dest)?;
        let out = Shared::new(BufWriter::with_capacity(1 << 20, file));
        let batched = RowGroupWriter::new(out.clone(), PARQUET_ROW_GROUP, &self.schema)
            .map_err(Error::polars("starting a part file"))?;
        Ok(Part {
            tmp,
            dest,
            batched,
            out,
            pending: Vec::new(),
            rows: 0,
            used: 0,
        })
    }

    /// Writes a part's buffered flows as a row group; finishes the file
    /// when it is full.
    fn write_pending(&self, run: &mut SourceRun, folder: &Path) -> Result<()> {
        let Some(p) = run.open.get_mut(folder) else {
            return Ok(());
        };
        if !p.pending.is_empty() {
            let flows = std::mem::take(&mut p.pending);
            let df = flow_frame(&flows, &self.specs, &run.group)?;
            p.batched
                .write(std::slice::from_ref(&df))
                .map_err(Error::polars("writing a part file"))?;
            p.rows += flows.len();
            run.pending -= flows.len();
        }
        if p.rows >= MAX_ROWS_PER_FILE {
            self.close(run, folder)?;
        }
        Ok(())
    }

    /// Writes what a part holds and finishes its file.
    fn close(&self, run: &mut SourceRun, folder: &Path) -> Result<()> {
        if run.open.get(folder).is_some_and(|p| !p.pending.is_empty()) {
            let Some(p) = run.open.get_mut(folder) else {
                return Ok(());
            };
            let flows = std::mem::take(&mut p.pending);
            let df = flow_frame(&flows, &self.specs, &run.group)?;
            p.batched
                .write(std::slice::from_ref(&df))
                .map_err(Error::polars("writing a part file"))?;
            p.rows += flows.len();
            run.pending -= flows.len();
        }
        let Some(p) = run.open.remove(folder) else {
            return Ok(());
        };
        p.batched
            .finish()
            .map_err(Error::polars("finishing a part file"))?;
        drop(p.batched);
        let io = |source| Error::Io {
            action: "writing",
            path: p.dest.clone(),
            source,
        };
        let w = p.out.take();
        if let Some(w) = w {
            w.into_inner().map_err(|e| io(e.into_error()))?;
        }
        run.finished.push(Finished {
            tmp: p.tmp,
            dest: p.dest,
        });
        Ok(())
    }

    /// Finishes the last source and commits every source of the run.
    pub fn finish(&mut self) -> Result<()> {
        self.finish_source()?;
        for c in std::mem::take(&mut self.done) {
            commit::commit(c)?;
        }
        Ok(())
    }
}

impl FlowSink for DatasetWriter {
    fn begin(&mut self, group: &GroupInfo) -> std::result::Result<(), SinkError> {
        Ok(self.start(group)?)
    }

    fn flows(&mut self, batch: &mut Vec<Flow>) -> std::result::Result<(), SinkError> {
        Ok(self.push(batch)?)
    }

    fn end(&mut self) -> std::result::Result<(), SinkError> {
        Ok(self.finish()?)
    }
}
