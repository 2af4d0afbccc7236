//! Helpers shared by the integration tests: locating fixtures, decoding single records, and an
//! independent oracle (serde_json) that checks a record's every value against its row.
#![allow(dead_code)]

use std::path::PathBuf;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type, TimestampMillisecondType};
use arrow_array::{Array, RecordBatch};
use netskope_arrow::{columns, ColumnKind, Decoder, DecoderOptions, Table};
use serde_json::Value;

/// `../shared` next to the repository (override with NETSKOPE_SHARED).
pub fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("NETSKOPE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIPPED: {} not found (set NETSKOPE_SHARED)", dir.display());
        None
    }
}

pub fn repo_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Decodes one line alone: returns its table and one-row batch.
pub fn decode_one(line: &str) -> (Table, RecordBatch) {
    let mut d = Decoder::new(DecoderOptions::default());
    d.push(line.as_bytes());
    d.finish();
    let rejects = d.take_rejects();
    assert!(rejects.is_empty(), "unexpected reject: {rejects:?}");
    let (t, b) = d.next_batch().expect("one batch");
    assert!(d.next_batch().is_none());
    assert_eq!(b.num_rows(), 1);
    (t, b)
}

pub fn is_placeholder(s: &str) -> bool {
    netskope_arrow::PLACEHOLDERS.contains(&s.trim().to_ascii_lowercase().as_str())
}

fn expect_millis(v: &Value) -> Option<Option<i64>> {
    // Returns Some(expected) when the value is coercible, None when it must be in _extra.
    let (int, frac) = match v {
        Value::Null => return Some(None),
        Value::String(s) if is_placeholder(s) => return Some(None),
        Value::String(s) => {
            if let Ok(i) = s.trim().parse::<i64>() {
                (i as i128, 0i64)
            } else {
                return None;
            }
        }
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                (i as i128, 0)
            } else {
                let f = n.as_f64()?;
                (f.trunc() as i128, ((f - f.trunc()) * 1e3).round() as i64)
            }
        }
        _ => return None,
    };
    if int == 0 && frac == 0 {
        return Some(None);
    }
    let abs = int.abs();
    Some(Some(if abs < 1_000_000_000_000 {
        (int * 1000 + frac as i128) as i64
    } else if abs < 1_000_000_000_000_000 {
        int as i64
    } else {
        (int / 1000) as i64
    }))
}

fn list_item_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Checks that every key/value of `record` is found again in `batch` (row 0): in its typed
/// column after the documented normalization, or verbatim in `_extra`. Returns the number of
/// values that went to `_extra`.
pub fn assert_lossless(line: &str, table: Table, batch: &RecordBatch, context: &str) -> usize {
    let Pairs(pairs) = serde_json::from_str(line).expect("record is an object");
    let extra_col = batch.column_by_name("_extra").unwrap().as_string::<i32>();
    let Pairs(extra) = if extra_col.is_null(0) {
        Pairs(Vec::new())
    } else {
        serde_json::from_str(extra_col.value(0)).expect("_extra is a JSON object")
    };
    assert!(!extra_col.is_null(0) || extra.is_empty());
    let mut used = vec![false; extra.len()];
    let mut seen_columns = std::collections::HashSet::new();
    let cols = columns(table);
    for (k, v) in &pairs {
        if let Some(i) =
            (0..extra.len()).find(|&i| !used[i] && extra[i].0 == *k && extra[i].1 == *v)
        {
            used[i] = true;
            continue;
        }
        assert!(
            seen_columns.insert(k.clone()),
            "{context}: {k} sent twice but only one value is kept"
        );
        let col = cols.iter().find(|c| c.name == k).unwrap_or_else(|| {
            panic!("{context}: key {k} is neither a column of {table} nor in _extra")
        });
        let a = batch.column_by_name(k).unwrap();
        let ctx = format!("{context}: column {k} ({:?}) value {v}", col.kind);
        match col.kind {
            ColumnKind::String => match v {
                Value::Null => assert!(a.is_null(0), "{ctx}"),
                Value::String(s) => assert_eq!(a.as_string::<i32>().value(0), s, "{ctx}"),
                Value::Bool(b) => assert_eq!(a.as_string::<i32>().value(0), b.to_string(), "{ctx}"),
                Value::Number(n) => {
                    let got = a.as_string::<i32>().value(0);
                    if n.is_f64() {
                        assert_eq!(got.parse::<f64>().unwrap(), n.as_f64().unwrap(), "{ctx}");
                    } else {
                        assert_eq!(got, v.to_string(), "{ctx}");
                    }
                }
                _ => panic!("{ctx}: object/array in a string column must go to _extra"),
            },
            ColumnKind::Int64 => {
                let got = (!a.is_null(0)).then(|| a.as_primitive::<Int64Type>().value(0));
                let want = match v {
                    Value::Null => None,
                    Value::String(s) if is_placeholder(s) => None,
                    Value::String(s) => Some(s.trim().parse::<i64>().expect(&ctx)),
                    Value::Number(n) => Some(
                        n.as_i64()
                            .or_else(|| n.as_f64().map(|f| f as i64))
                            .expect(&ctx),
                    ),
                    _ => panic!("{ctx}: should be in _extra"),
                };
                assert_eq!(got, want, "{ctx}");
            }
            ColumnKind::Float64 => {
                let got = (!a.is_null(0)).then(|| a.as_primitive::<Float64Type>().value(0));
                let want = match v {
                    Value::Null => None,
                    Value::String(s) if is_placeholder(s) => None,
                    Value::String(s) => Some(s.trim().parse::<f64>().expect(&ctx)),
                    Value::Number(n) => n.as_f64(),
                    _ => panic!("{ctx}: should be in _extra"),
                };
                assert_eq!(got, want, "{ctx}");
            }
            ColumnKind::Bool => {
                let got = (!a.is_null(0)).then(|| a.as_boolean().value(0));
                let want = match v {
                    Value::Null => None,
                    Value::Bool(b) => Some(*b),
                    Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                        "yes" | "true" | "1" => Some(true),
                        "no" | "false" | "0" => Some(false),
                        x if is_placeholder(x) => None,
                        _ => panic!("{ctx}: should be in _extra"),
                    },
                    Value::Number(n) => Some(n.as_i64() == Some(1)),
                    _ => panic!("{ctx}: should be in _extra"),
                };
                assert_eq!(got, want, "{ctx}");
            }
            ColumnKind::Timestamp => {
                let got =
                    (!a.is_null(0)).then(|| a.as_primitive::<TimestampMillisecondType>().value(0));
                let want = expect_millis(v).unwrap_or_else(|| panic!("{ctx}: should be in _extra"));
                assert_eq!(got, want, "{ctx}");
            }
            ColumnKind::StringList => {
                let want: Option<Vec<Option<String>>> = match v {
                    Value::Null => None,
                    Value::String(s) if is_placeholder(s) => None,
                    Value::String(s) => Some(
                        serde_json::from_str::<Vec<Value>>(s)
                            .expect(&ctx)
                            .iter()
                            .map(list_item_text)
                            .collect(),
                    ),
                    Value::Array(items) => Some(items.iter().map(list_item_text).collect()),
                    _ => panic!("{ctx}: should be in _extra"),
                };
                let got = (!a.is_null(0)).then(|| {
                    let l = a.as_list::<i32>().value(0);
                    let s = l.as_string::<i32>();
                    (0..s.len())
                        .map(|i| (!s.is_null(i)).then(|| s.value(i).to_string()))
                        .collect::<Vec<_>>()
                });
                match (&got, &want) {
                    (Some(g), Some(w)) => {
                        assert_eq!(g.len(), w.len(), "{ctx}");
                        for (g, w) in g.iter().zip(w) {
                            match (g, w) {
                                (Some(g), Some(w)) if g != w => {
                                    // Numbers keep their token text; compare numerically.
                                    assert_eq!(
                                        g.parse::<f64>().ok(),
                                        w.parse::<f64>().ok(),
                                        "{ctx}"
                                    );
                                }
                                _ => assert_eq!(g.is_some(), w.is_some(), "{ctx}"),
                            }
                        }
                    }
                    _ => assert_eq!(got, want, "{ctx}"),
                }
            }
            ColumnKind::Json => {
                let got = (!a.is_null(0)).then(|| a.as_string::<i32>().value(0).to_string());
                match v {
                    Value::Null => assert_eq!(got, None, "{ctx}"),
                    Value::String(s) if is_placeholder(s) => assert_eq!(got, None, "{ctx}"),
                    Value::String(s) => {
                        let got: Value =
                            serde_json::from_str(got.as_deref().expect(&ctx)).expect(&ctx);
                        // Only text that starts with `[` or `{` is taken as JSON (docs/schema.md §3).
                        let t = s.trim();
                        let want = if t.starts_with('[') || t.starts_with('{') {
                            serde_json::from_str::<Value>(t).unwrap_or_else(|_| v.clone())
                        } else {
                            v.clone()
                        };
                        assert_eq!(got, want, "{ctx}");
                    }
                    other => {
                        let got: Value =
                            serde_json::from_str(got.as_deref().expect(&ctx)).expect(&ctx);
                        assert_eq!(&got, other, "{ctx}");
                    }
                }
            }
            ColumnKind::SupportingData => {
                let s = a.as_struct();
                match v {
                    Value::Null => assert!(s.is_null(0), "{ctx}"),
                    Value::String(p) if is_placeholder(p) => assert!(s.is_null(0), "{ctx}"),
                    Value::Object(m) => {
                        let dt = s.column(0).as_string::<i32>();
                        match m.get("data_type") {
                            Some(Value::String(t)) => assert_eq!(dt.value(0), t, "{ctx}"),
                            _ => assert!(dt.is_null(0), "{ctx}"),
                        }
                        let dv = s.column(1).as_list::<i32>();
                        if let Some(Value::Array(items)) = m.get("data_values") {
                            let l = dv.value(0);
                            let l = l.as_string::<i32>();
                            let want: Vec<Option<String>> =
                                items.iter().map(list_item_text).collect();
                            let got: Vec<Option<String>> = (0..l.len())
                                .map(|i| (!l.is_null(i)).then(|| l.value(i).to_string()))
                                .collect();
                            assert_eq!(got, want, "{ctx}");
                        }
                    }
                    _ => panic!("{ctx}: should be in _extra"),
                }
            }
            ColumnKind::LocalTimestamp => panic!("{ctx}: derived column cannot be an input key"),
        }
    }
    // Nothing in _extra that was not in the record.
    for (i, (k, v)) in extra.iter().enumerate() {
        assert!(
            used[i],
            "{context}: _extra has {k}={v} which the record lacks"
        );
    }
    extra.len()
}

/// A JSON object as its key/value pairs in order, duplicates included.
pub struct Pairs(pub Vec<(String, Value)>);

impl<'de> serde::Deserialize<'de> for Pairs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Pairs;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Pairs, A::Error> {
                let mut v = Vec::new();
                while let Some(kv) = m.next_entry::<String, Value>()? {
                    v.push(kv);
                }
                Ok(Pairs(v))
            }
        }
        d.deserialize_map(V)
    }
}
