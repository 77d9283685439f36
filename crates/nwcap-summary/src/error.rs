//! One error enum for the crate. polars errors are kept as the `source` of a
//! variant that says what we were doing, so the CLI's `{:#}` prints both the
//! step and polars' own explanation.

use std::path::PathBuf;

use polars::prelude::PolarsError;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Errors from building, querying and writing flow tables.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A column does not have as many rows as the first column.
    #[error("column {name} has {len} rows, expected {expected}")]
    LengthMismatch {
        /// Column name.
        name: String,
        /// Its row count.
        len: usize,
        /// The row count of the first column.
        expected: usize,
    },
    /// Two columns share a name.
    #[error("duplicate column {0}")]
    DuplicateColumn(String),
    /// `--columns` or `--sort` named columns the table does not have.
    #[error("unknown column(s) {unknown}; valid columns: {valid}")]
    UnknownColumns {
        /// The unknown names, comma separated.
        unknown: String,
        /// The table's column names, comma separated.
        valid: String,
    },
    /// A `--sort` key that is not `COL`, `COL:asc` or `COL:desc`.
    #[error("invalid sort key {0:?}: expected COL, COL:asc or COL:desc")]
    InvalidSort(String),
    /// A `--format` value that is not known.
    #[error("unknown format {0:?}: expected table, csv, json, ndjson, parquet, zeek or zeek-json")]
    UnknownFormat(String),
    /// A format the output cannot be written in (Zeek's logs are for the
    /// flow table).
    #[error("{0}")]
    Unsupported(&'static str),
    /// A `top --by` value that is not known.
    #[error(
        "unknown aggregate {0:?}: expected talkers, ports, services, protocols or conversations"
    )]
    UnknownTopBy(String),
    /// `top` needs a column the table does not have.
    #[error("top by {by} needs column {column}, which the flow table does not have")]
    MissingColumn {
        /// The aggregate asked for.
        by: &'static str,
        /// The missing column.
        column: &'static str,
    },
    /// The `--sql` query failed (parse, planning or execution): one short
    /// message.
    #[error("sql: {0}")]
    Sql(String),
    /// Any other polars operation failed.
    #[error("{context}")]
    Polars {
        /// What we were doing.
        context: &'static str,
        /// polars' error.
        #[source]
        source: PolarsError,
    },
    /// A bad `--partition-by` (or nothing left to write besides the
    /// partition columns).
    #[error("{0}")]
    InvalidPartition(String),
    /// Reading or writing a file (or stdout) failed.
    #[error("{action} {}", path.display())]
    Io {
        /// What we were doing ("writing", "creating temp file for" ...).
        action: &'static str,
        /// The file; `<stdout>` for standard output.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Wrap a polars error with what we were doing.
    pub(crate) fn polars(context: &'static str) -> impl FnOnce(PolarsError) -> Error {
        move |source| Error::Polars { context, source }
    }

    /// True when the error is a closed pipe on output (`nwcap flows | head`),
    /// which a CLI usually treats as a normal end.
    pub fn is_broken_pipe(&self) -> bool {
        let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(self);
        while let Some(e) = cur {
            if let Some(io) = e.downcast_ref::<std::io::Error>()
                && io.kind() == std::io::ErrorKind::BrokenPipe
            {
                return true;
            }
            if let Some(PolarsError::IO { error, .. }) = e.downcast_ref::<PolarsError>()
                && error.kind() == std::io::ErrorKind::BrokenPipe
            {
                return true;
            }
            cur = e.source();
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::Arc;

    use super::*;

    #[test]
    fn broken_pipe_is_found_through_the_chain() {
        let pipe = || io::Error::new(io::ErrorKind::BrokenPipe, "pipe");
        let direct = Error::Io {
            action: "writing",
            path: PathBuf::from("<stdout>"),
            source: pipe(),
        };
        assert!(direct.is_broken_pipe());
        assert_eq!(direct.to_string(), "writing <stdout>");
        let wrapped = Error::Polars {
            context: "writing csv",
            source: PolarsError::IO {
                error: Arc::new(pipe()),
                msg: None,
            },
        };
        assert!(wrapped.is_broken_pipe());
        let other = Error::Polars {
            context: "writing csv",
            source: PolarsError::IO {
                error: Arc::new(io::Error::other("disk full")),
                msg: None,
            },
        };
        assert!(!other.is_broken_pipe());
        assert!(!Error::InvalidSort("x".into()).is_broken_pipe());
    }
}
