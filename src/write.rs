//! Writers: one Parquet or Arrow IPC output per table, and a directory of them.

use std::fmt;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_ipc::writer::{FileWriter, StreamWriter};
use parquet::basic::{GzipLevel, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterPropertiesBuilder};
use parquet::schema::types::ColumnPath;

use crate::encode::ParquetWriter;
use crate::error::{Error, Result};
use crate::pool::Pool;
use crate::reject::Reject;
use crate::schema::{Column, ColumnKind, Table};

/// Output file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// Apache Parquet (`.parquet`).
    #[default]
    Parquet,
    /// Arrow IPC file format (`.arrow`).
    Ipc,
}

impl OutputFormat {
    /// File extension without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Parquet => "parquet",
            OutputFormat::Ipc => "arrow",
        }
    }
}

impl FromStr for OutputFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "parquet" => Ok(OutputFormat::Parquet),
            "ipc" | "arrow" => Ok(OutputFormat::Ipc),
            _ => Err(Error::InvalidArgument(format!(
                "unknown format {s:?}; expected parquet or ipc"
            ))),
        }
    }
}

/// Parquet compression codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// zstd at a level from 1 to 22 (default 1, as in Arrow C++ / pyarrow: on Netskope logs,
    /// level 3 made files 1.1% smaller for 23% more peak memory and 5% more time).
    /// Needs the `zstd` feature.
    Zstd(i32),
    /// Snappy.
    Snappy,
    /// LZ4 raw blocks (`LZ4_RAW`, not the deprecated Hadoop framing).
    Lz4Raw,
    /// gzip at a level from 0 to 9 (default 6).
    Gzip(u32),
    /// No compression.
    None,
}

impl Default for Compression {
    fn default() -> Self {
        if cfg!(feature = "zstd") {
            Compression::Zstd(1)
        } else {
            Compression::Snappy
        }
    }
}

impl FromStr for Compression {
    type Err = Error;

    /// Parses `zstd`, `zstd:LEVEL`, `snappy`, `lz4_raw` (or `lz4`), `gzip`, `gzip:LEVEL`,
    /// `none` (or `uncompressed`).
    ///
    /// ```
    /// use netskope_arrow::Compression;
    /// assert_eq!("zstd:9".parse::<Compression>().unwrap(), Compression::Zstd(9));
    /// assert!("brotli".parse::<Compression>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self> {
        let lower = s.trim().to_ascii_lowercase();
        let (name, level) = match lower.split_once(':') {
            Some((n, l)) => (n, Some(l)),
            None => (lower.as_str(), None),
        };
        let bad = || Error::InvalidArgument(format!("bad compression level in {s:?}"));
        let c = match (name, level) {
            ("zstd", None) => Compression::Zstd(1),
            ("zstd", Some(l)) => {
                let l: i32 = l.parse().map_err(|_| bad())?;
                if !(1..=22).contains(&l) {
                    return Err(bad());
                }
                Compression::Zstd(l)
            }
            ("gzip", None) => Compression::Gzip(6),
            ("gzip", Some(l)) => {
                let l: u32 = l.parse().map_err(|_| bad())?;
                if l > 9 {
                    return Err(bad());
                }
                Compression::Gzip(l)
            }
            ("snappy", None) => Compression::Snappy,
            ("lz4" | "lz4_raw" | "lz4raw", None) => Compression::Lz4Raw,
            ("none" | "uncompressed", None) => Compression::None,
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "unknown compression {s:?}; expected zstd[:LEVEL], snappy, lz4_raw, gzip[:LEVEL] or none"
                )))
            }
        };
        if matches!(c, Compression::Zstd(_)) && !cfg!(feature = "zstd") {
            return Err(Error::Unsupported("zstd"));
        }
        Ok(c)
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Compression::Zstd(l) => write!(f, "zstd:{l}"),
            Compression::Snappy => f.write_str("snappy"),
            Compression::Lz4Raw => f.write_str("lz4_raw"),
            Compression::Gzip(l) => write!(f, "gzip:{l}"),
            Compression::None => f.write_str("none"),
        }
    }
}

impl Compression {
    fn to_parquet(self) -> Result<parquet::basic::Compression> {
        use parquet::basic::Compression as P;
        Ok(match self {
            Compression::Zstd(l) => P::ZSTD(ZstdLevel::try_new(l)?),
            Compression::Snappy => P::SNAPPY,
            Compression::Lz4Raw => P::LZ4_RAW,
            Compression::Gzip(l) => P::GZIP(GzipLevel::try_new(l)?),
            Compression::None => P::UNCOMPRESSED,
        })
    }
}

/// How tables are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOptions {
    /// Parquet or Arrow IPC.
    pub format: OutputFormat,
    /// Parquet codec (ignored for IPC).
    pub compression: Compression,
    /// Most rows in one Parquet row group (default 1,048,576).
    pub row_group_rows: usize,
    /// A Parquet row group is closed once its encoded size passes this many bytes
    /// (default 24 MiB); this bounds the writer's memory per table, which holds a row group's
    /// pages, and the open page of each column, until it is closed. On the mixed benchmark
    /// corpus, 32 MiB made files 1% smaller for 9% more peak memory; 16 MiB, 2.4% larger.
    pub row_group_bytes: usize,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            format: OutputFormat::Parquet,
            compression: Compression::default(),
            row_group_rows: 1 << 20,
            row_group_bytes: 24 << 20,
        }
    }
}

impl WriteOptions {
    /// The Parquet writer properties these options stand for: page-level statistics,
    /// dictionary encoding, bounded row groups, `created_by` naming this library.
    pub fn parquet_properties(&self) -> Result<WriterProperties> {
        Ok(self.properties_builder()?.build())
    }

    /// [`WriteOptions::parquet_properties`] for one table: dictionary encoding is kept only for
    /// its string columns (and string lists) whose values repeat, not for those whose values
    /// are mostly distinct (see [`is_high_cardinality`]), where a dictionary costs time and
    /// then falls back to plain encoding anyway. Numbers, booleans and timestamps are written
    /// plain: zstd compresses repeated plain values as well as a dictionary would. On the
    /// benchmark corpus, dictionaries on integer columns made the files 4.5% larger, the
    /// conversion 3% slower and its peak memory 30 MiB higher.
    pub fn parquet_properties_for(&self, table: Table) -> Result<WriterProperties> {
        let mut b = self.properties_builder()?;
        for c in crate::schema::columns(table) {
            let dictionary = matches!(
                c.kind,
                ColumnKind::String | ColumnKind::StringList | ColumnKind::SupportingData
            ) && !is_high_cardinality(c);
            if !dictionary {
                b = b.set_column_dictionary_enabled(ColumnPath::from(c.name), false);
            }
            if c.kind == ColumnKind::Json {
                // Min / max of JSON text (`_extra` included) prune nothing: not computed.
                b = b.set_column_statistics_enabled(
                    ColumnPath::from(c.name),
                    EnabledStatistics::None,
                );
            }
        }
        Ok(b.build())
    }

    fn properties_builder(&self) -> Result<WriterPropertiesBuilder> {
        Ok(WriterProperties::builder()
            .set_compression(self.compression.to_parquet()?)
            .set_statistics_enabled(EnabledStatistics::Page)
            .set_max_row_group_row_count(Some(self.row_group_rows.max(1)))
            .set_max_row_group_bytes(Some(self.row_group_bytes.max(1)))
            // Pages close at `DEFAULT_PAGE_SIZE` (1 MiB) of data, not after 20,000 rows: with a
            // row limit, each of a wide table's ~700 mostly empty columns compresses a page
            // mid-row-group and keeps a zstd context of its own alive (~150 KiB each; 150 MiB
            // at the peak). Without it those columns are compressed one at a time as the row
            // group closes, and their single page per row group also makes files smaller.
            .set_data_page_row_count_limit(self.row_group_rows.max(1))
            .set_created_by(concat!("netskope-arrow ", env!("CARGO_PKG_VERSION")).to_string()))
    }
}

/// Whether a column's values are mostly distinct, so that Parquet dictionary encoding does not
/// pay: timestamps, floats (coordinates), JSON text, `_extra`, 64-bit IDs (`*id` integers),
/// record IDs (`_id`), URLs and hashes. Low-cardinality columns (app, category, activity,
/// access_method, user, ...) keep dictionary encoding.
///
/// ```
/// use netskope_arrow::{columns, is_high_cardinality, Table};
/// let col = |n: &str| columns(Table::Application).iter().find(|c| c.name == n).unwrap();
/// assert!(is_high_cardinality(col("transaction_id")) && is_high_cardinality(col("url")));
/// assert!(!is_high_cardinality(col("app")) && !is_high_cardinality(col("activity")));
/// ```
pub fn is_high_cardinality(c: &Column) -> bool {
    let n = c.name;
    match c.kind {
        ColumnKind::Timestamp | ColumnKind::LocalTimestamp | ColumnKind::Float64 => true,
        ColumnKind::Json => true,
        ColumnKind::Int64 => n.ends_with("id") || n.ends_with("_id"),
        ColumnKind::String => {
            n == "_id"
                || n.ends_with("url")
                || n.contains("hash")
                || n.contains("md5")
                || n.contains("sha1")
                || n.contains("sha256")
        }
        ColumnKind::Bool | ColumnKind::StringList | ColumnKind::SupportingData => false,
    }
}

enum Inner<W: Write + Send> {
    Parquet(Box<ParquetWriter<W>>),
    Ipc(FileWriter<W>),
    Stream(StreamWriter<W>),
}

/// Writes the batches of one table to any `Write` as Parquet, an Arrow IPC file or an Arrow
/// IPC stream.
///
/// ```
/// use netskope_arrow::{read_all, TableWriter, Table, WriteOptions};
/// let tables = read_all(&b"{\"type\":\"admin_audit_logs\",\"timestamp\":1}\n"[..], Default::default()).unwrap();
/// let mut w = TableWriter::new(Vec::new(), Table::Audit, &WriteOptions::default()).unwrap();
/// for batch in tables.batches(Table::Audit) { w.write(batch).unwrap(); }
/// let bytes = w.finish().unwrap();
/// assert_eq!(&bytes[..4], b"PAR1");
/// ```
pub struct TableWriter<W: Write + Send> {
    inner: Inner<W>,
}

impl<W: Write + Send> TableWriter<W> {
    /// Starts writing `table` in the format of `options`.
    pub fn new(out: W, table: Table, options: &WriteOptions) -> Result<Self> {
        let schema = table.schema();
        let inner = match options.format {
            OutputFormat::Parquet => Inner::Parquet(Box::new(ParquetWriter::try_new(
                out,
                schema,
                options.parquet_properties_for(table)?,
            )?)),
            OutputFormat::Ipc => Inner::Ipc(FileWriter::try_new(out, &schema)?),
        };
        Ok(TableWriter { inner })
    }

    /// Starts writing `table` as an Arrow IPC *stream* (what apache-arrow's `tableFromIPC`
    /// and `pyarrow.ipc.open_stream` read).
    pub fn new_ipc_stream(out: W, table: Table) -> Result<Self> {
        Ok(TableWriter {
            inner: Inner::Stream(StreamWriter::try_new(out, &table.schema())?),
        })
    }

    /// Encodes the columns of a Parquet file on up to `threads` threads (the calling one
    /// included; the default is 1). The file's bytes are the same for every value; Arrow IPC
    /// is always written on the calling thread.
    pub fn set_threads(&mut self, threads: usize) {
        if let Inner::Parquet(w) = &mut self.inner {
            w.set_threads(threads);
        }
    }

    /// Encodes the columns of a Parquet file on `pool`'s threads, shared with other files.
    pub(crate) fn set_pool(&mut self, pool: Arc<Pool>) {
        if let Inner::Parquet(w) = &mut self.inner {
            w.set_pool(pool);
        }
    }

    /// Writes one batch of the table.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        match &mut self.inner {
            Inner::Parquet(w) => w.write(batch)?,
            Inner::Ipc(w) => w.write(batch)?,
            Inner::Stream(w) => w.write(batch)?,
        }
        Ok(())
    }

    /// Finishes the file and returns the writer.
    pub fn finish(self) -> Result<W> {
        Ok(match self.inner {
            Inner::Parquet(w) => w.into_inner()?,
            Inner::Ipc(mut w) => {
                w.finish()?;
                w.into_inner()?
            }
            Inner::Stream(mut w) => {
                w.finish()?;
                w.into_inner()?
            }
        })
    }
}

/// The file of one table of a [`DirectoryWriter`], taken out to be written on another thread
/// ([`DirectoryWriter::take_table`]) and put back before the directory is finished.
pub struct TableFile {
    writer: TableWriter<BufWriter<File>>,
    tmp: PathBuf,
    path: PathBuf,
}

impl TableFile {
    /// Writes one batch of the table.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.writer.write(batch)
    }
}

/// Writes every table to `DIR/<table>.<ext>` and rejects to `DIR/rejects.ndjson`.
///
/// Files appear only for tables that receive rows. Each file is written under a temporary
/// name and renamed into place by [`DirectoryWriter::finish`], so an interrupted run never
/// leaves a truncated file under a final name; a writer dropped before `finish` completes
/// (after an error) removes its temporary files.
pub struct DirectoryWriter {
    dir: PathBuf,
    options: WriteOptions,
    files: Vec<Option<TableFile>>,
    rejects: Option<(BufWriter<File>, PathBuf, PathBuf)>,
    /// Temporary files not yet renamed into place.
    partial: Vec<PathBuf>,
    /// Threads encoding the Parquet files ([`DirectoryWriter::set_threads`]).
    threads: usize,
    /// Their helpers, shared by the files (started with the first file).
    pool: Option<Arc<Pool>>,
}

impl Drop for DirectoryWriter {
    fn drop(&mut self) {
        // Close the files first, then remove what was never moved into place.
        self.files.clear();
        self.rejects = None;
        for tmp in self.partial.drain(..) {
            let _ = fs::remove_file(tmp);
        }
    }
}

impl DirectoryWriter {
    /// Creates `dir` if needed. Unless `overwrite` is set, fails when an output this run could
    /// write already exists there.
    pub fn create(dir: &Path, options: WriteOptions, overwrite: bool) -> Result<Self> {
        fs::create_dir_all(dir).map_err(|source| Error::Output {
            path: dir.to_path_buf(),
            source,
        })?;
        if !overwrite {
            let mut names: Vec<String> = Table::ALL
                .iter()
                .map(|t| format!("{}.{}", t.name(), options.format.extension()))
                .collect();
            names.push(REJECTS_FILE.to_string());
            if let Some(existing) = names.iter().map(|n| dir.join(n)).find(|p| p.exists()) {
                return Err(Error::Output {
                    path: existing,
                    source: std::io::Error::new(
                        std::io::ErrorKind::AlreadyExists,
                        "already exists; pass --overwrite (ConvertOptions::overwrite) to replace it",
                    ),
                });
            }
        }
        Ok(DirectoryWriter {
            dir: dir.to_path_buf(),
            options,
            files: (0..Table::ALL.len()).map(|_| None).collect(),
            rejects: None,
            partial: Vec::new(),
            threads: 1,
            pool: None,
        })
    }

    /// Encodes each Parquet file's columns on up to `threads` threads (the calling one
    /// included; the default is 1) for the files opened from now on: see
    /// [`TableWriter::set_threads`]. The files share `threads - 1` helper threads, so that
    /// files written at the same time (from threads of their own) do not each start as many.
    pub fn set_threads(&mut self, threads: usize) {
        if threads != self.threads {
            self.pool = None;
        }
        self.threads = threads;
    }

    fn create_file(&mut self, name: &str) -> Result<(BufWriter<File>, PathBuf, PathBuf)> {
        let path = self.dir.join(name);
        let tmp = self.dir.join(format!(".{name}.partial"));
        let f = File::create(&tmp).map_err(|source| Error::Output {
            path: tmp.clone(),
            source,
        })?;
        self.partial.push(tmp.clone());
        Ok((BufWriter::with_capacity(1 << 20, f), tmp, path))
    }

    /// Writes one batch of `table`.
    pub fn write(&mut self, table: Table, batch: &RecordBatch) -> Result<()> {
        self.open(table)?;
        let f = self.files[table.index()].as_mut().expect("opened above");
        f.writer.write(batch)
    }

    fn open(&mut self, table: Table) -> Result<()> {
        if self.files[table.index()].is_none() {
            let name = format!("{}.{}", table.name(), self.options.format.extension());
            let (out, tmp, path) = self.create_file(&name)?;
            let mut writer = TableWriter::new(out, table, &self.options)?;
            let helpers = self.threads.max(1) - 1;
            let pool = self
                .pool
                .get_or_insert_with(|| Arc::new(Pool::new(helpers)));
            writer.set_pool(Arc::clone(pool));
            self.files[table.index()] = Some(TableFile { writer, tmp, path });
        }
        Ok(())
    }

    /// Takes the file of `table` out (creating it when needed), to write it on another thread.
    /// Put it back with [`DirectoryWriter::put_table`] before [`DirectoryWriter::finish`]; a
    /// file that is not put back is left unfinished, and its temporary file is removed when
    /// the writer is dropped.
    pub fn take_table(&mut self, table: Table) -> Result<TableFile> {
        self.open(table)?;
        Ok(self.files[table.index()].take().expect("opened above"))
    }

    /// Puts back a file taken with [`DirectoryWriter::take_table`].
    pub fn put_table(&mut self, table: Table, file: TableFile) {
        self.files[table.index()] = Some(file);
    }

    /// Appends rejects to `rejects.ndjson`, one JSON object per line.
    pub fn write_rejects(&mut self, rejects: &[Reject]) -> Result<()> {
        if rejects.is_empty() {
            return Ok(());
        }
        if self.rejects.is_none() {
            self.rejects = Some(self.create_file(REJECTS_FILE)?);
        }
        let (out, tmp, _) = self.rejects.as_mut().expect("opened above");
        for r in rejects {
            let mut line = r.to_json();
            line.push('\n');
            out.write_all(line.as_bytes())
                .map_err(|source| Error::Output {
                    path: tmp.clone(),
                    source,
                })?;
        }
        Ok(())
    }

    /// Finishes every file and moves it into place. Returns the paths written.
    pub fn finish(mut self) -> Result<Vec<PathBuf>> {
        let mut written = Vec::new();
        for f in std::mem::take(&mut self.files).into_iter().flatten() {
            let out = f.writer.finish()?;
            finish_file(out, &f.tmp, &f.path)?;
            self.partial.retain(|p| p != &f.tmp);
            written.push(f.path);
        }
        if let Some((out, tmp, path)) = self.rejects.take() {
            finish_file(out, &tmp, &path)?;
            self.partial.retain(|p| p != &tmp);
            written.push(path);
        }
        Ok(written)
    }
}

/// Name of the rejects file in an output directory.
pub const REJECTS_FILE: &str = "rejects.ndjson";

fn finish_file(out: BufWriter<File>, tmp: &Path, path: &Path) -> Result<()> {
    let err = |source| Error::Output {
        path: path.to_path_buf(),
        source,
    };
    // Closed (end of scope) before the rename.
    out.into_inner()
        .map_err(|e| err(e.into_error()))?
        .sync_all()
        .map_err(err)?;
    fs::rename(tmp, path).map_err(err)
}
