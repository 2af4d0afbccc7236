//! Messy and hostile input: each case gives rows, rejects or both, exactly as documented.

mod common;

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::Array;
use netskope_arrow::{read_all, Decoder, DecoderOptions, Limits, Table, Tables};

fn run(input: &[u8]) -> Tables {
    run_with(input, Limits::default())
}

fn run_with(input: &[u8], limits: Limits) -> Tables {
    let options = DecoderOptions {
        limits,
        ..Default::default()
    };
    read_all(input, options).unwrap()
}

fn extra(t: &Tables, table: Table) -> Vec<Option<String>> {
    let b = t.concat(table);
    let a = b.column_by_name("_extra").unwrap().as_string::<i32>();
    (0..a.len())
        .map(|i| (!a.is_null(i)).then(|| a.value(i).to_string()))
        .collect()
}

fn errors(t: &Tables) -> Vec<(u64, String)> {
    t.rejects
        .iter()
        .map(|r| (r.line, r.error.clone()))
        .collect()
}

const AUDIT: &str = r#"{"type":"admin_audit_logs","timestamp":1700000000,"user":"a@example.com"}"#;

#[test]
fn bom_crlf_blank_lines_and_missing_final_newline() {
    let input = format!("\u{feff}{AUDIT}\r\n\r\n  \t \n{AUDIT}\r\n\u{feff}{AUDIT}");
    let t = run(input.as_bytes());
    assert_eq!(t.num_rows(Table::Audit), 3);
    assert_eq!(
        (t.stats.blank_lines, t.stats.rejects, t.stats.lines),
        (2, 0, 5)
    );
    assert_eq!(extra(&t, Table::Audit), vec![None, None, None]);
}

#[test]
fn empty_input_and_only_newlines() {
    let t = run(b"");
    assert_eq!(
        (t.stats.total_rows(), t.stats.rejects, t.stats.lines),
        (0, 0, 0)
    );
    assert!(t.non_empty().next().is_none());
    let t = run(b"\n\n\n");
    assert_eq!(
        (t.stats.blank_lines, t.stats.lines, t.stats.rejects),
        (3, 3, 0)
    );
}

#[test]
fn duplicate_keys_last_wins_and_earlier_values_are_kept() {
    let t = run(br#"{"type":"admin_audit_logs","count":"x","count":5,"count":6}"#);
    let b = t.concat(Table::Audit);
    assert_eq!(
        b.column_by_name("count")
            .unwrap()
            .as_primitive::<Int64Type>()
            .value(0),
        6
    );
    assert_eq!(
        extra(&t, Table::Audit),
        vec![Some(r#"{"count":"x","count":5}"#.into())]
    );
}

#[test]
fn values_beyond_the_column_type_are_kept_verbatim() {
    let line = br#"{"type":"nspolicy","transaction_id":18446744073709551616,"request_id":-0,"dst_latitude":1e400,"dstport":"0x10","cci":"N/A","src_latitude":"-119.7|45.8","other_categories":"Cloud","_x":{ "a" : [ 1 , 2 ] }}"#;
    let t = run(line);
    let b = t.concat(Table::Application);
    assert!(b.column_by_name("transaction_id").unwrap().is_null(0));
    assert_eq!(
        b.column_by_name("request_id")
            .unwrap()
            .as_primitive::<Int64Type>()
            .value(0),
        0
    );
    assert!(
        b.column_by_name("cci").unwrap().is_null(0),
        "placeholder -> null, not _extra"
    );
    assert_eq!(
        extra(&t, Table::Application),
        vec![Some(
            r#"{"transaction_id":18446744073709551616,"dst_latitude":1e400,"dstport":"0x10","src_latitude":"-119.7|45.8","other_categories":"Cloud","_x":{"a":[1,2]}}"#
                .into()
        )]
    );
}

#[test]
fn escapes_surrogates_and_nul_characters_decode() {
    let t = run(br#"{"type":"admin_audit_logs","user":"caf\u00e9 \ud83d\ude00 a\/b \u0000 \"q\"","audit_log_event":"raw	tab"}"#);
    let b = t.concat(Table::Audit);
    let user = b
        .column_by_name("user")
        .unwrap()
        .as_string::<i32>()
        .value(0);
    assert_eq!(user, "caf\u{e9} \u{1F600} a/b \u{0} \"q\"");
    let ev = b
        .column_by_name("audit_log_event")
        .unwrap()
        .as_string::<i32>()
        .value(0);
    assert_eq!(
        ev, "raw\ttab",
        "raw control characters inside strings are accepted"
    );
}

#[test]
fn malformed_lines_are_rejected_with_reasons() {
    let input = b"{\"a\":\"\\ud800\"}\n[1,2]\n42\n{\"a\":1}}\n{\"a\":\xff}\n{\"a\":NaN}\n{\"a\":\n\"str\"\n{\"type\":\"x\"} trailing\n";
    let t = run(input);
    assert_eq!(
        errors(&t),
        vec![
            (
                1,
                "lone high surrogate \\uD800 in string (at byte 6 of the line)".to_string()
            ),
            (
                2,
                "not a JSON object: the line is a JSON array (at byte 0 of the line)".to_string()
            ),
            (
                3,
                "not a JSON object: the line is a JSON scalar (at byte 0 of the line)".to_string()
            ),
            (
                4,
                "trailing characters after the JSON object: '}' (at byte 7 of the line)"
                    .to_string()
            ),
            (5, "invalid UTF-8 at byte 5 of the line".to_string()),
            (
                6,
                "unexpected 'N': not a JSON value (at byte 5 of the line)".to_string()
            ),
            (
                7,
                "truncated JSON: expected a value but the line ended (at byte 5 of the line)"
                    .to_string()
            ),
            (
                8,
                "not a JSON object: the line is a JSON scalar (at byte 0 of the line)".to_string()
            ),
            (
                9,
                "trailing characters after the JSON object: 't' (at byte 13 of the line)"
                    .to_string()
            ),
        ]
    );
    assert_eq!(t.stats.total_rows(), 0);
    assert_eq!(t.rejects[4].raw, b"{\"a\":\xff}");
}

#[test]
fn limits_turn_into_rejects_naming_the_limit() {
    let limits = Limits {
        max_line_bytes: 200,
        max_depth: 8,
        max_keys: 3,
        max_reject_raw_bytes: 50,
        ..Default::default()
    };
    let long = format!("{{\"type\":\"{}\"}}", "x".repeat(1000));
    let deep = format!("{{\"a\":{}{}}}", "[".repeat(90), "]".repeat(90));
    let input = format!("{long}\n{AUDIT}\n{deep}\n{{\"a\":1,\"b\":2,\"c\":3,\"d\":4}}\n{AUDIT}\n");
    for chunk in [1usize, 7, 64, 100_000] {
        let mut d = Decoder::new(DecoderOptions {
            limits: limits.clone(),
            ..Default::default()
        });
        for c in input.as_bytes().chunks(chunk) {
            d.push(c);
        }
        let t = Tables::from_decoder(d);
        let e = errors(&t);
        assert_eq!(
            e[0],
            (
                1,
                "line of 1011 bytes is longer than the limit of 200 bytes (Limits::max_line_bytes)"
                    .into()
            ),
            "chunk {chunk}"
        );
        assert!(
            e[1].1
                .starts_with("nesting deeper than the limit of 8 levels"),
            "{e:?}"
        );
        assert!(
            e[2].1.starts_with("more than 3 keys in one record"),
            "{e:?}"
        );
        assert_eq!(t.rejects[0].raw.len(), 50);
        assert!(t.rejects[0].raw_truncated);
        assert_eq!(t.num_rows(Table::Audit), 2);
        // Offsets stay exact after an over-long line.
        assert_eq!(
            t.rejects[1].offset,
            (long.len() + 1 + AUDIT.len() + 1) as u64
        );
    }
}

#[test]
fn envelope_elements_become_records_and_bad_elements_rejects() {
    let input = format!("{{\"ok\":1,\"result\":[{AUDIT},7,{AUDIT}],\"wait_time\":0,\"timestamp_hwm\":1}}\n{{\"status\":\"success\",\"msg\":\"\",\"data\":[]}}\n");
    let t = run(input.as_bytes());
    assert_eq!(t.num_rows(Table::Audit), 2);
    assert_eq!(t.stats.unwrapped, 2);
    assert_eq!(
        errors(&t),
        vec![(1, "array element is not a JSON object".into())]
    );
    let at = t.rejects[0].offset as usize;
    assert_eq!(&input.as_bytes()[at..at + 1], b"7");
    // A record that merely has `status` and `data` keys among others is not an envelope.
    let t = run(br#"{"status":"open","data":[1],"dlp_incident_id":5}"#);
    assert_eq!(t.num_rows(Table::Incident), 1);
}

#[test]
fn unknown_records_are_kept_whole() {
    let t = run(
        br#"{"_id":"x1","type":"something_new","timestamp":1700000000,"foo":{"bar":[1]},"n":1.5}"#,
    );
    assert_eq!(t.num_rows(Table::Unknown), 1);
    assert_eq!(
        extra(&t, Table::Unknown),
        vec![Some(r#"{"foo":{"bar":[1]},"n":1.5}"#.into())]
    );
    let b = t.concat(Table::Unknown);
    assert_eq!(
        b.column_by_name("type")
            .unwrap()
            .as_string::<i32>()
            .value(0),
        "something_new"
    );
}

#[test]
fn random_bytes_never_panic_and_every_line_is_accounted_for() {
    let pieces: [&[u8]; 14] = [
        AUDIT.as_bytes(),
        b"{",
        b"}",
        b"[",
        b"]",
        b"\"",
        b"\\u12",
        b"\n",
        b"\r\n",
        b"\xff\xfe",
        b":",
        b",",
        b"1e999",
        b"{\"type\":\"nspolicy\",\"alert\":\"yes\",\"alert_type\":\"dlp\"}\n",
    ];
    let mut x: u64 = 0x2545F4914F6CDD1D;
    for _ in 0..300 {
        // Starts with a record, so the source is NDJSON (not a pretty-printed document).
        let mut input = format!("{AUDIT}\n").into_bytes();
        for _ in 0..40 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if x % 5 == 0 {
                input.push((x >> 8) as u8);
            } else {
                input.extend_from_slice(pieces[(x >> 16) as usize % pieces.len()]);
            }
        }
        let t = run(&input);
        let newlines = input.iter().filter(|&&b| b == b'\n').count() as u64;
        let lines = newlines + u64::from(!input.is_empty() && *input.last().unwrap() != b'\n');
        assert_eq!(t.stats.lines, lines);
        assert_eq!(
            t.stats.lines - t.stats.blank_lines,
            t.stats.total_rows() + t.stats.rejects
        );
        assert_eq!(t.stats.unwrapped, 0);
    }
}

#[test]
fn escaped_routing_values_and_keys_are_decoded() {
    let t = run(br#"{"typ\u0065":"nsp\u006flicy","src\u005ftime":"Mon Jan  6 14:22:08 2025"}"#);
    assert_eq!(t.num_rows(Table::Application), 1);
    let b = t.concat(Table::Application);
    let local = b.column_by_name("_src_time_local").unwrap();
    assert!(
        local.is_valid(0),
        "escaped src_time key still feeds _src_time_local"
    );
    assert_eq!(extra(&t, Table::Application), vec![None]);
}

#[test]
fn raw_control_characters_come_out_as_strict_json() {
    let t = run(b"{\"type\":\"admin_audit_logs\",\"note\":\"a\tb\x01\"}");
    let e = extra(&t, Table::Audit)[0].clone().unwrap();
    assert_eq!(e, r#"{"note":"a\u0009b\u0001"}"#);
    let v: serde_json::Value = serde_json::from_str(&e).unwrap();
    assert_eq!(v["note"], "a\tb\u{1}");
}

#[test]
fn small_over_long_lines_are_kept_whole_and_crlf_is_not_part_of_raw() {
    let limits = Limits {
        max_line_bytes: 10,
        ..Default::default()
    };
    let t = run_with(&b"{\"type\":\"xxxxxxxx\"}\r\n{}\r\n{\r\n"[..], limits);
    assert_eq!(t.rejects.len(), 2);
    assert_eq!(
        t.rejects[0].raw, b"{\"type\":\"xxxxxxxx\"}",
        "the whole line is kept, without its CRLF"
    );
    assert!(!t.rejects[0].raw_truncated);
    assert_eq!(t.rejects[1].raw, b"{", "no \\r in raw");
    assert_eq!(t.num_rows(Table::Unknown), 1);
}

/// `supporting_data`'s parts row by row: a list with items of every kind, a row without the
/// field, a struct whose list is null, a null struct, a struct with an empty list only.
#[test]
fn supporting_data_row_by_row() {
    let t = run(br#"{"type":"admin_audit_logs","supporting_data":{"data_type":"user","data_values":["a","b\u00e9",null,1,{"k": [true]}]}}
{"type":"admin_audit_logs"}
{"type":"admin_audit_logs","supporting_data":{"data_type":"x","data_values":null}}
{"type":"admin_audit_logs","supporting_data":null}
{"type":"admin_audit_logs","supporting_data":{"data_values":[]}}
"#);
    let b = t.concat(Table::Audit);
    let sd = b.column_by_name("supporting_data").unwrap().as_struct();
    let valid: Vec<bool> = (0..sd.len()).map(|i| sd.is_valid(i)).collect();
    assert_eq!(valid, [true, false, true, false, true]);
    let types = sd.column(0).as_string::<i32>();
    let types: Vec<Option<&str>> = (0..types.len())
        .map(|i| types.is_valid(i).then(|| types.value(i)))
        .collect();
    assert_eq!(types, [Some("user"), None, Some("x"), None, None]);
    let lists = sd.column(1).as_list::<i32>();
    let rows: Vec<Option<Vec<Option<String>>>> = (0..lists.len())
        .map(|i| {
            lists.is_valid(i).then(|| {
                let items = lists.value(i);
                let items = items.as_string::<i32>();
                (0..items.len())
                    .map(|j| items.is_valid(j).then(|| items.value(j).to_string()))
                    .collect()
            })
        })
        .collect();
    let item = |s: &str| Some(s.to_string());
    assert_eq!(
        rows,
        [
            Some(vec![
                item("a"),
                item("bé"),
                None,
                item("1"),
                item(r#"{"k":[true]}"#)
            ]),
            None,
            None,
            None,
            Some(vec![]),
        ]
    );
    assert_eq!(extra(&t, Table::Audit), vec![None; 5]);
}

#[test]
fn placeholders_and_nulls_in_nested_and_routing_fields() {
    let t = run(br#"{"type":"admin_audit_logs","supporting_data":""}
{"dlp_incident_id":null,"x":1}
"#);
    let b = t.concat(Table::Audit);
    assert!(b.column_by_name("supporting_data").unwrap().is_null(0));
    assert_eq!(extra(&t, Table::Audit), vec![None]);
    assert_eq!(
        t.num_rows(Table::Unknown),
        1,
        "a null dlp_incident_id does not make an incident"
    );
}

#[test]
fn pretty_printed_documents_arrays_and_broken_documents() {
    // An array of records spread over lines, after blank lines and a BOM.
    let doc = format!("\n\u{feff}[\n  {AUDIT},\n  7,\n  {AUDIT}\n]\n");
    let t = run(doc.as_bytes());
    assert_eq!(t.num_rows(Table::Audit), 2);
    assert_eq!(
        errors(&t),
        vec![(4, "array element is not a JSON object".into())]
    );
    assert_eq!(t.stats.lines, 6);
    // One pretty-printed record.
    let t = run(b"{\n  \"type\": \"admin_audit_logs\",\n  \"count\": 2\n}\n");
    assert_eq!(t.num_rows(Table::Audit), 1);
    // A truncated document is one reject that says where it broke.
    let t = run(b"{\n  \"ok\": 1,\n  \"result\": [\n    {\"type\": \"admin_audit_logs\"},\n    {\"type\": \"adm");
    assert_eq!(
        errors(&t),
        vec![(
            1,
            "invalid JSON document: truncated JSON: unterminated string (line 5)".into()
        )]
    );
    assert_eq!(t.stats.total_rows(), 0);
    // Over the document limit: a reject naming the limit, in bounded memory.
    let limits = Limits {
        max_document_bytes: 64,
        max_reject_raw_bytes: 16,
        ..Default::default()
    };
    let big = format!("[\n{}\n]\n", [AUDIT; 10].join(",\n"));
    let t = run_with(big.as_bytes(), limits);
    assert_eq!(t.rejects.len(), 1);
    assert!(
        t.rejects[0]
            .error
            .ends_with("is larger than the limit of 64 bytes (Limits::max_document_bytes)"),
        "{}",
        t.rejects[0].error
    );
    assert_eq!(t.rejects[0].raw.len(), 16);
    // Invalid UTF-8 in a document.
    let t = run(b"[\n{\"type\":\"admin_audit_logs\"},\n{\"user\":\"\xff\"}\n]\n");
    assert_eq!(
        errors(&t),
        vec![(1, "invalid JSON document: invalid UTF-8 (line 3)".into())]
    );
    // A lone `{` later in an NDJSON file is an ordinary (truncated) line.
    let t = run(format!("{AUDIT}\n{{\n{AUDIT}\n").as_bytes());
    assert_eq!((t.num_rows(Table::Audit), t.stats.rejects), (2, 1));
}

#[test]
fn random_documents_give_one_row_per_object_or_one_reject() {
    // Pretty-printed arrays of random elements, whole or cut short, in random chunkings.
    let elements: [(&str, bool); 6] = [
        (AUDIT, true),
        ("{\n  \"type\": \"nspolicy\",\n  \"alert\": \"no\"\n}", true),
        ("{}", true),
        ("7", false),
        ("\"text\"", false),
        ("[1, {\"a\": []}]", false),
    ];
    let mut x: u64 = 0x853C49E6748FEA9B;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for round in 0..200 {
        let n = next() as usize % 8;
        let picked: Vec<(&str, bool)> = (0..n)
            .map(|_| elements[next() as usize % elements.len()])
            .collect();
        let body: Vec<&str> = picked.iter().map(|e| e.0).collect();
        let doc = format!("[\n  {}\n]\n", body.join(",\n  "));
        let cut = round % 3 == 0 && doc.len() > 4;
        let input = if cut {
            &doc.as_bytes()[..2 + next() as usize % (doc.len() - 4)]
        } else {
            doc.as_bytes()
        };
        let objects = picked.iter().filter(|e| e.1).count() as u64;
        for chunk in [1, 3, 64, 1 << 20] {
            let mut d = Decoder::new(DecoderOptions::default());
            for c in input.chunks(chunk) {
                d.push(c);
            }
            let t = Tables::from_decoder(d);
            let ctx = format!(
                "round {round} chunk {chunk}: {}",
                String::from_utf8_lossy(input)
            );
            if cut {
                assert_eq!((t.stats.total_rows(), t.rejects.len()), (0, 1), "{ctx}");
                assert!(
                    t.rejects[0].error.starts_with("invalid JSON document: "),
                    "{ctx}"
                );
            } else {
                assert_eq!(t.stats.total_rows(), objects, "{ctx}");
                assert_eq!(t.stats.rejects, n as u64 - objects, "{ctx}");
                assert_eq!(t.stats.unwrapped, objects, "{ctx}");
            }
        }
    }
}

#[test]
fn a_conversion_stopped_by_its_progress_callback_leaves_no_files() {
    use netskope_arrow::{convert_readers, ConvertOptions, Error};
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let line = b"{\"type\":\"nspolicy\",\"app\":\"Box\"}\n[]\n";
    let input: Vec<u8> = line.repeat(100_000); // several chunks, so the callback runs mid-way
    let mut calls = 0;
    let result = convert_readers(
        [Ok((
            "big".to_string(),
            Box::new(std::io::Cursor::new(input)) as Box<dyn std::io::Read + Send>,
        ))],
        &out,
        &ConvertOptions::default(),
        &mut |_| {
            calls += 1;
            if calls == 2 {
                Err(Error::InvalidArgument("stop".into()))
            } else {
                Ok(())
            }
        },
    );
    assert!(matches!(result, Err(Error::InvalidArgument(m)) if m == "stop"));
    let left: Vec<_> = std::fs::read_dir(&out).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

fn convert_bytes(
    input: Vec<u8>,
    out: &std::path::Path,
    threads: usize,
) -> netskope_arrow::Result<netskope_arrow::Summary> {
    let options = netskope_arrow::ConvertOptions {
        read: netskope_arrow::ReadOptions {
            threads,
            block_bytes: 4096,
            decoder: DecoderOptions {
                batch_size: 100,
                ..Default::default()
            },
        },
        ..Default::default()
    };
    let reader = Box::new(std::io::Cursor::new(input)) as Box<dyn std::io::Read + Send>;
    netskope_arrow::convert_readers([Ok(("in".to_string(), reader))], out, &options, &mut |_| {
        Ok(())
    })
}

#[test]
fn any_number_of_threads_writes_the_same_files() {
    let mut input = Vec::new();
    for name in ["tenant-export-v2.ndjson", "tenant-export-v1.ndjson"] {
        input.extend(std::fs::read(common::repo_path(&format!("samples/{name}"))).unwrap());
    }
    let input = input.repeat(40); // many batches of 100 rows per table, and 120 rejects
    let dir = tempfile::tempdir().unwrap();
    let one = convert_bytes(input.clone(), &dir.path().join("one"), 1).unwrap();
    for threads in [2, 3] {
        let two = convert_bytes(
            input.clone(),
            &dir.path().join(format!("t{threads}")),
            threads,
        );
        same_files(&one, &two.unwrap());
    }
    assert_eq!((one.stats.rejects, one.stats.total_rows()), (120, 1680));
}

fn same_files(one: &netskope_arrow::Summary, two: &netskope_arrow::Summary) {
    assert_eq!(one.stats, two.stats);
    let names = |s: &netskope_arrow::Summary| -> Vec<_> {
        s.outputs
            .iter()
            .map(|p| p.file_name().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(one), names(two));
    for (a, b) in one.outputs.iter().zip(&two.outputs) {
        assert!(
            std::fs::read(a).unwrap() == std::fs::read(b).unwrap(),
            "{a:?} differs"
        );
    }
}

#[test]
fn a_failing_input_with_two_threads_leaves_no_files() {
    struct FailsMidway(std::io::Cursor<Vec<u8>>);
    impl std::io::Read for FailsMidway {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.position() > 3_000_000 {
                return Err(std::io::Error::other("connection reset"));
            }
            self.0.read(buf)
        }
    }
    let line = b"{\"type\":\"nspolicy\",\"app\":\"Box\"}\n";
    let dir = tempfile::tempdir().unwrap();
    for threads in [1, 2] {
        let out = dir.path().join(format!("t{threads}"));
        let reader = Box::new(FailsMidway(std::io::Cursor::new(line.repeat(200_000))))
            as Box<dyn std::io::Read + Send>;
        let options = netskope_arrow::ConvertOptions {
            read: netskope_arrow::ReadOptions {
                threads,
                ..Default::default()
            },
            ..Default::default()
        };
        let err = netskope_arrow::convert_readers(
            [Ok(("flaky".to_string(), reader))],
            &out,
            &options,
            &mut |_| Ok(()),
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "cannot read flaky: connection reset");
        let left: Vec<_> = std::fs::read_dir(&out).unwrap().collect();
        assert!(left.is_empty(), "threads {threads}: {left:?}");
    }
}

fn reader(input: &[u8]) -> netskope_arrow::Result<(String, Box<dyn std::io::Read + Send>)> {
    Ok((
        "in".to_string(),
        Box::new(std::io::Cursor::new(input.to_vec())),
    ))
}

#[test]
fn read_readers_gives_the_tables_of_read_all_for_any_threads_and_blocks() {
    let mut input = Vec::new();
    for name in ["tenant-export-v2.ndjson", "tenant-export-v1.ndjson"] {
        input.extend(std::fs::read(common::repo_path(&format!("samples/{name}"))).unwrap());
    }
    let input = input.repeat(30);
    let decoder = DecoderOptions {
        batch_size: 7,
        ..Default::default()
    };
    let want = netskope_arrow::read_all(&input[..], decoder.clone()).unwrap();
    assert_eq!((want.stats.total_rows(), want.stats.rejects), (1260, 90));
    let key = |r: &netskope_arrow::Reject| (r.line, r.offset, r.error.clone(), r.raw.clone());
    for (threads, block_bytes) in [(1, 0), (2, 1), (3, 4096), (2, 100_000)] {
        let options = netskope_arrow::ReadOptions {
            decoder: decoder.clone(),
            threads,
            block_bytes,
        };
        let got =
            netskope_arrow::read_readers([reader(&input)], &options, &mut |_| Ok(())).unwrap();
        assert_eq!(
            got.stats, want.stats,
            "threads {threads}, blocks of {block_bytes}"
        );
        let keys = |t: &Tables| t.rejects.iter().map(key).collect::<Vec<_>>();
        assert_eq!(keys(&got), keys(&want));
        assert!(got.rejects.iter().all(|r| &*r.source == "in"));
        for table in Table::ALL {
            assert_eq!(got.concat(table), want.concat(table), "{table}");
            assert!(got.batches(table).iter().all(|b| b.num_rows() <= 7));
        }
    }
}

#[test]
fn decode_readers_stops_at_the_first_error_of_its_output_or_progress() {
    let input = b"{\"type\":\"nspolicy\"}\n".repeat(50_000); // 1 MB: many blocks of 4 KiB
    for threads in [1, 2] {
        let options = netskope_arrow::ReadOptions {
            threads,
            block_bytes: 4096,
            ..Default::default()
        };
        let mut seen = 0;
        let err = netskope_arrow::decode_readers(
            [reader(&input)],
            &options,
            &mut |_| Ok(()),
            &mut |_| {
                seen += 1;
                if seen == 3 {
                    return Err(netskope_arrow::Error::InvalidArgument("enough".into()));
                }
                Ok(())
            },
        )
        .unwrap_err();
        assert_eq!(
            (err.to_string(), seen),
            ("enough".to_string(), 3),
            "threads {threads}"
        );
        let err = netskope_arrow::decode_readers(
            [reader(&input)],
            &options,
            &mut |_| Err(netskope_arrow::Error::InvalidArgument("stop".into())),
            &mut |_| Ok(()),
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "stop");
    }
}
