"""The same tables read identically through pyarrow, polars, DuckDB and pandas, with exact 63-bit
IDs and timezone-aware UTC timestamps; optional packages are imported only when asked for."""
from __future__ import annotations

import datetime as dt
import sys

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import netskope_arrow as na
from conftest import BIG_ID, BIG_ID_LINE, SAMPLES

UTC = dt.timezone.utc
WHEN = dt.datetime(2025, 3, 5, 9, 31, 2, tzinfo=UTC)  # 1741167062 s


@pytest.fixture(scope="module")
def tables():
    data = BIG_ID_LINE + (SAMPLES / "tenant-export-v2.ndjson").read_bytes()
    return na.read_ndjson(data)


def test_pyarrow(tables):
    a = pa.table(tables["alerts"])
    assert a.num_rows == 13
    assert a.column("transaction_id")[0].as_py() == BIG_ID
    assert a.schema.field("timestamp").type == pa.timestamp("ms", tz="UTC")
    assert a.column("timestamp")[0].as_py() == WHEN
    assert tables["alerts"].to_pyarrow().equals(a)


def test_polars(tables):
    df = pl.DataFrame(tables["alerts"])
    assert df.height == 13
    assert df.schema["transaction_id"] == pl.Int64
    assert df.schema["timestamp"] == pl.Datetime("ms", "UTC")
    assert df["transaction_id"][0] == BIG_ID
    assert df["timestamp"][0] == WHEN
    assert tables["alerts"].to_polars().equals(df)


def test_duckdb(tables):
    alerts = tables["alerts"]  # DuckDB scans any __arrow_c_stream__ object by variable name
    rel = duckdb.sql("SELECT transaction_id, timestamp FROM alerts LIMIT 1")
    assert rel.types == ["BIGINT", "TIMESTAMP WITH TIME ZONE"]
    rows = duckdb.sql("SELECT transaction_id, epoch_ms(timestamp) FROM alerts LIMIT 1").fetchall()
    assert rows == [(BIG_ID, 1_741_167_062_000)]
    assert duckdb.sql("SELECT count(*) FROM alerts").fetchall() == [(13,)]
    del alerts


def test_pandas_keeps_ids_exact_and_timestamps_utc(tables):
    df = tables["alerts"].to_pandas()
    assert len(df) == 13
    assert str(df["transaction_id"].dtype) == "int64[pyarrow]"
    assert df["transaction_id"].iloc[0] == BIG_ID
    assert str(df["timestamp"].dtype) == "timestamp[ms, tz=UTC][pyarrow]"
    assert df["timestamp"].iloc[0] == pd.Timestamp(WHEN)


def test_all_four_readers_agree_on_every_table(tables):
    for name in na.TABLES:
        t = tables[name]
        via_pa = pa.table(t)
        via_pl = pl.DataFrame(t).to_arrow()
        via_pd = pa.Table.from_pandas(t.to_pandas(), preserve_index=False)
        via_duck = duckdb.sql("SELECT * FROM t").to_arrow_table()
        assert via_pa.num_rows == via_pl.num_rows == via_pd.num_rows == via_duck.num_rows, name
        for col in ("transaction_id", "timestamp", "_extra", "type"):
            if col not in via_pa.column_names:
                continue
            want = via_pa.column(col).to_pylist()
            assert via_pd.column(col).to_pylist() == want, (name, col)
            assert via_duck.column(col).to_pylist() == want, (name, col)
            assert via_pl.column(col).cast(via_pa.schema.field(col).type).to_pylist() == want, (name, col)


def test_record_batches_export_through_the_array_interface(tables):
    name, batch = next(iter(na.iter_batches(BIG_ID_LINE)))
    assert name == batch.table == "netskope_alerts"
    rb = pa.record_batch(batch)
    assert rb.column("transaction_id")[0].as_py() == BIG_ID
    assert batch.to_pyarrow().equals(rb)
    assert batch.to_polars()["transaction_id"][0] == BIG_ID
    assert batch.to_pandas()["transaction_id"].iloc[0] == BIG_ID
    assert len(batch) == batch.num_rows == 1 and batch.num_columns == 471
    assert pa.schema(batch.schema) == rb.schema == pa.schema(batch)


def test_schema_objects():
    s = na.schema("alerts")
    assert s.table == "netskope_alerts"
    assert len(s) == len(s.names) == len(s.types) == 471
    assert s.names[-2:] == ["_src_time_local", "_extra"]
    t = dict(zip(s.names, s.types))
    assert t["transaction_id"] == "Int64" and t["timestamp"] == 'Timestamp(ms, "UTC")'
    assert pa.schema(s) == s.to_pyarrow()
    assert repr(s).startswith("netskope_arrow.Schema netskope_alerts (471 columns)\n  ")
    assert na.rejects_schema().names == ["source", "line", "offset", "error", "raw", "raw_truncated"]
    assert [len(na.schema(n)) for n in na.TABLES] == [17, 270, 471, 139, 81, 58, 13, 64, 7]


@pytest.mark.parametrize(
    "method, module", [("to_pyarrow", "pyarrow"), ("to_polars", "polars"), ("to_pandas", "pandas")]
)
def test_missing_optional_package_names_it(monkeypatch, tables, method, module):
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` raise ImportError
    with pytest.raises(ImportError, match=f"needs the `{module}` package.*pip install {module}"):
        getattr(tables["alerts"], method)()
