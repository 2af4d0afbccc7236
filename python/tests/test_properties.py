"""Hypothesis: any bytes give tables plus rejects (or our error), never a panic; records generated
from the schema round-trip (the value comes back from its typed column, or verbatim in _extra)."""
from __future__ import annotations

import gzip
import json

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import netskope_arrow as na

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
OUR_ERRORS = (na.NetskopeArrowError, OSError)


def _accounting_holds(t: na.Tables) -> None:
    s = t.stats
    assert s["lines"] - s["blank_lines"] >= sum(s["rows"].values()) + s["rejects"] - s["unwrapped"]
    assert t.rejects.num_rows == s["rejects"]
    assert sum(t.counts.values()) == sum(v.num_rows for v in t.values())


json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)
KEYS = ["type", "alert", "alert_type", "record_type", "timestamp", "transaction_id", "user", "app",
        "count", "supporting_data", "src_time", "_id", "dlp_incident_id", "x-unknown"]
records = st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=10), json_values, max_size=10)
lines = st.one_of(
    records.map(lambda r: json.dumps(r).encode()),
    st.binary(max_size=60),
    st.sampled_from([b"", b"{", b"[]", b"\xff\xfe", b'{"a":1}x', b'{"a":"\\ud800"}', b"\r"]),
)


@SETTINGS
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_panic(data):
    for source in (data, gzip.compress(data)[: max(1, len(data) // 2)]):
        try:
            t = na.read_ndjson(source)
        except OUR_ERRORS:
            continue
        _accounting_holds(t)


@SETTINGS
@given(st.lists(lines, max_size=30), st.integers(min_value=1, max_value=64))
def test_ndjson_lines_account_for_every_line(items, chunk):
    data = b"\n".join(items) + b"\n"
    whole = na.read_ndjson(data)
    _accounting_holds(whole)
    chunks = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    again = na.read_ndjson(iter(chunks))
    assert again.stats == whole.stats
    for name in na.TABLES:
        assert again[name].to_pyarrow().equals(whole[name].to_pyarrow())
    # Same rejects; only the source name differs ("<iterator>" vs "<bytes>").
    assert again.rejects.to_pyarrow().drop_columns("source").equals(
        whole.rejects.to_pyarrow().drop_columns("source")
    )
    try:
        na.normalize(items)
    except OUR_ERRORS:
        pass


# Values of each declared column kind, as Netskope sends them (numbers also as strings), and the
# value that must come back. The json / string_list / supporting_data kinds are covered by the
# Rust serde_json oracle (tests/common/mod.rs).
GENERATED_KINDS = ("string", "int64", "float64", "bool", "timestamp")


def _schema_columns(table: str) -> dict[str, str]:
    s = na.schema(table)
    return {n: k for n, k in zip(s.names, s.kinds) if k in GENERATED_KINDS and n != "type"}


AUDIT = _schema_columns("audit")
ALERTS = _schema_columns("alerts")


def _value_for(kind: str):
    if kind == "int64":
        return st.integers(min_value=-(2**63), max_value=2**63 - 1).flatmap(
            lambda i: st.sampled_from([i, str(i)])
        )
    if kind == "float64":
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "bool":
        return st.sampled_from([True, False, "yes", "no", "TRUE", "false", 1, 0])
    if kind == "timestamp":
        return st.integers(min_value=1, max_value=4_102_444_800)  # epoch seconds up to 2100
    return st.text(max_size=30)  # string columns keep every value verbatim


BOOLS = {"yes": True, "no": False, "true": True, "false": False}


def _expected(kind: str, value):
    if kind == "int64":
        return int(value)
    if kind == "timestamp":
        return value * 1000
    if kind == "bool" and isinstance(value, str):
        return BOOLS[value.lower()]
    if kind == "bool":
        return bool(value)
    return value


@st.composite
def typed_record(draw, columns: dict[str, str]):
    names = draw(st.lists(st.sampled_from(sorted(columns)), min_size=1, max_size=12, unique=True))
    rec = {n: draw(_value_for(columns[n])) for n in names}
    if draw(st.booleans()):
        unknown = draw(st.text(min_size=1, max_size=8).filter(lambda k: k not in columns and k != "type"))
        rec[unknown] = draw(json_values)
    return rec


def _check_round_trip(rec: dict, table: str, columns: dict[str, str], forced: str):
    t = na.read_ndjson(json.dumps(rec).encode() + b"\n", table=forced)
    assert t.stats["rejects"] == 0
    out = t[table].to_pyarrow()
    assert out.num_rows == 1
    row = out.to_pylist()[0]
    extra = json.loads(row["_extra"]) if row["_extra"] is not None else {}
    for key, value in rec.items():
        if key in columns:
            col = out.column(key)
            if columns[key] == "timestamp":
                col = col.cast(pa.int64())
            assert col[0].as_py() == _expected(columns[key], value), (key, value)
            assert key not in extra
        else:
            assert extra[key] == value, (key, value, extra)
    assert set(extra) == {k for k in rec if k not in columns}


@SETTINGS
@given(typed_record(AUDIT))
def test_audit_records_round_trip(rec):
    _check_round_trip(rec, "netskope_audit_events", AUDIT, "audit")


@SETTINGS
@given(typed_record(ALERTS))
def test_alert_records_round_trip(rec):
    _check_round_trip(rec, "netskope_alerts", ALERTS, "alerts")


# Placeholders in typed columns become null (never _extra), in any case and with spaces; lines
# of NDJSON (no pretty-printed document, no API envelope) are each exactly a row or a reject.
PLACEHOLDER_TEXT = st.sampled_from(["", "-", "N/A", "n/a", "None", "null", "unknown", "NotAvailable", "NotChecked"])


@SETTINGS
@given(st.sampled_from(sorted(k for k, v in AUDIT.items() if v != "string")), PLACEHOLDER_TEXT, st.booleans())
def test_placeholders_in_typed_columns_become_null(column, text, pad):
    value = f"  {text} " if pad else text
    t = na.read_ndjson(json.dumps({"type": "admin_audit_logs", column: value}).encode(), table="audit")
    row = t["netskope_audit_events"].to_pyarrow().to_pylist()[0]
    assert row[column] is None and row["_extra"] is None, (column, value, row)


@SETTINGS
@given(st.lists(lines.filter(lambda b: b"\n" not in b), max_size=30), st.booleans())
def test_every_ndjson_line_is_exactly_a_row_or_a_reject(items, crlf):
    data = b'{"type":"admin_audit_logs"}\n' + (b"\r\n" if crlf else b"\n").join(items)
    t = na.read_ndjson(data)
    s = t.stats
    assert s["unwrapped"] == 0
    assert s["lines"] - s["blank_lines"] == sum(s["rows"].values()) + s["rejects"]
