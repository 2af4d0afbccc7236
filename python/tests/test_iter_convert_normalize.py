"""iter_batches, convert and normalize give the same rows as read_ndjson; convert writes what the
CLI writes; several threads at once give the same results as one."""
from __future__ import annotations

import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import netskope_arrow as na
from conftest import EXPECTED_ROWS, ROOT, SAMPLES, V1_REJECT_LINES


def _concat_by_table(pairs) -> dict[str, pa.Table]:
    out: dict[str, list[pa.RecordBatch]] = {}
    for name, batch in pairs:
        out.setdefault(name, []).append(pa.record_batch(batch))
    return {k: pa.Table.from_batches(v) for k, v in out.items()}


def test_iter_batches_yields_the_rows_of_read_ndjson(sample_paths):
    want = na.read_ndjson(sample_paths)
    it = na.iter_batches(sample_paths, batch_size=5)
    got = _concat_by_table(it)
    assert {k: v.num_rows for k, v in got.items()} == {k: v for k, v in EXPECTED_ROWS.items()}
    for name, table in got.items():
        assert table.equals(want[name].to_pyarrow()), name
    assert it.stats == want.stats
    assert it.rejects.to_pyarrow().equals(want.rejects.to_pyarrow())
    assert list(it) == []


def test_iter_batches_is_lazy(tmp_path):
    path = tmp_path / "lazy.ndjson"
    path.write_bytes((SAMPLES / "tenant-export-v2.ndjson").read_bytes() * 400)  # ~1 MB chunks
    seen: list[int] = []
    it = na.iter_batches(path, batch_size=100, progress=seen.append)
    next(it)
    assert it.stats["bytes_in"] < path.stat().st_size
    assert seen and seen[-1] < path.stat().st_size


def test_convert_writes_what_the_cli_writes(tmp_path, sample_paths):
    binary = os.environ.get("NETSKOPE_ARROW_BIN", str(ROOT / "target/release/netskope-arrow"))
    if not Path(binary).exists():
        pytest.skip(f"SKIPPED: CLI binary {binary} not built")
    cli_out, py_out = tmp_path / "cli", tmp_path / "py"
    p = subprocess.run(
        [binary, "convert", "--json", "--out", str(cli_out), *map(str, sample_paths)],
        capture_output=True, text=True, check=True,
    )
    cli = json.loads(p.stdout.strip().splitlines()[-1])
    summary = na.convert(sample_paths, py_out)
    mine = json.loads(summary.to_json())
    for volatile in ("seconds", "mb_per_s", "outputs"):
        cli.pop(volatile), mine.pop(volatile)
    assert mine == cli
    assert summary.rows == EXPECTED_ROWS and summary.total_rows == sum(EXPECTED_ROWS.values())
    assert (summary.rejects, summary.blank_lines, summary.unwrapped) == (3, 2, 8)
    assert summary.lines == 242 and summary.bytes_in == summary.bytes_read
    assert summary.seconds > 0 and summary.mb_per_s > 0
    names = sorted(Path(p).name for p in summary.outputs)
    assert names == sorted(f.name for f in cli_out.iterdir()) == sorted(f.name for f in py_out.iterdir())
    for name in names:
        if name.endswith(".parquet"):
            assert pq.read_table(py_out / name).equals(pq.read_table(cli_out / name)), name
        else:
            assert (py_out / name).read_bytes() == (cli_out / name).read_bytes()
    assert repr(summary).startswith("netskope_arrow.ConvertSummary(rows=50, rejects=3, outputs=10")


def test_convert_ipc_and_codecs(tmp_path, v1_bytes):
    s = na.convert(v1_bytes, tmp_path / "ipc", format="ipc")
    assert sorted(p.name for p in s.outputs)[0] == "netskope_alerts.arrow"
    with pa.memory_map(str(tmp_path / "ipc" / "netskope_alerts.arrow")) as f:
        assert pa.ipc.open_file(f).read_all().num_rows == 4
    for codec in ("snappy", "lz4_raw", "gzip:9", "none", "zstd:1"):
        out = tmp_path / codec.replace(":", "")
        na.convert(v1_bytes, out, compression=codec, row_group_rows=1)
        md = pq.ParquetFile(out / "netskope_application_events.parquet").metadata
        assert (md.num_rows, md.num_row_groups) == (4, 4), codec


def test_normalize_takes_arrow_lists_and_bytes():
    lines = (SAMPLES / "tenant-export-v1.ndjson").read_bytes().split(b"\n")[:-1]
    want = na.read_ndjson(b"\n".join(lines) + b"\n")
    text = [line.decode() for line in lines]
    inputs = {
        "pa.string": pa.array(text, pa.string()),
        "pa.large_string": pa.array(text, pa.large_string()),
        "pa.string_view": pa.array(text, pa.string_view()),
        "pa.binary": pa.array(lines, pa.binary()),
        "chunked": pa.chunked_array([text[:5], text[5:]]),
        "polars": pl.Series(text),
        "list of str": text,
        "tuple of bytes": tuple(lines),
        "bytes": b"\n".join(lines),
    }
    for kind, lines_in in inputs.items():
        got = na.normalize(lines_in, source_name="batch-7")
        assert got.counts == want.counts, kind
        for name in na.TABLES:
            assert got[name].to_pyarrow().equals(want[name].to_pyarrow()), (kind, name)
        r = got.rejects.to_pyarrow()
        assert r.column("line").to_pylist() == V1_REJECT_LINES, kind
        assert set(r.column("source").to_pylist()) == {"batch-7"}, kind


def test_normalize_nulls_are_blank_lines_and_table_is_forced():
    got = na.normalize(pa.array(['{"type":"admin_audit_logs"}', None, "[]"]), table="alerts")
    assert got.counts["netskope_alerts"] == 1
    assert got.stats["blank_lines"] == 1
    assert got.rejects.to_pyarrow().column("line").to_pylist() == [3]


def test_normalize_rejects_other_types():
    with pytest.raises(TypeError, match="Arrow string or binary array, not Int64"):
        na.normalize(pa.array([1, 2]))
    with pytest.raises(TypeError, match="lines must be str or bytes, not int"):
        na.normalize(["{}", 1])
    with pytest.raises(TypeError, match="not dict"):
        na.normalize({"a": 1})


def test_threads_give_the_same_results_as_one(tmp_path, sample_paths):
    big = tmp_path / "big.ndjson"
    big.write_bytes(b"".join(p.read_bytes() for p in sample_paths[:2]) * 300)

    def work(i: int):
        if i % 3 == 0:
            t = na.read_ndjson(big)
            return t.counts, t.stats["rejects"], t["alerts"].to_pyarrow().column("transaction_id").to_pylist()
        if i % 3 == 1:
            got = _concat_by_table(na.iter_batches(big, batch_size=1000))
            counts = {k: got[k].num_rows if k in got else 0 for k in na.TABLES}
            return counts, None, got["netskope_alerts"].column("transaction_id").to_pylist()
        s = na.convert(big, tmp_path / f"out{i}")
        alerts = pq.read_table(tmp_path / f"out{i}" / "netskope_alerts.parquet")
        return s.rows, s.rejects, alerts.column("transaction_id").to_pylist()

    serial = [work(i) for i in range(3)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        parallel = list(pool.map(work, range(3, 15)))
    for i, got in enumerate(parallel, start=3):
        want = serial[i % 3]
        assert got[0] == want[0] and got[2] == want[2], i
        if got[1] is not None:
            assert got[1] == want[1] == 900, i


def test_convert_with_one_or_two_threads_writes_the_same_files(tmp_path, v1_bytes):
    data = v1_bytes * 200
    one = na.convert(data, tmp_path / "one", threads=1, batch_size=50)
    two = na.convert(data, tmp_path / "two", threads=2, batch_size=50)
    assert one.rows == two.rows and one.rejects == two.rejects == 600
    for a, b in zip(one.outputs, two.outputs):
        assert a.name == b.name and a.read_bytes() == b.read_bytes(), a.name
