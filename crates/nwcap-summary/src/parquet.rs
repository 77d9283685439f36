//! Parquet writing with page encoding and compression on every core.
//!
//! polars' batched writer encodes a row group's columns one after the
//! other (`encode_and_compress`), on the thread that asks, and compresses
//! the pages while the file is written; for a flow table of some ninety
//! columns those serial parts were most of the output time.
//! [`RowGroupWriter`] encodes and compresses each column chunk on its own
//! rayon task (all its pages: a dictionary-encoded column has two), and
//! several row groups at once, then hands the finished pages to polars'
//! file writer in order. The schema, encodings, options and compression
//! are polars' own, so the bytes are exactly those of polars' own writer
//! with the same options (a test compares them).

use std::io::Write;

use nwcap_flows::schema::IDENTIFIER_COLUMNS;
use polars::io::parquet::write::{BatchedWriter, get_encodings};
use polars::prelude::*;
use polars_parquet::parquet::CowBuffer;
use polars_parquet::parquet::compression::{Compression, CompressionOptions};
use polars_parquet::parquet::page::{CompressedDictPage, DataPageHeader};
use polars_parquet::write::{CompressedDataPage, Page};
use polars_parquet::write::{
    CompressedPage, DynIter, DynStreamingIterator, Encoding, FallibleStreamingIterator,
    ParquetType, StatisticsOptions, Version, WriteOptions, array_to_columns, compress,
    to_parquet_schema,
};
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

/// The compression of every Parquet file of nwcap: zstd level 1 (4x
/// smaller than plain, about the speed of snappy here).
fn compression() -> ParquetCompression {
    ParquetCompression::Zstd(polars::polars_utils::compression::ZstdLevel::try_new(ZSTD_LEVEL).ok())
}

/// The zstd level of [`compression`] (also [`compress_page`]'s).
const ZSTD_LEVEL: i32 = 1;

/// polars' writer with nwcap's options: [`compression`], `rows` per row
/// group, everything else polars' default.
pub(crate) fn writer<W: Write>(w: W, rows: usize) -> ParquetWriter<W> {
    ParquetWriter::new(w)
        .with_compression(compression())
        .with_row_group_size(Some(rows))
}

/// True for columns written plain, without trying a dictionary: floats
/// (measures: rates, means, seconds) and the flow table's identifiers
/// ([`IDENTIFIER_COLUMNS`]). polars tries a
/// dictionary for every column and first estimates its distinct values
/// (a HyperLogLog over every value: 4 % of a million-flow run). For a
/// float column the attempt then fails (polars casts no floats to a
/// dictionary) and the column is written plain: the same bytes, without
/// the estimate. For the identifiers the estimate says "plain" whenever a
/// row group has over 128 rows; a smaller one (the last of a file) used
/// to get a dictionary of unique values, which only made it larger.
fn plain_by_design(field: &ArrowField) -> bool {
    matches!(field.dtype, ArrowDataType::Float64 | ArrowDataType::Float32)
        || IDENTIFIER_COLUMNS.contains(&field.name.as_str())
}

/// A column chunk's pages, compressed.
type Pages = DynStreamingIterator<'static, CompressedPage, PolarsError>;

/// A Parquet file written row group by row group, each row group's
/// columns encoded in parallel.
pub(crate) struct RowGroupWriter<W: Write> {
    /// polars' writer: the file's layout, metadata and footer.
    batched: BatchedWriter<W>,
    /// Each column's Parquet type, as polars' writer derives it.
    fields: Vec<ParquetType>,
    /// Each column's encodings, as polars' writer chooses them.
    encodings: Vec<Vec<Encoding>>,
    /// The options of [`writer`] (what `ParquetWriter` gives its batched
    /// writer).
    options: WriteOptions,
}

impl<W: Write + Send> RowGroupWriter<W> {
    /// Starts a file of `schema` on `w`, at most `rows` rows per row
    /// group.
    pub(crate) fn new(w: W, rows: usize, schema: &Schema) -> PolarsResult<Self> {
        let batched = writer(w, rows).batched(schema)?;
        let arrow = schema.to_arrow(CompatLevel::newest());
        Ok(RowGroupWriter {
            batched,
            fields: to_parquet_schema(&arrow)?.fields().to_vec(),
            encodings: get_encodings(&arrow)
                .iter()
                .zip(arrow.iter_values())
                .map(|(e, field)| {
                    if plain_by_design(field) {
                        vec![Encoding::Plain; e.len()]
                    } else {
                        e.clone()
                    }
                })
                .collect(),
            options: WriteOptions {
                statistics: StatisticsOptions::default(),
                compression: compression().into(),
                version: Version::V1,
                data_page_size: None,
            },
        })
    }

    /// Writes each frame of `groups` (at most one row group's rows each)
    /// as the next row groups: all of them encoded at once, every column
    /// on its own task, then written in order.
    pub(crate) fn write(&self, groups: &[DataFrame]) -> PolarsResult<()> {
        let prepared: Vec<PolarsResult<Vec<Group>>> =
            groups.par_iter().map(|df| self.encode(df)).collect();
        let mut file = self
            .batched
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

    /// Writes the footer; the file is complete.
    pub(crate) fn finish(&self) -> PolarsResult<u64> {
        self.batched.finish()
    }

    /// One frame's row groups (one per chunk after rechunking to
    /// `df.height()` rows), columns encoded in parallel.
    fn encode(&self, df: &DataFrame) -> PolarsResult<Vec<Group>> {
        let rows = df.height().max(1);
        let mut df = df.clone();
        let df = polars::frame::chunk_df_for_writing(&mut df, rows)?.into_owned();
        df.iter_chunks(CompatLevel::newest(), false)
            .filter(|batch| !batch.is_empty())
            .map(|batch| {
                let columns: Vec<PolarsResult<Vec<Pages>>> = batch
                    .columns()
                    .par_iter()
                    .zip(&self.fields)
                    .zip(&self.encodings)
                    .map(|((array, type_), encoding)| self.column(array, type_, encoding))
                    .collect();
                let mut pages = Vec::with_capacity(columns.len());
                for c in columns {
                    pages.extend(c?.into_iter().map(Ok));
                }
                Ok((batch.len() as u64, DynIter::new(pages.into_iter())))
            })
            .collect()
    }

    /// One column chunk: its pages encoded (polars' `array_to_columns`)
    /// and compressed, here.
    fn column(
        &self,
        array: &ArrayRef,
        type_: &ParquetType,
        encoding: &[Encoding],
    ) -> PolarsResult<Vec<Pages>> {
        let options = self.options;
        let encoded = array_to_columns(array, type_.clone(), options, encoding)?;
        encoded
            .into_iter()
            .map(|pages| {
                let mut done = Vec::new();
                for page in pages {
                    done.push(compress_page(page?, options.compression)?);
                }
                Ok(DynStreamingIterator::new(Compressed::new(done)))
            })
            .collect()
    }
}

thread_local! {
    /// Each worker's zstd context, made once: polars' `compress` makes
    /// one per page (`ZSTD_createCCtx`, its tables allocated and zeroed),
    /// which was 2 % of a million-flow run.
    static ZSTD: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

/// Compresses one page as polars' `compress` does (the same bytes: zstd's
/// output depends on the level and the input, not on the context), with
/// the worker's zstd context; other compressions go to polars.
fn compress_page(page: Page, compression: CompressionOptions) -> PolarsResult<CompressedPage> {
    let CompressionOptions::Zstd(Some(level)) = compression else {
        return Ok(compress(page, Vec::new(), compression)?);
    };
    if level.compression_level() != ZSTD_LEVEL {
        return Ok(compress(page, Vec::new(), compression)?);
    }
    // Into a new buffer: zstd's `compress_to_buffer` writes a `Vec` from
    // its start.
    let squeeze = |data: &[u8]| -> PolarsResult<Vec<u8>> {
        ZSTD.with_borrow_mut(|c| {
            let c = match c {
                Some(c) => c,
                None => c.insert(zstd::bulk::Compressor::new(ZSTD_LEVEL)?),
            };
            let mut out = Vec::with_capacity(zstd::zstd_safe::compress_bound(data.len()));
            c.compress_to_buffer(data, &mut out)?;
            Ok(out)
        })
        .map_err(|e: std::io::Error| polars_err!(ComputeError: "zstd: {e}"))
    };
    match page {
        Page::Data(p) => {
            let data = p.buffer();
            // A v2 page keeps its levels uncompressed, before the values.
            let plain = match p.header() {
                DataPageHeader::V1(_) => 0,
                DataPageHeader::V2(h) => usize::try_from(
                    i64::from(h.repetition_levels_byte_length)
                        + i64::from(h.definition_levels_byte_length),
                )
                .unwrap_or(0)
                .min(data.len()),
            };
            let mut out = squeeze(&data[plain..])?;
            if plain > 0 {
                out.splice(0..0, data[..plain].iter().copied());
            }
            let rows = p
                .num_rows()
                .ok_or_else(|| polars_err!(ComputeError: "parquet page without a row count"))?;
            Ok(CompressedPage::Data(CompressedDataPage::new(
                p.header().clone(),
                CowBuffer::Owned(out),
                Compression::Zstd,
                data.len(),
                p.descriptor.clone(),
                rows,
            )))
        }
        Page::Dict(p) => Ok(CompressedPage::Dict(CompressedDictPage::new(
            CowBuffer::Owned(squeeze(&p.buffer)?),
            Compression::Zstd,
            p.buffer.len(),
            p.num_values,
            p.is_sorted,
        ))),
    }
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
    let file = RowGroupWriter::new(w, rows, df.schema())?;
    let groups: Vec<DataFrame> = df.split_chunks().collect();
    // Waves of one row group per thread: memory holds the encoded pages of
    // one wave, not of the whole file (1 M flows are 16 row groups).
    let wave = rayon::current_num_threads().max(1);
    for groups in groups.chunks(wave) {
        file.write(groups)?;
    }
    file.finish().map(|_| ())
}

/// A column chunk's pages, compressed, handed out in order.
struct Compressed {
    pages: std::vec::IntoIter<CompressedPage>,
    current: Option<CompressedPage>,
}

impl Compressed {
    fn new(pages: Vec<CompressedPage>) -> Self {
        Compressed {
            pages: pages.into_iter(),
            current: None,
        }
    }
}

impl FallibleStreamingIterator for Compressed {
    type Item = CompressedPage;
    type Error = PolarsError;

    fn advance(&mut self) -> Result<(), PolarsError> {
        self.current = self.pages.next();
        Ok(())
    }

    fn get(&self) -> Option<&CompressedPage> {
        self.current.as_ref()
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
                "d" => (lo..hi).map(|i| i as f64 / 7.0).collect::<Vec<_>>(),
                "e" => (lo..hi).map(|i| i % 5 == 0).collect::<Vec<_>>(),
                "ts" => (lo..hi).map(|i| 1_700_000_000_000_000 + i as i64).collect::<Vec<_>>(),
                "dur" => (lo..hi).map(|i| (i % 11 != 0).then_some(i as i64)).collect::<Vec<_>>(),
            )
            .and_then(|df| {
                // The flow table's time types: timestamps in µs UTC,
                // durations in µs.
                let utc = Some(TimeZone::UTC);
                df.lazy()
                    .with_columns([
                        col("ts").cast(DataType::Datetime(TimeUnit::Microseconds, utc)),
                        col("dur").cast(DataType::Duration(TimeUnit::Microseconds)),
                    ])
                    .collect()
            })
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
