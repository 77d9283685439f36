//! Microsoft Network Monitor 2.x (`.cap`, magic `GMBU`), versions 2.0 to 2.3.
//!
//! A NetMon file is not a stream: a fixed header points at a *frame table*
//! (one u32 file offset per frame), and frames may sit anywhere, in any order,
//! with holes between them. So the reader is random access: [`NetmonFile`]
//! borrows the file bytes and the table, and [`NetmonFile::frame`] reads frame
//! `i` on its own, without allocating. That is what lets the caller read index
//! ranges in parallel, and lets one damaged frame (offset or length past the
//! end of the file) be reported as [`FrameDamage`] while every other frame is
//! still read. Only a header that cannot be read at all is an error.
//!
//! Layout of a frame: u64 time offset in microseconds from the capture start,
//! u32 original length, u32 captured length, the captured bytes, then a
//! trailer whose size depends on the version: nothing (2.0), the media type
//! (2.1: 2 bytes), + process info index (2.2: 6 bytes), + UTC time stamp as a
//! FILETIME and a time zone index (2.3: 15 bytes).
//!
//! Times follow Wireshark's `wiretap/netmon.c`, which made the tshark
//! references: in 2.3 the per-frame UTC FILETIME (100 ns) is the time stamp;
//! before 2.3 it is the header's start time plus the offset. That start time
//! is a SYSTEMTIME without a time zone (NetMon 3 writes the capturing host's
//! local time, editcap its own local time); nwcap reads it as UTC, where
//! Wireshark uses the local zone of the reading machine. In 2.3 files the
//! extended info table holds the true UTC start, which is used when present.
//!
//! Link types: see [`media`]. NetMon's own frames (ETW events, network info,
//! filters...) become [`LinkType::NETMON_INFO`]: kept, counted, not decoded.

mod damage;
mod header;
pub(crate) mod index;
pub mod media;
mod tables;

#[cfg(test)]
mod build;
#[cfg(test)]
mod corpus_tests;
#[cfg(test)]
mod tests;

pub use damage::{DamageKind, FrameDamage};
pub use tables::{Comment, ProcessInfo};

use crate::record::{LinkType, Record};
use header::{Header, filetime_ns, le16, le32, le64};

/// Magic number of Network Monitor 2.x files.
pub const MAGIC: &[u8; 4] = b"GMBU";

/// Frame header: u64 time offset, u32 original length, u32 captured length.
const FRAME_HEADER: usize = 16;
/// Value of the process index field meaning "no process".
const NO_PROCESS: u32 = u32::MAX;

/// Why a file cannot be read as NetMon 2.x at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetmonError {
    /// The file does not start with `GMBU`.
    #[error("not a network monitor 2.x file (no GMBU magic)")]
    NotNetmon,
    /// The file ends inside the fixed header.
    #[error("network monitor header cut: {len} of {} bytes", header::HEADER_LEN)]
    TruncatedHeader {
        /// Length of the file.
        len: usize,
    },
    /// The major version is not 2 (1.x `RTSS` files have another magic).
    #[error("network monitor version {major}.{minor} not supported (2.0 to 2.3 are)")]
    UnsupportedVersion {
        /// Major version.
        major: u8,
        /// Minor version.
        minor: u8,
    },
}

impl NetmonError {
    /// Byte offset of the problem.
    pub fn offset(&self) -> u64 {
        match self {
            NetmonError::NotNetmon => 0,
            NetmonError::TruncatedHeader { len } => *len as u64,
            NetmonError::UnsupportedVersion { .. } => 5,
        }
    }
}

/// What the frame header and trailer say about one frame, beyond the
/// [`Record`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameInfo {
    /// NetMon media type of the frame (the file's for 2.0).
    pub media_type: u16,
    /// Time offset from the capture start in the frame header (microseconds).
    pub time_offset_us: u64,
    /// Index into [`NetmonFile::processes`] (2.2+; `None` when absent or "no process").
    pub process_index: Option<u32>,
    /// UTC time stamp as a FILETIME (2.3).
    pub utc_filetime: Option<u64>,
    /// Time zone index (2.3).
    pub timezone_index: Option<u8>,
}

/// One frame's raw pieces, bounds-checked.
struct Raw<'a> {
    offset: usize,
    delta: u64,
    origlen: u32,
    data: &'a [u8],
    trailer: &'a [u8],
}

/// A parsed NetMon 2.x file: header summary, validated frame table view,
/// optional tables. Borrows the file bytes.
#[derive(Debug, Clone)]
pub struct NetmonFile<'a> {
    data: &'a [u8],
    version: (u8, u8),
    /// Minor version as read (2.4+ read as 2.3).
    minor: u8,
    trailer_len: usize,
    file_media: u16,
    /// Frame table entries present in the file (length a multiple of 4).
    table: &'a [u8],
    table_offset: u64,
    start_ns: i64,
    interfaces: Vec<LinkType>,
    comments: Vec<Comment<'a>>,
    processes: Vec<ProcessInfo>,
    damage: Vec<FrameDamage>,
}

/// What [`NetmonFile::frame`] needs besides the file bytes, owned: a
/// parsed file can be shared without its borrow ([`NetmonFile::layout`],
/// [`NetmonFile::with_layout`]) and without parsing again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetmonLayout {
    version: (u8, u8),
    minor: u8,
    trailer_len: usize,
    file_media: u16,
    table_offset: u64,
    table_len: usize,
    start_ns: i64,
    interfaces: Vec<LinkType>,
}

impl<'a> NetmonFile<'a> {
    /// The owned layout of this file.
    pub fn layout(&self) -> NetmonLayout {
        NetmonLayout {
            version: self.version,
            minor: self.minor,
            trailer_len: self.trailer_len,
            file_media: self.file_media,
            table_offset: self.table_offset,
            table_len: self.table.len(),
            start_ns: self.start_ns,
            interfaces: self.interfaces.clone(),
        }
    }

    /// The file `data` with a layout taken from an earlier parse of the
    /// same bytes (no comments, processes or damage: frames only).
    pub fn with_layout(data: &'a [u8], l: &NetmonLayout) -> NetmonFile<'a> {
        let at = usize::try_from(l.table_offset).unwrap_or(usize::MAX);
        let table = data.get(at..at.saturating_add(l.table_len)).unwrap_or(&[]);
        NetmonFile {
            data,
            version: l.version,
            minor: l.minor,
            trailer_len: l.trailer_len,
            file_media: l.file_media,
            table,
            table_offset: l.table_offset,
            start_ns: l.start_ns,
            interfaces: l.interfaces.clone(),
            comments: Vec::new(),
            processes: Vec::new(),
            damage: Vec::new(),
        }
    }

    /// Parse the header, the frame table and the optional tables, and make one
    /// cheap pass over the frames (header and trailer only) to collect their
    /// link types. Damage to the table or to frames is kept in
    /// [`damage`](Self::damage) or reported by [`frame`](Self::frame); only an
    /// unusable header is an `Err`.
    pub fn parse(data: &'a [u8]) -> Result<NetmonFile<'a>, NetmonError> {
        if !data.starts_with(MAGIC) {
            return Err(NetmonError::NotNetmon);
        }
        let h = Header::read(data).ok_or(NetmonError::TruncatedHeader { len: data.len() })?;
        if h.major != 2 {
            return Err(NetmonError::UnsupportedVersion {
                major: h.major,
                minor: h.minor,
            });
        }
        let mut damage = Vec::new();
        let minor = if h.minor > 3 {
            damage.push(FrameDamage {
                offset: 4,
                frame_index: None,
                kind: DamageKind::NewerMinorVersion { minor: h.minor },
            });
            3
        } else {
            h.minor
        };
        let trailer_len = match minor {
            0 => 0,
            1 => 2,
            2 => 6,
            _ => 15,
        };
        let table = frame_table(data, &h, &mut damage);

        // Pre-2.2 files leave these header fields uninitialised (Wireshark).
        let (mut comments, processes) = if minor >= 2 {
            (
                tables::comments(data, h.comment_offset, h.comment_length, &mut damage),
                tables::processes(data, h.process_offset, h.process_count, &mut damage),
            )
        } else {
            (Vec::new(), Vec::new())
        };
        let extended = if minor >= 3 {
            tables::extended_start(data, h.extended_offset, h.extended_length, &mut damage)
        } else {
            None
        };
        let start_ns = match extended.or_else(|| h.systemtime_ns()) {
            Some(ns) => ns,
            None => {
                damage.push(FrameDamage {
                    offset: 8,
                    frame_index: None,
                    kind: DamageKind::Table {
                        table: "file header",
                        problem: "capture start time invalid; 1970-01-01 used",
                    },
                });
                0
            }
        };

        let mut file = NetmonFile {
            data,
            version: (h.major, h.minor),
            minor,
            trailer_len,
            file_media: h.media,
            table,
            table_offset: u64::from(h.frame_table_offset),
            start_ns,
            interfaces: Vec::new(),
            comments: Vec::new(),
            processes,
            damage,
        };
        file.scan(&mut comments);
        file.comments = comments;
        Ok(file)
    }

    /// The pass over all frames: distinct link types in order of first
    /// appearance, and the frame index of each comment. Reads 16 header bytes
    /// and the trailer's media type per frame; frames that cannot be read are
    /// skipped here (`frame()` reports them).
    fn scan(&mut self, comments: &mut [Comment<'a>]) {
        // 2.0 has one media type for the file: no need to visit the frames,
        // unless the link type depends on the frame (802.11 metadata).
        let per_frame = self.trailer_len > 0 || self.file_media == 6;
        if !per_frame {
            let lt = media::classify(self.file_media, &[], 0).0;
            self.interfaces.push(lt);
        }
        let mut keys: Vec<(u32, usize)> = comments
            .iter()
            .enumerate()
            .map(|(i, c)| (c.frame_offset, i))
            .collect();
        keys.sort_unstable();
        if !per_frame && keys.is_empty() {
            return;
        }
        for index in 0..self.frame_count() {
            let Ok(raw) = self.raw(index) else { continue };
            if per_frame {
                let lt = media::classify(self.media(&raw), raw.data, raw.origlen).0;
                if !self.interfaces.contains(&lt) {
                    self.interfaces.push(lt);
                }
            }
            if !keys.is_empty() {
                let off = raw.offset as u32;
                let first = keys.partition_point(|k| k.0 < off);
                for &(_, ci) in keys[first..].iter().take_while(|k| k.0 == off) {
                    if let Some(c) = comments.get_mut(ci) {
                        c.frame_index.get_or_insert(index);
                    }
                }
            }
        }
    }

    /// File format version (major, minor) as in the header.
    pub fn version(&self) -> (u8, u8) {
        self.version
    }

    /// Number of entries of the frame table present in the file.
    pub fn frame_count(&self) -> usize {
        self.table.len() / 4
    }

    /// Frame `index` (0-based, frame table order) as a borrowed record.
    /// Cheap and allocation-free; `Err` when the frame lies (partly) outside
    /// the file or its time cannot be represented.
    #[inline]
    pub fn frame(&self, index: usize) -> Result<Record<'a>, FrameDamage> {
        let raw = self.raw(index)?;
        let (linktype, data, origlen) = media::classify(self.media(&raw), raw.data, raw.origlen);
        let ts = self.timestamp(index, &raw)?;
        let interface = self
            .interfaces
            .iter()
            .position(|&l| l == linktype)
            .map_or(u32::MAX, |p| p as u32);
        Ok(Record {
            ts,
            origlen,
            data,
            interface,
            linktype,
            offset: raw.offset as u64,
        })
    }

    /// The frames `start..end` (damaged frames skipped).
    pub fn records(&self, start: usize, end: usize) -> Records<'a> {
        Records {
            file: self.clone(),
            next: start,
            end: end.min(self.frame_count()),
        }
    }

    /// The NetMon-specific fields of frame `index` (media type, process
    /// index, UTC FILETIME, time zone index).
    pub fn frame_info(&self, index: usize) -> Result<FrameInfo, FrameDamage> {
        let raw = self.raw(index)?;
        let process_index = le32(raw.trailer, 2).filter(|&p| p != NO_PROCESS);
        Ok(FrameInfo {
            media_type: self.media(&raw),
            time_offset_us: raw.delta,
            process_index,
            utc_filetime: le64(raw.trailer, 6),
            timezone_index: raw.trailer.get(14).copied(),
        })
    }

    /// Distinct link types of the frames, in order of first appearance;
    /// `Record::interface` indexes this.
    pub fn interfaces(&self) -> &[LinkType] {
        &self.interfaces
    }

    /// Capture start in ns since the epoch (UTC): the 2.3 extended info start
    /// when present, else the header's SYSTEMTIME read as UTC.
    pub fn start_time_ns(&self) -> i64 {
        self.start_ns
    }

    /// Time stamp resolution: 10 000 000 ticks per second for 2.3 (FILETIME),
    /// 1 000 000 before.
    pub fn ticks_per_second(&self) -> u64 {
        if self.minor >= 3 {
            10_000_000
        } else {
            1_000_000
        }
    }

    /// Problems found while parsing the header and tables.
    pub fn damage(&self) -> &[FrameDamage] {
        &self.damage
    }

    /// Frame comments (2.2+), in table order; empty when the file has none.
    pub fn comments(&self) -> &[Comment<'a>] {
        &self.comments
    }

    /// Process info records (2.2+); empty when the file has none.
    pub fn processes(&self) -> &[ProcessInfo] {
        &self.processes
    }

    #[inline]
    fn media(&self, raw: &Raw<'_>) -> u16 {
        if self.trailer_len == 0 {
            self.file_media
        } else {
            le16(raw.trailer, 0).unwrap_or(self.file_media)
        }
    }

    #[inline]
    fn raw(&self, index: usize) -> Result<Raw<'a>, FrameDamage> {
        let entry = index
            .checked_mul(4)
            .and_then(|at| le32(self.table, at))
            .ok_or(FrameDamage {
                offset: self.table_offset,
                frame_index: Some(index),
                kind: DamageKind::NoSuchFrame {
                    count: self.frame_count(),
                },
            })?;
        let offset = entry as usize;
        let bad = |kind| FrameDamage {
            offset: offset as u64,
            frame_index: Some(index),
            kind,
        };
        let left = |at: usize| self.data.len().saturating_sub(at) as u64;
        let hdr = self
            .data
            .get(offset..offset.saturating_add(FRAME_HEADER))
            .ok_or_else(|| {
                bad(DamageKind::HeaderPastEnd {
                    available: left(offset),
                })
            })?;
        let delta = le64(hdr, 0).unwrap_or(0);
        let origlen = le32(hdr, 8).unwrap_or(0);
        let caplen = le32(hdr, 12).unwrap_or(0);
        let start = offset + FRAME_HEADER;
        let end = start.saturating_add(caplen as usize);
        let data = self.data.get(start..end).ok_or_else(|| {
            bad(DamageKind::DataPastEnd {
                caplen,
                available: left(start),
            })
        })?;
        let trailer = self
            .data
            .get(end..end.saturating_add(self.trailer_len))
            .ok_or_else(|| {
                bad(DamageKind::TrailerPastEnd {
                    needed: self.trailer_len,
                    available: left(end),
                })
            })?;
        Ok(Raw {
            offset,
            delta,
            origlen,
            data,
            trailer,
        })
    }

    /// 2.3: the trailer's UTC FILETIME, as Wireshark does; when it cannot be
    /// represented (e.g. 0, year 1601), or before 2.3: start + offset.
    #[inline]
    fn timestamp(&self, index: usize, raw: &Raw<'_>) -> Result<i64, FrameDamage> {
        if self.minor >= 3
            && let Some(ns) = le64(raw.trailer, 6).and_then(filetime_ns)
        {
            return Ok(ns);
        }
        // Microsoft documents an unsigned µs count that can be "negative":
        // scale to 100 ns units in u64 and read that as signed (Wireshark).
        (raw.delta.wrapping_mul(10) as i64)
            .checked_mul(100)
            .and_then(|d| self.start_ns.checked_add(d))
            .ok_or(FrameDamage {
                offset: raw.offset as u64,
                frame_index: Some(index),
                kind: DamageKind::TimeOutOfRange,
            })
    }
}

/// The frame table entries that lie inside the file; damage for the rest.
fn frame_table<'a>(data: &'a [u8], h: &Header, damage: &mut Vec<FrameDamage>) -> &'a [u8] {
    let offset = h.frame_table_offset as usize;
    let length = h.frame_table_length;
    let at = u64::from(h.frame_table_offset);
    let push = |damage: &mut Vec<FrameDamage>, kind| {
        damage.push(FrameDamage {
            offset: at,
            frame_index: None,
            kind,
        })
    };
    if !length.is_multiple_of(4) {
        push(damage, DamageKind::FrameTableLength { length });
    }
    let entries = u64::from(length / 4);
    if entries == 0 {
        push(damage, DamageKind::EmptyFrameTable);
        return &[];
    }
    let Some(rest) = data.get(offset..) else {
        push(
            damage,
            DamageKind::FrameTableOutsideFile {
                file_len: data.len() as u64,
            },
        );
        return &[];
    };
    let readable = (rest.len() / 4) as u64;
    if readable < entries {
        push(
            damage,
            DamageKind::FrameTableTruncated { entries, readable },
        );
    }
    let n = entries.min(readable) as usize;
    &rest[..n * 4]
}

/// The frames of an index range, damaged ones skipped.
#[derive(Debug, Clone)]
pub struct Records<'a> {
    file: NetmonFile<'a>,
    next: usize,
    end: usize,
}

impl<'a> Iterator for Records<'a> {
    type Item = Record<'a>;

    #[inline]
    fn next(&mut self) -> Option<Record<'a>> {
        while self.next < self.end {
            let i = self.next;
            self.next += 1;
            if let Ok(rec) = self.file.frame(i) {
                return Some(rec);
            }
        }
        None
    }
}
