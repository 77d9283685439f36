//! Speculative blocks: a mapped classic pcap file read without a framing
//! pass.
//!
//! Framing a block before decoding it walks every record header twice:
//! once to find the chunks' boundaries, once to decode. Mapped classic
//! pcap skips the first walk. A block is a fixed byte range of the file,
//! cut into pieces of [`CHUNK_BYTES`]; a piece's records are those that
//! *start* in it, and its walk starts at a guess: the first offset where
//! a chain of plausible record headers begins (the resync of
//! [`crate::pcap::frame`]), or the known start of the file. Each piece is
//! decoded from its guess on its own worker, the walk going on past the
//! piece's end to the end of the record that straddles it (the block's map
//! has room for the largest record past its range).
//!
//! [`Block::settle`] then chains the walks in file order, from the end of
//! the previous block's last verified record ([`Ledger`]): a walk counts
//! only if it started exactly where the previous one ended; any other is
//! walked (and decoded) again from there. The records kept are therefore
//! exactly the serial walk's, whatever the data and the thread count; the
//! guesses only decide how much work is done twice. Damage that stops
//! reading, a record cut by the end of the file and the record count are
//! written to the source's [`Ledger`] as blocks settle, in file order.

use std::fs::File;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::capture::CHUNK_BYTES;
use crate::damage::Damage;
use crate::pcap::{PcapHeader, Step, frame::resync};
use crate::record::Record;

use super::Block;
use super::block::{BlockChunk, ChunkFormat, Storage};
use super::map_range;

/// Largest record a speculative block has room for past its range; files
/// whose snaplen allows larger records are framed first, as streams are.
pub(crate) const MAX_SLACK: usize = (1 << 20) + 24;

/// What a source found, written as its blocks are framed (or settle):
/// read it once every block of the source has been decoded.
#[derive(Debug, Clone, Default)]
pub struct Ledger(Arc<Mutex<LedgerState>>);

#[derive(Debug, Default)]
pub(crate) struct LedgerState {
    pub(crate) records: u64,
    pub(crate) damage: Vec<Damage>,
    /// Damage, or a record cut by the end of the file, stopped the records (speculative
    /// blocks past it hold none).
    pub(crate) stopped: bool,
    /// File offset of the next record after the last settled block.
    pub(crate) verified: u64,
    /// Speculative chunks walked again (their guess was wrong).
    pub(crate) rewalks: u64,
}

impl Ledger {
    pub(crate) fn lock(&self) -> MutexGuard<'_, LedgerState> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records read.
    pub fn records(&self) -> u64 {
        self.lock().records
    }

    /// Problems found, with file offsets, in file order.
    pub fn damage(&self) -> Vec<Damage> {
        self.lock().damage.clone()
    }

    /// Speculative chunks walked a second time because their guessed
    /// start was wrong (work done twice; the records are the same).
    pub fn rewalks(&self) -> u64 {
        self.lock().rewalks
    }
}

/// A piece of a speculative block: the records starting before `hi` (a
/// block offset) and at or after the previous piece's `hi`, walked from
/// `guess`.
#[derive(Debug, Clone)]
pub(crate) struct Piece {
    pub(crate) hi: usize,
    pub(crate) guess: Option<usize>,
}

/// How a chunk's walk ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// At the first record start past the chunk, or at the end of the
    /// data (a framed chunk always ends so).
    Passed,
    /// The data ends inside the record at `end`, `rest` bytes left over.
    Truncated(usize),
    /// An impossible record at `end` (offset in the file).
    Bad(Damage),
}

/// One chunk's walk: where it started and ended (block offsets), the
/// records it handed over, and why it stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Walked {
    /// `None`: a piece with no plausible start (nothing walked).
    pub start: Option<usize>,
    /// Where the walk stopped.
    pub end: usize,
    /// Records handed over.
    pub records: u64,
    /// Why it stopped.
    pub stop: Stop,
}

/// Where a speculative block lies in its file.
pub(crate) struct Range {
    /// The block's records start in `lo..hi` (file offsets).
    pub(crate) lo: u64,
    pub(crate) hi: u64,
    /// End of the map: room for the largest record starting before `hi`.
    pub(crate) map_end: u64,
    /// Start of the map (`lo` rounded down to the map alignment).
    pub(crate) aligned: u64,
}

/// Maps a speculative block of `file` and guesses its chunks' starts;
/// its `input_bytes` are left for the caller.
pub(crate) fn block(
    file: &File,
    h: &Arc<PcapHeader>,
    r: &Range,
    ledger: &Ledger,
) -> io::Result<Block> {
    let len = usize::try_from(r.map_end - r.aligned).unwrap_or(usize::MAX);
    let m = map_range(file, r.aligned, len)?;
    let (a, b) = ((r.lo - r.aligned) as usize, (r.hi - r.aligned) as usize);
    // The file's first record is known; any other block starts at a guess.
    let first = (r.lo == crate::pcap::HEADER_LEN as u64).then_some(a);
    let fmt = ChunkFormat::Pcap(Arc::clone(h));
    let chunks = pieces(h, &m, a, b, first)
        .into_iter()
        .map(|p| BlockChunk {
            start: p.guess.unwrap_or(p.hi),
            end: p.hi,
            format: fmt.clone(),
            piece: Some(p),
        })
        .collect();
    Ok(Block {
        storage: Storage::Mapped(m),
        base: r.aligned,
        len,
        chunks,
        input_bytes: 0,
        first_offset: r.lo,
        ledger: Some(ledger.clone()),
    })
}

/// The speculative pieces of a block whose range is `lo..hi` of `buf`
/// (block offsets); `first` is a known record start (the file's first).
fn pieces(h: &PcapHeader, buf: &[u8], lo: usize, hi: usize, first: Option<usize>) -> Vec<Piece> {
    use rayon::prelude::*;
    let n = hi.saturating_sub(lo).div_ceil(CHUNK_BYTES).max(1);
    (0..n)
        .into_par_iter()
        .map(|k| {
            let a = lo + k * CHUNK_BYTES;
            let b = (a + CHUNK_BYTES).min(hi);
            let guess = match first {
                Some(f) if k == 0 => Some(f),
                _ => resync(h, buf, a, b),
            };
            Piece { hi: b, guess }
        })
        .collect()
}

/// Walks the records of `buf` from `from` while they start before `hi`.
pub(crate) fn walk<'s>(
    h: &PcapHeader,
    buf: &'s [u8],
    from: Option<usize>,
    hi: usize,
    base: u64,
    f: &mut dyn FnMut(&Record<'s>),
) -> Walked {
    let Some(from) = from else {
        return Walked {
            start: None,
            end: 0,
            records: 0,
            stop: Stop::Passed,
        };
    };
    let mut w = Walked {
        start: Some(from),
        end: from,
        records: 0,
        stop: Stop::Passed,
    };
    let mut ahead = crate::prefetch::Prefetcher::at(from);
    while w.end < hi {
        ahead.run(buf, w.end);
        match h.step(buf, w.end) {
            Step::Record(mut rec, next) => {
                rec.offset += base;
                f(&rec);
                w.records += 1;
                w.end = next;
            }
            Step::End => break,
            Step::Truncated(rest) => {
                w.stop = Stop::Truncated(rest);
                break;
            }
            Step::Bad(d) => {
                w.stop = Stop::Bad(Damage {
                    offset: d.offset + base,
                    ..d
                });
                break;
            }
        }
    }
    w
}

impl Block {
    /// Chains the walks of this block's chunks (in order, one per chunk)
    /// from where the previous block of the source ended, walking again
    /// with `redo(chunk, from)` each chunk whose walk did not start there
    /// (its earlier output must be dropped); the number of chunks whose
    /// records count (the rest come after damage or the end of the file,
    /// and must be dropped too). The source's [`Ledger`] is updated. A
    /// framed block's chunks all count.
    pub fn settle(
        &self,
        walks: &mut [Walked],
        redo: &mut dyn FnMut(usize, usize) -> Walked,
    ) -> usize {
        let Some(ledger) = &self.ledger else {
            return walks.len();
        };
        // The lock is not held while chunks are walked again (the source
        // reads `stopped` as it maps the next block); blocks of one source
        // settle one at a time, in order.
        let (stopped, verified) = {
            let t = ledger.lock();
            (t.stopped, t.verified)
        };
        if stopped {
            return 0;
        }
        let base = self.base;
        let mut pos = usize::try_from(verified.saturating_sub(base)).unwrap_or(usize::MAX);
        let (mut records, mut rewalks) = (0, 0);
        let mut stop = None;
        let mut kept = walks.len();
        for (k, w) in walks.iter_mut().enumerate() {
            if w.start != Some(pos) {
                *w = redo(k, pos);
                rewalks += 1;
            }
            records += w.records;
            match &w.stop {
                Stop::Passed => pos = w.end.max(pos),
                Stop::Truncated(rest) => {
                    stop = Some(Damage::warning(
                        base + w.end as u64,
                        format!("file ends inside a record: {rest} bytes left over"),
                    ));
                    kept = k + 1;
                    break;
                }
                Stop::Bad(d) => {
                    stop = Some(d.clone());
                    kept = k + 1;
                    break;
                }
            }
        }
        let mut t = ledger.lock();
        t.records += records;
        t.rewalks += rewalks;
        t.verified = base + pos as u64;
        t.stopped = stop.is_some();
        t.damage.extend(stop);
        kept
    }
}
