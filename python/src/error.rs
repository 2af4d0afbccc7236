//! The exception hierarchy and the one mapping from the core's [`Error`] to Python exceptions.

use std::io;
use std::sync::{Arc, Mutex};

use netskope_arrow::{Error, Reject};
use pyo3::create_exception;
use pyo3::exceptions::{
    PyException, PyFileExistsError, PyFileNotFoundError, PyIsADirectoryError, PyOSError,
    PyPermissionError, PyValueError,
};
use pyo3::prelude::*;

create_exception!(
    netskope_arrow,
    NetskopeArrowError,
    PyException,
    "Base class of the errors raised by netskope_arrow (OS and argument errors excepted)."
);
create_exception!(
    netskope_arrow,
    ParseError,
    NetskopeArrowError,
    "A line is not a JSON object (raised only with ``strict=True``; otherwise it is a reject).\n\nAttributes: ``source``, ``line`` (1-based), ``offset`` (byte offset of the line), ``reason``."
);
create_exception!(
    netskope_arrow,
    DecompressError,
    NetskopeArrowError,
    "A gzip or zstd input is corrupt or truncated."
);
create_exception!(
    netskope_arrow,
    UnsupportedError,
    NetskopeArrowError,
    "A feature this build was compiled without."
);

/// Maps a core error to the Python exception a user expects: `OSError` subclasses for files,
/// `ValueError` for bad arguments, our classes for the rest. Exhaustive on purpose: a new
/// core variant fails to compile here until it is mapped.
pub(crate) fn to_pyerr(e: Error) -> PyErr {
    let message = e.to_string();
    match e {
        Error::Input { path, source } | Error::Output { path, source } => {
            os_error(&source, message, path.display().to_string())
        }
        Error::Io(source) => os_error(&source, message, String::new()),
        Error::Decompress { .. } => DecompressError::new_err(message),
        Error::InvalidArgument(_) => PyValueError::new_err(message),
        Error::Unsupported(_) => UnsupportedError::new_err(message),
        Error::Arrow(_) | Error::Parquet(_) => NetskopeArrowError::new_err(message),
    }
}

fn os_error(source: &io::Error, message: String, filename: String) -> PyErr {
    let args = (source.raw_os_error().unwrap_or(0), message, filename);
    match source.kind() {
        io::ErrorKind::NotFound => PyFileNotFoundError::new_err(args),
        io::ErrorKind::PermissionDenied => PyPermissionError::new_err(args),
        io::ErrorKind::IsADirectory => PyIsADirectoryError::new_err(args),
        io::ErrorKind::AlreadyExists => PyFileExistsError::new_err(args),
        _ => PyOSError::new_err(args),
    }
}

/// The `ParseError` for a reject, with its attributes set.
pub(crate) fn parse_error(py: Python<'_>, r: &Reject) -> PyErr {
    let err = ParseError::new_err(format!("{}:{}: {}", r.source, r.line, r.error));
    let value = err.value(py);
    let set = || -> PyResult<()> {
        value.setattr("source", &*r.source)?;
        value.setattr("line", r.line)?;
        value.setattr("offset", r.offset)?;
        value.setattr("reason", &r.error)?;
        Ok(())
    };
    match set() {
        Ok(()) => err,
        Err(e) => e,
    }
}

/// Holds the first Python exception raised while the core runs without the GIL (in a file
/// object's `read`, a progress callback, a signal handler), so it is re-raised as is.
#[derive(Clone, Default)]
pub(crate) struct PyErrSlot(Arc<Mutex<Option<PyErr>>>);

impl PyErrSlot {
    /// Stores `err` (keeping an earlier one) and returns the core error that stops the work.
    pub(crate) fn stash(&self, err: PyErr) -> Error {
        let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        slot.get_or_insert(err);
        Error::Io(io::Error::other("interrupted by a Python exception"))
    }

    /// The Python exception to raise for `e`: the stashed one when there is one.
    pub(crate) fn raise_for(&self, e: Error) -> PyErr {
        let stashed = self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
        stashed.unwrap_or_else(|| to_pyerr(e))
    }
}

/// Registers the exception classes on the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("NetskopeArrowError", py.get_type::<NetskopeArrowError>())?;
    m.add("ParseError", py.get_type::<ParseError>())?;
    m.add("DecompressError", py.get_type::<DecompressError>())?;
    m.add("UnsupportedError", py.get_type::<UnsupportedError>())?;
    Ok(())
}
