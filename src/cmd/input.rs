//! The input side shared by `flows`, `top`, `report`, `filter --flow` and
//! `analyze`: input files, capture sources, filter flags and flow
//! timeouts, resolved into the engine's groups and settings (the engine, `nwcap-engine`, does the
//! rest: opening, ordering, decoding, filtering, flows).

use std::path::{Path, PathBuf};

use anyhow::Context;
use nwcap_engine::{Group, Input, Settings, SourceRule};
use nwcap_filter::{FilterFlags, FilterSet, PacketFilter, from_capture_json};
use nwcap_flows::FlowConfig;

/// Input files, filters and flow engine settings.
#[derive(Debug, clap::Args)]
pub struct InputArgs {
    /// Capture files (pcap, pcapng, gzip-compressed, NetMon 2.x; `-` for
    /// standard input, FIFOs and pipes work too). The files of one capture
    /// source are one capture, read in order of their first record's time.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub sources: crate::cmd::sources::SourceArgs,
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
    /// `nwcap capture show --format json`), or a filters array.
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
    /// How long an IP fragment waits for its datagram's first fragment,
    /// and a datagram's fragments join its flow, seconds (Zeek's
    /// frag_timeout).
    #[arg(long, value_name = "S", default_value_t = 300.0)]
    pub frag_timeout: f64,
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
            frag_timeout: 300.0,
        }
    }
}

fn seconds(flag: &str, s: f64) -> anyhow::Result<i64> {
    if !(s.is_finite() && s > 0.0 && s < 1e9) {
        anyhow::bail!("{flag}: {s} is not a positive number of seconds");
    }
    Ok((s * 1e9).round() as i64)
}

impl Timeouts {
    /// The flow table settings of these timeouts.
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
            frag_timeout_ns: seconds("--frag-timeout", self.frag_timeout)?,
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

/// The inputs the command-line arguments `files` name (`-`: standard
/// input), refused before anything is read when standard input is named
/// twice or is a terminal.
pub fn inputs(files: &[PathBuf]) -> anyhow::Result<Vec<Input>> {
    let inputs: Vec<Input> = files.iter().map(Input::from_arg).collect();
    if inputs.iter().filter(|i| **i == Input::Stdin).count() > 1 {
        anyhow::bail!("standard input (-) is given more than once");
    }
    if inputs.contains(&Input::Stdin) && std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        anyhow::bail!(
            "standard input (-) is a terminal, not a capture\nhint: pipe a capture in: cat capture.pcap | nwcap flows -"
        );
    }
    Ok(inputs)
}

/// What the engine runs on: the groups of inputs and its settings.
pub struct EngineRun {
    /// One group per capture source ([`nwcap_engine::sources`]).
    pub groups: Vec<Group>,
    /// Filters and flow settings.
    pub settings: Settings,
}

/// The engine run over `files`, put into sources by `rule`, with `filters`
/// and `timeouts`.
pub fn engine_run(
    files: &[PathBuf],
    rule: &SourceRule,
    filters: Option<FilterSet>,
    timeouts: &Timeouts,
) -> anyhow::Result<EngineRun> {
    let inputs = inputs(files)?;
    Ok(EngineRun {
        groups: nwcap_engine::by_source(&inputs, rule),
        settings: Settings {
            flow: timeouts.flow_config()?,
            filter: filters.filter(|s| !s.is_match_all()),
            ..Settings::default()
        },
    })
}

impl InputArgs {
    /// Parses filters and timeouts.
    pub fn resolve(&self) -> anyhow::Result<EngineRun> {
        engine_run(
            &self.files,
            &self.sources.rule()?,
            Some(self.filters.filter_set()?),
            &self.timeouts,
        )
    }
}
