//! The streaming conversion behind `convert`, `toParquet` and `Converter`, in plain Rust (no
//! JavaScript types): input chunks in, gzip / zstd detected by magic bytes and decompressed as
//! they arrive, records decoded by the core [`Decoder`], and every finished batch encoded at once
//! by a [`TableWriter`] per table into its own byte buffer. Memory stays bounded by the batch size,
//! the longest line, a Parquet row group per table and the output produced so far (which
//! [`Engine::take_output`] hands over early).

use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};

use arrow_array::RecordBatch;
use netskope_arrow::{
    Compression, Decoder, DecoderOptions, Error, InputCompression, OutputFormat, Reject, Result,
    Stats, Table, TableWriter, WriteOptions,
};

/// Parquet codec: one of the core's, or brotli (which the core does not offer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// A codec of the core's [`Compression`].
    Core(Compression),
    /// brotli at a level from 0 to 11 (feature `brotli`).
    #[cfg_attr(not(feature = "brotli"), allow(dead_code))]
    Brotli(u32),
}

impl std::fmt::Display for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Codec::Core(c) => c.fmt(f),
            Codec::Brotli(l) => write!(f, "brotli:{l}"),
        }
    }
}

/// What the tables are written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Arrow IPC stream (apache-arrow's `tableFromIPC`).
    Ipc,
    /// Parquet with the given codec.
    Parquet(Codec),
}

/// Everything a conversion is configured with.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Options of the core decoder (forced table, batch size, limits).
    pub decoder: DecoderOptions,
    /// Name of the input in rejects.
    pub source: String,
    /// Output format.
    pub format: Format,
    /// Most rejects kept in detail (all are counted).
    pub max_rejects: usize,
    /// First rows of each table also kept as a small Arrow IPC stream.
    pub preview_rows: usize,
    /// Encoded size at which a Parquet row group is closed.
    pub row_group_bytes: usize,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            decoder: DecoderOptions::default(),
            source: "<input>".to_string(),
            format: Format::Ipc,
            max_rejects: 10_000,
            preview_rows: 0,
            row_group_bytes: netskope_arrow::WriteOptions::default().row_group_bytes,
        }
    }
}

/// A byte buffer shared between a table's writer and [`Engine::take_output`].
#[derive(Clone, Default)]
struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl SharedBuf {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut v = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        // The output is the allocation that grows with the input: when WebAssembly memory
        // (at most 4 GiB) is exhausted, this is an Error, not an abort (a trap).
        v.try_reserve(buf.len())
            .map_err(|_| out_of_memory(v.len(), buf.len()))?;
        v.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

enum Writer {
    Core(Box<TableWriter<SharedBuf>>),
    #[cfg(feature = "brotli")]
    Brotli(Box<parquet::arrow::ArrowWriter<SharedBuf>>),
}

impl Writer {
    fn new(table: Table, options: &EngineOptions, out: SharedBuf) -> Result<Self> {
        let write_options = |compression| WriteOptions {
            format: OutputFormat::Parquet,
            compression,
            row_group_bytes: options.row_group_bytes,
            ..WriteOptions::default()
        };
        Ok(match options.format {
            Format::Ipc => Writer::Core(Box::new(TableWriter::new_ipc_stream(out, table)?)),
            Format::Parquet(Codec::Core(c)) => {
                Writer::Core(Box::new(TableWriter::new(out, table, &write_options(c))?))
            }
            #[cfg(feature = "brotli")]
            Format::Parquet(Codec::Brotli(level)) => {
                use parquet::basic::{BrotliLevel, Compression as P};
                let props = write_options(Compression::None)
                    .parquet_properties()?
                    .into_builder()
                    .set_compression(P::BROTLI(BrotliLevel::try_new(level)?))
                    .build();
                Writer::Brotli(Box::new(parquet::arrow::ArrowWriter::try_new(
                    out,
                    table.schema(),
                    Some(props),
                )?))
            }
            #[cfg(not(feature = "brotli"))]
            Format::Parquet(Codec::Brotli(_)) => return Err(Error::Unsupported("brotli")),
        })
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        match self {
            Writer::Core(w) => w.write(batch),
            #[cfg(feature = "brotli")]
            Writer::Brotli(w) => Ok(w.write(batch)?),
        }
    }

    fn finish(self) -> Result<()> {
        match self {
            Writer::Core(w) => w.finish().map(drop),
            #[cfg(feature = "brotli")]
            Writer::Brotli(w) => w.into_inner().map(drop).map_err(Error::from),
        }
    }
}

/// The decoder and everything downstream of it. It is the `Write` end of the decompressors, so
/// decompressed bytes are decoded and encoded as they come out.
struct Sink {
    decoder: Decoder,
    options: EngineOptions,
    writers: Vec<Option<(Writer, SharedBuf)>>,
    preview: Vec<Vec<RecordBatch>>,
    preview_len: Vec<usize>,
    rejects: Vec<Reject>,
    /// An output error met inside `Write::write` (the decompressor only passes on an io::Error).
    error: Option<Error>,
    /// Compressed bytes the decompressor has consumed, and decompressed bytes it gave: for
    /// `Limits::max_decompression_ratio`.
    compressed_in: u64,
    decompressed_out: u64,
}

impl Sink {
    fn new(options: EngineOptions) -> Self {
        let mut decoder = Decoder::new(options.decoder.clone());
        decoder.start_source(&options.source);
        Sink {
            decoder,
            options,
            writers: (0..Table::ALL.len()).map(|_| None).collect(),
            preview: vec![Vec::new(); Table::ALL.len()],
            preview_len: vec![0; Table::ALL.len()],
            rejects: Vec::new(),
            error: None,
            compressed_in: 0,
            decompressed_out: 0,
        }
    }

    fn feed(&mut self, bytes: &[u8]) -> Result<()> {
        self.decoder.push(bytes);
        self.drain()
    }

    /// Encodes the batches the decoder has finished and collects its rejects.
    fn drain(&mut self) -> Result<()> {
        while let Some((table, batch)) = self.decoder.next_batch() {
            let i = table.index();
            let want = self
                .options
                .preview_rows
                .saturating_sub(self.preview_len[i]);
            if want > 0 {
                let part = batch.slice(0, want.min(batch.num_rows()));
                self.preview_len[i] += part.num_rows();
                self.preview[i].push(part);
            }
            let (writer, _) = match &mut self.writers[i] {
                Some(w) => w,
                empty => {
                    let out = SharedBuf::default();
                    let w = Writer::new(table, &self.options, out.clone())?;
                    empty.insert((w, out))
                }
            };
            writer.write(&batch)?;
        }
        let room = self.options.max_rejects.saturating_sub(self.rejects.len());
        if room > 0 {
            let mut new = self.decoder.take_rejects();
            new.truncate(room);
            self.rejects.append(&mut new);
        } else {
            drop(self.decoder.take_rejects());
        }
        Ok(())
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.error.is_some() {
            return Err(io::Error::other("output failed"));
        }
        // Only decompressors write here (plain input goes to `feed`): a bomb stops with a
        // Decompress error naming the limit.
        self.decompressed_out += buf.len() as u64;
        let limits = &self.options.decoder.limits;
        if let Some(message) =
            limits.decompression_ratio_exceeded(self.decompressed_out, self.compressed_in)
        {
            self.error = Some(Error::Decompress {
                path: self.options.source.clone().into(),
                message,
            });
            return Err(io::Error::other("decompression stopped"));
        }
        match self.feed(buf) {
            Ok(()) => Ok(buf.len()),
            Err(e) => {
                self.error = Some(e);
                Err(io::Error::other("output failed"))
            }
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Where input bytes go: undecided until the first 4 bytes are seen, then straight to the
/// sink or through a decompressor.
enum Front {
    Detect(Box<Sink>, Vec<u8>),
    Plain(Box<Sink>),
    Gzip(Box<flate2::write::MultiGzDecoder<Sink>>),
    #[cfg(feature = "zstd")]
    Zstd(Box<zstd::stream::write::Decoder<'static, Sink>>),
    /// Finished, or stopped by an error.
    Closed,
}

/// The finished conversion.
pub struct Output {
    /// Output bytes of every table that received rows (not yet taken), in [`Table::ALL`] order.
    pub tables: Vec<(Table, Vec<u8>)>,
    /// The first rows of each non-empty table as an Arrow IPC stream (when asked for).
    pub preview: Vec<(Table, Vec<u8>)>,
    /// Rejects, at most `max_rejects` of them.
    pub rejects: Vec<Reject>,
    /// The decoder's counters.
    pub stats: Stats,
    /// Bytes pushed (before decompression).
    pub input_bytes: u64,
    /// Compression detected in the input.
    pub input_compression: InputCompression,
}

/// A streaming conversion.
pub struct Engine {
    front: Front,
    input_bytes: u64,
    compression: Option<InputCompression>,
    /// Why the engine stopped, for the calls that come after.
    stopped: Option<String>,
}

impl Engine {
    /// Starts a conversion.
    pub fn new(options: EngineOptions) -> Result<Self> {
        // Fail on an unusable codec now rather than at the first batch.
        if let Format::Parquet(_) = options.format {
            Writer::new(Table::Unknown, &options, SharedBuf::default())?;
        }
        Ok(Engine {
            front: Front::Detect(Box::new(Sink::new(options)), Vec::new()),
            input_bytes: 0,
            compression: None,
            stopped: None,
        })
    }

    /// Bytes pushed so far.
    pub fn input_bytes(&self) -> u64 {
        self.input_bytes
    }

    /// Counters so far (`None` once finished or stopped).
    pub fn stats(&self) -> Option<&Stats> {
        self.sink().map(|s| s.decoder.stats())
    }

    /// Compression detected in the input (`None` before the first 4 bytes).
    pub fn input_compression(&self) -> Option<InputCompression> {
        self.compression
    }

    fn sink(&self) -> Option<&Sink> {
        match &self.front {
            Front::Detect(s, _) | Front::Plain(s) => Some(s),
            Front::Gzip(g) => Some(g.get_ref()),
            #[cfg(feature = "zstd")]
            Front::Zstd(z) => Some(z.get_ref()),
            Front::Closed => None,
        }
    }

    fn sink_mut(&mut self) -> Option<&mut Sink> {
        match &mut self.front {
            Front::Detect(s, _) | Front::Plain(s) => Some(s),
            Front::Gzip(g) => Some(g.get_mut()),
            #[cfg(feature = "zstd")]
            Front::Zstd(z) => Some(z.get_mut()),
            Front::Closed => None,
        }
    }

    fn check_open(&self) -> Result<()> {
        match (&self.front, &self.stopped) {
            (Front::Closed, Some(why)) => Err(Error::InvalidArgument(format!(
                "the conversion stopped after an earlier error: {why}"
            ))),
            (Front::Closed, None) => Err(Error::InvalidArgument(
                "the conversion is already finished".to_string(),
            )),
            _ => Ok(()),
        }
    }

    /// Stops the engine after an error, remembering why.
    fn stop<T>(&mut self, e: Error) -> Result<T> {
        self.front = Front::Closed;
        self.stopped = Some(e.to_string());
        Err(e)
    }

    /// Feeds a chunk of input (any size; records and compressed blocks may span chunks).
    pub fn push(&mut self, chunk: &[u8]) -> Result<()> {
        self.check_open()?;
        self.input_bytes += chunk.len() as u64;
        if let Front::Detect(_, head) = &mut self.front {
            if head.len() + chunk.len() < 4 {
                head.extend_from_slice(chunk);
                return Ok(());
            }
            let head = std::mem::take(head);
            if let Err(e) = self.decide(&head, chunk) {
                return self.stop(e);
            }
            if !head.is_empty() {
                if let Err(e) = self.write(&head) {
                    return self.stop(e);
                }
            }
        }
        match self.write(chunk) {
            Ok(()) => Ok(()),
            Err(e) => self.stop(e),
        }
    }

    /// Chooses the front from the first bytes (`head` then `chunk`).
    fn decide(&mut self, head: &[u8], chunk: &[u8]) -> Result<()> {
        let mut first = head.to_vec();
        first.extend_from_slice(&chunk[..chunk.len().min(4)]);
        let kind = InputCompression::detect(&first);
        self.compression = Some(kind);
        let Front::Detect(sink, _) = std::mem::replace(&mut self.front, Front::Closed) else {
            unreachable!("decide is only called while detecting");
        };
        self.front = match kind {
            InputCompression::None => Front::Plain(sink),
            InputCompression::Gzip => {
                Front::Gzip(Box::new(flate2::write::MultiGzDecoder::new(*sink)))
            }
            #[cfg(feature = "zstd")]
            InputCompression::Zstd => {
                let source = sink.options.source.clone();
                let d = zstd::stream::write::Decoder::new(*sink)
                    .map_err(|e| decompress_error(&source, e))?;
                Front::Zstd(Box::new(d))
            }
            #[cfg(not(feature = "zstd"))]
            InputCompression::Zstd => return Err(Error::Unsupported("zstd")),
        };
        Ok(())
    }

    /// Writes bytes to the chosen front.
    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        let source = match self.sink() {
            Some(s) => s.options.source.clone(),
            None => String::new(),
        };
        let result = match &mut self.front {
            Front::Plain(sink) => return sink.feed(bytes),
            Front::Gzip(g) => write_counted(&mut **g, bytes, |g| &mut g.get_mut().compressed_in),
            #[cfg(feature = "zstd")]
            Front::Zstd(z) => write_counted(&mut **z, bytes, |z| &mut z.get_mut().compressed_in),
            Front::Detect(..) | Front::Closed => unreachable!("write after decide"),
        };
        result.map_err(|e| self.io_error(&source, e))
    }

    /// An error from a decompressor: an output error the sink met, or corrupt input.
    fn io_error(&mut self, source: &str, e: io::Error) -> Error {
        match self.sink_mut().and_then(|s| s.error.take()) {
            Some(output) => output,
            None => decompress_error(source, e),
        }
    }

    /// Output bytes produced so far per table, handed over and forgotten: the bytes of a table
    /// are the concatenation of every `take_output` and the final [`Output`].
    pub fn take_output(&mut self) -> Result<Vec<(Table, Vec<u8>)>> {
        self.check_open()?;
        let sink = self.sink_mut().expect("open");
        Ok(Table::ALL
            .into_iter()
            .filter_map(|t| {
                let (_, buf) = sink.writers[t.index()].as_ref()?;
                Some((t, buf.take()))
            })
            .filter(|(_, b)| !b.is_empty())
            .collect())
    }

    /// Ends the input and returns the tables, rejects and counters.
    pub fn finish(&mut self) -> Result<Output> {
        self.check_open()?;
        if let Front::Detect(_, head) = &mut self.front {
            let head = std::mem::take(head);
            if let Err(e) = self.decide(&head, &[]) {
                return self.stop(e);
            }
            if !head.is_empty() {
                if let Err(e) = self.write(&head) {
                    return self.stop(e);
                }
            }
        }
        match self.finish_inner() {
            Ok(out) => {
                self.stopped = None;
                Ok(out)
            }
            Err(e) => self.stop(e),
        }
    }

    fn finish_inner(&mut self) -> Result<Output> {
        let input_compression = self.compression.unwrap_or(InputCompression::None);
        let mut sink = match std::mem::replace(&mut self.front, Front::Closed) {
            Front::Plain(sink) => *sink,
            Front::Gzip(g) => {
                let source = g.get_ref().options.source.clone();
                let mut g = *g;
                if let Err(e) = g.try_finish() {
                    let output = g.get_mut().error.take();
                    return Err(output.unwrap_or_else(|| decompress_error(&source, e)));
                }
                g.finish().map_err(|e| decompress_error(&source, e))?
            }
            #[cfg(feature = "zstd")]
            Front::Zstd(z) => {
                let source = z.get_ref().options.source.clone();
                let mut z = *z;
                if let Err(e) = z.do_finish() {
                    let output = z.get_mut().error.take();
                    return Err(output.unwrap_or_else(|| decompress_error(&source, e)));
                }
                z.into_inner()
            }
            Front::Detect(..) | Front::Closed => unreachable!("decided above"),
        };
        sink.decoder.finish();
        sink.drain()?;
        let mut tables = Vec::new();
        for t in Table::ALL {
            if let Some((writer, buf)) = sink.writers[t.index()].take() {
                writer.finish()?;
                tables.push((t, buf.take()));
            }
        }
        let mut preview = Vec::new();
        for t in Table::ALL {
            let batches = std::mem::take(&mut sink.preview[t.index()]);
            if batches.is_empty() {
                continue;
            }
            let mut w = TableWriter::new_ipc_stream(Vec::new(), t)?;
            for b in &batches {
                w.write(b)?;
            }
            preview.push((t, w.finish()?));
        }
        Ok(Output {
            tables,
            preview,
            rejects: std::mem::take(&mut sink.rejects),
            stats: sink.decoder.stats().clone(),
            input_bytes: self.input_bytes,
            input_compression,
        })
    }
}

/// The error of an output buffer that cannot grow.
fn out_of_memory(len: usize, more: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::OutOfMemory,
        format!(
            "out of memory: an output buffer of {len} bytes cannot grow by {more} bytes; \
             take the output as it comes (Converter.takeOutput) or write Parquet"
        ),
    )
}

/// `write_all` to a decompressor that adds the bytes it consumes to the sink's count as it
/// goes: the output of a `write` reaches the sink during the next one, after its input was
/// counted, so the ratio is never overestimated.
fn write_counted<W: Write>(
    w: &mut W,
    mut bytes: &[u8],
    counter: impl Fn(&mut W) -> &mut u64,
) -> io::Result<()> {
    while !bytes.is_empty() {
        match w.write(bytes) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                *counter(w) += n as u64;
                bytes = &bytes[n..];
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn decompress_error(source: &str, e: io::Error) -> Error {
    Error::Decompress {
        path: source.into(),
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(chunks: &[&[u8]], options: EngineOptions) -> Result<Output> {
        let mut e = Engine::new(options)?;
        for c in chunks {
            e.push(c)?;
        }
        e.finish()
    }

    const LINE: &[u8] = b"{\"type\":\"admin_audit_logs\",\"timestamp\":1736151783}\n";

    #[test]
    fn plain_and_gzip_give_the_same_tables() {
        let plain = run(&[LINE, b"nope\n"], EngineOptions::default()).unwrap();
        assert_eq!(plain.tables.len(), 1);
        assert_eq!(plain.rejects.len(), 1);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(LINE).unwrap();
        gz.write_all(b"nope\n").unwrap();
        let gz = gz.finish().unwrap();
        let pieces: Vec<&[u8]> = gz.chunks(3).collect();
        let g = run(&pieces, EngineOptions::default()).unwrap();
        assert_eq!(g.tables, plain.tables);
        assert_eq!(g.input_compression, InputCompression::Gzip);
        let cut = run(&[&gz[..gz.len() - 4]], EngineOptions::default());
        assert!(matches!(cut, Err(Error::Decompress { .. })));
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_ratio_limit() {
        // 1,000 members of 1 MiB of zeros: 1 GiB from about 1 MB.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&vec![0u8; 1 << 20]).unwrap();
        let bomb = gz.finish().unwrap().repeat(1000);
        for chunk in [bomb.len(), 4096] {
            let pieces: Vec<&[u8]> = bomb.chunks(chunk).collect();
            let err = run(&pieces, EngineOptions::default())
                .err()
                .expect("an error");
            let msg = err.to_string();
            assert!(matches!(err, Error::Decompress { .. }), "{msg}");
            assert!(msg.contains("(Limits::max_decompression_ratio)"), "{msg}");
            let stopped: u64 = msg
                .split("stopped after ")
                .nth(1)
                .and_then(|s| s.split(' ').next())
                .and_then(|n| n.parse().ok())
                .unwrap();
            assert!(stopped < (16 << 20) + (64 << 10), "{msg}");
        }
        // Off: 100 MiB of zeros (100 members) are one over-long line.
        let mut off = EngineOptions::default();
        off.decoder.limits.max_decompression_ratio = 0;
        off.decoder.limits.max_line_bytes = 1 << 20;
        let out = run(&[&bomb[..bomb.len() / 10]], off).unwrap();
        assert_eq!(out.rejects.len(), 1);
        assert!(out.rejects[0].error.contains("(Limits::max_line_bytes)"));
    }

    #[test]
    fn tiny_inputs_and_reuse_after_finish() {
        for input in [&b""[..], b"{", b"\x1f", b"\x1f\x8b", b"\x28\xb5\x2f"] {
            let _ = run(&[input], EngineOptions::default());
        }
        let mut e = Engine::new(EngineOptions::default()).unwrap();
        e.finish().unwrap();
        assert!(e.push(b"x").is_err());
        assert!(e.finish().is_err());
    }
}
