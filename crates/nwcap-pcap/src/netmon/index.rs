//! The first pass over a NetMon file (see [`crate::capture`]).

use crate::capture::{Chunk, Index, Resolution};
use crate::damage::Damage;
use crate::netmon::NetmonFile;
use crate::pcapng::index::MAX_COMMENTS;
use crate::pcapng::{Interface, Section};
use crate::stats::Stats;

/// Frames per chunk of a NetMon file.
const NETMON_CHUNK_FRAMES: usize = 2048;

/// First pass over a NetMon file: the frame table gives random access, so
/// chunks are ranges of frame indexes. A damaged frame is reported and
/// skipped; the frames after it are still read.
pub(crate) fn first_pass<'a>(idx: &mut Index<'a>) {
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
