//! Finding the record boundaries of a buffer of classic pcap records, on
//! every core.
//!
//! A buffer (a block of the file) is cut into pieces of [`CHUNK_BYTES`];
//! a piece's chunk is the records that *start* in it. Each piece is walked
//! on its own: the first from the known boundary, the others from the first
//! offset where a chain of plausible record headers begins (a resync, as
//! tools that recover damaged captures do). The pieces are then chained in
//! order: a piece is accepted only when its walk started exactly where the
//! previous piece's walk ended; at the first mismatch the rest of the
//! buffer is walked serially. The result is therefore always the serial
//! walk's, whatever the data and whatever the number of threads; the
//! resync only decides how much of it runs in parallel.

use rayon::prelude::*;

use super::{PcapHeader, Step};
use crate::capture::CHUNK_BYTES;
use crate::damage::Damage;
use crate::prefetch::Prefetcher;

/// Records whose headers must chain for a resync candidate to be taken.
const CHAIN: usize = 4;
/// Bytes scanned for a resync candidate before giving up on a piece.
const SCAN: usize = 256 << 10;

/// The whole records of a buffer.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Framed {
    /// `(start, end)` of each chunk (records starting in one piece).
    pub chunks: Vec<(usize, usize)>,
    /// End of the last whole record (where the next buffer starts).
    pub end: usize,
    /// Records framed.
    pub records: u64,
    /// Damage that stops reading (offset in the file).
    pub stop: Option<Damage>,
}

/// One piece walked on its own.
struct Piece {
    /// Where the walk started (`None`: no resync candidate found).
    start: Option<usize>,
    /// First record start at or past the piece's end, or where the walk
    /// stopped (end of data, damage).
    end: usize,
    records: u64,
    /// The walk ran into the end of the buffer (no record past the piece).
    hit_end: bool,
    stop: Option<Damage>,
}

/// Frames `buf` (whose byte 0 is at file offset `base`) from the record
/// boundary `start`.
pub fn frame(h: &PcapHeader, buf: &[u8], start: usize, base: u64) -> Framed {
    let span = buf.len().saturating_sub(start);
    let pieces = span.div_ceil(CHUNK_BYTES).max(1);
    if pieces == 1 || rayon::current_num_threads() == 1 {
        return serial(h, buf, start, base);
    }
    let bounds = |k: usize| (start + k * CHUNK_BYTES, start + (k + 1) * CHUNK_BYTES);
    let walked: Vec<Piece> = (0..pieces)
        .into_par_iter()
        .map(|k| {
            let (lo, hi) = bounds(k);
            let from = if k == 0 {
                Some(lo)
            } else {
                resync(h, buf, lo, hi)
            };
            match from {
                Some(s) => walk(h, buf, s, hi, base),
                None => Piece {
                    start: None,
                    end: lo,
                    records: 0,
                    hit_end: false,
                    stop: None,
                },
            }
        })
        .collect();
    let mut out = Framed {
        end: start,
        ..Framed::default()
    };
    for p in walked {
        if p.start != Some(out.end) {
            // The chain broke: the serial walk decides the rest.
            let rest = serial(h, buf, out.end, base);
            out.chunks.extend(rest.chunks);
            out.records += rest.records;
            out.end = rest.end;
            out.stop = rest.stop;
            return out;
        }
        if p.records > 0 {
            out.chunks.push((out.end, p.end));
        }
        out.records += p.records;
        out.end = p.end;
        if p.stop.is_some() || p.hit_end {
            out.stop = p.stop;
            return out;
        }
    }
    out
}

/// The serial walk, cutting chunks at the same piece boundaries.
pub fn serial(h: &PcapHeader, buf: &[u8], start: usize, base: u64) -> Framed {
    let mut out = Framed {
        end: start,
        ..Framed::default()
    };
    let mut lo = start;
    loop {
        let hi = lo.saturating_add(CHUNK_BYTES);
        let p = walk(h, buf, out.end, hi, base);
        if p.records > 0 {
            out.chunks.push((out.end, p.end));
        }
        out.records += p.records;
        out.end = p.end;
        if p.stop.is_some() || p.hit_end {
            out.stop = p.stop;
            return out;
        }
        lo = hi;
    }
}

/// Walks records from `from` while they start before `until`.
fn walk(h: &PcapHeader, buf: &[u8], from: usize, until: usize, base: u64) -> Piece {
    let mut p = Piece {
        start: Some(from),
        end: from,
        records: 0,
        hit_end: false,
        stop: None,
    };
    let mut ahead = Prefetcher::at(from);
    while p.end < until {
        ahead.run(buf, p.end);
        match h.step(buf, p.end) {
            Step::Record(_, next) => {
                p.records += 1;
                p.end = next;
            }
            Step::End | Step::Truncated(_) => {
                p.hit_end = true;
                return p;
            }
            Step::Bad(d) => {
                p.stop = Some(Damage {
                    offset: d.offset + base,
                    ..d
                });
                return p;
            }
        }
    }
    if p.end >= buf.len() {
        p.hit_end = true;
    }
    p
}

/// The first offset in `lo..hi` (within [`SCAN`] bytes) where [`CHAIN`]
/// record headers chain, or the data ends after a chained record.
pub(crate) fn resync(h: &PcapHeader, buf: &[u8], lo: usize, hi: usize) -> Option<usize> {
    let stop = hi.min(lo.saturating_add(SCAN)).min(buf.len());
    (lo..stop).find(|&c| chains(h, buf, c))
}

/// True when [`CHAIN`] record headers chain from `pos`, or the data ends
/// after a chained record: what [`PcapHeader::step`] would accept, plus the
/// original length being at least the captured length. No message is
/// built for the many offsets that fail.
fn chains(h: &PcapHeader, buf: &[u8], mut pos: usize) -> bool {
    let max = h.max_caplen();
    for i in 0..CHAIN {
        if pos >= buf.len() {
            return i > 0;
        }
        let Some((_, _, caplen, origlen)) = h.header_at(buf, pos) else {
            return i > 0;
        };
        if caplen > max {
            return false;
        }
        let next = pos + h.record_header_len + caplen as usize;
        if next > buf.len() {
            return i > 0;
        }
        if origlen < caplen {
            return false;
        }
        pos = next;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcap::parse_header;

    fn file(records: usize, seed: u32) -> Vec<u8> {
        nwcap_testsupport::packets::framing_pcap(records, seed, false)
    }

    #[test]
    fn parallel_equals_serial_at_every_start_and_cut() {
        let f = file(4000, 7);
        let mut warnings = Vec::new();
        let h = parse_header(&f, &mut warnings).unwrap_or_else(|d| panic!("{d}"));
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        for cut in [f.len(), f.len() - 1, f.len() - 700, 3 << 20, (1 << 20) + 5] {
            let buf = &f[..cut];
            let s = serial(&h, buf, 24, 0);
            let p = pool.install(|| frame(&h, buf, 24, 0));
            assert_eq!(p, s, "cut {cut}");
            assert!(s.chunks.len() > 1 || cut < 2 << 20);
            // Chunks tile the records: each starts where the last ended.
            let mut at = 24;
            for &(a, b) in &s.chunks {
                assert_eq!(a, at);
                at = b;
            }
            assert_eq!(at, s.end);
        }
    }

    #[test]
    fn damage_stops_both_walks_at_the_same_record() {
        let mut f = file(3000, 3);
        // Break a record header in the middle: an impossible caplen.
        let s0 = serial(
            &parse_header(&f, &mut Vec::new()).unwrap_or_else(|d| panic!("{d}")),
            &f,
            24,
            0,
        );
        let target = s0.chunks[2].0 + 10;
        let h = parse_header(&f, &mut Vec::new()).unwrap_or_else(|d| panic!("{d}"));
        let mut pos = 24;
        while pos < target {
            let Step::Record(_, next) = h.step(&f, pos) else {
                panic!()
            };
            pos = next;
        }
        f[pos + 8..pos + 12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let s = serial(&h, &f, 24, 100);
        let p = pool.install(|| frame(&h, &f, 24, 100));
        assert_eq!(p, s);
        assert_eq!(s.end, pos);
        assert_eq!(s.stop.map(|d| d.offset), Some(pos as u64 + 100));
    }
}
