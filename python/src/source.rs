//! What `source` may be in Python (paths, bytes, binary file objects, iterables of chunks),
//! turned into named `Read`ers the core consumes without the GIL.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::path::PathBuf;

use netskope_arrow::{open_input, Input, Result};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyList, PyMemoryView, PyString, PyTuple};

use crate::error::PyErrSlot;

/// One input, not yet opened.
pub(crate) enum Source {
    Path(PathBuf),
    Bytes(Py<PyBytes>),
    Owned(Vec<u8>),
    File { file: Py<PyAny>, name: String },
    Chunks(Py<PyAny>),
}

/// The inputs of one call, opened one at a time.
pub(crate) struct Sources {
    pending: VecDeque<Source>,
    /// Where Python exceptions raised while reading are kept.
    pub(crate) errors: PyErrSlot,
}

impl Sources {
    /// Interprets a Python `source` argument.
    pub(crate) fn extract(source: &Bound<'_, PyAny>) -> PyResult<Sources> {
        let mut pending = VecDeque::new();
        if (source.is_instance_of::<PyList>() || source.is_instance_of::<PyTuple>())
            && source
                .try_iter()?
                .all(|item| item.is_ok_and(|i| is_path(&i)))
        {
            for item in source.try_iter()? {
                pending.push_back(Source::Path(path_of(&item?)?));
            }
        } else {
            pending.push_back(one(source)?);
        }
        Ok(Sources {
            pending,
            errors: PyErrSlot::default(),
        })
    }

    /// Opens the next input: its name (for rejects and errors) and its raw bytes (a path to a
    /// regular file as a file, whose blocks the decoding threads read themselves).
    pub(crate) fn next_reader(&mut self) -> Option<Result<(String, Input<'static>)>> {
        let source = self.pending.pop_front()?;
        let errors = self.errors.clone();
        let (name, reader): (String, Box<dyn Read + Send>) = match source {
            Source::Path(path) => {
                let name = path.display().to_string();
                return Some(open_input(&path).map(|input| (name, input)));
            }
            Source::Bytes(bytes) => ("<bytes>".into(), Box::new(BytesReader { bytes, pos: 0 })),
            Source::Owned(v) => ("<bytes>".into(), Box::new(io::Cursor::new(v))),
            Source::File { file, name } => (
                name,
                Box::new(PyReader {
                    obj: file,
                    errors,
                    kind: PyReaderKind::File,
                    pending: Vec::new(),
                    pos: 0,
                }),
            ),
            Source::Chunks(iter) => (
                "<iterator>".into(),
                Box::new(PyReader {
                    obj: iter,
                    errors,
                    kind: PyReaderKind::Iterator,
                    pending: Vec::new(),
                    pos: 0,
                }),
            ),
        };
        Some(Ok((name, Input::from(reader))))
    }
}

impl Iterator for Sources {
    type Item = Result<(String, Input<'static>)>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_reader()
    }
}

fn is_path(obj: &Bound<'_, PyAny>) -> bool {
    obj.is_instance_of::<PyString>() || obj.hasattr("__fspath__").unwrap_or(false)
}

fn path_of(obj: &Bound<'_, PyAny>) -> PyResult<PathBuf> {
    if let Ok(s) = obj.cast::<PyString>() {
        let s = s.to_cow()?;
        let t = s.trim_start();
        if t.starts_with('{') || t.starts_with('[') || s.contains('\n') {
            return Err(PyTypeError::new_err(
                "a str source is a file path, and this looks like JSON text: pass it as bytes \
                 (text.encode()) or as a list of lines to normalize()",
            ));
        }
    }
    obj.extract::<PathBuf>()
}

fn one(source: &Bound<'_, PyAny>) -> PyResult<Source> {
    let py = source.py();
    if is_path(source) {
        return Ok(Source::Path(path_of(source)?));
    }
    if let Ok(b) = source.cast::<PyBytes>() {
        return Ok(Source::Bytes(b.clone().unbind()));
    }
    if let Ok(b) = source.cast::<PyByteArray>() {
        return Ok(Source::Owned(b.to_vec()));
    }
    if source.is_instance_of::<PyMemoryView>() {
        let b = py.get_type::<PyBytes>().call1((source,))?;
        return Ok(Source::Bytes(b.cast_into::<PyBytes>()?.unbind()));
    }
    if source.hasattr("read")? {
        let name = source
            .getattr("name")
            .ok()
            .and_then(|n| n.extract::<String>().ok())
            .unwrap_or_else(|| "<file>".into());
        return Ok(Source::File {
            file: source.clone().unbind(),
            name,
        });
    }
    match source.try_iter() {
        Ok(it) => Ok(Source::Chunks(it.into_any().unbind())),
        Err(_) => Err(PyTypeError::new_err(format!(
            "source must be a path (str or os.PathLike), a list of paths, bytes, a binary file \
             object or an iterable of bytes chunks, not {}",
            source.get_type().name()?
        ))),
    }
}

/// Reads a `bytes` object a chunk at a time (the GIL is taken only to copy each chunk).
struct BytesReader {
    bytes: Py<PyBytes>,
    pos: usize,
}

impl Read for BytesReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Python::attach(|py| {
            let all = self.bytes.bind(py).as_bytes();
            let rest = &all[self.pos.min(all.len())..];
            let n = rest.len().min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            self.pos += n;
            Ok(n)
        })
    }
}

enum PyReaderKind {
    File,
    Iterator,
}

/// Reads a binary file object (`read(n)`) or an iterator of bytes-like chunks, taking the GIL
/// for each call; a Python exception is kept in `errors` and re-raised by the caller.
struct PyReader {
    obj: Py<PyAny>,
    errors: PyErrSlot,
    kind: PyReaderKind,
    pending: Vec<u8>,
    pos: usize,
}

impl PyReader {
    /// The next chunk from Python; `None` at the end.
    fn fetch(&self, py: Python<'_>, want: usize) -> PyResult<Option<Vec<u8>>> {
        let obj = self.obj.bind(py);
        let chunk = match self.kind {
            PyReaderKind::File => obj.call_method1("read", (want,))?,
            PyReaderKind::Iterator => match obj.call_method0("__next__") {
                Ok(c) => c,
                Err(e) if e.is_instance_of::<pyo3::exceptions::PyStopIteration>(py) => {
                    return Ok(None)
                }
                Err(e) => return Err(e),
            },
        };
        let bytes = if let Ok(b) = chunk.cast::<PyBytes>() {
            Some(b.as_bytes().to_vec())
        } else if let Ok(b) = chunk.cast::<PyByteArray>() {
            Some(b.to_vec())
        } else if chunk.is_instance_of::<PyMemoryView>() {
            let b = py.get_type::<PyBytes>().call1((&chunk,))?;
            Some(b.cast::<PyBytes>()?.as_bytes().to_vec())
        } else {
            None
        };
        if let Some(bytes) = bytes {
            // A file's empty read is its end; an iterator may yield empty chunks.
            return Ok(match self.kind {
                PyReaderKind::File if bytes.is_empty() => None,
                _ => Some(bytes),
            });
        }
        let what = match self.kind {
            PyReaderKind::File if chunk.is_instance_of::<PyString>() => {
                "the file is open in text mode: open it with 'rb'".to_string()
            }
            PyReaderKind::File if chunk.is_none() => {
                "read() returned None (a non-blocking stream with no data)".to_string()
            }
            PyReaderKind::File => {
                format!("read() returned {}, not bytes", chunk.get_type().name()?)
            }
            PyReaderKind::Iterator => format!(
                "the iterable yielded {}; chunks must be bytes, bytearray or memoryview",
                chunk.get_type().name()?
            ),
        };
        Err(PyTypeError::new_err(what))
    }
}

impl Read for PyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.pending.len() {
            match Python::attach(|py| self.fetch(py, buf.len().max(1 << 16))) {
                Ok(None) => return Ok(0),
                Ok(Some(v)) => {
                    self.pending = v;
                    self.pos = 0;
                }
                Err(e) => return Err(io::Error::other(self.errors.stash(e).to_string())),
            }
        }
        let rest = &self.pending[self.pos..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }
}
