//! Whole-file conversion to a directory of Parquet or Arrow IPC files (what the CLI runs).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::sync::mpsc::sync_channel;

use crate::decoder::{Decoder, DecoderOptions, Stats};
use crate::error::{Error, Result};
use crate::input::{check_input, decompressed_with_limits, open_raw, CountingReader};
use crate::pipeline::{Output, Pool, Splitter, Work, BLOCK_BYTES};
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
    /// Decoding threads. `1` reads, decodes and encodes on the calling thread. With `n >= 2`,
    /// the calling thread reads and cuts the input into blocks of whole lines, `n` threads
    /// decode blocks and one more encodes the output, in input order. The output is the same
    /// for every value. `0` (the default) means one per core (1 on a single core).
    /// WebAssembly builds always use 1.
    pub threads: usize,
    /// Input bytes per block (`0`, the default, means 8 MiB). The input is cut into blocks of
    /// whole lines of about this size, each decoded into its own batches: larger blocks make
    /// larger batches and use more memory per thread. The output depends on this value, not
    /// on `threads`.
    pub block_bytes: usize,
}

impl ConvertOptions {
    /// The number of threads a conversion uses (resolving `threads: 0`).
    pub fn effective_threads(&self) -> usize {
        if cfg!(target_arch = "wasm32") {
            return 1;
        }
        match self.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }
}

/// Decoded blocks waiting for the writer, per decoding thread. Blocks are handed to a
/// decoding thread only when it asks for one (a rendezvous), so the memory in flight is about
/// three blocks per decoding thread; deeper queues were measured to use more memory for no
/// speed.
const QUEUE_DEPTH: usize = 1;

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
    let threads = options.effective_threads();
    let (stats, outputs) = if threads < 2 {
        let mut decoder = Decoder::new(options.decoder.clone());
        let pool = Pool::default();
        let mut stats = split_all(inputs, options, &pool, &count, progress, &mut |work| {
            for out in work.run(&mut decoder, &pool) {
                write_output(&mut sink, out)?;
            }
            Ok(())
        })?;
        stats.add(decoder.stats());
        (stats, sink.finish()?)
    } else {
        std::thread::scope(|scope| {
            // Work goes round-robin to the decoding workers, one channel each; the writer
            // takes their results round-robin too, which is input order.
            let mut to_workers = Vec::with_capacity(threads);
            let mut from_workers = Vec::with_capacity(threads);
            let mut workers = Vec::with_capacity(threads);
            let pool = Pool::default();
            for i in 0..threads {
                let (work_tx, work_rx) = sync_channel::<Work>(0);
                let (out_tx, out_rx) = sync_channel::<Vec<Output>>(QUEUE_DEPTH);
                let decoder_options = options.decoder.clone();
                let pool = pool.clone();
                let spawn = std::thread::Builder::new().name(format!("netskope-decode-{i}"));
                workers.push(spawn.spawn_scoped(scope, move || {
                    let mut decoder = Decoder::new(decoder_options);
                    for work in work_rx {
                        // A closed channel means the writer stopped: its error is reported.
                        if out_tx.send(work.run(&mut decoder, &pool)).is_err() {
                            break;
                        }
                    }
                    decoder.stats().clone()
                })?);
                to_workers.push(work_tx);
                from_workers.push(out_rx);
            }
            // The writer finishes (renames into place) only when decoding succeeded: it
            // hands the sink back then; otherwise the sink is dropped and its temporary
            // files are removed.
            let spawn = std::thread::Builder::new().name("netskope-write".into());
            let writer = spawn.spawn_scoped(scope, move || -> Result<DirectoryWriter> {
                for i in 0.. {
                    let Ok(outputs) = from_workers[i % from_workers.len()].recv() else {
                        break;
                    };
                    for out in outputs {
                        write_output(&mut sink, out)?;
                    }
                }
                Ok(sink)
            })?;
            let mut next = 0usize;
            let split = split_all(inputs, options, &pool, &count, progress, &mut |work| {
                let worker = &to_workers[next % to_workers.len()];
                next += 1;
                worker
                    .send(work)
                    .map_err(|_| Error::Io(std::io::Error::other("a decoding thread stopped")))
            });
            drop(to_workers);
            let mut stats = Stats::default();
            for worker in workers {
                match worker.join() {
                    Ok(s) => stats.add(&s),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            let sink = match writer.join() {
                Ok(result) => result?,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            stats.add(&split?);
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

/// Cuts every input into [`Work`] for `send`, in input order. Returns the counters of what the
/// splitter decoded itself (the workers count the blocks).
fn split_all<'a, I>(
    inputs: I,
    options: &ConvertOptions,
    pool: &Pool,
    count: &Arc<AtomicU64>,
    progress: &mut dyn FnMut(u64) -> Result<()>,
    send: &mut dyn FnMut(Work) -> Result<()>,
) -> Result<Stats>
where
    I: IntoIterator<Item = Result<(String, Box<dyn Read + Send + 'a>)>>,
{
    let block_bytes = match options.block_bytes {
        0 => BLOCK_BYTES,
        n => n,
    };
    let mut splitter = Splitter::new(options.decoder.clone(), block_bytes, pool.clone(), send);
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
        splitter.source(&name, &mut reader, &mut || {
            progress(count.load(Ordering::Relaxed))
        })?;
    }
    Ok(splitter.stats().clone())
}

fn write_output(sink: &mut DirectoryWriter, out: Output) -> Result<()> {
    match out {
        Output::Batch(table, batch) => sink.write(table, &batch),
        Output::Rejects(rejects) => sink.write_rejects(&rejects),
    }
}
