//! The whole path to Parquet bytes: any input (plain, gzip or zstd, detected by magic bytes)
//! read by `read_all`, each table written with `TableWriter`, and the Parquet read back by the
//! parquet crate's own reader equals the batches written. The rejects table too.
#![no_main]

mod common;

use arrow_array::RecordBatch;
use libfuzzer_sys::fuzz_target;
use std::io::Read;

use netskope_arrow::{
    decompressed_with_limits, read_all, rejects_batch, Compression, DecoderOptions, Limits,
    OutputFormat, TableWriter, WriteOptions,
};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

fn read_back(bytes: Vec<u8>) -> Vec<RecordBatch> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
        .expect("our Parquet has a footer")
        .build()
        .expect("reader");
    reader.map(|b| b.expect("our Parquet reads back")).collect()
}

fuzz_target!(|data: &[u8]| {
    // A small ratio limit keeps decompression bombs cheap (the first 16 MiB pass anyway).
    let limits = Limits {
        max_decompression_ratio: 100,
        ..common::tight_limits()
    };
    let options = DecoderOptions {
        batch_size: 4,
        limits,
        ..Default::default()
    };
    // Inputs that decompress to more than 1 MiB are skipped: millions of rows per run would
    // only slow the fuzzer down (the limit itself is fuzzed by the decompressor check below).
    let Ok((mut r, _)) = decompressed_with_limits(data, &options.limits) else {
        return;
    };
    let mut probe = Vec::new();
    if (&mut r).take(1 << 20).read_to_end(&mut probe).is_ok() && probe.len() == 1 << 20 {
        return;
    }
    let Ok(tables) = read_all(data, options) else {
        return; // a corrupt compressed input: an error, as documented
    };
    let write = WriteOptions {
        format: OutputFormat::Parquet,
        compression: Compression::Snappy,
        row_group_rows: 3,
        ..WriteOptions::default()
    };
    for t in tables.non_empty() {
        let mut w = TableWriter::new(Vec::new(), t, &write).expect("writer");
        for b in tables.batches(t) {
            w.write(b).expect("write");
        }
        let bytes = w.finish().expect("finish");
        let back = read_back(bytes);
        let want = tables.concat(t);
        let got = arrow_select::concat::concat_batches(&t.schema(), &back).expect("concat");
        assert_eq!(got, want, "{t} read back");
    }
    let rejects = rejects_batch(&tables.rejects);
    let mut w = parquet::arrow::ArrowWriter::try_new(Vec::new(), rejects.schema(), None)
        .expect("rejects writer");
    w.write(&rejects).expect("write rejects");
    let back = read_back(w.into_inner().expect("finish rejects"));
    let got = arrow_select::concat::concat_batches(&rejects.schema(), &back).expect("concat");
    assert_eq!(got, rejects, "rejects read back");
});
