//! What is kept on disk between runs: `NAME.part.json` beside an unfinished
//! `NAME.part`, and `.NAME.nwcap.json` beside a finished file.
//!
//! Plain JSON files rather than extended attributes: they work on every file
//! system (and inside zip files and network shares), and a person can read
//! them. The `.part.json` lists the blocks already on disk together with the
//! ETag they came from: a resume is only allowed while the blob's ETag and
//! size are still the same. Both files are replaced atomically (write to a
//! temporary name, then rename) so an interruption never leaves half a file.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::FetchError;

/// Largest state file read back (a 1 TB blob in 4 MiB blocks lists ~260 000 indices).
const MAX_STATE_BYTES: u64 = 16 << 20;

/// Progress of an unfinished download.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PartState {
    pub blob: String,
    pub etag: String,
    pub size: u64,
    pub block_size: u64,
    pub done: BTreeSet<u64>,
}

/// Identity of a finished download, to skip it next time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DoneMeta {
    pub blob: String,
    pub etag: String,
    pub size: u64,
    pub content_md5: Option<String>,
}

/// `NAME.part`.
pub(crate) fn part_path(dest: &Path) -> PathBuf {
    with_suffix(dest, ".part")
}

/// `NAME.part.json`.
pub(crate) fn part_state_path(dest: &Path) -> PathBuf {
    with_suffix(dest, ".part.json")
}

/// `.NAME.nwcap.json` in the same folder.
pub(crate) fn meta_path(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dest.with_file_name(format!(".{name}.nwcap.json"))
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Read a JSON state file; `None` if absent or unreadable (it is then rebuilt).
pub(crate) fn load<T: for<'de> Deserialize<'de>>(path: &Path) -> Option<T> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.len() > MAX_STATE_BYTES {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Write a JSON state file atomically.
pub(crate) fn store<T: Serialize>(path: &Path, value: &T) -> Result<(), FetchError> {
    let tmp = with_suffix(path, ".tmp");
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| FetchError::State {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    std::fs::write(&tmp, bytes).map_err(|source| FetchError::Io {
        path: tmp.clone(),
        source,
    })?;
    std::fs::rename(&tmp, path).map_err(|source| FetchError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Remove a file if present.
pub(crate) fn remove(path: &Path) -> Result<(), FetchError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(FetchError::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let d = Path::new("o/a/x.cap");
        assert_eq!(part_path(d), Path::new("o/a/x.cap.part"));
        assert_eq!(part_state_path(d), Path::new("o/a/x.cap.part.json"));
        assert_eq!(meta_path(d), Path::new("o/a/.x.cap.nwcap.json"));
    }

    #[test]
    fn round_trip_and_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json");
        let s = PartState {
            blob: "b".into(),
            etag: "\"0x1\"".into(),
            size: 10,
            block_size: 4,
            done: [0, 2].into_iter().collect(),
        };
        store(&p, &s).unwrap();
        assert_eq!(load::<PartState>(&p), Some(s));
        std::fs::write(&p, b"{not json").unwrap();
        assert_eq!(load::<PartState>(&p), None);
        remove(&p).unwrap();
        remove(&p).unwrap();
        assert_eq!(load::<PartState>(&p), None);
    }
}
