//! The `options` object of `convert`, `toParquet` and `new Converter`, validated strictly: an
//! unknown key, a wrong type or an out-of-range number is an `InvalidArgumentError` naming it.

use js_sys::{Object, Reflect};
use netskope_arrow::{Compression, Error, Result, Table};
use wasm_bindgen::{JsCast, JsValue};

use crate::engine::{Codec, EngineOptions, Format};
use crate::error::{invalid, type_of};

/// Which function the options are for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// `convert` and `Converter`: Arrow IPC unless `format: "parquet"`.
    Convert,
    /// `toParquet`: always Parquet.
    ToParquet,
}

const KEYS: &[&str] = &[
    "table",
    "format",
    "compression",
    "batchSize",
    "batchBytes",
    "sourceName",
    "maxRejects",
    "previewRows",
    "maxLineBytes",
    "maxDecompressionRatio",
];

/// Largest accepted `batchSize`.
pub const MAX_BATCH_SIZE: usize = 1 << 20;
/// Largest accepted `batchBytes` (256 MiB: a column's text stays under Arrow's 2 GiB).
pub const MAX_BATCH_BYTES: usize = 256 << 20;
/// Largest accepted `previewRows`.
pub const MAX_PREVIEW_ROWS: usize = 100_000;

/// Parses `options` (`undefined` and `null` mean all defaults).
pub fn parse(options: &JsValue, entry: Entry) -> Result<EngineOptions> {
    let mut o = EngineOptions::default();
    if entry == Entry::ToParquet {
        o.format = Format::Parquet(Codec::Core(Compression::Snappy));
    }
    if options.is_undefined() || options.is_null() {
        return Ok(o);
    }
    if !options.is_object() || js_sys::Array::is_array(options) {
        return Err(invalid(format!(
            "options must be an object, not {}",
            type_of(options)
        )));
    }
    let obj: &Object = options.unchecked_ref();
    for key in Object::keys(obj).iter() {
        let key = key.as_string().unwrap_or_default();
        if !KEYS.contains(&key.as_str()) {
            return Err(invalid(format!(
                "unknown option {key:?}; expected one of: {}",
                KEYS.join(", ")
            )));
        }
    }
    let get = |key: &str| -> Result<Option<JsValue>> {
        let v = Reflect::get(obj, &JsValue::from_str(key))
            .map_err(|_| invalid(format!("cannot read option {key:?}")))?;
        Ok((!v.is_undefined() && !v.is_null()).then_some(v))
    };
    if let Some(v) = get("table")? {
        o.decoder.table = Some(string(&v, "table")?.parse::<Table>()?);
    }
    if let Some(v) = get("format")? {
        let f = string(&v, "format")?;
        match (f.to_ascii_lowercase().as_str(), entry) {
            ("parquet", _) => o.format = Format::Parquet(Codec::Core(Compression::Snappy)),
            ("ipc" | "arrow", Entry::Convert) => o.format = Format::Ipc,
            (_, Entry::Convert) => {
                return Err(invalid(format!(
                    "unknown format {f:?}; expected \"ipc\" or \"parquet\""
                )))
            }
            (_, Entry::ToParquet) => {
                return Err(invalid(format!(
                    "toParquet writes Parquet; format {f:?} is not accepted (use convert)"
                )))
            }
        }
    }
    if let Some(v) = get("compression")? {
        let c = codec(&string(&v, "compression")?)?;
        match &mut o.format {
            Format::Parquet(codec) => *codec = c,
            Format::Ipc => return Err(invalid(
                "compression applies to Parquet output: add format: \"parquet\" (or use toParquet)",
            )),
        }
    }
    if let Some(v) = get("batchSize")? {
        o.decoder.batch_size = integer(&v, "batchSize", 1, MAX_BATCH_SIZE)?;
    }
    if let Some(v) = get("batchBytes")? {
        o.decoder.batch_bytes = integer(&v, "batchBytes", 1, MAX_BATCH_BYTES)?;
    }
    if let Some(v) = get("sourceName")? {
        o.source = string(&v, "sourceName")?;
    }
    if let Some(v) = get("maxRejects")? {
        o.max_rejects = integer(&v, "maxRejects", 0, u32::MAX as usize)?;
    }
    if let Some(v) = get("previewRows")? {
        o.preview_rows = integer(&v, "previewRows", 0, MAX_PREVIEW_ROWS)?;
    }
    if let Some(v) = get("maxLineBytes")? {
        o.decoder.limits.max_line_bytes = integer(&v, "maxLineBytes", 1, u32::MAX as usize - 1)?;
    }
    if let Some(v) = get("maxDecompressionRatio")? {
        o.decoder.limits.max_decompression_ratio =
            integer(&v, "maxDecompressionRatio", 0, u32::MAX as usize)? as u64;
    }
    Ok(o)
}

fn string(v: &JsValue, key: &str) -> Result<String> {
    v.as_string().ok_or_else(|| {
        invalid(format!(
            "option {key:?} must be a string, not {}",
            type_of(v)
        ))
    })
}

fn integer(v: &JsValue, key: &str, min: usize, max: usize) -> Result<usize> {
    let n = v.as_f64().ok_or_else(|| {
        invalid(format!(
            "option {key:?} must be a number, not {}",
            type_of(v)
        ))
    })?;
    if n.fract() != 0.0 || !(min as f64..=max as f64).contains(&n) {
        return Err(invalid(format!(
            "option {key:?} must be an integer from {min} to {max}, not {n}"
        )));
    }
    Ok(n as usize)
}

/// Parses a Parquet codec name: the core's (`snappy`, `gzip[:LEVEL]`, `lz4_raw`, `none`,
/// `zstd[:LEVEL]` with the zstd feature) or `brotli[:LEVEL]` (brotli feature).
pub fn codec(s: &str) -> Result<Codec> {
    let lower = s.trim().to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("brotli") {
        let level = match rest.strip_prefix(':') {
            None if rest.is_empty() => 1,
            Some(l) => match l.parse::<u32>() {
                Ok(l) if l <= 11 => l,
                _ => return Err(invalid(format!("bad compression level in {s:?}"))),
            },
            None => return Err(unknown_codec(s)),
        };
        if !cfg!(feature = "brotli") {
            return Err(Error::Unsupported("brotli"));
        }
        return Ok(Codec::Brotli(level));
    }
    match lower.parse::<Compression>() {
        Ok(c) => Ok(Codec::Core(c)),
        Err(Error::InvalidArgument(m)) if m.starts_with("unknown compression") => {
            Err(unknown_codec(s))
        }
        Err(e) => Err(e),
    }
}

fn unknown_codec(s: &str) -> Error {
    let mut names = vec!["snappy", "gzip[:LEVEL]", "lz4_raw", "none"];
    if cfg!(feature = "zstd") {
        names.push("zstd[:LEVEL]");
    }
    if cfg!(feature = "brotli") {
        names.push("brotli[:LEVEL]");
    }
    invalid(format!(
        "unknown compression {s:?}; this build offers {}",
        names.join(", ")
    ))
}
