//! The one error type of the library.

use std::path::PathBuf;

/// Everything that can stop a conversion. Bad lines are not errors: they become
/// [`Reject`](crate::Reject)s and the conversion goes on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Input {
        /// The input's name.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An output could not be written.
    #[error("cannot write {path}: {source}")]
    Output {
        /// The output's path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Any other I/O error (standard streams, caller-supplied readers and writers).
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A compressed input is corrupt or truncated.
    #[error("cannot decompress {path}: {message}")]
    Decompress {
        /// The input's name.
        path: PathBuf,
        /// What the decompressor said.
        message: String,
    },
    /// An argument or option is unusable (unknown table, bad compression level, ...).
    #[error("{0}")]
    InvalidArgument(String),
    /// A feature this build was compiled without (e.g. zstd).
    #[error("{0} support is not compiled into this build")]
    Unsupported(&'static str),
    /// Arrow failed (building a batch, writing IPC).
    #[error("arrow: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    /// The Parquet writer failed.
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
