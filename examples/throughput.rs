//! Decode an NDJSON file into Arrow batches (no output) and print the throughput: on the calling
//! thread with `BatchReader`, or on N threads with `decode_readers` (`--threads N`, 0 for one
//! per core). Batches are dropped as they come, or with `--keep` held until the end, like
//! Python's `read_ndjson` (its native counterpart). `--batch-bytes N` sets
//! `DecoderOptions::batch_bytes` (input bytes per batch).
//!
//! ```sh
//! cargo run --release --example throughput -- samples/tenant-export-v2.ndjson
//! cargo run --release --example throughput -- samples/tenant-export-v2.ndjson --threads 2 --keep
//! ```

use std::time::Instant;

use netskope_arrow::{decode_readers, BatchReader, DecoderOptions, Output, ReadOptions, Stats};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    const USAGE: &str = "usage: throughput [FILE] [--threads N] [--keep] [--batch-bytes N]";
    let (mut path, mut threads, mut keep) = (None, None, false);
    let mut decoder = DecoderOptions::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threads" => threads = Some(args.next().ok_or(USAGE)?.parse::<usize>()?),
            "--keep" => keep = true,
            "--batch-bytes" => decoder.batch_bytes = args.next().ok_or(USAGE)?.parse()?,
            _ if path.is_none() && !arg.starts_with('-') => path = Some(arg),
            _ => return Err(USAGE.into()),
        }
    }
    let path = path.unwrap_or_else(|| "samples/tenant-export-v2.ndjson".into());
    let file = std::fs::File::open(&path)?;
    let started = Instant::now();
    let mut rows = 0;
    let mut kept = Vec::new();
    let (stats, how): (Stats, String) = match threads {
        None => {
            let mut reader = BatchReader::new(file, decoder)?;
            for item in &mut reader {
                let batch = item?.1;
                rows += batch.num_rows();
                if keep {
                    kept.push(batch);
                }
            }
            (reader.stats().clone(), "one thread".into())
        }
        Some(n) => {
            let options = ReadOptions {
                threads: n,
                decoder,
                ..Default::default()
            };
            // A file: the decoding threads read their blocks themselves (`Input::File`).
            let stats = decode_readers(
                [Ok((path.clone(), file))],
                &options,
                &mut |_| Ok(()),
                &mut |out| {
                    if let Output::Batch(_, batch) = out {
                        rows += batch.num_rows();
                        if keep {
                            kept.push(batch);
                        }
                    }
                    Ok(())
                },
            )?;
            let n = options.effective_threads();
            (
                stats,
                format!("{n} thread{}", if n == 1 { "" } else { "s" }),
            )
        }
    };
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{path}: {rows} rows, {} rejects, {:.1} MB in {secs:.3} s = {:.1} MB/s (decode to Arrow only, {how}{})",
        stats.rejects,
        stats.bytes_in as f64 / 1e6,
        stats.bytes_in as f64 / 1e6 / secs,
        if keep { ", batches kept" } else { "" }
    );
    Ok(())
}
