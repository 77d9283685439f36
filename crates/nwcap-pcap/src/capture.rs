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
use crate::input::Input;
use crate::pcap::{self, PcapHeader};
use crate::pcapng::{self, Interface, Section};
use crate::record::Record;
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
    /// The format of a capture whose (decompressed) bytes start with
    /// `head`, by magic, never by name; `path` names it in the error when
    /// it is none of them, or a pcapng section header without a byte-order
    /// magic.
    pub(crate) fn detect(head: &[u8], path: &Path) -> Result<Format, OpenError> {
        if pcap::is_pcap(head) {
            Ok(Format::Pcap)
        } else if Endian::Little.u32(head, 0) == Some(pcapng::SHB) {
            if pcapng::shb_endian(head, 0).is_none() {
                return Err(OpenError::BadHeader {
                    path: path.to_path_buf(),
                    offset: 8,
                    message: "pcapng section header has no valid byte-order magic".into(),
                });
            }
            Ok(Format::PcapNg)
        } else if head.starts_with(netmon::MAGIC) {
            Ok(Format::NetMon)
        } else {
            Err(OpenError::NotCapture {
                path: path.to_path_buf(),
                what: sniff::describe(head),
            })
        }
    }

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
    /// A path that is not a regular file (a FIFO, `/dev/stdin`) is read to
    /// its end ([`source::whole`]).
    pub fn open(path: impl AsRef<Path>) -> Result<Capture, OpenError> {
        Capture::open_input(&Input::Path(path.as_ref().to_path_buf()))
    }

    /// Open an input, standard input included: a regular file is mapped,
    /// anything else read to its end and held in memory
    /// ([`source::whole`]); then as [`Capture::from_bytes`].
    pub fn open_input(input: &Input) -> Result<Capture, OpenError> {
        Capture::from_bytes(input.path_or_name(), source::whole(input)?)
    }

    /// Build from bytes already in memory (tests, stdin). `path` is only a name.
    /// gzip data may expand to `NWCAP_GZIP_LIMIT` bytes (default
    /// [`source::DEFAULT_GZIP_LIMIT`]).
    pub fn from_bytes(path: impl AsRef<Path>, bytes: Bytes) -> Result<Capture, OpenError> {
        Capture::from_bytes_with_limit(path, bytes, source::gzip_limit())
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
        let kind = match Format::detect(&bytes, &path)? {
            Format::Pcap => match pcap::parse_header(&bytes, &mut open_damage) {
                Ok(h) => Kind::Pcap(h),
                Err(d) => {
                    return Err(OpenError::BadHeader {
                        path,
                        offset: d.offset,
                        message: d.message,
                    });
                }
            },
            Format::PcapNg => Kind::PcapNg,
            Format::NetMon => Kind::NetMon,
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
            Kind::Pcap(h) => crate::pcap::index::first_pass(&mut idx, h),
            Kind::PcapNg => crate::pcapng::index::first_pass(&mut idx),
            Kind::NetMon => crate::netmon::index::first_pass(&mut idx),
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

    /// Iterate the records of one chunk (which this index produced). The
    /// format is chosen once here, not per record.
    pub fn records(&self, chunk: &Chunk) -> ChunkRecords<'a> {
        let data: &'a [u8] = self.cap.data();
        match &self.cap.kind {
            Kind::Pcap(h) => ChunkRecords::Pcap(crate::pcap::Records::new(
                h.clone(),
                data,
                chunk.start,
                chunk.end,
            )),
            Kind::PcapNg => {
                let (endian, ifs, base) = match self.sections.get(chunk.section as usize) {
                    Some(s) => {
                        let b = s.if_base as usize;
                        let ifs = self
                            .interfaces
                            .get(b..b + s.if_count as usize)
                            .unwrap_or(&[]);
                        (s.endian, ifs.to_vec(), s.if_base)
                    }
                    None => (crate::bytes::Endian::Little, Vec::new(), 0),
                };
                ChunkRecords::PcapNg(crate::pcapng::Records::new(
                    data,
                    chunk.start,
                    chunk.end,
                    endian,
                    std::sync::Arc::new(ifs),
                    base,
                ))
            }
            Kind::NetMon => match &self.netmon {
                Some(nm) => ChunkRecords::NetMon(nm.records(chunk.start, chunk.end)),
                None => ChunkRecords::Empty,
            },
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
        F: Fn(&Chunk, ChunkRecords<'a>) -> T + Sync + Send,
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
}

/// Iterator over the records of one chunk: one variant per format, chosen
/// once per chunk; `for_each`/`fold` run the format's own loop.
pub enum ChunkRecords<'a> {
    /// Classic pcap records.
    Pcap(crate::pcap::Records<'a>),
    /// pcapng packet blocks.
    PcapNg(crate::pcapng::Records<'a>),
    /// NetMon frames.
    NetMon(crate::netmon::Records<'a>),
    /// Nothing (a NetMon file whose header could not be read).
    Empty,
}

impl<'a> Iterator for ChunkRecords<'a> {
    type Item = Record<'a>;

    #[inline]
    fn next(&mut self) -> Option<Record<'a>> {
        match self {
            ChunkRecords::Pcap(r) => r.next(),
            ChunkRecords::PcapNg(r) => r.next(),
            ChunkRecords::NetMon(r) => r.next(),
            ChunkRecords::Empty => None,
        }
    }

    fn fold<B, F>(self, init: B, f: F) -> B
    where
        F: FnMut(B, Record<'a>) -> B,
    {
        match self {
            ChunkRecords::Pcap(r) => r.fold(init, f),
            ChunkRecords::PcapNg(r) => r.fold(init, f),
            ChunkRecords::NetMon(r) => r.fold(init, f),
            ChunkRecords::Empty => init,
        }
    }
}

/// Cuts the record sequence into chunks.
pub(crate) struct Cutter {
    pub(crate) start: usize,
    pub(crate) first_record: u64,
    pub(crate) records: u64,
    pub(crate) section: u32,
}

impl Cutter {
    pub(crate) fn new(start: usize, section: u32) -> Cutter {
        Cutter {
            start,
            first_record: 0,
            records: 0,
            section,
        }
    }

    /// Close the current chunk at `end` (if it holds records) and start a
    /// new one there.
    pub(crate) fn cut(&mut self, chunks: &mut Vec<Chunk>, end: usize, section: u32) {
        if self.records > 0 {
            chunks.push(Chunk {
                start: self.start,
                end,
                section: self.section,
                first_record: self.first_record,
                records: self.records,
            });
        }
        self.first_record += self.records;
        self.records = 0;
        self.start = end;
        self.section = section;
    }
}

pub(crate) fn leftover(pos: usize, n: usize) -> Damage {
    Damage::warning(
        pos as u64,
        format!("file ends inside a record: {n} bytes left over"),
    )
}
