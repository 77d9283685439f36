//! Streaming input for classic pcap files: `read` into a few reusable
//! buffers instead of mapping the file.
//!
//! Why not the map: the index pass of [`nwcap_pcap::Capture::index`] hops
//! over every record header before any packet is decoded, so it touches
//! every page of the file, and every touched page of a map counts in the
//! process's resident memory until the map goes away (1.1 GB for a 1.1 GB
//! capture). Reading blocks of [`BLOCK_BYTES`] into buffers that are
//! recycled ([`Block`] hands its buffer back when dropped) keeps memory at
//! a few blocks whatever the file size, costs one copy out of the page
//! cache, and fuses the header walk with the pipeline, so framing block
//! `n + 1` overlaps decoding block `n` (see [`crate::pipeline`]).
//!
//! Framing is the pcap crate's own ([`PcapHeader::step`]), run over the
//! buffer: a record cut by the buffer's end is carried into the next block;
//! a record that does not fit a block grows the buffer, at most to the
//! bytes the file really has (the step already refuses captured lengths
//! beyond the snap length). Damage is reported as the index pass would,
//! with file offsets.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use nwcap_pcap::capture::CHUNK_BYTES;
use nwcap_pcap::pcap::{self, PcapHeader, Step};
use nwcap_pcap::{Damage, Packet, Record, TimestampNs};

use crate::pipeline::Window;
use crate::reader::DecodeFn;

/// Bytes read per block.
pub const BLOCK_BYTES: usize = 8 << 20;

type Pool = Arc<Mutex<Vec<Vec<u8>>>>;

/// A classic pcap file read block by block.
pub struct PcapStream {
    path: PathBuf,
    file: File,
    header: PcapHeader,
    /// File index (caller's order).
    file_index: u32,
    /// File offset of the first byte not yet consumed as a record.
    offset: u64,
    /// Bytes read from the file but not yet framed (a cut record).
    carry: Vec<u8>,
    eof: bool,
    stopped: bool,
    pool: Pool,
    block_bytes: usize,
    decode: DecodeFn,
    /// Problems found so far (file offsets).
    pub damage: Vec<Damage>,
    /// Records framed so far.
    pub records: u64,
}

/// Opening a stream failed.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The file is not a classic pcap file.
    #[error("{path}: not a classic pcap file")]
    NotPcap {
        /// The file.
        path: PathBuf,
    },
    /// The file header is unusable.
    #[error("{path}: {damage}")]
    BadHeader {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        damage: Damage,
    },
}

/// True when the first bytes of a file are a classic pcap magic (the
/// streaming path applies; gzip, pcapng and NetMon take the mapped path).
pub fn is_pcap_file(path: &Path) -> io::Result<bool> {
    let mut head = [0u8; 4];
    let mut f = File::open(path)?;
    let n = read_full(&mut f, &mut head)?;
    Ok(n == 4 && pcap::is_pcap(&head))
}

fn read_full(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

impl PcapStream {
    /// Opens `path` (a classic pcap file) as input number `file_index`.
    pub fn open(path: &Path, file_index: u32, decode: DecodeFn) -> Result<Self, StreamError> {
        let io = |source| StreamError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = File::open(path).map_err(io)?;
        let mut head = [0u8; pcap::HEADER_LEN];
        let n = read_full(&mut file, &mut head).map_err(io)?;
        if !pcap::is_pcap(&head[..n]) {
            return Err(StreamError::NotPcap {
                path: path.to_path_buf(),
            });
        }
        let mut damage = Vec::new();
        let header =
            pcap::parse_header(&head[..n], &mut damage).map_err(|d| StreamError::BadHeader {
                path: path.to_path_buf(),
                damage: d,
            })?;
        Ok(PcapStream {
            path: path.to_path_buf(),
            file,
            header,
            file_index,
            offset: pcap::HEADER_LEN as u64,
            carry: Vec::new(),
            eof: false,
            stopped: false,
            pool: Arc::new(Mutex::new(Vec::new())),
            block_bytes: BLOCK_BYTES,
            decode,
            damage,
            records: 0,
        })
    }

    /// The same stream as input number `file_index` (after the caller
    /// ordered its files).
    pub fn renumbered(mut self, file_index: u32) -> Self {
        self.file_index = file_index;
        self
    }

    /// Sets the block size (tests use small blocks to exercise carries).
    pub fn with_block_bytes(mut self, n: usize) -> Self {
        self.block_bytes = n.max(64);
        self
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Time of the first record, without consuming anything (for ordering
    /// several files). `None` for a file without a complete first record.
    pub fn first_ts(path: &Path) -> io::Result<Option<TimestampNs>> {
        let mut f = File::open(path)?;
        let mut head = vec![0u8; pcap::HEADER_LEN + 24];
        let n = read_full(&mut f, &mut head)?;
        head.truncate(n);
        let mut ignore = Vec::new();
        let Ok(h) = pcap::parse_header(&head, &mut ignore) else {
            return Ok(None);
        };
        // Only the first record header's time fields are needed.
        let Some(sec) = h.endian.u32(&head, pcap::HEADER_LEN) else {
            return Ok(None);
        };
        let frac = h.endian.u32(&head, pcap::HEADER_LEN + 4).unwrap_or(0);
        let ns = if h.nanos {
            i64::from(frac)
        } else {
            i64::from(frac) * 1000
        };
        Ok(Some(i64::from(sec) * 1_000_000_000 + ns))
    }

    fn take_buffer(&self) -> Vec<u8> {
        self.pool
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_default()
    }

    /// Reads and frames the next block; `Ok(None)` at the end of the file
    /// or after damage that stops reading (see [`PcapStream::damage`]).
    pub fn next_block(&mut self) -> Result<Option<Block>, StreamError> {
        if self.stopped {
            return Ok(None);
        }
        // Buffers keep their length (= capacity) for life; `filled` says
        // how much holds data, so reuse costs no zeroing.
        let mut buf = self.take_buffer();
        let carry = self.carry.len();
        if buf.len() < self.block_bytes.max(carry * 2) {
            buf.resize(self.block_bytes.max(carry * 2), 0);
        }
        buf[..carry].copy_from_slice(&self.carry);
        self.carry.clear();
        let mut filled = carry;
        let mut framer = Framer::default();
        loop {
            // Read in slices small enough to stay in the core's cache, and
            // frame each slice right after reading it: the header walk then
            // hits the cache instead of memory.
            while !self.eof && filled < buf.len() {
                let upto = (filled + READ_SLICE).min(buf.len());
                let n = read_full(&mut self.file, &mut buf[filled..upto]).map_err(|source| {
                    StreamError::Io {
                        path: self.path.clone(),
                        source,
                    }
                })?;
                self.eof = filled + n < upto;
                filled += n;
                if framer.walk(&self.header, &buf[..filled], self.offset) {
                    break;
                }
            }
            framer.walk(&self.header, &buf[..filled], self.offset);
            self.records += framer.records;
            framer.records = 0;
            let (chunks, end, stop) = framer.finish();
            if chunks.is_empty() && stop.is_none() && !self.eof {
                // One record larger than the block: read more of it (the
                // buffer only grows while the file has the bytes).
                let grown = buf.len() * 2;
                buf.resize(grown, 0);
                framer = Framer::default();
                continue;
            }
            let base = self.offset;
            self.offset += end as u64;
            match stop {
                Some(d) => {
                    self.damage.push(d);
                    self.stopped = true;
                }
                None if self.eof => {
                    if end < filled {
                        self.damage.push(Damage::warning(
                            base + end as u64,
                            format!(
                                "file ends inside a record: {} bytes left over",
                                filled - end
                            ),
                        ));
                    }
                    self.stopped = true;
                }
                None => self.carry.extend_from_slice(&buf[end..filled]),
            }
            if chunks.is_empty() {
                self.give_back(buf);
                return Ok(None);
            }
            return Ok(Some(Block {
                file: self.file_index,
                base,
                buf,
                len: end,
                chunks,
                header: self.header.clone(),
                decode: self.decode,
                pool: Arc::clone(&self.pool),
            }));
        }
    }

    fn give_back(&self, buf: Vec<u8>) {
        if let Ok(mut p) = self.pool.lock() {
            p.push(buf);
        }
    }
}

/// Bytes read from the file at a time (framed while still in cache).
const READ_SLICE: usize = 256 << 10;

/// Incremental record walk over a filling buffer: chunk ranges, the end of
/// the last whole record, and damage that stops reading.
#[derive(Default)]
struct Framer {
    chunks: Vec<(usize, usize)>,
    start: usize,
    pos: usize,
    records: u64,
    stop: Option<Damage>,
}

impl Framer {
    /// Walks the whole records of `buf` from where the last call stopped;
    /// true when damage stops reading. `base` is the file offset of
    /// `buf[0]`.
    fn walk(&mut self, header: &PcapHeader, buf: &[u8], base: u64) -> bool {
        if self.stop.is_some() {
            return true;
        }
        loop {
            match header.step(buf, self.pos) {
                Step::Record(_, next) => {
                    self.records += 1;
                    self.pos = next;
                    if self.pos - self.start >= CHUNK_BYTES {
                        self.chunks.push((self.start, self.pos));
                        self.start = self.pos;
                    }
                }
                Step::End | Step::Truncated(_) => return false,
                Step::Bad(d) => {
                    self.stop = Some(Damage {
                        offset: d.offset + base,
                        ..d
                    });
                    return true;
                }
            }
        }
    }

    fn finish(mut self) -> (Vec<(usize, usize)>, usize, Option<Damage>) {
        if self.pos > self.start {
            self.chunks.push((self.start, self.pos));
        }
        (self.chunks, self.pos, self.stop)
    }
}

/// Consecutive whole records of one pcap file, in an owned buffer that
/// returns to its stream's pool when dropped.
pub struct Block {
    file: u32,
    /// File offset of `buf[0]`.
    base: u64,
    buf: Vec<u8>,
    /// Bytes of `buf` holding whole records.
    len: usize,
    chunks: Vec<(usize, usize)>,
    header: PcapHeader,
    decode: DecodeFn,
    pool: Pool,
}

impl Block {
    /// File offset of the block's first byte.
    pub fn offset(&self) -> u64 {
        self.base
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        if let Ok(mut p) = self.pool.lock()
            && p.len() < 4
        {
            p.push(std::mem::take(&mut self.buf));
        }
    }
}

impl Window for Block {
    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    fn file(&self) -> u32 {
        self.file
    }

    fn chunks(&self) -> usize {
        self.chunks.len()
    }

    fn input_bytes(&self) -> u64 {
        self.len as u64
    }

    fn for_each(&self, chunk: usize, f: &mut dyn FnMut(&Record<'_>, &Packet<'_>)) {
        let Some(&(start, end)) = self.chunks.get(chunk) else {
            return;
        };
        let data = &self.buf[..end];
        let mut pos = start;
        while pos < end {
            let Step::Record(mut rec, next) = self.header.step(data, pos) else {
                return;
            };
            rec.offset += self.base;
            let pkt = (self.decode)(rec.linktype, rec.data);
            f(&rec, &pkt);
            pos = next;
        }
    }
}

/// Reads several pcap streams one after the other as one sequence of
/// blocks. Read errors end the file they happen in and are kept.
pub struct Streams {
    streams: Vec<PcapStream>,
    current: usize,
    /// I/O errors met while reading (the file's blocks before it are kept).
    pub errors: Vec<StreamError>,
}

impl Streams {
    /// Chains `streams` in the given order.
    pub fn new(streams: Vec<PcapStream>) -> Self {
        Streams {
            streams,
            current: 0,
            errors: Vec::new(),
        }
    }

    /// The streams, with their damage and record counts.
    pub fn into_streams(self) -> (Vec<PcapStream>, Vec<StreamError>) {
        (self.streams, self.errors)
    }
}

impl Iterator for Streams {
    type Item = Block;

    fn next(&mut self) -> Option<Block> {
        while let Some(s) = self.streams.get_mut(self.current) {
            match s.next_block() {
                Ok(Some(b)) => return Some(b),
                Ok(None) => self.current += 1,
                Err(e) => {
                    s.stopped = true;
                    self.errors.push(e);
                    self.current += 1;
                }
            }
        }
        None
    }
}
