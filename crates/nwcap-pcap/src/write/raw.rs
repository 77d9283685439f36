//! Finding a record's and an interface's bytes in the mapped input.

use crate::capture::{Format, Index};
use crate::pcapng::{self, BlockStep};
use crate::record::Record;

/// The bytes of `rec` as they sit in its file: the pcap record header and
/// data, or the whole pcapng packet block (options included). `None` for
/// NetMon frames (not copyable) and for records that are not at their
/// claimed offset in `idx`'s file.
pub fn record_bytes<'a>(idx: &Index<'a>, rec: &Record<'_>) -> Option<&'a [u8]> {
    let cap = idx.capture();
    let data: &'a [u8] = cap.data();
    let at = usize::try_from(rec.offset).ok()?;
    match cap.format() {
        Format::Pcap => {
            let h = cap.pcap_header()?;
            let end = at
                .checked_add(h.record_header_len)?
                .checked_add(rec.data.len())?;
            data.get(at..end)
        }
        Format::PcapNg => {
            let iface = idx.interfaces.get(rec.interface as usize)?;
            let section = idx.sections.get(iface.section as usize)?;
            match pcapng::block_at(data, at, section.endian) {
                BlockStep::Block(b) => data.get(at..at + b.len),
                _ => None,
            }
        }
        Format::NetMon => None,
    }
}

/// The raw interface description block of each interface of a pcapng file
/// (global numbering, as `Index::interfaces`); `None` where it could not be
/// found again.
pub(super) fn idb_blocks<'a>(idx: &Index<'a>) -> Vec<Option<&'a [u8]>> {
    let data: &'a [u8] = idx.capture().data();
    let mut out: Vec<Option<&'a [u8]>> = vec![None; idx.interfaces.len()];
    for s in &idx.sections {
        let Ok(mut pos) = usize::try_from(s.offset) else {
            continue;
        };
        let mut found = 0u32;
        let mut first = true;
        while found < s.if_count {
            let BlockStep::Block(b) = pcapng::block_at(data, pos, s.endian) else {
                break;
            };
            if b.kind == pcapng::SHB && !first {
                break;
            }
            first = false;
            if b.kind == pcapng::IDB {
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
