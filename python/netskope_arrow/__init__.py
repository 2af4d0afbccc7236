"""Netskope security logs (REST API v1 and v2 ``dataexport`` NDJSON) as typed Apache Arrow tables.

Nine tables with fixed names and one stable schema each (``TABLES``, ``schema()``). Results
implement the Arrow PyCapsule interface, so ``pyarrow.table(t)``, ``polars.DataFrame(t)`` and
DuckDB read them without a copy; ``to_pyarrow()``, ``to_polars()`` and ``to_pandas()`` are
shortcuts that import those packages only when called.

>>> import netskope_arrow as na
>>> tables = na.read_ndjson("samples/tenant-export-v2.ndjson")
>>> tables["netskope_alerts"].num_rows, tables.stats["rejects"]
(12, 0)
"""

from __future__ import annotations

import os
from typing import Any, BinaryIO, Callable, Iterable, Sequence, Union

from ._core import (
    TABLES,
    BatchIterator,
    ConvertSummary,
    DecompressError,
    NetskopeArrowError,
    ParseError,
    RecordBatch,
    Schema,
    Table,
    Tables,
    UnsupportedError,
    __version__,
    rejects_schema,
    schema,
)
from . import _core

Source = Union[
    str,
    "os.PathLike[str]",
    "Sequence[Union[str, os.PathLike[str]]]",
    bytes,
    bytearray,
    memoryview,
    BinaryIO,
    Iterable[bytes],
]
"""A path, a list of paths, a bytes-like buffer, a binary file object or an iterable of bytes chunks."""

Progress = Union[bool, Callable[[int], object], None]
"""``True`` for a tqdm bar (when tqdm is installed), or a callable given the bytes read so far."""

__all__ = [
    "TABLES",
    "BatchIterator",
    "ConvertSummary",
    "DecompressError",
    "NetskopeArrowError",
    "ParseError",
    "RecordBatch",
    "Schema",
    "Table",
    "Tables",
    "UnsupportedError",
    "Progress",
    "Source",
    "__version__",
    "convert",
    "iter_batches",
    "normalize",
    "read_ndjson",
    "rejects_schema",
    "schema",
]


def _total_bytes(source: Any) -> int | None:
    """The input size for a progress bar, when it is known up front."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return len(source)
    paths = source if isinstance(source, (list, tuple)) else [source]
    try:
        return sum(os.path.getsize(os.fspath(p)) for p in paths)
    except (OSError, TypeError):
        return None


class _Bar:
    """A tqdm progress bar in bytes, or nothing when tqdm is not installed."""

    def __init__(self, total: int | None, desc: str) -> None:
        try:
            from tqdm.auto import tqdm  # type: ignore[import-untyped]
        except ImportError:
            self._bar = None
        else:
            self._bar = tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024)

    def update(self, done: int) -> None:
        if self._bar is not None:
            self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _with_progress(progress: Progress, source: Any, desc: str, run: Callable[[Any], Any]) -> Any:
    if progress is None or progress is False:
        return run(None)
    if callable(progress):
        return run(progress)
    if progress is not True:
        raise TypeError(f"progress must be a bool or a callable, not {type(progress).__name__}")
    bar = _Bar(_total_bytes(source), desc)
    try:
        return run(bar.update if bar._bar is not None else None)
    finally:
        bar.close()


def read_ndjson(
    source: Source,
    *,
    table: str | None = None,
    batch_size: int = 8192,
    batch_bytes: int | None = None,
    strict: bool = False,
    max_line_bytes: int | None = None,
    max_decompression_ratio: int | None = None,
    progress: Progress = False,
    threads: int = 0,
) -> Tables:
    """Reads Netskope NDJSON (or saved API responses) into all nine tables at once, in memory.

    Args:
        source: a path (``str`` or ``os.PathLike``), a list of paths, ``bytes`` /
            ``bytearray`` / ``memoryview``, a binary file object (read in chunks, never whole) or
            an iterable of ``bytes`` chunks. gzip and zstd are detected by their magic bytes.
        table: put every record into this table instead of routing it (``"alerts"``,
            ``"netskope_application_events"``, ...), for exports of one known endpoint.
        batch_size: the most rows in a record batch.
        batch_bytes: the most input bytes in a record batch of a table (default 8 MiB, at
            most 256 MiB). Application events are ~3.8 KB a line, so their batches hold
            ~2,000 rows, whose columns stay in the CPU's cache while they are built.
        strict: raise ``ParseError`` at the first line that is not a JSON object, instead of
            keeping it in ``rejects``.
        max_line_bytes: longer lines become rejects (default 64 MiB).
        max_decompression_ratio: a gzip / zstd input that inflates more than this many times
            (after its first 16 MiB) stops with ``DecompressError`` naming the limit, so a
            decompression bomb costs bounded time and memory (default 500; 0 turns it off).
        progress: ``True`` shows a tqdm progress bar when tqdm is installed (silent otherwise);
            a callable receives the number of input bytes read so far after every chunk.
        threads: decoding threads. The input is cut into blocks of whole lines (8 MiB) that
            are decoded in parallel and put back in input order, so the tables are the same for
            any value; ``0`` (default) uses every core, ``1`` stays on the calling thread.

    Returns:
        ``Tables``: a mapping from each table name to its ``Table`` (empty tables included),
        with ``rejects`` (source, line, offset, error, raw) and ``stats``. A table's record
        batches end with the input blocks, and hold at most ``batch_size`` rows and
        ``batch_bytes`` of input.

    Raises:
        FileNotFoundError, OSError: an input cannot be read.
        DecompressError: a gzip / zstd input is corrupt or truncated.
        ParseError: with ``strict=True``, the first bad line (``.line``, ``.source``).
        ValueError, TypeError: unusable arguments.

    The GIL is released while the input is decoded.

    >>> import netskope_arrow as na
    >>> t = na.read_ndjson(b'{"type":"nspolicy","alert":"yes","alert_type":"policy","transaction_id":8847222077216958610}\\n{oops\\n')
    >>> t["alerts"].to_pyarrow().column("transaction_id")[0].as_py()
    8847222077216958610
    >>> t.rejects.to_pyarrow().column("line").to_pylist()
    [2]
    """
    return _with_progress(
        progress,
        source,
        "read_ndjson",
        lambda cb: _core.read_ndjson(
            source,
            table=table,
            batch_size=batch_size,
            batch_bytes=batch_bytes,
            strict=strict,
            max_line_bytes=max_line_bytes,
            max_decompression_ratio=max_decompression_ratio,
            progress=cb,
            threads=threads,
        ),
    )


def iter_batches(
    source: Source,
    *,
    table: str | None = None,
    batch_size: int = 8192,
    batch_bytes: int | None = None,
    strict: bool = False,
    max_line_bytes: int | None = None,
    max_decompression_ratio: int | None = None,
    progress: Callable[[int], object] | None = None,
) -> BatchIterator:
    """Streams ``(table_name, RecordBatch)`` pairs in bounded memory, for inputs larger than RAM.

    Options and sources are those of ``read_ndjson`` (``progress`` takes only a callable here,
    since the iterator may be abandoned half-way). Batches of different tables interleave;
    each table's batches share its fixed schema. The iterator's ``rejects`` and ``stats`` grow
    as it advances. The GIL is released while each batch is decoded.

    >>> import netskope_arrow as na
    >>> it = na.iter_batches("samples/tenant-export-v1.ndjson", batch_size=4)
    >>> rows = {}
    >>> for name, batch in it:
    ...     rows[name] = rows.get(name, 0) + batch.num_rows
    >>> rows["netskope_application_events"], it.stats["rejects"]
    (4, 3)
    """
    if progress is not None and not callable(progress):
        raise TypeError("iter_batches(progress=...) takes a callable or None")
    return _core.iter_batches(
        source,
        table=table,
        batch_size=batch_size,
        batch_bytes=batch_bytes,
        strict=strict,
        max_line_bytes=max_line_bytes,
        max_decompression_ratio=max_decompression_ratio,
        progress=progress,
    )


def convert(
    source: Source,
    out_dir: str | os.PathLike[str],
    *,
    format: str = "parquet",
    compression: str = "zstd",
    table: str | None = None,
    batch_size: int = 8192,
    batch_bytes: int | None = None,
    row_group_rows: int | None = None,
    overwrite: bool = False,
    threads: int = 0,
    max_line_bytes: int | None = None,
    max_decompression_ratio: int | None = None,
    progress: Progress = False,
) -> ConvertSummary:
    """Converts sources to ``out_dir/<table>.parquet`` (or ``.arrow``) plus ``rejects.ndjson``.

    The same files and summary as ``netskope-arrow convert``: one file per table that
    received rows, written under a temporary name and renamed when complete; existing outputs
    are not replaced unless ``overwrite=True`` (``FileExistsError``).

    Args:
        source: as for ``read_ndjson``.
        out_dir: the output directory (created when missing).
        format: ``"parquet"`` or ``"ipc"`` (Arrow IPC file).
        compression: Parquet codec: ``"zstd"``, ``"zstd:LEVEL"``, ``"snappy"``, ``"lz4_raw"``,
            ``"gzip"``, ``"gzip:LEVEL"`` or ``"none"``.
        row_group_rows: rows per Parquet row group (default 1,048,576).
        threads: decoding threads. ``1`` reads, decodes and encodes on one thread; ``N >= 2``
            decodes blocks of the input on ``N`` threads and encodes each table on a thread of
            its own that shares the table's columns with ``N - 1`` more, in input order (the
            files are the same); ``0`` (default): one per core.
        table, batch_size, batch_bytes, max_line_bytes, max_decompression_ratio, progress: as
            for ``read_ndjson``.

    >>> import netskope_arrow as na, tempfile
    >>> out = tempfile.mkdtemp()
    >>> s = na.convert("samples/tenant-export-v1.ndjson", out)
    >>> s.rows["netskope_application_events"], s.rejects, [p.name for p in s.outputs][-1]
    (4, 3, 'rejects.ndjson')
    """
    return _with_progress(
        progress,
        source,
        "convert",
        lambda cb: _core.convert(
            source,
            out_dir,
            format=format,
            compression=compression,
            table=table,
            batch_size=batch_size,
            batch_bytes=batch_bytes,
            row_group_rows=row_group_rows,
            overwrite=overwrite,
            threads=threads,
            max_line_bytes=max_line_bytes,
            max_decompression_ratio=max_decompression_ratio,
            progress=cb,
        ),
    )


def normalize(
    lines: Any,
    *,
    table: str | None = None,
    batch_size: int = 8192,
    batch_bytes: int | None = None,
    source_name: str = "lines",
    strict: bool = False,
    max_line_bytes: int | None = None,
) -> Tables:
    """Normalizes a batch of raw NDJSON lines into the tables.

    ``lines`` is an Arrow string or binary array (any ``__arrow_c_array__`` /
    ``__arrow_c_stream__`` producer: pyarrow, polars, arro3, nanoarrow), a list of ``str`` /
    ``bytes`` (one record each; ``None`` counts as a blank line), or ``bytes`` of NDJSON.
    Reject line numbers count elements from 1 (an element holding line breaks counts as
    several lines).

    This is the function for distributed engines that hand out Arrow batches of raw lines:
    Spark's ``mapInArrow``, Ray Data's ``map_batches`` and Dask's ``map_partitions``. Pass
    ``table=`` there, so every output batch has that table's fixed schema:

    .. code-block:: python

        def to_alerts(batches):  # Spark: df.mapInArrow(to_alerts, schema=alerts_spark_schema)
            for b in batches:
                yield from na.normalize(b.column("value"), table="alerts")["alerts"].to_pyarrow().to_batches()

    >>> import netskope_arrow as na
    >>> t = na.normalize(['{"type":"admin_audit_logs","user":"a@example.com"}', 'not json'])
    >>> t.counts["netskope_audit_events"], t.stats["rejects"]
    (1, 1)
    """
    return _core.normalize(
        lines,
        table=table,
        batch_size=batch_size,
        batch_bytes=batch_bytes,
        source_name=source_name,
        strict=strict,
        max_line_bytes=max_line_bytes,
    )
