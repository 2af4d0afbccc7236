"""Quick start: a Netskope export to pyarrow, polars, DuckDB and pandas in a few lines.

Run from the repository root after `pip install .` (or `maturin develop`):

    python examples/python_quickstart.py [EXPORT.ndjson[.gz|.zst] ...]

Without arguments it reads the bundled samples/. The tests run this script and check its output.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import netskope_arrow as na

ROOT = Path(__file__).resolve().parents[1]
sources = sys.argv[1:] or sorted(str(p) for p in (ROOT / "samples").glob("*.*json"))

# 1. Everything in memory: one Tables mapping, all nine tables with their fixed schemas.
tables = na.read_ndjson(sources, progress=True)
print("rows:", {name: n for name, n in tables.counts.items() if n})
print("rejects:", [(r["line"], r["error"][:40]) for r in tables.rejects.to_pyarrow().to_pylist()])

# 2. Any Arrow consumer takes a table without a copy (Arrow PyCapsule interface).
alerts = tables["alerts"]
try:
    import polars as pl

    top = (
        pl.DataFrame(alerts)
        .group_by("alert_type")
        .agg(pl.len().alias("alerts"), pl.col("timestamp").max().alias("latest"))
        .sort("alerts", descending=True)
    )
    print(top)
except ImportError:
    print("(install polars for the group-by example)")

try:
    import duckdb

    print(duckdb.sql("SELECT app, count(*) AS n FROM alerts GROUP BY app ORDER BY n DESC LIMIT 3").fetchall())
except ImportError:
    print("(install duckdb for the SQL example)")

# 3. Exports larger than memory: stream record batches, then write Parquet like the CLI does.
rows = sum(batch.num_rows for _, batch in na.iter_batches(sources, batch_size=16))
out = Path(tempfile.mkdtemp()) / "parquet"
summary = na.convert(sources, out)
print(f"streamed {rows} rows; wrote {[p.name for p in summary.outputs]}")
