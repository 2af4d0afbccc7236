//! Decode an NDJSON file into Arrow batches (no output) and print the throughput.
//!
//! ```sh
//! cargo run --release --example throughput -- samples/tenant-export-v2.ndjson
//! ```

use std::time::Instant;

use netskope_arrow::{BatchReader, DecoderOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "samples/tenant-export-v2.ndjson".into());
    let file = std::fs::File::open(&path)?;
    let started = Instant::now();
    let mut reader = BatchReader::new(file, DecoderOptions::default())?;
    let mut rows = 0;
    for item in &mut reader {
        rows += item?.1.num_rows();
    }
    let secs = started.elapsed().as_secs_f64();
    let stats = reader.stats();
    println!(
        "{path}: {rows} rows, {} rejects, {:.1} MB in {secs:.3} s = {:.1} MB/s (decode to Arrow only, one thread)",
        stats.rejects,
        stats.bytes_in as f64 / 1e6,
        stats.bytes_in as f64 / 1e6 / secs
    );
    Ok(())
}
