//! Write captures: the forensic extract of `nwcap filter`.
//!
//! An extract is evidence, so the writer copies and never re-encodes what it
//! can copy. A [`Plan`] looks at every input once and decides:
//!
//! - **pcap** when every input is classic pcap with the same magic, version
//!   and link-type field: the first input's 24-byte file header is written
//!   (snap length raised to the largest of the inputs) and every record, its
//!   16- or 24-byte header included, is copied byte for byte, in the file's
//!   own byte order and timestamp resolution;
//! - **pcapng** otherwise: one section, one output interface per input
//!   interface. A pcapng input in the output's byte order has its interface
//!   blocks and packet blocks copied verbatim (only the interface id of a
//!   packet block is patched when the numbering moved, in merges); what
//!   cannot be copied (pcap records merged with other formats, NetMon frames,
//!   sections in the other byte order) is re-encoded as enhanced packet
//!   blocks with the same bytes, lengths and timestamps, and counted.
//!
//! [`CaptureWriter`] then takes records in the order the caller chose (the
//! caller merges inputs by time) and reads each one's bytes straight from the
//! mapped input ([`record_bytes`]); nothing is buffered but the output.

mod plan;
mod raw;
#[cfg(test)]
mod tests;

use std::io::Write;

use crate::pcapng::write as ngw;

pub use plan::{OutputFormat, Plan};
pub use raw::record_bytes;

use crate::capture::Index;
use crate::record::Record;

/// Why writing failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The output could not be written.
    #[error("write failed: {0}")]
    Io(#[from] std::io::Error),
    /// A record's bytes could not be found in its input (the record does
    /// not come from the index it was passed with).
    #[error("input {input}: no record at byte {offset}")]
    NoRecord {
        /// Input number (position in the plan).
        input: usize,
        /// Offset the record claims.
        offset: u64,
    },
    /// The input number is not one the plan was made for.
    #[error("input {0} is not part of the output plan")]
    UnknownInput(usize),
}

/// What a writer did, record by record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Records written.
    pub records: u64,
    /// Records copied byte for byte.
    pub copied: u64,
    /// pcapng packet blocks copied with only the interface id changed.
    pub renumbered: u64,
    /// Records re-encoded as enhanced packet blocks.
    pub encoded: u64,
    /// Records not written: their link type has no pcapng number (NetMon's
    /// own information frames).
    pub skipped: u64,
    /// Bytes written, headers included.
    pub bytes: u64,
}

/// Writes records to one output capture according to a [`Plan`].
pub struct CaptureWriter<W: Write> {
    out: W,
    plan: Plan,
    stats: WriteStats,
    scratch: Vec<u8>,
}

impl<W: Write> CaptureWriter<W> {
    /// Start the output: writes the file header (pcap) or the section and
    /// interface blocks (pcapng).
    pub fn new(mut out: W, plan: Plan) -> Result<Self, WriteError> {
        let head = plan.header();
        out.write_all(&head)?;
        Ok(CaptureWriter {
            out,
            plan,
            stats: WriteStats {
                bytes: head.len() as u64,
                ..WriteStats::default()
            },
            scratch: Vec::new(),
        })
    }

    /// The plan being followed.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Write one record of input `input` (its position in the plan), read
    /// from `idx`, the index it came from. Returns false when the record
    /// cannot be represented in the output and was skipped (counted).
    pub fn write(
        &mut self,
        input: usize,
        idx: &Index<'_>,
        rec: &Record<'_>,
    ) -> Result<bool, WriteError> {
        let route = self.plan.route(input, rec.interface)?;
        let Some(route) = route else {
            self.stats.skipped += 1;
            return Ok(false);
        };
        let n = if route.copy {
            let bytes = record_bytes(idx, rec).ok_or(WriteError::NoRecord {
                input,
                offset: rec.offset,
            })?;
            match route.patch {
                Some(e) if route.local != route.out => {
                    self.scratch.clear();
                    self.scratch.extend_from_slice(bytes);
                    if ngw::set_interface(&mut self.scratch, e, route.out) {
                        self.stats.renumbered += 1;
                    } else {
                        // A simple packet block names no interface: re-encode.
                        self.scratch.clear();
                        ngw::epb(&mut self.scratch, e, route.out, route.tsresol, rec);
                        self.stats.encoded += 1;
                    }
                    self.out.write_all(&self.scratch)?;
                    self.scratch.len()
                }
                _ => {
                    self.out.write_all(bytes)?;
                    self.stats.copied += 1;
                    bytes.len()
                }
            }
        } else {
            self.scratch.clear();
            ngw::epb(
                &mut self.scratch,
                self.plan.endian(),
                route.out,
                route.tsresol,
                rec,
            );
            self.out.write_all(&self.scratch)?;
            self.stats.encoded += 1;
            self.scratch.len()
        };
        self.stats.records += 1;
        self.stats.bytes += n as u64;
        Ok(true)
    }

    /// Write a record the caller reshaped: cut shorter than captured, or
    /// moved in time (the Network Watcher emulator of `nwcap-armtest`
    /// applies a capture's byte limits and start time this way). Its bytes
    /// are `rec.data` and its header is encoded from `rec`'s fields, never
    /// copied: a 16-byte pcap record header in the output's byte order and
    /// resolution, or a pcapng enhanced packet block. Returns false when
    /// the record's interface has no place in the output (counted as
    /// skipped).
    pub fn write_shaped(&mut self, input: usize, rec: &Record<'_>) -> Result<bool, WriteError> {
        let Some(route) = self.plan.route(input, rec.interface)? else {
            self.stats.skipped += 1;
            return Ok(false);
        };
        self.scratch.clear();
        match self.plan.format() {
            OutputFormat::Pcap => crate::pcap::write::record(
                &mut self.scratch,
                self.plan.endian(),
                self.plan.pcap_nanos(),
                rec,
            ),
            OutputFormat::PcapNg => ngw::epb(
                &mut self.scratch,
                self.plan.endian(),
                route.out,
                route.tsresol,
                rec,
            ),
        }
        self.out.write_all(&self.scratch)?;
        self.stats.encoded += 1;
        self.stats.records += 1;
        self.stats.bytes += self.scratch.len() as u64;
        Ok(true)
    }

    /// Counters so far.
    pub fn stats(&self) -> &WriteStats {
        &self.stats
    }

    /// Flush and hand back the output and the counters.
    pub fn finish(mut self) -> Result<(W, WriteStats), WriteError> {
        self.out.flush()?;
        Ok((self.out, self.stats))
    }
}
