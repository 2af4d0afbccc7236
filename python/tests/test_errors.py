"""Errors: OSError subclasses for files, TypeError / ValueError for arguments, our classes for the
rest; Python exceptions raised inside sources and callbacks come back unchanged."""
from __future__ import annotations

import gzip
import io

import pytest

import netskope_arrow as na
from conftest import SAMPLES


def test_hierarchy():
    for cls in (na.ParseError, na.DecompressError, na.UnsupportedError):
        assert issubclass(cls, na.NetskopeArrowError)
    assert issubclass(na.NetskopeArrowError, Exception)
    assert na.ParseError.__module__ == "netskope_arrow"


def test_missing_file_is_file_not_found_with_the_filename(tmp_path):
    missing = tmp_path / "nope.ndjson"
    for call in (na.read_ndjson, na.iter_batches):
        with pytest.raises(FileNotFoundError) as e:
            list(call(missing))
        assert e.value.filename == str(missing)
        assert e.value.errno == 2
    with pytest.raises(FileNotFoundError):
        na.convert(missing, tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_directory_is_a_directory_error(tmp_path):
    with pytest.raises(IsADirectoryError):
        na.read_ndjson(tmp_path)


@pytest.mark.parametrize(
    "source, message",
    [
        (42, "source must be a path"),
        (None, "source must be a path"),
        ('{"type":"nspolicy"}', "looks like JSON text"),
        ("a\nb", "looks like JSON text"),
        ([b"ok", 3], "chunks must be bytes"),
        (iter(["text"]), "chunks must be bytes"),
    ],
)
def test_wrong_source_types_are_type_errors(source, message):
    with pytest.raises(TypeError, match=message):
        na.read_ndjson(source)


def test_text_mode_file_is_a_type_error():
    with open(SAMPLES / "tenant-export-v1.ndjson") as f:
        with pytest.raises(TypeError, match="text mode"):
            na.read_ndjson(f)


@pytest.mark.parametrize(
    "kwargs, exc, message",
    [
        ({"table": "bogus"}, ValueError, "unknown table \"bogus\""),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"batch_size": -1}, OverflowError, "negative"),
        ({"batch_bytes": 0}, ValueError, "batch_bytes must be at least 1"),
        ({"max_line_bytes": 0}, ValueError, "max_line_bytes"),
        ({"table": 3}, TypeError, "table"),
        ({"progress": "yes"}, TypeError, "progress"),
    ],
)
def test_bad_options(kwargs, exc, message):
    with pytest.raises(exc, match=message):
        na.read_ndjson(b"{}\n", **kwargs)


def test_keyword_only_options():
    with pytest.raises(TypeError):
        na.read_ndjson(b"{}\n", "alerts")  # type: ignore[misc]


def test_bad_convert_options(tmp_path):
    with pytest.raises(ValueError, match="format"):
        na.convert(b"{}\n", tmp_path, format="csv")
    with pytest.raises(ValueError, match="compression"):
        na.convert(b"{}\n", tmp_path, compression="brotli")
    with pytest.raises(ValueError, match="row_group_rows"):
        na.convert(b"{}\n", tmp_path, row_group_rows=0)


def test_unknown_schema_table():
    with pytest.raises(ValueError, match="expected one of: netskope_audit_events"):
        na.schema("nope")


def test_corrupt_gzip_is_a_decompress_error():
    data = gzip.compress(b'{"type":"nspolicy"}\n' * 1000)
    with pytest.raises(na.DecompressError, match="<bytes>"):
        na.read_ndjson(data[: len(data) // 2])
    with pytest.raises(na.DecompressError):
        na.read_ndjson(data[:10] + b"\xff" * 50 + data[60:])


def test_strict_raises_parse_error_with_line_and_source():
    with pytest.raises(na.ParseError) as e:
        na.read_ndjson(SAMPLES / "tenant-export-v1.ndjson", strict=True)
    err = e.value
    assert (err.line, err.source.endswith("tenant-export-v1.ndjson")) == (8, True)
    assert err.offset == 8511
    assert err.reason == "truncated JSON: unterminated string (at byte 941 of the line)"
    assert str(err).endswith(f":8: {err.reason}")
    with pytest.raises(na.ParseError) as e:
        na.normalize(["{}", "{"], strict=True)
    assert e.value.line == 2
    it = na.iter_batches(b"{}\n{}\n[]\n", strict=True)
    with pytest.raises(na.ParseError):
        list(it)


def test_exceptions_in_file_objects_come_back_unchanged():
    class Broken(io.RawIOBase):
        def readable(self):
            return True

        def read(self, n=-1):
            raise ConnectionResetError("network went away")

    with pytest.raises(ConnectionResetError, match="network went away"):
        na.read_ndjson(Broken())

    def gen():
        yield b'{"type":"nspolicy"}\n'
        raise KeyError("from the generator")

    with pytest.raises(KeyError, match="from the generator"):
        na.read_ndjson(gen())


def test_exception_in_progress_callback_stops_the_work(tmp_path):
    path = tmp_path / "big.ndjson"
    path.write_bytes((SAMPLES / "tenant-export-v2.ndjson").read_bytes() * 200)

    def stop(n):
        raise InterruptedError(f"stop at {n}")

    with pytest.raises(InterruptedError, match="stop at"):
        na.read_ndjson(path, progress=stop)
    out = tmp_path / "out"
    with pytest.raises(InterruptedError):
        na.convert(path, out, progress=stop)
    assert sorted(p.name for p in out.iterdir()) == [], "no partial or final files are left"


def test_convert_refuses_to_clobber(tmp_path):
    na.convert(b'{"type":"nspolicy"}\n', tmp_path)
    with pytest.raises(FileExistsError, match="pass --overwrite"):
        na.convert(b'{"type":"nspolicy"}\n', tmp_path)
    s = na.convert(b'{"type":"nspolicy"}\n{"type":"nspolicy"}\n', tmp_path, overwrite=True)
    assert s.rows["netskope_application_events"] == 2


def test_iterator_after_an_error_is_finished(tmp_path):
    data = gzip.compress(b'{"type":"nspolicy"}\n' * 100000)
    it = na.iter_batches(data[: len(data) - 20], batch_size=1000)
    with pytest.raises(na.DecompressError):
        for _ in it:
            pass
    assert list(it) == []


def test_ctrl_c_interrupts_a_long_read(tmp_path):
    import _thread
    import signal

    path = tmp_path / "long.ndjson"
    path.write_bytes((SAMPLES / "tenant-export-v2.ndjson").read_bytes() * 400)  # several chunks
    # `interrupt_main` does nothing unless Python's own handler is installed (a library loaded
    # by another test could have replaced it): install it for this test.
    saved = signal.signal(signal.SIGINT, signal.default_int_handler)
    calls = []

    def press_ctrl_c(n):
        calls.append(n)
        _thread.interrupt_main()  # the same flag SIGINT sets; seen between the next chunks

    try:
        for name, run in (
            ("read_ndjson", na.read_ndjson),
            ("iter_batches", lambda p, progress: list(na.iter_batches(p, progress=progress))),
        ):
            calls.clear()
            try:
                run(path, progress=press_ctrl_c)
            except KeyboardInterrupt:
                pass
            else:
                pytest.fail(f"{name}: no KeyboardInterrupt after {len(calls)} progress calls "
                            f"(SIGINT handler: {signal.getsignal(signal.SIGINT)})")
            assert len(calls) == 1, name
    finally:
        signal.signal(signal.SIGINT, saved)


def test_max_decompression_ratio_stops_a_bomb_and_can_be_raised():
    data = gzip.compress(b'{"type":"nspolicy"}\n' * 1_000_000)  # 20 MB of lines, ~400x smaller
    assert na.read_ndjson(data).counts["netskope_application_events"] == 1_000_000
    for call in (na.read_ndjson, lambda d, **k: list(na.iter_batches(d, **k))):
        with pytest.raises(na.DecompressError, match="max_decompression_ratio"):
            call(data, max_decompression_ratio=50)
    assert na.read_ndjson(data, max_decompression_ratio=0).stats["rejects"] == 0
