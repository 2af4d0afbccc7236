//! The six samples of the integration page the project started from
//! (../shared/seed/netskope-data-source.txt): exact tables, types and values of key fields.

mod common;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type, TimestampMillisecondType};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use common::{assert_lossless, decode_one, shared_dir};
use netskope_arrow::Table;

fn seed_lines() -> Option<Vec<String>> {
    let text = std::fs::read_to_string(shared_dir()?.join("seed/netskope-data-source.txt")).ok()?;
    let lines: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(str::to_string)
        .collect();
    assert_eq!(
        lines.len(),
        6,
        "audit, application, alert samples, V1 then V2 each"
    );
    Some(lines)
}

fn s<'a>(b: &'a RecordBatch, c: &str) -> Option<&'a str> {
    let a = b
        .column_by_name(c)
        .unwrap_or_else(|| panic!("no column {c}"))
        .as_string::<i32>();
    (!a.is_null(0)).then(|| a.value(0))
}
fn i(b: &RecordBatch, c: &str) -> Option<i64> {
    let a = b.column_by_name(c).unwrap();
    assert_eq!(a.data_type(), &DataType::Int64, "{c}");
    (!a.is_null(0)).then(|| a.as_primitive::<Int64Type>().value(0))
}
fn f(b: &RecordBatch, c: &str) -> Option<f64> {
    let a = b.column_by_name(c).unwrap();
    (!a.is_null(0)).then(|| a.as_primitive::<Float64Type>().value(0))
}
fn ts(b: &RecordBatch, c: &str) -> Option<i64> {
    let a = b.column_by_name(c).unwrap();
    assert_eq!(
        a.data_type(),
        &DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
        "{c}"
    );
    (!a.is_null(0)).then(|| a.as_primitive::<TimestampMillisecondType>().value(0) / 1000)
}
fn local(b: &RecordBatch) -> Option<i64> {
    let a = b.column_by_name("_src_time_local").unwrap();
    (!a.is_null(0)).then(|| a.as_primitive::<TimestampMillisecondType>().value(0) / 1000)
}
fn list(b: &RecordBatch, c: &str) -> Option<Vec<String>> {
    let a = b.column_by_name(c).unwrap().as_list::<i32>();
    (!a.is_null(0)).then(|| {
        let v = a.value(0);
        let v = v.as_string::<i32>();
        (0..v.len()).map(|i| v.value(i).to_string()).collect()
    })
}

#[test]
fn seed_audit_events() {
    let Some(lines) = seed_lines() else { return };
    for (n, line) in lines[..2].iter().enumerate() {
        let (t, b) = decode_one(line);
        assert_eq!(t, Table::Audit);
        assert_eq!(
            assert_lossless(line, t, &b, "seed audit"),
            0,
            "nothing unknown in the seed audit samples"
        );
        let sd = b.column_by_name("supporting_data").unwrap().as_struct();
        assert!(sd.is_valid(0));
        if n == 0 {
            assert_eq!(ts(&b, "timestamp"), Some(1653898407));
            assert_eq!(ts(&b, "_insertion_epoch_timestamp"), Some(1653898710));
            assert_eq!(s(&b, "severity_level"), Some("2"));
            assert_eq!(s(&b, "audit_log_event"), Some("Logout Successful"));
            assert_eq!(sd.column(0).as_string::<i32>().value(0), "reason");
            assert_eq!(i(&b, "count"), Some(1));
        } else {
            assert_eq!(ts(&b, "timestamp"), Some(1736151783));
            assert_eq!(s(&b, "severity_level"), Some("1"));
            assert_eq!(s(&b, "details"), Some("[]"));
            assert_eq!(s(&b, "sAMAccountName"), Some(""));
            let dv = sd.column(1).as_list::<i32>().value(0);
            assert_eq!(dv.as_string::<i32>().value(0), "[email\u{a0}protected]");
        }
    }
}

#[test]
fn seed_application_events() {
    let Some(lines) = seed_lines() else { return };
    let (t, v1) = decode_one(&lines[2]);
    assert_eq!(t, Table::Application);
    assert_eq!(assert_lossless(&lines[2], t, &v1, "seed app v1"), 0);
    assert_eq!(i(&v1, "app_session_id"), Some(1234));
    assert_eq!(
        f(&v1, "dst_latitude"),
        Some(8.6843),
        "kept as sent, even if swapped"
    );
    assert_eq!(f(&v1, "src_latitude"), Some(34.0), "int in a float column");
    assert_eq!(
        s(&v1, "src_zipcode"),
        Some("N/A"),
        "placeholders stay in string columns"
    );
    assert_eq!(s(&v1, "alert"), Some("no"));
    assert_eq!(i(&v1, "cci"), Some(86));
    assert_eq!(s(&v1, "src_time"), Some("Mon May 05 12:53:08 2022"));
    assert_eq!(local(&v1), Some(1651755188));
    assert_eq!(
        list(&v1, "other_categories"),
        Some(vec!["Technology".into(), "Collaboration".into()])
    );

    let (t, v2) = decode_one(&lines[3]);
    assert_eq!(t, Table::Application);
    assert_eq!(assert_lossless(&lines[3], t, &v2, "seed app v2"), 0);
    assert_eq!(i(&v2, "app_session_id"), Some(1234520240568470));
    assert_eq!(i(&v2, "connection_id"), Some(123457252589298));
    assert_eq!(i(&v2, "dstport"), Some(443));
    assert_eq!(
        s(&v2, "src_time"),
        Some("Mon Jan&nbsp;6 14:22:08 2025"),
        "text kept as sent"
    );
    assert_eq!(
        local(&v2),
        Some(1736173328),
        "2025-01-06 14:22:08 wall clock"
    );
    assert_eq!(ts(&v2, "timestamp"), Some(1736153549));
    assert_eq!(ts(&v2, "suppression_start_time"), None, "0 means absent");
    assert_eq!(ts(&v2, "modified"), None);
    assert_eq!(s(&v2, "custom_attr"), Some("{}"));
    assert_eq!(list(&v2, "smtp_to"), Some(vec![]));
    assert_eq!(s(&v2, "ja3s"), Some("NotAvailable"));
}

#[test]
fn seed_alerts() {
    let Some(lines) = seed_lines() else { return };
    let (t, v1) = decode_one(&lines[4]);
    assert_eq!(
        t,
        Table::Alerts,
        "V1 alert: type nspolicy, alert yes, alert_type policy"
    );
    assert_eq!(assert_lossless(&lines[4], t, &v1, "seed alert v1"), 0);
    assert_eq!(s(&v1, "type"), Some("nspolicy"));
    assert_eq!(s(&v1, "alert_type"), Some("policy"));
    assert_eq!(s(&v1, "acked"), Some("false"));
    assert_eq!(i(&v1, "connection_id"), Some(0));
    assert_eq!(f(&v1, "dst_longitude"), Some(29.0));

    let (t, v2) = decode_one(&lines[5]);
    assert_eq!(t, Table::Alerts, "V2 alert: type abpolicy, alert yes");
    assert_eq!(assert_lossless(&lines[5], t, &v2, "seed alert v2"), 0);
    assert_eq!(i(&v2, "transaction_id"), Some(8847222077216958610));
    assert_eq!(i(&v2, "app_session_id"), Some(11223344556857821));
    assert_eq!(ts(&v2, "suppression_start_time"), Some(1736154197));
    assert_eq!(ts(&v2, "suppression_end_time"), Some(1736154257));
    assert_eq!(ts(&v2, "breach_date"), None);
    assert_eq!(
        s(&v2, "category"),
        Some("Chat &amp; other communication"),
        "no entity decoding"
    );
    assert_eq!(f(&v2, "malsite_latitude"), Some(0.0));
    let enc = v2
        .column_by_name("file_cls_encrypted")
        .unwrap()
        .as_boolean();
    assert!(enc.is_valid(0) && !enc.value(0));
    assert_eq!(s(&v2, "breach_score"), Some(""));
    assert_eq!(s(&v2, "severity_level"), Some(""));
    assert_eq!(list(&v2, "policy_actions"), Some(vec![]));
}
