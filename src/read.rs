//! Convenience readers over [`Decoder`]: everything in memory, or a lazy batch iterator.

use std::io::{self, Read};
use std::path::PathBuf;

use arrow_array::RecordBatch;

use crate::decoder::{Decoder, DecoderOptions, Stats};
use crate::error::{Error, Result};
use crate::input::{decompressed_with_limits, Input};
use crate::pipeline::{decode_readers, drain, Output, ReadOptions};
use crate::reject::Reject;
use crate::schema::Table;

/// Size of the chunks read from a `Read`: 256 KiB, which stays in a core's L2 cache while the
/// decoder splits and scans the lines just copied into it. Against 1 MiB, the read's copy fell
/// from 5.2% to 4.2% of a one-thread decode and the newline search from 2.3% to 0.9% (`perf`,
/// 256 MiB of application events).
pub const CHUNK_SIZE: usize = 1 << 18;

/// All tables of one conversion, in memory.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    batches: Vec<Vec<RecordBatch>>,
    /// Every rejected line.
    pub rejects: Vec<Reject>,
    /// Counters.
    pub stats: Stats,
}

impl Tables {
    /// The batches of `table` (empty when it received no rows).
    pub fn batches(&self, table: Table) -> &[RecordBatch] {
        self.batches.get(table.index()).map_or(&[], Vec::as_slice)
    }

    /// Rows in `table`.
    pub fn num_rows(&self, table: Table) -> usize {
        self.batches(table).iter().map(RecordBatch::num_rows).sum()
    }

    /// `table` as one batch (an empty batch with the table's schema when it has no rows).
    pub fn concat(&self, table: Table) -> RecordBatch {
        arrow_select::concat::concat_batches(&table.schema(), self.batches(table))
            .expect("batches of one table share its schema")
    }

    /// The tables that received rows, in [`Table::ALL`] order.
    pub fn non_empty(&self) -> impl Iterator<Item = Table> + '_ {
        Table::ALL.into_iter().filter(|t| self.num_rows(*t) > 0)
    }

    /// Adds a piece of decoded output (what [`decode_readers`] hands on), in input order.
    pub fn add(&mut self, out: Output) {
        match out {
            Output::Batch(table, batch) => self.push(table, batch),
            Output::Rejects(rejects) => self.rejects.extend(rejects),
        }
    }

    fn push(&mut self, table: Table, batch: RecordBatch) {
        if self.batches.is_empty() {
            self.batches = vec![Vec::new(); Table::ALL.len()];
        }
        self.batches[table.index()].push(batch);
    }

    /// Collects everything a finished decoder holds.
    pub fn from_decoder(mut decoder: Decoder) -> Self {
        decoder.finish();
        let mut t = Tables::default();
        drain(&mut decoder).into_iter().for_each(|out| t.add(out));
        t.stats = decoder.stats().clone();
        t
    }
}

/// Reads one (already decompressed) source to its end into `decoder`, in [`CHUNK_SIZE`]
/// chunks: [`Decoder::start_source`], a [`Decoder::push`] per chunk, [`Decoder::end_source`].
///
/// `after_chunk` runs after every chunk: drain batches there to keep memory bounded, report
/// progress, or stop early by returning an error. A read error becomes [`Error::Decompress`]
/// when the stream is corrupt or truncated (`InvalidData`, `InvalidInput`, `UnexpectedEof`) and
/// [`Error::Input`] otherwise, both naming `name`.
///
/// ```
/// use netskope_arrow::{decode_source, Decoder, Table};
/// let mut d = Decoder::new(Default::default());
/// let mut chunks = 0;
/// decode_source(&mut d, "inline", &mut &b"{\"type\":\"nspolicy\"}\n"[..], &mut |_| { chunks += 1; Ok(()) }).unwrap();
/// assert_eq!((chunks, d.stats().rows_in(Table::Application)), (1, 1));
/// ```
pub fn decode_source(
    decoder: &mut Decoder,
    name: &str,
    reader: &mut dyn Read,
    after_chunk: &mut dyn FnMut(&mut Decoder) -> Result<()>,
) -> Result<()> {
    let mut buf = vec![0u8; CHUNK_SIZE];
    decoder.start_source(name);
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_error(name, e)),
        };
        decoder.push(&buf[..n]);
        after_chunk(decoder)?;
    }
    decoder.end_source();
    Ok(())
}

/// Names the source in a read error: a corrupt or truncated compressed stream
/// (`InvalidData`, `InvalidInput`, `UnexpectedEof`) is [`Error::Decompress`], anything else
/// [`Error::Input`].
pub fn read_error(name: &str, e: io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput | io::ErrorKind::UnexpectedEof => {
            Error::Decompress {
                path: PathBuf::from(name),
                message: e.to_string(),
            }
        }
        _ => Error::Input {
            path: PathBuf::from(name),
            source: e,
        },
    }
}

/// Reads a whole (optionally gzip / zstd compressed) NDJSON stream into memory.
///
/// ```
/// use netskope_arrow::{read_all, Table};
/// let input = b"{\"type\":\"nspolicy\",\"alert\":\"yes\",\"alert_type\":\"policy\",\"transaction_id\":8847222077216958610}\n";
/// let tables = read_all(&input[..], Default::default()).unwrap();
/// let alerts = tables.concat(Table::Alerts);
/// let tid = alerts.column_by_name("transaction_id").unwrap();
/// let tid = tid.as_any().downcast_ref::<arrow_array::Int64Array>().unwrap();
/// assert_eq!(tid.value(0), 8847222077216958610);
/// ```
pub fn read_all<R: Read + Send>(reader: R, options: DecoderOptions) -> Result<Tables> {
    let mut batches = BatchReader::new(reader, options)?;
    let mut t = Tables::default();
    for item in &mut batches {
        let (table, batch) = item?;
        t.push(table, batch);
    }
    t.rejects = batches.decoder.take_rejects();
    t.stats = batches.decoder.stats().clone();
    Ok(t)
}

/// Reads inputs (each named for rejects and errors; gzip / zstd detected per input; an
/// [`Input`] or anything that converts into one) into memory like [`read_all`], decoding
/// blocks of whole lines on [`ReadOptions::threads`] threads. The tables are the same for
/// any number of threads; their batches end with the blocks ([`ReadOptions::block_bytes`]).
/// `progress` is called with the (compressed) bytes read so far; its error stops the read.
///
/// ```
/// use netskope_arrow::{read_readers, ReadOptions, Table};
/// let input: Box<dyn std::io::Read + Send> =
///     Box::new(&b"{\"type\":\"admin_audit_logs\"}\n{\"type\":\"nspolicy\"}\n"[..]);
/// let options = ReadOptions { threads: 2, ..Default::default() };
/// let tables = read_readers([Ok(("inline".to_string(), input))], &options, &mut |_| Ok(())).unwrap();
/// assert_eq!((tables.num_rows(Table::Audit), tables.num_rows(Table::Application)), (1, 1));
/// ```
pub fn read_readers<'a, I, S>(
    inputs: I,
    options: &ReadOptions,
    progress: &mut dyn FnMut(u64) -> Result<()>,
) -> Result<Tables>
where
    I: IntoIterator<Item = Result<(String, S)>>,
    S: Into<Input<'a>>,
{
    let mut t = Tables::default();
    let stats = decode_readers(inputs, options, progress, &mut |out| {
        t.add(out);
        Ok(())
    })?;
    t.stats = stats;
    Ok(t)
}

/// A lazy iterator of `(table, batch)` over a `Read`, in bounded memory.
///
/// Rejects accumulate until taken with [`BatchReader::take_rejects`].
pub struct BatchReader<'a> {
    reader: Box<dyn Read + Send + 'a>,
    decoder: Decoder,
    buf: Vec<u8>,
    done: bool,
    name: String,
}

impl<'a> BatchReader<'a> {
    /// Wraps `reader` (gzip and zstd are detected by their magic bytes).
    pub fn new<R: Read + Send + 'a>(reader: R, options: DecoderOptions) -> Result<Self> {
        let (reader, _) = decompressed_with_limits(reader, &options.limits)?;
        Ok(BatchReader {
            reader,
            decoder: Decoder::new(options),
            buf: vec![0; CHUNK_SIZE],
            done: false,
            name: String::from("input"),
        })
    }

    /// Names the source in rejects.
    pub fn with_source_name(mut self, name: &str) -> Self {
        self.decoder.start_source(name);
        self.name = name.to_string();
        self
    }

    /// Takes the rejects collected so far.
    pub fn take_rejects(&mut self) -> Vec<Reject> {
        self.decoder.take_rejects()
    }

    /// Counters so far.
    pub fn stats(&self) -> &Stats {
        self.decoder.stats()
    }
}

impl Iterator for BatchReader<'_> {
    type Item = Result<(Table, RecordBatch)>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(b) = self.decoder.next_batch() {
                return Some(Ok(b));
            }
            if self.done {
                return None;
            }
            match self.reader.read(&mut self.buf) {
                Ok(0) => {
                    self.done = true;
                    self.decoder.finish();
                }
                Ok(n) => self.decoder.push(&self.buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.done = true;
                    return Some(Err(read_error(&self.name, e)));
                }
            }
        }
    }
}
