//! Whole-file conversion to a directory of Parquet or Arrow IPC files (what the CLI runs).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::RecordBatch;

use crate::decoder::{Decoder, DecoderOptions, Stats};
use crate::error::{Error, Result};
use crate::input::{check_input, decompressed_with_limits, open_raw, CountingReader};
use crate::read::decode_source;
use crate::reject::Reject;
use crate::schema::Table;
use crate::write::{DirectoryWriter, WriteOptions};

/// Options of [`convert_files`].
#[derive(Debug, Clone, Default)]
pub struct ConvertOptions {
    /// Decoding options (forced table, batch size, limits).
    pub decoder: DecoderOptions,
    /// Output format and Parquet settings.
    pub write: WriteOptions,
    /// Replace outputs that already exist.
    pub overwrite: bool,
    /// Threads: `1` decodes and encodes on the calling thread; `2` or more encode the output
    /// on a second thread while the next batches are decoded (the output is the same). `0`
    /// (the default) means 2 when the machine has more than one core, else 1. WebAssembly
    /// builds always use 1.
    pub threads: usize,
}

impl ConvertOptions {
    /// The number of threads a conversion uses (resolving `threads: 0`).
    pub fn effective_threads(&self) -> usize {
        if cfg!(target_arch = "wasm32") {
            return 1;
        }
        match self.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get().min(2)),
            n => n.min(2),
        }
    }
}

/// What the decoding side hands to the writing side.
enum Output {
    Batch(Table, RecordBatch),
    Rejects(Vec<Reject>),
}

/// Batches in flight between the decoding and the encoding thread (bounds the memory).
const QUEUE_DEPTH: usize = 4;

/// What a conversion did.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Counters (rows per table, rejects, blank lines, bytes).
    pub stats: Stats,
    /// Files written.
    pub outputs: Vec<PathBuf>,
    /// Wall time.
    pub elapsed: Duration,
    /// Compressed bytes read from the inputs (equal to `stats.bytes_in` for plain files).
    pub bytes_read: u64,
}

impl Summary {
    /// Throughput in MB/s (10^6 bytes) of decompressed input.
    pub fn mb_per_s(&self) -> f64 {
        self.stats.bytes_in as f64 / 1e6 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The summary as one JSON object: `tables` (table -> rows, every table), `rows`,
    /// `rejects`, `blank_lines`, `unwrapped` (records taken out of API response envelopes),
    /// `bytes_in`, `bytes_read`, `seconds`, `mb_per_s`, `outputs`.
    pub fn to_json(&self) -> String {
        let tables: Vec<String> = Table::ALL
            .iter()
            .map(|t| format!("\"{}\":{}", t.name(), self.stats.rows_in(*t)))
            .collect();
        let mut outputs = Vec::new();
        for p in &self.outputs {
            if !outputs.is_empty() {
                outputs.push(b',');
            }
            crate::json::push_json_string(&p.display().to_string(), &mut outputs);
        }
        format!(
            "{{\"tables\":{{{}}},\"rows\":{},\"rejects\":{},\"blank_lines\":{},\"unwrapped\":{},\"bytes_in\":{},\"bytes_read\":{},\"seconds\":{:.3},\"mb_per_s\":{:.1},\"outputs\":[{}]}}",
            tables.join(","),
            self.stats.total_rows(),
            self.stats.rejects,
            self.stats.blank_lines,
            self.stats.unwrapped,
            self.stats.bytes_in,
            self.bytes_read,
            self.elapsed.as_secs_f64(),
            self.mb_per_s(),
            String::from_utf8_lossy(&outputs),
        )
    }
}

/// Converts `inputs` (paths, `-` for stdin; gzip / zstd detected) into `out_dir`.
///
/// `progress` is called after every chunk with the number of (compressed) input bytes read so
/// far over all inputs; an error it returns stops the conversion (outputs not yet complete are
/// removed) and is returned.
pub fn convert_files(
    inputs: &[PathBuf],
    out_dir: &Path,
    options: &ConvertOptions,
    progress: &mut dyn FnMut(u64) -> Result<()>,
) -> Result<Summary> {
    // Check every input first, so a missing file fails before anything is written (files
    // are opened one at a time, so thousands of inputs need no more than one descriptor).
    for path in inputs {
        check_input(path)?;
    }
    let sources = inputs
        .iter()
        .map(|path| Ok((path.display().to_string(), open_raw(path)?)));
    convert_readers(sources, out_dir, options, progress)
}

/// Converts readers (each named for rejects and errors; gzip / zstd detected per reader) into
/// `out_dir`, like [`convert_files`]. Each reader is opened lazily when the iterator yields it,
/// so many inputs need only one at a time.
///
/// ```
/// use netskope_arrow::{convert_readers, ConvertOptions, Table};
/// let dir = std::env::temp_dir().join(format!("netskope-arrow-doc-{}", std::process::id()));
/// let input: Box<dyn std::io::Read + Send> = Box::new(&b"{\"type\":\"admin_audit_logs\"}\n"[..]);
/// let summary = convert_readers([Ok(("inline".to_string(), input))], &dir, &ConvertOptions::default(), &mut |_| Ok(())).unwrap();
/// assert_eq!(summary.stats.rows_in(Table::Audit), 1);
/// assert!(dir.join("netskope_audit_events.parquet").exists());
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn convert_readers<'a, I>(
    inputs: I,
    out_dir: &Path,
    options: &ConvertOptions,
    progress: &mut dyn FnMut(u64) -> Result<()>,
) -> Result<Summary>
where
    I: IntoIterator<Item = Result<(String, Box<dyn Read + Send + 'a>)>>,
{
    let started = Instant::now();
    let mut sink = DirectoryWriter::create(out_dir, options.write.clone(), options.overwrite)?;
    let count = Arc::new(AtomicU64::new(0));
    let decode = |emit: &mut dyn FnMut(Output) -> Result<()>| {
        decode_all(inputs, options, &count, progress, emit)
    };
    let (stats, outputs) = if options.effective_threads() < 2 {
        let stats = decode(&mut |out| write_output(&mut sink, out))?;
        (stats, sink.finish()?)
    } else {
        std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Output>(QUEUE_DEPTH);
            // The writer finishes (renames into place) only when decoding succeeded: it
            // receives `Some(sink)` back through `done` then; otherwise the sink is dropped
            // and its temporary files are removed.
            let writer = scope.spawn(move || -> Result<DirectoryWriter> {
                for out in rx {
                    write_output(&mut sink, out)?;
                }
                Ok(sink)
            });
            let decoded = decode(&mut |out| {
                // A closed channel means the writer failed: its error is reported below.
                tx.send(out)
                    .map_err(|_| Error::Io(std::io::Error::other("the writer thread stopped")))
            });
            drop(tx);
            let sink = match writer.join() {
                Ok(result) => result?,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            let stats = decoded?;
            Ok::<_, Error>((stats, sink.finish()?))
        })?
    };
    Ok(Summary {
        stats,
        outputs,
        elapsed: started.elapsed(),
        bytes_read: count.load(Ordering::Relaxed),
    })
}

/// Decodes every input, handing batches and rejects to `emit` as they come.
fn decode_all<'a, I>(
    inputs: I,
    options: &ConvertOptions,
    count: &Arc<AtomicU64>,
    progress: &mut dyn FnMut(u64) -> Result<()>,
    emit: &mut dyn FnMut(Output) -> Result<()>,
) -> Result<Stats>
where
    I: IntoIterator<Item = Result<(String, Box<dyn Read + Send + 'a>)>>,
{
    let mut decoder = Decoder::new(options.decoder.clone());
    for input in inputs {
        let (name, raw) = input?;
        let (mut reader, _) = decompressed_with_limits(
            CountingReader::new(raw, count.clone()),
            &options.decoder.limits,
        )
        .map_err(|source| Error::Input {
            path: PathBuf::from(&name),
            source,
        })?;
        decode_source(&mut decoder, &name, &mut reader, &mut |d| {
            drain(d, emit)?;
            progress(count.load(Ordering::Relaxed))
        })?;
    }
    decoder.finish();
    drain(&mut decoder, emit)?;
    Ok(decoder.stats().clone())
}

fn write_output(sink: &mut DirectoryWriter, out: Output) -> Result<()> {
    match out {
        Output::Batch(table, batch) => sink.write(table, &batch),
        Output::Rejects(rejects) => sink.write_rejects(&rejects),
    }
}

fn drain(decoder: &mut Decoder, emit: &mut dyn FnMut(Output) -> Result<()>) -> Result<()> {
    while let Some((table, batch)) = decoder.next_batch() {
        emit(Output::Batch(table, batch))?;
    }
    let rejects = decoder.take_rejects();
    if rejects.is_empty() {
        return Ok(());
    }
    emit(Output::Rejects(rejects))
}
