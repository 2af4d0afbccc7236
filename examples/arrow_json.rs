//! The reference decoder of the performance targets: arrow-rs's own NDJSON reader (`arrow-json`)
//! decoding a file on one thread with a 37-field schema, printed like the `throughput` example.
//!
//! The performance issue set "350 MB/s per core" for our decoder on a machine where this
//! reader ran ~185 MB/s; running both on the same machine and file tells a slower machine
//! from a slower decoder. The schema is the first 37 scalar columns of the application events
//! table, all `Utf8` (numbers kept as their text), so that a file of application events decodes
//! whatever types its values arrive in; unknown keys are skipped. A file with bad lines or other
//! record kinds fails, as it does in every generic reader.
//!
//! ```sh
//! cargo run --release --example arrow_json -- bench-data/app-1GiB.ndjson
//! ```

use std::io::BufReader;
use std::sync::Arc;
use std::time::Instant;

use arrow_json::ReaderBuilder;
use arrow_schema::{DataType, Field, Schema};
use netskope_arrow::{columns, ColumnKind, Table};

/// Fields in the reference schema.
const FIELDS: usize = 37;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "samples/tenant-export-v2.ndjson".into());
    let fields: Vec<Field> = columns(Table::Application)
        .iter()
        .filter(|c| !c.name.starts_with('_'))
        .filter(|c| {
            matches!(
                c.kind,
                ColumnKind::String
                    | ColumnKind::Int64
                    | ColumnKind::Float64
                    | ColumnKind::Bool
                    | ColumnKind::Timestamp
            )
        })
        .take(FIELDS)
        .map(|c| Field::new(c.name, DataType::Utf8, true))
        .collect();
    assert_eq!(fields.len(), FIELDS);
    let bytes = std::fs::metadata(&path)?.len();
    let started = Instant::now();
    let reader = ReaderBuilder::new(Arc::new(Schema::new(fields)))
        .with_coerce_primitive(true)
        .build(BufReader::with_capacity(
            1 << 20,
            std::fs::File::open(&path)?,
        ))?;
    let mut rows = 0;
    for batch in reader {
        rows += batch?.num_rows();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{path}: {rows} rows, 0 rejects, {:.1} MB in {secs:.3} s = {:.1} MB/s (arrow-json, {FIELDS} Utf8 fields, one thread)",
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / secs
    );
    Ok(())
}
