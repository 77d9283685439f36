//! Getting a capture's bytes: a read-only map of a whole file, a whole
//! stream or the decompressed bytes of gzip data ([`whole`], [`gunzip`],
//! for the indexed reader of `info` and `filter`), or an input opened once
//! and read block by block ([`Source`], for the flow engine).

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
use crate::input::Input;

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

/// The error for a directory given as a capture (every reader says it the
/// same way).
pub(crate) fn directory_error() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::IsADirectory,
        "is a directory, not a capture file",
    )
}

/// The bytes of a whole input, for the indexed reader (`info`, `filter`):
/// a regular file is mapped (an empty one comes back as empty owned bytes:
/// mapping an empty file fails on some systems); standard input, a FIFO, a
/// device such as `/dev/stdin` or a process substitution is read to its
/// end and held in memory, as decompressed gzip data is. A directory is an
/// error that says so.
pub fn whole(input: &Input) -> Result<Bytes, OpenError> {
    let name = input.path_or_name();
    let io = |source| OpenError::Io {
        path: name.clone(),
        source,
    };
    let file = match input {
        Input::Stdin => return read_stream(std::io::stdin().lock(), &name),
        Input::Path(p) => File::open(p).map_err(io)?,
    };
    let meta = file.metadata().map_err(io)?;
    if meta.is_dir() {
        return Err(io(directory_error()));
    }
    if !meta.is_file() {
        return read_stream(file, &name);
    }
    let len = meta.len();
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

/// Bytes of a stream read before the rest ([`read_stream`]).
const STREAM_HEAD: u64 = 64 << 10;

/// A stream read whole ([`read_whole`]), refused as soon as its first
/// bytes are no capture (neither a capture format nor gzip), so that
/// `/dev/zero` or a terminal's text fails at once, not at the size bound.
fn read_stream(mut read: impl Read, path: &Path) -> Result<Bytes, OpenError> {
    let mut head = Vec::new();
    (&mut read)
        .take(STREAM_HEAD)
        .read_to_end(&mut head)
        .map_err(|source| OpenError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if !head.is_empty() && !is_gzip(&head) {
        crate::capture::Format::detect(&head, path)?;
    }
    Ok(Bytes::Owned(read_whole(read, head, path)?))
}

/// The most bytes held in memory for one input: gzip data decompressed, or
/// a stream read whole (`NWCAP_GZIP_LIMIT`, default [`DEFAULT_GZIP_LIMIT`]).
pub(crate) fn gzip_limit() -> u64 {
    std::env::var("NWCAP_GZIP_LIMIT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_GZIP_LIMIT)
}

/// `read` read to its end after the bytes already in `buf` (memory grows
/// with the bytes that come, never with a length the input claims), or an
/// error past [`gzip_limit`] bytes in all; `path` names the input.
pub(crate) fn read_whole(
    read: impl Read,
    mut buf: Vec<u8>,
    path: &Path,
) -> Result<Vec<u8>, OpenError> {
    let limit = gzip_limit();
    let left = limit.saturating_add(1).saturating_sub(buf.len() as u64);
    read.take(left)
        .read_to_end(&mut buf)
        .map_err(|source| OpenError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if buf.len() as u64 > limit {
        return Err(OpenError::Gzip {
            path: path.to_path_buf(),
            message: format!(
                "input larger than {limit} bytes (limit; set NWCAP_GZIP_LIMIT to raise it)"
            ),
        });
    }
    Ok(buf)
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
