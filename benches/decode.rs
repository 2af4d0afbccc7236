//! Criterion micro-benchmarks of the decoder: whole inputs per record kind, and one column kind
//! at a time (what each typed builder costs). Not tests: `cargo bench --bench decode`.
//!
//! Inputs are built from the bundled samples (repeated) and from synthetic records whose keys
//! all have one column kind, forced into one table, so the figure isolates that builder.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use netskope_arrow::{columns, ColumnKind, Decoder, DecoderOptions, Table};

fn decode(input: &[u8], table: Option<Table>) -> usize {
    let mut d = Decoder::new(DecoderOptions {
        table,
        ..Default::default()
    });
    let mut rows = 0;
    for chunk in input.chunks(1 << 20) {
        d.push(chunk);
        while let Some((_, b)) = d.next_batch() {
            rows += b.num_rows();
        }
    }
    d.finish();
    while let Some((_, b)) = d.next_batch() {
        rows += b.num_rows();
    }
    rows
}

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/samples/{name}", env!("CARGO_MANIFEST_DIR"))).expect("samples/")
}

/// The sample lines routed to `table`, repeated to about 4 MB.
fn lines_of(table: Table) -> Vec<u8> {
    let mut unit = Vec::new();
    for name in ["tenant-export-v2.ndjson", "tenant-export-v1.ndjson"] {
        for line in sample(name).split(|&b| b == b'\n') {
            let mut d = Decoder::new(DecoderOptions::default());
            d.push(line);
            d.push(b"\n");
            d.finish();
            if matches!(d.next_batch(), Some((t, _)) if t == table) {
                unit.extend_from_slice(line);
                unit.push(b'\n');
            }
        }
    }
    unit.repeat((4 << 20) / unit.len().max(1) + 1)
}

fn by_record_kind(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode/records");
    let mixed: Vec<u8> = [
        sample("tenant-export-v2.ndjson"),
        sample("tenant-export-v1.ndjson"),
    ]
    .concat()
    .repeat(100);
    let inputs = [
        ("mixed samples", mixed),
        ("application", lines_of(Table::Application)),
        ("alerts", lines_of(Table::Alerts)),
        ("audit", lines_of(Table::Audit)),
    ];
    for (name, input) in &inputs {
        g.throughput(Throughput::Bytes(input.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(name), input, |b, input| {
            b.iter(|| black_box(decode(input, None)))
        });
    }
    g.finish();
}

/// A value of `kind` as Netskope sends it.
fn value(kind: ColumnKind, i: usize) -> String {
    match kind {
        ColumnKind::String => format!("\"value {i} of a string field\""),
        ColumnKind::Int64 => format!("{}", 8_847_222_077_216_958_610u64 - i as u64),
        ColumnKind::Float64 => format!("{}.{}", i % 180, i % 997),
        ColumnKind::Bool => ["\"yes\"", "\"no\"", "true", "false"][i % 4].to_string(),
        ColumnKind::Timestamp => format!("{}", 1_735_689_600 + i),
        ColumnKind::StringList => format!("[\"a{i}\",\"b\",\"c\"]"),
        ColumnKind::Json => format!("{{\"k\":[{i},{{\"x\":\"y\"}}]}}"),
        ColumnKind::SupportingData => {
            format!("{{\"data_type\":\"user\",\"data_values\":[\"u{i}@example.com\"]}}")
        }
        ColumnKind::LocalTimestamp => "\"Tue Mar  4 09:05:07 2025\"".to_string(),
    }
}

/// About 4 MB of alert records holding (up to 40 of) the alerts table's columns of `kind`.
fn records_of_kind(kind: ColumnKind) -> Vec<u8> {
    let names: Vec<&str> = columns(Table::Alerts)
        .iter()
        .filter(|c| c.kind == kind && !c.name.starts_with('_'))
        .map(|c| c.name)
        .take(40)
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while out.len() < 4 << 20 {
        out.push(b'{');
        for (k, name) in names.iter().enumerate() {
            if k > 0 {
                out.push(b',');
            }
            out.extend_from_slice(format!("\"{name}\":{}", value(kind, i + k)).as_bytes());
        }
        out.extend_from_slice(b"}\n");
        i += 1;
    }
    out
}

fn by_column_kind(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode/column kind");
    for kind in [
        ColumnKind::String,
        ColumnKind::Int64,
        ColumnKind::Float64,
        ColumnKind::Bool,
        ColumnKind::Timestamp,
        ColumnKind::StringList,
        ColumnKind::Json,
        ColumnKind::SupportingData,
    ] {
        let input = records_of_kind(kind);
        g.throughput(Throughput::Bytes(input.len() as u64));
        g.bench_with_input(
            BenchmarkId::from_parameter(kind.name()),
            &input,
            |b, input| b.iter(|| black_box(decode(input, Some(Table::Alerts)))),
        );
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(3));
    targets = by_record_kind, by_column_kind
}
criterion_main!(benches);
