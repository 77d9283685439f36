//! Where output goes, and the one way every command writes a file: a
//! temporary file beside the target, renamed over it at
//! [`OutputFile::commit`].
//!
//! A failed run (a bad query, a full disk, a reader that went away) never
//! leaves a half-written `-o` file nor clobbers a previous good one: the
//! temporary file is removed when an uncommitted [`OutputFile`] drops. Same
//! folder, so the rename never crosses file systems. The file is not
//! fsynced: the rename already makes the replacement all-or-nothing for
//! every reader, and durability across a power cut is the file system's
//! concern (an fsync cost 9 ms of a 0.5 s `nwcap flows` run, and doubled
//! the time of a large `nwcap filter` extract).
//!
//! Only regular files are replaced that way. An OUT that exists and is not
//! a regular file (`/dev/null`, `/dev/stdout`, a FIFO, a socket) is written
//! in place: renaming over it would replace the device node itself (run as
//! root, `-o /dev/null` would turn `/dev/null` into a plain file for every
//! program on the machine). A symbolic link is followed, so the link stays
//! and the file it points to is replaced.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Where output goes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Output {
    /// Standard output.
    #[default]
    Stdout,
    /// A file (written atomically, see the module documentation).
    Path(PathBuf),
}

impl Output {
    /// `-` means stdout, anything else a path.
    pub fn from_arg(arg: &str) -> Output {
        if arg == "-" {
            Output::Stdout
        } else {
            Output::Path(PathBuf::from(arg))
        }
    }

    /// The name used in messages (`<stdout>` for standard output).
    pub fn name(&self) -> String {
        match self {
            Output::Stdout => "<stdout>".into(),
            Output::Path(p) => p.display().to_string(),
        }
    }
}

/// How an output path is written: see the module documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// An existing non-regular file (device, FIFO, socket): written in place.
    InPlace(PathBuf),
    /// A regular file (existing or not): temp file beside it, then rename.
    /// The path is the link target when OUT is a symbolic link.
    Replace(PathBuf),
}

/// Decide how to write the output path `path`.
pub fn destination(path: &Path) -> Destination {
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() && !m.is_dir() => Destination::InPlace(path.to_path_buf()),
        Ok(_) => {
            let is_link = std::fs::symlink_metadata(path)
                .map(|m| m.file_type().is_symlink())
                .unwrap_or(false);
            match is_link.then(|| std::fs::canonicalize(path)) {
                Some(Ok(real)) => Destination::Replace(real),
                _ => Destination::Replace(path.to_path_buf()),
            }
        }
        Err(_) => Destination::Replace(path.to_path_buf()),
    }
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> Error + 'a {
    move |source| Error::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

enum Target {
    Stdout(BufWriter<io::Stdout>),
    InPlace(BufWriter<File>),
    Temp {
        w: BufWriter<File>,
        tmp: tempfile::TempPath,
        dest: PathBuf,
    },
}

/// An output being written. Dropped without [`OutputFile::commit`], a file
/// output removes its temporary file and leaves OUT as it was.
pub struct OutputFile {
    target: Target,
    name: String,
}

impl OutputFile {
    /// Opens `out` for writing (the temporary file, for a path).
    pub fn create(out: &Output) -> Result<OutputFile> {
        let name = out.name();
        let target = match out {
            Output::Stdout => Target::Stdout(BufWriter::with_capacity(1 << 20, io::stdout())),
            Output::Path(path) => match destination(path) {
                Destination::InPlace(p) => {
                    let f = std::fs::OpenOptions::new()
                        .write(true)
                        .open(&p)
                        .map_err(io_err("opening", &p))?;
                    Target::InPlace(BufWriter::with_capacity(1 << 20, f))
                }
                Destination::Replace(p) => {
                    let (file, tmp) = temp_beside(&p)?;
                    Target::Temp {
                        w: BufWriter::with_capacity(1 << 20, file),
                        tmp,
                        dest: p,
                    }
                }
            },
        };
        Ok(OutputFile { target, name })
    }

    /// The output's name in messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Finishes: flushes, and for a file renames the temporary file over
    /// OUT.
    pub fn commit(self) -> Result<()> {
        let name = PathBuf::from(&self.name);
        match self.target {
            Target::Stdout(mut w) => w.flush().map_err(io_err("writing", &name)),
            Target::InPlace(mut w) => w.flush().map_err(io_err("writing", &name)),
            Target::Temp { w, tmp, dest } => {
                let mut f = w
                    .into_inner()
                    .map_err(|e| io_err("writing", &dest)(e.into_error()))?;
                f.flush().map_err(io_err("writing", &dest))?;
                drop(f);
                tmp.persist(&dest)
                    .map_err(|e| io_err("renaming the temp file to", &dest)(e.error))
            }
        }
    }
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.target {
            Target::Stdout(w) => w.write(buf),
            Target::InPlace(w) => w.write(buf),
            Target::Temp { w, .. } => w.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.target {
            Target::Stdout(w) => w.write_all(buf),
            Target::InPlace(w) => w.write_all(buf),
            Target::Temp { w, .. } => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.target {
            Target::Stdout(w) => w.flush(),
            Target::InPlace(w) => w.flush(),
            Target::Temp { w, .. } => w.flush(),
        }
    }
}

/// A temporary file in `dest`'s folder, with the mode `dest` has (or the
/// usual 0644: tempfile creates 0600 files).
fn temp_beside(dest: &Path) -> Result<(File, tempfile::TempPath)> {
    let dir = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    let perms = match std::fs::metadata(dest) {
        Ok(m) => Some(m.permissions()),
        Err(_) => default_permissions(),
    };
    if let Some(p) = perms {
        builder.permissions(p);
    }
    let tmp = builder
        .tempfile_in(dir)
        .map_err(io_err("creating a temp file for", dest))?;
    Ok(tmp.into_parts())
}

#[cfg(unix)]
fn default_permissions() -> Option<std::fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Some(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn default_permissions() -> Option<std::fs::Permissions> {
    None
}

/// Writes `out` with `fill`, committing on success.
pub(crate) fn write_with(
    out: &Output,
    fill: impl FnOnce(&mut OutputFile) -> Result<()>,
) -> Result<()> {
    let mut f = OutputFile::create(out)?;
    fill(&mut f)?;
    f.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, bytes: &[u8], commit: bool) -> Result<()> {
        let mut f = OutputFile::create(&Output::Path(path.to_path_buf()))?;
        f.write_all(bytes).map_err(io_err("w", path))?;
        if commit { f.commit() } else { Ok(()) }
    }

    #[test]
    fn an_uncommitted_file_leaves_nothing_and_keeps_the_old_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.csv");
        write(&path, b"partial", false).expect("write");
        assert!(!path.exists());
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 0);
        write(&path, b"good", true).expect("write");
        write(&path, b"half", false).expect("write");
        assert_eq!(std::fs::read(&path).expect("read"), b"good");
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o644);
        }
    }

    /// A FIFO stands in for `/dev/null` (renaming over the real one would
    /// break the machine if this regressed): it must stay a FIFO and get
    /// the bytes.
    #[cfg(unix)]
    #[test]
    fn a_fifo_is_written_in_place_not_replaced() {
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(matches!(made, Ok(s) if s.success()), "mkfifo");
        let reader = {
            let fifo = fifo.clone();
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || tx.send(std::fs::read(fifo).expect("read fifo")));
            rx
        };
        write(&fifo, b"through the pipe", true).expect("write");
        let kind = std::fs::symlink_metadata(&fifo).expect("meta").file_type();
        assert!(kind.is_fifo(), "the FIFO was replaced by {kind:?}");
        let got = reader
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("nothing came through the FIFO");
        assert_eq!(got, b"through the pipe");
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_stays_and_its_target_is_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let real = dir.path().join("real.csv");
        let link = dir.path().join("link.csv");
        std::fs::write(&real, b"old").expect("old");
        std::os::unix::fs::symlink(&real, &link).expect("symlink");
        write(&link, b"new", true).expect("write");
        assert!(
            std::fs::symlink_metadata(&link)
                .expect("meta")
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read(&real).expect("read"), b"new");
        assert_eq!(
            destination(Path::new("/dev/null")),
            Destination::InPlace("/dev/null".into())
        );
    }
}
