//! One blob to one file: parallel ranged reads into a `.part`, resumable,
//! verified, then renamed into place.
//!
//! The blob is cut into fixed blocks. Each block is one ranged GET with
//! `If-Match: <etag>`, so every byte comes from the same version of the blob
//! (a replaced blob gives 412 instead of a mixed file). Blocks are written at
//! their offset in a preallocated `.part`; a finished block is recorded in
//! `.part.json` only after its bytes are flushed, so after an interruption
//! the recorded blocks can be trusted and only the others are fetched again.
//! A body cut mid-block is resumed from the last byte received, with backoff.
//! Integrity: the file's MD5 against the blob's Content-MD5 when it has one,
//! otherwise exact lengths under the ETag lock. Only then is the `.part`
//! renamed (atomic on one file system) and `.NAME.nwcap.json` written, which
//! lets the next run skip the file.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use futures::StreamExt;
use md5::{Digest, Md5};
use tokio::io::{AsyncSeekExt, AsyncWriteExt};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::state::{self, DoneMeta, PartState};
use crate::store::{BlobInfo, Store};
use crate::{FetchError, FileOutcome, Reporter};

/// Settings for one download.
pub(crate) struct Job {
    pub store: Arc<Store>,
    pub blob: BlobInfo,
    pub dest: PathBuf,
    pub block_size: u64,
    pub retries: u32,
    pub permits: Arc<Semaphore>,
    pub reporter: Arc<dyn Reporter>,
    pub id: usize,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FetchError + '_ {
    move |source| FetchError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Whether `dest` is already the complete blob (same ETag and size).
pub(crate) fn is_complete(dest: &Path, blob: &BlobInfo) -> bool {
    let Some(meta) = state::load::<DoneMeta>(&state::meta_path(dest)) else {
        return false;
    };
    meta.blob == blob.name
        && meta.etag == blob.etag
        && meta.size == blob.size
        && std::fs::metadata(dest).is_ok_and(|m| m.is_file() && m.len() == blob.size)
}

/// Download `job.blob` to `job.dest`.
pub(crate) async fn run(job: Job) -> Result<FileOutcome, FetchError> {
    let dest = job.dest.clone();
    if is_complete(&dest, &job.blob) {
        return Ok(FileOutcome::Skipped { path: dest });
    }
    if let Some(parent) = dest.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(io(parent))?;
    }
    let part = state::part_path(&dest);
    let state_path = state::part_state_path(&dest);
    let st = prepare_part(&job, &part, &state_path).await?;
    let block = st.block_size;
    let blocks = job.blob.size.div_ceil(block);
    let resumed = st
        .done
        .iter()
        .map(|&i| block_len(i, block, job.blob.size))
        .sum::<u64>();
    job.reporter
        .on_start(job.id, &job.blob.name, job.blob.size, resumed);

    let todo: Vec<u64> = (0..blocks).filter(|i| !st.done.contains(i)).collect();
    let st = Arc::new(Mutex::new(st));
    let job = Arc::new(job);
    let mut set = JoinSet::new();
    for i in todo {
        let (job, st, part, state_path) =
            (job.clone(), st.clone(), part.clone(), state_path.clone());
        set.spawn(async move {
            let _permit = job.permits.clone().acquire_owned().await.ok();
            let off = i * block;
            let len = block_len(i, block, job.blob.size);
            fetch_block(&job, &part, off, len).await?;
            // Recorded under the lock, so state writes never interleave
            // and each one holds every block finished before it.
            let path = state_path.clone();
            tokio::task::spawn_blocking(move || {
                let mut g = st.lock().map_err(|_| poisoned(&path))?;
                g.done.insert(i);
                state::store(&path, &*g)
            })
            .await
            .map_err(|e| FetchError::State {
                path: state_path,
                message: e.to_string(),
            })?
        });
    }
    let mut first_err = None;
    while let Some(r) = set.join_next().await {
        let r = r.unwrap_or_else(|e| {
            Err(FetchError::State {
                path: dest.clone(),
                message: e.to_string(),
            })
        });
        if let Err(e) = r
            && first_err.is_none()
        {
            set.abort_all();
            first_err = Some(e);
        }
    }
    if let Some(e) = first_err {
        if matches!(
            e,
            FetchError::Changed { .. } | FetchError::Http { status: 412, .. }
        ) {
            // What is on disk belongs to an older version: start over next time.
            state::remove(&state_path)?;
            state::remove(&part)?;
        }
        return Err(e);
    }
    verify(&job.blob, &part, &state_path).await?;
    tokio::fs::rename(&part, &dest).await.map_err(io(&dest))?;
    let meta = DoneMeta {
        blob: job.blob.name.clone(),
        etag: job.blob.etag.clone(),
        size: job.blob.size,
        content_md5: job.blob.content_md5.clone(),
    };
    state::store(&state::meta_path(&dest), &meta)?;
    state::remove(&state_path)?;
    Ok(FileOutcome::Downloaded {
        path: dest,
        bytes: job.blob.size - resumed,
        resumed,
    })
}

fn poisoned(p: &Path) -> FetchError {
    FetchError::State {
        path: p.to_owned(),
        message: "state lock poisoned".into(),
    }
}

fn block_len(i: u64, block: u64, size: u64) -> u64 {
    block.min(size.saturating_sub(i * block))
}

/// Reuse a `.part` whose state matches the blob, or start a new one.
async fn prepare_part(job: &Job, part: &Path, state_path: &Path) -> Result<PartState, FetchError> {
    if let Some(st) = state::load::<PartState>(state_path) {
        let part_ok = tokio::fs::metadata(part)
            .await
            .is_ok_and(|m| m.len() == job.blob.size);
        let blocks = job.blob.size.div_ceil(st.block_size.max(1));
        if part_ok
            && st.blob == job.blob.name
            && st.etag == job.blob.etag
            && st.size == job.blob.size
            && st.block_size > 0
            && st.done.iter().all(|&i| i < blocks)
        {
            return Ok(st);
        }
    }
    let f = tokio::fs::File::create(part).await.map_err(io(part))?;
    f.set_len(job.blob.size).await.map_err(io(part))?;
    let st = PartState {
        blob: job.blob.name.clone(),
        etag: job.blob.etag.clone(),
        size: job.blob.size,
        block_size: job.block_size,
        done: Default::default(),
    };
    state::store(state_path, &st)?;
    Ok(st)
}

/// One block, resumed from the last byte received on transient failures.
async fn fetch_block(job: &Job, part: &Path, off: u64, len: u64) -> Result<(), FetchError> {
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .open(part)
        .await
        .map_err(io(part))?;
    let mut got = 0u64;
    let mut attempt = 0u32;
    while got < len {
        match read_into(job, &mut file, part, off + got, len - got).await {
            Ok(n) => got += n,
            Err((n, e)) => {
                got += n;
                if !e.is_transient() || attempt >= job.retries {
                    return Err(match e {
                        FetchError::Http { status: 412, .. } => FetchError::Changed {
                            blob: job.blob.name.clone(),
                        },
                        e => e,
                    });
                }
                attempt += 1;
                let ms = 200u64.saturating_mul(1 << attempt.min(6)).min(10_000);
                tokio::time::sleep(Duration::from_millis(ms)).await;
            }
        }
    }
    file.flush().await.map_err(io(part))?;
    Ok(())
}

/// Read `len` bytes at `off` into the file; on error, also say how many
/// bytes were written before it.
async fn read_into(
    job: &Job,
    file: &mut tokio::fs::File,
    part: &Path,
    off: u64,
    len: u64,
) -> Result<u64, (u64, FetchError)> {
    let mut body = job
        .store
        .read_range(&job.blob, off, len)
        .await
        .map_err(|e| (0, e))?;
    file.seek(std::io::SeekFrom::Start(off))
        .await
        .map_err(|e| (0, io(part)(e)))?;
    let mut n = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            (
                n,
                FetchError::from_sdk("read", &job.store.blob_url(&job.blob.name), &e),
            )
        })?;
        let take = (chunk.len() as u64).min(len - n);
        let bytes = chunk
            .get(..usize::try_from(take).unwrap_or(chunk.len()))
            .unwrap_or(&chunk);
        file.write_all(bytes).await.map_err(|e| (n, io(part)(e)))?;
        n += take;
        job.reporter.on_progress(job.id, take);
        if take < chunk.len() as u64 {
            return Err((
                n,
                FetchError::ShortRange {
                    blob: job.blob.name.clone(),
                    offset: off,
                    expected: len,
                    got: n + chunk.len() as u64 - take,
                },
            ));
        }
    }
    file.flush().await.map_err(|e| (n, io(part)(e)))?;
    if n < len {
        return Err((
            n,
            FetchError::ShortRange {
                blob: job.blob.name.clone(),
                offset: off,
                expected: len,
                got: n,
            },
        ));
    }
    Ok(n)
}

/// Length, and MD5 when the blob has one. A damaged file is removed.
async fn verify(blob: &BlobInfo, part: &Path, state_path: &Path) -> Result<(), FetchError> {
    let len = tokio::fs::metadata(part).await.map_err(io(part))?.len();
    if len != blob.size {
        state::remove(state_path)?;
        return Err(FetchError::ShortRange {
            blob: blob.name.clone(),
            offset: 0,
            expected: blob.size,
            got: len,
        });
    }
    let Some(expected) = blob.content_md5.clone() else {
        return Ok(());
    };
    let p = part.to_owned();
    let actual = tokio::task::spawn_blocking(move || md5_file(&p))
        .await
        .map_err(|e| FetchError::State {
            path: part.to_owned(),
            message: e.to_string(),
        })??;
    if actual != expected {
        state::remove(state_path)?;
        state::remove(part)?;
        return Err(FetchError::Md5Mismatch {
            blob: blob.name.clone(),
            expected,
            actual,
        });
    }
    Ok(())
}

fn md5_file(p: &Path) -> Result<String, FetchError> {
    let mut f = std::fs::File::open(p).map_err(io(p))?;
    let mut h = Md5::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(io(p))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(base64::engine::general_purpose::STANDARD.encode(h.finalize()))
}
