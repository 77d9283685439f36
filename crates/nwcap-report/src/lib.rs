//! `nwcap report`: one self-contained HTML page of pictures per capture.
//!
//! Two steps, kept apart so that each can be tested and replaced alone:
//!
//! 1. [`ReportBuilder`] takes the finished flows one at a time
//!    ([`ReportBuilder::add_flow`]), as a flow engine hands them to a sink,
//!    and the packets' times, sizes and classes ([`ReportBuilder::add_packet`],
//!    or [`PacketObserver`] in the engine's own pass); it keeps sums,
//!    bounded maps and
//!    heaps, fixed histograms and timelines, never the flows, so memory
//!    stays flat for millions of flows. [`ReportBuilder::finish`] returns
//!    plain [`ReportData`].
//! 2. [`render`] turns [`ReportData`] into one HTML page: SVG charts drawn
//!    by `plotters`, tables, and a small inline script to sort and filter
//!    the table of largest flows. The page loads nothing: no script, style,
//!    font or image from anywhere (its Content-Security-Policy forbids it),
//!    and every string that came off the wire is escaped for display
//!    ([`nwcap_pcap::escape::escape_terminal`]) and for HTML (by `maud`).
//!
//! The numbers of the top lists are those of `nwcap top` ([`rank`]).

pub mod builder;
pub mod data;
pub mod hist;
pub mod largest;
pub mod names;
pub mod packets;
pub mod rank;
mod render;
pub mod timeline;

#[cfg(test)]
mod tests;

pub use builder::{
    FAILED_STATES, NOT_IP_CLASS, PROTOCOL_CLASSES, ReportBuilder, ReportContext, ReportOptions,
    conn_state_meaning, protocol_class,
};
pub use data::{CaptureSummary, DamageNote, FileSummary, PacketCounts, ReportData, TcpHealth};
pub use packets::PacketObserver;
pub use render::render;
pub use timeline::{Timeline, TimelineData};
