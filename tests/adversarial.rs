//! The adversarial corpus (tests/fixtures/adversarial/expected.json, shared with the Python and
//! JS tests): each input gives exactly the rows, rejects and values listed, or a clear error,
//! in bounded time, whatever the chunking and through the whole path to Parquet files. Then
//! the limits one by one, decompression bombs, and output safety.
//!
//! `ADVERSARIAL_PRINT=1 cargo test --test adversarial -- --nocapture` prints what each case
//! gives, in the format of expected.json.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type, TimestampMillisecondType};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use netskope_arrow::{
    convert_readers, decompressed_with_limits, read_all, ConvertOptions, Decoder, DecoderOptions,
    Error, Limits, ReadOptions, Table, Tables,
};
use serde_json::{json, Map, Value};

fn corpus_dir() -> PathBuf {
    common::repo_path("tests/fixtures/adversarial")
}

/// The cases of expected.json.
fn cases() -> Vec<Value> {
    let text = std::fs::read_to_string(corpus_dir().join("expected.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["cases"].as_array().unwrap().clone()
}

/// The input bytes of a case: its file, or its recipe.
fn input(case: &Value) -> Vec<u8> {
    if let Some(file) = case["file"].as_str() {
        return std::fs::read(corpus_dir().join(file)).unwrap();
    }
    let recipe = &case["generate"];
    let mut out = Vec::new();
    for part in recipe["parts"].as_array().unwrap() {
        if let Some(t) = part["text"].as_str() {
            out.extend_from_slice(t.as_bytes());
        } else if let Some(t) = part["repeat"].as_str() {
            let n = part["times"].as_u64().unwrap() as usize;
            out.extend_from_slice(t.repeat(n).as_bytes());
        } else if let Some(n) = part["keys"].as_u64() {
            for i in 0..n {
                if i > 0 {
                    out.push(b',');
                }
                write!(out, "\"k{i}\":0").unwrap();
            }
        } else {
            panic!("unknown part {part}");
        }
    }
    if let Some(members) = recipe["gzip_members"].as_u64() {
        let member = gzip(&out);
        out = member.repeat(members as usize);
    }
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

/// A cell as JSON: strings, numbers, booleans, timestamps as epoch milliseconds, null.
fn cell(batch: &RecordBatch, column: &str, row: usize) -> Value {
    let a = batch
        .column_by_name(column)
        .unwrap_or_else(|| panic!("no column {column}"));
    if a.is_null(row) {
        return Value::Null;
    }
    match a.data_type() {
        DataType::Utf8 => json!(a.as_string::<i32>().value(row)),
        DataType::Int64 => json!(a.as_primitive::<Int64Type>().value(row)),
        DataType::Float64 => json!(a.as_primitive::<Float64Type>().value(row)),
        DataType::Boolean => json!(a.as_boolean().value(row)),
        DataType::Timestamp(..) => json!(a.as_primitive::<TimestampMillisecondType>().value(row)),
        other => panic!("no JSON form for {other}"),
    }
}

/// What an input gave, in the format of expected.json (`values` as asked by `case`).
fn outcome(result: netskope_arrow::Result<Tables>, case: &Value) -> Value {
    let t = match result {
        Ok(t) => t,
        Err(e) => {
            let kind = match e {
                Error::Decompress { .. } => "decompress",
                _ => "other",
            };
            let want = case["error"]["contains"].as_str().unwrap_or("");
            let message = e.to_string();
            let contains = if message.contains(want) {
                want.to_string()
            } else {
                message
            };
            return json!({ "error": { "kind": kind, "contains": contains } });
        }
    };
    let mut rows = Map::new();
    for table in t.non_empty() {
        rows.insert(table.name().to_string(), json!(t.num_rows(table)));
    }
    let rejects: Vec<Value> = t
        .rejects
        .iter()
        .map(|r| json!({ "line": r.line, "offset": r.offset, "error": r.error }))
        .collect();
    let mut out = json!({
        "rows": rows,
        "lines": t.stats.lines,
        "blank_lines": t.stats.blank_lines,
        "rejects": rejects,
    });
    if let Some(values) = case["values"].as_array() {
        let got: Vec<Value> = values
            .iter()
            .map(|v| {
                let table: Table = v["table"].as_str().unwrap().parse().unwrap();
                let batch = t.concat(table);
                let row = v["row"].as_u64().unwrap() as usize;
                let column = v["column"].as_str().unwrap();
                json!({ "table": table.name(), "row": row, "column": column,
                        "value": cell(&batch, column, row) })
            })
            .collect();
        out["values"] = json!(got);
    }
    out
}

/// The expected part of a case (what `outcome` gives).
fn expected(case: &Value) -> Value {
    let mut e = Map::new();
    for key in ["error", "rows", "lines", "blank_lines", "rejects", "values"] {
        if let Some(v) = case.get(key) {
            e.insert(key.to_string(), v.clone());
        }
    }
    Value::Object(e)
}

/// How long one case may take in a debug build (the biggest decode 64 MiB or 16 MiB of
/// decompressed bytes).
const TIME_BOUND: Duration = Duration::from_secs(60);

#[test]
fn every_corpus_input_gives_its_expected_rows_rejects_or_error() {
    let print = std::env::var_os("ADVERSARIAL_PRINT").is_some();
    let mut failures = Vec::new();
    for case in cases() {
        let name = case["name"].as_str().unwrap();
        let bytes = input(&case);
        let started = Instant::now();
        let got = outcome(read_all(&bytes[..], DecoderOptions::default()), &case);
        let took = started.elapsed();
        if print {
            println!(
                "OUTCOME {}",
                json!({ "name": name, "bytes": bytes.len(),
                                            "ms": took.as_millis() as u64, "outcome": got })
            );
        }
        assert!(took < TIME_BOUND, "{name} took {took:?}");
        if got != expected(&case) {
            failures.push(format!(
                "{name}:\n  expected {}\n  got      {got}",
                expected(&case)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Rejects and counters of a decoder fed `chunk`-byte pieces.
fn decode_in_chunks(bytes: &[u8], chunk: usize) -> (Vec<netskope_arrow::Reject>, Vec<RecordBatch>) {
    let mut d = Decoder::new(DecoderOptions::default());
    for c in bytes.chunks(chunk) {
        d.push(c);
    }
    let t = Tables::from_decoder(d);
    let batches = t.non_empty().map(|table| t.concat(table)).collect();
    (t.rejects, batches)
}

#[test]
fn every_plain_corpus_input_gives_the_same_output_in_any_chunking() {
    for case in cases() {
        let name = case["name"].as_str().unwrap();
        let bytes = input(&case);
        if case.get("error").is_some() || bytes.starts_with(&[0x1f, 0x8b]) {
            continue;
        }
        let whole = decode_in_chunks(&bytes, usize::MAX);
        let sizes: &[usize] = if bytes.len() < 100_000 {
            &[1, 2, 3, 7, 64, 4096]
        } else {
            &[4093, 1 << 20]
        };
        for &chunk in sizes {
            assert!(
                decode_in_chunks(&bytes, chunk) == whole,
                "{name}: chunks of {chunk} bytes"
            );
        }
    }
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Reads back a Parquet file's row count with the parquet crate.
fn parquet_rows(path: &Path) -> usize {
    let file = std::fs::File::open(path).unwrap();
    let reader =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    reader.build().unwrap().map(|b| b.unwrap().num_rows()).sum()
}

#[test]
fn every_corpus_input_converts_to_complete_parquet_files_or_leaves_none() {
    // Default blocks and threads, one thread, and three threads with blocks of 1 KiB (the
    // 64 MiB line and the documents take the splitter's fallback decoder).
    let settings = [(0, 0), (1, 0), (3, 1024)];
    for (threads, block_bytes) in settings {
        convert_corpus(&ConvertOptions {
            read: ReadOptions {
                threads,
                block_bytes,
                ..ReadOptions::default()
            },
            ..ConvertOptions::default()
        });
    }
}

fn convert_corpus(options: &ConvertOptions) {
    let dir = tempfile::tempdir().unwrap();
    for case in cases() {
        let name = case["name"].as_str().unwrap();
        let out = dir.path().join(name);
        let input: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(input(&case)));
        let result = convert_readers([Ok((name.to_string(), input))], &out, options, &mut |_| {
            Ok(())
        });
        match (&result, case.get("error")) {
            (Err(e), Some(want)) => {
                assert!(matches!(e, Error::Decompress { .. }), "{name}: {e}");
                let message = e.to_string();
                assert!(
                    message.starts_with(&format!("cannot decompress {name}: "))
                        && message.contains(want["contains"].as_str().unwrap()),
                    "{name}: {message}"
                );
                assert_eq!(files_in(&out), Vec::<String>::new(), "{name}: files left");
            }
            (Ok(summary), None) => {
                let mut want: Vec<String> = case["rows"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(|t| format!("{t}.parquet"))
                    .collect();
                if !case["rejects"].as_array().unwrap().is_empty() {
                    want.push("rejects.ndjson".into());
                }
                want.sort();
                assert_eq!(files_in(&out), want, "{name}");
                for (table, rows) in case["rows"].as_object().unwrap() {
                    let rows = rows.as_u64().unwrap();
                    let t: Table = table.parse().unwrap();
                    assert_eq!(summary.stats.rows_in(t), rows, "{name}");
                    let got = parquet_rows(&out.join(format!("{table}.parquet")));
                    assert_eq!(got as u64, rows, "{name}: {table} read back");
                }
                let rejects =
                    std::fs::read_to_string(out.join("rejects.ndjson")).unwrap_or_default();
                for (line, want) in rejects.lines().zip(case["rejects"].as_array().unwrap()) {
                    let got: Value = serde_json::from_str(line).unwrap();
                    assert_eq!(got["line"], want["line"], "{name}");
                    assert_eq!(got["offset"], want["offset"], "{name}");
                    assert_eq!(got["error"], want["error"], "{name}");
                }
                assert_eq!(
                    rejects.lines().count(),
                    case["rejects"].as_array().unwrap().len(),
                    "{name}"
                );
            }
            (r, _) => panic!("{name}: unexpected {:?}", r.as_ref().map(|s| &s.stats)),
        }
    }
}

/// The files in `dir` while a conversion runs are only `.name.partial` files: a conversion
/// stopped at any point never leaves a `.parquet` that looks complete.
#[test]
fn files_have_their_final_name_only_once_complete() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let line = b"{\"type\":\"nspolicy\",\"app\":\"Box\"}\n{\"type\":\"admin_audit_logs\"}\nnope\n";
    let input: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(line.repeat(200_000)));
    let options = ConvertOptions {
        read: ReadOptions {
            decoder: DecoderOptions {
                batch_size: 1000,
                ..Default::default()
            },
            // Many blocks, so that files are written while the input is still being read.
            block_bytes: 64 << 10,
            ..Default::default()
        },
        ..Default::default()
    };
    let mut seen = Vec::new();
    let summary = convert_readers(
        [Ok(("big".to_string(), input))],
        &out,
        &options,
        &mut |_| {
            seen.push(files_in(&out));
            Ok(())
        },
    )
    .unwrap();
    assert!(seen.len() > 2);
    let during: Vec<&String> = seen.iter().flatten().collect();
    assert!(!during.is_empty());
    for name in during {
        assert!(
            name.starts_with('.') && name.ends_with(".partial"),
            "{name} visible before the conversion finished"
        );
    }
    assert_eq!(
        files_in(&out),
        [
            "netskope_application_events.parquet",
            "netskope_audit_events.parquet",
            "rejects.ndjson"
        ]
    );
    assert_eq!(summary.stats.rejects, 200_000);
}

#[test]
fn an_existing_output_is_not_clobbered_without_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    std::fs::write(out.join("netskope_audit_events.parquet"), b"precious").unwrap();
    let run = |overwrite: bool| {
        let input: Box<dyn Read + Send> = Box::new(&b"{\"type\":\"admin_audit_logs\"}\n"[..]);
        let options = ConvertOptions {
            overwrite,
            ..Default::default()
        };
        convert_readers([Ok(("in".to_string(), input))], out, &options, &mut |_| {
            Ok(())
        })
    };
    let err = run(false).unwrap_err();
    assert!(err.to_string().contains("pass --overwrite"), "{err}");
    assert_eq!(
        std::fs::read(out.join("netskope_audit_events.parquet")).unwrap(),
        b"precious"
    );
    run(true).unwrap();
    assert_eq!(parquet_rows(&out.join("netskope_audit_events.parquet")), 1);
}

// ---- Limits, one by one: a reject or error naming the limit, in bounded time and memory.

fn limited(input: &[u8], limits: Limits) -> netskope_arrow::Result<Tables> {
    read_all(
        input,
        DecoderOptions {
            limits,
            ..Default::default()
        },
    )
}

#[test]
fn each_limit_is_named_when_exceeded_and_configurable() {
    const AUDIT: &str = r#"{"type":"admin_audit_logs","user":"a"}"#;
    let cases: [(Limits, String, &str); 4] = [
        (
            Limits {
                max_line_bytes: 30,
                ..Default::default()
            },
            AUDIT.to_string(),
            "line of 38 bytes is longer than the limit of 30 bytes (Limits::max_line_bytes)",
        ),
        (
            Limits {
                max_depth: 2,
                ..Default::default()
            },
            r#"{"a":{"b":[]}}"#.to_string(),
            "nesting deeper than the limit of 2 levels (Limits::max_depth)",
        ),
        (
            Limits {
                max_keys: 2,
                ..Default::default()
            },
            r#"{"a":1,"b":2,"c":3}"#.to_string(),
            "more than 2 keys in one record (Limits::max_keys)",
        ),
        (
            Limits {
                max_document_bytes: 10,
                ..Default::default()
            },
            format!("[\n{AUDIT}\n]"),
            "JSON document of 42 bytes is larger than the limit of 10 bytes (Limits::max_document_bytes)",
        ),
    ];
    for (limits, line, want) in cases {
        let t = limited(line.as_bytes(), limits.clone()).unwrap();
        assert_eq!(t.rejects.len(), 1, "{want}");
        assert!(
            t.rejects[0].error.starts_with(want),
            "{}",
            t.rejects[0].error
        );
        // Within the default limits the same input is fine.
        let t = limited(line.as_bytes(), Limits::default()).unwrap();
        assert_eq!((t.stats.total_rows(), t.stats.rejects), (1, 0), "{want}");
    }
}

/// gzip of `len` zero bytes, as one member.
fn gzip_zeros(len: usize) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let block = vec![0u8; 1 << 20];
    for _ in 0..len >> 20 {
        gz.write_all(&block).unwrap();
    }
    gz.finish().unwrap()
}

#[test]
fn a_zstd_bomb_is_stopped_by_the_ratio_limit() {
    // 160 frames of 64 MiB of newlines: 10 GiB of blank lines from a few hundred KB.
    let frame = zstd::encode_all(&vec![b'\n'; 64 << 20][..], 3).unwrap();
    let bomb = frame.repeat(160);
    assert!(bomb.len() < 1 << 20, "{}", bomb.len());
    let started = Instant::now();
    let err = limited(&bomb, Limits::default()).unwrap_err();
    assert!(started.elapsed() < TIME_BOUND);
    let message = err.to_string();
    assert!(matches!(err, Error::Decompress { .. }), "{message}");
    assert!(
        message.starts_with("cannot decompress input: decompressed data is more than 500 times larger than its compressed input (Limits::max_decompression_ratio): stopped after "),
        "{message}"
    );
}

#[test]
fn the_ratio_limit_stops_at_the_grace_and_can_be_raised_or_turned_off() {
    // 64 MiB of zeros: one member at about 1,030 : 1.
    let bomb = gzip_zeros(64 << 20);
    let ratio = |limit: u64| -> std::io::Result<u64> {
        let limits = Limits {
            max_decompression_ratio: limit,
            ..Default::default()
        };
        let (mut r, _) = decompressed_with_limits(&bomb[..], &limits)?;
        std::io::copy(&mut r, &mut std::io::sink())
    };
    let err = ratio(500).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    // Stopped within the first read past the grace (reads are at most 32 KiB... or 1 MiB).
    let stopped: u64 = err
        .to_string()
        .split("stopped after ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(
        stopped > Limits::DECOMPRESSION_GRACE_BYTES
            && stopped <= Limits::DECOMPRESSION_GRACE_BYTES + (1 << 20),
        "{err}"
    );
    assert!(ratio(1000).is_err(), "1,030 : 1 is over 1,000 too");
    assert_eq!(ratio(2000).unwrap(), 64 << 20);
    assert_eq!(ratio(0).unwrap(), 64 << 20);
    // Through the decoder, with the limit off: the 64 MiB line of zeros (exactly
    // Limits::max_line_bytes) is decoded and rejected as not JSON.
    let t = limited(
        &bomb,
        Limits {
            max_decompression_ratio: 0,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(t.rejects.len(), 1);
    assert_eq!(
        t.rejects[0].error,
        "unexpected byte 0x00: not a JSON value (at byte 0 of the line)"
    );
    // With the default, the same bytes are a Decompress error naming the limit.
    let err = limited(&bomb, Limits::default()).unwrap_err();
    assert!(matches!(err, Error::Decompress { .. }), "{err}");
    // convert_readers takes the limit from its DecoderOptions too.
    let dir = tempfile::tempdir().unwrap();
    let convert = |ratio: u64| {
        let options = ConvertOptions {
            read: ReadOptions {
                decoder: DecoderOptions {
                    limits: Limits {
                        max_decompression_ratio: ratio,
                        ..Default::default()
                    },
                    ..Default::default()
                },
                ..Default::default()
            },
            overwrite: true,
            ..Default::default()
        };
        let input: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(bomb.clone()));
        convert_readers(
            [Ok(("bomb".to_string(), input))],
            dir.path(),
            &options,
            &mut |_| Ok(()),
        )
    };
    assert_eq!(convert(0).unwrap().stats.rejects, 1);
    assert!(matches!(convert(500), Err(Error::Decompress { .. })));
}

#[test]
fn real_exports_are_far_below_the_ratio_limit() {
    // The samples, compressed at the highest levels, expand less than 50 times: the default
    // limit of 500 leaves a wide margin.
    let mut all = Vec::new();
    for name in ["tenant-export-v2.ndjson", "tenant-export-v1.ndjson"] {
        all.extend(std::fs::read(common::repo_path(&format!("samples/{name}"))).unwrap());
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&all).unwrap();
    let gz = gz.finish().unwrap();
    let zst = zstd::encode_all(&all[..], 19).unwrap();
    for (codec, packed) in [("gzip", gz), ("zstd", zst)] {
        let ratio = all.len() as f64 / packed.len() as f64;
        assert!(ratio < 50.0, "{codec}: {ratio:.1}");
    }
}

// ---- Regressions found by fuzzing (fuzz/fuzz_targets/decode_lines.rs).

/// A raw control character in a key was copied into `_extra` unescaped, and a non-JSON string
/// in a json-kind column was stored as its raw literal: both gave text a strict JSON parser
/// refuses.
#[test]
fn raw_control_characters_in_keys_and_json_strings_come_out_as_strict_json() {
    let line = b"{\"dlp_incident_id\":1,\"k\x01\":1,\"dlp_match_info\":\"a\x02b\"}\n";
    let t = read_all(&line[..], DecoderOptions::default()).unwrap();
    let b = t.concat(Table::Incident);
    assert_eq!(cell(&b, "_extra", 0), json!("{\"k\\u0001\":1}"));
    assert_eq!(cell(&b, "dlp_match_info", 0), json!("\"a\\u0002b\""));
    for column in ["_extra", "dlp_match_info"] {
        let text = cell(&b, column, 0);
        let parsed: Value = serde_json::from_str(text.as_str().unwrap()).unwrap();
        assert!(
            parsed.is_object() || parsed == json!("a\u{2}b"),
            "{column}: {parsed}"
        );
    }
}

/// A pretty-printed document over `Limits::max_document_bytes` counted only the lines of the
/// bytes it kept for the reject, so `Stats::lines` came out short.
#[test]
fn a_document_over_its_limit_still_counts_every_line() {
    const AUDIT: &str = r#"{"type":"admin_audit_logs","user":"a"}"#;
    let doc = format!("[\n{}\n]", [AUDIT; 50].join(",\n")); // 52 lines, no final newline
    for chunk in [1, 7, 4096] {
        let mut d = Decoder::new(DecoderOptions {
            limits: Limits {
                max_document_bytes: 100,
                max_reject_raw_bytes: 10,
                ..Default::default()
            },
            ..Default::default()
        });
        for c in doc.as_bytes().chunks(chunk) {
            d.push(c);
        }
        d.start_source("next");
        d.push(b"{}\nnope\n");
        let t = Tables::from_decoder(d);
        assert_eq!(t.stats.lines, 54, "chunk {chunk}");
        let at: Vec<(&str, u64)> = t.rejects.iter().map(|r| (&*r.source, r.line)).collect();
        assert_eq!(at, [("<input>", 1), ("next", 2)], "chunk {chunk}");
        assert_eq!(t.rejects[0].raw, b"[\n{\"type\":");
    }
}
