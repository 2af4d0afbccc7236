"""Our Parquet files read back by independent readers: pyarrow and DuckDB.

The CLI converts the bundled samples (samples/, see samples/MANIFEST.md); these tests check
row counts, exact 63-bit IDs, UTC timestamps and the rejects file through both readers.
"""
import json
import os
import subprocess
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import EXPECTED_ROWS, ROOT, SAMPLE_FILES as SAMPLES


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    d = tmp_path_factory.mktemp("out")
    binary = os.environ.get("NETSKOPE_ARROW_BIN", str(ROOT / "target/release/netskope-arrow"))
    p = subprocess.run(
        [binary, "convert", "--json", "--out", str(d), *[str(ROOT / "samples" / s) for s in SAMPLES]],
        capture_output=True, text=True, check=True,
    )
    summary = json.loads(p.stdout.strip().splitlines()[-1])
    assert summary["tables"] == EXPECTED_ROWS
    assert summary["rejects"] == 3
    return d


def test_pyarrow_reads_every_table_with_the_declared_schema(out):
    for table, rows in EXPECTED_ROWS.items():
        t = pq.read_table(out / f"{table}.parquet")
        assert t.num_rows == rows, table
        assert t.schema.field("_extra").type == pa.string()
        assert t.schema.metadata[b"netskope_arrow.table"] == table.encode()
    alerts = pq.read_table(out / "netskope_alerts.parquet")
    assert alerts.schema.field("transaction_id").type == pa.int64()
    assert alerts.schema.field("timestamp").type == pa.timestamp("ms", tz="UTC")


def test_big_ids_are_exact_in_pyarrow_and_duckdb(out):
    app = pq.read_table(out / "netskope_application_events.parquet").to_pylist()
    assert 9012345678901234567 in [r["transaction_id"] for r in app]
    con = duckdb.connect()
    path = str(out / "netskope_application_events.parquet")
    got = con.execute(
        "SELECT transaction_id, typeof(transaction_id) FROM read_parquet(?) WHERE transaction_id = 9012345678901234567",
        [path],
    ).fetchall()
    assert got == [(9012345678901234567, "BIGINT")]
    alerts = str(out / "netskope_alerts.parquet")
    (n,) = con.execute(
        "SELECT count(*) FROM read_parquet(?) WHERE dlp_incident_id = 7566047373982433291 AND dlp_parent_id = 7566047373982433290",
        [alerts],
    ).fetchone()
    assert n == 1


def test_timestamps_are_utc_in_duckdb(out):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    path = str(out / "netskope_audit_events.parquet")
    rows = con.execute(
        "SELECT typeof(timestamp), min(timestamp) IS NOT NULL FROM read_parquet(?) GROUP BY 1", [path]
    ).fetchall()
    assert rows == [("TIMESTAMP WITH TIME ZONE", True)]


def test_rejects_file_lists_line_numbers(out):
    lines = [json.loads(l) for l in (out / "rejects.ndjson").read_text().splitlines()]
    assert [(r["source"].rsplit("/", 1)[-1], r["line"]) for r in lines] == [
        ("tenant-export-v1.ndjson", 8), ("tenant-export-v1.ndjson", 11), ("tenant-export-v1.ndjson", 14)
    ]
    assert all(set(r) >= {"source", "line", "offset", "error", "raw"} for r in lines)
