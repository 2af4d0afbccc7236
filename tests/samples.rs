//! The bundled samples (samples/, see samples/MANIFEST.md): routing totals, rejects, exact
//! values, lossless round trip, chunking, and Parquet / IPC round trips.

mod common;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type, TimestampMillisecondType};
use arrow_array::{Array, RecordBatch};
use common::{assert_lossless, decode_one, repo_path};
use netskope_arrow::{
    read_all, Decoder, DecoderOptions, OutputFormat, Table, TableWriter, Tables, WriteOptions,
};

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(repo_path(&format!("samples/{name}"))).unwrap()
}

fn load(name: &str) -> Tables {
    let mut d = Decoder::new(DecoderOptions::default());
    d.start_source(name);
    d.push(&sample(name));
    Tables::from_decoder(d)
}

fn rows(t: &Tables) -> Vec<(Table, usize)> {
    Table::ALL
        .iter()
        .map(|&x| (x, t.num_rows(x)))
        .filter(|x| x.1 > 0)
        .collect()
}

#[test]
fn routing_totals_match_the_manifest() {
    use Table::*;
    let v2 = load("tenant-export-v2.ndjson");
    assert_eq!(
        rows(&v2),
        vec![
            (Audit, 3),
            (Application, 6),
            (Alerts, 12),
            (Page, 2),
            (Network, 2),
            (Incident, 2),
            (Infrastructure, 1),
            (Endpoint, 1),
            (Unknown, 1)
        ]
    );
    assert_eq!(
        (v2.stats.rejects, v2.stats.blank_lines, v2.stats.lines),
        (0, 0, 30)
    );
    let v1 = load("tenant-export-v1.ndjson");
    assert_eq!(
        rows(&v1),
        vec![(Audit, 2), (Application, 4), (Alerts, 4), (Page, 2)]
    );
    assert_eq!((v1.stats.blank_lines, v1.stats.lines), (2, 17));
    let api2 = load("api-response-v2.json");
    assert_eq!(rows(&api2), vec![(Alerts, 3)]);
    assert_eq!(api2.stats.unwrapped, 3);
    let pretty = load("api-response-v2-pretty.json");
    assert_eq!(rows(&pretty), vec![(Alerts, 3)]);
    assert_eq!(
        pretty.concat(Alerts),
        api2.concat(Alerts),
        "pretty-printed = one line"
    );
    assert_eq!((pretty.stats.lines, pretty.stats.rejects), (193, 0));
    let api1 = load("api-response-v1.json");
    assert_eq!(rows(&api1), vec![(Application, 2)]);
    // Invariant: non-blank lines in = rows out + rejects (envelopes count their records).
    for t in [&v2, &v1] {
        assert_eq!(
            t.stats.lines - t.stats.blank_lines,
            t.stats.total_rows() + t.stats.rejects
        );
    }
}

#[test]
fn rejects_carry_source_line_offset_reason_and_raw_bytes() {
    let v1 = load("tenant-export-v1.ndjson");
    let got: Vec<(u64, &str)> = v1
        .rejects
        .iter()
        .map(|r| (r.line, r.error.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                8,
                "truncated JSON: unterminated string (at byte 941 of the line)"
            ),
            (
                11,
                "not a JSON object: the line is a JSON array (at byte 0 of the line)"
            ),
            (
                14,
                "trailing characters after the JSON object: '}' (at byte 1268 of the line)"
            ),
        ]
    );
    let bytes = sample("tenant-export-v1.ndjson");
    let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    for r in &v1.rejects {
        assert_eq!(&*r.source, "tenant-export-v1.ndjson");
        assert_eq!(
            r.raw,
            lines[r.line as usize - 1],
            "raw bytes of line {}",
            r.line
        );
        let off = r.offset as usize;
        assert_eq!(
            &bytes[off..off + r.raw.len()],
            &r.raw[..],
            "offset of line {}",
            r.line
        );
        assert!(!r.raw_truncated);
    }
}

#[test]
fn every_sample_value_is_kept() {
    let mut checked = 0;
    let mut extra = 0;
    for name in ["tenant-export-v2.ndjson", "tenant-export-v1.ndjson"] {
        let text = String::from_utf8(sample(name)).unwrap();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty()
                || serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line).is_err()
            {
                continue;
            }
            let (table, batch) = decode_one(line);
            extra += assert_lossless(line, table, &batch, &format!("{name}:{}", i + 1));
            checked += 1;
        }
    }
    for (name, key) in [
        ("api-response-v2.json", "result"),
        ("api-response-v1.json", "data"),
    ] {
        let v: serde_json::Value = serde_json::from_slice(&sample(name)).unwrap();
        for (i, rec) in v[key].as_array().unwrap().iter().enumerate() {
            let line = rec.to_string();
            let (table, batch) = decode_one(&line);
            extra += assert_lossless(&line, table, &batch, &format!("{name}[{i}]"));
            checked += 1;
        }
    }
    assert_eq!(checked, 47);
    assert!(extra > 0);
}

fn find_row(t: &Tables, table: Table, id: &str) -> (RecordBatch, usize) {
    let b = t.concat(table);
    let ids = b.column_by_name("_id").unwrap().as_string::<i32>();
    let i = (0..ids.len())
        .find(|&i| ids.value(i) == id)
        .unwrap_or_else(|| panic!("no _id {id}"));
    (b, i)
}

fn i64_at(b: &RecordBatch, col: &str, i: usize) -> Option<i64> {
    let a = b.column_by_name(col).unwrap();
    (!a.is_null(i)).then(|| a.as_primitive::<Int64Type>().value(i))
}

#[test]
fn big_ids_stay_exact_and_timestamps_are_utc() {
    let v2 = load("tenant-export-v2.ndjson");
    let text = String::from_utf8(sample("tenant-export-v2.ndjson")).unwrap();
    let line2: serde_json::Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
    let id2 = line2["_id"].as_str().unwrap();
    let (b, i) = find_row(&v2, Table::Application, id2);
    assert_eq!(i64_at(&b, "transaction_id", i), Some(9012345678901234567));
    let ts = b.column_by_name("suppression_start_time").unwrap();
    assert!(ts.is_null(i), "0 means absent");
    let local = b
        .column_by_name("_src_time_local")
        .unwrap()
        .as_primitive::<TimestampMillisecondType>();
    // "Tue Mar  4 09:05:07 2025"
    assert_eq!(local.value(i), 1_741_079_107_000);
    let t = b.column_by_name("timestamp").unwrap();
    assert_eq!(t.data_type().to_string(), "Timestamp(ms, \"UTC\")");

    let line13: serde_json::Value = serde_json::from_str(text.lines().nth(12).unwrap()).unwrap();
    let table13 = decode_one(text.lines().nth(12).unwrap()).0;
    let (b, i) = find_row(&v2, table13, line13["_id"].as_str().unwrap());
    let ts = b
        .column_by_name("timestamp")
        .unwrap()
        .as_primitive::<TimestampMillisecondType>();
    assert_eq!(ts.value(i), 1_741_167_062_000, "milliseconds recognized");

    let line10: serde_json::Value = serde_json::from_str(text.lines().nth(9).unwrap()).unwrap();
    let (b, i) = find_row(&v2, Table::Alerts, line10["_id"].as_str().unwrap());
    assert_eq!(i64_at(&b, "dlp_incident_id", i), Some(7566047373982433291));
    assert_eq!(i64_at(&b, "dlp_parent_id", i), Some(7566047373982433290));
}

#[test]
fn unparseable_coordinates_are_kept_in_extra() {
    let text = String::from_utf8(sample("tenant-export-v2.ndjson")).unwrap();
    let line = text.lines().nth(6).unwrap();
    let (_, b) = decode_one(line);
    assert!(b.column_by_name("dst_latitude").unwrap().is_null(0));
    let extra: serde_json::Value = serde_json::from_str(
        b.column_by_name("_extra")
            .unwrap()
            .as_string::<i32>()
            .value(0),
    )
    .unwrap();
    assert_eq!(extra["dst_latitude"], "-119.72|45.83");
    let lon = b
        .column_by_name("src_longitude")
        .unwrap()
        .as_primitive::<Float64Type>();
    assert!(lon.is_valid(0));
}

/// Concatenation of all samples.
fn all_samples() -> Vec<u8> {
    let mut all = Vec::new();
    for n in [
        "tenant-export-v2.ndjson",
        "tenant-export-v1.ndjson",
        "api-response-v2.json",
        "api-response-v1.json",
    ] {
        all.extend(sample(n));
        if all.last() != Some(&b'\n') {
            all.push(b'\n');
        }
    }
    all
}

#[test]
fn a_pretty_printed_document_decodes_the_same_in_any_chunking() {
    let bytes = sample("api-response-v2-pretty.json");
    let whole = decode_chunked(&bytes, &[]);
    assert_eq!(whole.0.iter().map(|b| b.1.num_rows()).sum::<usize>(), 3);
    for step in [1, 2, 3, 17, 4096] {
        let cuts: Vec<usize> = (step..bytes.len()).step_by(step).collect();
        assert_eq!(decode_chunked(&bytes, &cuts), whole, "step {step}");
    }
}

fn decode_chunked(
    bytes: &[u8],
    cuts: &[usize],
) -> (Vec<(Table, RecordBatch)>, Vec<netskope_arrow::Reject>) {
    let mut d = Decoder::new(DecoderOptions {
        batch_size: 7,
        ..Default::default()
    });
    let mut prev = 0;
    for &c in cuts.iter().chain([bytes.len()].iter()) {
        d.push(&bytes[prev..c]);
        prev = c;
    }
    d.finish();
    let mut out = Vec::new();
    while let Some(b) = d.next_batch() {
        out.push(b);
    }
    (out, d.take_rejects())
}

#[test]
fn any_chunking_gives_identical_batches() {
    let bytes = all_samples();
    let whole = decode_chunked(&bytes, &[]);
    // Deterministic pseudo-random cut points (xorshift), plus every-byte splits of a prefix.
    let mut x: u64 = 0x9E3779B97F4A7C15;
    for round in 0..40 {
        let mut cuts = Vec::new();
        let mut p = 0usize;
        loop {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            p += 1 + (x % [3, 97, 4096, 50_000][round % 4]) as usize;
            if p >= bytes.len() {
                break;
            }
            cuts.push(p);
        }
        assert_eq!(decode_chunked(&bytes, &cuts), whole, "round {round}");
    }
    let one_byte: Vec<usize> = (1..bytes.len()).collect();
    assert_eq!(decode_chunked(&bytes, &one_byte), whole);
}

#[test]
fn parquet_and_ipc_round_trip_exactly() {
    let tables = read_all(&all_samples()[..], Default::default()).unwrap();
    for table in tables.non_empty() {
        let batch = tables.concat(table);
        let mut w = TableWriter::new(Vec::new(), table, &WriteOptions::default()).unwrap();
        w.write(&batch).unwrap();
        let bytes = bytes::Bytes::from(w.finish().unwrap());
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(bytes)
            .unwrap()
            .build()
            .unwrap();
        let back: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
        let back = arrow_select::concat::concat_batches(&back[0].schema(), &back).unwrap();
        assert_eq!(back.columns(), batch.columns(), "{table} parquet");
        assert_eq!(
            back.schema().fields(),
            batch.schema().fields(),
            "{table} parquet schema"
        );

        let opts = WriteOptions {
            format: OutputFormat::Ipc,
            ..Default::default()
        };
        let mut w = TableWriter::new(Vec::new(), table, &opts).unwrap();
        w.write(&batch).unwrap();
        let bytes = w.finish().unwrap();
        let r = arrow_ipc::reader::FileReader::try_new(std::io::Cursor::new(bytes), None).unwrap();
        let back: Vec<RecordBatch> = r.map(Result::unwrap).collect();
        assert_eq!(back, vec![batch.clone()], "{table} ipc");
    }
}

#[test]
fn forced_table_overrides_routing() {
    let opts = DecoderOptions {
        table: Some(Table::Application),
        ..Default::default()
    };
    let t = read_all(&sample("tenant-export-v2.ndjson")[..], opts).unwrap();
    assert_eq!(t.num_rows(Table::Application), 30);
    assert_eq!(t.stats.total_rows(), 30);
}

/// Pages close at 1 MiB of data, never after a number of rows: an empty or small column has one
/// page per row group (a row limit would make every column of a wide table compress pages
/// mid-row-group, each with a zstd context of its own), while a large column is still cut.
#[test]
fn parquet_pages_close_on_size_not_rows() {
    let rows = 50_000;
    let mut input = Vec::new();
    for i in 0..rows {
        input.extend_from_slice(
            format!(
                "{{\"type\":\"admin_audit_logs\",\"timestamp\":{},\"user\":\"u{}\",\"_id\":\"{:040x}\"}}\n",
                1_700_000_000 + i,
                i % 7,
                i as u128 * 0x9e37_79b9_7f4a_7c15
            )
            .as_bytes(),
        );
    }
    let tables = read_all(&input[..], Default::default()).unwrap();
    let mut w = TableWriter::new(Vec::new(), Table::Audit, &WriteOptions::default()).unwrap();
    for batch in tables.batches(Table::Audit) {
        w.write(batch).unwrap();
    }
    let bytes = bytes::Bytes::from(w.finish().unwrap());
    let options = parquet::arrow::arrow_reader::ArrowReaderOptions::new()
        .with_page_index_policy(parquet::file::metadata::PageIndexPolicy::Required);
    let reader =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new_with_options(
            bytes, options,
        )
        .unwrap();
    let meta = reader.metadata();
    assert_eq!(meta.num_row_groups(), 1);
    assert_eq!(meta.row_group(0).num_rows(), rows as i64);
    let offsets = &meta.offset_index().expect("page index written")[0];
    let schema = meta.file_metadata().schema_descr();
    let pages: Vec<(String, usize)> = (0..schema.num_columns())
        .map(|c| {
            let name = schema.column(c).path().string();
            (name, offsets[c].page_locations().len())
        })
        .collect();
    for (name, n) in &pages {
        // `_id`: 50,000 distinct 40-byte strings, 2 MB plain: cut at 1 MiB into 2 or 3 pages.
        let expected = if name == "_id" { 2..=3 } else { 1..=1 };
        assert!(expected.contains(n), "{name}: {n} pages ({pages:?})");
    }
}

/// Dictionary encoding only where values repeat: low-cardinality strings and string lists.
/// Numbers, booleans, timestamps, URLs and IDs are written plain.
#[test]
fn parquet_dictionaries_only_on_repeating_strings() {
    use parquet::schema::types::ColumnPath;
    let props = WriteOptions::default()
        .parquet_properties_for(Table::Application)
        .unwrap();
    // Every path below is a leaf of the table's Parquet schema: a path that is not would read
    // as the default (enabled) whatever the policy.
    let leaves = parquet::arrow::ArrowSchemaConverter::new()
        .convert(&Table::Application.schema())
        .unwrap();
    let leaves: Vec<String> = leaves.columns().iter().map(|c| c.path().string()).collect();
    let dictionary = |path: &str| {
        assert!(leaves.iter().any(|l| l == path), "{path} is not a leaf");
        props.dictionary_enabled(&ColumnPath::from(path))
    };
    for path in [
        "app",
        "activity",
        "access_method",
        "user",
        "scopes.list.item",
    ] {
        assert!(dictionary(path), "{path}");
    }
    for path in [
        "url",
        "_id",
        "_extra",
        "dstport",
        "count",
        "file_size",
        "timestamp",
        "app_session_id",
    ] {
        assert!(!dictionary(path), "{path}");
    }
}
