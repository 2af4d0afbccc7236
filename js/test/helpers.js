// Shared helpers of the Node tests: fixture paths, the expected totals of samples/MANIFEST.md,
// a seeded random generator, and the independent Parquet readers (pyarrow, DuckDB).
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { tableFromIPC } from "apache-arrow";

export const JS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const ROOT = path.resolve(JS_DIR, "..");
export const SAMPLES = path.join(ROOT, "samples");
export const SHARED = process.env.NETSKOPE_SHARED || path.join(ROOT, "..", "shared");

/** The bytes of a bundled sample (samples/NAME). */
export function sample(name) {
  return new Uint8Array(fs.readFileSync(path.join(SAMPLES, name)));
}

/** The samples concatenated, each ending with a newline (as tests/samples.rs `all_samples`). */
export function allSamples() {
  const parts = [];
  for (const n of [
    "tenant-export-v2.ndjson",
    "tenant-export-v1.ndjson",
    "api-response-v2.json",
    "api-response-v1.json",
  ]) {
    const b = sample(n);
    parts.push(b);
    if (b[b.length - 1] !== 0x0a) parts.push(new Uint8Array([0x0a]));
  }
  return concat(parts);
}

/** Concatenates byte arrays. */
export function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Non-zero row counts, table name -> rows. */
export function nonZero(rows) {
  return Object.fromEntries(Object.entries(rows).filter(([, n]) => n > 0));
}

/** A table of a result as an apache-arrow Table. */
export function arrow(result, table) {
  const bytes = result.tables[table];
  if (!bytes) throw new Error(`no table ${table} in the result`);
  return tableFromIPC(bytes);
}

/** The row whose `_id` is `id`, as { table, i }. */
export function rowById(table, id) {
  const ids = table.getChild("_id");
  for (let i = 0; i < table.numRows; i++) if (ids.get(i) === id) return i;
  throw new Error(`no _id ${id}`);
}

/** A deterministic xorshift generator: next() gives a float in [0, 1). */
export function rng(seed) {
  let x = BigInt(seed) || 0x9e3779b97f4a7c15n;
  const mask = (1n << 64n) - 1n;
  return {
    next() {
      x ^= (x << 13n) & mask;
      x ^= x >> 7n;
      x ^= (x << 17n) & mask;
      return Number(x % 1000000007n) / 1000000007;
    },
    int(n) {
      return Math.floor(this.next() * n);
    },
  };
}

/** Splits bytes at random points (chunks of 1 to maxChunk bytes). */
export function randomChunks(bytes, r, maxChunk) {
  const out = [];
  let at = 0;
  while (at < bytes.length) {
    const n = 1 + r.int(maxChunk);
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

/** The Python interpreter with pyarrow and duckdb (the project venv), or null. */
export function python() {
  const candidates = [process.env.NETSKOPE_ARROW_PYTHON, path.join(ROOT, ".venv", "bin", "python")];
  for (const p of candidates) {
    if (!p || !fs.existsSync(p)) continue;
    const ok = spawnSync(p, ["-c", "import pyarrow, duckdb"], { stdio: "ignore" });
    if (ok.status === 0) return p;
  }
  return null;
}

/** A fresh temporary directory. */
export function tempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), "netskope-arrow-js-"));
}

/**
 * Reads Parquet files with pyarrow and DuckDB (test/read_parquet.py) and compares each with the
 * Arrow IPC stream of the same table. Returns the script's JSON report.
 */
export function readWithPython(py, pairs) {
  const dir = tempDir();
  const spec = [];
  for (const { table, parquet, ipc } of pairs) {
    const p = path.join(dir, `${table}.parquet`);
    fs.writeFileSync(p, parquet);
    let i = null;
    if (ipc) {
      i = path.join(dir, `${table}.arrows`);
      fs.writeFileSync(i, ipc);
    }
    spec.push({ table, parquet: p, ipc: i });
  }
  const out = execFileSync(py, [path.join(JS_DIR, "test", "read_parquet.py")], {
    input: JSON.stringify(spec),
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  fs.rmSync(dir, { recursive: true, force: true });
  return JSON.parse(out);
}

/** Error names the package throws. */
export const ERROR_NAMES = new Set([
  "InputError",
  "OutputError",
  "IoError",
  "DecompressError",
  "InvalidArgumentError",
  "UnsupportedError",
  "ArrowError",
  "ParquetError",
]);
