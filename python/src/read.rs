//! `read_ndjson`, `iter_batches` and `normalize`: the core's decoder driven without the GIL.

use std::borrow::Cow;
use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use netskope_arrow::{
    decode_readers, decompressed_with_limits, CountingReader, Decoder, Error, Limits, Output,
    Reject, Result, Tables, CHUNK_SIZE,
};
use pyo3::exceptions::{PyStopIteration, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyMemoryView, PyString, PyTuple};
use pyo3_arrow::input::AnyArray;

use crate::arrow::{PyRecordBatch, PyTable};
use crate::error::{parse_error, PyErrSlot};
use crate::options::{decoder_options, read_options, stats_dict};
use crate::source::Sources;
use crate::tables::PyTables;

/// What runs between chunks: Ctrl-C, the progress callback, `strict`.
struct Checks {
    strict: bool,
    progress: Option<Py<PyAny>>,
    count: Arc<AtomicU64>,
    errors: PyErrSlot,
}

impl Checks {
    fn new(strict: bool, progress: Option<Py<PyAny>>, errors: PyErrSlot) -> Self {
        Checks {
            strict,
            progress,
            count: Arc::new(AtomicU64::new(0)),
            errors,
        }
    }

    /// Runs after each chunk (and at the end): takes the GIL briefly to let Python handle
    /// signals and report progress; in strict mode the first reject stops the read.
    fn after_chunk(&self, decoder: &mut Decoder) -> Result<()> {
        if self.strict && decoder.stats().rejects > 0 {
            if let Some(r) = decoder.take_rejects().into_iter().next() {
                let err = Python::attach(|py| parse_error(py, &r));
                return Err(self.errors.stash(err));
            }
        }
        self.progress(self.count.load(Ordering::Relaxed))
    }

    /// Lets Python handle signals and reports `read` bytes to the progress callback.
    fn progress(&self, read: u64) -> Result<()> {
        let outcome = Python::attach(|py| -> PyResult<()> {
            py.check_signals()?;
            if let Some(cb) = &self.progress {
                cb.call1(py, (read,))?;
            }
            Ok(())
        });
        outcome.map_err(|e| self.errors.stash(e))
    }

    /// Counts and decompresses one input, under the decompression-ratio limit.
    fn wrap<'a>(
        &self,
        raw: Box<dyn Read + Send + 'a>,
        name: &str,
        limits: &Limits,
    ) -> Result<Box<dyn Read + Send + 'a>> {
        decompressed_with_limits(CountingReader::new(raw, self.count.clone()), limits)
            .map(|(r, _)| r)
            .map_err(|source| Error::Input {
                path: name.into(),
                source,
            })
    }
}

/// Reads every source into memory, decoding blocks of whole lines on `threads` threads.
#[pyfunction]
#[pyo3(signature = (source, *, table=None, batch_size=8192, batch_bytes=None, strict=false, max_line_bytes=None, max_decompression_ratio=None, progress=None, threads=0))]
#[allow(clippy::too_many_arguments)] // keyword-only options of the Python function
pub(crate) fn read_ndjson(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    table: Option<&str>,
    batch_size: usize,
    batch_bytes: Option<usize>,
    strict: bool,
    max_line_bytes: Option<usize>,
    max_decompression_ratio: Option<u64>,
    progress: Option<Py<PyAny>>,
    threads: usize,
) -> PyResult<PyTables> {
    let options = read_options(
        table,
        (batch_size, batch_bytes),
        max_line_bytes,
        max_decompression_ratio,
        threads,
    )?;
    let sources = Sources::extract(source)?;
    let errors = sources.errors.clone();
    let checks = Checks::new(strict, progress, errors.clone());
    // With `strict`, the first reject stops the read (on the thread handing on the output,
    // which cannot raise a Python exception itself).
    let mut first_reject: Option<Reject> = None;
    let result = py.detach(|| -> Result<Tables> {
        let mut tables = Tables::default();
        let stats = decode_readers(
            sources,
            &options,
            &mut |read| checks.progress(read),
            &mut |out| {
                if let (true, Output::Rejects(rejects)) = (strict, &out) {
                    first_reject = rejects.first().cloned();
                    return Err(Error::InvalidArgument("strict: a line was rejected".into()));
                }
                tables.add(out);
                Ok(())
            },
        )?;
        tables.stats = stats;
        Ok(tables)
    });
    if let Some(r) = &first_reject {
        return Err(parse_error(py, r));
    }
    result.map(PyTables::new).map_err(|e| errors.raise_for(e))
}

/// The state of a lazy read.
struct Stream {
    sources: Sources,
    decoder: Decoder,
    reader: Option<(String, Box<dyn Read + Send>)>,
    buf: Vec<u8>,
    done: bool,
    rejects: Vec<Reject>,
    checks: Checks,
}

impl Stream {
    fn next_batch(&mut self) -> Result<Option<(netskope_arrow::Table, arrow_array::RecordBatch)>> {
        loop {
            if let Some(b) = self.decoder.next_batch() {
                return Ok(Some(b));
            }
            if self.done {
                return Ok(None);
            }
            let Some((name, reader)) = &mut self.reader else {
                match self.sources.next_reader() {
                    Some(next) => {
                        let (name, raw) = next?;
                        let limits = self.decoder.options().limits.clone();
                        let reader = self.checks.wrap(raw.into_reader(), &name, &limits)?;
                        self.decoder.start_source(&name);
                        self.reader = Some((name, reader));
                    }
                    None => {
                        self.done = true;
                        self.decoder.finish();
                        self.checks.after_chunk(&mut self.decoder)?;
                        self.rejects.extend(self.decoder.take_rejects());
                    }
                }
                continue;
            };
            match reader.read(&mut self.buf) {
                Ok(0) => {
                    self.decoder.end_source();
                    self.reader = None;
                }
                Ok(n) => {
                    self.decoder.push(&self.buf[..n]);
                    self.checks.after_chunk(&mut self.decoder)?;
                    self.rejects.extend(self.decoder.take_rejects());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.done = true;
                    return Err(netskope_arrow::read_error(name, e));
                }
            }
        }
    }
}

/// A lazy iterator of ``(table_name, RecordBatch)`` returned by ``iter_batches``.
#[pyclass(name = "BatchIterator", module = "netskope_arrow", frozen)]
pub(crate) struct BatchIterator {
    stream: Mutex<Stream>,
}

#[pymethods]
impl BatchIterator {
    fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<(&'static str, PyRecordBatch)> {
        let (result, errors) = py.detach(|| {
            let mut s = self.stream.lock().unwrap_or_else(|p| p.into_inner());
            (s.next_batch(), s.sources.errors.clone())
        });
        match result {
            Ok(Some((t, b))) => Ok((t.name(), PyRecordBatch::new(t.name(), b))),
            Ok(None) => Err(PyStopIteration::new_err(())),
            Err(e) => Err(errors.raise_for(e)),
        }
    }

    /// The lines rejected so far (same columns as ``Tables.rejects``).
    #[getter]
    fn rejects(&self) -> PyTable {
        let s = self.stream.lock().unwrap_or_else(|p| p.into_inner());
        PyTable::new(
            "rejects",
            netskope_arrow::rejects_schema(),
            vec![netskope_arrow::rejects_batch(&s.rejects)],
        )
    }

    /// Counters so far (as ``Tables.stats``).
    #[getter]
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.stream.lock().unwrap_or_else(|p| p.into_inner());
        stats_dict(py, s.decoder.stats())
    }
}

/// Starts a lazy read.
#[pyfunction]
#[pyo3(signature = (source, *, table=None, batch_size=8192, batch_bytes=None, strict=false, max_line_bytes=None, max_decompression_ratio=None, progress=None))]
#[allow(clippy::too_many_arguments)] // keyword-only options of the Python function
pub(crate) fn iter_batches(
    source: &Bound<'_, PyAny>,
    table: Option<&str>,
    batch_size: usize,
    batch_bytes: Option<usize>,
    strict: bool,
    max_line_bytes: Option<usize>,
    max_decompression_ratio: Option<u64>,
    progress: Option<Py<PyAny>>,
) -> PyResult<BatchIterator> {
    let options = decoder_options(
        table,
        (batch_size, batch_bytes),
        max_line_bytes,
        max_decompression_ratio,
    )?;
    let sources = Sources::extract(source)?;
    let checks = Checks::new(strict, progress, sources.errors.clone());
    Ok(BatchIterator {
        stream: Mutex::new(Stream {
            sources,
            decoder: Decoder::new(options),
            reader: None,
            buf: vec![0; CHUNK_SIZE],
            done: false,
            rejects: Vec::new(),
            checks,
        }),
    })
}

/// Appends one string/binary Arrow array's values, one per line (nulls are blank lines).
fn push_lines(array: &ArrayRef, out: &mut Vec<u8>) -> PyResult<()> {
    fn add<'a>(values: impl Iterator<Item = Option<&'a [u8]>>, out: &mut Vec<u8>) {
        for v in values {
            out.extend_from_slice(v.unwrap_or_default());
            out.push(b'\n');
        }
    }
    match array.data_type() {
        DataType::Utf8 => add(
            array
                .as_string::<i32>()
                .iter()
                .map(|v| v.map(str::as_bytes)),
            out,
        ),
        DataType::LargeUtf8 => add(
            array
                .as_string::<i64>()
                .iter()
                .map(|v| v.map(str::as_bytes)),
            out,
        ),
        DataType::Utf8View => add(
            array.as_string_view().iter().map(|v| v.map(str::as_bytes)),
            out,
        ),
        DataType::Binary => add(array.as_binary::<i32>().iter(), out),
        DataType::LargeBinary => add(array.as_binary::<i64>().iter(), out),
        DataType::BinaryView => add(array.as_binary_view().iter(), out),
        other => {
            return Err(PyTypeError::new_err(format!(
                "normalize() needs an Arrow string or binary array, not {other}"
            )))
        }
    }
    Ok(())
}

/// The NDJSON bytes of `lines` (borrowed from a `bytes` object, copied otherwise).
fn lines_bytes<'a>(lines: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, [u8]>> {
    if let Ok(b) = lines.cast::<PyBytes>() {
        return Ok(Cow::Borrowed(b.as_bytes()));
    }
    if let Ok(b) = lines.cast::<PyByteArray>() {
        return Ok(Cow::Owned(b.to_vec()));
    }
    if lines.is_instance_of::<PyMemoryView>() {
        return Ok(Cow::Owned(
            lines
                .py()
                .get_type::<PyBytes>()
                .call1((lines,))?
                .cast::<PyBytes>()?
                .as_bytes()
                .to_vec(),
        ));
    }
    let mut out = Vec::new();
    if lines.hasattr("__arrow_c_array__")? || lines.hasattr("__arrow_c_stream__")? {
        let chunked = lines.extract::<AnyArray>()?.into_chunked_array()?;
        for chunk in chunked.chunks() {
            push_lines(chunk, &mut out)?;
        }
        return Ok(Cow::Owned(out));
    }
    if lines.is_instance_of::<PyList>() || lines.is_instance_of::<PyTuple>() {
        for item in lines.try_iter()? {
            let item = item?;
            if let Ok(s) = item.cast::<PyString>() {
                out.extend_from_slice(s.to_cow()?.as_bytes());
            } else if let Ok(b) = item.cast::<PyBytes>() {
                out.extend_from_slice(b.as_bytes());
            } else if item.is_none() {
            } else {
                return Err(PyTypeError::new_err(format!(
                    "normalize() lines must be str or bytes, not {}",
                    item.get_type().name()?
                )));
            }
            out.push(b'\n');
        }
        return Ok(Cow::Owned(out));
    }
    Err(PyTypeError::new_err(format!(
        "normalize() takes an Arrow string array (any PyCapsule producer), a list of str/bytes, \
         or bytes, not {}",
        lines.get_type().name()?
    )))
}

/// Normalizes a batch of raw lines.
#[pyfunction]
#[pyo3(signature = (lines, *, table=None, batch_size=8192, batch_bytes=None, source_name="lines", strict=false, max_line_bytes=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn normalize(
    py: Python<'_>,
    lines: &Bound<'_, PyAny>,
    table: Option<&str>,
    batch_size: usize,
    batch_bytes: Option<usize>,
    source_name: &str,
    strict: bool,
    max_line_bytes: Option<usize>,
) -> PyResult<PyTables> {
    let options = decoder_options(table, (batch_size, batch_bytes), max_line_bytes, None)?;
    let bytes = lines_bytes(lines)?;
    let errors = PyErrSlot::default();
    let checks = Checks::new(strict, None, errors.clone());
    let result = py.detach(|| -> Result<Tables> {
        let mut decoder = Decoder::new(options);
        decoder.start_source(source_name);
        decoder.push(&bytes);
        decoder.end_source();
        decoder.finish();
        checks.after_chunk(&mut decoder)?;
        Ok(Tables::from_decoder(decoder))
    });
    result.map(PyTables::new).map_err(|e| errors.raise_for(e))
}
