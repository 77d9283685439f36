//! Damage found in a NetMon file: small `Copy` values, because `frame()` sits
//! on the hot path and a damaged frame must not cost an allocation. The text
//! is produced only when someone displays it.

use std::fmt;

use crate::damage::Damage;

/// One problem in a NetMon file, located by byte offset (and frame index when
/// it concerns one frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameDamage {
    /// Byte offset where the problem is (frame header, table entry, table).
    pub offset: u64,
    /// Index of the frame in the frame table, when the problem is one frame.
    pub frame_index: Option<usize>,
    /// What is wrong.
    pub kind: DamageKind,
}

/// What is wrong; every variant carries the numbers that explain it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DamageKind {
    /// `frame(index)` was asked for an index past the frame table.
    NoSuchFrame {
        /// Number of frames in the table.
        count: usize,
    },
    /// The 16-byte frame header does not fit in the file.
    HeaderPastEnd {
        /// Bytes left in the file at the frame offset (0 when past the end).
        available: u64,
    },
    /// The captured bytes run past the end of the file.
    DataPastEnd {
        /// Captured length in the frame header.
        caplen: u32,
        /// Bytes left in the file after the frame header.
        available: u64,
    },
    /// The per-frame trailer (media type, ...) runs past the end of the file.
    TrailerPastEnd {
        /// Trailer size for this file version.
        needed: usize,
        /// Bytes left in the file after the frame data.
        available: u64,
    },
    /// The frame time cannot be represented (beyond 1677..2262).
    TimeOutOfRange,
    /// The frame table starts past the end of the file: no frame is readable.
    FrameTableOutsideFile {
        /// Length of the file.
        file_len: u64,
    },
    /// The frame table is cut by the end of the file; the entries that are
    /// in the file are used.
    FrameTableTruncated {
        /// Entries the header announces.
        entries: u64,
        /// Entries present in the file.
        readable: u64,
    },
    /// The frame table length is not a multiple of 4; the extra bytes are ignored.
    FrameTableLength {
        /// Length in the header.
        length: u32,
    },
    /// The frame table is empty: the file has no frames.
    EmptyFrameTable,
    /// Minor version newer than 2.3: read as 2.3 (as Wireshark does).
    NewerMinorVersion {
        /// Minor version in the header.
        minor: u8,
    },
    /// An optional table (comments, process info, extended info) is damaged;
    /// what was read before the damage is kept.
    Table {
        /// Which table.
        table: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
}

impl fmt::Display for DamageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DamageKind::NoSuchFrame { count } => {
                write!(f, "no such frame (the frame table has {count})")
            }
            DamageKind::HeaderPastEnd { available } => write!(
                f,
                "frame header past end of file (16 bytes needed, {available} left)"
            ),
            DamageKind::DataPastEnd { caplen, available } => write!(
                f,
                "frame data past end of file (captured length {caplen}, {available} bytes left)"
            ),
            DamageKind::TrailerPastEnd { needed, available } => write!(
                f,
                "frame trailer past end of file ({needed} bytes needed, {available} left)"
            ),
            DamageKind::TimeOutOfRange => write!(f, "frame time stamp out of range"),
            DamageKind::FrameTableOutsideFile { file_len } => write!(
                f,
                "frame table starts past end of file ({file_len} bytes): no frame readable"
            ),
            DamageKind::FrameTableTruncated { entries, readable } => write!(
                f,
                "frame table cut by end of file: {readable} of {entries} entries readable"
            ),
            DamageKind::FrameTableLength { length } => write!(
                f,
                "frame table length {length} is not a multiple of 4; extra bytes ignored"
            ),
            DamageKind::EmptyFrameTable => write!(f, "frame table is empty"),
            DamageKind::NewerMinorVersion { minor } => {
                write!(f, "version 2.{minor} is newer than 2.3; read as 2.3")
            }
            DamageKind::Table { table, problem } => write!(f, "{table}: {problem}"),
        }
    }
}

impl FrameDamage {
    /// True when the problem lost frames (a frame, or a part of the frame
    /// table); false for warnings where every frame is still read.
    pub fn lost_frames(&self) -> bool {
        matches!(
            self.kind,
            DamageKind::NoSuchFrame { .. }
                | DamageKind::HeaderPastEnd { .. }
                | DamageKind::DataPastEnd { .. }
                | DamageKind::TrailerPastEnd { .. }
                | DamageKind::TimeOutOfRange
                | DamageKind::FrameTableOutsideFile { .. }
                | DamageKind::FrameTableTruncated { .. }
        )
    }
}

impl fmt::Display for FrameDamage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.frame_index {
            Some(i) => write!(f, "frame {} at byte {}: {}", i + 1, self.offset, self.kind),
            None => write!(f, "at byte {}: {}", self.offset, self.kind),
        }
    }
}

impl std::error::Error for FrameDamage {}

/// NetMon frames are independent (random access through the frame table), so
/// a damaged frame never stops reading: it becomes a crate-level warning,
/// except a cut or misplaced frame table, which loses every frame after it.
impl From<FrameDamage> for Damage {
    fn from(d: FrameDamage) -> Damage {
        let message = match d.frame_index {
            Some(i) => format!("frame {}: {}", i + 1, d.kind),
            None => d.kind.to_string(),
        };
        match d.kind {
            DamageKind::FrameTableOutsideFile { .. } | DamageKind::FrameTableTruncated { .. } => {
                Damage::error(d.offset, message)
            }
            _ => Damage::warning(d.offset, message),
        }
    }
}
