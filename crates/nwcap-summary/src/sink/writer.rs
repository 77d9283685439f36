//! The streaming writer: flows are written as the engine hands them over,
//! a batch at a time, so memory holds one batch ([`PARQUET_ROW_GROUP`],
//! [`TABLE_BATCH`] or [`TEXT_BATCH`] rows), never the table.
//!
//! Flows become columns as soon as they arrive ([`FrameBuilder`], on every
//! core): what waits for the batch to fill is columns (about half of a
//! flow's 440 bytes), not flows, each column growing in one piece until
//! the batch is full. Each batch is written as soon as it is full (the
//! memory of one batch's columns and pages, however many flows a hand-over
//! brings), through polars' own writer for its format, so every value is
//! written as the whole-table path writes it: CSV (header once, from the column table,
//! even when no flow comes), NDJSON, a JSON array (batches joined), Parquet
//! (one row group per batch, pages encoded and compressed on every core),
//! Zeek's logs (header once, `#close` at the end), or the human table (its
//! layout measured on the first batch).

use std::io::Write;

use nwcap_engine::{FlowSink, GroupInfo, SinkError};
use nwcap_flows::Flow;
use nwcap_flows::schema::ColumnSpec;
use polars::prelude::*;

use crate::error::{Error, Result};
use crate::flowframe::{FrameBuilder, GroupNames, flow_frame};
use crate::options::Format;
use crate::output::{Output, OutputFile};
use crate::parquet::{RowGroupWriter, Shared};
use crate::table::Table;
use crate::write::{PARQUET_ROW_GROUP, text_frame};
use crate::zeek::{Style, ZeekLog};

enum Encoder {
    Csv {
        out: OutputFile,
        header: bool,
    },
    Ndjson {
        out: OutputFile,
    },
    Json {
        out: OutputFile,
        rows: usize,
    },
    Parquet {
        batched: Box<RowGroupWriter<Shared<OutputFile>>>,
        out: Shared<OutputFile>,
    },
    Table {
        out: OutputFile,
        width: usize,
        table: Option<Table>,
    },
    Zeek {
        out: OutputFile,
        log: ZeekLog,
    },
}

/// Writes flows as they come.
pub struct FlowWriter {
    group: GroupNames,
    /// Columns of the flows not yet written.
    building: FrameBuilder,
    /// Frames not yet in a batch, in order: those given
    /// ([`FlowWriter::push_frame`]), each after the rows `building` held
    /// when it came; `building`'s rows follow them.
    pending: Vec<DataFrame>,
    /// Rows in `pending`.
    pending_rows: usize,
    /// Whole batches (`batch_rows` rows each) waiting to be written.
    full: Vec<DataFrame>,
    /// Flows written at a time ([`PARQUET_ROW_GROUP`], [`TABLE_BATCH`] or
    /// [`TEXT_BATCH`]).
    batch_rows: usize,
    /// Rows still to write (`--top N` without a sort); `None`: all.
    left: Option<usize>,
    enc: Option<Encoder>,
}

impl FlowWriter {
    /// A writer of `specs` in `format` to `out`; at most `limit` rows.
    pub fn new(
        format: Format,
        specs: Vec<&'static ColumnSpec>,
        out: &Output,
        width: usize,
        limit: Option<usize>,
    ) -> Result<FlowWriter> {
        let file = OutputFile::create(out)?;
        let enc = match format {
            Format::Csv => Encoder::Csv {
                out: file,
                header: false,
            },
            Format::Ndjson => Encoder::Ndjson { out: file },
            Format::Json => Encoder::Json { out: file, rows: 0 },
            Format::Table => Encoder::Table {
                out: file,
                width,
                table: None,
            },
            Format::Zeek | Format::ZeekJson => {
                let style = if format == Format::Zeek {
                    Style::Tsv
                } else {
                    Style::Json
                };
                let mut out = file;
                let log = ZeekLog::new(
                    flow_frame(&[], &specs, &GroupNames::default())?.schema(),
                    style,
                );
                log.header(&mut out).map_err(|source| Error::Io {
                    action: "writing",
                    path: std::path::PathBuf::from(out.name()),
                    source,
                })?;
                Encoder::Zeek { out, log }
            }
            Format::Parquet => {
                let shared = Shared::new(file);
                let empty = flow_frame(&[], &specs, &GroupNames::default())?;
                let batched =
                    RowGroupWriter::new(shared.clone(), PARQUET_ROW_GROUP, empty.schema())
                        .map_err(Error::polars("starting the parquet file"))?;
                Encoder::Parquet {
                    batched: Box::new(batched),
                    out: shared,
                }
            }
        };
        // Parquet and the table write what they hold as one row group or
        // one block of aligned rows; text rows go out in smaller batches
        // (the flows held are most of the writer's memory).
        let batch_rows = match enc {
            Encoder::Parquet { .. } => PARQUET_ROW_GROUP,
            Encoder::Table { .. } => TABLE_BATCH,
            _ => TEXT_BATCH,
        };
        Ok(FlowWriter {
            building: FrameBuilder::new(&specs).with_limit(batch_rows),
            group: GroupNames::default(),
            pending: Vec::new(),
            pending_rows: 0,
            full: Vec::new(),
            batch_rows,
            left: limit,
            enc: Some(enc),
        })
    }

    /// Writes the pending flows (also when there are none, for the header
    /// of an empty table).
    fn flush(&mut self, last: bool) -> Result<()> {
        if self.waiting() > 0 || (last && self.full.is_empty()) {
            self.close_batch()?;
        }
        self.write_full(last)
    }

    /// Writes the whole batches held (`last`: the output ends with them).
    fn write_full(&mut self, last: bool) -> Result<()> {
        let full = std::mem::take(&mut self.full);
        if let Some(Encoder::Parquet { batched, .. }) = self.enc.as_mut() {
            let groups: Vec<DataFrame> = full.into_iter().filter(|d| d.height() > 0).collect();
            return batched
                .write(&groups)
                .map_err(Error::polars("writing parquet"));
        }
        let n = full.len();
        for (i, df) in full.into_iter().enumerate() {
            self.write(df, last && i + 1 == n)?;
        }
        Ok(())
    }

    /// Rows taken and not yet in `full`.
    fn waiting(&self) -> usize {
        self.pending_rows + self.building.len()
    }

    /// The rows waiting become one batch of `full` (an empty one when
    /// none wait).
    fn close_batch(&mut self) -> Result<()> {
        if !self.building.is_empty() || self.pending.is_empty() {
            let df = self.building.take()?;
            self.pending.push(df);
        }
        self.pending_rows = 0;
        let mut frames = std::mem::take(&mut self.pending).into_iter();
        let Some(mut df) = frames.next() else {
            return Ok(());
        };
        for f in frames {
            df.vstack_mut_owned(f)
                .map_err(Error::polars("building the flow table"))?;
        }
        self.full.push(df);
        Ok(())
    }

    /// Writes one batch with the text or table encoder (`last`: the
    /// output's last batch, which closes the document).
    fn write(&mut self, df: DataFrame, last: bool) -> Result<()> {
        let Some(enc) = self.enc.as_mut() else {
            return Ok(());
        };
        let io = |out: &OutputFile| {
            let path = std::path::PathBuf::from(out.name());
            move |source| Error::Io {
                action: "writing",
                path,
                source,
            }
        };
        match enc {
            Encoder::Csv { out, header } => {
                if df.height() == 0 && *header {
                    return Ok(());
                }
                let mut text = text_frame(&df, true)?;
                CsvWriter::new(&mut *out)
                    .include_header(!*header)
                    .finish(&mut text)
                    .map_err(Error::polars("writing csv"))?;
                *header = true;
            }
            Encoder::Ndjson { out } => {
                if df.height() > 0 {
                    let mut text = text_frame(&df, false)?;
                    JsonWriter::new(&mut *out)
                        .with_json_format(JsonFormat::JsonLines)
                        .finish(&mut text)
                        .map_err(Error::polars("writing json"))?;
                }
            }
            Encoder::Json { out, rows } => {
                if df.height() > 0 {
                    let mut text = text_frame(&df, false)?;
                    let mut buf = Vec::new();
                    JsonWriter::new(&mut buf)
                        .with_json_format(JsonFormat::Json)
                        .finish(&mut text)
                        .map_err(Error::polars("writing json"))?;
                    // One array for the whole output: each batch's array
                    // without its brackets, joined by commas.
                    let inner = buf
                        .strip_prefix(b"[")
                        .and_then(|b| b.strip_suffix(b"]"))
                        .unwrap_or(&buf);
                    let sep: &[u8] = if *rows == 0 { b"[" } else { b"," };
                    out.write_all(sep).map_err(io(out))?;
                    out.write_all(inner).map_err(io(out))?;
                    *rows += df.height();
                }
                if last {
                    let end: &[u8] = if *rows == 0 { b"[]" } else { b"]" };
                    out.write_all(end).map_err(io(out))?;
                }
            }
            // Written by `write_full`, as each row group fills.
            Encoder::Parquet { .. } => {}
            Encoder::Zeek { out, log } => {
                log.rows(&df, out).map_err(io(out))?;
                if last {
                    log.close(out).map_err(io(out))?;
                }
            }
            Encoder::Table { out, width, table } => {
                if table.is_none() {
                    let t = Table::new(&df, *width);
                    t.header(out).map_err(io(out))?;
                    *table = Some(t);
                }
                if let Some(t) = table {
                    t.rows(&df, out).map_err(io(out))?;
                    if last {
                        t.footer(out).map_err(io(out))?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Writes what is left and commits the output.
    pub fn finish(&mut self) -> Result<()> {
        self.flush(true)?;
        match self.enc.take() {
            Some(
                Encoder::Csv { out, .. }
                | Encoder::Ndjson { out }
                | Encoder::Json { out, .. }
                | Encoder::Table { out, .. }
                | Encoder::Zeek { out, .. },
            ) => out.commit(),
            Some(Encoder::Parquet { batched, out }) => {
                batched
                    .finish()
                    .map_err(Error::polars("finishing the parquet file"))?;
                drop(batched);
                let file = out.take();
                match file {
                    Some(f) => f.commit(),
                    None => Ok(()),
                }
            }
            None => Ok(()),
        }
    }

    /// Flushes what is pending and names the inputs and the source of the
    /// flows to come (the `file` and `source` columns).
    pub fn set_group(&mut self, group: GroupNames) -> Result<()> {
        self.flush(false)?;
        self.group = group;
        Ok(())
    }

    /// Takes a batch of flows (the engine's order).
    pub fn push(&mut self, batch: &[Flow]) -> Result<()> {
        let batch = match self.left.as_mut() {
            Some(left) => {
                let keep = batch.len().min(*left);
                *left -= keep;
                &batch[..keep]
            }
            None => batch,
        };
        if batch.is_empty() {
            return Ok(());
        }
        // Columns now; each batch written as soon as it is full.
        let cap = self.batch_rows;
        let mut rest: &[Flow] = batch;
        while !rest.is_empty() {
            let room = cap.saturating_sub(self.waiting()).max(1);
            let (now, later) = rest.split_at(room.min(rest.len()));
            self.building.append(now, &self.group);
            rest = later;
            if self.waiting() >= cap {
                self.close_batch()?;
                self.write_full(false)?;
            }
        }
        Ok(())
    }

    /// Rows written at a time: a frame given to [`FlowWriter::push_frame`]
    /// should have this many (the last one fewer).
    pub(crate) fn batch_rows(&self) -> usize {
        self.batch_rows
    }

    /// Takes rows already made columns (this writer's columns, in its
    /// order), as [`FlowWriter::push`] takes flows.
    pub(crate) fn push_frame(&mut self, mut df: DataFrame) -> Result<()> {
        if let Some(left) = self.left.as_mut() {
            let keep = df.height().min(*left);
            df = df.head(Some(keep));
            *left -= keep;
        }
        if df.height() == 0 {
            return Ok(());
        }
        // After the flows taken before it.
        if !self.building.is_empty() {
            let built = self.building.take()?;
            self.pending_rows += built.height();
            self.pending.push(built);
        }
        self.pending_rows += df.height();
        self.pending.push(df);
        if self.pending_rows >= self.batch_rows {
            self.close_batch()?;
        }
        self.write_full(false)
    }
}

/// Rows of the human table measured and written at a time: its column
/// widths come from the first block.
pub const TABLE_BATCH: usize = 65_536;

/// Flows per batch of the text formats (CSV, NDJSON, JSON, Zeek).
pub const TEXT_BATCH: usize = 8192;

impl FlowSink for FlowWriter {
    fn begin(&mut self, group: &GroupInfo) -> std::result::Result<(), SinkError> {
        // The `file` and `source` columns name the group's inputs and source.
        Ok(self.set_group(group.into())?)
    }

    fn flows(&mut self, batch: &mut Vec<Flow>) -> std::result::Result<(), SinkError> {
        Ok(self.push(batch)?)
    }

    fn end(&mut self) -> std::result::Result<(), SinkError> {
        Ok(self.finish()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A classic pcap of `n` UDP exchanges (one flow each, a request and
    /// a reply 1 ms later), one a second.
    fn capture(n: u32) -> Vec<u8> {
        use nwcap_testsupport::packets::{ETHERTYPE_IPV4, UDP, eth, ipv4, pcap_us, udp};
        let exchanges = (0..n).flat_map(|i| {
            let cli = [10, 0, (i >> 8) as u8, i as u8];
            let srv = [10, 9, 0, 1];
            let port = 20_000 + (i % 40_000) as u16;
            [(0, (cli, port, srv, 53)), (1, (srv, 53, cli, port))].map(
                |(ms, (src, sp, dst, dp))| {
                    let f = eth(
                        None,
                        ETHERTYPE_IPV4,
                        &ipv4(src, dst, UDP, &udp(sp, dp, &[7; 8])),
                    );
                    ((u64::from(i) * 1000 + ms) * 1000, f)
                },
            )
        });
        pcap_us(exchanges)
    }

    /// The flows of [`capture`]`(n)`, by the engine, and the folder of
    /// the capture (for the outputs).
    fn flows(n: u32) -> (tempfile::TempDir, nwcap_engine::Collect) {
        let dir = tempfile::tempdir().expect("tempdir");
        let pcap = dir.path().join("many.pcap");
        std::fs::write(&pcap, capture(n)).expect("write capture");
        let mut all = nwcap_engine::Collect::default();
        nwcap_engine::run(
            &[nwcap_engine::Group::new([&pcap])],
            &nwcap_engine::Settings::default(),
            None,
            &mut all,
        )
        .expect("engine");
        assert_eq!(all.flows.len(), n as usize);
        (dir, all)
    }

    fn read_parquet(path: &std::path::Path) -> DataFrame {
        let bytes = std::fs::read(path).expect("read back");
        ParquetReader::new(std::io::Cursor::new(bytes))
            .finish()
            .expect("parquet")
    }

    /// Flows and frames given in turn, a group changed in the middle of a
    /// batch, a row limit, and no flows at all: the rows come out in the
    /// order given, each with its own group's `file` and `source`.
    #[test]
    fn flows_frames_groups_and_limits_keep_their_order() {
        let (dir, all) = flows(20_000);
        let f = &all.flows;
        let specs: Vec<&'static ColumnSpec> = nwcap_flows::COLUMNS.iter().collect();
        let g1 = GroupNames {
            files: vec!["one.pcap".into()],
            source: Some("vm-1".into()),
        };
        let g2 = GroupNames {
            files: vec!["two.pcap".into()],
            source: Some("vm-2".into()),
        };
        let out = |name: &str| dir.path().join(name);
        let writer = |name: &str, limit: Option<usize>| {
            FlowWriter::new(
                Format::Parquet,
                specs.clone(),
                &Output::Path(out(name)),
                100,
                limit,
            )
            .expect("writer")
        };
        let frame = |flows: &[Flow], g: &GroupNames| flow_frame(flows, &specs, g).expect("frame");

        // Flows, a frame, flows, across a row group's boundary.
        let mut w = writer("mixed", None);
        w.set_group(g1.clone()).expect("group");
        w.push(&f[..100]).expect("push");
        w.push_frame(frame(&f[100..10_000], &g1)).expect("frame");
        w.push(&f[10_000..]).expect("push");
        w.finish().expect("finish");
        let want = frame(f, &g1);
        assert!(
            read_parquet(&out("mixed")).equals_missing(&want),
            "flows and frames"
        );

        // A new group in the middle of a batch.
        let mut w = writer("groups", None);
        w.set_group(g1.clone()).expect("group");
        w.push(&f[..5_000]).expect("push");
        w.set_group(g2.clone()).expect("group");
        w.push(&f[5_000..]).expect("push");
        w.finish().expect("finish");
        let mut want = frame(&f[..5_000], &g1);
        want.vstack_mut_owned(frame(&f[5_000..], &g2))
            .expect("vstack");
        assert!(read_parquet(&out("groups")).equals_missing(&want), "groups");

        // At most 17,000 rows, however they come.
        let mut w = writer("limit", Some(17_000));
        w.set_group(g1.clone()).expect("group");
        for part in f.chunks(3_000) {
            w.push(part).expect("push");
        }
        w.finish().expect("finish");
        let want = frame(&f[..17_000], &g1);
        assert!(read_parquet(&out("limit")).equals_missing(&want), "limit");

        // No flows: a file of the columns and no rows; CSV its header.
        let mut w = writer("none", None);
        w.finish().expect("finish");
        let none = read_parquet(&out("none"));
        assert_eq!((none.height(), none.width()), (0, specs.len()));
        let csv = out("none.csv");
        let mut w = FlowWriter::new(
            Format::Csv,
            specs.clone(),
            &Output::Path(csv.clone()),
            100,
            None,
        )
        .expect("writer");
        w.finish().expect("finish");
        let text = std::fs::read_to_string(&csv).expect("csv");
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.starts_with("ts,uid,"), "{text}");
    }

    /// Whatever sizes the flows come in, a file holds the same bytes: the
    /// columns grow across hand-overs and each batch is cut at the same
    /// rows. The Parquet file holds the rows of one frame of every flow.
    #[test]
    fn batches_of_any_size_write_the_same_bytes() {
        let (dir, all) = flows(40_000);
        let group = all.groups.first().map(GroupNames::from).unwrap_or_default();
        let specs: Vec<&'static ColumnSpec> = nwcap_flows::COLUMNS.iter().collect();
        for format in [Format::Parquet, Format::Csv] {
            let write = |name: &str, sizes: &[usize]| {
                let path = dir.path().join(name);
                let mut w = FlowWriter::new(
                    format,
                    specs.clone(),
                    &Output::Path(path.clone()),
                    100,
                    None,
                )
                .expect("writer");
                w.set_group(group.clone()).expect("group");
                let mut rest: &[Flow] = &all.flows;
                for &n in sizes.iter().cycle() {
                    if rest.is_empty() {
                        break;
                    }
                    let (now, later) = rest.split_at(n.min(rest.len()));
                    w.push(now).expect("push");
                    rest = later;
                }
                w.finish().expect("finish");
                std::fs::read(&path).expect("read back")
            };
            let once = write("once", &[usize::MAX]);
            for sizes in [
                &[1usize, 7, 5000][..],
                &[16_383, 16_385],
                &[3000, 40, 20_000],
            ] {
                assert!(
                    write("parts", sizes) == once,
                    "{format:?} in parts of {sizes:?}"
                );
            }
            if format == Format::Parquet {
                let df = flow_frame(&all.flows, &specs, &group).expect("frame");
                let back = ParquetReader::new(std::io::Cursor::new(once))
                    .finish()
                    .expect("read back");
                assert!(back.equals_missing(&df), "parquet holds other rows");
            }
        }
    }
}
