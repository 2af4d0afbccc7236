//! `Tables`: every table of one read, as a read-only mapping of name to [`PyTable`].

use netskope_arrow::{rejects_batch, rejects_schema, Table, Tables};
use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyIterator, PyList};

use crate::arrow::PyTable;
use crate::options::{rows_dict, stats_dict};

/// The result of ``read_ndjson`` / ``normalize``: a read-only mapping from each of the nine
/// table names (always all nine, empty ones included, in ``TABLES`` order) to its ``Table``,
/// plus ``rejects`` and counters.
///
/// >>> import netskope_arrow as na
/// >>> t = na.read_ndjson(b'{"type":"admin_audit_logs"}\n[]\n')
/// >>> t
/// netskope_arrow.Tables(netskope_audit_events=1; rejects=1)
/// >>> t["audit"].num_rows, t["alerts"].num_rows, len(t), t.stats["rejects"]
/// (1, 0, 9, 1)
#[pyclass(name = "Tables", module = "netskope_arrow", frozen, mapping)]
pub(crate) struct PyTables {
    inner: Tables,
}

impl PyTables {
    pub(crate) fn new(inner: Tables) -> Self {
        PyTables { inner }
    }

    fn table(&self, t: Table) -> PyTable {
        PyTable::new(t.name(), t.schema(), self.inner.batches(t).to_vec())
    }

    fn lookup(key: &Bound<'_, PyAny>) -> PyResult<Table> {
        key.extract::<String>()
            .ok()
            .and_then(|k| k.parse::<Table>().ok())
            .ok_or_else(|| PyKeyError::new_err(key.clone().unbind()))
    }
}

#[pymethods]
impl PyTables {
    fn __getitem__(&self, key: &Bound<'_, PyAny>) -> PyResult<PyTable> {
        Ok(self.table(Self::lookup(key)?))
    }

    fn __contains__(&self, key: &Bound<'_, PyAny>) -> bool {
        Self::lookup(key).is_ok()
    }

    fn __len__(&self) -> usize {
        Table::ALL.len()
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyIterator>> {
        PyList::new(py, Self::keys(self))?.try_iter()
    }

    /// The nine table names.
    fn keys(&self) -> Vec<&'static str> {
        Table::ALL.map(Table::name).to_vec()
    }

    /// The nine tables.
    fn values(&self) -> Vec<PyTable> {
        Table::ALL.map(|t| self.table(t)).into()
    }

    /// ``(name, table)`` pairs.
    fn items(&self) -> Vec<(&'static str, PyTable)> {
        Table::ALL.map(|t| (t.name(), self.table(t))).into()
    }

    /// A table by name, or ``default`` when the name is not a table.
    #[pyo3(signature = (key, default=None))]
    fn get<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
        default: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match Self::lookup(key) {
            Ok(t) => Ok(Bound::new(py, self.table(t))?.into_any()),
            Err(_) => Ok(default.unwrap_or_else(|| py.None().into_bound(py))),
        }
    }

    /// Every rejected line: a table with ``source``, ``line``, ``offset``, ``error``, ``raw``
    /// (and ``raw_truncated``).
    #[getter]
    fn rejects(&self) -> PyTable {
        PyTable::new(
            "rejects",
            rejects_schema(),
            vec![rejects_batch(&self.inner.rejects)],
        )
    }

    /// Rows per table name (every table, zeros included).
    #[getter]
    fn counts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        rows_dict(py, &self.inner.stats)
    }

    /// Counters: ``rows`` (per table), ``rejects``, ``blank_lines``, ``lines``, ``bytes_in``,
    /// ``unwrapped``.
    #[getter]
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        stats_dict(py, &self.inner.stats)
    }

    fn __repr__(&self) -> String {
        let counts: Vec<String> = self
            .inner
            .non_empty()
            .map(|t| format!("{}={}", t.name(), self.inner.num_rows(t)))
            .collect();
        format!(
            "netskope_arrow.Tables({}; rejects={})",
            counts.join(", "),
            self.inner.rejects.len()
        )
    }
}
