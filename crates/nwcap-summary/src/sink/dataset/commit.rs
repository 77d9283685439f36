//! The end of a dataset run: each source's new part files are renamed
//! into place (each rename atomic, replacing the file of the same name),
//! then the source's part files the run did not write again are removed,
//! with the temporary files a killed run left behind and the folders that
//! became empty.
//!
//! Part file names depend only on the source, the partition and the
//! position of the file in it, and the rows of each file only on the
//! inputs and the settings; so a re-run over the same captures renames
//! each new file over an identical old one and removes nothing: a reader
//! sees every file whole and never a row twice. A re-run over other
//! captures of the source (more files, other filters) replaces the
//! source's rows; between its renames and its removals a reader may see
//! some partitions of that source new and others old.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::sink::dataset::layout::is_own;

/// A finished part file waiting for its rename.
pub(crate) struct Finished {
    pub(crate) tmp: tempfile::TempPath,
    pub(crate) dest: PathBuf,
}

/// A source's run: what to rename, and where its old files may be.
pub(crate) struct SourceCommit {
    pub(crate) tag: String,
    /// The source's own `source=` folder, or the whole dataset.
    pub(crate) scope: PathBuf,
    /// True when `scope` is the source's own folder: only this source
    /// writes there, so the folders it empties are removed. In a folder
    /// shared with other sources they stay (another run may be about to
    /// write in one).
    pub(crate) own_scope: bool,
    pub(crate) files: Vec<Finished>,
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |source| Error::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Renames the source's files into place, then removes its stale ones.
pub(crate) fn commit(c: SourceCommit) -> Result<()> {
    let mut kept: HashSet<PathBuf> = HashSet::with_capacity(c.files.len());
    for f in c.files {
        f.tmp
            .persist(&f.dest)
            .map_err(|e| io("renaming the temp file to", &f.dest)(e.error))?;
        kept.insert(f.dest);
    }
    let empty = remove_stale(&c.scope, &c.tag, &kept, c.own_scope)?;
    if empty && c.own_scope {
        let _ = std::fs::remove_dir(&c.scope);
    }
    Ok(())
}

/// Removes the files of `tag` below `dir` that are not in `kept`, and,
/// with `prune`, the partition folders this leaves empty; true when `dir`
/// is left empty.
fn remove_stale(dir: &Path, tag: &str, kept: &HashSet<PathBuf>, prune: bool) -> Result<bool> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(true),
        Err(e) => return Err(io("listing", dir)(e)),
    };
    let mut empty = true;
    for entry in entries {
        let entry = entry.map_err(io("listing", dir))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(io("listing", &path))?;
        if kind.is_dir() {
            let sub_empty = remove_stale(&path, tag, kept, prune)?;
            // Only folders whose name is a partition (`name=value`): a
            // folder of someone else's stays.
            let partition = entry.file_name().to_string_lossy().contains('=');
            if sub_empty && partition && prune {
                if std::fs::remove_dir(&path).is_err() {
                    empty = false;
                }
            } else {
                empty = false;
            }
            continue;
        }
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if is_own(&name, tag) && !kept.contains(&path) {
            match std::fs::remove_file(&path) {
                Ok(()) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io("removing the old part file", &path)(e)),
            }
        }
        empty = false;
    }
    Ok(empty)
}
