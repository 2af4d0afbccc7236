//! Criterion micro-benchmarks of the writers: one table's batches encoded as Parquet (each
//! codec; zstd also with its columns on 2 threads) and as an Arrow IPC stream, from the bundled
//! samples repeated. Not tests: `cargo bench --bench encode`. Throughput is counted in NDJSON
//! bytes, like the converter's.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use netskope_arrow::{read_all, Compression, Table, TableWriter, WriteOptions};

fn bench_encode(c: &mut Criterion) {
    let root = env!("CARGO_MANIFEST_DIR");
    let input: Vec<u8> = ["tenant-export-v2.ndjson", "tenant-export-v1.ndjson"]
        .iter()
        .flat_map(|n| std::fs::read(format!("{root}/samples/{n}")).expect("samples/"))
        .collect::<Vec<u8>>()
        .repeat(100);
    let tables = read_all(&input[..], Default::default()).expect("decodes");
    let mut g = c.benchmark_group("encode");
    g.throughput(Throughput::Bytes(input.len() as u64));
    for (codec, threads) in [
        ("zstd", 1),
        ("zstd", 2),
        ("zstd:1", 1),
        ("snappy", 1),
        ("lz4_raw", 1),
        ("none", 1),
    ] {
        let options = WriteOptions {
            compression: codec.parse::<Compression>().expect("codec"),
            ..Default::default()
        };
        let name = match threads {
            1 => "parquet".to_string(),
            n => format!("parquet, {n} threads"),
        };
        g.bench_with_input(BenchmarkId::new(name, codec), &options, |b, options| {
            b.iter(|| {
                let mut bytes = 0;
                for t in tables.non_empty() {
                    let mut w = TableWriter::new(Vec::new(), t, options).expect("writer");
                    w.set_threads(threads);
                    for batch in tables.batches(t) {
                        w.write(batch).expect("write");
                    }
                    bytes += w.finish().expect("finish").len();
                }
                black_box(bytes)
            })
        });
    }
    g.bench_function("ipc stream", |b| {
        b.iter(|| {
            let mut bytes = 0;
            for t in Table::ALL {
                let mut w = TableWriter::new_ipc_stream(Vec::new(), t).expect("writer");
                for batch in tables.batches(t) {
                    w.write(batch).expect("write");
                }
                bytes += w.finish().expect("finish").len();
            }
            black_box(bytes)
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(3));
    targets = bench_encode
}
criterion_main!(benches);
