//! An opened capture file and its index.
//!
//! Reading happens in two passes, so that one large file keeps every core
//! busy and results do not depend on the thread count:
//!
//! 1. [`Capture::index`] walks the record headers once, sequentially (a hop
//!    from header to header, no packet bytes touched): it validates the
//!    framing, collects interfaces and comments, computes the file
//!    statistics of `nwcap info`, records any damage, and cuts the record
//!    sequence into [`Chunk`]s of about [`CHUNK_BYTES`] at record
//!    boundaries (and at every pcapng section header).
//! 2. Consumers hand chunks to workers ([`Index::map_chunks`]); each worker
//!    iterates its chunk's records with [`Index::records`]. Results come back
//!    in chunk order, so merging them in order reproduces a sequential run.
//!
//! Everything the second pass reads was validated by the first: a chunk never
//! extends past the first damage found in a file.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::bytes::Endian;
use crate::damage::Damage;
use crate::error::OpenError;
use crate::pcap::{self, PcapHeader};
use crate::pcapng::{self, BlockStep, Interface, Section};
use crate::record::{LinkType, Record};
use crate::source::{self, Bytes};
use crate::stats::Stats;
use crate::{netmon, sniff};

/// Target size of one chunk of records handed to a worker.
pub const CHUNK_BYTES: usize = 1 << 20;

/// The container format of a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Classic libpcap.
    Pcap,
    /// pcapng.
    PcapNg,
    /// Microsoft Network Monitor 2.x.
    NetMon,
}

impl Format {
    /// Lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Pcap => "pcap",
            Format::PcapNg => "pcapng",
            Format::NetMon => "netmon2",
        }
    }
}

/// Resolution of the timestamps a file stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Microseconds.
    Micro,
    /// Nanoseconds.
    Nano,
    /// Ticks per second (pcapng `if_tsresol`, NetMon).
    Ticks(u64),
}

impl Resolution {
    /// The resolution of `t` ticks per second.
    pub fn from_ticks(t: u64) -> Resolution {
        match t {
            1_000_000 => Resolution::Micro,
            1_000_000_000 => Resolution::Nano,
            t => Resolution::Ticks(t),
        }
    }

    /// Words for reports ("microseconds", "nanoseconds", "1/10000000 s").
    pub fn describe(self) -> String {
        match self {
            Resolution::Micro => "microseconds".into(),
            Resolution::Nano => "nanoseconds".into(),
            Resolution::Ticks(t) => format!("1/{t} s"),
        }
    }
}

enum Kind {
    Pcap(PcapHeader),
    PcapNg,
    NetMon,
}

/// An opened capture: its bytes and detected format. Cheap to create; the
/// work happens in [`Capture::index`].
pub struct Capture {
    path: PathBuf,
    bytes: Bytes,
    compressed: bool,
    kind: Kind,
    /// Problems found while opening (gzip damage, header oddities).
    open_damage: Vec<Damage>,
}

/// A run of records handed to one worker. For pcap/pcapng, `start..end` are
/// byte offsets of record boundaries; for NetMon they are frame indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    /// First record (byte offset or frame index).
    pub start: usize,
    /// End (exclusive).
    pub end: usize,
    /// pcapng section of the chunk (0 otherwise).
    pub section: u32,
    /// Number of records before this chunk in the file.
    pub first_record: u64,
    /// Number of records in this chunk.
    pub records: u64,
}

impl Capture {
    /// Open a file: map it (or decompress it), detect the format by magic.
    pub fn open(path: impl AsRef<Path>) -> Result<Capture, OpenError> {
        let path = path.as_ref();
        let bytes = source::map(path)?;
        Capture::from_bytes(path, bytes)
    }

    /// Build from bytes already in memory (tests, stdin). `path` is only a name.
    /// gzip data may expand to `NWCAP_GZIP_LIMIT` bytes (default
    /// [`source::DEFAULT_GZIP_LIMIT`]).
    pub fn from_bytes(path: impl AsRef<Path>, bytes: Bytes) -> Result<Capture, OpenError> {
        let limit = std::env::var("NWCAP_GZIP_LIMIT")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(source::DEFAULT_GZIP_LIMIT);
        Capture::from_bytes_with_limit(path, bytes, limit)
    }

    /// [`Capture::from_bytes`] with an explicit cap on the decompressed size
    /// of gzip data (the environment is not read): what fuzzers and tests
    /// use to keep a gzip bomb small.
    pub fn from_bytes_with_limit(
        path: impl AsRef<Path>,
        bytes: Bytes,
        gzip_limit: u64,
    ) -> Result<Capture, OpenError> {
        let path = path.as_ref().to_path_buf();
        let mut open_damage = Vec::new();
        let mut compressed = false;
        let bytes = if source::is_gzip(&bytes) {
            compressed = true;
            let limit = gzip_limit;
            match source::gunzip(&bytes, limit) {
                Ok((data, damage)) => {
                    if let Some(message) = damage {
                        open_damage.push(Damage::warning(
                            data.len() as u64,
                            format!(
                                "{message}; reading the {} bytes decompressed before it",
                                data.len()
                            ),
                        ));
                    }
                    Bytes::Owned(data)
                }
                Err(message) => return Err(OpenError::Gzip { path, message }),
            }
        } else {
            bytes
        };
        let kind = if pcap::is_pcap(&bytes) {
            match pcap::parse_header(&bytes, &mut open_damage) {
                Ok(h) => Kind::Pcap(h),
                Err(d) => {
                    return Err(OpenError::BadHeader {
                        path,
                        offset: d.offset,
                        message: d.message,
                    });
                }
            }
        } else if Endian::Little.u32(&bytes, 0) == Some(pcapng::SHB) {
            if pcapng::shb_endian(&bytes, 0).is_none() {
                return Err(OpenError::BadHeader {
                    path,
                    offset: 8,
                    message: "pcapng section header has no valid byte-order magic".into(),
                });
            }
            Kind::PcapNg
        } else if bytes.starts_with(netmon::MAGIC) {
            Kind::NetMon
        } else {
            let what = sniff::describe(&bytes);
            return Err(OpenError::NotCapture { path, what });
        };
        Ok(Capture {
            path,
            bytes,
            compressed,
            kind,
            open_damage,
        })
    }

    /// The path the capture was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The (decompressed) bytes.
    pub fn data(&self) -> &[u8] {
        &self.bytes
    }

    /// Container format.
    pub fn format(&self) -> Format {
        match self.kind {
            Kind::Pcap(_) => Format::Pcap,
            Kind::PcapNg => Format::PcapNg,
            Kind::NetMon => Format::NetMon,
        }
    }

    /// The classic pcap header, for pcap files.
    pub fn pcap_header(&self) -> Option<&PcapHeader> {
        match &self.kind {
            Kind::Pcap(h) => Some(h),
            _ => None,
        }
    }

    /// True when the file was gzip-compressed.
    pub fn compressed(&self) -> bool {
        self.compressed
    }

    /// Walk the file once: validate, collect interfaces, cut chunks, compute
    /// statistics. Never fails: damage is recorded and reading stops there.
    pub fn index(&self) -> Index<'_> {
        let mut idx = Index {
            cap: self,
            interfaces: Vec::new(),
            sections: Vec::new(),
            chunks: Vec::new(),
            damage: self.open_damage.clone(),
            comments: Vec::new(),
            stats: Stats::default(),
            endian: None,
            resolution: Resolution::Micro,
            netmon: None,
            netmon_version: None,
        };
        match &self.kind {
            Kind::Pcap(h) => crate::index::pcap(&mut idx, h),
            Kind::PcapNg => crate::index::pcapng(&mut idx),
            Kind::NetMon => crate::index::netmon(&mut idx),
        }
        idx
    }
}

/// The result of the first pass over a capture.
pub struct Index<'a> {
    pub(crate) cap: &'a Capture,
    /// All interfaces of the file (global numbering across sections).
    pub interfaces: Vec<Interface>,
    /// pcapng sections (one pseudo-section for other formats).
    pub sections: Vec<Section>,
    /// Runs of records for workers, in file order.
    pub chunks: Vec<Chunk>,
    /// Problems found, in file order.
    pub damage: Vec<Damage>,
    /// File and packet comments (pcapng `opt_comment`, NetMon comments).
    pub comments: Vec<String>,
    /// Statistics over every record read.
    pub stats: Stats,
    /// Byte order (None for formats that have one fixed order).
    pub endian: Option<Endian>,
    /// Timestamp resolution of the first interface.
    pub resolution: Resolution,
    pub(crate) netmon: Option<netmon::NetmonFile<'a>>,
    /// NetMon version, for NetMon files.
    pub netmon_version: Option<(u8, u8)>,
}

impl<'a> Index<'a> {
    /// The capture this index belongs to.
    pub fn capture(&self) -> &'a Capture {
        self.cap
    }

    /// Iterate the records of one chunk (which this index produced).
    pub fn records(&self, chunk: &Chunk) -> ChunkRecords<'_, 'a> {
        ChunkRecords {
            idx: self,
            pos: chunk.start,
            end: chunk.end,
            section: chunk.section,
        }
    }

    /// Iterate every record of the file in order (sequential).
    pub fn all_records(&self) -> impl Iterator<Item = Record<'a>> + '_ {
        self.chunks.iter().flat_map(move |c| self.records(c))
    }

    /// Run `f` on every chunk in parallel (rayon's current pool); results in
    /// chunk order.
    pub fn map_chunks<T, F>(&self, f: F) -> Vec<T>
    where
        T: Send,
        F: Fn(&Chunk, ChunkRecords<'_, 'a>) -> T + Sync + Send,
    {
        self.chunks
            .par_iter()
            .map(|c| f(c, self.records(c)))
            .collect()
    }

    /// True when some damage stopped reading early.
    pub fn has_error(&self) -> bool {
        self.damage
            .iter()
            .any(|d| d.severity == crate::damage::Severity::Error)
    }

    /// Link type of each interface.
    pub fn linktypes(&self) -> impl Iterator<Item = LinkType> + '_ {
        self.interfaces.iter().map(|i| i.linktype)
    }
}

/// Iterator over the records of one chunk.
pub struct ChunkRecords<'i, 'a> {
    idx: &'i Index<'a>,
    pos: usize,
    end: usize,
    section: u32,
}

impl<'a> Iterator for ChunkRecords<'_, 'a> {
    type Item = Record<'a>;

    #[inline]
    fn next(&mut self) -> Option<Record<'a>> {
        let cap: &'a Capture = self.idx.cap;
        let data: &'a [u8] = &cap.bytes;
        while self.pos < self.end {
            match &cap.kind {
                Kind::Pcap(h) => match h.step(data, self.pos) {
                    pcap::Step::Record(rec, next) => {
                        self.pos = next;
                        return Some(rec);
                    }
                    _ => return None,
                },
                Kind::PcapNg => {
                    let s = self.idx.sections.get(self.section as usize)?;
                    let BlockStep::Block(b) = pcapng::block_at(data, self.pos, s.endian) else {
                        return None;
                    };
                    let at = self.pos;
                    self.pos += b.len;
                    let base = s.if_base as usize;
                    let ifs = self
                        .idx
                        .interfaces
                        .get(base..base + s.if_count as usize)
                        .unwrap_or(&[]);
                    if let Ok(Some(rec)) = pcapng::packet(&b, at, s.endian, ifs, s.if_base) {
                        return Some(rec);
                    }
                }
                Kind::NetMon => {
                    let nm = self.idx.netmon.as_ref()?;
                    let i = self.pos;
                    self.pos += 1;
                    if let Ok(rec) = nm.frame(i) {
                        return Some(rec);
                    }
                }
            }
        }
        None
    }
}
