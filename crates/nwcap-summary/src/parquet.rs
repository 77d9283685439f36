//! Parquet writing with page encoding and compression on every core.
//!
//! polars' `ParquetWriter` prepares a row group's columns in parallel, but
//! its pages are encoded and compressed (zstd) lazily, on the one thread
//! that writes the file: for a flow table that serial part was most of the
//! output time. Here each row group is prepared on its own rayon task and
//! every column chunk's first page (a flow table's column chunk is mostly
//! one page) is encoded and compressed in parallel ([`Primed`]) before the
//! row groups are written, in order, one wave of as many row groups as
//! threads at a time (so memory holds one wave's pages). The bytes are exactly those of
//! polars' own writer with the same options (a test compares them).

use std::io::Write;

use polars::prelude::*;
use polars_parquet::write::{DynIter, DynStreamingIterator, FallibleStreamingIterator};
use rayon::prelude::*;

/// An output shared between its owner and polars' Parquet writer, which
/// owns its `Write`: the owner takes the output back ([`Shared::take`]) to
/// flush and close it; writes after that fail.
pub(crate) struct Shared<W>(std::sync::Arc<std::sync::Mutex<Option<W>>>);

impl<W> Clone for Shared<W> {
    fn clone(&self) -> Self {
        Shared(std::sync::Arc::clone(&self.0))
    }
}

impl<W> Shared<W> {
    pub(crate) fn new(w: W) -> Self {
        Shared(std::sync::Arc::new(std::sync::Mutex::new(Some(w))))
    }

    /// The output, taken back (`None` once taken).
    pub(crate) fn take(&self) -> Option<W> {
        self.0.lock().ok().and_then(|mut w| w.take())
    }
}

impl<W: Write> Write for Shared<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.0.lock().as_deref_mut() {
            Ok(Some(w)) => w.write(buf),
            _ => Err(std::io::Error::other("output already closed")),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.0.lock().as_deref_mut() {
            Ok(Some(w)) => w.flush(),
            _ => Ok(()),
        }
    }
}

/// The options every Parquet file of nwcap is written with: zstd level 1
/// (4x smaller than plain, about the speed of snappy here), `rows` per row
/// group.
pub(crate) fn writer<W: Write>(w: W, rows: usize) -> ParquetWriter<W> {
    ParquetWriter::new(w)
        .with_compression(ParquetCompression::Zstd(
            polars::polars_utils::compression::ZstdLevel::try_new(1).ok(),
        ))
        .with_row_group_size(Some(rows))
}

/// A row group ready to write: its row count and column chunks.
type Group = (u64, RowGroupIterColumns<'static, PolarsError>);

/// Write `df` as Parquet to `w`, `rows` rows per row group (at most).
pub(crate) fn write_parquet<W: Write + Send>(
    df: &mut DataFrame,
    rows: usize,
    w: W,
) -> PolarsResult<()> {
    // Owned: a frame is a list of shared column handles, cheap to clone.
    let mut df = polars::frame::chunk_df_for_writing(df, rows)?.into_owned();
    let batched = writer(w, rows).batched(df.schema())?;
    let groups: Vec<DataFrame> = df.split_chunks().collect();
    // Waves of one row group per thread: memory holds the encoded pages of
    // one wave, not of the whole file (1 M flows are 16 row groups).
    let wave = rayon::current_num_threads().max(1);
    for groups in groups.chunks(wave) {
        let prepared: Vec<PolarsResult<Vec<Group>>> = groups
            .par_iter()
            .map(|g| {
                batched
                    .encode_and_compress(g)
                    .map(|rg| Ok((g.height() as u64, primed(rg?))))
                    .collect()
            })
            .collect();
        let mut file = batched
            .get_writer()
            .lock()
            .map_err(|_| polars_err!(ComputeError: "parquet writer lock poisoned"))?;
        for group in prepared {
            for (rows, rg) in group? {
                file.write(rows, rg)?;
            }
        }
    }
    batched.finish().map(|_| ())
}

/// Writes each frame of `groups` (at most one row group's rows each) as
/// the next row group of `batched`: the groups are prepared on their own
/// rayon tasks and every column's first page is encoded and compressed in
/// parallel, then they are written in order.
pub(crate) fn encode_row_groups<W: Write + Send>(
    batched: &polars::io::parquet::write::BatchedWriter<W>,
    groups: &[DataFrame],
) -> PolarsResult<()> {
    let prepared: Vec<PolarsResult<Vec<Group>>> = groups
        .par_iter()
        .map(|df| {
            let rows = df.height().max(1);
            let mut df = df.clone();
            let df = polars::frame::chunk_df_for_writing(&mut df, rows)?.into_owned();
            batched
                .encode_and_compress(&df)
                .map(|rg| Ok((df.height() as u64, primed(rg?))))
                .collect()
        })
        .collect();
    let mut file = batched
        .get_writer()
        .lock()
        .map_err(|_| polars_err!(ComputeError: "parquet writer lock poisoned"))?;
    for group in prepared {
        for (rows, rg) in group? {
            file.write(rows, rg)?;
        }
    }
    Ok(())
}

/// Writes `df` (at most one row group's rows) as the next row group of
/// `batched`.
pub(crate) fn encode_row_group<W: Write + Send>(
    batched: &polars::io::parquet::write::BatchedWriter<W>,
    df: &DataFrame,
) -> PolarsResult<()> {
    encode_row_groups(batched, std::slice::from_ref(df))
}

/// The row group with each column's first page encoded and compressed, in
/// parallel.
fn primed(
    rg: RowGroupIterColumns<'static, PolarsError>,
) -> RowGroupIterColumns<'static, PolarsError> {
    let mut cols: Vec<PolarsResult<Primed<_>>> = rg.map(|c| c.map(Primed::new)).collect();
    cols.par_iter_mut().for_each(|c| {
        if let Ok(c) = c {
            c.prime();
        }
    });
    DynIter::new(cols.into_iter().map(|c| c.map(DynStreamingIterator::new)))
}

/// A streaming iterator advanced once ahead of its consumer: the first
/// `advance` of the consumer is then free (or returns the error the early
/// one met).
struct Primed<I: FallibleStreamingIterator> {
    inner: I,
    ahead: bool,
    error: Option<I::Error>,
}

impl<I: FallibleStreamingIterator> Primed<I> {
    fn new(inner: I) -> Self {
        Primed {
            inner,
            ahead: false,
            error: None,
        }
    }

    fn prime(&mut self) {
        match self.inner.advance() {
            Ok(()) => self.ahead = true,
            Err(e) => self.error = Some(e),
        }
    }
}

impl<I: FallibleStreamingIterator> FallibleStreamingIterator for Primed<I> {
    type Item = I::Item;
    type Error = I::Error;

    fn advance(&mut self) -> Result<(), I::Error> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        if std::mem::take(&mut self.ahead) {
            return Ok(());
        }
        self.inner.advance()
    }

    fn get(&self) -> Option<&I::Item> {
        self.inner.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(rows: usize) -> DataFrame {
        let n = rows as u64;
        let chunk = |lo: u64, hi: u64| {
            df!(
                "a" => (lo..hi).collect::<Vec<u64>>(),
                "b" => (lo..hi).map(|i| format!("host-{}", i % 97)).collect::<Vec<_>>(),
                "c" => (lo..hi).map(|i| (i % 3 != 0).then_some(i as u32)).collect::<Vec<_>>(),
            )
            .expect("frame")
        };
        let mut df = chunk(0, n / 3);
        df.vstack_mut(&chunk(n / 3, 2 * n / 3)).expect("vstack");
        df.vstack_mut(&chunk(2 * n / 3, n)).expect("vstack");
        df
    }

    /// Same bytes as polars' own writer, for one and several row groups.
    #[test]
    fn bytes_equal_polars_own_writer() {
        for (rows, per_group) in [(10, 4096), (30_000, 10_000), (30_000, 4096)] {
            let mut df = frame(rows);
            let mut ours = Vec::new();
            write_parquet(&mut df, per_group, &mut ours).expect("ours");
            let mut theirs = Vec::new();
            writer(&mut theirs, per_group)
                .finish(&mut df)
                .expect("polars");
            assert_eq!(ours, theirs, "{rows} rows, {per_group} per group");
            let back = ParquetReader::new(std::io::Cursor::new(ours))
                .finish()
                .expect("read back");
            assert!(back.equals_missing(&df));
        }
    }
}
