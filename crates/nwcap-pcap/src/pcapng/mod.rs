//! pcapng: sections, interfaces with their own link type, snap length and
//! timestamp resolution, enhanced/simple/obsolete packet blocks, comments.
//!
//! Parsing is split in two: [`block_at`] validates one block's framing, and
//! [`packet`] turns a packet block into a [`Record`] given the section's
//! interfaces. The sequential index pass (in `capture`) walks every block and
//! collects interfaces; the parallel chunk readers only call [`packet`].

pub mod frame;
pub(crate) mod index;
pub(crate) mod write;

use crate::bytes::Endian;
use crate::damage::Damage;
use crate::record::{LinkType, Record, TimestampNs};

/// Section header block type (a palindrome, the same in both byte orders).
pub const SHB: u32 = 0x0A0D_0D0A;
/// Interface description block.
pub const IDB: u32 = 1;
/// Obsolete packet block.
pub const PB: u32 = 2;
/// Simple packet block.
pub const SPB: u32 = 3;
/// Enhanced packet block.
pub const EPB: u32 = 6;
/// Byte-order magic inside the SHB.
const BOM: u32 = 0x1A2B_3C4D;
/// Timestamp of packets that carry none (simple packet blocks).
pub const NO_TIMESTAMP: TimestampNs = i64::MIN;

/// One interface of a pcapng file (classic pcap has exactly one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// Link type.
    pub linktype: LinkType,
    /// Snap length (0 = unlimited).
    pub snaplen: u32,
    /// Ticks per second of timestamps.
    pub ticks_per_sec: u64,
    /// Seconds added to every timestamp (`if_tsoffset`).
    pub ts_offset: i64,
    /// `if_name`, when given.
    pub name: Option<String>,
    /// `if_description`, when given.
    pub description: Option<String>,
    /// Section the interface belongs to.
    pub section: u32,
}

/// One section (from one SHB to the next).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section {
    /// Byte order of the section.
    pub endian: Endian,
    /// Global index of the section's first interface.
    pub if_base: u32,
    /// Number of interfaces in the section.
    pub if_count: u32,
    /// Offset of the SHB.
    pub offset: u64,
}

/// A framed block.
#[derive(Debug, Clone, Copy)]
pub struct Block<'a> {
    /// Block type.
    pub kind: u32,
    /// Body between the length fields.
    pub body: &'a [u8],
    /// Total length (offset of the next block = pos + len).
    pub len: usize,
    /// The trailing copy of the length matches (a mismatch is reported as
    /// a warning by the index pass; the leading length is trusted).
    pub trailer_ok: bool,
}

/// Outcome of framing one block.
#[derive(Debug)]
pub enum BlockStep<'a> {
    /// A well-framed block.
    Block(Block<'a>),
    /// End of data.
    End,
    /// The data ends inside a block; this many bytes are left over.
    Truncated(usize),
    /// Broken framing: stop.
    Bad(Damage),
}

/// Read the byte order of the SHB at `pos`.
pub fn shb_endian(data: &[u8], pos: usize) -> Option<Endian> {
    match Endian::Little.u32(data, pos + 8)? {
        BOM => Some(Endian::Little),
        x if x.swap_bytes() == BOM => Some(Endian::Big),
        _ => None,
    }
}

/// Frame the block at `pos` with byte order `e`.
#[inline]
pub fn block_at(data: &[u8], pos: usize, e: Endian) -> BlockStep<'_> {
    let rest = data.len().saturating_sub(pos);
    if rest == 0 {
        return BlockStep::End;
    }
    let (Some(kind), Some(len)) = (e.u32(data, pos), e.u32(data, pos + 4)) else {
        return BlockStep::Truncated(rest);
    };
    let len = len as usize;
    if len < 12 || !len.is_multiple_of(4) {
        return BlockStep::Bad(Damage::error(
            pos as u64,
            format!("block of type 0x{kind:x} has impossible length {len}"),
        ));
    }
    if len > rest {
        return BlockStep::Truncated(rest);
    }
    let trailer = e.u32(data, pos + len - 4).unwrap_or(0) as usize;
    BlockStep::Block(Block {
        kind,
        body: &data[pos + 8..pos + len - 4],
        len,
        trailer_ok: trailer == len,
    })
}

/// Iterate the options of a block body starting at `at`; yields
/// (code, value). Stops at opt_endofopt or at the first malformed option.
pub fn options(body: &[u8], mut at: usize, e: Endian) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let code = e.u16(body, at)?;
        let len = usize::from(e.u16(body, at + 2)?);
        if code == 0 {
            return None;
        }
        let value = body.get(at + 4..at + 4 + len)?;
        at += 4 + len.div_ceil(4) * 4;
        Some((code, value))
    })
}

fn text(v: &[u8]) -> String {
    String::from_utf8_lossy(v)
        .trim_end_matches('\0')
        .to_string()
}

/// Comments (`opt_comment`, code 1) of a block's options.
pub fn comments(body: &[u8], at: usize, e: Endian) -> impl Iterator<Item = String> + '_ {
    options(body, at, e)
        .filter(|(c, _)| *c == 1)
        .map(|(_, v)| text(v))
}

/// Parse an interface description block body.
pub fn interface(body: &[u8], e: Endian, section: u32) -> Interface {
    let mut i = Interface {
        linktype: LinkType(u32::from(e.u16(body, 0).unwrap_or(0))),
        snaplen: e.u32(body, 4).unwrap_or(0),
        ticks_per_sec: 1_000_000,
        ts_offset: 0,
        name: None,
        description: None,
        section,
    };
    for (code, v) in options(body, 8, e) {
        match code {
            2 => i.name = Some(text(v)),
            3 => i.description = Some(text(v)),
            // if_tsresol is one octet and if_tsoffset eight (pcapng spec
            // 4.2); an option of another length is malformed and ignored
            // (Wireshark refuses it, pcap-parser skips it): reading a
            // prefix of it would move every timestamp of the interface.
            9 if v.len() == 1 => {
                if let Some(&r) = v.first() {
                    let exp = u32::from(r & 0x7F);
                    let base: u64 = if r & 0x80 == 0 { 10 } else { 2 };
                    // 10^19 and 2^63 are the largest that fit; beyond, clamp.
                    let exp = exp.min(if base == 10 { 19 } else { 63 });
                    i.ticks_per_sec = base.pow(exp).max(1);
                }
            }
            14 if v.len() == 8 => {
                if let Some(o) = e.u64(v, 0) {
                    i.ts_offset = o as i64;
                }
            }
            _ => {}
        }
    }
    i
}

/// Convert ticks to ns since the epoch, saturating.
#[inline]
pub fn ticks_to_ns(ticks: u64, iface: &Interface) -> TimestampNs {
    let tps = u128::from(iface.ticks_per_sec.max(1));
    let ns = if tps == 1_000_000 {
        u128::from(ticks) * 1000
    } else if tps == 1_000_000_000 {
        u128::from(ticks)
    } else {
        u128::from(ticks) * 1_000_000_000 / tps
    };
    let ns = i64::try_from(ns).unwrap_or(i64::MAX);
    ns.saturating_add(iface.ts_offset.saturating_mul(1_000_000_000))
}

/// Turn a packet block into a record. `Ok(None)` for blocks that are not
/// packets. `interfaces` are the section's interfaces, `if_base` their
/// global index base.
#[inline]
pub fn packet<'a>(
    block: &Block<'a>,
    pos: usize,
    e: Endian,
    interfaces: &[Interface],
    if_base: u32,
) -> Result<Option<Record<'a>>, Damage> {
    let body = block.body;
    let bad = |msg: String| Err(Damage::error(pos as u64, msg));
    let (if_id, hi, lo, caplen, origlen, data_at) = match block.kind {
        EPB => (
            e.u32(body, 0),
            e.u32(body, 4),
            e.u32(body, 8),
            e.u32(body, 12),
            e.u32(body, 16),
            20,
        ),
        PB => (
            e.u16(body, 0).map(u32::from),
            e.u32(body, 4),
            e.u32(body, 8),
            e.u32(body, 12),
            e.u32(body, 16),
            20,
        ),
        SPB => {
            let Some(origlen) = e.u32(body, 0) else {
                return bad("simple packet block too short".into());
            };
            let Some(iface) = interfaces.first() else {
                return bad("simple packet block before any interface".into());
            };
            let room = body.len() - 4;
            let mut caplen = (origlen as usize).min(room);
            if iface.snaplen != 0 {
                caplen = caplen.min(iface.snaplen as usize);
            }
            return Ok(Some(Record {
                ts: NO_TIMESTAMP,
                origlen,
                data: &body[4..4 + caplen],
                interface: if_base,
                linktype: iface.linktype,
                offset: pos as u64,
            }));
        }
        _ => return Ok(None),
    };
    let (Some(if_id), Some(hi), Some(lo), Some(caplen), Some(origlen)) =
        (if_id, hi, lo, caplen, origlen)
    else {
        return bad(format!("packet block of {} bytes is too short", block.len));
    };
    let Some(iface) = interfaces.get(if_id as usize) else {
        return bad(format!(
            "packet block names interface {if_id}, the section has {}",
            interfaces.len()
        ));
    };
    let Some(data) = body.get(data_at..data_at + caplen as usize) else {
        return bad(format!(
            "packet block claims {caplen} captured bytes, the block holds {}",
            body.len().saturating_sub(data_at)
        ));
    };
    let ticks = (u64::from(hi) << 32) | u64::from(lo);
    Ok(Some(Record {
        ts: ticks_to_ns(ticks, iface),
        origlen,
        data,
        interface: if_base + if_id,
        linktype: iface.linktype,
        offset: pos as u64,
    }))
}

/// The packet records of a run of whole blocks of one section
/// (`start..end` of `data`); other blocks are skipped.
#[derive(Debug, Clone)]
pub struct Records<'a> {
    data: &'a [u8],
    pos: usize,
    endian: Endian,
    interfaces: std::sync::Arc<Vec<Interface>>,
    if_base: u32,
}

impl<'a> Records<'a> {
    /// Packet records of the blocks from `start` to `end`, with the
    /// section's byte order and interfaces (global numbering from
    /// `if_base`).
    pub fn new(
        data: &'a [u8],
        start: usize,
        end: usize,
        endian: Endian,
        interfaces: std::sync::Arc<Vec<Interface>>,
        if_base: u32,
    ) -> Self {
        Records {
            data: data.get(..end).unwrap_or(data),
            pos: start,
            endian,
            interfaces,
            if_base,
        }
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Record<'a>;

    #[inline]
    fn next(&mut self) -> Option<Record<'a>> {
        loop {
            let BlockStep::Block(b) = block_at(self.data, self.pos, self.endian) else {
                return None;
            };
            let at = self.pos;
            self.pos += b.len;
            if let Ok(Some(rec)) = packet(&b, at, self.endian, &self.interfaces, self.if_base) {
                return Some(rec);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An interface description block body (Ethernet, snaplen 96) with
    /// `opts` as (code, value), little-endian.
    fn idb(opts: &[(u16, &[u8])]) -> Vec<u8> {
        let mut b = vec![1, 0, 0, 0, 96, 0, 0, 0];
        for (code, v) in opts {
            b.extend_from_slice(&code.to_le_bytes());
            b.extend_from_slice(&(v.len() as u16).to_le_bytes());
            b.extend_from_slice(v);
            b.resize(b.len().div_ceil(4) * 4, 0);
        }
        b.extend_from_slice(&[0, 0, 0, 0]);
        b
    }

    #[test]
    fn timestamp_options_of_the_wrong_length_are_ignored() {
        // Found by the oracle fuzz target: a 47-byte if_tsoffset read as
        // its first 8 bytes moved the interface's timestamps to year 2262.
        let five = 5i64.to_le_bytes();
        let ok = interface(&idb(&[(9, &[9]), (14, &five)]), Endian::Little, 0);
        assert_eq!((ok.ticks_per_sec, ok.ts_offset), (1_000_000_000, 5));
        let text = b"Microsoft Windows for Workgroups 3.11b\npatch 42";
        let bad = interface(
            &idb(&[(9, &[9, 0]), (14, text), (14, &[0; 5])]),
            Endian::Little,
            0,
        );
        assert_eq!((bad.ticks_per_sec, bad.ts_offset), (1_000_000, 0));
    }
}
