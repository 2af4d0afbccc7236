//! Python bindings of netskope-arrow: the `netskope_arrow._core` extension module.
//!
//! A thin layer over the pure-Rust core: sources are turned into `Read`ers, the core runs with
//! the GIL released, and results cross into Python through the Arrow PyCapsule interface.

mod arrow;
mod convert;
mod error;
mod options;
mod read;
mod source;
mod tables;

use netskope_arrow::Table;
use pyo3::prelude::*;

use crate::arrow::{PyRecordBatch, PySchema, PyTable};
use crate::options::parse_table;

/// The Arrow schema of a table, by name (``"alerts"``, ``"netskope_alerts"``, ...).
///
/// >>> import netskope_arrow as na
/// >>> s = na.schema("audit")
/// >>> s.table, len(s), s.names[:2], s.kinds[:2]
/// ('netskope_audit_events', 17, ['_id', '_insertion_epoch_timestamp'], ['string', 'timestamp'])
#[pyfunction]
fn schema(table: &str) -> PyResult<PySchema> {
    let t = parse_table(table)?;
    Ok(PySchema::new(t.name(), t.schema()))
}

/// The schema of the rejects table.
///
/// >>> import netskope_arrow as na
/// >>> na.rejects_schema().names
/// ['source', 'line', 'offset', 'error', 'raw', 'raw_truncated']
#[pyfunction]
fn rejects_schema() -> PySchema {
    PySchema::new("rejects", netskope_arrow::rejects_schema())
}

/// The extension module.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("TABLES", Table::ALL.map(Table::name).to_vec())?;
    m.add_function(wrap_pyfunction!(read::read_ndjson, m)?)?;
    m.add_function(wrap_pyfunction!(read::iter_batches, m)?)?;
    m.add_function(wrap_pyfunction!(read::normalize, m)?)?;
    m.add_function(wrap_pyfunction!(convert::convert, m)?)?;
    m.add_function(wrap_pyfunction!(schema, m)?)?;
    m.add_function(wrap_pyfunction!(rejects_schema, m)?)?;
    m.add_class::<PyTable>()?;
    m.add_class::<PyRecordBatch>()?;
    m.add_class::<PySchema>()?;
    m.add_class::<tables::PyTables>()?;
    m.add_class::<read::BatchIterator>()?;
    m.add_class::<convert::PySummary>()?;
    error::register(m)?;
    Ok(())
}
