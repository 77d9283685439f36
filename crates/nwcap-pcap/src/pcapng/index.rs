//! The first pass over a mapped pcapng file (see [`crate::capture`]).

use crate::capture::{CHUNK_BYTES, Cutter, Index, Resolution, leftover};
use crate::damage::Damage;
use crate::pcapng::{self, BlockStep, Section};
use crate::prefetch::Prefetcher;
use crate::stats::Stats;

/// Most comments kept per file (a hostile file could hold millions).
pub(crate) const MAX_COMMENTS: usize = 1000;

/// First pass over a pcapng file.
pub(crate) fn first_pass(idx: &mut Index<'_>) {
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
