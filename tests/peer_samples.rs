//! Every peer sample record (../shared/data/peer-samples, not redistributed) converts with no
//! reject, lands in the expected table, and keeps every value (typed column or `_extra`).

mod common;

use common::{assert_lossless, decode_one, shared_dir};
use netskope_arrow::{read_all, Table};

use Table::{
    Alerts as AL, Application as AP, Audit as AU, Endpoint as EP, Incident as IN, Network as NW,
    Page as PG,
};

/// Expected table of every record, file by file, line by line.
const EXPECTED: &[(&str, &[Table])] = &[
    ("elastic-alerts-events-v2-sample-logs.ndjson", &[AL, AP]),
    (
        "elastic-alerts-events-v2-test-combined.ndjson",
        &[AL, AL, NW, PG],
    ),
    ("elastic-alerts-v2-test.ndjson", &[AL, AL, AL]),
    ("elastic-events-v2-test-event-v2.ndjson", &[AP, AL, AP]),
    (
        "elastic-events-v2-test-events.ndjson",
        &[AP, EP, IN, NW, PG],
    ),
    ("panther-audit-rule-tests.ndjson", &[AU, AU, AU, AU, AU, AU]),
    (
        "sekoia-alerts-tests.ndjson",
        &[AL, AL, AL, AL, AP, AP, AL, AL],
    ),
    (
        "sekoia-audit-tests.ndjson",
        &[AU, AU, AU, AU, AU, AU, AU, AU],
    ),
    ("sekoia-automation-audit-test.ndjson", &[AU]),
    (
        "sekoia-events-tests.ndjson",
        &[PG, IN, IN, AP, NW, NW, AP, AP],
    ),
    ("syslog-ng-audit-sample.ndjson", &[AU]),
    (
        "xsoar-eventcollector-mock-events.ndjson",
        &[AL, AL, AP, AP, AU, AU, NW, NW],
    ),
    ("xsoar-v1-connection-event.ndjson", &[PG]),
    ("xsoar-v1-dlp-alert.ndjson", &[AL]),
    ("xsoar-v1-page-events.ndjson", &[PG, PG, PG, PG, PG]),
    ("xsoar-v2-application-event.ndjson", &[AP]),
    ("xsoar-v2-dlp-incident.ndjson", &[IN]),
    ("xsoar-v2-policy-alert.ndjson", &[AL]),
];

#[test]
fn every_peer_record_routes_and_keeps_every_value() {
    let Some(shared) = shared_dir() else { return };
    let dir = shared.join("data/peer-samples");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".ndjson"))
        .collect();
    files.sort();
    let listed: Vec<&str> = EXPECTED.iter().map(|(f, _)| *f).collect();
    assert_eq!(files, listed, "the test must list every peer sample file");
    let mut records = 0;
    let mut extra_values = 0;
    for (file, tables) in EXPECTED {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), tables.len(), "{file}: record count");
        for (i, (line, want)) in lines.iter().zip(*tables).enumerate() {
            let ctx = format!("{file}:{}", i + 1);
            let (table, batch) = decode_one(line);
            assert_eq!(table, *want, "{ctx}: table");
            extra_values += assert_lossless(line, table, &batch, &ctx);
            records += 1;
        }
        // The whole file at once: no rejects, rows + rejects = non-blank lines.
        let all = read_all(text.as_bytes(), Default::default()).unwrap();
        assert_eq!(all.stats.rejects, 0, "{file}");
        assert_eq!(
            all.stats.total_rows() as usize + all.rejects.len(),
            lines.len(),
            "{file}"
        );
    }
    assert_eq!(records, 67);
    eprintln!("{records} peer records checked, {extra_values} values kept in _extra");
}
