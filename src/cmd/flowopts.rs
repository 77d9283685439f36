//! What `nwcap flows` and `nwcap top` share: input files, filter flags,
//! timeouts, output options, and the run of the flow engine over the files.
//!
//! Several files are one capture: they are ordered by the timestamp of
//! their first record (ties and files without records keep argument
//! order) and fed as one stream into the same flow tables, so a flow that
//! crosses a file boundary stays one flow. Classic pcap files are streamed
//! through reusable buffers (memory stays flat whatever the size); pcapng,
//! NetMon and gzip files are mapped and indexed first. A damaged or
//! unreadable file is reported on stderr with the byte offset of the
//! damage; the records before the damage, and the other files, are still
//! processed, and the exit status says it happened.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use nwcap_filter::{FilterFlags, FilterSet, FiveTuple, PacketFilter, from_capture_json};
use nwcap_flows::columns::Column;
use nwcap_flows::reader::DecodeFn;
use nwcap_flows::{
    Block, ColumnOptions, Flow, FlowConfig, FlowOutput, IndexWindow, PcapStream, Progress, Window,
    all_columns, index_windows, run_pipeline,
};
use nwcap_pcap::packet::ipproto;
use nwcap_pcap::{Capture, Index, Packet, Record, Severity};
use nwcap_summary::polars::prelude::DataFrame;
use nwcap_summary::{Format, Output, OutputOptions, SortKey};
use rayon::prelude::*;

use crate::global::{EXIT_PARTIAL, Global};

/// Input files, filters and flow engine settings.
#[derive(Debug, clap::Args)]
pub struct InputArgs {
    /// Capture files (pcap, pcapng, gzip-compressed, NetMon 2.x). Several
    /// files are one capture, read in order of their first timestamp.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten, next_help_heading = "Filters")]
    pub filters: FilterFlagArgs,
    // The heading above would carry over to every later flag: reset it.
    #[command(flatten, next_help_heading = None::<&str>)]
    pub timeouts: Timeouts,
}

/// The capture filter flags (Network Watcher's filter fields), shared by
/// `flows`, `top` and `analyze`; each command gives them its help heading.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FilterFlagArgs {
    /// Transport protocol: TCP, UDP or Any.
    #[arg(long, value_name = "PROTO")]
    pub protocol: Option<String>,
    /// Addresses of the capture target (`10.0.0.4`, `10.0.0.0/24`,
    /// `10.0.0.1-10.0.0.9`, `;`-separated).
    #[arg(long, value_name = "ADDRS")]
    pub local_ip: Option<String>,
    /// Ports of the capture target end (`80;443`, `1024-65535`).
    #[arg(long, value_name = "PORTS")]
    pub local_port: Option<String>,
    /// Addresses of the other end.
    #[arg(long, value_name = "ADDRS")]
    pub remote_ip: Option<String>,
    /// Ports of the other end.
    #[arg(long, value_name = "PORTS")]
    pub remote_port: Option<String>,
    /// Network Watcher filters as JSON: one filter object or an array
    /// (repeatable). All filters are OR-ed.
    #[arg(long, value_name = "JSON")]
    pub filter: Vec<String>,
    /// Read filters from a file: a packet capture resource (REST API or
    /// `nwcap capture show --output json`), or a filters array.
    #[arg(long, value_name = "FILE")]
    pub filters_from: Option<PathBuf>,
}

impl FilterFlagArgs {
    fn flags(&self) -> FilterFlags<'_> {
        FilterFlags {
            protocol: self.protocol.as_deref(),
            local_ip: self.local_ip.as_deref(),
            local_port: self.local_port.as_deref(),
            remote_ip: self.remote_ip.as_deref(),
            remote_port: self.remote_port.as_deref(),
        }
    }

    /// Whether any filter was given.
    pub fn given(&self) -> bool {
        !self.flags().is_empty() || !self.filter.is_empty() || self.filters_from.is_some()
    }

    /// The filters, parsed (flags, `--filter` JSON and `--filters-from`
    /// OR-ed; the local end from `--local-ip`).
    pub fn filter_set(&self) -> anyhow::Result<FilterSet> {
        filter_set(self.flags(), &self.filter, self.filters_from.as_deref())
    }
}

/// The filters of the filter flags (`flows`, `top`, `analyze`, `filter`):
/// the flags' filter, each `--filter` JSON and the `--filters-from` file,
/// OR-ed; the local end from `--local-ip`.
pub fn filter_set(
    flags: FilterFlags<'_>,
    json: &[String],
    from_file: Option<&Path>,
) -> anyhow::Result<FilterSet> {
    let mut filters: Vec<PacketFilter> = flags.filter()?.into_iter().collect();
    for text in json {
        filters.extend(nwcap_filter::from_filter_json(text).context("--filter")?);
    }
    if let Some(path) = from_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("--filters-from {}", path.display()))?;
        filters.extend(
            from_capture_json(&text)
                .with_context(|| format!("--filters-from {}", path.display()))?,
        );
    }
    Ok(FilterSet::new(filters, flags.local_ips()?))
}

/// Flow engine timeouts (Zeek's defaults).
#[derive(Debug, Clone, clap::Args)]
pub struct Timeouts {
    /// TCP inactivity timeout, seconds.
    #[arg(long, value_name = "S", default_value_t = 300.0)]
    pub tcp_timeout: f64,
    /// UDP inactivity timeout, seconds.
    #[arg(long, value_name = "S", default_value_t = 60.0)]
    pub udp_timeout: f64,
    /// ICMP (and other protocols') inactivity timeout, seconds.
    #[arg(long, value_name = "S", default_value_t = 60.0)]
    pub icmp_timeout: f64,
    /// An unanswered TCP SYN ends its connection this long after it,
    /// seconds (Zeek's tcp_attempt_delay; 0: never).
    #[arg(long, value_name = "S", default_value_t = 5.0)]
    pub tcp_attempt_delay: f64,
    /// A closed or reset TCP connection ends this long after its last
    /// packet, seconds (Zeek's tcp_close_delay).
    #[arg(long, value_name = "S", default_value_t = 5.0)]
    pub tcp_close_delay: f64,
    /// Inactivity timeout of interactive TCP services (ports 21, 22, 23,
    /// 513), seconds (Zeek's port_inactivity_timeouts).
    #[arg(long, value_name = "S", default_value_t = 3600.0)]
    pub tcp_interactive_timeout: f64,
    /// A UDP flow on a DNS port (53, 137, 5353, 5355) ends once idle this
    /// long less a second, seconds (Zeek's dns_session_timeout).
    #[arg(long, value_name = "S", default_value_t = 10.0)]
    pub dns_timeout: f64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            tcp_timeout: 300.0,
            udp_timeout: 60.0,
            icmp_timeout: 60.0,
            tcp_attempt_delay: 5.0,
            tcp_close_delay: 5.0,
            tcp_interactive_timeout: 3600.0,
            dns_timeout: 10.0,
        }
    }
}

impl Timeouts {
    /// The flow engine's settings for these flags (Zeek's defaults).
    pub fn flow_config(&self) -> anyhow::Result<FlowConfig> {
        Ok(FlowConfig {
            tcp_timeout_ns: seconds("--tcp-timeout", self.tcp_timeout)?,
            udp_timeout_ns: seconds("--udp-timeout", self.udp_timeout)?,
            other_timeout_ns: seconds("--icmp-timeout", self.icmp_timeout)?,
            tcp_attempt_delay_ns: delay("--tcp-attempt-delay", self.tcp_attempt_delay)?,
            tcp_close_delay_ns: delay("--tcp-close-delay", self.tcp_close_delay)?,
            interactive_timeout_ns: seconds(
                "--tcp-interactive-timeout",
                self.tcp_interactive_timeout,
            )?,
            dns_timeout_ns: seconds("--dns-timeout", self.dns_timeout)?,
            ..FlowConfig::default()
        })
    }
}

/// A delay in seconds that may be 0.
fn delay(flag: &str, s: f64) -> anyhow::Result<i64> {
    if s == 0.0 {
        return Ok(0);
    }
    seconds(flag, s)
}

/// Output options shared by `flows` and `top`.
#[derive(Debug, clap::Args)]
pub struct OutputArgs {
    /// Output format: table, csv, json, ndjson or parquet.
    #[arg(long, value_name = "FORMAT", default_value = "table")]
    pub format: String,
    /// Write to FILE instead of stdout (`-` = stdout); written atomically.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<String>,
    /// Keep these columns, in this order (comma-separated).
    #[arg(long, value_name = "COLS")]
    pub columns: Option<String>,
    /// Sort by COL[:asc|:desc][,COL...] (numbers default to descending).
    #[arg(long, value_name = "KEYS")]
    pub sort: Option<String>,
    /// SQL query over the table (named `flows`), run first.
    #[arg(long, value_name = "QUERY")]
    pub sql: Option<String>,
}

impl OutputArgs {
    /// Resolves the output flags (`top`: keep the first N rows).
    pub fn resolve(&self, top: Option<usize>) -> anyhow::Result<(OutputOptions, Output)> {
        let format: Format = self.format.parse()?;
        let out = self
            .output
            .as_deref()
            .map_or(Output::Stdout, Output::from_arg);
        if format.is_binary() && out == Output::Stdout && std::io::stdout().is_terminal() {
            anyhow::bail!(
                "refusing to write {format} to a terminal\nhint: add -o FILE, or redirect stdout"
            );
        }
        let opts = OutputOptions {
            format,
            columns: self.columns.as_deref().map(OutputOptions::parse_columns),
            sort: match &self.sort {
                Some(s) => SortKey::parse_list(s)?,
                None => Vec::new(),
            },
            top,
            sql: self.sql.clone(),
            width: None,
        };
        Ok((opts, out))
    }
}

fn seconds(flag: &str, s: f64) -> anyhow::Result<i64> {
    if !(s.is_finite() && s > 0.0 && s < 1e9) {
        anyhow::bail!("{flag}: {s} is not a positive number of seconds");
    }
    Ok((s * 1e9).round() as i64)
}

/// The resolved input settings.
pub struct Settings {
    files: Vec<PathBuf>,
    filters: Option<FilterSet>,
    cfg: FlowConfig,
}

impl InputArgs {
    /// Parses filters and timeouts.
    pub fn resolve(&self) -> anyhow::Result<Settings> {
        let set = self.filters.filter_set()?;
        let cfg = self.timeouts.flow_config()?;
        Ok(Settings {
            files: self.files.clone(),
            filters: (!set.is_match_all()).then_some(set),
            cfg,
        })
    }
}

/// The five-tuple the filters see: the innermost IP header and, for TCP and
/// UDP, its ports (none for other protocols and non-first fragments). Shared
/// by `flows`, `top`, `filter` and `analyze` so that they match alike.
#[inline]
pub(crate) fn tuple(p: &Packet<'_>) -> Option<FiveTuple> {
    let ip = p.ip?;
    let ports = match p.l4 {
        Some(l) if l.proto == ip.proto && matches!(l.proto, ipproto::TCP | ipproto::UDP) => {
            (Some(l.src_port), Some(l.dst_port))
        }
        _ => (None, None),
    };
    Some(FiveTuple {
        proto: ip.proto,
        src: ip.src,
        dst: ip.dst,
        src_port: ports.0,
        dst_port: ports.1,
    })
}

/// One input, opened.
enum Source {
    Stream(PcapStream),
    Mapped(Box<Capture>),
}

struct Opened {
    name: String,
    path: PathBuf,
    first_ts: Option<i64>,
    source: Source,
}

fn open(path: &Path, decode: DecodeFn) -> anyhow::Result<Opened> {
    let name = path.display().to_string();
    let is_pcap = nwcap_flows::stream::is_pcap_file(path).with_context(|| name.clone())?;
    if is_pcap {
        let first_ts = PcapStream::first_ts(path).with_context(|| name.clone())?;
        let s = PcapStream::open(path, 0, decode)?;
        Ok(Opened {
            name,
            path: path.to_path_buf(),
            first_ts,
            source: Source::Stream(s),
        })
    } else {
        let cap = Capture::open(path)?;
        Ok(Opened {
            name,
            path: path.to_path_buf(),
            first_ts: None,
            source: Source::Mapped(Box::new(cap)),
        })
    }
}

/// A window of either kind.
enum AnyWindow<'i, 'a> {
    Block(Block),
    Index(IndexWindow<'i, 'a>),
}

impl Window for AnyWindow<'_, '_> {
    fn bytes(&self) -> &[u8] {
        match self {
            AnyWindow::Block(b) => b.bytes(),
            AnyWindow::Index(w) => w.bytes(),
        }
    }
    fn file(&self) -> u32 {
        match self {
            AnyWindow::Block(b) => b.file(),
            AnyWindow::Index(w) => w.file(),
        }
    }
    fn chunks(&self) -> usize {
        match self {
            AnyWindow::Block(b) => b.chunks(),
            AnyWindow::Index(w) => w.chunks(),
        }
    }
    fn input_bytes(&self) -> u64 {
        match self {
            AnyWindow::Block(b) => b.input_bytes(),
            AnyWindow::Index(w) => w.input_bytes(),
        }
    }
    fn for_each(&self, chunk: usize, f: &mut dyn FnMut(&Record<'_>, &Packet<'_>)) {
        match self {
            AnyWindow::Block(b) => b.for_each(chunk, f),
            AnyWindow::Index(w) => w.for_each(chunk, f),
        }
    }
}

struct Bar(ProgressBar);

impl Progress for Bar {
    fn advance(&self, bytes: u64) {
        self.0.inc(bytes);
    }
}

/// The flows of all files, their names (by file index) and whether some
/// input was damaged or unreadable.
pub struct Analysis {
    /// Flows in output order.
    pub flows: Vec<Flow>,
    /// File names by file index (capture order).
    pub names: Vec<String>,
    /// Some file was damaged or could not be read.
    pub damaged: bool,
}

impl Analysis {
    /// The exit status for a run that produced output.
    pub fn exit_code(&self) -> std::process::ExitCode {
        if self.damaged {
            std::process::ExitCode::from(EXIT_PARTIAL)
        } else {
            std::process::ExitCode::SUCCESS
        }
    }
}

/// Runs the flow engine over the input files. `Err` only when no file
/// could be read at all.
pub fn analyse(settings: &Settings, global: &Global) -> anyhow::Result<Analysis> {
    let decode: DecodeFn = nwcap_pcap::decode::decode;
    let mut damaged = false;
    let mut opened = Vec::new();
    for path in &settings.files {
        match open(path, decode) {
            Ok(o) => opened.push(o),
            Err(e) => {
                damaged = true;
                eprintln!("nwcap: error: {e:#}");
            }
        }
    }
    if opened.is_empty() {
        anyhow::bail!("no input file could be read");
    }
    let total: u64 = opened
        .iter()
        .map(|o| std::fs::metadata(&o.path).map_or(0, |m| m.len()))
        .sum();
    // Split the inputs: streams move into the window iterator, captures
    // stay here for their indexes to borrow.
    let mut info = Vec::with_capacity(opened.len());
    let mut stream_of = Vec::with_capacity(opened.len());
    let mut caps: Vec<Capture> = Vec::new();
    let mut cap_of = Vec::with_capacity(opened.len());
    for o in opened {
        info.push((o.name, o.first_ts));
        match o.source {
            Source::Stream(s) => {
                stream_of.push(Some(s));
                cap_of.push(None);
            }
            Source::Mapped(c) => {
                stream_of.push(None);
                cap_of.push(Some(caps.len()));
                caps.push(*c);
            }
        }
    }
    let indexes: Vec<Index<'_>> = caps.par_iter().map(Capture::index).collect();
    // Capture order: first timestamp, files without records last, then
    // argument order.
    let first = |i: usize| match cap_of[i] {
        Some(m) => indexes[m].all_records().next().map(|r| r.ts),
        None => info[i].1,
    };
    let mut order: Vec<(Option<i64>, usize)> = (0..info.len()).map(|i| (first(i), i)).collect();
    order.sort_by_key(|&(ts, i)| (ts.is_none(), ts, i));
    let names: Vec<String> = order.iter().map(|&(_, i)| info[i].0.clone()).collect();
    let mut streams = Vec::with_capacity(order.len());
    let mut mapped = Vec::with_capacity(order.len());
    for (file, &(_, i)) in order.iter().enumerate() {
        let file = u32::try_from(file).unwrap_or(u32::MAX);
        streams.push(stream_of[i].take().map(|s| s.renumbered(file)));
        mapped.push(cap_of[i]);
    }
    let bar = (global.progress && total >= 64 << 20).then(|| {
        let pb = ProgressBar::new(total);
        pb.set_style(
            ProgressStyle::with_template("{bar:40} {binary_bytes}/{binary_total_bytes} {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Bar(pb)
    });
    // The engine takes a `'static` closure: it owns its copy of the set.
    let filter_fn = settings
        .filters
        .clone()
        .map(|set| move |_: &Record<'_>, p: &Packet<'_>| tuple(p).is_some_and(|t| set.matches(&t)));
    let filter: Option<&nwcap_flows::PacketFilter> =
        filter_fn.as_ref().map(|f| f as &nwcap_flows::PacketFilter);
    let mut windows = Inputs {
        streams,
        mapped,
        indexes: &indexes,
        decode,
        at: 0,
        current: None,
        errors: Vec::new(),
    };
    let out: FlowOutput = run_pipeline(
        &mut windows,
        &settings.cfg,
        filter,
        bar.as_ref().map(|b| b as &dyn Progress),
    );
    if let Some(b) = &bar {
        b.0.finish_and_clear();
    }
    // Report damage in capture order.
    for (file, name) in names.iter().enumerate() {
        let damage = match (windows.mapped[file], windows.streams[file].as_ref()) {
            (Some(m), _) => indexes[m].damage.clone(),
            (None, Some(s)) => s.damage.clone(),
            (None, None) => Vec::new(),
        };
        for d in damage {
            if d.severity == Severity::Error {
                damaged = true;
            }
            if d.severity == Severity::Error || !global.quiet {
                eprintln!("nwcap: {name}: {d}");
            }
        }
    }
    for e in &windows.errors {
        damaged = true;
        eprintln!("nwcap: error: {e}");
    }
    Ok(Analysis {
        flows: out.flows,
        names,
        damaged,
    })
}

/// The inputs as one sequence of windows, in capture order.
struct Inputs<'i, 'a> {
    streams: Vec<Option<PcapStream>>,
    mapped: Vec<Option<usize>>,
    indexes: &'i [Index<'a>],
    decode: DecodeFn,
    at: usize,
    current: Option<Box<dyn Iterator<Item = IndexWindow<'i, 'a>> + Send + 'i>>,
    errors: Vec<nwcap_flows::StreamError>,
}

/// Chunks per window for mapped files.
const MAPPED_WINDOW: usize = 8;

impl<'i, 'a> Iterator for Inputs<'i, 'a> {
    type Item = AnyWindow<'i, 'a>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(it) = self.current.as_mut() {
                if let Some(w) = it.next() {
                    return Some(AnyWindow::Index(w));
                }
                self.current = None;
                self.at += 1;
                continue;
            }
            if self.at >= self.mapped.len() {
                return None;
            }
            let file = u32::try_from(self.at).unwrap_or(u32::MAX);
            if let Some(m) = self.mapped[self.at] {
                let idx = &self.indexes[m];
                let windows = index_windows(std::slice::from_ref(idx), self.decode, MAPPED_WINDOW)
                    .map(move |mut w| {
                        w.file = file;
                        w
                    });
                self.current = Some(Box::new(windows));
                continue;
            }
            if let Some(s) = self.streams.get_mut(self.at).and_then(Option::as_mut) {
                match s.next_block() {
                    Ok(Some(b)) => return Some(AnyWindow::Block(b)),
                    Ok(None) => {}
                    Err(e) => self.errors.push(e),
                }
            }
            self.at += 1;
        }
    }
}

/// Rows converted to a DataFrame per batch: conversion runs in parallel
/// and the flows' memory is released batch by batch. One Parquet row group
/// per batch, so the writer need not copy the frame to regroup it.
const BATCH: usize = nwcap_summary::PARQUET_ROW_GROUP;

/// The flow table as a DataFrame, built in parallel row batches; `flows`
/// is consumed from its end, so each batch's memory goes as soon as it is
/// converted (and no batch is copied out of the vector first).
pub fn to_frame(mut flows: Vec<Flow>, names: &[String]) -> anyhow::Result<DataFrame> {
    let opts = ColumnOptions {
        files: Some(names),
        ..ColumnOptions::default()
    };
    if flows.is_empty() {
        return Ok(nwcap_summary::to_dataframe(all_columns(&[], &opts))?);
    }
    let threads = rayon::current_num_threads().max(1);
    let per = flows.len().div_ceil(threads * 2).clamp(4096, BATCH);
    // Batches start at multiples of `per`; each round converts the last
    // `threads` batches in parallel, then drops those flows.
    let mut frames: Vec<anyhow::Result<DataFrame>> = Vec::new();
    while !flows.is_empty() {
        let last = (flows.len() - 1) / per * per;
        let start = last.saturating_sub((threads - 1) * per);
        let round: Vec<anyhow::Result<DataFrame>> = flows[start..]
            .par_chunks(per)
            .map(|b| {
                let cols: Vec<Column> = all_columns(b, &opts);
                Ok(nwcap_summary::to_dataframe(cols)?)
            })
            .collect();
        frames.extend(round.into_iter().rev());
        flows.truncate(start);
        flows.shrink_to_fit();
    }
    frames.reverse();
    let mut it = frames.into_iter();
    let mut df = it.next().unwrap_or_else(|| Ok(DataFrame::empty()))?;
    for f in it {
        df.vstack_mut(&f?)
            .map_err(|e| anyhow::anyhow!("building the flow table: {e}"))?;
    }
    Ok(df)
}
