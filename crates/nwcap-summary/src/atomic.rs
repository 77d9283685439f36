//! Atomic output files: write to a temp file in the target's folder, flush
//! and sync it, then rename over the target.
//!
//! A failed query or a full disk therefore never leaves a half-written
//! `-o` file (nor clobbers a previous good one); the temp file is removed
//! when the guard drops on the error path. Same folder, so the rename never
//! crosses filesystems.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::error::{Error, Result};

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |source| Error::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Write `path` atomically with `fill`, which gets a buffered writer.
pub(crate) fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<&mut File>) -> Result<()>,
) -> Result<()> {
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
    tmp.as_file().sync_all().map_err(io_err("syncing", path))?;
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
}
