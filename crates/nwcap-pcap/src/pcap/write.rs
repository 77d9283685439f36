//! Writing classic pcap: a record encoded from its fields (for records the
//! writer cannot copy as they are), and a record's bytes as they sit in a
//! mapped file (for the ones it copies).

use crate::bytes::Endian;
use crate::record::Record;

fn u32b(buf: &mut Vec<u8>, e: Endian, v: u32) {
    buf.extend_from_slice(&match e {
        Endian::Little => v.to_le_bytes(),
        Endian::Big => v.to_be_bytes(),
    });
}

/// A classic pcap record header (seconds, fraction, caplen, origlen) and
/// the bytes of `rec`, in byte order `e`, the fraction in nanoseconds when
/// `nanos` (the file's magic says which). Times before 1970 are written as 0.
pub(crate) fn record(buf: &mut Vec<u8>, e: Endian, nanos: bool, rec: &Record<'_>) {
    let ns = u64::try_from(rec.ts).unwrap_or(0);
    let secs = u32::try_from(ns / 1_000_000_000).unwrap_or(u32::MAX);
    let frac = (ns % 1_000_000_000) as u32;
    u32b(buf, e, secs);
    u32b(buf, e, if nanos { frac } else { frac / 1000 });
    u32b(buf, e, rec.caplen());
    u32b(buf, e, rec.origlen);
    buf.extend_from_slice(rec.data);
}

/// The bytes of `rec` (read from `data` with `header`) as they sit in the
/// file: record header and data; `None` when `rec` is not at its offset.
pub(crate) fn record_bytes<'a>(
    data: &'a [u8],
    header: &super::PcapHeader,
    rec: &Record<'_>,
) -> Option<&'a [u8]> {
    let at = usize::try_from(rec.offset).ok()?;
    let end = at
        .checked_add(header.record_header_len)?
        .checked_add(rec.data.len())?;
    data.get(at..end)
}
