//! The first pass over a mapped classic pcap file (see [`crate::capture`]).

use crate::capture::{CHUNK_BYTES, Cutter, Index, Resolution, leftover};
use crate::pcap::{self, PcapHeader};
use crate::pcapng::{Interface, Section};
use crate::prefetch::Prefetcher;
use crate::stats::Stats;

/// First pass over a classic pcap file.
pub(crate) fn first_pass(idx: &mut Index<'_>, h: &PcapHeader) {
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
