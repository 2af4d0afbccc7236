//! # netskope-arrow-wasm
//!
//! The WebAssembly facade of [`netskope_arrow`], published as the npm package `netskope-arrow`:
//! Netskope NDJSON exports (plain, gzip, or zstd with the `zstd` feature) become Arrow IPC stream
//! bytes (for apache-arrow's `tableFromIPC`) or Parquet bytes per table, entirely client-side.
//!
//! Every export is a thin `#[wasm_bindgen]` wrapper over [`engine::Engine`] (plain Rust). Arrow
//! crosses the boundary as bytes, never as per-row JavaScript objects; errors are JavaScript
//! `Error`s whose `name` tells the kind (see [`error::to_js`]).
#![warn(missing_docs)]

mod alloc;
pub mod engine;
pub mod error;
pub mod options;

use js_sys::{Array, Object, Reflect, Uint8Array};
use netskope_arrow::{columns, InputCompression, Reject, Stats, Table};
use wasm_bindgen::prelude::*;

use crate::engine::{Engine, Format, Output};
use crate::error::{invalid, to_js, type_of};
use crate::options::Entry;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** The name of one of the nine tables. */
export type TableName =
  | "netskope_audit_events"
  | "netskope_application_events"
  | "netskope_alerts"
  | "netskope_page_events"
  | "netskope_network_events"
  | "netskope_incident_events"
  | "netskope_infrastructure_events"
  | "netskope_endpoint_events"
  | "netskope_unknown";

/** Options of {@link convert} and {@link Converter}. Every key is optional; unknown keys are an error. */
export interface ConvertOptions {
  /**
   * Put every record into this table instead of routing it, e.g. for an export of
   * `/events/application`. Short names work: "alerts", "application", "netskope_page_events".
   */
  table?: string;
  /** "ipc" (Arrow IPC stream, the default) or "parquet". */
  format?: "ipc" | "parquet";
  /**
   * Parquet codec (format "parquet" only): "snappy" (default), "gzip", "gzip:LEVEL", "lz4_raw",
   * "none"; "zstd[:LEVEL]" and "brotli[:LEVEL]" in builds with those features.
   */
  compression?: string;
  /** Most rows in a record batch (default 8192, 1 to 1048576). */
  batchSize?: number;
  /** Most input bytes in a record batch of a table (default 8388608, 8 MiB; 1 to 268435456). */
  batchBytes?: number;
  /** Name of the input in rejects (default "<input>"), e.g. the file name. */
  sourceName?: string;
  /** Most rejects returned in detail (default 10000); `stats.rejects` counts them all. */
  maxRejects?: number;
  /** Also return the first N rows of each table as a small Arrow IPC stream in `preview` (default 0). */
  previewRows?: number;
  /** Longest accepted line in bytes (default 67108864, 64 MiB); longer lines are rejects. */
  maxLineBytes?: number;
  /**
   * Largest accepted ratio of decompressed to compressed bytes of a gzip or zstd input
   * (default 500; 0: no limit). The first 16 MiB are always accepted. Exceeding it stops the
   * conversion with a `DecompressError` naming `Limits::max_decompression_ratio`.
   */
  maxDecompressionRatio?: number;
}

/** Options of {@link toParquet}: {@link ConvertOptions} without `format`. */
export type ParquetOptions = Omit<ConvertOptions, "format">;

/** A line (or an element of a saved API response) that is not a usable JSON object. */
export interface Reject {
  /** The input's name (`sourceName`). */
  source: string;
  /** 1-based line number in the (decompressed) input. */
  line: number;
  /** Byte offset of the line's first byte in the (decompressed) input. */
  offset: number;
  /** What is wrong, e.g. "truncated JSON: unterminated string (at byte 941 of the line)". */
  error: string;
  /** The line as text (invalid UTF-8 replaced by U+FFFD). */
  raw: string;
  /** The line's exact bytes, without its line end. */
  rawBytes: Uint8Array;
  /** Whether `raw` is only the start of an over-long line. */
  rawTruncated: boolean;
}

/** Counters of a conversion. */
export interface Stats {
  /** Rows per table, every table listed. */
  rows: Record<TableName, number>;
  /** Rows in all tables. */
  totalRows: number;
  /** Rejected lines (all of them, even beyond `maxRejects`). */
  rejects: number;
  /** Lines holding only whitespace, skipped. */
  blankLines: number;
  /** Lines seen, blank ones included. */
  lines: number;
  /** NDJSON bytes decoded (after decompression). */
  bytesIn: number;
  /** Bytes given to the converter (before decompression). */
  inputBytes: number;
  /** Records that came out of a saved API response (`{"ok":1,"result":[...]}`). */
  unwrapped: number;
}

/** What {@link convert}, {@link toParquet} and {@link Converter.finish} return. */
export interface ConvertResult {
  /**
   * One Arrow IPC stream (format "ipc") or Parquet file (format "parquet") per table that
   * received rows. For a {@link Converter}, the bytes not yet taken by `takeOutput()`.
   */
  tables: Partial<Record<TableName, Uint8Array>>;
  /** The first `previewRows` rows of each non-empty table as an Arrow IPC stream. */
  preview: Partial<Record<TableName, Uint8Array>>;
  /** Rejected lines, at most `maxRejects` of them. */
  rejects: Reject[];
  /** Counters. */
  stats: Stats;
  /** The output format. */
  format: "ipc" | "parquet";
  /** The Parquet codec ("snappy", "gzip:6", ...), or null for Arrow IPC. */
  compression: string | null;
  /** Compression detected in the input by its magic bytes. */
  inputCompression: "none" | "gzip" | "zstd";
}

/** One column of a table's schema. */
export interface Column {
  /** Netskope's field name (`_extra` and `_src_time_local` are added by netskope-arrow). */
  name: string;
  /** The Arrow type, e.g. "Int64", "Timestamp(ms, \"UTC\")". */
  type: string;
  /** How values are decoded: string, int64, float64, bool, timestamp, string_list, json, ... */
  kind: string;
  /** Where the column comes from (dictionary section, "derived: ...", ...). */
  origin: string;
}
"#;

#[cfg(feature = "debug")]
#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// Converts a whole Netskope export (NDJSON, a saved API response, gzip- or zstd-compressed)
/// into one Arrow IPC stream per table, plus the rejected lines and counters.
///
/// Records are routed to the nine tables with their fixed schemas; 64-bit IDs stay exact
/// (apache-arrow reads them as `BigInt`) and epoch times become `Timestamp(ms, "UTC")`.
/// Lines that are not JSON objects become `rejects` with their line numbers; they do not make
/// the call fail. Input is read in 1 MiB pieces, so a large buffer is not copied whole into
/// WebAssembly memory.
///
/// @throws {Error} `InvalidArgumentError` for unusable options or input type, `DecompressError`
/// for a corrupt or truncated gzip / zstd input, `UnsupportedError` for zstd input in a build
/// without zstd.
///
/// @example
/// ```js
/// import { convert } from "netskope-arrow";
/// import { tableFromIPC } from "apache-arrow";
/// const bytes = new Uint8Array(await file.arrayBuffer());          // .ndjson or .ndjson.gz
/// const { tables, rejects, stats } = convert(bytes, { sourceName: file.name });
/// const alerts = tableFromIPC(tables.netskope_alerts);
/// console.log(alerts.numRows, alerts.getChild("transaction_id").get(0)); // 8847222077216958610n
/// for (const r of rejects) console.warn(`${r.source}:${r.line}: ${r.error}`);
/// ```
#[wasm_bindgen(unchecked_return_type = "ConvertResult")]
pub fn convert(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer")] input: &JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "ConvertOptions")] options: &JsValue,
) -> Result<JsValue, JsValue> {
    run(input, options, Entry::Convert)
}

/// Converts a whole Netskope export into one Parquet file per table (snappy by default), plus
/// the rejected lines and counters: `toParquet(input, opts)` is
/// `convert(input, { ...opts, format: "parquet" })`.
///
/// The files carry page statistics and row groups of at most 1M rows / 24 MiB, and read back
/// with pyarrow, DuckDB, polars or Spark.
///
/// @throws {Error} as {@link convert}.
///
/// @example
/// ```js
/// import { toParquet } from "netskope-arrow";
/// const { tables, stats } = toParquet(bytes, { compression: "gzip" });
/// for (const [name, parquet] of Object.entries(tables)) {
///   const url = URL.createObjectURL(new Blob([parquet]));        // offer `${name}.parquet`
/// }
/// ```
#[wasm_bindgen(js_name = toParquet, unchecked_return_type = "ConvertResult")]
pub fn to_parquet(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer")] input: &JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "ParquetOptions")] options: &JsValue,
) -> Result<JsValue, JsValue> {
    run(input, options, Entry::ToParquet)
}

fn run(input: &JsValue, options: &JsValue, entry: Entry) -> Result<JsValue, JsValue> {
    let options = options::parse(options, entry).map_err(to_js)?;
    let format = options.format;
    let input = uint8_array(input).map_err(to_js)?;
    let mut engine = Engine::new(options).map_err(to_js)?;
    push_array(&mut engine, &input).map_err(to_js)?;
    let out = engine.finish().map_err(to_js)?;
    Ok(output_to_js(out, format))
}

/// Size of the pieces copied from a JavaScript buffer into WebAssembly memory.
const PIECE: usize = 1 << 20;

/// The bytes of a `Uint8Array`, another typed array or DataView, or an `ArrayBuffer`.
fn uint8_array(input: &JsValue) -> netskope_arrow::Result<Uint8Array> {
    let array = any_uint8_array(input)?;
    // Lengths cross the boundary as 32-bit numbers: refuse rather than read part of the input.
    let len = Reflect::get(&array, &JsValue::from_str("length"))
        .ok()
        .and_then(|l| l.as_f64())
        .unwrap_or(0.0);
    if len > u32::MAX as f64 {
        return Err(invalid(format!(
            "input of {len} bytes is larger than 4 GiB: push it to a Converter in chunks"
        )));
    }
    Ok(array)
}

fn any_uint8_array(input: &JsValue) -> netskope_arrow::Result<Uint8Array> {
    if let Some(a) = input.dyn_ref::<Uint8Array>() {
        return Ok(a.clone());
    }
    if js_sys::ArrayBuffer::is_view(input) {
        let get = |k: &str| Reflect::get(input, &JsValue::from_str(k)).ok();
        if let (Some(buf), Some(off), Some(len)) =
            (get("buffer"), get("byteOffset"), get("byteLength"))
        {
            let (off, len) = (off.as_f64().unwrap_or(0.0), len.as_f64().unwrap_or(0.0));
            return Ok(Uint8Array::new_with_byte_offset_and_length(
                &buf, off as u32, len as u32,
            ));
        }
    }
    if input.is_instance_of::<js_sys::ArrayBuffer>()
        || input.is_instance_of::<js_sys::SharedArrayBuffer>()
    {
        return Ok(Uint8Array::new(input));
    }
    Err(invalid(format!(
        "input must be a Uint8Array or an ArrayBuffer, not {}",
        type_of(input)
    )))
}

fn push_array(engine: &mut Engine, input: &Uint8Array) -> netskope_arrow::Result<()> {
    let len = input.length() as usize;
    let mut buf = vec![0u8; len.min(PIECE)];
    let mut at = 0;
    while at < len {
        let end = (at + PIECE).min(len);
        let piece = &mut buf[..end - at];
        input.subarray(at as u32, end as u32).copy_to(piece);
        engine.push(piece)?;
        at = end;
    }
    Ok(())
}

/// A streaming conversion for inputs too large to hold in memory, such as a multi-GB
/// `File.stream()`: `push` chunks of any size (records and gzip blocks may span chunks), then
/// `finish()`. gzip (and, in zstd builds, zstd) input is detected from the first bytes.
///
/// Each finished record batch is encoded at once into its table's Arrow IPC stream or Parquet
/// file, so memory holds one batch per table, a Parquet row group per table and the output so
/// far; `takeOutput()` hands the output over early (for example to a `FileSystemWritableFileStream`).
///
/// After an error the converter is stopped: later calls throw, naming the first error.
///
/// @example
/// ```js
/// import { Converter } from "netskope-arrow";
/// const conv = new Converter({ format: "parquet", sourceName: file.name });
/// for await (const chunk of file.stream()) {
///   conv.push(chunk);
///   progress.value = conv.inputBytes / file.size;
/// }
/// const { tables, rejects, stats } = conv.finish();
/// conv.free();
/// ```
#[wasm_bindgen]
pub struct Converter {
    engine: Engine,
    format: Format,
}

#[wasm_bindgen]
impl Converter {
    /// Starts a conversion with the options of {@link convert} (`format`, `compression`,
    /// `table`, `batchSize`, `batchBytes`, `sourceName`, `maxRejects`, `previewRows`).
    ///
    /// @throws {Error} `InvalidArgumentError` for unusable options, `UnsupportedError` for a
    /// codec this build lacks.
    ///
    /// @example
    /// ```js
    /// const conv = new Converter({ table: "application", format: "parquet", compression: "lz4_raw" });
    /// ```
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "ConvertOptions")] options: &JsValue,
    ) -> Result<Converter, JsValue> {
        let options = options::parse(options, Entry::Convert).map_err(to_js)?;
        let format = options.format;
        let engine = Engine::new(options).map_err(to_js)?;
        Ok(Converter { engine, format })
    }

    /// Feeds the next chunk of the input (a `Uint8Array`, as `File.stream()` yields, or an
    /// `ArrayBuffer`). Returns once the chunk is decoded and encoded.
    ///
    /// @throws {Error} `DecompressError` for corrupt compressed input, `InvalidArgumentError`
    /// for a chunk that is not bytes or a converter that is finished or stopped.
    ///
    /// @example
    /// ```js
    /// const reader = file.stream().getReader();
    /// for (let r = await reader.read(); !r.done; r = await reader.read()) conv.push(r.value);
    /// ```
    pub fn push(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer")] chunk: &JsValue,
    ) -> Result<(), JsValue> {
        let chunk = uint8_array(chunk).map_err(to_js)?;
        push_array(&mut self.engine, &chunk).map_err(to_js)
    }

    /// Ends the input: decodes the last line, closes every table's stream or file and returns
    /// the result (as {@link convert}). The converter cannot be used afterwards.
    ///
    /// @throws {Error} `DecompressError` for a truncated gzip / zstd input.
    ///
    /// @example
    /// ```js
    /// const { tables, rejects, stats } = conv.finish();
    /// console.log(stats.rows.netskope_alerts, "alerts,", stats.rejects, "rejects");
    /// ```
    #[wasm_bindgen(unchecked_return_type = "ConvertResult")]
    pub fn finish(&mut self) -> Result<JsValue, JsValue> {
        let out = self.engine.finish().map_err(to_js)?;
        Ok(output_to_js(out, self.format))
    }

    /// Takes the output bytes produced so far, per table (tables with nothing new are left
    /// out). A table's complete stream or file is the concatenation of every `takeOutput()`
    /// piece and, last, its bytes in `finish().tables`.
    ///
    /// @example
    /// ```js
    /// conv.push(chunk);
    /// for (const [name, bytes] of Object.entries(conv.takeOutput())) await writers[name].write(bytes);
    /// ```
    #[wasm_bindgen(js_name = takeOutput, unchecked_return_type = "Partial<Record<TableName, Uint8Array>>")]
    pub fn take_output(&mut self) -> Result<JsValue, JsValue> {
        let parts = self.engine.take_output().map_err(to_js)?;
        Ok(table_bytes(&parts).into())
    }

    /// Bytes pushed so far (before decompression): progress against `File.size`.
    ///
    /// @example
    /// ```js
    /// bar.value = conv.inputBytes / file.size;
    /// ```
    #[wasm_bindgen(getter, js_name = inputBytes)]
    pub fn input_bytes(&self) -> f64 {
        self.engine.input_bytes() as f64
    }

    /// Counters so far, or `null` once finished.
    ///
    /// @example
    /// ```js
    /// console.log(conv.stats?.totalRows);
    /// ```
    #[wasm_bindgen(getter, unchecked_return_type = "Stats | null")]
    pub fn stats(&self) -> JsValue {
        match self.engine.stats() {
            Some(s) => stats_to_js(s, self.engine.input_bytes()).into(),
            None => JsValue::NULL,
        }
    }
}

/// The names of the nine tables, in a fixed order.
///
/// @example
/// ```js
/// import { tableNames } from "netskope-arrow";
/// tableNames(); // ["netskope_audit_events", "netskope_application_events", "netskope_alerts", ...]
/// ```
#[wasm_bindgen(js_name = tableNames, unchecked_return_type = "TableName[]")]
pub fn table_names() -> JsValue {
    Table::ALL
        .iter()
        .map(|t| JsValue::from_str(t.name()))
        .collect::<Array>()
        .into()
}

/// The schema of a table: its columns in order, each `{ name, type, kind, origin }`. The table
/// name may be short ("alerts") or full ("netskope_alerts"). The Arrow schema itself is in any
/// converted table (`tableFromIPC(bytes).schema`).
///
/// @throws {Error} `InvalidArgumentError` for an unknown table name.
///
/// @example
/// ```js
/// import { schema } from "netskope-arrow";
/// schema("alerts").find((c) => c.name === "transaction_id"); // { name: "transaction_id", type: "Int64", kind: "int64", ... }
/// ```
#[wasm_bindgen(unchecked_return_type = "Column[]")]
pub fn schema(
    #[wasm_bindgen(unchecked_param_type = "string")] table: &JsValue,
) -> Result<JsValue, JsValue> {
    let name = table.as_string().ok_or_else(|| {
        to_js(invalid(format!(
            "table must be a string, not {}",
            type_of(table)
        )))
    })?;
    let table: Table = name.parse().map_err(to_js)?;
    let out = Array::new();
    for c in columns(table) {
        let o = Object::new();
        set(&o, "name", &c.name.into());
        set(&o, "type", &c.kind.data_type().to_string().into());
        set(&o, "kind", &c.kind.name().into());
        set(&o, "origin", &c.origin.into());
        out.push(&o);
    }
    Ok(out.into())
}

/// The Parquet codecs this build can write, e.g. `["snappy", "gzip", "lz4_raw", "none"]` (plus
/// "zstd" and "brotli" in builds with those features).
///
/// @example
/// ```js
/// import { parquetCodecs } from "netskope-arrow";
/// if (parquetCodecs().includes("zstd")) opts.compression = "zstd";
/// ```
#[wasm_bindgen(js_name = parquetCodecs, unchecked_return_type = "string[]")]
pub fn parquet_codecs() -> JsValue {
    let mut names = vec!["snappy", "gzip", "lz4_raw", "none"];
    if cfg!(feature = "zstd") {
        names.push("zstd");
    }
    if cfg!(feature = "brotli") {
        names.push("brotli");
    }
    names
        .into_iter()
        .map(JsValue::from_str)
        .collect::<Array>()
        .into()
}

/// The package version (the same as the Rust core's).
///
/// @example
/// ```js
/// import { version } from "netskope-arrow";
/// console.log(version()); // "0.1.0"
/// ```
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

fn set(o: &Object, key: &str, value: &JsValue) {
    // Setting a property of a plain object cannot fail.
    let _ = Reflect::set(o, &JsValue::from_str(key), value);
}

fn table_bytes(parts: &[(Table, Vec<u8>)]) -> Object {
    let o = Object::new();
    for (t, bytes) in parts {
        set(&o, t.name(), &Uint8Array::from(&bytes[..]).into());
    }
    o
}

fn stats_to_js(s: &Stats, input_bytes: u64) -> Object {
    let o = Object::new();
    let rows = Object::new();
    for t in Table::ALL {
        set(&rows, t.name(), &(s.rows_in(t) as f64).into());
    }
    set(&o, "rows", &rows);
    set(&o, "totalRows", &(s.total_rows() as f64).into());
    set(&o, "rejects", &(s.rejects as f64).into());
    set(&o, "blankLines", &(s.blank_lines as f64).into());
    set(&o, "lines", &(s.lines as f64).into());
    set(&o, "bytesIn", &(s.bytes_in as f64).into());
    set(&o, "inputBytes", &(input_bytes as f64).into());
    set(&o, "unwrapped", &(s.unwrapped as f64).into());
    o
}

fn reject_to_js(r: &Reject) -> Object {
    let o = Object::new();
    set(&o, "source", &(*r.source).into());
    set(&o, "line", &(r.line as f64).into());
    set(&o, "offset", &(r.offset as f64).into());
    set(&o, "error", &r.error.as_str().into());
    set(&o, "raw", &String::from_utf8_lossy(&r.raw).as_ref().into());
    set(&o, "rawBytes", &Uint8Array::from(&r.raw[..]).into());
    set(&o, "rawTruncated", &r.raw_truncated.into());
    o
}

fn output_to_js(out: Output, format: Format) -> JsValue {
    let o = Object::new();
    set(&o, "tables", &table_bytes(&out.tables));
    set(&o, "preview", &table_bytes(&out.preview));
    let rejects: Array = out.rejects.iter().map(reject_to_js).collect();
    set(&o, "rejects", &rejects);
    set(&o, "stats", &stats_to_js(&out.stats, out.input_bytes));
    let (name, codec) = match format {
        Format::Ipc => ("ipc", JsValue::NULL),
        Format::Parquet(c) => ("parquet", c.to_string().into()),
    };
    set(&o, "format", &name.into());
    set(&o, "compression", &codec);
    let input = match out.input_compression {
        InputCompression::None => "none",
        InputCompression::Gzip => "gzip",
        InputCompression::Zstd => "zstd",
    };
    set(&o, "inputCompression", &input.into());
    o.into()
}
