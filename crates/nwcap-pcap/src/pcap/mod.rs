//! Classic libpcap files: both byte orders, micro- and nanosecond magic, the
//! "modified" (Kuznetzov) variant with 24-byte record headers, and the
//! pre-2.3 files whose caplen/len fields are swapped.

pub mod frame;
pub(crate) mod index;
pub(crate) mod write;

use crate::bytes::Endian;
use crate::damage::Damage;
use crate::record::{LinkType, Record};

/// Size of the file header.
pub const HEADER_LEN: usize = 24;
/// Largest captured length accepted when the header's snaplen is smaller
/// (libpcap's `max_snaplen_for_dlt` for ordinary link types).
pub const MAX_SNAPLEN_DEFAULT: u32 = 262_144;
/// Largest captured length accepted whatever the header says.
pub const MAX_CAPLEN: u32 = 256 * 1024 * 1024;

/// How the caplen/len fields of records are to be read (libpcap's rule for
/// old files: before 2.3 they were swapped; 2.3 files may be either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthOrder {
    /// caplen then len, as today.
    Normal,
    /// len then caplen (header version < 2.3).
    Swapped,
    /// Version 2.3: swap when caplen > len.
    Maybe,
}

/// The parsed file header.
#[derive(Debug, Clone)]
pub struct PcapHeader {
    /// Byte order of the file.
    pub endian: Endian,
    /// Nanosecond timestamps (magic a1b23c4d).
    pub nanos: bool,
    /// Kuznetzov's modified format (magic a1b2cd34, 24-byte record headers).
    pub modified: bool,
    /// Version from the header.
    pub version: (u16, u16),
    /// Snap length from the header.
    pub snaplen: u32,
    /// Raw value of the link-type field (upper bits carry FCS information).
    pub linktype_raw: u32,
    /// Link type (lower 16 bits... as libpcap: lower 26 bits, reserved zero).
    pub linktype: LinkType,
    /// Length order of records.
    pub lengths: LengthOrder,
    /// Size of one record header (16, or 24 for the modified format).
    pub record_header_len: usize,
}

/// Magic numbers, as read little-endian from the first four bytes.
const MAGIC_USEC: u32 = 0xa1b2_c3d4;
const MAGIC_NSEC: u32 = 0xa1b2_3c4d;
const MAGIC_MODIFIED: u32 = 0xa1b2_cd34;

/// True when `data` starts with a classic pcap magic in either byte order.
pub fn is_pcap(data: &[u8]) -> bool {
    magic(data).is_some()
}

fn magic(data: &[u8]) -> Option<(Endian, bool, bool)> {
    let le = Endian::Little.u32(data, 0)?;
    let be = Endian::Big.u32(data, 0)?;
    for (m, endian) in [(le, Endian::Little), (be, Endian::Big)] {
        match m {
            MAGIC_USEC => return Some((endian, false, false)),
            MAGIC_NSEC => return Some((endian, true, false)),
            MAGIC_MODIFIED => return Some((endian, false, true)),
            _ => {}
        }
    }
    None
}

/// Parse the file header. Unusual values become warnings, not failures: the
/// records are still read.
pub fn parse_header(data: &[u8], warnings: &mut Vec<Damage>) -> Result<PcapHeader, Damage> {
    let (endian, nanos, modified) =
        magic(data).ok_or_else(|| Damage::error(0, "not a pcap magic number"))?;
    if data.len() < HEADER_LEN {
        return Err(Damage::error(
            0,
            format!(
                "pcap file header cut short: {} of {HEADER_LEN} bytes",
                data.len()
            ),
        ));
    }
    let rd = |at| endian.u32(data, at).unwrap_or(0);
    let major = endian.u16(data, 4).unwrap_or(0);
    let minor = endian.u16(data, 6).unwrap_or(0);
    let snaplen = rd(16);
    let linktype_raw = rd(20);
    if major != 2 || minor > 4 {
        warnings.push(Damage::warning(
            4,
            format!("unusual pcap version {major}.{minor} (expected 2.4); reading anyway"),
        ));
    }
    if linktype_raw & 0x03FF_0000 != 0 {
        warnings.push(Damage::warning(
            20,
            format!("link-type field 0x{linktype_raw:08x} has reserved bits set"),
        ));
    }
    let lengths = if major < 2 || (major == 2 && minor < 3) {
        LengthOrder::Swapped
    } else if major == 2 && minor == 3 {
        LengthOrder::Maybe
    } else {
        LengthOrder::Normal
    };
    Ok(PcapHeader {
        endian,
        nanos,
        modified,
        version: (major, minor),
        snaplen,
        linktype_raw,
        linktype: LinkType(linktype_raw & 0x0000_FFFF),
        lengths,
        record_header_len: if modified { 24 } else { 16 },
    })
}

/// Outcome of reading one record.
#[derive(Debug)]
pub enum Step<'a> {
    /// A record, and where the next one starts.
    Record(Record<'a>, usize),
    /// The data ends exactly here.
    End,
    /// The data ends inside a record: this many bytes are left over.
    Truncated(usize),
    /// An impossible record: reading must stop.
    Bad(Damage),
}

impl PcapHeader {
    /// Largest caplen this file may hold.
    pub(crate) fn max_caplen(&self) -> u32 {
        self.snaplen.clamp(MAX_SNAPLEN_DEFAULT, MAX_CAPLEN)
    }

    /// The time (seconds, fraction) and the captured and original
    /// lengths in the record header at `pos`, when the header is whole.
    #[inline]
    pub(crate) fn header_at(&self, data: &[u8], pos: usize) -> Option<(u32, u32, u32, u32)> {
        if data.len().saturating_sub(pos) < self.record_header_len {
            return None;
        }
        let e = self.endian;
        let (sec, frac, a, b) = (
            e.u32(data, pos)?,
            e.u32(data, pos + 4)?,
            e.u32(data, pos + 8)?,
            e.u32(data, pos + 12)?,
        );
        let (caplen, origlen) = match self.lengths {
            LengthOrder::Normal => (a, b),
            LengthOrder::Swapped => (b, a),
            LengthOrder::Maybe if a > b => (b, a),
            LengthOrder::Maybe => (a, b),
        };
        Some((sec, frac, caplen, origlen))
    }

    /// Read the record at `pos` (a record boundary).
    #[inline]
    pub fn step<'a>(&self, data: &'a [u8], pos: usize) -> Step<'a> {
        let rest = data.len().saturating_sub(pos);
        if rest == 0 {
            return Step::End;
        }
        let Some((sec, frac, caplen, origlen)) = self.header_at(data, pos) else {
            return Step::Truncated(rest);
        };
        if caplen > self.max_caplen() {
            return Step::Bad(Damage::error(
                pos as u64,
                format!(
                    "record claims {caplen} captured bytes (snaplen {}): impossible length",
                    self.snaplen
                ),
            ));
        }
        let start = pos + self.record_header_len;
        let end = start + caplen as usize;
        let Some(bytes) = data.get(start..end) else {
            return Step::Truncated(rest);
        };
        let ns_frac = if self.nanos {
            i64::from(frac)
        } else {
            i64::from(frac) * 1000
        };
        let rec = Record {
            ts: i64::from(sec) * 1_000_000_000 + ns_frac,
            origlen,
            data: bytes,
            interface: 0,
            linktype: self.linktype,
            offset: pos as u64,
        };
        Step::Record(rec, end)
    }
}

/// The records of a run of whole records (`start..end` of `data`, a
/// record boundary each).
#[derive(Debug, Clone)]
pub struct Records<'a> {
    header: PcapHeader,
    data: &'a [u8],
    pos: usize,
    ahead: crate::prefetch::Prefetcher,
}

impl<'a> Records<'a> {
    /// Records from `start` up to `end`.
    pub fn new(header: PcapHeader, data: &'a [u8], start: usize, end: usize) -> Self {
        Records {
            header,
            data: data.get(..end).unwrap_or(data),
            pos: start,
            ahead: crate::prefetch::Prefetcher::at(start),
        }
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Record<'a>;

    #[inline]
    fn next(&mut self) -> Option<Record<'a>> {
        self.ahead.run(self.data, self.pos);
        match self.header.step(self.data, self.pos) {
            Step::Record(rec, next) => {
                self.pos = next;
                Some(rec)
            }
            _ => None,
        }
    }
}
