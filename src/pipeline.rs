//! The block pipeline behind [`decode_readers`] (and so `read_readers` and the convert
//! functions): each source is cut into blocks at line boundaries, blocks are decoded
//! independently (on worker threads when there are several), and their batches and rejects
//! come back in input order.
//!
//! Cutting is deterministic (it depends on the bytes, not on how reads return them) and every
//! block is flushed into its own batches, so the output is the same whatever the number of
//! threads. Lines and offsets in rejects stay those of the whole source: the splitter counts
//! the lines of each block before handing it on.
//!
//! What cannot be cut at newlines is decoded on the splitting thread by one sequential
//! [`Decoder`] (the fallback), exactly as a single decoder would: a source whose first
//! non-blank line opens a pretty-printed JSON document, and a line longer than
//! [`Limits::max_line_bytes`](crate::Limits::max_line_bytes), which is skipped without being
//! kept in memory.
//!
//! A plain (uncompressed) file ([`Input::File`], on Unix) is read by the splitter only until
//! its first non-blank line (so that a document is still found); after that the splitter
//! only finds where each block ends, reading a little around the cut, and hands on the
//! block's place in the file ([`Range`]). The worker reads the block itself, a chunk at a
//! time, and decodes each chunk while it is in its core's cache, as one thread does; the
//! block's bytes never pass through the splitter. Such a block is decoded counting lines from
//! its own start, and the thread that hands the output on numbers its rejects' lines in input
//! order ([`LineNumbers`]).

use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Mutex};

use arrow_array::RecordBatch;

use crate::decoder::{Decoder, DecoderOptions, LineKind, Stats};
use crate::error::{Error, Result};
use crate::input::{decompressed_with_limits, CountingReader, Input, InputCompression};
use crate::read::{read_error, CHUNK_SIZE};
use crate::reject::Reject;
use crate::schema::Table;

/// Input bytes per block by default. The Parquet writer pays per batch and column, so larger
/// blocks convert faster (16 MiB blocks about 5%), but the blocks and batches in flight cost
/// memory, per decoding thread (16 MiB blocks add about 80 MiB at two threads).
const BLOCK_BYTES: usize = 8 << 20;

/// A byte buffer whose storage stays initialized when it is cleared and reused, so refilling
/// it neither zeroes memory nor faults in fresh pages.
#[derive(Default)]
struct Buf {
    data: Vec<u8>,
    len: usize,
}

impl Buf {
    fn bytes(&self) -> &[u8] {
        &self.data[..self.len]
    }

    fn len(&self) -> usize {
        self.len
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn clear(&mut self) {
        self.len = 0;
    }

    fn room(&mut self, n: usize) -> &mut [u8] {
        if self.data.len() < self.len + n {
            self.data.resize(self.len + n, 0);
        }
        &mut self.data[self.len..self.len + n]
    }

    /// Reads exactly `n` bytes of `file` at `offset` into the buffer's spare room (its length
    /// does not change) and returns them; see [`read_exact_at`].
    fn read_at(&mut self, file: &File, offset: u64, n: usize) -> io::Result<&[u8]> {
        let room = self.room(n);
        read_exact_at(file, room, offset)?;
        Ok(room)
    }

    fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.room(bytes.len()).copy_from_slice(bytes);
        self.len += bytes.len();
    }

    /// Reads up to [`CHUNK_SIZE`] bytes onto the end; 0 at the end of the input.
    fn read_from(&mut self, reader: &mut dyn Read) -> io::Result<usize> {
        let room = self.room(CHUNK_SIZE);
        let n = loop {
            match reader.read(room) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        self.len += n;
        Ok(n)
    }
}

/// Block buffers returned by the decoders for the splitter to fill again.
#[derive(Clone, Default)]
struct Buffers(Arc<Mutex<Vec<Buf>>>);

/// Buffers a [`Buffers`] keeps; more are freed.
const KEPT_BUFFERS: usize = 16;

impl Buffers {
    /// A cleared buffer: a returned one, or a new one with room for `capacity` bytes (so that
    /// filling it does not copy it over and over as it grows).
    fn take(&self, capacity: usize) -> Buf {
        let mut buf = self
            .0
            .lock()
            .map(|mut p| p.pop())
            .ok()
            .flatten()
            .unwrap_or_else(|| Buf {
                data: Vec::with_capacity(capacity),
                len: 0,
            });
        buf.clear();
        buf
    }

    fn give(&self, buf: Buf) {
        if let Ok(mut p) = self.0.lock() {
            if p.len() < KEPT_BUFFERS {
                p.push(buf);
            }
        }
    }
}

/// A piece of decoded output, handed on in input order by [`decode_readers`].
#[derive(Debug, PartialEq)]
pub enum Output {
    /// A batch of one table.
    Batch(Table, RecordBatch),
    /// Rejected lines.
    Rejects(Vec<Reject>),
}

/// How [`decode_readers`] (and the functions built on it: [`read_readers`](crate::read_readers),
/// [`convert_readers`](crate::convert_readers), [`convert_files`](crate::convert_files)) read
/// their inputs.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Decoding options (forced table, batch size, limits).
    pub decoder: DecoderOptions,
    /// Decoding threads. `1` reads, decodes and hands on the output on the calling thread,
    /// decoding each read as it comes and ending batches where the blocks would end. With
    /// `n >= 2`, the calling thread reads and cuts the input into blocks of whole lines,
    /// `n` threads decode blocks and one more hands on their output, in input order; of a
    /// plain file ([`Input::File`], on Unix) the calling thread reads only the first block
    /// and a little around each later cut, and each decoding thread reads its blocks itself.
    /// The output is the same for every value. `0` (the default) means one per core (1 on a
    /// single core). WebAssembly builds always use 1.
    pub threads: usize,
    /// Input bytes per block (`0`, the default, means 8 MiB). The input is cut into blocks of
    /// whole lines of about this size, each decoded into its own batches (of at most
    /// `decoder.batch_size` rows and `decoder.batch_bytes` of input): larger blocks (with a
    /// larger `batch_bytes`) make larger batches and use more memory per thread. The output
    /// depends on this value, not on `threads`.
    pub block_bytes: usize,
}

impl ReadOptions {
    /// The number of decoding threads (resolving `threads: 0`).
    pub fn effective_threads(&self) -> usize {
        if cfg!(target_arch = "wasm32") {
            return 1;
        }
        match self.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }

    fn effective_block_bytes(&self) -> usize {
        match self.block_bytes {
            0 => BLOCK_BYTES,
            n => n,
        }
    }
}

/// Decoded blocks waiting to be handed on, per decoding thread. Blocks are given to a decoding
/// thread only when it asks for one (a rendezvous), so the memory in flight is about three
/// blocks per decoding thread; deeper queues were measured to use more memory for no speed.
const QUEUE_DEPTH: usize = 1;

/// Decodes inputs (each named for rejects and errors; gzip / zstd detected per input; a
/// [`Input`], or anything that converts into one: a `Box<dyn Read + Send>` or a `File`) on
/// [`ReadOptions::threads`] threads, calling `output` with every batch and every group of
/// rejects **in input order**; returns the counters.
///
/// `progress` runs on the calling thread after every read, with the (compressed) bytes read
/// so far over all inputs; `output` runs on one other thread when there are several (hence
/// `Send`). An error from either stops the reading and is returned; so is the first input
/// error. Each reader is opened lazily when the iterator yields it.
///
/// ```
/// use netskope_arrow::{decode_readers, Output, ReadOptions, Table};
/// let input: Box<dyn std::io::Read + Send> =
///     Box::new(&b"{\"type\":\"nspolicy\"}\nnot json\n{\"type\":\"nspolicy\"}\n"[..]);
/// let options = ReadOptions { threads: 2, ..Default::default() };
/// let (mut rows, mut rejects) = (0, 0);
/// let stats = decode_readers([Ok(("inline".to_string(), input))], &options, &mut |_| Ok(()), &mut |out| {
///     match out {
///         Output::Batch(table, batch) => rows += batch.num_rows(),
///         Output::Rejects(r) => rejects += r.len(),
///     }
///     Ok(())
/// })
/// .unwrap();
/// assert_eq!((rows, rejects), (2, 1));
/// assert_eq!(stats.rows_in(Table::Application), 2);
/// ```
pub fn decode_readers<'a, I, S>(
    inputs: I,
    options: &ReadOptions,
    progress: &mut dyn FnMut(u64) -> Result<()>,
    output: &mut (dyn FnMut(Output) -> Result<()> + Send),
) -> Result<Stats>
where
    I: IntoIterator<Item = Result<(String, S)>>,
    S: Into<Input<'a>>,
{
    let threads = options.effective_threads();
    if threads < 2 {
        return stream_all(inputs, options, progress, output);
    }
    let buffers = Buffers::default();
    std::thread::scope(|scope| {
        // Work goes round-robin to the decoding threads, one channel each; their output is
        // taken round-robin too, which is input order.
        let mut to_workers = Vec::with_capacity(threads);
        let mut from_workers = Vec::with_capacity(threads);
        let mut workers = Vec::with_capacity(threads);
        for i in 0..threads {
            let (work_tx, work_rx) = sync_channel::<Work>(0);
            let (out_tx, out_rx) = sync_channel::<Result<Done>>(QUEUE_DEPTH);
            let decoder_options = options.decoder.clone();
            let buffers = buffers.clone();
            let spawn = std::thread::Builder::new().name(format!("netskope-decode-{i}"));
            workers.push(spawn.spawn_scoped(scope, move || {
                let mut decoder = Decoder::new(decoder_options);
                let mut scratch = Buf::default();
                for work in work_rx {
                    let done = work.run(&mut decoder, &buffers, &mut scratch);
                    // After a failed read the decoder may be inside a line: no more work.
                    let failed = done.is_err();
                    // A closed channel means the output side stopped: its error is reported.
                    if out_tx.send(done).is_err() || failed {
                        break;
                    }
                }
                decoder.stats().clone()
            })?);
            to_workers.push(work_tx);
            from_workers.push(out_rx);
        }
        let spawn = std::thread::Builder::new().name("netskope-output".into());
        let handing = spawn.spawn_scoped(scope, move || -> Result<()> {
            let mut lines = LineNumbers::default();
            for i in 0.. {
                let Ok(done) = from_workers[i % from_workers.len()].recv() else {
                    return Ok(());
                };
                lines.place(done?).into_iter().try_for_each(&mut *output)?;
            }
            Ok(())
        })?;
        let mut next = 0usize;
        let split = split_all(inputs, options, &buffers, progress, &mut |work| {
            let worker = &to_workers[next % to_workers.len()];
            next += 1;
            worker
                .send(work)
                .map_err(|_| Error::Io(io::Error::other("a decoding thread stopped")))
        });
        drop(to_workers);
        let mut stats = Stats::default();
        for worker in workers {
            match worker.join() {
                Ok(s) => stats.add(&s),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        match handing.join() {
            Ok(result) => result?,
            Err(panic) => std::panic::resume_unwind(panic),
        }
        stats.add(&split?);
        Ok(stats)
    })
}

/// Cuts every input into [`Work`] for `send`, in input order. Returns the counters of what the
/// splitter decoded itself (the workers count the blocks).
fn split_all<'a, I, S>(
    inputs: I,
    options: &ReadOptions,
    buffers: &Buffers,
    progress: &mut dyn FnMut(u64) -> Result<()>,
    send: &mut dyn FnMut(Work) -> Result<()>,
) -> Result<Stats>
where
    I: IntoIterator<Item = Result<(String, S)>>,
    S: Into<Input<'a>>,
{
    let count = Arc::new(AtomicU64::new(0));
    let limits = &options.decoder.limits;
    let mut splitter = Splitter::new(
        options.decoder.clone(),
        options.effective_block_bytes(),
        buffers.clone(),
        send,
    );
    for input in inputs {
        let (name, input) = input?;
        let before = count.load(Ordering::Relaxed);
        let (raw, file) = positioned(input.into());
        let (mut reader, compression) = open(&name, raw, &count, limits)?;
        let file = file.filter(|_| compression == InputCompression::None);
        // Ranges are counted as read when they are handed on.
        let reached = |offset: u64| {
            count.fetch_max(before + offset, Ordering::Relaxed);
        };
        splitter.source(
            &name,
            &mut reader,
            file.as_ref().map(|file| Ranged {
                file,
                reached: &reached,
            }),
            &mut || progress(count.load(Ordering::Relaxed)),
        )?;
    }
    Ok(splitter.stats().clone())
}

/// The stream of an input, and the file to read ranges of: on Unix, a regular file read from
/// its start (offsets in the file are then offsets in the source).
fn positioned(input: Input<'_>) -> (Box<dyn Read + Send + '_>, Option<Arc<File>>) {
    match input {
        Input::Reader(reader) => (reader, None),
        #[cfg(unix)]
        Input::File(mut file) => {
            use std::io::Seek;
            let regular = file.metadata().is_ok_and(|m| m.is_file());
            if !regular || file.stream_position().ok() != Some(0) {
                return (Box::new(file), None);
            }
            let file = Arc::new(file);
            (Box::new(SharedFile(file.clone())), Some(file))
        }
        #[cfg(not(unix))]
        Input::File(file) => (Box::new(file), None),
    }
}

/// A file shared with the workers that read its ranges, read in order by the splitter.
#[cfg(unix)]
struct SharedFile(Arc<File>);

#[cfg(unix)]
impl Read for SharedFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self.0).read(buf)
    }
}

/// Opens one input (gzip / zstd detected), counting its raw bytes into `count`.
fn open<'a>(
    name: &str,
    raw: Box<dyn Read + Send + 'a>,
    count: &Arc<AtomicU64>,
    limits: &crate::limits::Limits,
) -> Result<(Box<dyn Read + Send + 'a>, InputCompression)> {
    decompressed_with_limits(CountingReader::new(raw, count.clone()), limits).map_err(|source| {
        Error::Input {
            path: PathBuf::from(name),
            source,
        }
    })
}

/// [`decode_readers`] on the calling thread: each read is decoded at once, while it is in the
/// cache, instead of being cut into blocks first; the output is the same, because batches are
/// closed and handed on exactly where [`Splitter`] would cut its blocks (see [`BlockEnds`]).
fn stream_all<'a, I, S>(
    inputs: I,
    options: &ReadOptions,
    progress: &mut dyn FnMut(u64) -> Result<()>,
    output: &mut dyn FnMut(Output) -> Result<()>,
) -> Result<Stats>
where
    I: IntoIterator<Item = Result<(String, S)>>,
    S: Into<Input<'a>>,
{
    let count = Arc::new(AtomicU64::new(0));
    let mut decoder = Decoder::new(options.decoder.clone());
    let mut buf = Buf::default();
    let mut end_block = |decoder: &mut Decoder| -> Result<()> {
        decoder.flush_all();
        drain(decoder).into_iter().try_for_each(&mut *output)
    };
    for input in inputs {
        let (name, input) = input?;
        let (mut reader, _) = open(
            &name,
            input.into().into_reader(),
            &count,
            &options.decoder.limits,
        )?;
        decoder.start_source(&name);
        let mut blocks = BlockEnds::new(options.effective_block_bytes());
        loop {
            buf.clear();
            if !read_more(&mut buf, &mut reader, &name, &mut || {
                progress(count.load(Ordering::Relaxed))
            })? {
                break;
            }
            let mut chunk = buf.bytes();
            while !chunk.is_empty() {
                let (take, ends) = blocks.next(&decoder, chunk);
                decoder.push(&chunk[..take]);
                blocks.pushed(take);
                chunk = &chunk[take..];
                if ends {
                    end_block(&mut decoder)?;
                    blocks.start_at(decoder.position().1);
                }
            }
        }
        decoder.end_source();
        end_block(&mut decoder)?;
    }
    Ok(decoder.stats().clone())
}

/// Where [`Splitter`] would end blocks of one source, found while the source is decoded: a
/// block ends after the last newline of its first `size` bytes, or, when they hold none,
/// after the first newline that follows.
struct BlockEnds {
    size: usize,
    /// Offsets in the source of the current block's start, and of the next byte to push.
    start: u64,
    pushed: u64,
}

impl BlockEnds {
    fn new(size: usize) -> Self {
        BlockEnds {
            size: size.max(1),
            start: 0,
            pushed: 0,
        }
    }

    /// How many bytes of `chunk` to push to `decoder` next, and whether the block ends
    /// after them.
    fn next(&self, decoder: &Decoder, chunk: &[u8]) -> (usize, bool) {
        if decoder.in_document() {
            // The rest of the source is one document, decoded when the source ends: the
            // splitter hands it to its fallback decoder whole, with no blocks.
            return (chunk.len(), false);
        }
        let limit = self.start + self.size as u64;
        if self.pushed < limit {
            // Bytes before the limit: every line they end is in the block.
            let room = (limit - self.pushed).min(chunk.len() as u64) as usize;
            return (room, false);
        }
        // At or past the limit: the block ends where the decoder's last whole line ends,
        // unless the block has no whole line yet.
        let framed_to = decoder.position().1;
        if framed_to > self.start {
            return (0, true);
        }
        match memchr::memchr(b'\n', chunk) {
            Some(nl) => (nl + 1, true),
            None => (chunk.len(), false),
        }
    }

    fn pushed(&mut self, n: usize) {
        self.pushed += n as u64;
    }

    /// Starts the next block at `offset` (the end of the last whole line).
    fn start_at(&mut self, offset: u64) {
        self.start = offset;
    }
}

/// Whole lines of one source, to decode on their own.
struct Block {
    source: Arc<str>,
    /// Lines of the source before this block.
    line: u64,
    /// Offset of the block's first byte in the source.
    offset: u64,
    /// Whether the source had a non-blank line before this block.
    started: bool,
    bytes: Buf,
}

/// Whole lines of a file, after its first non-blank line, which the worker reads itself.
struct Range {
    source: Arc<str>,
    file: Arc<File>,
    /// Offset of the range's first byte in the file.
    offset: u64,
    len: u64,
    /// Lines of the source before this range, for the first range of a source: the splitter
    /// does not count the lines of ranges, so the others are numbered from the ones before.
    line: Option<u64>,
}

/// What the splitter hands on, in input order.
enum Work {
    /// A block for a worker's decoder ([`Work::run`]).
    Decode(Block),
    /// A range of a file for a worker to read and decode.
    Range(Range),
    /// Output the fallback decoder already produced.
    Decoded(Vec<Output>),
}

/// The output of one piece of [`Work`].
struct Done {
    outputs: Vec<Output>,
    /// For a [`Range`], whose rejects' lines count from its own start: its `line` and the
    /// number of its lines.
    range_lines: Option<(Option<u64>, u64)>,
}

impl Work {
    /// The output of this piece of work, decoding a block with `decoder` (the decoder must
    /// be at a line boundary, as after a previous block). The block's buffer goes back to
    /// `buffers`; a range is read through `scratch`.
    fn run(self, decoder: &mut Decoder, buffers: &Buffers, scratch: &mut Buf) -> Result<Done> {
        let outputs = match self {
            Work::Decode(block) => {
                decoder.resume_source(&block.source, block.line, block.offset, block.started);
                decoder.push(block.bytes.bytes());
                decoder.finish();
                buffers.give(block.bytes);
                drain(decoder)
            }
            Work::Range(range) => {
                decoder.resume_source(&range.source, 0, range.offset, true);
                let end = range.offset + range.len;
                let mut at = range.offset;
                while at < end {
                    let n = (end - at).min(CHUNK_SIZE as u64) as usize;
                    let chunk = scratch
                        .read_at(&range.file, at, n)
                        .map_err(|e| read_error(&range.source, e))?;
                    decoder.push(chunk);
                    at += n as u64;
                }
                decoder.finish();
                return Ok(Done {
                    outputs: drain(decoder),
                    range_lines: Some((range.line, decoder.position().0)),
                });
            }
            Work::Decoded(out) => out,
        };
        Ok(Done {
            outputs,
            range_lines: None,
        })
    }
}

/// Numbers the lines of ranges' rejects in input order (see [`Range::line`]).
#[derive(Default)]
struct LineNumbers {
    /// Lines of the current source before the next range.
    before: u64,
}

impl LineNumbers {
    /// `done`'s output, with the lines of a range's rejects counted from the source's start.
    fn place(&mut self, done: Done) -> Vec<Output> {
        let mut outputs = done.outputs;
        if let Some((line, lines)) = done.range_lines {
            if let Some(line) = line {
                self.before = line;
            }
            for out in &mut outputs {
                if let Output::Rejects(rejects) = out {
                    for reject in rejects {
                        reject.line += self.before;
                    }
                }
            }
            self.before += lines;
        }
        outputs
    }
}

/// Reads exactly `buf.len()` bytes of `file` at `offset`. A file that ends first has shrunk
/// since its blocks were cut: an error that says so.
#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.read_exact_at(buf, offset).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            // Not `UnexpectedEof`, which `read_error` reports as a decompression error.
            io::Error::other("the file ended early: it shrank while it was being read")
        } else {
            e
        }
    })
}

/// Ranges are only cut on Unix ([`positioned`]).
#[cfg(not(unix))]
fn read_exact_at(_: &File, _: &mut [u8], _: u64) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// Bytes the splitter reads at a time around a range's cut.
const CUT_WINDOW: usize = 64 << 10;

/// Where the block of `file` that starts at `start` ends, by the rule of
/// [`Splitter::source`]: after the last newline of its first `block` bytes, or, when they hold
/// none, after the first newline that follows, or at `len`, the end of the file. Reads
/// [`CUT_WINDOW`] bytes at a time into `window`, backwards from `start + block` and then
/// forwards, so a block with a newline near its end costs one read.
fn range_end(file: &File, start: u64, len: u64, block: usize, window: &mut Buf) -> io::Result<u64> {
    let head = start.saturating_add(block as u64);
    if head >= len {
        return Ok(len);
    }
    let mut hi = head;
    while hi > start {
        let lo = hi.saturating_sub(CUT_WINDOW as u64).max(start);
        if let Some(nl) = memchr::memrchr(b'\n', window.read_at(file, lo, (hi - lo) as usize)?) {
            return Ok(lo + nl as u64 + 1);
        }
        hi = lo;
    }
    let mut lo = head;
    while lo < len {
        let n = (len - lo).min(CUT_WINDOW as u64) as usize;
        if let Some(nl) = memchr::memchr(b'\n', window.read_at(file, lo, n)?) {
            return Ok(lo + nl as u64 + 1);
        }
        lo += n as u64;
    }
    Ok(len)
}

/// Everything `decoder` has ready: its batches, then its rejects.
pub(crate) fn drain(decoder: &mut Decoder) -> Vec<Output> {
    let mut out = Vec::new();
    while let Some((table, batch)) = decoder.next_batch() {
        out.push(Output::Batch(table, batch));
    }
    let rejects = decoder.take_rejects();
    if !rejects.is_empty() {
        out.push(Output::Rejects(rejects));
    }
    out
}

/// A plain file that [`Splitter::source`] hands on in [`Range`]s after its first lines, and
/// what to call with the offset each range ends at (to count it as read).
#[derive(Clone, Copy)]
struct Ranged<'f> {
    file: &'f Arc<File>,
    reached: &'f dyn Fn(u64),
}

/// Cuts sources into [`Work`], decoding what cannot be cut with its own fallback decoder.
struct Splitter<'a> {
    fallback: Decoder,
    block_size: usize,
    buffers: Buffers,
    send: &'a mut dyn FnMut(Work) -> Result<()>,
}

/// The state of the source being cut.
struct Cursor {
    source: Arc<str>,
    line: u64,
    offset: u64,
    started: bool,
}

impl<'a> Splitter<'a> {
    /// A splitter cutting blocks of about `block_size` bytes and handing them to `send`, in
    /// input order, with block buffers from `buffers`.
    fn new(
        options: DecoderOptions,
        block_size: usize,
        buffers: Buffers,
        send: &'a mut dyn FnMut(Work) -> Result<()>,
    ) -> Self {
        Splitter {
            fallback: Decoder::new(options),
            block_size: block_size.max(1),
            buffers,
            send,
        }
    }

    /// The capacity of a new block buffer: a block, and the read that ends it.
    fn buffer_capacity(&self) -> usize {
        self.block_size.saturating_add(CHUNK_SIZE)
    }

    /// Counters of the fallback decoder (the workers count the blocks).
    fn stats(&self) -> &Stats {
        self.fallback.stats()
    }

    /// Reads one (decompressed) source to its end. `after_read` runs after every read (for
    /// progress and cancellation; its error stops the source).
    ///
    /// With `file` (the plain file that `reader` reads), the rest of the source is handed on
    /// in [`Range`]s once its first non-blank line is read.
    fn source(
        &mut self,
        name: &str,
        reader: &mut dyn Read,
        file: Option<Ranged<'_>>,
        after_read: &mut dyn FnMut() -> Result<()>,
    ) -> Result<()> {
        let max_line = self.fallback.options().limits.max_line_bytes;
        let mut at = Cursor {
            source: Arc::from(name),
            line: 0,
            offset: 0,
            started: false,
        };
        let mut buf = self.buffers.take(self.buffer_capacity());
        // Bytes of `buf` known to hold no newline (from the start), and the size `buf` is
        // filled to before cutting.
        let (mut searched, mut want) = (0usize, self.block_size);
        // Newlines in `buf`, counted as each read lands (while it is in the cache: counted
        // at the cut, from memory, they took 1.4% of a two-thread conversion's CPU time).
        let mut newlines = 0;
        let mut eof = false;
        loop {
            while buf.len() < want && !eof {
                let before = buf.len();
                eof = !read_more(&mut buf, reader, name, after_read)?;
                newlines += count_newlines(&buf.bytes()[before..]);
            }
            if buf.is_empty() {
                return Ok(());
            }
            let cut = if buf.len() >= self.block_size {
                // The last newline of the first block_size bytes, else the first one after.
                let (bytes, head) = (buf.bytes(), self.block_size);
                (if searched < head {
                    memchr::memrchr(b'\n', &bytes[..head])
                } else {
                    None
                })
                .or_else(|| {
                    let from = head.max(searched);
                    memchr::memchr(b'\n', &bytes[from..]).map(|i| from + i)
                })
                .map(|nl| nl + 1)
            } else {
                None
            };
            let cut = match cut {
                Some(cut) => cut,
                None if eof => buf.len(),
                None if buf.len() > max_line => {
                    // A line longer than the limit: the fallback skips it in bounded memory.
                    let rest = self.overlong_line(&mut at, buf.bytes(), reader, after_read)?;
                    match rest {
                        Some(rest) => buf = rest,
                        None => return Ok(()),
                    }
                    newlines = count_newlines(buf.bytes());
                    (searched, want) = (0, self.block_size);
                    continue;
                }
                None => {
                    // One line fills the buffer: read on until it ends.
                    searched = buf.len();
                    want = buf.len() + 1;
                    continue;
                }
            };
            (searched, want) = (0, self.block_size);
            let mut rest = self.buffers.take(self.buffer_capacity());
            rest.extend_from_slice(&buf.bytes()[cut..]);
            let carried = count_newlines(rest.bytes());
            let lines = newlines - carried;
            newlines = carried;
            buf.len = cut;
            let block = std::mem::replace(&mut buf, rest);
            let started = at.started;
            if !started && opens_document(block.bytes(), max_line, &mut at.started) {
                // A pretty-printed document: the rest of the source goes to the fallback.
                return self.document(&at, block.bytes(), buf.bytes(), reader, after_read);
            }
            let len = block.len() as u64;
            (self.send)(Work::Decode(Block {
                source: at.source.clone(),
                line: at.line,
                offset: at.offset,
                started,
                bytes: block,
            }))?;
            at.line += lines;
            at.offset += len;
            if let (true, Some(ranged)) = (at.started, file) {
                return self.ranges(&mut at, ranged, after_read);
            }
        }
    }

    /// Hands on the rest of a plain file from the cursor on in [`Range`]s, reading only around
    /// their cuts. The file's length is taken again before each range.
    fn ranges(
        &mut self,
        at: &mut Cursor,
        Ranged { file, reached }: Ranged<'_>,
        after_read: &mut dyn FnMut() -> Result<()>,
    ) -> Result<()> {
        let mut line = Some(at.line);
        let mut window = Buf::default();
        loop {
            let len = file
                .metadata()
                .map_err(|e| read_error(&at.source, e))?
                .len();
            if at.offset >= len {
                return Ok(());
            }
            let end = range_end(file, at.offset, len, self.block_size, &mut window)
                .map_err(|e| read_error(&at.source, e))?;
            (self.send)(Work::Range(Range {
                source: at.source.clone(),
                file: file.clone(),
                offset: at.offset,
                len: end - at.offset,
                line: line.take(),
            }))?;
            at.offset = end;
            reached(end);
            after_read()?;
        }
    }

    /// Decodes the rest of a source that is a pretty-printed document: `head` and `rest` are
    /// what was read of it from the cursor on, `reader` the remainder.
    fn document(
        &mut self,
        at: &Cursor,
        head: &[u8],
        rest: &[u8],
        reader: &mut dyn Read,
        after_read: &mut dyn FnMut() -> Result<()>,
    ) -> Result<()> {
        self.fallback
            .resume_source(&at.source, at.line, at.offset, false);
        self.fallback.push(head);
        self.fallback.push(rest);
        let mut chunk = Buf::default();
        while read_more(&mut chunk, reader, &at.source, after_read)? {
            self.fallback.push(chunk.bytes());
            chunk.clear();
            self.send_fallback_output()?;
        }
        self.fallback.finish();
        self.send_fallback_output()
    }

    /// Skips a line longer than the limit with the fallback decoder, starting with `buf` (its
    /// first bytes). Returns what follows the line, or `None` at the end of the source.
    fn overlong_line(
        &mut self,
        at: &mut Cursor,
        buf: &[u8],
        reader: &mut dyn Read,
        after_read: &mut dyn FnMut() -> Result<()>,
    ) -> Result<Option<Buf>> {
        self.fallback
            .resume_source(&at.source, at.line, at.offset, at.started);
        self.fallback.push(buf);
        let mut chunk = Buf::default();
        let rest = loop {
            chunk.clear();
            if !read_more(&mut chunk, reader, &at.source, after_read)? {
                break None;
            }
            let bytes = chunk.bytes();
            if let Some(nl) = memchr::memchr(b'\n', bytes) {
                self.fallback.push(&bytes[..=nl]);
                let mut rest = self.buffers.take(self.buffer_capacity());
                rest.extend_from_slice(&bytes[nl + 1..]);
                break Some(rest);
            }
            self.fallback.push(bytes);
        };
        self.fallback.finish();
        (at.line, at.offset, at.started) = self.fallback.position();
        self.send_fallback_output()?;
        Ok(rest)
    }

    fn send_fallback_output(&mut self) -> Result<()> {
        let out = drain(&mut self.fallback);
        if out.is_empty() {
            return Ok(());
        }
        (self.send)(Work::Decoded(out))
    }
}

/// The number of `\n` in `bytes`.
fn count_newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// Reads up to [`CHUNK_SIZE`] more bytes of `reader` (named `name` in errors) onto the end of
/// `buf` and runs `after_read`; false at the end of the input.
fn read_more(
    buf: &mut Buf,
    reader: &mut dyn Read,
    name: &str,
    after_read: &mut dyn FnMut() -> Result<()>,
) -> Result<bool> {
    let n = buf.read_from(reader).map_err(|e| read_error(name, e))?;
    after_read()?;
    Ok(n > 0)
}

/// Looks for the source's first non-blank line in `block` (whole lines, the last one possibly
/// unterminated at the end of the source). Sets `started` when there is one, and says whether
/// it opens a pretty-printed document.
fn opens_document(block: &[u8], max_line: usize, started: &mut bool) -> bool {
    for line in lines(block) {
        match LineKind::of_raw(line, max_line) {
            None | Some(LineKind::Blank) => continue,
            Some(kind) => {
                *started = true;
                return kind == LineKind::Opener;
            }
        }
    }
    false
}

/// The lines of `block`: pieces between newlines, without the empty piece after a final one.
fn lines(block: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = block.strip_suffix(b"\n").unwrap_or(block);
    body.split(|&b| b == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;

    /// A reader returning at most `step` bytes per read.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    /// Everything a run produced: each table's rows in one batch, the rejects, the counters.
    #[derive(Debug, PartialEq)]
    struct Outcome {
        tables: Vec<(Table, RecordBatch)>,
        rejects: Vec<Reject>,
        stats: Stats,
    }

    fn outcome(outputs: Vec<Output>, stats: Stats) -> Outcome {
        let mut batches: Vec<Vec<RecordBatch>> = vec![Vec::new(); Table::ALL.len()];
        let mut rejects = Vec::new();
        for out in outputs {
            match out {
                Output::Batch(t, b) => batches[t.index()].push(b),
                Output::Rejects(r) => rejects.extend(r),
            }
        }
        let tables = Table::ALL
            .into_iter()
            .filter(|t| !batches[t.index()].is_empty())
            .map(|t| {
                let all = arrow_select::concat::concat_batches(&t.schema(), &batches[t.index()]);
                (t, all.unwrap())
            })
            .collect();
        Outcome {
            tables,
            rejects,
            stats,
        }
    }

    /// One decoder fed each source whole: the reference.
    fn sequential(sources: &[(&str, &[u8])], options: &DecoderOptions) -> Outcome {
        let mut d = Decoder::new(options.clone());
        for (name, bytes) in sources {
            d.start_source(name);
            d.push(bytes);
        }
        d.finish();
        let out = drain(&mut d);
        outcome(out, d.stats().clone())
    }

    /// The pipeline with blocks of `block` bytes and reads of `step` bytes.
    fn pipelined(
        sources: &[(&str, &[u8])],
        options: &DecoderOptions,
        block: usize,
        step: usize,
    ) -> (Outcome, usize) {
        let (outputs, stats, blocks) = pipelined_outputs(sources, options, block, step, None);
        (outcome(outputs, stats.0), blocks.0 + blocks.1)
    }

    /// [`pipelined`]'s output as handed on, its counters (the workers' and the splitter's
    /// added, and the splitter's), and the numbers of blocks and of ranges. With `files`
    /// (one holding each source's bytes), the splitter cuts ranges of them.
    fn pipelined_outputs(
        sources: &[(&str, &[u8])],
        options: &DecoderOptions,
        block: usize,
        step: usize,
        files: Option<&[Arc<File>]>,
    ) -> (Vec<Output>, (Stats, Stats), (usize, usize)) {
        let buffers = Buffers::default();
        let mut worker = Decoder::new(options.clone());
        let (mut scratch, mut lines) = (Buf::default(), LineNumbers::default());
        let mut outputs = Vec::new();
        let mut blocks = (0, 0);
        let mut send = |work: Work| {
            blocks.0 += usize::from(matches!(work, Work::Decode(_)));
            blocks.1 += usize::from(matches!(work, Work::Range(_)));
            let done = work.run(&mut worker, &buffers, &mut scratch)?;
            outputs.extend(lines.place(done));
            Ok(())
        };
        let mut splitter = Splitter::new(options.clone(), block, buffers.clone(), &mut send);
        let reached = std::cell::Cell::new(0);
        for (i, (name, bytes)) in sources.iter().enumerate() {
            let mut reader = Trickle { data: bytes, step };
            let at = |offset: u64| reached.set(offset);
            let file = files.map(|f| Ranged {
                file: &f[i],
                reached: &at,
            });
            reached.set(0);
            splitter
                .source(name, &mut reader, file, &mut || Ok(()))
                .unwrap();
            // The last range of a source ends at its end (0: no ranges).
            assert!(
                [0, bytes.len() as u64].contains(&reached.get()),
                "{name}: ranges reached {}",
                reached.get()
            );
        }
        let splitter_stats = splitter.stats().clone();
        drop(splitter);
        let mut stats = splitter_stats.clone();
        stats.add(worker.stats());
        (outputs, (stats, splitter_stats), blocks)
    }

    /// Files holding `sources`' bytes, in a directory removed when it is dropped.
    fn files_of(sources: &[(&str, &[u8])]) -> (tempfile::TempDir, Vec<Arc<File>>) {
        let dir = tempfile::tempdir().unwrap();
        let files = sources
            .iter()
            .enumerate()
            .map(|(i, (_, bytes))| {
                let path = dir.path().join(format!("{i}.ndjson"));
                std::fs::write(&path, bytes).unwrap();
                Arc::new(File::open(path).unwrap())
            })
            .collect();
        (dir, files)
    }

    /// One thread decoding reads of `step` bytes as they come ([`stream_all`]), with batches
    /// ending where blocks of `block` bytes would.
    fn streamed(
        sources: &[(&str, &[u8])],
        options: &DecoderOptions,
        block: usize,
        step: usize,
    ) -> (Vec<Output>, Stats) {
        let inputs = sources.iter().map(|&(name, data)| {
            let reader: Box<dyn Read + Send> = Box::new(Trickle { data, step });
            Ok((name.to_string(), reader))
        });
        let options = ReadOptions {
            decoder: options.clone(),
            threads: 1,
            block_bytes: block,
        };
        let mut outputs = Vec::new();
        let stats = stream_all(inputs, &options, &mut |_| Ok(()), &mut |out| {
            outputs.push(out);
            Ok(())
        })
        .unwrap();
        (outputs, stats)
    }

    /// The pipeline (from streams, and from files cut into ranges, which must hand on the
    /// same output) and one thread give what one decoder gives, for many block and read
    /// sizes.
    fn check(sources: &[(&str, &[u8])], options: &DecoderOptions) {
        let want = sequential(sources, options);
        let (_dir, files) = files_of(sources);
        for block in [1, 2, 7, 64, 1000, 1 << 20] {
            for step in [1, 3, 4096, CHUNK_SIZE] {
                if step < 64 && sources.iter().map(|s| s.1.len()).sum::<usize>() > 200_000 {
                    continue; // byte-at-a-time reads of big inputs: slow, and covered small
                }
                let (outputs, (stats, _), _) =
                    pipelined_outputs(sources, options, block, step, None);
                let ranged = pipelined_outputs(sources, options, block, step, Some(&files));
                assert!(
                    ranged.0 == outputs && ranged.1 .0 == stats,
                    "block {block}, reads of {step}: ranges {:?}\nblocks {:?}",
                    (&ranged.1 .0, &ranged.0),
                    (&stats, &outputs)
                );
                // One thread hands on the same batches and rejects in the same order.
                let one = streamed(sources, options, block, step);
                assert!(
                    one.0 == outputs && one.1 == stats,
                    "block {block}, reads of {step}: one thread {:?}\nblocks {:?}",
                    (&one.1, one.0.len()),
                    (&stats, outputs.len())
                );
                let got = outcome(outputs, stats);
                assert!(
                    got == want,
                    "block {block}, reads of {step}: {:?}\nwant {:?}",
                    (&got.stats, &got.rejects),
                    (&want.stats, &want.rejects)
                );
            }
        }
    }

    /// Options with small limits, so that short test lines are over them.
    fn tight(
        max_line_bytes: usize,
        max_reject_raw_bytes: usize,
        batch_size: usize,
    ) -> DecoderOptions {
        DecoderOptions {
            limits: Limits {
                max_line_bytes,
                max_reject_raw_bytes,
                ..Limits::default()
            },
            batch_size,
            ..Default::default()
        }
    }

    fn repo_file(path: &str) -> Vec<u8> {
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
    }

    #[test]
    fn blocks_give_what_one_decoder_gives_on_the_samples() {
        let v2 = repo_file("samples/tenant-export-v2.ndjson");
        let v1 = repo_file("samples/tenant-export-v1.ndjson");
        let pretty = repo_file("samples/api-response-v2-pretty.json");
        let envelope = repo_file("samples/api-response-v1.json");
        let options = DecoderOptions {
            batch_size: 3,
            ..Default::default()
        };
        check(&[("v2", &v2)], &options);
        // One block per line with blocks of one byte; one block for the file with 1 MiB.
        let (got, blocks) = pipelined(&[("v2", &v2)], &options, 1, 4096);
        assert_eq!((blocks as u64, got.stats.lines), (30, 30));
        assert_eq!(pipelined(&[("v2", &v2)], &options, 1 << 20, 4096).1, 1);
        // From a file: the block with the first line is read, the other 29 lines are ranges,
        // decoded by the worker (the splitter's fallback decodes none of them).
        let (_dir, files) = files_of(&[("v2", &v2)]);
        let (_, (stats, splitter), blocks) =
            pipelined_outputs(&[("v2", &v2)], &options, 1, 4096, Some(&files));
        assert_eq!((blocks, stats.lines, splitter.lines), ((1, 29), 30, 0));
        let (_, _, blocks) = pipelined_outputs(&[("v2", &v2)], &options, 1000, 7, Some(&files));
        assert_eq!(blocks.0, 1);
        assert!(blocks.1 >= 20, "{blocks:?}");
        check(
            &[
                ("v2", &v2),
                ("pretty", &pretty),
                ("v1", &v1),
                ("env", &envelope),
            ],
            &options,
        );
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/adversarial");
        let mut n = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "ndjson") {
                let bytes = std::fs::read(&path).unwrap();
                check(&[("a", &bytes), ("v1", &v1)], &DecoderOptions::default());
                n += 1;
            }
        }
        assert_eq!(n, 13);
    }

    /// `range_end` cuts where the splitter cuts a buffer (the last newline of the block's first
    /// `block` bytes, else the first one after, else the end; the end too when less than a
    /// block is left), with lines longer than the
    /// windows it reads, so that cuts are found several windows back or ahead.
    #[test]
    fn range_ends_are_the_splitters_cuts() {
        let mut text = Vec::new();
        for (i, len) in [10, 150_000, 3, 0, 70_000, 200_000, 64 << 10, 5]
            .iter()
            .enumerate()
        {
            text.extend(std::iter::repeat_n(b'a' + i as u8, *len));
            text.push(b'\n');
        }
        text.extend(b"no final newline");
        let (_dir, files) = files_of(&[("t", &text)]);
        let len = text.len() as u64;
        let cut = |start: usize, block: usize| -> u64 {
            // What is left of the source when it is under a block is the last block.
            let head = start + block;
            if head >= text.len() {
                return len;
            }
            let nl = memchr::memrchr(b'\n', &text[start..head])
                .map(|i| start + i)
                .or_else(|| memchr::memchr(b'\n', &text[head..]).map(|i| head + i));
            nl.map_or(len, |nl| nl as u64 + 1)
        };
        let mut window = Buf::default();
        let mut starts: Vec<usize> = (0..text.len()).step_by(9_973).collect();
        starts.extend(memchr::memchr_iter(b'\n', &text).map(|nl| nl + 1));
        for start in starts {
            for block in [1, 2, 1000, CUT_WINDOW - 1, CUT_WINDOW + 1, 140_000, 1 << 20] {
                let got = range_end(&files[0], start as u64, len, block, &mut window).unwrap();
                assert_eq!(got, cut(start, block), "start {start}, block {block}");
            }
        }
    }

    /// What `decode_readers` hands on for `inputs`, its counters and the last progress report.
    fn decoded(
        inputs: Vec<(String, Input<'static>)>,
        options: &ReadOptions,
    ) -> (Vec<Output>, Stats, u64) {
        let mut outputs = Vec::new();
        let mut reported = 0;
        let stats = decode_readers(
            inputs.into_iter().map(Ok),
            options,
            &mut |n| {
                reported = n;
                Ok(())
            },
            &mut |out| {
                outputs.push(out);
                Ok(())
            },
        )
        .unwrap();
        (outputs, stats, reported)
    }

    /// A range that reaches past the end of its file (which shrank after it was cut) stops
    /// the read with an error that says so.
    #[test]
    fn a_file_that_shrinks_while_it_is_read_is_an_error() {
        let (_dir, files) = files_of(&[("f", b"{\"type\":\"nspolicy\"}\n")]);
        let work = Work::Range(Range {
            source: Arc::from("f.ndjson"),
            file: files[0].clone(),
            offset: 0,
            len: 100,
            line: Some(0),
        });
        let mut decoder = Decoder::new(DecoderOptions::default());
        let err = work
            .run(&mut decoder, &Buffers::default(), &mut Buf::default())
            .err()
            .unwrap();
        assert!(matches!(err, Error::Input { .. }), "{err:?}");
        let message = err.to_string();
        assert!(
            message.contains("f.ndjson") && message.contains("shrank while it was being read"),
            "{message}"
        );
    }

    /// Through `decode_readers` on two threads, files (plain and gzip) give what the same
    /// bytes as streams give, with each file's bytes counted in the progress reports.
    #[test]
    fn files_and_streams_give_the_same_output() {
        use std::io::Write;
        let v2 = repo_file("samples/tenant-export-v2.ndjson");
        let v1 = repo_file("samples/tenant-export-v1.ndjson");
        let pretty = repo_file("samples/api-response-v2-pretty.json");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&v1).unwrap();
        let gz = gz.finish().unwrap();
        let sources: [(&str, &[u8]); 4] =
            [("v2", &v2), ("gz", &gz), ("pretty", &pretty), ("v1", &v1)];
        let (_dir, files) = files_of(&sources);
        let options = ReadOptions {
            threads: 2,
            block_bytes: 700,
            decoder: DecoderOptions {
                batch_size: 4,
                ..Default::default()
            },
        };
        let run = |inputs| decoded(inputs, &options);
        let streams = run(sources
            .iter()
            .map(|&(name, bytes)| {
                let reader: Box<dyn Read + Send> = Box::new(io::Cursor::new(bytes.to_vec()));
                (name.to_string(), Input::from(reader))
            })
            .collect());
        let from_files = run(sources
            .iter()
            .zip(&files)
            .map(|(&(name, _), file)| (name.to_string(), Input::from(file.try_clone().unwrap())))
            .collect());
        assert!(streams.0 == from_files.0 && streams.1 == from_files.1);
        let total: usize = sources.iter().map(|s| s.1.len()).sum();
        assert_eq!((streams.2, from_files.2), (total as u64, total as u64));
        assert!(streams.0.iter().any(|o| matches!(o, Output::Rejects(_))));
    }

    /// A file passed after some of it was read is read from there, as a stream, like any
    /// reader (its offsets count from there).
    #[test]
    fn a_file_read_from_its_middle_is_read_from_there() {
        use std::io::Seek;
        let v2 = repo_file("samples/tenant-export-v2.ndjson");
        let (_dir, files) = files_of(&[("v2", &v2)]);
        let skip = v2.iter().position(|&b| b == b'\n').unwrap() as u64 + 1;
        let mut file = files[0].try_clone().unwrap();
        file.seek(io::SeekFrom::Start(skip)).unwrap();
        let options = ReadOptions {
            threads: 2,
            block_bytes: 64,
            ..Default::default()
        };
        let run = |input| decoded(vec![("v2".to_string(), input)], &options).0;
        let rest: Box<dyn Read + Send> = Box::new(io::Cursor::new(v2[skip as usize..].to_vec()));
        let got = run(Input::File(file));
        assert_eq!(got, run(Input::from(rest)));
        let rows: usize = got
            .iter()
            .map(|o| match o {
                Output::Batch(_, b) => b.num_rows(),
                Output::Rejects(_) => 0,
            })
            .sum();
        assert_eq!(rows, 29);
    }

    #[test]
    fn blocks_keep_documents_long_lines_and_first_lines_as_one_decoder_does() {
        // Records longer than the splitter's windows around a range's cut.
        let wide = format!(
            "{{\"type\":\"nspolicy\",\"app\":\"{}\"}}",
            "w".repeat(150_000)
        );
        let rec = "{\"type\":\"page\"}";
        let big = format!("{rec}\n{wide}\n{rec}\n{wide}\n\n{wide}");
        check(&[("big", big.as_bytes())], &DecoderOptions::default());
        let small = tight(40, 16, 2);
        let rec = "{\"type\":\"nspolicy\",\"app\":\"Box\"}";
        let long = format!("{{\"type\":\"nspolicy\",\"app\":\"{}\"}}", "x".repeat(100));
        let cases: Vec<String> = vec![
            String::new(),
            "\n\n\n".into(),
            format!("{rec}"),
            format!("{rec}\n{rec}\r\n\u{feff}{rec}\n"),
            // A document after blank lines; one that is an array; one cut short.
            format!("\n  \n{{\n\"ok\":1,\"result\":[{rec},\n{rec}]\n}}\n"),
            format!("[\n{rec},\n7,\n{rec}\n]"),
            format!("{{\n\"ok\":1,\"result\":[{rec}"),
            // A lone `{` that is not the first line is a bad line, not a document.
            format!("{rec}\n{{\n}}\n{rec}\n"),
            format!("\r\n\u{feff}[\r\n{rec}\r\n]\r\n"),
            // Over-long lines: first, between others, last without a newline, inside a document.
            format!("{long}\n{{\n{rec}\n}}\n"),
            format!("{rec}\n{long}\n{rec}\n{long}{long}\n\n{long}"),
            format!("{long}\r\n{rec}\r\n"),
            format!("{{\n\"ok\":1,\"result\":[{long}]\n}}\n"),
        ];
        for case in &cases {
            check(&[("case", case.as_bytes())], &small);
            check(
                &[("case", case.as_bytes()), ("again", case.as_bytes())],
                &small,
            );
            check(&[("case", case.as_bytes())], &DecoderOptions::default());
        }
    }

    #[test]
    fn blocks_give_what_one_decoder_gives_on_random_input() {
        let pieces: &[&str] = &[
            "{\"type\":\"nspolicy\",\"app\":\"Box\",\"timestamp\":1736151783}",
            "{\"type\":\"admin_audit_logs\",\"user\":\"a@example.com\"}",
            "{\"alert\":\"yes\",\"alert_type\":\"DLP\",\"dlp_incident_id\":\"9223372036854775807\"}",
            "{\"ok\":1,\"result\":[{\"type\":\"nspolicy\"},3]}",
            "",
            "   ",
            "\r",
            "{",
            "[",
            "}",
            "]",
            "\u{feff}{\"type\":\"page\"}",
            "not json",
            "{\"type\":\"nspolicy\",\"app\":\"a very long application name over the limit\"}",
            "{\"type\":\"nspolicy\"",
        ];
        let options = tight(60, 20, 4);
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for _ in 0..60 {
            let mut text = String::new();
            for _ in 0..next(25) {
                text.push_str(pieces[next(pieces.len())]);
                text.push_str(["\n", "\r\n", "\n\n"][next(3)]);
            }
            if next(2) == 0 {
                text.pop(); // no final newline
            }
            check(&[("r", text.as_bytes())], &options);
        }
    }
}
