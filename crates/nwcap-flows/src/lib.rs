//! Bidirectional flows with per-flow statistics.
//!
//! The engine is split so that per-packet work allocates nothing and the
//! parallel result equals the sequential one exactly:
//!
//! - [`summary`]: a decoded packet reduced to a compact [`PacketSummary`]
//!   with its canonical key, packed to 48 bytes ([`packed`]); the full
//!   [`FlowKey`] ([`key`]) is built once per flow.
//! - [`table`]: the sequential [`FlowTable`] (a slab of flows with a slot
//!   index; timeouts, TCP SYN-after-close splits, IP fragment attribution);
//!   [`flow`] and `tcp` hold one flow's counters and Zeek's TCP state
//!   machine, [`stats`] its exact integer shape statistics.
//! - [`schema`]: the column table ([`COLUMNS`]): names, types, units,
//!   sources and builders of every flow column.
//!
//! The driver that runs these tables over inputs (reading, decoding,
//! filtering, sharding, handing finished flows to a sink) is the
//! `nwcap-engine` crate; a flow's `file` is the input of its first packet.

pub mod analysis;
pub mod columns;
pub mod flow;
mod frags;
pub mod hints;
pub mod ident;
pub mod key;
pub mod packed;
pub mod ports;
pub mod schema;
pub mod stats;
mod streams;
pub mod summary;
pub mod table;
mod tcp;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_zeek;

pub use flow::{DirStats, Flow};
pub use key::FlowKey;
pub use packed::PackedKey;
pub use schema::{
    COLUMNS, ColumnOptions, ColumnSpec, Kind, Source, all_columns, extend_columns, to_columns,
};
pub use summary::PacketSummary;
pub use table::{FlowTable, TableStats};

use nwcap_pcap::packet::ipproto;

pub(crate) const SEC: i64 = 1_000_000_000;

/// Flow engine settings. The defaults are Zeek's timeouts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowConfig {
    /// TCP inactivity timeout, ns (default 5 min).
    pub tcp_timeout_ns: i64,
    /// UDP inactivity timeout, ns (default 1 min).
    pub udp_timeout_ns: i64,
    /// ICMP and other protocols' inactivity timeout, ns (default 1 min).
    pub other_timeout_ns: i64,
    /// An unanswered TCP SYN ends its connection this long after it, ns
    /// (Zeek's `tcp_attempt_delay`, default 5 s).
    pub tcp_attempt_delay_ns: i64,
    /// A closed or reset TCP connection ends this long after its last
    /// packet, ns (Zeek's `tcp_close_delay`, default 5 s).
    pub tcp_close_delay_ns: i64,
    /// Inactivity timeout of interactive TCP services (ports 21, 22, 23,
    /// 513), ns (Zeek's `port_inactivity_timeouts`, default 1 h).
    pub interactive_timeout_ns: i64,
    /// A UDP flow on a DNS port ends once idle this long (less a second),
    /// checked every this long from its start, ns (Zeek's
    /// `dns_session_timeout`, default 10 s).
    pub dns_timeout_ns: i64,
    /// Expired flows are swept each time a table's clock advances this
    /// much, ns (default 10 s).
    pub sweep_interval_ns: i64,
    /// Most fragment datagrams remembered, and most fragments held for
    /// their first fragment, per shard (default 4096).
    pub frag_capacity: usize,
    /// How long a datagram's fragments are attributed to it, and a
    /// fragment waits for its datagram's first fragment, ns (Zeek's
    /// `frag_timeout`, default 5 min).
    pub frag_timeout_ns: i64,
    /// Number of shards (fixed, so results do not depend on threads;
    /// default 32).
    pub shards: usize,
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            tcp_timeout_ns: 300 * SEC,
            udp_timeout_ns: 60 * SEC,
            other_timeout_ns: 60 * SEC,
            tcp_attempt_delay_ns: 5 * SEC,
            tcp_close_delay_ns: 5 * SEC,
            interactive_timeout_ns: 3600 * SEC,
            dns_timeout_ns: 10 * SEC,
            sweep_interval_ns: 10 * SEC,
            frag_capacity: 4096,
            frag_timeout_ns: 300 * SEC,
            shards: 32,
        }
    }
}

impl FlowConfig {
    /// The TCP delays and timeouts.
    pub(crate) fn tcp_timers(&self) -> tcp::TcpTimers {
        tcp::TcpTimers {
            attempt_delay: self.tcp_attempt_delay_ns,
            close_delay: self.tcp_close_delay_ns,
            // Zeek times out a TCP connection with its UDP timeout until
            // the handshake is over.
            handshake_timeout: self.udp_timeout_ns,
            timeout: self.tcp_timeout_ns,
            interactive_timeout: self.interactive_timeout_ns,
        }
    }

    /// Inactivity timeout of a protocol, ns.
    pub fn timeout_ns(&self, proto: u8) -> i64 {
        match proto {
            ipproto::TCP => self.tcp_timeout_ns,
            ipproto::UDP => self.udp_timeout_ns,
            _ => self.other_timeout_ns,
        }
    }
}
