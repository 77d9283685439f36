//! Finding a record's bytes in the mapped input, by format.

use crate::capture::{Format, Index};
use crate::record::Record;

/// The bytes of `rec` as they sit in its file: the pcap record header and
/// data, or the whole pcapng packet block (options included). `None` for
/// NetMon frames (not copyable) and for records that are not at their
/// claimed offset in `idx`'s file.
pub fn record_bytes<'a>(idx: &Index<'a>, rec: &Record<'_>) -> Option<&'a [u8]> {
    let cap = idx.capture();
    let data: &'a [u8] = cap.data();
    match cap.format() {
        Format::Pcap => crate::pcap::write::record_bytes(data, cap.pcap_header()?, rec),
        Format::PcapNg => {
            let iface = idx.interfaces.get(rec.interface as usize)?;
            let section = idx.sections.get(iface.section as usize)?;
            crate::pcapng::write::block_bytes(data, section.endian, rec)
        }
        Format::NetMon => None,
    }
}
