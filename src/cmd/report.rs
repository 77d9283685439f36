//! `nwcap report FILE... -o report.html`: one self-contained HTML page of
//! pictures of a capture (throughput, top talkers, connection outcomes,
//! distributions, names, largest flows).
//!
//! The flows come from the engine (`nwcap-engine`) as they end, with the
//! input, filter and timeout flags of `nwcap flows`, into [`ReportSink`],
//! which keeps aggregates only ([`nwcap_report::ReportBuilder`]). The
//! capture summary and the throughput timeline need the packets
//! themselves: until the engine hands them over in its own pass,
//! [`packet_pass`] reads the files a second time, on another thread while
//! the engine runs. `nwcap analyze --report` can call [`run_with_report`]
//! (or put a [`ReportSink`] beside its own sink).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use nwcap_engine::select::five_tuple;
use nwcap_engine::{FlowSink, GroupInfo, RunReport, SinkError};
use nwcap_filter::FilterSet;
use nwcap_flows::Flow;
use nwcap_pcap::pcapng::NO_TIMESTAMP;
use nwcap_pcap::{Capture, Severity};
use nwcap_report::{
    CaptureSummary, DamageNote, FileSummary, NOT_IP_CLASS, PacketCounts, ReportBuilder,
    ReportContext, ReportOptions, Timeline, protocol_class,
};
use nwcap_summary::{Output, OutputFile};

use crate::cmd::input::InputArgs;
use crate::global::Global;
use crate::messages;
use crate::progress::Bar;

/// Arguments of `nwcap report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: InputArgs,
    /// Write the page to FILE (`-` = stdout); written atomically.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    #[command(flatten, next_help_heading = "Page")]
    page: PageArgs,
}

/// What the page shows, shared with `nwcap analyze --report`.
#[derive(Debug, Clone, clap::Args)]
pub struct PageArgs {
    /// Rows of each top list (talkers, conversations, ports, services).
    #[arg(long = "top", value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// Rows of the table of largest flows.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub largest: usize,
    /// Rows of each list of names (DNS questions, TLS server names, HTTP
    /// hosts).
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub names: usize,
    /// Page title (default: the input file names).
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
}

impl PageArgs {
    /// The builder's options.
    pub fn options(&self) -> ReportOptions {
        ReportOptions {
            top: self.top,
            largest: self.largest,
            names: self.names,
            ..ReportOptions::default()
        }
    }
}

/// Run `nwcap report`.
pub fn run(args: Args, global: &Global) -> anyhow::Result<ExitCode> {
    let report = run_with_report(&args.input, &args.page, Vec::new(), &args.output, global)?;
    if !global.quiet && args.output.as_os_str() != "-" {
        eprintln!(
            "nwcap: wrote {} ({} flows)",
            args.output.display(),
            report.flows
        );
    }
    Ok(messages::exit_code(&report))
}

/// The engine's flows into a report, one batch at a time (nothing kept but
/// the builder's aggregates).
pub struct ReportSink {
    /// The report being built.
    pub builder: ReportBuilder,
    /// File names of the group, in capture order (what `Flow::file`
    /// indexes).
    pub files: Vec<String>,
}

impl ReportSink {
    /// An empty report.
    pub fn new(opts: ReportOptions) -> ReportSink {
        ReportSink {
            builder: ReportBuilder::new(opts),
            files: Vec::new(),
        }
    }
}

impl FlowSink for ReportSink {
    fn begin(&mut self, group: &GroupInfo) -> Result<(), SinkError> {
        self.files = group.files.clone();
        Ok(())
    }

    fn flows(&mut self, batch: Vec<Flow>) -> Result<(), SinkError> {
        for f in &batch {
            self.builder.add_flow(f);
        }
        Ok(())
    }
}

/// Runs the engine over `input` and writes the report page to `out` (`-` =
/// stdout). `settings` are shown on the page beside the filters and
/// timeouts (for `analyze`: the capture's name, where it came from...).
/// Inputs are reported on stderr as by the other commands; the run's
/// report gives the exit status ([`messages::exit_code`]).
pub fn run_with_report(
    input: &InputArgs,
    page: &PageArgs,
    settings: Vec<(String, String)>,
    out: &Path,
    global: &Global,
) -> anyhow::Result<RunReport> {
    let run = input.resolve()?;
    // Opened first: a path that cannot be written fails before any packet
    // is read.
    let out = if out.as_os_str() == "-" {
        Output::Stdout
    } else {
        Output::Path(out.to_path_buf())
    };
    let mut file = OutputFile::create(&out)?;
    let filter = run.settings.filter.as_ref();
    let mut sink = ReportSink::new(page.options());
    let bar = Bar::new(global);
    let (result, packets) = std::thread::scope(|s| {
        let pass = s.spawn(|| packet_pass(&input.files, filter));
        let result = nwcap_engine::run(&run.groups, &run.settings, Some(&bar), &mut sink);
        (result, pass.join())
    });
    bar.finish();
    let report = result.map_err(messages::engine_error)?;
    messages::inputs(&report, global);
    if report.nothing_read() {
        anyhow::bail!("no input could be read");
    }
    let (mut capture, timeline) =
        packets.map_err(|_| anyhow::anyhow!("the packet pass of the report failed"))?;
    // Files in capture order, as the flows' file indexes count them.
    let files = sink.files;
    capture
        .files
        .sort_by_key(|f| files.iter().position(|n| *n == f.name));
    let mut b = sink.builder;
    b.merge_packets(&timeline);
    b.set_capture(capture, files);
    let mut shown = settings;
    shown.extend(describe(input, filter));
    let data = b.finish(ReportContext {
        title: page.title.clone().unwrap_or_else(|| title(&input.files)),
        generator: format!("nwcap {}", env!("CARGO_PKG_VERSION")),
        settings: shown,
    });
    let html = nwcap_report::render(&data);
    file.write_all(html.as_bytes())
        .with_context(|| format!("writing {}", file.name()))?;
    file.commit()?;
    Ok(report)
}

/// The default title: the file names, the first three of many.
fn title(files: &[PathBuf]) -> String {
    let names: Vec<String> = files
        .iter()
        .take(3)
        .map(|p| p.display().to_string())
        .collect();
    match files.len() {
        n if n > 3 => format!("{} and {} more files", names.join(", "), n - 3),
        _ => names.join(", "),
    }
}

/// The filters and timeouts, as the page lists them.
fn describe(input: &InputArgs, filter: Option<&FilterSet>) -> Vec<(String, String)> {
    let mut v = Vec::new();
    match filter {
        None => v.push(("filters".to_owned(), "none: every packet".to_owned())),
        Some(set) => {
            for (i, f) in set.filters().iter().enumerate() {
                v.push((format!("filter {} (OR-ed)", i + 1), f.to_string()));
            }
            if let Some(ips) = set.local_ips() {
                v.push(("local end".to_owned(), ips.to_string()));
            }
        }
    }
    let t = &input.timeouts;
    v.push((
        "flow timeouts".to_owned(),
        format!(
            "TCP {} s, UDP {} s, ICMP and others {} s; TCP attempt delay {} s, close delay {} s, \
             interactive {} s; DNS {} s",
            t.tcp_timeout,
            t.udp_timeout,
            t.icmp_timeout,
            t.tcp_attempt_delay,
            t.tcp_close_delay,
            t.tcp_interactive_timeout,
            t.dns_timeout
        ),
    ));
    v
}

/// What one chunk of records adds to the report.
struct Part {
    timeline: Timeline,
    counts: PacketCounts,
    non_ip: HashMap<u16, u64>,
    /// Packets the filters dropped.
    dropped: u64,
}

/// The capture summary (as `nwcap info` gives it) and the throughput
/// timeline, from a second read of the files.
///
/// Temporary: the engine of issue 13 sees every packet once and will feed
/// `ReportBuilder::add_packet` and the counts itself; this function then
/// goes. Unreadable files and damage are listed on the page (the engine's
/// run already reports them on stderr).
pub fn packet_pass(files: &[PathBuf], filter: Option<&FilterSet>) -> (CaptureSummary, Timeline) {
    let mut summary = CaptureSummary::default();
    let mut timeline = ReportBuilder::packet_timeline();
    let mut non_ip: HashMap<u16, u64> = HashMap::default();
    let mut dropped = 0u64;
    for path in files {
        let name = path.display().to_string();
        let cap = match Capture::open(path) {
            Ok(c) => c,
            Err(e) => {
                summary.files.push(FileSummary {
                    name,
                    error: Some(e.to_string()),
                    ..FileSummary::default()
                });
                continue;
            }
        };
        let idx = cap.index();
        let parts = idx.map_chunks(|_, records| {
            let mut p = Part {
                timeline: ReportBuilder::packet_timeline(),
                counts: PacketCounts::default(),
                non_ip: HashMap::default(),
                dropped: 0,
            };
            for r in records {
                let untimed = r.ts == NO_TIMESTAMP;
                p.counts.untimed += u64::from(untimed);
                let class = if nwcap_pcap::decode::supported(r.linktype) {
                    let pkt = nwcap_pcap::decode::decode(r.linktype, r.data);
                    if pkt.ip.is_some() {
                        p.counts.ip += 1;
                    } else {
                        p.counts.non_ip += 1;
                        *p.non_ip.entry(pkt.non_ip.unwrap_or(0)).or_default() += 1;
                    }
                    if let Some(set) = filter
                        && !five_tuple(&pkt).is_some_and(|t| set.matches(&t))
                    {
                        p.dropped += 1;
                        continue;
                    }
                    protocol_class(&pkt)
                } else {
                    p.counts.undecoded += 1;
                    if filter.is_some() {
                        p.dropped += 1;
                        continue;
                    }
                    NOT_IP_CLASS
                };
                if !untimed {
                    p.timeline.add(r.ts, u64::from(r.origlen), class);
                }
            }
            p
        });
        let c = &mut summary.packets;
        for p in parts {
            timeline.merge(&p.timeline);
            c.ip += p.counts.ip;
            c.non_ip += p.counts.non_ip;
            c.undecoded += p.counts.undecoded;
            c.untimed += p.counts.untimed;
            dropped += p.dropped;
            for (t, n) in p.non_ip {
                *non_ip.entry(t).or_default() += n;
            }
        }
        let s = &idx.stats;
        c.records += s.packets;
        c.wire_bytes += s.original_bytes;
        c.first_ts = min_opt(c.first_ts, s.first_ts);
        c.last_ts = s.last_ts.max(c.last_ts);
        let mut link_types: Vec<String> = Vec::new();
        for i in &idx.interfaces {
            let n = i.linktype.name();
            if !link_types.contains(&n) {
                link_types.push(n);
            }
        }
        summary.files.push(FileSummary {
            name,
            format: Some(cap.format().name().to_owned()),
            compressed: cap.compressed(),
            link_types,
            packets: s.packets,
            captured_bytes: s.captured_bytes,
            original_bytes: s.original_bytes,
            truncated: s.truncated,
            first_ts: s.first_ts,
            last_ts: s.last_ts,
            damage: idx
                .damage
                .iter()
                .map(|d| DamageNote {
                    severity: match d.severity {
                        Severity::Error => "error",
                        Severity::Warning => "warning",
                    }
                    .to_owned(),
                    offset: d.offset,
                    message: d.message.clone(),
                })
                .collect(),
            error: None,
        });
    }
    let c = &mut summary.packets;
    if filter.is_some() {
        c.filtered_out = Some(dropped);
    }
    let mut types: Vec<(u16, u64)> = non_ip.into_iter().collect();
    types.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    c.non_ip_types = types;
    (summary, timeline)
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}
