//! Opening inputs: files, stdin, and gzip / zstd streams detected by their magic bytes.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::limits::Limits;

/// Compression of an input, detected from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputCompression {
    /// Plain NDJSON.
    None,
    /// gzip (`1f 8b`); concatenated members are read one after another.
    Gzip,
    /// zstd (`28 b5 2f fd`); concatenated frames are read one after another.
    Zstd,
}

impl InputCompression {
    /// Detects the compression from the first bytes of a stream.
    ///
    /// ```
    /// use netskope_arrow::InputCompression;
    /// assert_eq!(InputCompression::detect(&[0x1f, 0x8b, 8]), InputCompression::Gzip);
    /// assert_eq!(InputCompression::detect(b"{\"a\":1}"), InputCompression::None);
    /// ```
    pub fn detect(head: &[u8]) -> Self {
        if head.starts_with(&[0x1f, 0x8b]) {
            InputCompression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            InputCompression::Zstd
        } else {
            InputCompression::None
        }
    }
}

/// Wraps `reader` in the decompressor its first bytes call for, with the default
/// [`Limits::max_decompression_ratio`] (see [`decompressed_with_limits`]).
///
/// ```
/// use std::io::Read;
/// let (mut r, kind) = netskope_arrow::decompressed(&b"{}\n"[..]).unwrap();
/// let mut s = String::new();
/// r.read_to_string(&mut s).unwrap();
/// assert_eq!((s.as_str(), kind), ("{}\n", netskope_arrow::InputCompression::None));
/// ```
pub fn decompressed<'a, R: Read + Send + 'a>(
    reader: R,
) -> io::Result<(Box<dyn Read + Send + 'a>, InputCompression)> {
    decompressed_with_limits(reader, &Limits::default())
}

/// Wraps `reader` in the decompressor its first bytes call for. A compressed stream whose
/// output outgrows [`Limits::max_decompression_ratio`] times the compressed bytes consumed
/// (after the first [`Limits::DECOMPRESSION_GRACE_BYTES`]) fails with an `InvalidData` error
/// naming the limit, which [`read_error`](crate::read_error) turns into
/// [`Error::Decompress`].
///
/// ```
/// use std::io::{Read, Write};
/// use netskope_arrow::{decompressed_with_limits, Limits};
/// let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
/// gz.write_all(&vec![b'\n'; 64 << 20]).unwrap(); // 64 MiB of newlines in 64 KiB
/// let bomb = gz.finish().unwrap();
/// let (mut r, _) = decompressed_with_limits(&bomb[..], &Limits::default()).unwrap();
/// let err = std::io::copy(&mut r, &mut std::io::sink()).unwrap_err();
/// assert!(err.to_string().contains("Limits::max_decompression_ratio"), "{err}");
/// ```
pub fn decompressed_with_limits<'a, R: Read + Send + 'a>(
    reader: R,
    limits: &Limits,
) -> io::Result<(Box<dyn Read + Send + 'a>, InputCompression)> {
    let count = Arc::new(AtomicU64::new(0));
    let mut buf = BufReader::with_capacity(1 << 16, CountingReader::new(reader, count));
    let kind = InputCompression::detect(buf.fill_buf()?);
    let boxed: Box<dyn Read + Send + 'a> = match kind {
        InputCompression::None => Box::new(buf),
        InputCompression::Gzip => Box::new(RatioLimited::new(
            flate2::bufread::MultiGzDecoder::new(buf),
            limits,
            |d| consumed(d.get_ref()),
        )),
        #[cfg(feature = "zstd")]
        InputCompression::Zstd => Box::new(RatioLimited::new(
            zstd::stream::read::Decoder::with_buffer(buf)?,
            limits,
            |d| consumed(d.get_ref()),
        )),
        #[cfg(not(feature = "zstd"))]
        InputCompression::Zstd => {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "zstd support is not compiled into this build",
            ))
        }
    };
    Ok((boxed, kind))
}

/// Compressed bytes a decompressor has taken from its buffered reader.
fn consumed<R>(buf: &BufReader<CountingReader<R>>) -> u64 {
    buf.get_ref().count() - buf.buffer().len() as u64
}

/// A decompressor whose output may not outgrow [`Limits::max_decompression_ratio`] times its consumed input (after
/// [`Limits::DECOMPRESSION_GRACE_BYTES`]).
struct RatioLimited<D> {
    inner: D,
    limits: Limits,
    out: u64,
    consumed: fn(&D) -> u64,
    tripped: Option<String>,
}

impl<D> RatioLimited<D> {
    fn new(inner: D, limits: &Limits, consumed: fn(&D) -> u64) -> Self {
        RatioLimited {
            inner,
            limits: limits.clone(),
            out: 0,
            consumed,
            tripped: None,
        }
    }
}

impl<D: Read> Read for RatioLimited<D> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(msg) = &self.tripped {
            return Err(io::Error::new(io::ErrorKind::InvalidData, msg.clone()));
        }
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        let limit = self
            .limits
            .decompression_ratio_exceeded(self.out, (self.consumed)(&self.inner));
        if let Some(msg) = limit {
            self.tripped = Some(msg.clone());
            return Err(io::Error::new(io::ErrorKind::InvalidData, msg));
        }
        Ok(n)
    }
}

/// Checks that a path (`-` is stdin) names a readable file, not a directory.
pub(crate) fn check_input(path: &Path) -> Result<()> {
    if path.as_os_str() == "-" {
        return Ok(());
    }
    let input_err = |source| Error::Input {
        path: path.to_path_buf(),
        source,
    };
    if std::fs::metadata(path).map_err(input_err)?.is_dir() {
        return Err(input_err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "is a directory",
        )));
    }
    Ok(())
}

/// One input of [`decode_readers`](crate::decode_readers) and the functions built on it: a
/// stream read from start to end, or a file, which the decoding threads may read at offsets
/// of their own (see [`ReadOptions::threads`](crate::ReadOptions::threads)). Both give the
/// same output.
///
/// Anything that converts into it may stand for it: a `Box<dyn Read + Send>` (a stream) or a
/// [`File`].
///
/// ```
/// use netskope_arrow::Input;
/// let stream: Box<dyn std::io::Read + Send> = Box::new(&b"{}\n"[..]);
/// assert!(matches!(Input::from(stream), Input::Reader(_)));
/// ```
pub enum Input<'a> {
    /// Bytes read in order (stdin, a pipe, a decompressor, a Python file object, ...).
    Reader(Box<dyn Read + Send + 'a>),
    /// A file. When it is a regular file read from its start (on Unix), not compressed and of
    /// whole lines, decoding threads read the blocks they decode themselves, each while its
    /// bytes are in that core's cache, instead of one thread reading everything for them; any
    /// other file (a named pipe, a device, one already read partway) is read as a stream. The
    /// file must not shrink while it is read (that stops the read with an error); lines
    /// appended meanwhile may or may not be read.
    File(File),
}

impl<'a> Input<'a> {
    /// The input as a stream (a file is read from its current position).
    pub fn into_reader(self) -> Box<dyn Read + Send + 'a> {
        match self {
            Input::Reader(reader) => reader,
            Input::File(file) => Box::new(file),
        }
    }
}

impl<'a> From<Box<dyn Read + Send + 'a>> for Input<'a> {
    fn from(reader: Box<dyn Read + Send + 'a>) -> Self {
        Input::Reader(reader)
    }
}

impl From<File> for Input<'_> {
    fn from(file: File) -> Self {
        Input::File(file)
    }
}

impl std::fmt::Debug for Input<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Input::Reader(_) => f.write_str("Input::Reader(..)"),
            Input::File(file) => f.debug_tuple("Input::File").field(file).finish(),
        }
    }
}

/// Opens a path (`-` is stdin) without decompressing it, as an [`Input`]: stdin as a stream,
/// anything else (a regular file, a named pipe, a device) as an [`Input::File`], which the
/// pipeline reads by blocks or as a stream as it says. Errors name the path.
///
/// ```
/// use std::path::Path;
/// use netskope_arrow::{open_input, read_readers, Input, ReadOptions, Table};
/// let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/tenant-export-v2.ndjson");
/// let input = open_input(&path).unwrap();
/// assert!(matches!(input, Input::File(_)));
/// let options = ReadOptions { threads: 2, block_bytes: 4096, ..Default::default() };
/// let tables = read_readers([Ok(("v2".to_string(), input))], &options, &mut |_| Ok(())).unwrap();
/// assert_eq!((tables.num_rows(Table::Application), tables.num_rows(Table::Alerts)), (6, 12));
/// assert!(open_input(Path::new("no/such/file.ndjson")).is_err());
/// ```
pub fn open_input(path: &Path) -> Result<Input<'static>> {
    check_input(path)?;
    if path.as_os_str() == "-" {
        return Ok(Input::Reader(Box::new(io::stdin())));
    }
    let file = File::open(path).map_err(|source| Error::Input {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Input::File(file))
}

/// Opens a path without decompressing it (`-` is stdin); errors name the path.
pub fn open_raw(path: &Path) -> Result<Box<dyn Read + Send>> {
    open_input(path).map(Input::into_reader)
}

/// Opens a path (`-` is stdin) with transparent decompression.
pub fn open(path: &Path) -> Result<(Box<dyn Read + Send>, InputCompression)> {
    decompressed(open_raw(path)?).map_err(|source| Error::Input {
        path: path.to_path_buf(),
        source,
    })
}

/// A reader that adds the number of bytes read through it to a shared counter (for progress
/// reports while another layer, e.g. a decompressor, consumes it).
///
/// ```
/// use std::io::Read;
/// use std::sync::{atomic::{AtomicU64, Ordering}, Arc};
/// let count = Arc::new(AtomicU64::new(0));
/// let mut r = netskope_arrow::CountingReader::new(&b"abc"[..], count.clone());
/// r.read_to_end(&mut Vec::new()).unwrap();
/// assert_eq!(count.load(Ordering::Relaxed), 3);
/// ```
pub struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R> CountingReader<R> {
    /// Wraps `inner`, adding to `count`.
    pub fn new(inner: R, count: Arc<AtomicU64>) -> Self {
        CountingReader { inner, count }
    }

    /// Bytes read so far (through this reader and any other sharing the counter).
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}
