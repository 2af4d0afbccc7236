//! Whole-file conversion to a directory of Parquet or Arrow IPC files (what the CLI runs).

use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::time::{Duration, Instant};

use crate::decoder::Stats;
use crate::error::{Error, Result};
use crate::input::{check_input, open_input, Input};
use crate::pipeline::{decode_readers, Output, ReadOptions};
use crate::schema::Table;
use crate::write::{DirectoryWriter, TableFile, WriteOptions};
use arrow_array::RecordBatch;

/// Batches waiting for each table's encoding thread.
const TABLE_QUEUE_DEPTH: usize = 2;

/// Options of [`convert_files`] and [`convert_readers`].
#[derive(Debug, Clone, Default)]
pub struct ConvertOptions {
    /// How the inputs are read: decoding options, threads, block size. With two threads or
    /// more, each table's file is also encoded on a thread of its own, which encodes its
    /// columns with helper threads the files share (as many threads as decode in all; the
    /// files are the same for any number).
    pub read: ReadOptions,
    /// Output format and Parquet settings.
    pub write: WriteOptions,
    /// Replace outputs that already exist.
    pub overwrite: bool,
}

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
        .map(|path| Ok((path.display().to_string(), open_input(path)?)));
    convert_readers(sources, out_dir, options, progress)
}

/// Converts inputs (each named for rejects and errors; gzip / zstd detected per input; an
/// [`Input`] or anything that converts into one: a `Box<dyn Read + Send>`, a `File`) into
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
pub fn convert_readers<'a, I, S>(
    inputs: I,
    out_dir: &Path,
    options: &ConvertOptions,
    progress: &mut dyn FnMut(u64) -> Result<()>,
) -> Result<Summary>
where
    I: IntoIterator<Item = Result<(String, S)>>,
    S: Into<Input<'a>>,
{
    let started = Instant::now();
    let mut sink = DirectoryWriter::create(out_dir, options.write.clone(), options.overwrite)?;
    let mut bytes_read = 0;
    let mut progress = |read| {
        bytes_read = read;
        progress(read)
    };
    let stats = if options.read.effective_threads() < 2 {
        decode_readers(inputs, &options.read, &mut progress, &mut |out| match out {
            Output::Batch(table, batch) => sink.write(table, &batch),
            Output::Rejects(rejects) => sink.write_rejects(&rejects),
        })
    } else {
        // Each table is encoded on a thread of its own, which shares its columns with helper
        // threads (as many as decode, less one, for all the tables' files together), so that
        // encoding is not one thread that the decoders wait for; every file still gets its
        // batches in input order.
        sink.set_threads(options.read.effective_threads());
        std::thread::scope(|scope| {
            let mut to_tables: Vec<Option<SyncSender<RecordBatch>>> =
                (0..Table::ALL.len()).map(|_| None).collect();
            let mut encoders = Vec::new();
            let decoded = decode_readers(inputs, &options.read, &mut progress, &mut |out| {
                let (table, batch) = match out {
                    Output::Batch(table, batch) => (table, batch),
                    Output::Rejects(rejects) => return sink.write_rejects(&rejects),
                };
                let slot = &mut to_tables[table.index()];
                if slot.is_none() {
                    let mut file = sink.take_table(table)?;
                    let (tx, rx) = sync_channel::<RecordBatch>(TABLE_QUEUE_DEPTH);
                    let name = format!("netskope-encode-{}", table.name());
                    let spawn = std::thread::Builder::new().name(name);
                    encoders.push((
                        table,
                        spawn.spawn_scoped(scope, move || -> Result<TableFile> {
                            for batch in rx {
                                file.write(&batch)?;
                            }
                            Ok(file)
                        })?,
                    ));
                    *slot = Some(tx);
                }
                let tx = slot.as_ref().expect("set above");
                // A closed channel means the encoder failed: its error is reported below.
                tx.send(batch)
                    .map_err(|_| Error::Io(std::io::Error::other("an encoding thread stopped")))
            });
            drop(to_tables);
            let mut first_error = None;
            for (table, encoder) in encoders {
                match encoder.join() {
                    Ok(Ok(file)) => sink.put_table(table, file),
                    Ok(Err(e)) => {
                        first_error.get_or_insert(e);
                    }
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            match first_error {
                Some(e) => Err(e),
                None => decoded,
            }
        })
    };
    // On an error the sink is dropped unfinished, which removes its temporary files.
    let stats = stats?;
    Ok(Summary {
        stats,
        outputs: sink.finish()?,
        elapsed: started.elapsed(),
        bytes_read,
    })
}
