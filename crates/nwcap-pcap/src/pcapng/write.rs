//! Writing pcapng: the blocks the writer makes itself: the section header,
//! interface descriptions of inputs that are not copied, and enhanced packet
//! blocks for records that cannot be copied.

use crate::bytes::Endian;
use crate::capture::Index;
use crate::record::Record;

/// Timestamp resolution of an interface the writer describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tsresol {
    /// Microseconds (pcapng's default; classic pcap inputs).
    Micro,
    /// Nanoseconds (everything else: exact for nwcap's ns timestamps).
    Nano,
}

fn u16b(buf: &mut Vec<u8>, e: Endian, v: u16) {
    buf.extend_from_slice(&match e {
        Endian::Little => v.to_le_bytes(),
        Endian::Big => v.to_be_bytes(),
    });
}

fn u32b(buf: &mut Vec<u8>, e: Endian, v: u32) {
    buf.extend_from_slice(&match e {
        Endian::Little => v.to_le_bytes(),
        Endian::Big => v.to_be_bytes(),
    });
}

fn pad(buf: &mut Vec<u8>) {
    while !buf.len().is_multiple_of(4) {
        buf.push(0);
    }
}

/// Appends option `code` with `value` (padded). Values longer than a u16
/// length allows are cut.
fn option(buf: &mut Vec<u8>, e: Endian, code: u16, value: &[u8]) {
    let value = &value[..value.len().min(usize::from(u16::MAX) - 3)];
    u16b(buf, e, code);
    u16b(buf, e, value.len() as u16);
    buf.extend_from_slice(value);
    pad(buf);
}

/// Closes a block started at `start`: end of options (when `opts`), the
/// trailing length, and the leading length patched in.
fn close(buf: &mut Vec<u8>, e: Endian, start: usize, opts: bool) {
    if opts {
        u32b(buf, e, 0);
    }
    let len = (buf.len() - start + 4) as u32;
    u32b(buf, e, len);
    let bytes = match e {
        Endian::Little => len.to_le_bytes(),
        Endian::Big => len.to_be_bytes(),
    };
    buf[start + 4..start + 8].copy_from_slice(&bytes);
}

/// A section header block, section length unknown, naming nwcap as writer.
pub(crate) fn shb(buf: &mut Vec<u8>, e: Endian) {
    let start = buf.len();
    u32b(buf, e, super::SHB);
    u32b(buf, e, 0);
    u32b(buf, e, 0x1A2B_3C4D);
    u16b(buf, e, 1);
    u16b(buf, e, 0);
    buf.extend_from_slice(&[0xFF; 8]);
    let app = concat!("nwcap ", env!("CARGO_PKG_VERSION"));
    option(buf, e, 4, app.as_bytes());
    close(buf, e, start, true);
}

/// An interface description block.
pub(crate) fn idb(
    buf: &mut Vec<u8>,
    e: Endian,
    linktype: u16,
    snaplen: u32,
    tsresol: Tsresol,
    name: Option<&str>,
    description: Option<&str>,
) {
    let start = buf.len();
    u32b(buf, e, super::IDB);
    u32b(buf, e, 0);
    u16b(buf, e, linktype);
    u16b(buf, e, 0);
    u32b(buf, e, snaplen);
    if let Some(n) = name {
        option(buf, e, 2, n.as_bytes());
    }
    if let Some(d) = description {
        option(buf, e, 3, d.as_bytes());
    }
    if tsresol == Tsresol::Nano {
        option(buf, e, 9, &[9]);
    }
    close(buf, e, start, true);
}

/// An enhanced packet block carrying `rec` on interface `if_id`.
/// Timestamps before 1970 (and "no timestamp") are written as 0: pcapng
/// timestamps are unsigned.
pub(crate) fn epb(buf: &mut Vec<u8>, e: Endian, if_id: u32, tsresol: Tsresol, rec: &Record<'_>) {
    let ns = u64::try_from(rec.ts).unwrap_or(0);
    let ticks = match tsresol {
        Tsresol::Micro => ns / 1000,
        Tsresol::Nano => ns,
    };
    let start = buf.len();
    u32b(buf, e, super::EPB);
    u32b(buf, e, 0);
    u32b(buf, e, if_id);
    u32b(buf, e, (ticks >> 32) as u32);
    u32b(buf, e, ticks as u32);
    u32b(buf, e, rec.caplen());
    u32b(buf, e, rec.origlen);
    buf.extend_from_slice(rec.data);
    pad(buf);
    close(buf, e, start, false);
}

/// Rewrites the interface id of a copied packet block (EPB: u32, obsolete
/// PB: u16). False when the block names no interface (simple packet block)
/// or the id does not fit.
pub(crate) fn set_interface(block: &mut [u8], e: Endian, id: u32) -> bool {
    let Some(kind) = e.u32(block, 0) else {
        return false;
    };
    let bytes: Vec<u8> = match kind {
        super::EPB => match e {
            Endian::Little => id.to_le_bytes().to_vec(),
            Endian::Big => id.to_be_bytes().to_vec(),
        },
        super::PB => {
            let Ok(id) = u16::try_from(id) else {
                return false;
            };
            match e {
                Endian::Little => id.to_le_bytes().to_vec(),
                Endian::Big => id.to_be_bytes().to_vec(),
            }
        }
        _ => return false,
    };
    match block.get_mut(8..8 + bytes.len()) {
        Some(slot) => {
            slot.copy_from_slice(&bytes);
            true
        }
        None => false,
    }
}

/// The bytes of the packet block holding `rec` (read with byte order `e`),
/// options included; `None` when `rec` is not at its offset.
pub(crate) fn block_bytes<'a>(data: &'a [u8], e: Endian, rec: &Record<'_>) -> Option<&'a [u8]> {
    let at = usize::try_from(rec.offset).ok()?;
    match super::block_at(data, at, e) {
        super::BlockStep::Block(b) => data.get(at..at + b.len),
        _ => None,
    }
}

/// The raw interface description block of each interface of a pcapng file
/// (global numbering, as `Index::interfaces`); `None` where it could not be
/// found again.
pub(crate) fn idb_blocks<'a>(idx: &Index<'a>) -> Vec<Option<&'a [u8]>> {
    let data: &'a [u8] = idx.capture().data();
    let mut out: Vec<Option<&'a [u8]>> = vec![None; idx.interfaces.len()];
    for s in &idx.sections {
        let Ok(mut pos) = usize::try_from(s.offset) else {
            continue;
        };
        let mut found = 0u32;
        let mut first = true;
        while found < s.if_count {
            let super::BlockStep::Block(b) = super::block_at(data, pos, s.endian) else {
                break;
            };
            if b.kind == super::SHB && !first {
                break;
            }
            first = false;
            if b.kind == super::IDB {
                let g = (s.if_base + found) as usize;
                if let Some(slot) = out.get_mut(g) {
                    *slot = data.get(pos..pos + b.len);
                }
                found += 1;
            }
            pos += b.len;
        }
    }
    out
}
