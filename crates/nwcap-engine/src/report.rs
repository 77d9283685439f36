//! What a run read and kept: per input, its format, records and damage;
//! over the run, the packet counts of each stage (read, not IP, dropped by
//! the filters, kept, per filter) and the flows written.

use nwcap_pcap::{Damage, Format, Severity};

/// One input of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// Group (capture source) of the input.
    pub group: usize,
    /// Name of the input.
    pub name: String,
    /// Container format, when the input could be opened.
    pub format: Option<Format>,
    /// gzip-compressed.
    pub compressed: bool,
    /// Records read.
    pub records: u64,
    /// Problems found, with offsets (warnings and errors).
    pub damage: Vec<Damage>,
    /// Why the input could not be opened or read on, if so.
    pub error: Option<String>,
}

impl FileReport {
    /// True when the input could not be read whole (an error, or damage of
    /// error severity): the exit status says so.
    pub fn damaged(&self) -> bool {
        self.error.is_some() || self.damage.iter().any(|d| d.severity == Severity::Error)
    }
}

/// Packet counts of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Records read.
    pub read: u64,
    /// Records kept by the filters (all when there is none).
    pub kept: u64,
    /// Records dropped by the filters (those without IP included).
    pub dropped: u64,
    /// Records without an IP header (ARP, LLDP, NetMon's own frames, link
    /// types nwcap does not decode, frames cut before IP): never part of a
    /// flow.
    pub not_ip: u64,
    /// Of those, records that could not be decoded as far as IP (unknown
    /// link type, cut or malformed headers) rather than known non-IP.
    pub undecodable: u64,
    /// Per filter: records it matched (a record may match several); only
    /// when [`crate::Settings::count_per_filter`] is set.
    pub per_filter: Vec<u64>,
    /// Packets added to flows.
    pub flow_packets: u64,
    /// Non-first IP fragments whose first fragment was not seen.
    pub orphan_fragments: u64,
}

impl Counts {
    pub(crate) fn add(&mut self, o: &Counts) {
        self.read += o.read;
        self.kept += o.kept;
        self.dropped += o.dropped;
        self.not_ip += o.not_ip;
        self.undecodable += o.undecodable;
        if self.per_filter.len() < o.per_filter.len() {
            self.per_filter.resize(o.per_filter.len(), 0);
        }
        for (a, b) in self.per_filter.iter_mut().zip(&o.per_filter) {
            *a += b;
        }
        self.flow_packets += o.flow_packets;
        self.orphan_fragments += o.orphan_fragments;
    }
}

/// The outcome of [`crate::run`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Every input, by group, in capture order (inputs that could not be
    /// opened last in their group).
    pub files: Vec<FileReport>,
    /// Packet counts.
    pub counts: Counts,
    /// Flows handed to the sink.
    pub flows: u64,
}

impl RunReport {
    /// True when some input could not be read whole.
    pub fn damaged(&self) -> bool {
        self.files.iter().any(FileReport::damaged)
    }

    /// True when no input could be opened at all.
    pub fn nothing_read(&self) -> bool {
        self.files.iter().all(|f| f.format.is_none())
    }
}
