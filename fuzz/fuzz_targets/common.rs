//! What every fuzz target checks about a decoder's output, beyond "no panic": counters that
//! agree with the batches and rejects, rejects that point at their bytes, and JSON text
//! columns (`_extra`, json-kind columns, `Reject::to_json`) that a strict parser accepts.
#![allow(dead_code)]

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use netskope_arrow::{columns, ColumnKind, Decoder, DecoderOptions, Limits, Reject, Stats, Table};

/// Everything a decoder produced.
#[derive(Debug, PartialEq)]
pub struct Outcome {
    pub batches: Vec<(Table, RecordBatch)>,
    pub rejects: Vec<Reject>,
    pub stats: Stats,
}

/// Tight limits, so the fuzzer reaches every limit with small inputs.
pub fn tight_limits() -> Limits {
    Limits {
        max_line_bytes: 96,
        max_depth: 4,
        max_keys: 5,
        max_reject_raw_bytes: 24,
        max_document_bytes: 160,
        ..Limits::default()
    }
}

pub fn options(limits: Limits, batch_size: usize) -> DecoderOptions {
    DecoderOptions {
        batch_size,
        limits,
        ..Default::default()
    }
}

/// Decodes `chunks` (one source) and collects everything, draining as a streaming user does.
pub fn decode<'a>(chunks: impl IntoIterator<Item = &'a [u8]>, options: DecoderOptions) -> Outcome {
    let mut d = Decoder::new(options);
    let mut batches = Vec::new();
    let mut rejects = Vec::new();
    for c in chunks {
        d.push(c);
        while let Some(b) = d.next_batch() {
            batches.push(b);
        }
        rejects.append(&mut d.take_rejects());
    }
    d.finish();
    while let Some(b) = d.next_batch() {
        batches.push(b);
    }
    rejects.append(&mut d.take_rejects());
    Outcome {
        batches,
        rejects,
        stats: d.stats().clone(),
    }
}

/// Parses JSON text strictly (serde_json, any depth, any number size).
pub fn parse_json(text: &str) -> serde_json::Value {
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    let v = serde::Deserialize::deserialize(&mut de)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    de.end()
        .unwrap_or_else(|e| panic!("trailing text ({e}): {text}"));
    v
}

/// Checks the invariants of `out`, decoded from `data` (one source) with `limits`.
pub fn check(data: &[u8], out: &Outcome, limits: &Limits) {
    let s = &out.stats;
    assert_eq!(s.bytes_in, data.len() as u64);
    let newlines = memchr_count(data);
    let lines = newlines + u64::from(!data.is_empty() && !data.ends_with(b"\n"));
    assert_eq!(s.lines, lines, "lines");
    assert!(s.blank_lines <= s.lines);
    assert_eq!(out.rejects.len() as u64, s.rejects, "rejects");
    let mut rows = [0u64; Table::ALL.len()];
    for (t, b) in &out.batches {
        assert!(b.num_rows() > 0, "empty batch");
        assert_eq!(b.schema(), t.schema(), "schema of {t}");
        rows[t.index()] += b.num_rows() as u64;
        check_json_columns(*t, b);
    }
    assert_eq!(rows, s.rows, "rows per table");
    assert!(s.unwrapped <= s.total_rows());
    for r in &out.rejects {
        assert!(
            r.line >= 1 && r.line <= s.lines.max(1),
            "line {} of {}",
            r.line,
            s.lines
        );
        assert!(r.offset <= data.len() as u64, "offset");
        assert!(!r.error.is_empty());
        assert!(r.raw.len() <= limits.max_reject_raw_bytes);
        let json = parse_json(&r.to_json());
        assert_eq!(json["line"].to_string(), r.line.to_string());
        // A reject's raw bytes are the source's bytes at its offset (documents aside: their
        // first line is kept without its line end).
        let document =
            r.error.starts_with("invalid JSON document") || r.error.starts_with("JSON document of");
        if !document {
            let at = &data[r.offset as usize..];
            assert!(
                at.starts_with(&r.raw),
                "raw of reject at line {} is not the source's bytes: {r:?}",
                r.line
            );
        }
    }
}

fn memchr_count(data: &[u8]) -> u64 {
    data.iter().filter(|&&b| b == b'\n').count() as u64
}

/// `_extra` and the json-kind columns hold JSON text a strict parser reads (an object for
/// `_extra`).
fn check_json_columns(table: Table, batch: &RecordBatch) {
    let extra = batch
        .column_by_name("_extra")
        .expect("_extra")
        .as_string::<i32>();
    for i in 0..extra.len() {
        if extra.is_valid(i) {
            assert!(
                parse_json(extra.value(i)).is_object(),
                "_extra is not an object"
            );
        }
    }
    for c in columns(table) {
        if c.kind != ColumnKind::Json {
            continue;
        }
        let a = batch
            .column_by_name(c.name)
            .expect("column")
            .as_string::<i32>();
        for i in 0..a.len() {
            if a.is_valid(i) {
                parse_json(a.value(i));
            }
        }
    }
}
