//! `schema/columns.csv` against Netskope's official dictionary (../shared/data/netskope-fields):
//! every data-export field of a table's record types is a column, with the kind the dictionary
//! suggests unless a documented override says otherwise.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::shared_dir;
use netskope_arrow::{columns, ColumnKind, Table};

/// table -> dictionary record types (mirrors tools/derive_schema.py; docs/schema.md explains it).
fn sources(t: Table) -> &'static [&'static str] {
    match t {
        Table::Audit => &["events/audit"],
        Table::Application => &["events/application"],
        Table::Alerts => &[
            "events/alert",
            "alerts/policy",
            "alerts/dlp",
            "alerts/malware",
            "alerts/malsite",
            "alerts/compromisedcredential",
            "alerts/uba",
            "alerts/securityassessment",
            "alerts/watchlist",
            "alerts/quarantine",
            "alerts/remediation",
            "alerts/ctep",
            "alerts/device",
            "alerts/content",
        ],
        Table::Page => &["events/page", "events/connection"],
        Table::Network => &["events/network"],
        Table::Incident => &["events/incident"],
        Table::Infrastructure => &["events/infrastructure"],
        Table::Endpoint => &["events/endpoint"],
        Table::Unknown => &[],
    }
}

/// Documented overrides of the dictionary's suggested type (docs/schema.md, "Overrides").
fn overridden(field: &str) -> Option<ColumnKind> {
    Some(match field {
        "dlp_match_info"
        | "inline_dlp_match_info"
        | "details"
        | "iaas_asset_tags"
        | "all_policy_matches"
        | "profile_hits" => ColumnKind::Json,
        "supporting_data" => ColumnKind::SupportingData,
        "suppression_start_time"
        | "suppression_end_time"
        | "_insertion_epoch_timestamp"
        | "threshold_time" => ColumnKind::Timestamp,
        _ => return None,
    })
}

fn suggested(s: &str) -> ColumnKind {
    match s {
        "utf8" => ColumnKind::String,
        "int64" => ColumnKind::Int64,
        "float64" => ColumnKind::Float64,
        "bool" => ColumnKind::Bool,
        "timestamp[s] (source: int epoch seconds)" => ColumnKind::Timestamp,
        "list<utf8> or JSON utf8 (element type varies)" => ColumnKind::StringList,
        "JSON utf8 (or struct)" | "JSON utf8" => ColumnKind::Json,
        other => panic!("unexpected suggested type {other}"),
    }
}

#[test]
fn every_dictionary_field_is_a_column_of_the_right_kind() {
    let Some(shared) = shared_dir() else { return };
    let mut rdr =
        csv::Reader::from_path(shared.join("data/netskope-fields/fields_by_record_type.csv"))
            .unwrap();
    let headers = rdr.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (rt, field, exp, oas, sug) = (
        col("record_type"),
        col("field"),
        col("ds_data_export"),
        col("in_oas"),
        col("suggested_arrow_type"),
    );
    let mut want: BTreeMap<(Table, String), ColumnKind> = BTreeMap::new();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        if (&rec[exp] != "1" && &rec[oas] != "1") || rec[field].contains('.') {
            continue;
        }
        for t in Table::ALL {
            if sources(t).contains(&&rec[rt]) {
                let kind = overridden(&rec[field]).unwrap_or_else(|| suggested(&rec[sug]));
                want.entry((t, rec[field].to_string())).or_insert(kind);
            }
        }
    }
    assert_eq!(
        want.len(),
        942,
        "(table, field) pairs exported by the dictionary"
    );
    for ((t, f), kind) in &want {
        let c = columns(*t)
            .iter()
            .find(|c| c.name == f)
            .unwrap_or_else(|| panic!("{t} lacks {f}"));
        assert_eq!(c.kind, *kind, "{t}.{f}");
        assert!(
            c.origin.starts_with("dictionary:"),
            "{t}.{f} origin {}",
            c.origin
        );
    }
    // Every column not from the dictionary is accounted for.
    for t in Table::ALL {
        for c in columns(t) {
            if !want.contains_key(&(t, c.name.to_string())) {
                assert!(
                    ["v1-docs", "incident-docs", "seed", "routing"].contains(&c.origin)
                        || c.origin.starts_with("derived"),
                    "{t}.{} has origin {}",
                    c.name,
                    c.origin
                );
            }
        }
    }
}

#[test]
fn v1_only_fields_are_columns() {
    let Some(shared) = shared_dir() else { return };
    let mut rdr =
        csv::Reader::from_path(shared.join("data/netskope-fields/v1_events_alerts_fields.csv"))
            .unwrap();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        for (i, t) in [
            (3, Table::Application),
            (4, Table::Page),
            (5, Table::Alerts),
        ] {
            if &rec[i] == "Y" {
                assert!(
                    columns(t).iter().any(|c| c.name == &rec[1]),
                    "{t} lacks V1 field {}",
                    &rec[1]
                );
            }
        }
    }
}

#[test]
fn columns_csv_is_what_the_generator_writes() {
    let Some(shared) = shared_dir() else { return };
    let out = std::env::temp_dir().join(format!("netskope-columns-{}.csv", std::process::id()));
    let status = std::process::Command::new("python3")
        .arg(common::repo_path("tools/derive_schema.py"))
        .arg("--fields")
        .arg(shared.join("data/netskope-fields"))
        .arg("--out")
        .arg(&out)
        .status();
    let Ok(status) = status else {
        eprintln!("SKIPPED: python3 not available");
        return;
    };
    assert!(status.success());
    let regenerated = std::fs::read_to_string(&out).unwrap();
    std::fs::remove_file(&out).ok();
    assert_eq!(
        regenerated,
        netskope_arrow::COLUMNS_CSV,
        "rerun tools/derive_schema.py and commit schema/columns.csv"
    );
}

#[test]
fn schemas_are_fixed_and_well_formed() {
    let mut names = BTreeSet::new();
    for t in Table::ALL {
        let s = t.schema();
        assert_eq!(s.fields().len(), columns(t).len());
        assert_eq!(s.fields().last().unwrap().name(), "_extra");
        let unique: BTreeSet<_> = s.fields().iter().map(|f| f.name().clone()).collect();
        assert_eq!(
            unique.len(),
            s.fields().len(),
            "{t}: duplicate column names"
        );
        assert!(s.fields().iter().all(|f| f.is_nullable()));
        assert_eq!(s.metadata()["netskope_arrow.table"], t.name());
        names.insert(t.name());
    }
    assert_eq!(names.len(), 9);
    let counts: Vec<usize> = Table::ALL.iter().map(|t| columns(*t).len()).collect();
    assert_eq!(counts, vec![17, 270, 471, 139, 81, 58, 13, 64, 7]);
    for (t, name) in [
        (Table::Alerts, "orignal_file_path"),
        (Table::Page, "CononicalName"),
    ] {
        assert!(
            columns(t).iter().any(|c| c.name == name),
            "{t} keeps Netskope's spelling {name}"
        );
    }
}
