//! Streaming input for classic pcap files: the file is taken a block at a
//! time, so memory stays at a few blocks whatever the file size.
//!
//! Why not one map of the whole file: the index pass of
//! [`nwcap_pcap::Capture::index`] hops over every record header before any
//! packet is decoded, so it touches every page of the file, and every
//! touched page of a map counts in the process's resident memory until the
//! map goes away (1.1 GB for a 1.1 GB capture). Here each block of about
//! [`BLOCK_BYTES`] is its own small map of the file (page tables filled up
//! front, no copy out of the page cache), unmapped when its [`Block`] is
//! dropped; where a file cannot be mapped (a pipe, a FIFO) blocks are
//! `read` into buffers that are recycled instead. Framing block `n + 1`
//! overlaps decoding block `n` (see [`crate::pipeline`]).
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

use memmap2::{Mmap, MmapOptions};
use nwcap_pcap::capture::CHUNK_BYTES;
use nwcap_pcap::pcap::{self, PcapHeader, Step};
use nwcap_pcap::prefetch::Prefetcher;
use nwcap_pcap::{Damage, Packet, Record, TimestampNs};

use crate::pipeline::Window;
use crate::reader::DecodeFn;

/// Bytes read per block.
pub const BLOCK_BYTES: usize = 8 << 20;

/// Alignment of a block's map in the file (a multiple of the page size on
/// every platform memmap2 supports, incl. Windows' 64 KiB granularity).
const MAP_ALIGN: u64 = 64 << 10;

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
    /// File length when opened, when the file is mapped block by block.
    map_len: Option<u64>,
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
        // Regular files are mapped block by block; anything else is read.
        let map_len = file
            .metadata()
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len());
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
            map_len,
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

    /// Reads blocks with `read` even if the file could be mapped (tests
    /// exercise both paths).
    pub fn with_read(mut self) -> Self {
        self.map_len = None;
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
        match self.map_len {
            Some(len) => self.next_mapped(len),
            None => self.next_read(),
        }
    }

    /// [`PcapStream::next_block`] for a mapped file of `file_len` bytes.
    fn next_mapped(&mut self, file_len: u64) -> Result<Option<Block>, StreamError> {
        let aligned = self.offset - self.offset % MAP_ALIGN;
        // Both fit in usize: `skip` is below MAP_ALIGN, and a map length is
        // clamped to what the address space can hold.
        let skip = (self.offset - aligned) as usize;
        let avail = usize::try_from(file_len.saturating_sub(aligned)).unwrap_or(usize::MAX);
        let mut want = self.block_bytes;
        loop {
            let len = skip.saturating_add(want).min(avail);
            if len <= skip {
                self.stopped = true;
                return Ok(None);
            }
            let eof = len == avail;
            // SAFETY: a read-only map, as in `nwcap_pcap::source::map`: if
            // another process truncates the file while it is read, accesses
            // past the new end raise SIGBUS (the accepted trade-off of every
            // mmap-based reader; capture files are not modified while being
            // analysed).
            let map = unsafe {
                MmapOptions::new()
                    .offset(aligned)
                    .len(len)
                    .populate()
                    .map(&self.file)
            }
            .map_err(|source| StreamError::Io {
                path: self.path.clone(),
                source,
            })?;
            let mut framer = Framer::at(skip);
            framer.walk(&self.header, &map, aligned);
            let records = framer.records;
            let (chunks, end, stop) = framer.finish();
            if chunks.is_empty() && stop.is_none() && !eof {
                // One record larger than the block: map more of the file.
                want = want.saturating_mul(2);
                continue;
            }
            self.records += records;
            self.offset = aligned + end as u64;
            match stop {
                Some(d) => {
                    self.damage.push(d);
                    self.stopped = true;
                }
                None if eof => {
                    if end < len {
                        self.damage.push(left_over(aligned + end as u64, len - end));
                    }
                    self.stopped = true;
                }
                None => {}
            }
            if chunks.is_empty() {
                return Ok(None);
            }
            return Ok(Some(Block {
                file: self.file_index,
                base: aligned,
                skip,
                data: Storage::Mapped(map),
                len: end,
                chunks,
                header: self.header.clone(),
                decode: self.decode,
            }));
        }
    }

    /// [`PcapStream::next_block`] with `read` into recycled buffers.
    fn next_read(&mut self) -> Result<Option<Block>, StreamError> {
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
                        self.damage.push(left_over(base + end as u64, filled - end));
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
                skip: 0,
                data: Storage::Owned {
                    buf,
                    pool: Arc::clone(&self.pool),
                },
                len: end,
                chunks,
                header: self.header.clone(),
                decode: self.decode,
            }));
        }
    }

    fn give_back(&self, buf: Vec<u8>) {
        if let Ok(mut p) = self.pool.lock() {
            p.push(buf);
        }
    }
}

/// The warning for bytes after the last whole record.
fn left_over(offset: u64, n: usize) -> Damage {
    Damage::warning(
        offset,
        format!("file ends inside a record: {n} bytes left over"),
    )
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
    ahead: Prefetcher,
}

impl Framer {
    /// A framer whose first record starts at `pos`.
    fn at(pos: usize) -> Self {
        Framer {
            start: pos,
            pos,
            ahead: Prefetcher::at(pos),
            ..Framer::default()
        }
    }

    /// Walks the whole records of `buf` from where the last call stopped;
    /// true when damage stops reading. `base` is the file offset of
    /// `buf[0]`.
    fn walk(&mut self, header: &PcapHeader, buf: &[u8], base: u64) -> bool {
        if self.stop.is_some() {
            return true;
        }
        loop {
            self.ahead.run(buf, self.pos);
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

/// Where a block's bytes live.
enum Storage {
    /// A buffer `read` from the file, handed back to its stream's pool
    /// when the block is dropped.
    Owned { buf: Vec<u8>, pool: Pool },
    /// A map of part of the file, unmapped when the block is dropped.
    Mapped(Mmap),
}

/// Consecutive whole records of one pcap file, in a map of that part of
/// the file or in a buffer read from it.
pub struct Block {
    file: u32,
    /// File offset of the storage's first byte.
    base: u64,
    /// Bytes before the first record (map alignment).
    skip: usize,
    data: Storage,
    /// Bytes of the storage up to the end of the last whole record.
    len: usize,
    chunks: Vec<(usize, usize)>,
    header: PcapHeader,
    decode: DecodeFn,
}

impl Block {
    /// File offset of the block's first record.
    pub fn offset(&self) -> u64 {
        self.base + self.skip as u64
    }

    fn data(&self) -> &[u8] {
        match &self.data {
            Storage::Owned { buf, .. } => buf,
            Storage::Mapped(m) => m,
        }
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        if let Storage::Owned { buf, pool } = &mut self.data
            && let Ok(mut p) = pool.lock()
            && p.len() < 4
        {
            p.push(std::mem::take(buf));
        }
    }
}

impl Window for Block {
    fn bytes(&self) -> &[u8] {
        &self.data()[..self.len]
    }

    fn file(&self) -> u32 {
        self.file
    }

    fn chunks(&self) -> usize {
        self.chunks.len()
    }

    fn input_bytes(&self) -> u64 {
        (self.len - self.skip) as u64
    }

    fn for_each(&self, chunk: usize, f: &mut dyn FnMut(&Record<'_>, &Packet<'_>)) {
        let Some(&(start, end)) = self.chunks.get(chunk) else {
            return;
        };
        let data = &self.data()[..end];
        let mut pos = start;
        let mut ahead = Prefetcher::at(start);
        while pos < end {
            ahead.run(data, pos);
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
