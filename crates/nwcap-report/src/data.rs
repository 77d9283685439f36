//! What a report shows, as plain data: the result of
//! [`ReportBuilder::finish`](crate::ReportBuilder::finish) and the input of
//! [`render`](crate::render). Nothing here refers to a flow or a packet:
//! every number is already summed.

use crate::hist::HistData;
use crate::largest::FlowRow;
use crate::names::NamesData;
use crate::rank::{RankingsData, Sums};
use crate::timeline::TimelineData;

/// One problem found in a file (as `nwcap info` lists them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DamageNote {
    /// "error" (records lost) or "warning".
    pub severity: String,
    /// Byte offset in the (decompressed) file.
    pub offset: u64,
    /// What was wrong.
    pub message: String,
}

/// One input file, as `nwcap info` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileSummary {
    /// The path as given.
    pub name: String,
    /// Format name (`pcap`, `pcapng`, `netmon2`); none when unreadable.
    pub format: Option<String>,
    /// gzip-compressed.
    pub compressed: bool,
    /// Link types of its interfaces, by name.
    pub link_types: Vec<String>,
    /// Records.
    pub packets: u64,
    /// Sum of captured lengths.
    pub captured_bytes: u64,
    /// Sum of original (wire) lengths.
    pub original_bytes: u64,
    /// Records cut by the snap length.
    pub truncated: u64,
    /// Earliest timestamp, ns.
    pub first_ts: Option<i64>,
    /// Latest timestamp, ns.
    pub last_ts: Option<i64>,
    /// Damage found while reading.
    pub damage: Vec<DamageNote>,
    /// Why the file could not be read at all.
    pub error: Option<String>,
}

/// What the packets of all files were, as the packet pass classified them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PacketCounts {
    /// Records in all files.
    pub records: u64,
    /// Wire bytes of all records.
    pub wire_bytes: u64,
    /// IP packets (innermost header), before any filter.
    pub ip: u64,
    /// Frames that are not IP (ARP, STP, LLDP...).
    pub non_ip: u64,
    /// Non-IP frames by EtherType (or link protocol number), most first.
    pub non_ip_types: Vec<(u16, u64)>,
    /// Frames of a link type nwcap does not decode.
    pub undecoded: u64,
    /// Records without a timestamp (left out of the timeline).
    pub untimed: u64,
    /// Packets the filters dropped (none without filters).
    pub filtered_out: Option<u64>,
    /// Earliest timestamp, ns.
    pub first_ts: Option<i64>,
    /// Latest timestamp, ns.
    pub last_ts: Option<i64>,
}

/// The capture: its files and what their packets were.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CaptureSummary {
    /// Files, in capture order.
    pub files: Vec<FileSummary>,
    /// Packet classes over all files.
    pub packets: PacketCounts,
}

/// TCP health over all TCP flows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TcpHealth {
    /// TCP flows.
    pub flows: u64,
    /// TCP packets.
    pub pkts: u64,
    /// Flows with at least one retransmission.
    pub flows_with_retransmits: u64,
    /// Retransmitted segments.
    pub retransmits: u64,
    /// Out-of-order segments.
    pub out_of_order: u64,
    /// Flows with a zero window advertisement.
    pub flows_with_zero_window: u64,
    /// Zero window advertisements.
    pub zero_window: u64,
    /// Handshake round trips (SYN to the ACK of the SYN-ACK), ns.
    pub handshake_rtt: HistData,
}

/// Everything the page shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReportData {
    /// Page title.
    pub title: String,
    /// The program that made it ("nwcap 0.1.0").
    pub generator: String,
    /// Settings and filters the flows were made with, as (name, value).
    pub settings: Vec<(String, String)>,
    /// The capture's files and packets.
    pub capture: CaptureSummary,
    /// Packets and wire bytes over time, by protocol.
    pub throughput: TimelineData,
    /// All flows.
    pub flows: Sums,
    /// Top talkers, conversations, ports, services; every protocol.
    pub rankings: RankingsData,
    /// Flows per Zeek conn_state, most first.
    pub conn_states: Vec<(String, Sums)>,
    /// TCP connections over time by their start, failed ones by state.
    pub connections: TimelineData,
    /// TCP health.
    pub tcp: TcpHealth,
    /// Flow durations, ns.
    pub durations: HistData,
    /// Flow sizes, wire bytes of both directions.
    pub sizes: HistData,
    /// DNS questions.
    pub dns: NamesData,
    /// TLS server names.
    pub tls: NamesData,
    /// HTTP hosts.
    pub http: NamesData,
    /// The largest flows, largest first.
    pub largest: Vec<FlowRow>,
    /// File names by file index (for the rows' `file`).
    pub file_names: Vec<String>,
}
