//! [`ReportBuilder`]: flows in, one at a time, as the engine finishes them;
//! plain [`ReportData`] out.
//!
//! Memory does not grow with the number of flows: each flow updates sums,
//! maps keyed by address/port/service/name (one entry per key), fixed
//! histograms and timelines, and a bounded heap of the largest flows; the
//! flow itself is not kept. Packets feed the throughput timeline through
//! [`ReportBuilder::add_packet`] with a class from [`protocol_class`].

use nwcap_flows::Flow;
use nwcap_pcap::Packet;
use nwcap_pcap::packet::ipproto;
use rustc_hash::FxHashMap;

use crate::data::{CaptureSummary, ReportData, TcpHealth};
use crate::hist::LogHistogram;
use crate::largest::Largest;
use crate::names::{DEFAULT_CAP, NameCounts};
use crate::rank::{Rankings, Sums};
use crate::timeline::Timeline;

/// Classes of the throughput timeline, in stacking order.
pub const PROTOCOL_CLASSES: [&str; 5] = ["tcp", "udp", "icmp", "other IP", "not IP"];

/// The class of frames that are not IP, or of a link type that is not
/// decoded, in [`PROTOCOL_CLASSES`].
pub const NOT_IP_CLASS: usize = 4;

/// The throughput class of a decoded packet (an index into
/// [`PROTOCOL_CLASSES`]): its innermost IP protocol, or "not IP".
#[inline]
pub fn protocol_class(p: &Packet<'_>) -> usize {
    match p.ip.map(|ip| ip.proto) {
        Some(ipproto::TCP) => 0,
        Some(ipproto::UDP) => 1,
        Some(ipproto::ICMP | ipproto::ICMPV6) => 2,
        Some(_) => 3,
        None => NOT_IP_CLASS,
    }
}

/// Zeek conn_states of TCP connections that failed or were aborted, and
/// what each means (Zeek's conn.log documentation).
pub const FAILED_STATES: [(&str, &str); 8] = [
    ("S0", "attempt seen, no reply"),
    ("REJ", "attempt rejected (RST to the SYN)"),
    ("RSTO", "established, originator aborted (RST)"),
    ("RSTR", "established, responder aborted (RST)"),
    ("RSTOS0", "originator sent a SYN then a RST, no SYN-ACK"),
    ("RSTRH", "responder sent a SYN-ACK then a RST, no SYN seen"),
    ("SH", "originator sent a SYN then a FIN, no SYN-ACK"),
    ("SHR", "responder sent a SYN-ACK then a FIN, no SYN seen"),
];

/// Meaning of every Zeek conn_state.
pub fn conn_state_meaning(state: &str) -> &'static str {
    if let Some((_, m)) = FAILED_STATES.iter().find(|(s, _)| *s == state) {
        return m;
    }
    match state {
        "S1" => "established, not terminated",
        "SF" => "normal establishment and termination",
        "S2" => "established, close attempt by originator only",
        "S3" => "established, close attempt by responder only",
        "OTH" => "no SYN seen (midstream), or not TCP/UDP",
        _ => "",
    }
}

/// Most steps drawn in a throughput chart (about two pixels each).
const THROUGHPUT_STEPS: usize = 480;
/// Most bars drawn in the connections chart.
const CONNECTION_BARS: usize = 150;

/// Sizes of the report's lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportOptions {
    /// Rows of each top list (talkers, conversations, ports, services).
    pub top: usize,
    /// Rows of the table of largest flows.
    pub largest: usize,
    /// Rows of each list of names (DNS, TLS, HTTP).
    pub names: usize,
    /// Distinct names counted at most per kind.
    pub name_cap: usize,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            top: 10,
            largest: 100,
            names: 20,
            name_cap: DEFAULT_CAP,
        }
    }
}

/// What the page says besides the numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportContext {
    /// Page title.
    pub title: String,
    /// The program that made it ("nwcap 0.1.0").
    pub generator: String,
    /// Settings and filters the flows were made with, as (name, value).
    pub settings: Vec<(String, String)>,
}

/// Aggregates a capture's flows and packets into a report.
#[derive(Debug)]
pub struct ReportBuilder {
    opts: ReportOptions,
    capture: CaptureSummary,
    file_names: Vec<String>,
    packets: Timeline,
    flows: Sums,
    rankings: Rankings,
    states: FxHashMap<&'static str, Sums>,
    connections: Timeline,
    tcp: TcpHealth,
    rtt: LogHistogram,
    durations: LogHistogram,
    sizes: LogHistogram,
    dns: NameCounts,
    tls: NameCounts,
    http: NameCounts,
    largest: Largest,
}

impl ReportBuilder {
    /// An empty report.
    pub fn new(opts: ReportOptions) -> ReportBuilder {
        let mut conn_classes: Vec<&str> = FAILED_STATES.iter().map(|(s, _)| *s).collect();
        conn_classes.push("other");
        ReportBuilder {
            opts,
            capture: CaptureSummary::default(),
            file_names: Vec::new(),
            packets: Timeline::new(&PROTOCOL_CLASSES),
            flows: Sums::default(),
            rankings: Rankings::default(),
            states: FxHashMap::default(),
            connections: Timeline::new(&conn_classes),
            tcp: TcpHealth::default(),
            rtt: LogHistogram::new(),
            durations: LogHistogram::new(),
            sizes: LogHistogram::new(),
            dns: NameCounts::new(opts.name_cap),
            tls: NameCounts::new(opts.name_cap),
            http: NameCounts::new(opts.name_cap),
            largest: Largest::new(opts.largest),
        }
    }

    /// Counts one finished flow.
    pub fn add_flow(&mut self, f: &Flow) {
        let pkts = f.orig.pkts + f.resp.pkts;
        let bytes = f.orig.bytes + f.resp.bytes;
        self.flows.flows += 1;
        self.flows.pkts += pkts;
        self.flows.bytes += bytes;
        self.rankings.add(f);
        let state = f.conn_state();
        let s = self.states.entry(state).or_default();
        s.flows += 1;
        s.pkts += pkts;
        s.bytes += bytes;
        if f.key.proto == ipproto::TCP {
            let class = FAILED_STATES
                .iter()
                .position(|(s, _)| *s == state)
                .unwrap_or(FAILED_STATES.len());
            self.connections.add(f.ts, bytes, class);
            let t = &mut self.tcp;
            t.flows += 1;
            t.pkts += pkts;
            t.retransmits += f.analysis().retransmissions;
            t.flows_with_retransmits += u64::from(f.analysis().retransmissions > 0);
            t.out_of_order += f.analysis().out_of_order;
            t.zero_window += f.analysis().zero_windows;
            t.flows_with_zero_window += u64::from(f.analysis().zero_windows > 0);
            if let Some(rtt) = f.handshake_rtt() {
                self.rtt.add(rtt.unsigned_abs());
            }
        }
        self.durations.add(f.duration().unsigned_abs());
        self.sizes.add(bytes);
        if let Some(n) = f.dns_query() {
            self.dns.add(n);
        }
        if let Some(n) = f.tls_sni() {
            self.tls.add(n);
        }
        if let Some(n) = f.http_host() {
            self.http.add(n);
        }
        self.largest.add(f);
    }

    /// Counts one packet of `wire_bytes` at `ts_ns` in the throughput
    /// timeline; `class` from [`protocol_class`]. Records without a
    /// timestamp are left out (and counted in the capture summary).
    #[inline]
    pub fn add_packet(&mut self, ts_ns: i64, wire_bytes: u64, class: usize) {
        self.packets.add(ts_ns, wire_bytes, class);
    }

    /// Adds a throughput timeline filled elsewhere (another thread, another
    /// file), with the classes of [`PROTOCOL_CLASSES`].
    pub fn merge_packets(&mut self, t: &Timeline) {
        self.packets.merge(t);
    }

    /// An empty throughput timeline with the classes this builder uses, to
    /// be filled elsewhere and merged with [`Self::merge_packets`].
    pub fn packet_timeline() -> Timeline {
        Timeline::new(&PROTOCOL_CLASSES)
    }

    /// Sets the capture summary (files, packet classes) and the file names
    /// by file index (what `Flow::file` refers to).
    pub fn set_capture(&mut self, capture: CaptureSummary, file_names: Vec<String>) {
        self.capture = capture;
        self.file_names = file_names;
    }

    /// The report's data.
    pub fn finish(self, ctx: ReportContext) -> ReportData {
        let mut states: Vec<(String, Sums)> = self
            .states
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        states.sort_by(|a, b| b.1.flows.cmp(&a.1.flows).then_with(|| a.0.cmp(&b.0)));
        // The connections chart spans the capture, as the throughput one.
        let mut connections = self.connections;
        let p = &self.capture.packets;
        if !connections.is_empty()
            && let (Some(a), Some(b)) = (p.first_ts, p.last_ts)
        {
            connections.add_n(a, 0, 0, 0);
            connections.add_n(b, 0, 0, 0);
        }
        connections.coarsen_to(CONNECTION_BARS);
        let mut packets = self.packets;
        packets.coarsen_to(THROUGHPUT_STEPS);
        let mut tcp = self.tcp;
        tcp.handshake_rtt = self.rtt.data();
        ReportData {
            title: ctx.title,
            generator: ctx.generator,
            settings: ctx.settings,
            capture: self.capture,
            throughput: packets.data(),
            flows: self.flows,
            rankings: self.rankings.data(self.opts.top),
            conn_states: states,
            connections: connections.data(),
            tcp,
            durations: self.durations.data(),
            sizes: self.sizes.data(),
            dns: self.dns.data(self.opts.names),
            tls: self.tls.data(self.opts.names),
            http: self.http.data(self.opts.names),
            largest: self.largest.rows(),
            file_names: self.file_names,
        }
    }
}
