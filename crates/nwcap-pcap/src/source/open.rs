//! Opening a [`Source`]: the first bytes are read once, and they say the
//! format (by magic, never by name), hold the file header and give the
//! first record's time. A regular uncompressed file is then mapped block
//! by block; anything else keeps reading the stream, gzip decompressed
//! (and bounded) as it is read.

use std::fs::File;
use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::spec::Ledger;
use super::stream::{BLOCK_BYTES, Framer, Reader, Source};
use super::{Bytes, gzip_limit, is_gzip, read_whole, whole};
use crate::capture::Format;
use crate::damage::Damage;
use crate::error::OpenError;
use crate::input::Input;
use crate::netmon::NetmonFile;
use crate::pcap;
use crate::pcapng::{self, frame::NgFramer};

/// Bytes read at open (format, header, first record).
const HEAD: usize = 64 << 10;
/// Most bytes read at open looking for the first pcapng packet.
const HEAD_MAX: usize = 16 << 20;

/// Reads until `buf` is full or the input ends; the bytes read.
pub(super) fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Counts the bytes read through it (compressed bytes of a gzip input).
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Ends a decompressed stream with an error past `limit` bytes (a gzip
/// bomb stops there instead of filling memory or disk).
struct Limited<R> {
    inner: R,
    left: u64,
    limit: u64,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            let mut one = [0u8; 1];
            return match self.inner.read(&mut one)? {
                0 => Ok(0),
                _ => Err(io::Error::other(format!(
                    "gzip data expands beyond {} bytes (limit; set NWCAP_GZIP_LIMIT to raise it)",
                    self.limit
                ))),
            };
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

impl Source {
    /// Opens `input`: reads its first bytes, detects the format (by magic,
    /// never by name) and reads the file header.
    pub fn open(input: &Input) -> Result<Source, OpenError> {
        let name = input.name();
        let io_err = |source| OpenError::Io {
            path: name.clone().into(),
            source,
        };
        match input {
            Input::Stdin => Source::from_read(name.clone(), Box::new(io::stdin())),
            Input::Path(p) => {
                let file = File::open(p).map_err(io_err)?;
                let meta = file.metadata().map_err(io_err)?;
                if meta.is_dir() {
                    return Err(io_err(super::directory_error()));
                }
                if meta.is_file() {
                    let dup = file.try_clone().map_err(io_err)?;
                    Source::start(name.clone(), Box::new(dup), Some((file, meta.len(), p)))
                } else {
                    Source::from_read(name.clone(), Box::new(file))
                }
            }
        }
    }

    /// Opens a stream of capture bytes (a socket, a decompressor, a test's
    /// buffer) named `name`: read once, in order, as a pipe is.
    pub fn from_read(name: String, read: Box<dyn Read + Send>) -> Result<Source, OpenError> {
        Source::start(name, read, None)
    }

    fn start(
        name: String,
        raw: Box<dyn Read + Send>,
        regular: Option<(File, u64, &std::path::Path)>,
    ) -> Result<Source, OpenError> {
        let path = std::path::PathBuf::from(&name);
        let io_err = |source| OpenError::Io {
            path: path.clone(),
            source,
        };
        let size = regular.as_ref().map(|r| r.1);
        let consumed = Arc::new(AtomicU64::new(0));
        let mut read: Box<dyn Read + Send> = Box::new(Counting {
            inner: raw,
            count: Arc::clone(&consumed),
        });
        let mut head = vec![0u8; HEAD];
        let n = read_full(&mut read, &mut head).map_err(io_err)?;
        head.truncate(n);
        let mut compressed = false;
        let mut gzip_damage = None;
        if is_gzip(&head) {
            compressed = true;
            let inner = io::Cursor::new(std::mem::take(&mut head)).chain(read);
            let limit = gzip_limit();
            read = Box::new(Limited {
                inner: flate2::read::MultiGzDecoder::new(inner),
                left: limit,
                limit,
            });
            head = Vec::with_capacity(HEAD);
            let got = (&mut read).take(HEAD as u64).read_to_end(&mut head);
            if let Err(e) = got {
                // What came out before the damage is still read.
                if head.is_empty() {
                    return Err(OpenError::Gzip {
                        path,
                        message: format!("gzip data is damaged: {e}"),
                    });
                }
                gzip_damage = Some(Damage::warning(
                    head.len() as u64,
                    format!(
                        "gzip data is damaged: {e}; reading the {} bytes decompressed before it",
                        head.len()
                    ),
                ));
            }
        }
        let format = Format::detect(&head, &path)?;
        let mut src = Source {
            name,
            format,
            compressed,
            reader: Reader::Stream {
                read,
                eof: n_is_eof(&head) || gzip_damage.is_some(),
                consumed,
            },
            carry: head,
            offset: 0,
            framer: Framer::PcapNg(NgFramer::default()),
            ledger: Ledger::default(),
            speculative: false,
            stopped: false,
            first_ts: None,
            block_bytes: BLOCK_BYTES,
            pool: Arc::new(Mutex::new(Vec::new())),
            reported: 0,
            size,
        };
        src.ledger.lock().damage.extend(gzip_damage);
        match format {
            Format::Pcap => src.start_pcap(&path)?,
            Format::PcapNg => src.start_pcapng()?,
            Format::NetMon => {
                let file = regular.as_ref().filter(|_| !compressed).map(|r| r.2);
                src.start_netmon(&path, file)?;
            }
        }
        // An uncompressed regular file is mapped block by block from here
        // (its head stays in the page cache); anything else keeps reading
        // the stream, its head kept in the carry.
        if let (Some((file, len, _)), false, false) =
            (regular, compressed, format == Format::NetMon)
        {
            src.reader = Reader::Mapped { len, file };
            src.carry = Vec::new();
        }
        Ok(src)
    }

    fn start_pcap(&mut self, path: &std::path::Path) -> Result<(), OpenError> {
        let mut warnings = Vec::new();
        let h =
            pcap::parse_header(&self.carry, &mut warnings).map_err(|d| OpenError::BadHeader {
                path: path.to_path_buf(),
                offset: d.offset,
                message: d.message,
            })?;
        self.ledger.lock().damage.extend(warnings);
        let rh = h.record_header_len;
        if let (Some(sec), Some(frac)) = (
            h.endian.u32(&self.carry, pcap::HEADER_LEN),
            h.endian.u32(&self.carry, pcap::HEADER_LEN + 4),
        ) && self.carry.len() >= pcap::HEADER_LEN + rh
        {
            let ns = if h.nanos {
                i64::from(frac)
            } else {
                i64::from(frac) * 1000
            };
            self.first_ts = Some(i64::from(sec) * 1_000_000_000 + ns);
        }
        self.carry.drain(..pcap::HEADER_LEN.min(self.carry.len()));
        self.offset = pcap::HEADER_LEN as u64;
        self.ledger.lock().verified = self.offset;
        self.framer = Framer::Pcap(Arc::new(h));
        Ok(())
    }

    fn start_pcapng(&mut self) -> Result<(), OpenError> {
        // The first packet may follow many interface descriptions: read on
        // (into the head, kept for the stream) until one is framed.
        loop {
            let mut probe = NgFramer::default();
            let framed = probe.frame(&self.carry, 0, 0);
            let first = framed.chunks.first().and_then(|(s, e, st)| {
                pcapng::Records::new(
                    &self.carry,
                    *s,
                    *e,
                    st.endian,
                    Arc::clone(&st.interfaces),
                    st.if_base,
                )
                .next()
                .map(|r| r.ts)
            });
            let done = first.is_some()
                || framed.stop.is_some()
                || self.carry.len() >= HEAD_MAX
                || self.stream_eof();
            if done {
                self.first_ts = first.filter(|&t| t != pcapng::NO_TIMESTAMP);
                return Ok(());
            }
            if !self.read_more(self.carry.len().max(HEAD)) {
                self.first_ts = None;
                return Ok(());
            }
        }
    }

    fn start_netmon(
        &mut self,
        path: &std::path::Path,
        file: Option<&std::path::Path>,
    ) -> Result<(), OpenError> {
        let bytes = match (file, &mut self.reader) {
            (Some(p), _) => whole(&Input::Path(p.to_path_buf()))?,
            (None, Reader::Stream { read, .. }) => {
                let carry = std::mem::take(&mut self.carry);
                Bytes::Owned(read_whole(read, carry, path)?)
            }
            (None, _) => Bytes::Owned(std::mem::take(&mut self.carry)),
        };
        let nm = NetmonFile::parse(&bytes).map_err(|e| OpenError::BadHeader {
            path: path.to_path_buf(),
            offset: e.offset(),
            message: e.to_string(),
        })?;
        let mut t = self.ledger.lock();
        t.damage
            .extend(nm.damage().iter().map(|d| Damage::from(*d)));
        // Damaged frames are reported here, once, as the index pass does;
        // the blocks skip them.
        for i in 0..nm.frame_count() {
            if let Err(d) = nm.frame(i) {
                t.damage.push(Damage::from(d));
            }
        }
        drop(t);
        self.first_ts = nm.frame(0).ok().map(|r| r.ts);
        let layout = Arc::new(nm.layout());
        let count = nm.frame_count();
        drop(nm);
        self.carry = Vec::new();
        self.reader = Reader::Whole(Arc::new(bytes));
        self.framer = Framer::NetMon {
            layout,
            next: 0,
            count,
        };
        Ok(())
    }
}

/// A head shorter than asked for means the input has ended.
fn n_is_eof(head: &[u8]) -> bool {
    head.len() < HEAD
}
