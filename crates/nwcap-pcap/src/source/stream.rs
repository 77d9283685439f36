//! [`Source`]: one input opened once and read block by block, whatever it
//! is: a regular file (each block its own small map of the file, so memory
//! stays at a few blocks and nothing is copied out of the page cache), a
//! pipe, a FIFO or standard input (read into recycled buffers), a gzip
//! file or stream (decompressed as it is read). Classic pcap and pcapng
//! stream; a NetMon file is random access (its frame table is at the end),
//! so it is mapped whole, or read whole from a pipe.
//!
//! The first bytes are read once, at open (`open.rs`): they say the
//! format, hold the file header and give the first record's time
//! ([`Source::first_ts`]), and for a stream they stay in the buffer, so
//! nothing is read twice.
//!
//! Damage is reported as the indexed reader reports it, with file offsets
//! (of the decompressed bytes, for gzip): a record cut by the end of the
//! input is a warning, an impossible record ends the input with an error;
//! every whole record before it is read.

use std::fs::File;
use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::block::{Block, BlockChunk, ChunkFormat, Pool, Storage};
use super::open::read_full;
use super::spec::{self, Ledger, MAX_SLACK};
use super::{Bytes, map_range};
use crate::capture::Format;
use crate::damage::Damage;
use crate::netmon::NetmonLayout;
use crate::pcap::{PcapHeader, frame::frame as frame_pcap};
use crate::pcapng::frame::NgFramer;
use crate::record::TimestampNs;

/// Bytes per block. 6 MiB rather than 8: the same speed, and 40 MB less
/// peak memory on a run whose flows are short (1 M flows: 249 MB against
/// 289-294 MB), as a block's map, its staged packets and the batch of flows
/// that end while it is fed all shrink with it; 4 MiB was 15 % slower.
pub const BLOCK_BYTES: usize = 6 << 20;
/// Alignment of a block's map in the file (a multiple of the page size on
/// every platform memmap2 supports, Windows' 64 KiB granularity included).
const MAP_ALIGN: u64 = 64 << 10;
/// Bytes read from a stream at a time (framed while still in cache).
const READ_SLICE: usize = 256 << 10;
/// NetMon frames per chunk, and chunks per block.
const NETMON_CHUNK: usize = 2048;
const NETMON_BLOCK_CHUNKS: usize = 8;

/// How the bytes of a source are obtained.
pub(super) enum Reader {
    /// A regular uncompressed file, mapped block by block.
    Mapped { file: File, len: u64 },
    /// Read in order: a pipe, FIFO, stdin, or any gzip input.
    Stream {
        read: Box<dyn Read + Send>,
        eof: bool,
        /// Bytes of the input as stored read so far (compressed, for gzip).
        consumed: Arc<AtomicU64>,
    },
    /// NetMon: the whole input, mapped or read.
    Whole(Arc<Bytes>),
}

/// The per-format walk.
pub(super) enum Framer {
    Pcap(Arc<PcapHeader>),
    PcapNg(NgFramer),
    NetMon {
        layout: Arc<NetmonLayout>,
        next: usize,
        count: usize,
    },
}

/// One input, opened.
pub struct Source {
    pub(super) name: String,
    pub(super) format: Format,
    pub(super) compressed: bool,
    pub(super) reader: Reader,
    /// Stream: bytes read and not yet framed (they start at a record
    /// boundary). Mapped: unused.
    pub(super) carry: Vec<u8>,
    /// File offset of the next record (mapped: of the next block).
    pub(super) offset: u64,
    pub(super) framer: Framer,
    /// Records and damage, as blocks are framed or settle.
    pub(super) ledger: Ledger,
    /// Blocks are byte ranges decoded without framing ([`spec`]).
    pub(super) speculative: bool,
    pub(super) stopped: bool,
    pub(super) first_ts: Option<TimestampNs>,
    pub(super) block_bytes: usize,
    pub(super) pool: Pool,
    /// Input bytes accounted to blocks so far (progress).
    pub(super) reported: u64,
    pub(super) size: Option<u64>,
}

impl Source {
    /// The input's name (as in messages and the `file` column).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Container format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// True when the input is gzip-compressed.
    pub fn compressed(&self) -> bool {
        self.compressed
    }

    /// Time of the first record of the input (in file order), when its
    /// header could be read: the key the engine orders a capture's files by.
    pub fn first_ts(&self) -> Option<TimestampNs> {
        self.first_ts
    }

    /// Size of the input as stored, for regular files (progress).
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// Problems found so far, with file offsets.
    pub fn damage(&self) -> Vec<Damage> {
        self.ledger.damage()
    }

    /// Records framed so far (of a speculative source: in the blocks
    /// settled so far).
    pub fn records(&self) -> u64 {
        self.ledger.records()
    }

    /// The source's records and damage, complete once every block has
    /// been decoded (and, if speculative, settled).
    pub fn ledger(&self) -> Ledger {
        self.ledger.clone()
    }

    /// Reads a mapped classic pcap file in blocks that are not framed
    /// first: each block's chunks are walked from guessed starts, and
    /// [`Block::settle`] must be called on each block, in order, with the
    /// walks of its chunks ([`Block::walk`]). Other inputs (and pcap files
    /// whose snaplen allows records of more than 1 MiB) are framed as
    /// before, and their blocks settle at once.
    pub fn speculative(mut self) -> Self {
        self.speculative = true;
        self
    }

    /// Sets the block size (tests use small blocks to exercise records cut
    /// across blocks).
    pub fn with_block_bytes(mut self, n: usize) -> Self {
        self.block_bytes = n.max(64);
        self
    }

    pub(super) fn stream_eof(&self) -> bool {
        matches!(self.reader, Reader::Stream { eof: true, .. })
    }

    /// Stream: reads up to `want` more bytes into the carry; false at the
    /// end of the input (or on a read error, which is recorded).
    pub(super) fn read_more(&mut self, want: usize) -> bool {
        let mut carry = std::mem::take(&mut self.carry);
        let more = self.read_into(&mut carry, want);
        self.carry = carry;
        more
    }

    /// Stream: appends up to `want` bytes to `buf`; false when nothing
    /// more comes. A read error ends the input: a gzip stream cut short is
    /// a warning (a capture stopped mid-write), anything else an error.
    fn read_into(&mut self, buf: &mut Vec<u8>, want: usize) -> bool {
        let Reader::Stream { read, eof, .. } = &mut self.reader else {
            return false;
        };
        if *eof {
            return false;
        }
        let at = buf.len();
        buf.resize(at + want, 0);
        match read_full(read, &mut buf[at..]) {
            Ok(n) => {
                buf.truncate(at + n);
                *eof = n < want;
                n > 0
            }
            Err(e) => {
                buf.truncate(at);
                *eof = true;
                let offset = self.offset + self.carry.len() as u64 + at as u64;
                let what = if self.compressed {
                    "gzip data is damaged"
                } else {
                    "read error"
                };
                let message = format!("{what}: {e}; the bytes before it are read");
                self.ledger
                    .lock()
                    .damage
                    .push(if e.kind() == io::ErrorKind::UnexpectedEof {
                        Damage::warning(offset, message)
                    } else {
                        Damage::error(offset, message)
                    });
                false
            }
        }
    }

    /// Reads and frames the next block; `Ok(None)` at the end of the input
    /// or after damage that stops reading (see [`Source::damage`]).
    pub fn next_block(&mut self) -> io::Result<Option<Block>> {
        if self.stopped {
            return Ok(None);
        }
        let block = match &self.reader {
            Reader::Mapped { len, .. } => {
                let len = *len;
                self.next_mapped(len)?
            }
            Reader::Stream { .. } => self.next_read(),
            Reader::Whole(_) => self.next_netmon(),
        };
        Ok(block)
    }

    fn progress(&mut self, upto: u64) -> u64 {
        let now = match &self.reader {
            Reader::Stream { consumed, .. } => consumed.load(Ordering::Relaxed),
            _ => upto,
        };
        let d = now.saturating_sub(self.reported);
        self.reported = self.reported.max(now);
        d
    }

    fn next_mapped(&mut self, file_len: u64) -> io::Result<Option<Block>> {
        if let (true, Framer::Pcap(h)) = (self.speculative, &self.framer) {
            let slack = h.record_header_len + h.max_caplen() as usize;
            if slack <= MAX_SLACK {
                let h = Arc::clone(h);
                return self.next_spec(file_len, &h, slack);
            }
        }
        let mut want = self.block_bytes;
        loop {
            let aligned = self.offset - self.offset % MAP_ALIGN;
            let skip = (self.offset - aligned) as usize;
            let avail = usize::try_from(file_len.saturating_sub(aligned)).unwrap_or(usize::MAX);
            let len = skip.saturating_add(want).min(avail);
            if len <= skip {
                self.stopped = true;
                return Ok(None);
            }
            let eof = len == avail;
            let Reader::Mapped { file, .. } = &self.reader else {
                return Ok(None);
            };
            let m = map_range(file, aligned, len)?;
            let framed = self.frame(&m, skip, aligned);
            if framed.chunks.is_empty() && framed.stop.is_none() && !eof {
                if framed.end > skip {
                    // Only blocks without packets (pcapng interfaces...):
                    // go on after them.
                    let mut t = self.ledger.lock();
                    t.records += framed.records;
                    t.damage.extend(framed.warnings);
                    drop(t);
                    self.offset = aligned + framed.end as u64;
                    want = self.block_bytes;
                } else {
                    // One record larger than the block: map more of it.
                    want = want.saturating_mul(2);
                }
                continue;
            }
            self.offset = aligned + framed.end as u64;
            self.after_frame(&framed, eof, len, aligned);
            if framed.chunks.is_empty() {
                return Ok(None);
            }
            let input_bytes = self.progress(self.offset);
            return Ok(Some(Block {
                storage: Storage::Mapped(m),
                base: aligned,
                len: framed.end,
                chunks: framed.chunks,
                input_bytes,
                first_offset: aligned + skip as u64,
                ledger: None,
            }));
        }
    }

    /// The next speculative block: the records starting in the next
    /// `block_bytes` of the file ([`spec::block`]).
    fn next_spec(
        &mut self,
        file_len: u64,
        h: &Arc<PcapHeader>,
        slack: usize,
    ) -> io::Result<Option<Block>> {
        let lo = self.offset;
        if lo >= file_len || self.ledger.lock().stopped {
            self.stopped = true;
            return Ok(None);
        }
        let Reader::Mapped { file, .. } = &self.reader else {
            return Ok(None);
        };
        let hi = lo.saturating_add(self.block_bytes as u64).min(file_len);
        let range = spec::Range {
            lo,
            hi,
            map_end: hi.saturating_add(slack as u64).min(file_len),
            aligned: lo - lo % MAP_ALIGN,
        };
        let mut block = spec::block(file, h, &range, &self.ledger)?;
        self.offset = hi;
        block.input_bytes = self.progress(hi);
        Ok(Some(block))
    }

    fn next_read(&mut self) -> Option<Block> {
        let mut buf = self
            .pool
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_default();
        buf.clear();
        buf.append(&mut self.carry);
        let block = self.block_bytes.max(64);
        loop {
            // Read in slices small enough to stay in the core's cache.
            while !self.stream_eof() && buf.len() < block {
                let want = READ_SLICE.min(block - buf.len());
                self.read_into(&mut buf, want);
            }
            let eof = self.stream_eof();
            let framed = self.frame(&buf, 0, self.offset);
            if framed.chunks.is_empty() && framed.stop.is_none() && !eof {
                if framed.end > 0 {
                    // Only blocks without packets (pcapng interfaces...):
                    // drop them and go on.
                    let mut t = self.ledger.lock();
                    t.records += framed.records;
                    t.damage.extend(framed.warnings);
                    drop(t);
                    self.offset += framed.end as u64;
                    buf.drain(..framed.end);
                } else {
                    // One record larger than the block: read more of it
                    // (the buffer grows only as far as the input has
                    // bytes).
                    let more = buf.len().max(64);
                    self.read_into(&mut buf, more);
                }
                continue;
            }
            let base = self.offset;
            self.offset += framed.end as u64;
            let filled = buf.len();
            self.after_frame(&framed, eof, filled, base);
            if !self.stopped {
                self.carry.extend_from_slice(&buf[framed.end..]);
            }
            if framed.chunks.is_empty() {
                if let Ok(mut p) = self.pool.lock() {
                    p.push(buf);
                }
                return None;
            }
            let input_bytes = self.progress(self.offset);
            buf.truncate(framed.end);
            return Some(Block {
                storage: Storage::Owned {
                    buf,
                    pool: Arc::clone(&self.pool),
                },
                base,
                len: framed.end,
                chunks: framed.chunks,
                input_bytes,
                first_offset: base,
                ledger: None,
            });
        }
    }

    fn next_netmon(&mut self) -> Option<Block> {
        let (
            Reader::Whole(bytes),
            Framer::NetMon {
                layout,
                next,
                count,
            },
        ) = (&self.reader, &mut self.framer)
        else {
            return None;
        };
        if *next >= *count {
            self.stopped = true;
            return None;
        }
        let mut chunks = Vec::new();
        while *next < *count && chunks.len() < NETMON_BLOCK_CHUNKS {
            let end = (*next + NETMON_CHUNK).min(*count);
            chunks.push(BlockChunk {
                start: *next,
                end,
                format: ChunkFormat::NetMon(Arc::clone(layout)),
                piece: None,
            });
            *next = end;
        }
        let frames: usize = chunks.iter().map(|c| c.end - c.start).sum();
        let share = (bytes.len() as u128 * frames as u128 / (*count).max(1) as u128) as u64;
        self.ledger.lock().records += frames as u64;
        Some(Block {
            storage: Storage::Shared(Arc::clone(bytes)),
            base: 0,
            len: bytes.len(),
            chunks,
            input_bytes: share,
            first_offset: 0,
            ledger: None,
        })
    }

    /// Frames `buf` from `start` with the format's walk.
    fn frame(&mut self, buf: &[u8], start: usize, base: u64) -> Framed {
        match &mut self.framer {
            Framer::Pcap(h) => {
                let f = frame_pcap(h, buf, start, base);
                let fmt = ChunkFormat::Pcap(Arc::clone(h));
                Framed {
                    chunks: f
                        .chunks
                        .into_iter()
                        .map(|(s, e)| BlockChunk {
                            start: s,
                            end: e,
                            format: fmt.clone(),
                            piece: None,
                        })
                        .collect(),
                    end: f.end,
                    records: f.records,
                    stop: f.stop,
                    warnings: Vec::new(),
                }
            }
            Framer::PcapNg(ng) => {
                let f = ng.frame(buf, start, base);
                Framed {
                    chunks: f
                        .chunks
                        .into_iter()
                        .map(|(s, e, st)| BlockChunk {
                            start: s,
                            end: e,
                            format: ChunkFormat::PcapNg(st),
                            piece: None,
                        })
                        .collect(),
                    end: f.end,
                    records: f.records,
                    stop: f.stop,
                    warnings: f.warnings,
                }
            }
            Framer::NetMon { .. } => Framed::default(),
        }
    }

    /// Bookkeeping after framing `filled` bytes whose byte 0 is at `base`.
    fn after_frame(&mut self, f: &Framed, eof: bool, filled: usize, base: u64) {
        let mut t = self.ledger.lock();
        t.records += f.records;
        t.damage.extend(f.warnings.iter().cloned());
        match &f.stop {
            Some(d) => {
                t.damage.push(d.clone());
                self.stopped = true;
            }
            None if eof => {
                if f.end < filled {
                    let what = if self.format == Format::PcapNg {
                        "block"
                    } else {
                        "record"
                    };
                    t.damage.push(Damage::warning(
                        base + f.end as u64,
                        format!(
                            "file ends inside a {what}: {} bytes left over",
                            filled - f.end
                        ),
                    ));
                }
                self.stopped = true;
            }
            None => {}
        }
    }
}

/// The records of a framed buffer.
#[derive(Default)]
struct Framed {
    chunks: Vec<BlockChunk>,
    end: usize,
    records: u64,
    stop: Option<Damage>,
    warnings: Vec<Damage>,
}
