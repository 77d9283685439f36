//! Getting a capture's bytes: a read-only map of a whole file or the
//! decompressed bytes of a gzip file ([`map`], [`gunzip`], for the indexed
//! reader of `info` and `filter`), or an input opened once and read block
//! by block ([`Source`], for the flow engine).

mod block;
mod open;
mod spec;
mod stream;

pub use block::Block;
pub use spec::{Ledger, Stop, Walked};
pub use stream::{BLOCK_BYTES, Source};

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::error::OpenError;

/// Default cap on the decompressed size of a gzip capture (a gzip bomb
/// stops here with an error instead of filling memory).
pub const DEFAULT_GZIP_LIMIT: u64 = 16 * 1024 * 1024 * 1024;

/// Files up to this size are mapped with their page tables populated.
const POPULATE_LIMIT: u64 = 4 << 30;

/// The bytes of a capture file.
pub enum Bytes {
    /// A read-only memory map of the file.
    Mapped(memmap2::Mmap),
    /// Bytes held in memory (decompressed gzip, or given by a caller).
    Owned(Vec<u8>),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m,
            Bytes::Owned(v) => v,
        }
    }
}

/// Map a file. Empty files are returned as empty owned bytes (mapping an
/// empty file fails on some systems).
pub fn map(path: &Path) -> Result<Bytes, OpenError> {
    let io = |e| OpenError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let file = File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    if len == 0 {
        return Ok(Bytes::Owned(Vec::new()));
    }
    let mut opts = memmap2::MmapOptions::new();
    if len <= POPULATE_LIMIT {
        // Fill the page tables up front: one kernel pass instead of a page
        // fault every few records, and the index pass can then prefetch.
        opts.populate();
    }
    // SAFETY: the map is read-only. If another process truncates the file
    // while we read it, accesses past the new end raise SIGBUS; this is the
    // accepted trade-off of every mmap-based reader (ripgrep does the same),
    // and capture files are not modified while being analysed.
    let map = unsafe { opts.map(&file) }.map_err(io)?;
    #[cfg(unix)]
    {
        let _ = map.advise(memmap2::Advice::Sequential);
    }
    Ok(Bytes::Mapped(map))
}

/// Maps `len` bytes of `file` from `offset` (a multiple of 64 KiB), read
/// only, its page tables populated: a block of the streaming reader.
pub(crate) fn map_range(file: &File, offset: u64, len: usize) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: a read-only map, as in `map`: if another process truncates
    // the file while it is read, accesses past the new end raise SIGBUS
    // (the accepted trade-off of every mmap-based reader; capture files
    // are not modified while being analysed).
    unsafe {
        memmap2::MmapOptions::new()
            .offset(offset)
            .len(len)
            .populate()
            .map(file)
    }
}

/// True when `data` starts with the gzip magic.
pub fn is_gzip(data: &[u8]) -> bool {
    data.starts_with(&[0x1f, 0x8b])
}

/// Decompress gzip data (all members), refusing to grow past `limit` bytes.
/// Returns the bytes decoded and, if the stream is damaged, the error text
/// and the number of decompressed bytes obtained before it.
pub fn gunzip(data: &[u8], limit: u64) -> Result<(Vec<u8>, Option<String>), String> {
    let mut out = Vec::new();
    let decoder = flate2::read::MultiGzDecoder::new(data);
    let mut limited = decoder.take(limit.saturating_add(1));
    match limited.read_to_end(&mut out) {
        Ok(_) => {
            if out.len() as u64 > limit {
                return Err(format!(
                    "gzip data expands beyond {limit} bytes (limit; set NWCAP_GZIP_LIMIT to raise it)"
                ));
            }
            Ok((out, None))
        }
        Err(e) => {
            if out.is_empty() {
                Err(format!("gzip data is damaged: {e}"))
            } else {
                Ok((out, Some(format!("gzip data is damaged: {e}"))))
            }
        }
    }
}
