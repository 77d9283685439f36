//! Deciding the output format and interface numbering before writing.

use super::WriteError;
use crate::bytes::Endian;
use crate::capture::{Format, Index};
use crate::pcap::HEADER_LEN;
use crate::pcapng::write::{self as ngw, Tsresol};

/// The container an output is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Classic pcap, header and records copied from the input(s).
    Pcap,
    /// pcapng, one section.
    PcapNg,
}

impl OutputFormat {
    /// Lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Pcap => "pcap",
            OutputFormat::PcapNg => "pcapng",
        }
    }
}

/// How the records of one input interface are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Route {
    /// Output interface id (pcapng).
    pub out: u32,
    /// Copy the record's bytes (else re-encode as an EPB).
    pub copy: bool,
    /// Interface id in the input's section (pcapng copies).
    pub local: u32,
    /// Byte order to patch the interface id in (pcapng copies only).
    pub patch: Option<Endian>,
    /// Timestamp resolution of the output interface, for re-encoding.
    pub tsresol: Tsresol,
}

/// The output format and, per input interface, where its records go.
#[derive(Debug, Clone)]
pub struct Plan {
    format: OutputFormat,
    endian: Endian,
    header: Vec<u8>,
    routes: Vec<Vec<Option<Route>>>,
    interfaces: usize,
    notes: Vec<String>,
}

fn file_name(idx: &Index<'_>) -> String {
    let p = idx.capture().path();
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

impl Plan {
    /// Plan the output for `inputs`, in the order records will name them.
    pub fn new(inputs: &[&Index<'_>]) -> Plan {
        if let Some(plan) = Plan::pcap(inputs) {
            return plan;
        }
        Plan::pcapng(inputs)
    }

    /// Every input pcap with the same magic, version and link-type field.
    fn pcap(inputs: &[&Index<'_>]) -> Option<Plan> {
        let first = inputs.first()?;
        let h0 = first.capture().pcap_header()?;
        let head0 = first.capture().data().get(..HEADER_LEN)?;
        let mut snaplen = h0.snaplen;
        for idx in inputs {
            let h = idx.capture().pcap_header()?;
            let head = idx.capture().data().get(..HEADER_LEN)?;
            if head[..8] != head0[..8] || h.linktype_raw != h0.linktype_raw {
                return None;
            }
            snaplen = snaplen.max(h.snaplen);
        }
        let mut header = head0.to_vec();
        let s = match h0.endian {
            Endian::Little => snaplen.to_le_bytes(),
            Endian::Big => snaplen.to_be_bytes(),
        };
        header[16..20].copy_from_slice(&s);
        let route = Route {
            out: 0,
            copy: true,
            local: 0,
            patch: None,
            tsresol: Tsresol::Micro,
        };
        Some(Plan {
            format: OutputFormat::Pcap,
            endian: h0.endian,
            header,
            routes: inputs.iter().map(|_| vec![Some(route)]).collect(),
            interfaces: 1,
            notes: Vec::new(),
        })
    }

    fn pcapng(inputs: &[&Index<'_>]) -> Plan {
        let endian = inputs
            .iter()
            .find(|i| i.capture().format() == Format::PcapNg)
            .and_then(|i| i.sections.first().map(|s| s.endian))
            .unwrap_or(Endian::Little);
        let mut notes = Vec::new();
        let mut idbs: Vec<u8> = Vec::new();
        let mut routes = Vec::with_capacity(inputs.len());
        let mut out: u32 = 0;
        let formats: Vec<Format> = inputs.iter().map(|i| i.capture().format()).collect();
        if formats.contains(&Format::NetMon) {
            notes.push(
                "NetMon input cannot be kept as NetMon: writing pcapng with one interface per link type"
                    .to_string(),
            );
        }
        if formats.contains(&Format::Pcap) {
            notes.push(
                "inputs differ in format or link type: writing pcapng with one interface per input file and interface"
                    .to_string(),
            );
        }
        let mut unwritable = 0usize;
        let mut swapped = 0usize;
        for idx in inputs {
            let name = file_name(idx);
            let format = idx.capture().format();
            let raw_idbs = if format == Format::PcapNg {
                crate::pcapng::write::idb_blocks(idx)
            } else {
                Vec::new()
            };
            let mut r = Vec::with_capacity(idx.interfaces.len());
            for (g, iface) in idx.interfaces.iter().enumerate() {
                let Ok(linktype) = u16::try_from(iface.linktype.0) else {
                    unwritable += 1;
                    r.push(None);
                    continue;
                };
                let section = idx.sections.get(iface.section as usize);
                let local = section.map_or(0, |s| (g as u32).saturating_sub(s.if_base));
                let same_order = section.is_some_and(|s| s.endian == endian);
                let raw = raw_idbs.get(g).copied().flatten();
                match (format, raw) {
                    (Format::PcapNg, Some(block)) if same_order => {
                        idbs.extend_from_slice(block);
                        r.push(Some(Route {
                            out,
                            copy: true,
                            local,
                            patch: Some(endian),
                            tsresol: Tsresol::Nano,
                        }));
                    }
                    _ => {
                        if format == Format::PcapNg {
                            swapped += 1;
                        }
                        let tsresol = match idx.capture().pcap_header() {
                            Some(h) if !h.nanos => Tsresol::Micro,
                            _ => Tsresol::Nano,
                        };
                        let description = match format {
                            Format::NetMon => {
                                format!("{name}: netmon media {}", iface.linktype.name())
                            }
                            _ => format!("{name}: interface {g}"),
                        };
                        ngw::idb(
                            &mut idbs,
                            endian,
                            linktype,
                            iface.snaplen,
                            tsresol,
                            iface.name.as_deref(),
                            Some(&description),
                        );
                        r.push(Some(Route {
                            out,
                            copy: false,
                            local,
                            patch: None,
                            tsresol,
                        }));
                    }
                }
                out += 1;
            }
            routes.push(r);
        }
        if swapped > 0 {
            notes.push(format!(
                "{swapped} pcapng interface(s) in the other byte order: their packets are re-encoded"
            ));
        }
        if unwritable > 0 {
            notes.push(format!(
                "{unwritable} interface(s) have no pcapng link type (NetMon information frames): their records are not written"
            ));
        }
        let mut header = Vec::new();
        ngw::shb(&mut header, endian);
        header.extend_from_slice(&idbs);
        Plan {
            format: OutputFormat::PcapNg,
            endian,
            header,
            routes,
            interfaces: out as usize,
            notes,
        }
    }

    /// Output container.
    pub fn format(&self) -> OutputFormat {
        self.format
    }

    /// Byte order of the output.
    pub fn endian(&self) -> Endian {
        self.endian
    }

    /// Number of interfaces written (1 for pcap).
    pub fn interfaces(&self) -> usize {
        self.interfaces
    }

    /// What the plan had to change, in words for stderr.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The bytes before the first record: pcap file header, or SHB + IDBs.
    pub fn header(&self) -> Vec<u8> {
        self.header.clone()
    }

    /// Whether a pcap output's timestamps are in nanoseconds (its magic).
    pub(super) fn pcap_nanos(&self) -> bool {
        let magic = self.header.get(..4).map(|m| [m[0], m[1], m[2], m[3]]);
        let v = magic.map(|m| match self.endian {
            Endian::Little => u32::from_le_bytes(m),
            Endian::Big => u32::from_be_bytes(m),
        });
        v == Some(0xA1B2_3C4D)
    }

    pub(super) fn route(&self, input: usize, interface: u32) -> Result<Option<Route>, WriteError> {
        let r = self
            .routes
            .get(input)
            .ok_or(WriteError::UnknownInput(input))?;
        Ok(r.get(interface as usize).copied().flatten())
    }
}
