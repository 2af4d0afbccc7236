"""The adversarial corpus (tests/fixtures/adversarial/expected.json, shared with the Rust and JS
tests) through read_ndjson, iter_batches, normalize and convert: each input gives exactly its
expected rows, rejects and values, or our error (DecompressError), never a PanicException
(which derives from BaseException, so no `except Exception` could hide one)."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import netskope_arrow as na
from conftest import ROOT

CORPUS = ROOT / "tests" / "fixtures" / "adversarial"
CASES = json.loads((CORPUS / "expected.json").read_text())["cases"]
_BUILT: dict[str, bytes] = {}


def _input(case: dict) -> bytes:
    """The bytes of a case: its file, or its recipe (built once per session)."""
    name = case["name"]
    if name in _BUILT:
        return _BUILT[name]
    if "file" in case:
        data = (CORPUS / case["file"]).read_bytes()
    else:
        recipe = case["generate"]
        parts = []
        for part in recipe["parts"]:
            if "text" in part:
                parts.append(part["text"].encode())
            elif "repeat" in part:
                parts.append(part["repeat"].encode() * part["times"])
            else:
                parts.append(",".join(f'"k{i}":0' for i in range(part["keys"])).encode())
        data = b"".join(parts)
        if "gzip_members" in recipe:
            data = gzip.compress(data, compresslevel=6) * recipe["gzip_members"]
    _BUILT[name] = data
    return data


def _is_panic(e: BaseException) -> bool:
    return type(e).__name__ == "PanicException"


def _cell(table: pa.Table, column: str, row: int):
    col = table.column(column)
    if pa.types.is_timestamp(col.type):
        col = col.cast(pa.int64())
    return col[row].as_py()


def _check_tables(case: dict, t: na.Tables) -> None:
    name = case["name"]
    assert {k: v for k, v in t.counts.items() if v} == case["rows"], name
    assert t.stats["lines"] == case["lines"], name
    assert t.stats["blank_lines"] == case["blank_lines"], name
    r = t.rejects.to_pyarrow()
    got = [
        {"line": line, "offset": offset, "error": error}
        for line, offset, error in zip(
            r.column("line").to_pylist(), r.column("offset").to_pylist(), r.column("error").to_pylist()
        )
    ]
    assert got == case["rejects"], name
    for v in case.get("values", []):
        cell = _cell(t[v["table"]].to_pyarrow(), v["column"], v["row"])
        assert cell == v["value"], (name, v)


IDS = [c["name"] for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_read_ndjson_gives_the_expected_outcome(case):
    data = _input(case)
    if "error" in case:
        with pytest.raises(na.DecompressError, match="^cannot decompress <bytes>: ") as e:
            na.read_ndjson(data)
        assert case["error"]["contains"] in str(e.value)
        return
    _check_tables(case, na.read_ndjson(data))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_iter_batches_gives_the_same_rows(case):
    data = _input(case)
    rows: dict[str, int] = {}
    try:
        for table, batch in na.iter_batches(data, batch_size=1000):
            rows[table] = rows.get(table, 0) + pa.record_batch(batch).num_rows
    except na.DecompressError as e:
        assert "error" in case, (case["name"], e)
        assert case["error"]["contains"] in str(e)
        return
    assert "error" not in case
    assert rows == case["rows"]


# normalize takes lines: not compressed files, nor a pretty-printed document.
LINE_CASES = [c for c in CASES if "generate" in c or not c["file"].endswith(".gz")]
LINE_CASES = [c for c in LINE_CASES if "error" not in c and c["name"] != "deep-nesting-document"]


@pytest.mark.parametrize("case", LINE_CASES, ids=lambda c: c["name"])
def test_normalize_gives_the_same_rows_and_rejects(case):
    t = na.normalize(_input(case))
    assert {k: v for k, v in t.counts.items() if v} == case["rows"]
    r = t.rejects.to_pyarrow()
    assert r.column("line").to_pylist() == [x["line"] for x in case["rejects"]]
    assert r.column("error").to_pylist() == [x["error"] for x in case["rejects"]]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_convert_writes_complete_files_or_none(case, tmp_path: Path):
    data = _input(case)
    out = tmp_path / "out"
    if "error" in case:
        with pytest.raises(na.DecompressError):
            na.convert(data, out)
        assert sorted(p.name for p in out.iterdir()) == [], "no partial or final files are left"
        return
    s = na.convert(data, out)
    want = sorted(f"{t}.parquet" for t in case["rows"])
    if case["rejects"]:
        want.append("rejects.ndjson")
    assert sorted(p.name for p in out.iterdir()) == sorted(want)
    for table, n in case["rows"].items():
        assert pq.read_table(out / f"{table}.parquet").num_rows == n
    assert s.rejects == len(case["rejects"])


def test_no_input_of_the_corpus_raises_a_panic_exception():
    """Also cut short and given in odd chunk sizes: only tables or our errors."""
    for case in CASES:
        data = _input(case)
        if len(data) > 1 << 20:
            data = data[: 1 << 20]
        variants = [data, data[: len(data) // 2], data[1:]]
        for v in variants:
            for call in (
                lambda: na.read_ndjson(v),
                lambda: na.read_ndjson(iter([v[i : i + 3] for i in range(0, min(len(v), 3000), 3)])),
                lambda: list(na.iter_batches(v, batch_size=2)),
                lambda: na.normalize(v.split(b"\n")),
            ):
                try:
                    call()
                except BaseException as e:  # noqa: BLE001 - a PanicException must be seen
                    assert not _is_panic(e), (case["name"], e)
                    assert isinstance(e, (na.NetskopeArrowError, OSError, ValueError)), (case["name"], repr(e))


def test_the_gzip_bomb_stops_early_and_fast():
    import time

    bomb = _input(next(c for c in CASES if c["name"] == "gzip-bomb"))
    started = time.monotonic()
    with pytest.raises(na.DecompressError, match=r"\(Limits::max_decompression_ratio\): stopped after (\d+) bytes"):
        na.read_ndjson(bomb)
    assert time.monotonic() - started < 10
