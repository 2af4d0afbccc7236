//! Property tests (proptest, shrinking to a minimal failing input):
//!
//! - lossless: records generated from the schema, with values of the declared type, of a
//!   drifted type (numbers as strings, booleans as yes/no, placeholders, objects where scalars
//!   belong) and unknown keys, convert so that every key/value is found again in its typed
//!   column (after the documented normalization) or verbatim in `_extra` (the serde_json
//!   oracle of tests/common);
//! - chunking: the same bytes split at any points give identical batches, rejects and counters;
//! - accounting: non-blank lines in = rows + rejects, for any bytes that are NDJSON (no
//!   pretty-printed document, no API response envelope), and the line count is exact for any
//!   bytes at all.

mod common;

use netskope_arrow::{columns, ColumnKind, Decoder, DecoderOptions, Limits, Table, Tables};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// `cases` per property, or `PROPTEST_CASES` when set (for longer runs).
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---- Values as Netskope sends them.

/// Any JSON scalar (numbers within what serde_json represents exactly).
fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ]
}

/// Any JSON value, nested a few levels.
fn any_json() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::from),
            prop::collection::vec((any::<String>(), inner), 0..5)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A placeholder in a random case, with surrounding spaces sometimes.
fn placeholder() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(netskope_arrow::PLACEHOLDERS),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(p, upper, pad)| {
            let p = if upper {
                p.to_ascii_uppercase()
            } else {
                p.to_string()
            };
            json!(if pad { format!(" {p} ") } else { p })
        })
}

/// Drift: the value as a string, padded or not.
fn as_text(v: Value, pad: bool) -> Value {
    let s = match v {
        Value::String(s) => s,
        other => other.to_string(),
    };
    json!(if pad { format!(" {s}") } else { s })
}

/// A value for a column of `kind`: the declared type, a drifted one, or anything at all.
fn value_for(kind: ColumnKind) -> BoxedStrategy<Value> {
    let declared: BoxedStrategy<Value> = match kind {
        ColumnKind::String => any::<String>().prop_map(Value::from).boxed(),
        ColumnKind::Int64 => prop_oneof![
            any::<i64>().prop_map(Value::from),
            (any::<i64>(), any::<bool>()).prop_map(|(i, pad)| as_text(json!(i), pad)),
            any::<u64>().prop_map(Value::from),
        ]
        .boxed(),
        ColumnKind::Float64 => prop_oneof![
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            (-1e9f64..1e9, any::<bool>()).prop_map(|(f, pad)| as_text(json!(f), pad)),
            any::<i32>().prop_map(Value::from),
        ]
        .boxed(),
        ColumnKind::Bool => prop_oneof![
            any::<bool>().prop_map(Value::from),
            prop::sample::select(&["yes", "no", "Yes", "NO", "true", "False", "1", "0"][..])
                .prop_map(Value::from),
            prop::sample::select(&[0, 1][..]).prop_map(Value::from),
        ]
        .boxed(),
        ColumnKind::Timestamp => prop_oneof![
            // Seconds, milliseconds and microseconds of the years 1970 to 2100.
            (0i64..4_102_444_800).prop_map(Value::from),
            (0i64..4_102_444_800_000).prop_map(Value::from),
            (1_000_000_000_000_000i64..4_102_444_800_000_000).prop_map(Value::from),
            (1i64..4_102_444_800).prop_map(|s| as_text(json!(s), false)),
            (1_000_000_000u32..2_000_000_000, 0u32..1000)
                .prop_map(|(s, ms)| json!(f64::from(s) + f64::from(ms) / 1000.0)),
        ]
        .boxed(),
        ColumnKind::StringList => prop_oneof![
            prop::collection::vec(scalar(), 0..5).prop_map(Value::from),
            prop::collection::vec(any::<String>(), 0..4)
                .prop_map(|items| json!(serde_json::to_string(&items).unwrap())),
        ]
        .boxed(),
        ColumnKind::Json => {
            prop_oneof![any_json(), any_json().prop_map(|v| json!(v.to_string())),].boxed()
        }
        ColumnKind::SupportingData => (
            any::<String>(),
            prop::collection::vec(scalar().prop_filter("no nested", |v| !v.is_null()), 0..4),
        )
            .prop_map(|(t, values)| json!({ "data_type": t, "data_values": values }))
            .boxed(),
        ColumnKind::LocalTimestamp => unreachable!("derived column"),
    };
    prop_oneof![
        6 => declared,
        1 => placeholder(),
        1 => Just(Value::Null),
        1 => any_json(),
    ]
    .boxed()
}

/// A record of `table`: some of its columns with generated values, plus unknown keys, in
/// random order, as one NDJSON line.
fn record(table: Table) -> impl Strategy<Value = String> {
    let cols: Vec<_> = columns(table)
        .iter()
        .filter(|c| c.kind != ColumnKind::LocalTimestamp && c.name != "_extra")
        .collect();
    let known =
        prop::sample::subsequence(cols.clone(), 0..cols.len().min(24)).prop_flat_map(|picked| {
            picked
                .into_iter()
                .map(|c| (Just(c.name.to_string()), value_for(c.kind)))
                .collect::<Vec<_>>()
        });
    let unknown = prop::collection::vec(
        (
            "[a-z_]{1,8}|\\PC{1,6}".prop_filter("not a column", move |k| {
                !columns(table).iter().any(|c| c.name == k)
            }),
            any_json(),
        ),
        0..4,
    );
    (known, unknown, any::<u64>()).prop_map(|(known, unknown, shuffle)| {
        let mut pairs: Vec<(String, Value)> = known.into_iter().chain(unknown).collect();
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        pairs.dedup_by(|a, b| a.0 == b.0);
        // A deterministic shuffle from the seed.
        let mut x = shuffle | 1;
        for i in (1..pairs.len()).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            pairs.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let body: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}:{}", json!(k), v))
            .collect();
        format!("{{{}}}", body.join(","))
    })
}

fn table_and_record() -> impl Strategy<Value = (Table, String)> {
    prop::sample::select(&Table::ALL[..]).prop_flat_map(|t| (Just(t), record(t)))
}

proptest! {
    #![proptest_config(config(512))]

    /// Every key/value of a generated record is in its typed column or in `_extra`.
    #[test]
    fn generated_records_convert_losslessly((table, line) in table_and_record()) {
        let mut d = Decoder::new(DecoderOptions { table: Some(table), ..Default::default() });
        d.push(line.as_bytes());
        d.finish();
        let rejects = d.take_rejects();
        prop_assert!(rejects.is_empty(), "{line}: {rejects:?}");
        let (t, batch) = d.next_batch().expect("one batch");
        prop_assert_eq!(t, table);
        common::assert_lossless(&line, table, &batch, &line);
    }
}

// ---- Bytes that look like NDJSON exports, messy.

const ODD_LINES: &[&[u8]] = &[
    b"",
    b" \t",
    b"\r",
    b"{",
    b"}",
    b"[]",
    b"[1,2]",
    b"42",
    b"\"s\"",
    b"null",
    b"\xef\xbb\xbf{\"type\":\"nspolicy\"}",
    b"{\"a\":1} x",
    b"{\"a\":\"\\ud800\"}",
    b"{\"a\":\xff}",
    b"{\"a\":1e400}",
    b"{\"a\":[[[[[[[[[[1]]]]]]]]]]}",
    b"{\"k\":1,\"k\":\"x\"}",
];

/// One line's worth of bytes: records, broken records, garbage, line-end oddities.
fn line_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => table_and_record().prop_map(|(_, r)| r.into_bytes()),
        1 => table_and_record().prop_flat_map(|(_, r)| {
            let n = r.len();
            (Just(r), 0..n).prop_map(|(r, cut)| r.as_bytes()[..cut].to_vec())
        }),
        1 => prop::collection::vec(any::<u8>(), 0..40)
            .prop_map(|mut v| { v.retain(|&b| b != b'\n'); v }),
        1 => prop::sample::select(ODD_LINES).prop_map(<[u8]>::to_vec),
    ]
}

/// NDJSON text: lines with `\n` or `\r\n` ends, the last one maybe without. Never a
/// pretty-printed document (the first line is a record) nor an API response envelope (no
/// generated key is `ok` or `status` with a `result` / `data` array).
fn ndjson() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec((line_bytes(), any::<bool>()), 0..24),
        any::<bool>(),
    )
        .prop_map(|(lines, final_newline)| {
            let mut out = b"{\"type\":\"admin_audit_logs\"}\n".to_vec();
            for (l, crlf) in lines {
                out.extend_from_slice(&l);
                out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
            }
            if !final_newline {
                out.pop();
            }
            out
        })
}

/// Everything a decoder gives for `chunks`.
fn decode_chunks(chunks: &[&[u8]], limits: &Limits, batch_size: usize) -> Tables {
    let mut d = Decoder::new(DecoderOptions {
        batch_size,
        limits: limits.clone(),
        ..Default::default()
    });
    for c in chunks {
        d.push(c);
    }
    Tables::from_decoder(d)
}

fn split_at<'a>(bytes: &'a [u8], cuts: &[prop::sample::Index]) -> Vec<&'a [u8]> {
    let mut at: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
    at.sort_unstable();
    let mut chunks = Vec::new();
    let mut start = 0;
    for a in at {
        chunks.push(&bytes[start..a]);
        start = a;
    }
    chunks.push(&bytes[start..]);
    chunks
}

fn same(a: &Tables, b: &Tables) -> Result<(), TestCaseError> {
    prop_assert_eq!(&a.stats, &b.stats);
    prop_assert_eq!(&a.rejects, &b.rejects);
    for t in Table::ALL {
        prop_assert_eq!(a.batches(t), b.batches(t), "{}", t);
    }
    Ok(())
}

/// Tight limits, so over-long lines, deep nesting and many keys meet chunk boundaries.
fn tight() -> Limits {
    Limits {
        max_line_bytes: 60,
        max_depth: 3,
        max_keys: 6,
        max_reject_raw_bytes: 20,
        ..Limits::default()
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// The same bytes split at any points give identical batches, rejects and counters, with
    /// the default limits and with tight ones.
    #[test]
    fn any_chunking_gives_identical_output(
        bytes in prop_oneof![ndjson(), prop::collection::vec(any::<u8>(), 0..600)],
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
        batch_size in 1usize..5,
    ) {
        let chunks = split_at(&bytes, &cuts);
        for limits in [Limits::default(), tight()] {
            let whole = decode_chunks(&[&bytes], &limits, batch_size);
            let split = decode_chunks(&chunks, &limits, batch_size);
            same(&whole, &split)?;
        }
    }

    /// NDJSON: every non-blank line is a row or a reject; the counters match the output.
    #[test]
    fn every_non_blank_line_is_a_row_or_a_reject(bytes in ndjson()) {
        for limits in [Limits::default(), tight()] {
            let t = decode_chunks(&[&bytes], &limits, 7);
            let s = &t.stats;
            prop_assert_eq!(s.unwrapped, 0);
            prop_assert_eq!(s.lines - s.blank_lines, s.total_rows() + s.rejects);
            prop_assert_eq!(t.rejects.len() as u64, s.rejects);
            for table in Table::ALL {
                prop_assert_eq!(t.num_rows(table) as u64, s.rows_in(table));
            }
        }
    }

    /// Any bytes at all: the line count is exact, the counters match the output, and without
    /// a pretty-printed document every non-blank line is a row or a reject.
    #[test]
    fn any_bytes_are_accounted_for(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        let t = decode_chunks(&[&bytes], &Limits::default(), 8192);
        let s = &t.stats;
        let newlines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        let lines = newlines + u64::from(!bytes.is_empty() && !bytes.ends_with(b"\n"));
        prop_assert_eq!(s.lines, lines);
        prop_assert_eq!(s.bytes_in, bytes.len() as u64);
        prop_assert_eq!(t.rejects.len() as u64, s.rejects);
        for table in Table::ALL {
            prop_assert_eq!(t.num_rows(table) as u64, s.rows_in(table));
        }
        let first = bytes
            .split(|&b| b == b'\n')
            .map(|l| l.strip_prefix(b"\xef\xbb\xbf").unwrap_or(l))
            .find(|l| !l.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')));
        let document = first.is_some_and(|l| matches!(l.trim_ascii(), b"{" | b"["));
        if !document {
            prop_assert_eq!(s.lines - s.blank_lines, s.total_rows() + s.rejects);
        }
    }
}
