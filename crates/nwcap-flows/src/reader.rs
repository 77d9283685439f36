//! Glue to the capture reader: chunks of an indexed capture as
//! [`PacketChunk`]s, decoded inside the workers by the decoder the caller
//! passes (`nwcap_pcap::decode::decode`; a parameter so this crate does not
//! pin the decoder's module path).
//!
//! Several files of one capture: index each file, then chain their chunks
//! with [`capture_chunks`] in the order the caller chose (by first
//! timestamp); every chunk carries its file's index.

use nwcap_pcap::capture::{Chunk, Index};
use nwcap_pcap::{LinkType, Packet, Record};

use crate::parallel::PacketChunk;
use crate::pipeline::Window;

/// Keeps a packet (true) or drops it before the flow engine sees it.
pub type PacketFilter = dyn Fn(&Record<'_>, &Packet<'_>) -> bool + Sync;

/// A packet decoder (`nwcap_pcap::decode::decode`).
pub type DecodeFn = fn(LinkType, &[u8]) -> Packet<'_>;

/// One reader chunk of one indexed file.
pub struct CaptureChunk<'i, 'a> {
    /// File index (caller's order).
    pub file: u32,
    /// The file's index.
    pub index: &'i Index<'a>,
    /// The chunk.
    pub chunk: Chunk,
    /// Optional packet filter.
    pub filter: Option<&'i PacketFilter>,
    /// The decoder.
    pub decode: DecodeFn,
}

impl PacketChunk for CaptureChunk<'_, '_> {
    fn file(&self) -> u32 {
        self.file
    }

    fn for_each<'s>(&'s self, f: &mut dyn FnMut(&Record<'s>, &Packet<'s>)) {
        for rec in self.index.records(&self.chunk) {
            let pkt = (self.decode)(rec.linktype, rec.data);
            if self.filter.is_none_or(|keep| keep(&rec, &pkt)) {
                f(&rec, &pkt);
            }
        }
    }
}

/// All chunks of `files` (already in capture order), file index = position.
pub fn capture_chunks<'i, 'a>(
    files: &'i [Index<'a>],
    decode: DecodeFn,
    filter: Option<&'i PacketFilter>,
) -> impl Iterator<Item = CaptureChunk<'i, 'a>> + Send + 'i
where
    'a: 'i,
{
    files.iter().enumerate().flat_map(move |(i, index)| {
        index.chunks.iter().map(move |c| CaptureChunk {
            file: u32::try_from(i).unwrap_or(u32::MAX),
            index,
            chunk: *c,
            filter,
            decode,
        })
    })
}

/// Chunks of one mapped, indexed file grouped into a [`Window`] (the
/// pipeline's input for formats that are not streamed: pcapng, NetMon,
/// gzip).
pub struct IndexWindow<'i, 'a> {
    /// File index (caller's order).
    pub file: u32,
    /// The file's index.
    pub index: &'i Index<'a>,
    /// The chunks of this window.
    pub chunks: &'i [Chunk],
    /// The decoder.
    pub decode: DecodeFn,
}

impl Window for IndexWindow<'_, '_> {
    fn bytes(&self) -> &[u8] {
        self.index.capture().data()
    }

    fn file(&self) -> u32 {
        self.file
    }

    fn chunks(&self) -> usize {
        self.chunks.len()
    }

    fn input_bytes(&self) -> u64 {
        let total: u64 = self.index.chunks.iter().map(|c| c.records).sum();
        let mine: u64 = self.chunks.iter().map(|c| c.records).sum();
        let len = self.index.capture().data().len() as u64;
        if total == 0 {
            0
        } else {
            // Records stand in for bytes (NetMon chunks count frames).
            (u128::from(len) * u128::from(mine) / u128::from(total)) as u64
        }
    }

    fn for_each(&self, chunk: usize, f: &mut dyn FnMut(&Record<'_>, &Packet<'_>)) {
        let Some(c) = self.chunks.get(chunk) else {
            return;
        };
        for rec in self.index.records(c) {
            let pkt = (self.decode)(rec.linktype, rec.data);
            f(&rec, &pkt);
        }
    }
}

/// Windows of `per_window` chunks over `files` (already in capture order;
/// file index = position).
pub fn index_windows<'i, 'a>(
    files: &'i [Index<'a>],
    decode: DecodeFn,
    per_window: usize,
) -> impl Iterator<Item = IndexWindow<'i, 'a>> + Send + 'i
where
    'a: 'i,
{
    files.iter().enumerate().flat_map(move |(i, index)| {
        index
            .chunks
            .chunks(per_window.max(1))
            .map(move |chunks| IndexWindow {
                file: u32::try_from(i).unwrap_or(u32::MAX),
                index,
                chunks,
                decode,
            })
    })
}
