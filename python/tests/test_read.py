"""read_ndjson: every source kind, exact values, rejects, and the Tables mapping."""
from __future__ import annotations

import gzip
import io
import os
import pathlib

import pyarrow as pa
import pytest

import netskope_arrow as na
from conftest import BIG_ID, BIG_ID_LINE, EXPECTED_ROWS, SAMPLES, V1_REJECT_LINES


def test_all_samples_route_to_the_manifest_totals(sample_paths):
    t = na.read_ndjson(sample_paths)
    assert t.counts == EXPECTED_ROWS
    assert t.stats == {
        "rows": EXPECTED_ROWS,
        "rejects": 3,
        "blank_lines": 2,
        "lines": 30 + 17 + 1 + 1 + 193,
        "bytes_in": sum(p.stat().st_size for p in sample_paths),
        "unwrapped": 8,
    }
    assert list(t) == na.TABLES == list(EXPECTED_ROWS)
    assert len(t) == 9


def test_tables_is_a_mapping_with_short_names(sample_paths):
    t = na.read_ndjson(sample_paths[0])
    assert t["alerts"].name == t["netskope_alerts"].name == "netskope_alerts"
    assert "alerts" in t and "nope" not in t and 3 not in t
    with pytest.raises(KeyError):
        t["nope"]
    assert t.get("nope") is None and t.get("nope", 1) == 1
    assert [name for name, _ in t.items()] == t.keys() == na.TABLES
    assert [v.num_rows for v in t.values()] == [3, 6, 12, 2, 2, 2, 1, 1, 1]
    assert repr(t).startswith("netskope_arrow.Tables(netskope_audit_events=3, ")


def test_empty_tables_keep_their_schema():
    t = na.read_ndjson(b"")
    for name in na.TABLES:
        assert t[name].num_rows == 0
        assert pa.table(t[name]).schema == na.schema(name).to_pyarrow()
    assert t.rejects.num_rows == 0


def test_big_ids_are_exact_and_timestamps_utc():
    a = na.read_ndjson(BIG_ID_LINE)["alerts"].to_pyarrow()
    assert a.column("transaction_id").to_pylist() == [BIG_ID]
    assert a.schema.field("transaction_id").type == pa.int64()
    assert a.schema.field("timestamp").type == pa.timestamp("ms", tz="UTC")
    assert a.column("timestamp")[0].value == 1_741_167_062_000
    assert a.column("count").to_pylist() == [3]


def test_rejects_carry_source_line_offset_and_raw(v1_bytes):
    t = na.read_ndjson(SAMPLES / "tenant-export-v1.ndjson")
    r = t.rejects.to_pyarrow()
    assert r.column_names == ["source", "line", "offset", "error", "raw", "raw_truncated"]
    assert r.column("line").to_pylist() == V1_REJECT_LINES
    lines = v1_bytes.split(b"\n")
    for row in r.to_pylist():
        assert row["source"].endswith("tenant-export-v1.ndjson")
        assert row["raw"] == lines[row["line"] - 1]
        assert v1_bytes[row["offset"] : row["offset"] + len(row["raw"])] == row["raw"]
        assert row["error"]
    assert r.column("error").to_pylist()[1] == (
        "not a JSON object: the line is a JSON array (at byte 0 of the line)"
    )


def _chunks(data: bytes, size: int):
    for i in range(0, len(data), size):
        yield data[i : i + size]


def _source_kinds(tmp_path: pathlib.Path, data: bytes):
    path = tmp_path / "x.ndjson"
    path.write_bytes(data)
    gz = tmp_path / "x.ndjson.gz"
    gz.write_bytes(gzip.compress(data))
    zst = tmp_path / "x.ndjson.zst"
    zst.write_bytes(pa.compress(data, codec="zstd", asbytes=True))
    return {
        "str path": str(path),
        "PathLike": path,
        "list of paths": [path],
        "bytes": data,
        "bytearray": bytearray(data),
        "memoryview": memoryview(data),
        "file object": open(path, "rb"),
        "BytesIO": io.BytesIO(data),
        "iterator": _chunks(data, 7),
        "list of chunks": list(_chunks(data, 1000)) + [b""],
        "gzip path": gz,
        "gzip bytes": gzip.compress(data),
        "gzip file object": open(gz, "rb"),
        "zstd path": zst,
        "zstd iterator": _chunks(zst.read_bytes(), 5),
    }


def test_every_source_kind_gives_the_same_tables(tmp_path, v1_bytes):
    want = na.read_ndjson(SAMPLES / "tenant-export-v1.ndjson")
    kinds = _source_kinds(tmp_path, v1_bytes)
    for kind, source in kinds.items():
        got = na.read_ndjson(source)
        assert got.counts == want.counts, kind
        assert got.stats["rejects"] == 3, kind
        assert got.rejects.to_pyarrow().column("line").to_pylist() == V1_REJECT_LINES, kind
        for name in na.TABLES:
            assert got[name].to_pyarrow().equals(want[name].to_pyarrow()), (kind, name)
        if hasattr(source, "close"):
            source.close()


def test_source_names_in_rejects(tmp_path):
    path = tmp_path / "named.ndjson"
    path.write_bytes(b"{}\n[1]\n")
    assert na.read_ndjson(path).rejects.to_pyarrow().column("source").to_pylist() == [str(path)]
    assert na.read_ndjson(b"[1]\n").rejects.to_pyarrow().column("source").to_pylist() == ["<bytes>"]
    with open(path, "rb") as f:
        assert na.read_ndjson(f).rejects.to_pyarrow().column("source").to_pylist() == [str(path)]
    assert na.read_ndjson(iter([b"[1]\n"])).rejects.to_pyarrow().column("source").to_pylist() == [
        "<iterator>"
    ]


def test_several_files_count_lines_per_file(tmp_path):
    a, b = tmp_path / "a.ndjson", tmp_path / "b.ndjson"
    a.write_bytes(b'{"type":"nspolicy"}\n[]\n')
    b.write_bytes(b"x\n")
    r = na.read_ndjson([a, str(b)]).rejects.to_pyarrow().to_pylist()
    assert [(row["source"], row["line"]) for row in r] == [(str(a), 2), (str(b), 1)]


def test_forced_table_and_batch_size():
    data = b'{"type":"admin_audit_logs"}\n' * 10
    t = na.read_ndjson(data, table="application", batch_size=3)
    assert t.counts["netskope_application_events"] == 10
    assert [b.num_rows for b in t["application"].to_batches()] == [3, 3, 3, 1]


def test_batch_bytes_closes_batches_by_input_size():
    line = b'{"type":"admin_audit_logs","user":"x"}'
    data = (line + b"\n") * 7
    def rows(**kwargs):
        t = na.read_ndjson(data, **kwargs)["audit"].to_pyarrow()
        return [b.num_rows for b in t.to_batches()]
    assert rows(batch_bytes=3 * len(line)) == [3, 3, 1]
    assert rows(batch_bytes=3 * len(line) - 1) == [2, 2, 2, 1]
    assert rows(batch_bytes=3 * len(line), batch_size=2) == [2, 2, 2, 1]
    assert rows() == [7]
    # The same in the streaming and the batch-of-lines functions.
    it = na.iter_batches(data, batch_bytes=3 * len(line))
    assert [b.num_rows for _, b in it] == [3, 3, 1]
    t = na.normalize(data, batch_bytes=3 * len(line))
    assert [b.num_rows for b in t["audit"].to_pyarrow().to_batches()] == [3, 3, 1]


def test_progress_callback_sees_every_byte(tmp_path, v1_bytes):
    path = tmp_path / "p.ndjson"
    path.write_bytes(v1_bytes * 3000)  # ~4.5 MB: several 256 KiB chunks
    seen: list[int] = []
    na.read_ndjson(path, progress=seen.append)
    assert len(seen) >= 5
    assert seen == sorted(seen)
    assert seen[-1] == os.path.getsize(path)


def test_progress_true_draws_a_tqdm_bar(capsys, v1_bytes):
    na.read_ndjson(v1_bytes, progress=True)
    assert "read_ndjson" in capsys.readouterr().err


def test_arrow_export_is_zero_copy_and_repeatable():
    t = na.read_ndjson(BIG_ID_LINE)["alerts"]
    first = pa.table(t)
    again = pa.RecordBatchReader.from_stream(t).read_all()
    assert first.equals(again)
    assert t.num_rows == len(t) == 1 and t.num_columns == len(t.column_names) == 471
    assert repr(t) == "netskope_arrow.Table netskope_alerts (1 rows x 471 columns)"


def test_threads_give_the_same_tables(tmp_path, v1_bytes):
    v2 = (SAMPLES / "tenant-export-v2.ndjson").read_bytes()
    path = tmp_path / "big.ndjson"
    path.write_bytes((v2 + v1_bytes) * 700)  # ~26 MB: four blocks of 8 MiB
    runs = {n: na.read_ndjson(path, threads=n) for n in (1, 2, 3)}
    one = runs[1]
    assert one.stats["rejects"] == 3 * 700
    lines = one.rejects.to_pyarrow().column("line").to_pylist()
    per_copy = v2.count(b"\n") + v1_bytes.count(b"\n")
    first = v2.count(b"\n")
    assert lines[:3] == [first + n for n in V1_REJECT_LINES]
    assert lines[-3:] == [699 * per_copy + first + n for n in V1_REJECT_LINES]
    for n in (2, 3):
        t = runs[n]
        assert t.stats == one.stats and t.counts == one.counts
        assert t.rejects.to_pyarrow().equals(one.rejects.to_pyarrow())
        for name in na.TABLES:
            assert t[name].to_pyarrow().equals(one[name].to_pyarrow()), (n, name)
    # Batches end with the 8 MiB blocks: more than one per table, none over batch_size.
    batches = one["application"].to_pyarrow().to_batches()
    assert len(batches) >= 4 and max(b.num_rows for b in batches) <= 8192


def test_strict_stops_at_the_first_reject_in_any_block(tmp_path):
    good = b'{"type":"nspolicy","app":"Box","note":"' + b"x" * 200 + b'"}\n'
    path = tmp_path / "late-reject.ndjson"
    path.write_bytes(good * 100_000 + b"{oops\n" + good * 10 + b"[]\n")  # the bad line is in block 3
    for threads in (1, 2):
        with pytest.raises(na.ParseError) as e:
            na.read_ndjson(path, strict=True, threads=threads)
        assert (e.value.line, e.value.offset) == (100_001, 100_000 * len(good)), threads
        assert e.value.reason == "expected a quoted object key, found 'o' (at byte 1 of the line)"
