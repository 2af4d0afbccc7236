//! Arrow results handed to Python through the Arrow PyCapsule interface: [`PyTable`],
//! [`PyRecordBatch`] and [`PySchema`]. pyarrow, polars, DuckDB and pandas read them without a
//! copy; the `to_*` helpers import those packages only when called.

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, RecordBatch, StructArray};
use arrow_schema::{Field, SchemaRef};
use pyo3::exceptions::PyImportError;
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyDict, PyTuple};
use pyo3_arrow::ffi::{
    to_array_pycapsules, to_schema_pycapsule, to_stream_pycapsule, ArrayIterator,
};

/// Imports an optional dependency, or raises an ImportError naming the package to install.
fn import_optional<'py>(
    py: Python<'py>,
    module: &str,
    what: &str,
) -> PyResult<Bound<'py, PyModule>> {
    py.import(module).map_err(|e| {
        if e.is_instance_of::<PyImportError>(py) {
            PyImportError::new_err(format!(
                "{what} needs the `{module}` package, which is not installed: pip install {module}"
            ))
        } else {
            e
        }
    })
}

fn struct_field(schema: &SchemaRef) -> Arc<Field> {
    Arc::new(
        Field::new_struct("", schema.fields().clone(), false)
            .with_metadata(schema.metadata.clone()),
    )
}

fn stream_capsule<'py>(
    py: Python<'py>,
    schema: &SchemaRef,
    batches: Vec<RecordBatch>,
    requested_schema: Option<Bound<'py, PyCapsule>>,
) -> PyResult<Bound<'py, PyCapsule>> {
    let arrays = batches
        .into_iter()
        .map(|b| Ok(Arc::new(StructArray::from(b)) as ArrayRef));
    let reader = Box::new(ArrayIterator::new(arrays, struct_field(schema)));
    Ok(to_stream_pycapsule(py, reader, requested_schema)?)
}

fn pandas_from_pyarrow<'py>(
    py: Python<'py>,
    arrow: Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let pd = import_optional(py, "pandas", "to_pandas()")?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("types_mapper", pd.getattr("ArrowDtype")?)?;
    arrow.call_method("to_pandas", (), Some(&kwargs))
}

fn schema_repr(schema: &SchemaRef) -> String {
    let mut s = String::new();
    for f in schema.fields() {
        s.push_str(&format!("\n  {}: {}", f.name(), f.data_type()));
    }
    s
}

/// One table's rows: a sequence of record batches sharing one schema, exported through the
/// Arrow PyCapsule interface.
///
/// >>> import netskope_arrow as na, pyarrow as pa
/// >>> audit = na.read_ndjson(b'{"type":"admin_audit_logs","user":"a@example.com"}\n')["audit"]
/// >>> audit
/// netskope_arrow.Table netskope_audit_events (1 rows x 17 columns)
/// >>> pa.table(audit).column("user").to_pylist()
/// ['a@example.com']
#[pyclass(name = "Table", module = "netskope_arrow", frozen)]
pub(crate) struct PyTable {
    name: String,
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
}

impl PyTable {
    pub(crate) fn new(name: &str, schema: SchemaRef, batches: Vec<RecordBatch>) -> Self {
        PyTable {
            name: name.to_string(),
            schema,
            batches,
        }
    }
}

#[pymethods]
impl PyTable {
    /// The table's name (e.g. ``"netskope_alerts"``, or ``"rejects"``).
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// The table's schema.
    #[getter]
    fn schema(&self) -> PySchema {
        PySchema::new(&self.name, self.schema.clone())
    }

    /// Number of rows.
    #[getter]
    fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// Number of columns.
    #[getter]
    fn num_columns(&self) -> usize {
        self.schema.fields().len()
    }

    /// Column names, in schema order.
    #[getter]
    fn column_names(&self) -> Vec<String> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// The record batches.
    fn to_batches(&self) -> Vec<PyRecordBatch> {
        self.batches
            .iter()
            .map(|b| PyRecordBatch::new(&self.name, b.clone()))
            .collect()
    }

    fn __len__(&self) -> usize {
        self.num_rows()
    }

    fn __repr__(&self) -> String {
        format!(
            "netskope_arrow.Table {} ({} rows x {} columns)",
            self.name,
            self.num_rows(),
            self.num_columns()
        )
    }

    /// Arrow PyCapsule interface: the schema.
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        Ok(to_schema_pycapsule(py, self.schema.as_ref())?)
    }

    /// Arrow PyCapsule interface: the rows as a stream of record batches.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyCapsule>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        stream_capsule(py, &self.schema, self.batches.clone(), requested_schema)
    }

    /// A ``pyarrow.Table`` (zero-copy; needs pyarrow).
    fn to_pyarrow<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let pa = import_optional(slf.py(), "pyarrow", "to_pyarrow()")?;
        pa.call_method1("table", (slf,))
    }

    /// A ``polars.DataFrame`` (needs polars).
    fn to_polars<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let pl = import_optional(slf.py(), "polars", "to_polars()")?;
        pl.call_method1("DataFrame", (slf,))
    }

    /// A ``pandas.DataFrame`` with Arrow-backed dtypes, so 64-bit IDs stay exact and
    /// timestamps stay UTC (needs pandas and pyarrow).
    fn to_pandas<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        pandas_from_pyarrow(slf.py(), Self::to_pyarrow(slf)?)
    }
}

/// One record batch of a table, as yielded by ``iter_batches``.
///
/// >>> import netskope_arrow as na, pyarrow as pa
/// >>> name, batch = next(na.iter_batches(b'{"type":"admin_audit_logs"}\n'))
/// >>> name, batch.num_rows, pa.record_batch(batch).num_columns
/// ('netskope_audit_events', 1, 17)
#[pyclass(name = "RecordBatch", module = "netskope_arrow", frozen)]
pub(crate) struct PyRecordBatch {
    table: String,
    batch: RecordBatch,
}

impl PyRecordBatch {
    pub(crate) fn new(table: &str, batch: RecordBatch) -> Self {
        PyRecordBatch {
            table: table.to_string(),
            batch,
        }
    }
}

#[pymethods]
impl PyRecordBatch {
    /// The name of the table the rows belong to.
    #[getter]
    fn table(&self) -> &str {
        &self.table
    }

    /// The batch's schema (the table's).
    #[getter]
    fn schema(&self) -> PySchema {
        PySchema::new(&self.table, self.batch.schema())
    }

    /// Number of rows.
    #[getter]
    fn num_rows(&self) -> usize {
        self.batch.num_rows()
    }

    /// Number of columns.
    #[getter]
    fn num_columns(&self) -> usize {
        self.batch.num_columns()
    }

    fn __len__(&self) -> usize {
        self.batch.num_rows()
    }

    fn __repr__(&self) -> String {
        format!(
            "netskope_arrow.RecordBatch {} ({} rows x {} columns)",
            self.table,
            self.batch.num_rows(),
            self.batch.num_columns()
        )
    }

    /// Arrow PyCapsule interface: the schema.
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        Ok(to_schema_pycapsule(py, self.batch.schema().as_ref())?)
    }

    /// Arrow PyCapsule interface: the batch as a struct array.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_array__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyCapsule>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let array = StructArray::from(self.batch.clone());
        let field = struct_field(&self.batch.schema());
        Ok(to_array_pycapsules(
            py,
            field,
            &array as &dyn Array,
            requested_schema,
        )?)
    }

    /// Arrow PyCapsule interface: a stream of this one batch.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyCapsule>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        stream_capsule(
            py,
            &self.batch.schema(),
            vec![self.batch.clone()],
            requested_schema,
        )
    }

    /// A ``pyarrow.RecordBatch`` (zero-copy; needs pyarrow).
    fn to_pyarrow<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let pa = import_optional(slf.py(), "pyarrow", "to_pyarrow()")?;
        pa.call_method1("record_batch", (slf,))
    }

    /// A ``polars.DataFrame`` (needs polars).
    fn to_polars<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let pl = import_optional(slf.py(), "polars", "to_polars()")?;
        pl.call_method1("DataFrame", (slf,))
    }

    /// A ``pandas.DataFrame`` with Arrow-backed dtypes (needs pandas and pyarrow).
    fn to_pandas<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        pandas_from_pyarrow(slf.py(), Self::to_pyarrow(slf)?)
    }
}

/// A table's Arrow schema.
#[pyclass(name = "Schema", module = "netskope_arrow", frozen)]
pub(crate) struct PySchema {
    table: String,
    schema: SchemaRef,
}

impl PySchema {
    pub(crate) fn new(table: &str, schema: SchemaRef) -> Self {
        PySchema {
            table: table.to_string(),
            schema,
        }
    }
}

/// How each column of `table` is decoded (`schema/columns.csv`'s `kind`); `None` for the
/// rejects table.
fn kinds(table: &str) -> Option<Vec<&'static str>> {
    let t = table.parse::<netskope_arrow::Table>().ok()?;
    Some(
        netskope_arrow::columns(t)
            .iter()
            .map(|c| c.kind.name())
            .collect(),
    )
}

#[pymethods]
impl PySchema {
    /// The table the schema belongs to.
    #[getter]
    fn table(&self) -> &str {
        &self.table
    }

    /// Column names, in order.
    #[getter]
    fn names(&self) -> Vec<String> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// Column types as Arrow type strings (e.g. ``"Int64"``, ``"Timestamp(ms, \"UTC\")"``).
    #[getter]
    fn types(&self) -> Vec<String> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.data_type().to_string())
            .collect()
    }

    /// How each column is decoded: ``"string"``, ``"int64"``, ``"float64"``, ``"bool"``,
    /// ``"timestamp"`` (epoch s/ms/us to UTC), ``"string_list"``, ``"json"`` (compact JSON text),
    /// ``"supporting_data"``, ``"local_timestamp"`` (``_src_time_local``); ``_extra`` is
    /// ``"json"``. Empty for the rejects schema.
    #[getter]
    fn kinds(&self) -> Vec<&'static str> {
        kinds(&self.table).unwrap_or_default()
    }

    fn __len__(&self) -> usize {
        self.schema.fields().len()
    }

    fn __repr__(&self) -> String {
        format!(
            "netskope_arrow.Schema {} ({} columns){}",
            self.table,
            self.schema.fields().len(),
            schema_repr(&self.schema)
        )
    }

    /// Arrow PyCapsule interface.
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        Ok(to_schema_pycapsule(py, self.schema.as_ref())?)
    }

    /// A ``pyarrow.Schema`` (needs pyarrow).
    fn to_pyarrow<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let pa = import_optional(slf.py(), "pyarrow", "to_pyarrow()")?;
        pa.call_method1("schema", (slf,))
    }
}
