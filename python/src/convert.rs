//! `convert`: the CLI's conversion (same files, same summary) from any Python source.

use std::path::PathBuf;
use std::sync::Arc;

use netskope_arrow::{
    convert_readers, Compression, ConvertOptions, OutputFormat, Summary, WriteOptions,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::error::PyErrSlot;
use crate::options::{read_options, rows_dict};
use crate::source::Sources;

/// What ``convert`` did: rows per table, rejects, files written, timing. ``to_json()`` gives
/// the same JSON object as ``netskope-arrow convert --json``.
///
/// >>> import netskope_arrow as na, json, tempfile
/// >>> s = na.convert(b'{"type":"admin_audit_logs"}\n', tempfile.mkdtemp())
/// >>> s.rows["netskope_audit_events"], s.rejects, [p.name for p in s.outputs]
/// (1, 0, ['netskope_audit_events.parquet'])
/// >>> json.loads(s.to_json())["tables"]["netskope_audit_events"]
/// 1
#[pyclass(name = "ConvertSummary", module = "netskope_arrow", frozen)]
pub(crate) struct PySummary {
    inner: Summary,
}

#[pymethods]
impl PySummary {
    /// Rows per table name (every table, zeros included).
    #[getter]
    fn rows<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        rows_dict(py, &self.inner.stats)
    }

    /// Rows over all tables.
    #[getter]
    fn total_rows(&self) -> u64 {
        self.inner.stats.total_rows()
    }

    /// Rejected lines (written to ``rejects.ndjson``).
    #[getter]
    fn rejects(&self) -> u64 {
        self.inner.stats.rejects
    }

    /// Blank lines skipped.
    #[getter]
    fn blank_lines(&self) -> u64 {
        self.inner.stats.blank_lines
    }

    /// Lines seen, blank ones included.
    #[getter]
    fn lines(&self) -> u64 {
        self.inner.stats.lines
    }

    /// Records taken out of API response envelopes.
    #[getter]
    fn unwrapped(&self) -> u64 {
        self.inner.stats.unwrapped
    }

    /// Bytes of decompressed input.
    #[getter]
    fn bytes_in(&self) -> u64 {
        self.inner.stats.bytes_in
    }

    /// Bytes read from the inputs (compressed size for .gz / .zst).
    #[getter]
    fn bytes_read(&self) -> u64 {
        self.inner.bytes_read
    }

    /// Wall time in seconds.
    #[getter]
    fn seconds(&self) -> f64 {
        self.inner.elapsed.as_secs_f64()
    }

    /// Throughput in MB/s (10^6 bytes) of decompressed input.
    #[getter]
    fn mb_per_s(&self) -> f64 {
        self.inner.mb_per_s()
    }

    /// The files written, in order.
    #[getter]
    fn outputs(&self) -> Vec<PathBuf> {
        self.inner.outputs.clone()
    }

    /// The summary as the CLI's ``--json`` object.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    fn __repr__(&self) -> String {
        format!(
            "netskope_arrow.ConvertSummary(rows={}, rejects={}, outputs={}, {:.1} MB/s)",
            self.inner.stats.total_rows(),
            self.inner.stats.rejects,
            self.inner.outputs.len(),
            self.inner.mb_per_s()
        )
    }
}

/// Converts sources into a directory of Parquet / Arrow IPC files.
#[pyfunction]
#[pyo3(signature = (source, out_dir, *, format="parquet", compression="zstd", table=None, batch_size=8192, batch_bytes=None, row_group_rows=None, overwrite=false, threads=0, max_line_bytes=None, max_decompression_ratio=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn convert(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    out_dir: PathBuf,
    format: &str,
    compression: &str,
    table: Option<&str>,
    batch_size: usize,
    batch_bytes: Option<usize>,
    row_group_rows: Option<usize>,
    overwrite: bool,
    threads: usize,
    max_line_bytes: Option<usize>,
    max_decompression_ratio: Option<u64>,
    progress: Option<Py<PyAny>>,
) -> PyResult<PySummary> {
    let to_err = crate::error::to_pyerr;
    let mut write = WriteOptions {
        format: format.parse::<OutputFormat>().map_err(to_err)?,
        compression: compression.parse::<Compression>().map_err(to_err)?,
        ..WriteOptions::default()
    };
    if let Some(n) = row_group_rows {
        if n == 0 {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "row_group_rows must be at least 1",
            ));
        }
        write.row_group_rows = n;
    }
    let options = ConvertOptions {
        read: read_options(
            table,
            (batch_size, batch_bytes),
            max_line_bytes,
            max_decompression_ratio,
            threads,
        )?,
        write,
        overwrite,
    };
    let sources = Sources::extract(source)?;
    let errors: PyErrSlot = sources.errors.clone();
    let slot = errors.clone();
    let progress = progress.map(Arc::new);
    let result = py.detach(|| {
        convert_readers(sources, &out_dir, &options, &mut |read| {
            Python::attach(|py| -> PyResult<()> {
                py.check_signals()?;
                if let Some(cb) = &progress {
                    cb.call1(py, (read,))?;
                }
                Ok(())
            })
            .map_err(|e| slot.stash(e))
        })
    });
    result
        .map(|inner| PySummary { inner })
        .map_err(|e| errors.raise_for(e))
}
