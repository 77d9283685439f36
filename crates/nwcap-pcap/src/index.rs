//! The sequential first pass of each format (see [`crate::capture`]).

use crate::capture::{CHUNK_BYTES, Chunk, Index, Resolution};
use crate::damage::Damage;
use crate::netmon::NetmonFile;
use crate::pcap::{self, PcapHeader};
use crate::pcapng::{self, BlockStep, Interface, Section};
use crate::prefetch::Prefetcher;
use crate::stats::Stats;

/// Cuts the record sequence into chunks.
struct Cutter {
    start: usize,
    first_record: u64,
    records: u64,
    section: u32,
}

impl Cutter {
    fn new(start: usize, section: u32) -> Cutter {
        Cutter {
            start,
            first_record: 0,
            records: 0,
            section,
        }
    }

    /// Close the current chunk at `end` (if it holds records) and start a
    /// new one there.
    fn cut(&mut self, chunks: &mut Vec<Chunk>, end: usize, section: u32) {
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

fn leftover(pos: usize, n: usize) -> Damage {
    Damage::warning(
        pos as u64,
        format!("file ends inside a record: {n} bytes left over"),
    )
}

/// First pass over a classic pcap file.
pub(crate) fn pcap(idx: &mut Index<'_>, h: &PcapHeader) {
    let data = idx.cap.data();
    idx.endian = Some(h.endian);
    idx.resolution = if h.nanos {
        Resolution::Nano
    } else {
        Resolution::Micro
    };
    idx.interfaces.push(Interface {
        linktype: h.linktype,
        snaplen: h.snaplen,
        ticks_per_sec: if h.nanos { 1_000_000_000 } else { 1_000_000 },
        ts_offset: 0,
        name: None,
        description: None,
        section: 0,
    });
    idx.sections.push(Section {
        endian: h.endian,
        if_base: 0,
        if_count: 1,
        offset: 0,
    });
    let mut stats = Stats::new();
    let mut cut = Cutter::new(pcap::HEADER_LEN, 0);
    let mut pos = pcap::HEADER_LEN;
    let mut ahead = Prefetcher::default();
    loop {
        ahead.run(data, pos);
        match h.step(data, pos) {
            pcap::Step::Record(r, next) => {
                stats.add(&r);
                cut.records += 1;
                pos = next;
                if pos - cut.start >= CHUNK_BYTES {
                    cut.cut(&mut idx.chunks, pos, 0);
                }
            }
            pcap::Step::End => break,
            pcap::Step::Truncated(n) => {
                idx.damage.push(leftover(pos, n));
                break;
            }
            pcap::Step::Bad(d) => {
                idx.damage.push(d);
                break;
            }
        }
    }
    cut.cut(&mut idx.chunks, pos, 0);
    idx.stats = stats;
}

/// Most comments kept per file (a hostile file could hold millions).
const MAX_COMMENTS: usize = 1000;

/// First pass over a pcapng file.
pub(crate) fn pcapng(idx: &mut Index<'_>) {
    let data = idx.cap.data();
    let mut stats = Stats::new();
    let mut cut = Cutter::new(0, 0);
    let mut pos = 0usize;
    let mut section: Option<Section> = None;
    let mut ahead = Prefetcher::default();
    loop {
        if pos >= data.len() {
            break;
        }
        ahead.run(data, pos);
        let is_shb = idx
            .endian
            .or(Some(crate::bytes::Endian::Little))
            .and_then(|e| e.u32(data, pos))
            == Some(pcapng::SHB);
        let endian = if is_shb {
            let Some(e) = pcapng::shb_endian(data, pos) else {
                if data.len() - pos < 12 {
                    idx.damage.push(leftover(pos, data.len() - pos));
                } else {
                    idx.damage.push(Damage::error(
                        pos as u64,
                        "section header block without a valid byte-order magic",
                    ));
                }
                break;
            };
            e
        } else {
            match section {
                Some(s) => s.endian,
                None => break,
            }
        };
        let b = match pcapng::block_at(data, pos, endian) {
            BlockStep::Block(b) => b,
            BlockStep::End => break,
            BlockStep::Truncated(n) => {
                idx.damage.push(Damage::warning(
                    pos as u64,
                    format!("file ends inside a block: {n} bytes left over"),
                ));
                break;
            }
            BlockStep::Bad(d) => {
                idx.damage.push(d);
                break;
            }
        };
        if !b.trailer_ok {
            idx.damage.push(Damage::warning(
                pos as u64,
                format!(
                    "block of type 0x{:x}: trailing length differs from the leading length {}; trusting the leading one",
                    b.kind, b.len
                ),
            ));
        }
        match b.kind {
            pcapng::SHB => {
                if let Some(s) = section.as_mut() {
                    s.if_count = idx.interfaces.len() as u32 - s.if_base;
                    idx.sections.push(*s);
                }
                let number = idx.sections.len() as u32;
                cut.cut(&mut idx.chunks, pos, number);
                let major = endian.u16(b.body, 4).unwrap_or(0);
                let minor = endian.u16(b.body, 6).unwrap_or(0);
                if major != 1 {
                    idx.damage.push(Damage::warning(
                        pos as u64,
                        format!(
                            "pcapng section version {major}.{minor} (expected 1.0); reading anyway"
                        ),
                    ));
                }
                if idx.endian.is_none() {
                    idx.endian = Some(endian);
                }
                for c in pcapng::comments(b.body, 16, endian) {
                    if idx.comments.len() < MAX_COMMENTS {
                        idx.comments.push(c);
                    }
                }
                section = Some(Section {
                    endian,
                    if_base: idx.interfaces.len() as u32,
                    if_count: 0,
                    offset: pos as u64,
                });
            }
            pcapng::IDB => {
                let number = idx.sections.len() as u32;
                let iface = pcapng::interface(b.body, endian, number);
                if idx.interfaces.is_empty() {
                    idx.resolution = Resolution::from_ticks(iface.ticks_per_sec);
                }
                idx.interfaces.push(iface);
                if let Some(s) = section.as_mut() {
                    s.if_count += 1;
                }
            }
            _ => {
                let Some(s) = section else { break };
                let base = s.if_base as usize;
                let ifs = &idx.interfaces[base..];
                match pcapng::packet(&b, pos, endian, ifs, s.if_base) {
                    Ok(Some(r)) => {
                        stats.add(&r);
                        cut.records += 1;
                        if b.kind == pcapng::EPB && idx.comments.len() < MAX_COMMENTS {
                            let opts = 20 + r.data.len().div_ceil(4) * 4;
                            if opts < b.body.len() {
                                for c in pcapng::comments(b.body, opts, endian) {
                                    idx.comments.push(c);
                                }
                            }
                        }
                    }
                    Ok(None) => {}
                    Err(d) => {
                        idx.damage.push(d);
                        break;
                    }
                }
            }
        }
        pos += b.len;
        if pos - cut.start >= CHUNK_BYTES {
            let number = idx.sections.len() as u32;
            cut.cut(&mut idx.chunks, pos, number);
        }
    }
    if let Some(mut s) = section {
        s.if_count = idx.interfaces.len() as u32 - s.if_base;
        idx.sections.push(s);
    }
    let number = idx.sections.len().saturating_sub(1) as u32;
    cut.cut(&mut idx.chunks, pos, number);
    idx.stats = stats;
}

/// Frames per chunk of a NetMon file.
const NETMON_CHUNK_FRAMES: usize = 2048;

/// First pass over a NetMon file: the frame table gives random access, so
/// chunks are ranges of frame indexes. A damaged frame is reported and
/// skipped; the frames after it are still read.
pub(crate) fn netmon<'a>(idx: &mut Index<'a>) {
    let data: &'a [u8] = idx.cap.data();
    let nm = match NetmonFile::parse(data) {
        Ok(nm) => nm,
        Err(e) => {
            idx.damage.push(Damage::error(e.offset(), e.to_string()));
            return;
        }
    };
    idx.netmon_version = Some(nm.version());
    idx.resolution = Resolution::from_ticks(nm.ticks_per_second());
    for lt in nm.interfaces() {
        idx.interfaces.push(Interface {
            linktype: *lt,
            snaplen: 0,
            ticks_per_sec: nm.ticks_per_second(),
            ts_offset: 0,
            name: None,
            description: None,
            section: 0,
        });
    }
    idx.sections.push(Section {
        endian: crate::bytes::Endian::Little,
        if_base: 0,
        if_count: idx.interfaces.len() as u32,
        offset: 0,
    });
    idx.damage
        .extend(nm.damage().iter().map(|d| Damage::from(*d)));
    for c in nm.comments().iter().take(MAX_COMMENTS) {
        idx.comments.push(c.title.clone());
    }
    let mut stats = Stats::new();
    let count = nm.frame_count();
    let mut start = 0;
    let mut first_record = 0u64;
    while start < count {
        let end = (start + NETMON_CHUNK_FRAMES).min(count);
        let mut records = 0;
        for i in start..end {
            match nm.frame(i) {
                Ok(r) => {
                    stats.add(&r);
                    records += 1;
                }
                Err(d) => idx.damage.push(Damage::from(d)),
            }
        }
        idx.chunks.push(Chunk {
            start,
            end,
            section: 0,
            first_record,
            records,
        });
        first_record += records;
        start = end;
    }
    idx.stats = stats;
    idx.netmon = Some(nm);
}
