//! A block of input: whole records of one source, in a map of part of the
//! file, in a buffer read from a stream, or in a whole file held in memory
//! (NetMon), cut into chunks that workers read in parallel.

use std::sync::{Arc, Mutex};

use memmap2::Mmap;

use crate::netmon::{NetmonFile, NetmonLayout};
use crate::pcap::PcapHeader;
use crate::pcapng::frame::SectionState;
use crate::record::Record;
use crate::source::Bytes;
use crate::source::spec::{self, Ledger, Piece, Stop, Walked};

/// Buffers of a stream, recycled from block to block.
pub(crate) type Pool = Arc<Mutex<Vec<Vec<u8>>>>;

/// What a chunk's records are read with: the format is chosen once per
/// chunk, and each format runs its own loop.
#[derive(Debug, Clone)]
pub(crate) enum ChunkFormat {
    Pcap(Arc<PcapHeader>),
    PcapNg(Arc<SectionState>),
    /// `start..end` are frame indexes of the file.
    NetMon(Arc<NetmonLayout>),
}

/// One chunk: consecutive records handed to one worker.
#[derive(Debug, Clone)]
pub(crate) struct BlockChunk {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) format: ChunkFormat,
    /// A speculative chunk: the records starting before `piece.hi`,
    /// walked from a guess (`start..end` unused).
    pub(crate) piece: Option<Piece>,
}

/// Where a block's bytes live.
pub(crate) enum Storage {
    /// A buffer read from a stream, handed back to its pool on drop.
    Owned { buf: Vec<u8>, pool: Pool },
    /// A map of part of a regular file, unmapped on drop.
    Mapped(Mmap),
    /// The whole input (NetMon files are random access).
    Shared(Arc<Bytes>),
}

/// Consecutive whole records of one source.
pub struct Block {
    pub(crate) storage: Storage,
    /// File offset of the storage's first byte.
    pub(crate) base: u64,
    /// Bytes of the storage holding whole records (or all, for NetMon).
    pub(crate) len: usize,
    pub(crate) chunks: Vec<BlockChunk>,
    /// Input bytes this block stands for (progress).
    pub(crate) input_bytes: u64,
    /// File offset of the block's first record (speculative: of its
    /// range).
    pub(crate) first_offset: u64,
    /// A speculative block's source ledger ([`Block::settle`]).
    pub(crate) ledger: Option<Ledger>,
}

impl Block {
    /// The bytes every record (and every payload) of the block lies in.
    pub fn bytes(&self) -> &[u8] {
        let all: &[u8] = match &self.storage {
            Storage::Owned { buf, .. } => buf,
            Storage::Mapped(m) => m,
            Storage::Shared(b) => b,
        };
        all.get(..self.len).unwrap_or(all)
    }

    /// Number of chunks.
    pub fn chunks(&self) -> usize {
        self.chunks.len()
    }

    /// Input bytes the block stands for (of the file as stored: compressed
    /// bytes for a gzip file), for progress.
    pub fn input_bytes(&self) -> u64 {
        self.input_bytes
    }

    /// File offset of the block's first record.
    pub fn offset(&self) -> u64 {
        self.first_offset
    }

    /// Calls `f` with each record of chunk `chunk`, in file order; how
    /// the walk went. The record offsets are file offsets (decompressed,
    /// for gzip). A speculative chunk is walked from `from` if given, else
    /// from its guessed start, and its records count only once
    /// [`Block::settle`] accepts the walk; a framed chunk's walk is always
    /// accepted (`from` is not used).
    pub fn walk<'s>(
        &'s self,
        chunk: usize,
        from: Option<usize>,
        f: &mut dyn FnMut(&Record<'s>),
    ) -> Walked {
        let Some(c) = self.chunks.get(chunk) else {
            return Walked {
                start: None,
                end: 0,
                records: 0,
                stop: Stop::Passed,
            };
        };
        if let (Some(p), ChunkFormat::Pcap(h)) = (&c.piece, &c.format) {
            return spec::walk(h, self.bytes(), from.or(p.guess), p.hi, self.base, f);
        }
        let mut records = 0;
        self.for_each(c, &mut |r| {
            records += 1;
            f(r);
        });
        Walked {
            start: Some(c.start),
            end: c.end,
            records,
            stop: Stop::Passed,
        }
    }

    fn for_each<'s>(&'s self, c: &BlockChunk, f: &mut dyn FnMut(&Record<'s>)) {
        let data: &'s [u8] = self.bytes();
        let base = self.base;
        match &c.format {
            ChunkFormat::Pcap(h) => {
                for mut rec in crate::pcap::Records::new((**h).clone(), data, c.start, c.end) {
                    rec.offset += base;
                    f(&rec);
                }
            }
            ChunkFormat::PcapNg(s) => {
                let records = crate::pcapng::Records::new(
                    data,
                    c.start,
                    c.end,
                    s.endian,
                    Arc::clone(&s.interfaces),
                    s.if_base,
                );
                for mut rec in records {
                    rec.offset += base;
                    f(&rec);
                }
            }
            ChunkFormat::NetMon(layout) => {
                let nm = NetmonFile::with_layout(data, layout);
                for rec in nm.records(c.start, c.end) {
                    f(&rec);
                }
            }
        }
    }

    /// The records of every chunk, in order, walked and settled
    /// (sequential; tests and tools). Blocks of a source must be read in
    /// order.
    pub fn records(&self) -> Vec<Record<'_>> {
        let mut per: Vec<Vec<Record<'_>>> = Vec::new();
        let mut walks = Vec::new();
        for c in 0..self.chunks() {
            let mut out = Vec::new();
            walks.push(self.walk(c, None, &mut |r| out.push(*r)));
            per.push(out);
        }
        let kept = self.settle(&mut walks, &mut |c, from| {
            let mut out = Vec::new();
            let w = self.walk(c, Some(from), &mut |r| out.push(*r));
            if let Some(p) = per.get_mut(c) {
                *p = out;
            }
            w
        });
        per.truncate(kept);
        per.into_iter().flatten().collect()
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        if let Storage::Owned { buf, pool } = &mut self.storage
            && let Ok(mut p) = pool.lock()
            && p.len() < 4
        {
            p.push(std::mem::take(buf));
        }
    }
}
