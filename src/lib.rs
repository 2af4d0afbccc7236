//! # netskope-arrow
//!
//! Turns Netskope security logs (REST API v1 and v2 `dataexport` NDJSON) into typed Apache
//! Arrow tables and Parquet, without losing a byte of meaning.
//!
//! * Every record is routed to one of nine tables ([`Table`]) with a fixed schema derived from
//!   Netskope's official field dictionary (`schema/columns.csv`, documented in `docs/schema.md`).
//! * Values are coerced by documented rules (numbers sent as strings, `"yes"`/`"no"` booleans,
//!   placeholders such as `"N/A"`, epoch seconds or milliseconds, 64-bit IDs parsed exactly).
//! * Nothing is lost: unknown keys and values that cannot be coerced are kept per row in the
//!   `_extra` column (JSON text), and every line that is not a JSON object becomes a
//!   [`Reject`] with its source, line number, byte offset, reason and raw bytes.
//!
//! ```
//! use netskope_arrow::{read_all, Table};
//! let ndjson = br#"{"timestamp":1736151783,"type":"admin_audit_logs","user":"a@example.com","severity_level":1,"unknown_key":"kept"}
//! {"truncated":
//! "#;
//! let tables = read_all(&ndjson[..], Default::default()).unwrap();
//! let audit = tables.concat(Table::Audit);
//! assert_eq!(audit.num_rows(), 1);
//! let extra = audit.column_by_name("_extra").unwrap();
//! let extra = extra.as_any().downcast_ref::<arrow_array::StringArray>().unwrap();
//! assert_eq!(extra.value(0), r#"{"unknown_key":"kept"}"#);
//! assert_eq!(tables.rejects[0].line, 2);
//! ```
//!
//! The core is pure Rust with no bindings: the Python and WebAssembly packages are thin layers
//! over [`Decoder`]. The decoder and the writers run on the caller's thread (unless a writer is
//! given more with [`TableWriter::set_threads`]); only [`decode_readers`] and the functions built
//! on it ([`read_readers`], [`convert_readers`], [`convert_files`]) start threads: they cut the
//! input into blocks of whole lines, decode the blocks on every core and hand the output on in
//! input order ([`ReadOptions::threads`]); the convert functions also encode each table on a
//! thread of its own, which shares a table's columns with as many threads as decode.
#![warn(missing_docs)]

#[cfg(all(
    feature = "jemalloc",
    not(any(target_env = "msvc", target_family = "wasm"))
))]
mod allocator;
mod builder;
mod coerce;
mod column;
mod convert;
mod decoder;
mod encode;
mod error;
mod fields;
mod find;
mod input;
mod json;
mod keys;
mod limits;
mod pipeline;
mod pool;
mod read;
mod reject;
mod route;
mod schema;
mod write;

/// The README's Rust examples run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use coerce::PLACEHOLDERS;
pub use convert::{convert_files, convert_readers, ConvertOptions, Summary};
pub use decoder::{Decoder, DecoderOptions, Stats, DEFAULT_BATCH_BYTES};
pub use error::{Error, Result};
pub use input::{
    decompressed, decompressed_with_limits, open, open_input, open_raw, CountingReader, Input,
    InputCompression,
};
pub use limits::Limits;
pub use pipeline::{decode_readers, Output, ReadOptions};
pub use read::{
    decode_source, read_all, read_error, read_readers, BatchReader, Tables, CHUNK_SIZE,
};
pub use reject::{rejects_batch, rejects_schema, Reject};
pub use schema::{
    columns, schema, schema_json, Column, ColumnKind, Table, COLUMNS_CSV, EXTRA_COLUMN,
    SRC_TIME_LOCAL_COLUMN, UTC,
};
pub use write::{
    is_high_cardinality, Compression, DirectoryWriter, OutputFormat, TableFile, TableWriter,
    WriteOptions, REJECTS_FILE,
};
