//! Finding the packet blocks of a buffer of pcapng blocks, carrying the
//! section state (byte order, interfaces) from buffer to buffer.
//!
//! Packet blocks need the interfaces described before them, so the walk is
//! sequential; a chunk is cut at every [`CHUNK_BYTES`] of input (as for
//! classic pcap) and wherever the section state changes (a section header
//! or an interface description), and each chunk carries the state its
//! packets are read with ([`SectionState`]).

use std::sync::Arc;

use super::{
    BlockStep, EPB, IDB, Interface, PB, SHB, SPB, block_at, interface, packet, shb_endian,
};
use crate::bytes::Endian;
use crate::capture::CHUNK_BYTES;
use crate::damage::Damage;
use crate::prefetch::Prefetcher;

/// What the packet blocks of a chunk are read with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionState {
    /// Byte order of the section.
    pub endian: Endian,
    /// The section's interfaces so far.
    pub interfaces: Arc<Vec<Interface>>,
    /// Global number of the section's first interface.
    pub if_base: u32,
}

/// The walk's state between buffers.
#[derive(Debug, Clone, Default)]
pub struct NgFramer {
    state: Option<Arc<SectionState>>,
    sections: u32,
    /// Interfaces of all sections so far.
    interface_count: u32,
}

/// The whole blocks of a buffer.
#[derive(Debug, Default)]
pub struct NgFramed {
    /// `(start, end, state)` of each chunk holding packet blocks.
    pub chunks: Vec<(usize, usize, Arc<SectionState>)>,
    /// End of the last whole block.
    pub end: usize,
    /// Packet records framed.
    pub records: u64,
    /// Warnings met (file offsets).
    pub warnings: Vec<Damage>,
    /// Damage that stops reading.
    pub stop: Option<Damage>,
}

impl NgFramer {
    /// Frames `buf` (byte 0 at file offset `base`) from the block boundary
    /// `start`.
    pub fn frame(&mut self, buf: &[u8], start: usize, base: u64) -> NgFramed {
        let mut out = NgFramed {
            end: start,
            ..NgFramed::default()
        };
        let mut chunk_start = start;
        let mut chunk_records = 0u64;
        let mut limit = start.saturating_add(CHUNK_BYTES);
        let mut ahead = Prefetcher::at(start);
        let at = |pos: usize| base + pos as u64;
        loop {
            let pos = out.end;
            if pos >= buf.len() {
                break;
            }
            ahead.run(buf, pos);
            let is_shb = self
                .state
                .as_ref()
                .map_or(Endian::Little, |s| s.endian)
                .u32(buf, pos)
                == Some(SHB)
                || Endian::Little.u32(buf, pos) == Some(SHB);
            let endian = if is_shb {
                match shb_endian(buf, pos) {
                    Some(e) => e,
                    None if buf.len() - pos < 12 => break,
                    None => {
                        out.stop = Some(Damage::error(
                            at(pos),
                            "section header block without a valid byte-order magic",
                        ));
                        break;
                    }
                }
            } else {
                match &self.state {
                    Some(s) => s.endian,
                    None => {
                        out.stop = Some(Damage::error(
                            at(pos),
                            "block before any section header block",
                        ));
                        break;
                    }
                }
            };
            let b = match block_at(buf, pos, endian) {
                BlockStep::Block(b) => b,
                BlockStep::End | BlockStep::Truncated(_) => break,
                BlockStep::Bad(d) => {
                    out.stop = Some(Damage {
                        offset: at(pos),
                        ..d
                    });
                    break;
                }
            };
            if !b.trailer_ok {
                out.warnings.push(Damage::warning(
                    at(pos),
                    format!(
                        "block of type 0x{:x}: trailing length differs from the leading length {}; trusting the leading one",
                        b.kind, b.len
                    ),
                ));
            }
            // A new chunk starts where the state changes or a piece ends.
            let changes = matches!(b.kind, SHB | IDB);
            if (changes || pos >= limit) && pos > chunk_start {
                if chunk_records > 0
                    && let Some(s) = &self.state
                {
                    out.chunks.push((chunk_start, pos, Arc::clone(s)));
                }
                chunk_start = pos;
                chunk_records = 0;
                while limit <= pos {
                    limit = limit.saturating_add(CHUNK_BYTES);
                }
            }
            match b.kind {
                SHB => {
                    let major = endian.u16(b.body, 4).unwrap_or(0);
                    let minor = endian.u16(b.body, 6).unwrap_or(0);
                    if major != 1 {
                        out.warnings.push(Damage::warning(
                            at(pos),
                            format!(
                                "pcapng section version {major}.{minor} (expected 1.0); reading anyway"
                            ),
                        ));
                    }
                    self.sections += 1;
                    self.state = Some(Arc::new(SectionState {
                        endian,
                        interfaces: Arc::new(Vec::new()),
                        if_base: self.interface_count,
                    }));
                }
                IDB => {
                    if let Some(s) = &self.state {
                        let mut ifs = (*s.interfaces).clone();
                        ifs.push(interface(b.body, endian, self.sections.saturating_sub(1)));
                        self.interface_count += 1;
                        self.state = Some(Arc::new(SectionState {
                            endian,
                            interfaces: Arc::new(ifs),
                            if_base: s.if_base,
                        }));
                    }
                }
                EPB | SPB | PB => {
                    if let Some(s) = &self.state {
                        match packet(&b, pos, endian, &s.interfaces, s.if_base) {
                            Ok(Some(_)) => {
                                chunk_records += 1;
                                out.records += 1;
                            }
                            Ok(None) => {}
                            Err(d) => {
                                out.stop = Some(Damage {
                                    offset: at(pos),
                                    ..d
                                });
                                break;
                            }
                        }
                    }
                }
                _ => {}
            }
            out.end = pos + b.len;
        }
        if chunk_records > 0
            && let Some(s) = &self.state
        {
            out.chunks.push((chunk_start, out.end, Arc::clone(s)));
        }
        out
    }
}
