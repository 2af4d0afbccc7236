//! Keyword options shared by the reading functions, and the counters as Python dicts.

use netskope_arrow::{DecoderOptions, Limits, ReadOptions, Stats, Table};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::error::to_pyerr;

/// Parses a table name (`"alerts"`, `"netskope_alerts"`, ...) or raises ValueError.
pub(crate) fn parse_table(name: &str) -> PyResult<Table> {
    name.parse::<Table>().map_err(to_pyerr)
}

/// Read options (decoding on `threads` threads) from the keyword arguments; see
/// [`decoder_options`].
pub(crate) fn read_options(
    table: Option<&str>,
    batch: (usize, Option<usize>),
    max_line_bytes: Option<usize>,
    max_decompression_ratio: Option<u64>,
    threads: usize,
) -> PyResult<ReadOptions> {
    Ok(ReadOptions {
        decoder: decoder_options(table, batch, max_line_bytes, max_decompression_ratio)?,
        threads,
        ..ReadOptions::default()
    })
}

/// Decoder options from the keyword arguments (`batch`: `batch_size` and `batch_bytes`).
pub(crate) fn decoder_options(
    table: Option<&str>,
    batch: (usize, Option<usize>),
    max_line_bytes: Option<usize>,
    max_decompression_ratio: Option<u64>,
) -> PyResult<DecoderOptions> {
    let (batch_size, batch_bytes) = batch;
    if batch_size == 0 {
        return Err(PyValueError::new_err("batch_size must be at least 1"));
    }
    let mut options = DecoderOptions::default();
    if let Some(n) = batch_bytes {
        if n == 0 {
            return Err(PyValueError::new_err("batch_bytes must be at least 1"));
        }
        options.batch_bytes = n;
    }
    let mut limits = Limits::default();
    if let Some(n) = max_line_bytes {
        if n == 0 {
            return Err(PyValueError::new_err("max_line_bytes must be at least 1"));
        }
        limits.max_line_bytes = n;
    }
    if let Some(r) = max_decompression_ratio {
        limits.max_decompression_ratio = r;
    }
    Ok(DecoderOptions {
        batch_size,
        table: table.map(parse_table).transpose()?,
        limits,
        ..options
    })
}

/// `{"rows": {table: n, ...}, "rejects": n, "blank_lines": n, "lines": n, "bytes_in": n,
/// "unwrapped": n}`.
pub(crate) fn stats_dict<'py>(py: Python<'py>, stats: &Stats) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("rows", rows_dict(py, stats)?)?;
    d.set_item("rejects", stats.rejects)?;
    d.set_item("blank_lines", stats.blank_lines)?;
    d.set_item("lines", stats.lines)?;
    d.set_item("bytes_in", stats.bytes_in)?;
    d.set_item("unwrapped", stats.unwrapped)?;
    Ok(d)
}

/// Rows per table, every table (in `TABLES` order), zero included.
pub(crate) fn rows_dict<'py>(py: Python<'py>, stats: &Stats) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for t in Table::ALL {
        d.set_item(t.name(), stats.rows_in(t))?;
    }
    Ok(d)
}
