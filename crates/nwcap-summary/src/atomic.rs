//! Atomic output files: write to a temp file in the target's folder, flush
//! it, then rename over the target.
//!
//! A failed query or a full disk therefore never leaves a half-written
//! `-o` file (nor clobbers a previous good one); the temp file is removed
//! when the guard drops on the error path. Same folder, so the rename never
//! crosses filesystems. As for `nwcap filter -o`, the file is not fsynced:
//! the rename already makes the replacement all-or-nothing for every reader,
//! and durability across a power cut is the file system's concern (the
//! fsync cost 9 ms of a 0.5 s `nwcap flows` run here, more on a busy disk).
//!
//! Only regular files are replaced that way. An OUT that exists and is not a
//! regular file (`/dev/null`, `/dev/stdout`, a FIFO, a socket) is written in
//! place: renaming over it would replace the device node itself (run as
//! root, `-o /dev/null` would turn `/dev/null` into a plain file for every
//! program on the machine). A symbolic link is followed, so the link stays
//! and the file it points to is replaced.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |source| Error::Io {
        action,
        path: path.to_path_buf(),
        source,
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

/// Write `path` with `fill`, which gets a buffered writer: atomically for a
/// regular file, in place for a device or FIFO ([`destination`]).
pub fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<&mut File>) -> Result<()>,
) -> Result<()> {
    let path = match destination(path) {
        Destination::InPlace(p) => {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(&p)
                .map_err(io_err("opening", &p))?;
            let mut w = BufWriter::new(&mut f);
            fill(&mut w)?;
            return w.flush().map_err(io_err("writing", &p));
        }
        Destination::Replace(p) => p,
    };
    let path = path.as_path();
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    // tempfile creates 0600 files; an output file should get the usual mode
    // (or keep the mode of the file it replaces).
    let perms = match std::fs::metadata(path) {
        Ok(m) => Some(m.permissions()),
        Err(_) => default_permissions(),
    };
    if let Some(p) = perms {
        builder.permissions(p);
    }
    let mut tmp = builder
        .tempfile_in(dir)
        .map_err(io_err("creating a temp file for", path))?;
    {
        let mut w = BufWriter::new(tmp.as_file_mut());
        fill(&mut w)?;
        w.flush().map_err(io_err("writing", path))?;
    }
    tmp.persist(path)
        .map_err(|e| io_err("renaming the temp file to", path)(e.error))?;
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_leaves_no_file_and_keeps_old_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.csv");
        let res = write_atomic(&path, |w| {
            w.write_all(b"partial")
                .map_err(io_err("writing", Path::new("x")))?;
            Err(Error::InvalidSort("boom".into()))
        });
        assert!(res.is_err());
        assert!(!path.exists());
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 0);

        write_atomic(&path, |w| {
            w.write_all(b"good").map_err(io_err("w", Path::new("x")))
        })
        .expect("write");
        let res = write_atomic(&path, |_| Err(Error::InvalidSort("boom".into())));
        assert!(res.is_err());
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
        if !matches!(made, Ok(s) if s.success()) {
            eprintln!("skipped: mkfifo is not available here");
            return;
        }
        let reader = {
            let fifo = fifo.clone();
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || tx.send(std::fs::read(fifo).expect("read fifo")));
            rx
        };
        write_atomic(&fifo, |w| {
            w.write_all(b"through the pipe")
                .map_err(io_err("w", Path::new("x")))
        })
        .expect("write");
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
        write_atomic(&link, |w| {
            w.write_all(b"new").map_err(io_err("w", Path::new("x")))
        })
        .expect("write");
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
