//! Where the extract goes: stdout, or a file written atomically.
//!
//! A file is written to a temporary name in the same directory (so the
//! final rename stays on one file system and is atomic), then renamed over
//! OUT. If anything fails before [`Sink::commit`], the temporary file is
//! removed: OUT is either the old file or the complete new one, never half
//! of one. An OUT that exists and is not a regular file (`/dev/null`, a
//! FIFO) is written in place instead, and a symbolic link is followed
//! ([`nwcap_summary::destination`]): renaming over a device node would
//! replace it. The file is not fsynced (as tcpdump and editcap do not): that
//! doubled the time of a large extract (measured: 80 MB, +0.15-0.3 s), and
//! durability across a power cut is the file system's concern.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

/// The `-o` argument.
#[derive(Debug, Clone)]
pub(super) enum Target {
    Stdout,
    File(PathBuf),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Stdout => f.write_str("stdout"),
            Target::File(p) => write!(f, "{}", p.display()),
        }
    }
}

impl Target {
    pub fn new(path: &Path) -> Target {
        if path.as_os_str() == "-" {
            Target::Stdout
        } else {
            Target::File(path.to_path_buf())
        }
    }

    /// True when OUT already exists and is `input` (same file).
    pub fn is_same_file(&self, input: &Path) -> bool {
        let Target::File(out) = self else {
            return false;
        };
        match (out.canonicalize(), input.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    }

    /// Open the sink (the temporary file for a path).
    pub fn create(&self) -> anyhow::Result<Sink> {
        match self {
            Target::Stdout if io::stdout().is_terminal() => anyhow::bail!(
                "refusing to write a capture to a terminal\nhint: redirect -o - to a file or pipe it (| tshark -r -)"
            ),
            Target::Stdout => Ok(Sink {
                out: Out::Stdout(BufWriter::with_capacity(1 << 20, io::stdout())),
            }),
            Target::File(path) => {
                let path = match nwcap_summary::destination(path) {
                    nwcap_summary::Destination::InPlace(p) => {
                        let file = OpenOptions::new()
                            .write(true)
                            .open(&p)
                            .with_context(|| format!("{}: cannot open it", p.display()))?;
                        return Ok(Sink {
                            out: Out::InPlace(BufWriter::with_capacity(1 << 20, file)),
                        });
                    }
                    nwcap_summary::Destination::Replace(p) => p,
                };
                let path = &path;
                let dir = match path.parent() {
                    Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                let name = path
                    .file_name()
                    .with_context(|| format!("{}: not a file name", path.display()))?;
                let mut last = None;
                for attempt in 0..16u32 {
                    let tmp = dir.join(format!(
                        ".{}.nwcap-{}-{attempt}.tmp",
                        name.to_string_lossy(),
                        std::process::id()
                    ));
                    match OpenOptions::new().write(true).create_new(true).open(&tmp) {
                        Ok(file) => {
                            return Ok(Sink {
                                out: Out::File {
                                    w: BufWriter::with_capacity(1 << 20, file),
                                    tmp,
                                    dest: path.clone(),
                                    done: false,
                                },
                            });
                        }
                        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
                        Err(e) => {
                            return Err(e).with_context(|| {
                                format!("{}: cannot create a file there", dir.display())
                            });
                        }
                    }
                }
                Err(last.unwrap_or_else(|| io::Error::other("no free temporary name")))
                    .with_context(|| format!("{}: cannot create a temporary file", dir.display()))
            }
        }
    }
}

enum Out {
    Stdout(BufWriter<io::Stdout>),
    /// A device or FIFO, written directly.
    InPlace(BufWriter<File>),
    File {
        w: BufWriter<File>,
        tmp: PathBuf,
        dest: PathBuf,
        done: bool,
    },
}

/// The open output. Dropped without [`commit`](Sink::commit), a file
/// output removes its temporary file.
pub(super) struct Sink {
    out: Out,
}

impl Sink {
    /// Finish: flush, and for a file rename over OUT.
    pub fn commit(mut self) -> anyhow::Result<()> {
        match &mut self.out {
            Out::Stdout(w) => w.flush().context("writing to stdout"),
            Out::InPlace(w) => w.flush().context("writing the output"),
            Out::File { w, tmp, dest, done } => {
                w.flush()
                    .with_context(|| format!("{}: write failed", tmp.display()))?;
                std::fs::rename(&*tmp, &*dest).with_context(|| {
                    format!("{}: cannot rename {} to it", dest.display(), tmp.display())
                })?;
                *done = true;
                Ok(())
            }
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        if let Out::File {
            tmp, done: false, ..
        } = &self.out
        {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.out {
            Out::Stdout(w) => w.write(buf),
            Out::InPlace(w) => w.write(buf),
            Out::File { w, .. } => w.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.out {
            Out::Stdout(w) => w.write_all(buf),
            Out::InPlace(w) => w.write_all(buf),
            Out::File { w, .. } => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.out {
            Out::Stdout(w) => w.flush(),
            Out::InPlace(w) => w.flush(),
            Out::File { w, .. } => w.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_sink_leaves_nothing_and_a_committed_one_replaces_out() {
        let dir = std::env::temp_dir().join(format!("nwcap-sink-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let out = dir.join("out.pcap");
        std::fs::write(&out, b"old").expect("old");
        let t = Target::new(&out);
        {
            let mut s = t.create().expect("sink");
            s.write_all(b"half").expect("write");
        }
        assert_eq!(std::fs::read(&out).expect("read"), b"old");
        assert_eq!(std::fs::read_dir(&dir).expect("ls").count(), 1);
        let mut s = t.create().expect("sink");
        s.write_all(b"new").expect("write");
        s.commit().expect("commit");
        assert_eq!(std::fs::read(&out).expect("read"), b"new");
        assert_eq!(std::fs::read_dir(&dir).expect("ls").count(), 1);
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
