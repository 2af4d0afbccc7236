#!/usr/bin/env python3
"""Derive netskope-arrow's table schemas from Netskope's official field dictionary.

Reads ../shared/data/netskope-fields/ (or the folder given with --fields) and writes
schema/columns.csv: one row per (table, column) with the column kind and where it came from.
The Rust core embeds that file; `cargo test --test schema_dictionary` checks it against the
dictionary again. Rerun after the dictionary changes:

    python3 tools/derive_schema.py [--fields ../shared/data/netskope-fields]
"""
import argparse
import csv
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# table -> record types of fields_by_record_type.csv whose data-export fields it takes.
TABLE_SOURCES = {
    "netskope_audit_events": ["events/audit"],
    "netskope_application_events": ["events/application"],
    "netskope_alerts": ["events/alert", "alerts/policy", "alerts/dlp", "alerts/malware",
                        "alerts/malsite", "alerts/compromisedcredential", "alerts/uba",
                        "alerts/securityassessment", "alerts/watchlist", "alerts/quarantine",
                        "alerts/remediation", "alerts/ctep", "alerts/device", "alerts/content"],
    "netskope_page_events": ["events/page", "events/connection"],
    "netskope_network_events": ["events/network"],
    "netskope_incident_events": ["events/incident"],
    "netskope_infrastructure_events": ["events/infrastructure"],
    "netskope_endpoint_events": ["events/endpoint"],
}
# v1_events_alerts_fields.csv applicability column -> table (REST API v1 only fields).
V1_SOURCES = {"app_events": "netskope_application_events", "page_events": "netskope_page_events",
              "alerts": "netskope_alerts"}

SUGGESTED = {
    "utf8": "string",
    "int64": "int64",
    "float64": "float64",
    "bool": "bool",
    "timestamp[s] (source: int epoch seconds)": "timestamp",
    "list<utf8> or JSON utf8 (element type varies)": "string_list",
    "JSON utf8 (or struct)": "json",
    "JSON utf8": "json",
}
V1_TYPES = {"String": "string", "Integer": "int64", "LongInt": "int64", "Float": "float64",
            "Boolean": "bool", "DateTime": "timestamp",
            "Array of dictionary objects (name/value pairs)": "json"}
INCIDENT_DOC_TYPES = {"str": "string", "src": "string", "int": "int64", "list": "json"}

# Documented overrides of the dictionary's suggestion (docs/schema.md explains each).
OVERRIDES = {
    # arrays of objects, not of strings
    "dlp_match_info": "json", "inline_dlp_match_info": "json", "details": "json",
    "iaas_asset_tags": "json", "all_policy_matches": "json", "profile_hits": "json",
    # fixed shape {data_type, data_values[]}
    "supporting_data": "supporting_data",
    # epoch seconds that the dictionary's example heuristic missed
    "suppression_start_time": "timestamp", "suppression_end_time": "timestamp",
    "_insertion_epoch_timestamp": "timestamp", "threshold_time": "timestamp",
}
# Fields seen in the seed samples of a table but missing from the dictionary for it.
SEED_FIELDS = {
    "netskope_audit_events": [("_insertion_epoch_timestamp", "timestamp")],
}
# The columns the library adds, and the columns of netskope_unknown (the routing keys).
DERIVED = [("_src_time_local", "local_timestamp", "derived: src_time parsed as local wall clock")]
EXTRA = ("_extra", "json", "derived: unknown keys and values that could not be coerced")
UNKNOWN_COLUMNS = [("_id", "string"), ("timestamp", "timestamp"), ("type", "string"),
                   ("record_type", "string"), ("alert", "string"), ("alert_type", "string")]


def kind_for(field, suggested):
    if field in OVERRIDES:
        return OVERRIDES[field]
    return SUGGESTED[suggested]


def derive(fields_dir):
    rows = list(csv.DictReader(open(os.path.join(fields_dir, "fields_by_record_type.csv"))))
    v1 = list(csv.DictReader(open(os.path.join(fields_dir, "v1_events_alerts_fields.csv"))))
    incident_doc = list(csv.DictReader(open(os.path.join(fields_dir, "incident_endpoint_fields_doc.csv"))))
    out = []
    # One kind per field name across tables: where the V1 docs, the incident docs or the seed
    # give a field the dictionary also types (for another table), the dictionary's kind wins.
    dictionary_kind = {}
    for table, sources in TABLE_SOURCES.items():
        for r in rows:
            if r["record_type"] in sources and (r["ds_data_export"] == "1" or r["in_oas"] == "1"):
                dictionary_kind.setdefault(r["field"], kind_for(r["field"], r["suggested_arrow_type"]))
    for table, sources in TABLE_SOURCES.items():
        cols = {}
        for src in sources:
            for r in rows:
                if r["record_type"] != src or "." in r["field"]:
                    continue
                if r["ds_data_export"] != "1" and r["in_oas"] != "1":
                    continue
                if r["field"] not in cols:
                    cols[r["field"]] = (kind_for(r["field"], r["suggested_arrow_type"]), "dictionary:" + src)
        for flag, t in V1_SOURCES.items():
            if t != table:
                continue
            for r in v1:
                if r[flag] == "Y" and r["field"] not in cols:
                    cols[r["field"]] = (OVERRIDES.get(r["field"], V1_TYPES[r["doc_type"]]), "v1-docs")
        if table == "netskope_incident_events":
            for r in incident_doc:
                if r["field"] not in cols:
                    cols[r["field"]] = (OVERRIDES.get(r["field"], INCIDENT_DOC_TYPES[r["doc_type"]]), "incident-docs")
        for f, k in SEED_FIELDS.get(table, []):
            cols.setdefault(f, (k, "seed"))
        for f, (k, origin) in list(cols.items()):
            if not origin.startswith("dictionary:") and f in dictionary_kind:
                cols[f] = (dictionary_kind[f], origin)
        names = sorted(cols, key=lambda s: (s.lower(), s))
        for n in names:
            out.append((table, n, cols[n][0], cols[n][1]))
        if "src_time" in cols:
            for n, k, o in DERIVED:
                out.append((table, n, k, o))
        out.append((table,) + EXTRA)
    for n, k in UNKNOWN_COLUMNS:
        out.append(("netskope_unknown", n, k, "routing"))
    out.append(("netskope_unknown",) + EXTRA)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fields", default=os.path.join(ROOT, "..", "shared", "data", "netskope-fields"))
    ap.add_argument("--out", default=os.path.join(ROOT, "schema", "columns.csv"))
    a = ap.parse_args()
    if not os.path.isdir(a.fields):
        sys.exit(f"dictionary folder not found: {a.fields}")
    rows = derive(a.fields)
    with open(a.out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["table", "column", "kind", "origin"])
        w.writerows(rows)
    print(f"wrote {len(rows)} columns to {a.out}")


if __name__ == "__main__":
    main()
