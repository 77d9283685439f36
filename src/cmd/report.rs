//! `nwcap report FILE... -o report.html`: one self-contained HTML page of
//! pictures of a capture (throughput, top talkers, connection outcomes,
//! distributions, names, largest flows).
//!
//! The flows come from the engine (`nwcap-engine`) as they end, with the
//! input, filter and timeout flags of `nwcap flows`, into [`ReportSink`],
//! which keeps aggregates only ([`nwcap_report::ReportBuilder`]). The
//! capture summary and the throughput timeline need the packets
//! themselves: the engine hands every record to a
//! [`nwcap_report::PacketObserver`] in the same pass. `nwcap analyze
//! --report` calls [`run_with_report`].

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use nwcap_engine::{FlowSink, GroupInfo, RunReport, SinkError, Tee};
use nwcap_filter::FilterSet;
use nwcap_flows::Flow;
use nwcap_report::{PacketObserver, ReportBuilder, ReportContext, ReportOptions};
use nwcap_summary::{Output, OutputFile};

use crate::cmd::input::{EngineRun, InputArgs, Timeouts};
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
    #[arg(long = "top", value_name = "N", default_value_t = PageArgs::TOP)]
    pub top: usize,
    /// Rows of the table of largest flows.
    #[arg(long, value_name = "N", default_value_t = PageArgs::LARGEST)]
    pub largest: usize,
    /// Rows of each list of names (DNS questions, TLS server names, HTTP
    /// hosts).
    #[arg(long, value_name = "N", default_value_t = PageArgs::NAMES)]
    pub names: usize,
    /// Page title (default: the input file names).
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
}

impl Default for PageArgs {
    fn default() -> PageArgs {
        PageArgs {
            top: PageArgs::TOP,
            largest: PageArgs::LARGEST,
            names: PageArgs::NAMES,
            title: None,
        }
    }
}

impl PageArgs {
    /// Rows of each top list by default.
    pub const TOP: usize = 10;
    /// Rows of the largest-flows table by default.
    pub const LARGEST: usize = 100;
    /// Rows of each list of names by default.
    pub const NAMES: usize = 20;

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
    /// The groups seen.
    pub groups: Vec<GroupInfo>,
}

impl ReportSink {
    /// An empty report.
    pub fn new(opts: ReportOptions) -> ReportSink {
        ReportSink {
            builder: ReportBuilder::new(opts),
            files: Vec::new(),
            groups: Vec::new(),
        }
    }
}

impl FlowSink for ReportSink {
    fn begin(&mut self, group: &GroupInfo) -> Result<(), SinkError> {
        self.files = group.files.clone();
        self.groups.push(group.clone());
        Ok(())
    }

    fn flows(&mut self, batch: &mut Vec<Flow>) -> Result<(), SinkError> {
        for f in batch.iter() {
            self.builder.add_flow(f);
        }
        Ok(())
    }
}

/// Runs the engine over `input` and writes the report page to `out` (`-` =
/// stdout). `settings` are shown on the page beside the filters and
/// timeouts. Inputs are reported on stderr as by the other commands; the
/// run's report gives the exit status ([`messages::exit_code`]).
pub fn run_with_report(
    input: &InputArgs,
    page: &PageArgs,
    settings: Vec<(String, String)>,
    out: &Path,
    global: &Global,
) -> anyhow::Result<RunReport> {
    let run = input.resolve()?;
    let page = Page {
        args: page,
        title: page.title.clone().unwrap_or_else(|| title(&input.files)),
        settings,
        timeouts: &input.timeouts,
    };
    let page_out = PageOutput::create(out)?;
    let (report, _) = write_page(run, page, page_out, global, None)?;
    Ok(report)
}

/// What a page shows besides the flows: its title, the settings listed
/// (for `analyze`: the capture, where it came from), the timeouts used.
pub struct Page<'a> {
    /// What the page shows.
    pub args: &'a PageArgs,
    /// The page title.
    pub title: String,
    /// Settings listed before the filters and timeouts.
    pub settings: Vec<(String, String)>,
    /// The flow timeouts of the run.
    pub timeouts: &'a Timeouts,
}

/// The page's output file, opened before any packet is read so that a path
/// that cannot be written fails first.
pub struct PageOutput(OutputFile);

impl PageOutput {
    /// Opens `out` (`-` = stdout) for the page, atomically written.
    pub fn create(out: &Path) -> anyhow::Result<PageOutput> {
        let out = if out.as_os_str() == "-" {
            Output::Stdout
        } else {
            Output::Path(out.to_path_buf())
        };
        Ok(PageOutput(OutputFile::create(&out)?))
    }
}

/// Runs the engine once and writes the page; `also`, when given, receives
/// every flow too (`nwcap analyze --report` writes its flow table there).
/// Returns the run's report and the number of flows on the page. Inputs
/// are reported on stderr ([`messages::inputs`]).
pub fn write_page(
    run: EngineRun,
    page: Page<'_>,
    out: PageOutput,
    global: &Global,
    also: Option<&mut dyn FlowSink>,
) -> anyhow::Result<(RunReport, u64)> {
    let PageOutput(mut file) = out;
    let mut settings_run = run.settings.clone();
    let observer = std::sync::Arc::new(PacketObserver::new(settings_run.filter.is_some()));
    settings_run.observer = Some(observer.clone());
    let mut sink = ReportSink::new(page.args.options());
    let bar = Bar::new(global);
    let result = match also {
        Some(other) => {
            let mut tee = Tee {
                first: other,
                second: &mut sink,
            };
            nwcap_engine::run(&run.groups, &settings_run, Some(&bar), &mut tee)
        }
        None => nwcap_engine::run(&run.groups, &settings_run, Some(&bar), &mut sink),
    };
    bar.finish();
    let report = result.map_err(messages::engine_error)?;
    messages::inputs(&report, global);
    if report.nothing_read() {
        anyhow::bail!("no input could be read");
    }
    settings_run.observer = None;
    let observer = std::sync::Arc::try_unwrap(observer)
        .map_err(|_| anyhow::anyhow!("the report's packet observer is still in use"))?;
    let (capture, timeline) = observer.finish(&report.files, &sink.groups);
    let files = sink.files;
    let mut b = sink.builder;
    b.merge_packets(&timeline);
    b.set_capture(capture, files);
    let mut shown = page.settings;
    shown.extend(describe(page.timeouts, run.settings.filter.as_ref()));
    let data = b.finish(ReportContext {
        title: page.title,
        generator: format!("nwcap {}", env!("CARGO_PKG_VERSION")),
        settings: shown,
    });
    let html = nwcap_report::render(&data);
    file.write_all(html.as_bytes())
        .with_context(|| format!("writing {}", file.name()))?;
    file.commit()?;
    let flows = report.flows;
    Ok((report, flows))
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
fn describe(t: &Timeouts, filter: Option<&FilterSet>) -> Vec<(String, String)> {
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
