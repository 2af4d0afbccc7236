// The build with the opt-in features (scripts/build-wasm.sh --features zstd,brotli --out
// js/pkg-full): zstd input, zstd and brotli Parquet read back by pyarrow and DuckDB. Runs when
// NETSKOPE_ARROW_PKG points at that build's nodejs module (scripts/test-js.sh sets it).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { test } from "node:test";
import { allSamples, concat, python, randomChunks, readWithPython, rng } from "./helpers.js";

const PKG = process.env.NETSKOPE_ARROW_PKG;
const PY = python();
const skip = !PKG
  ? "SKIPPED: set NETSKOPE_ARROW_PKG to a zstd+brotli build (scripts/test-js.sh does)"
  : !PY
    ? "SKIPPED: no Python with pyarrow and duckdb"
    : false;
const m = PKG ? createRequire(import.meta.url)(PKG) : null;

/** zstd-compresses bytes with pyarrow (an independent encoder). */
function zstd(bytes) {
  const code = "import sys, pyarrow as pa; sys.stdout.buffer.write(pa.compress(sys.stdin.buffer.read(), 'zstd', asbytes=True))";
  return new Uint8Array(execFileSync(PY, ["-c", code], { input: bytes, maxBuffer: 256 << 20 }));
}

test("the full build offers zstd and brotli", { skip }, () => {
  assert.deepEqual(m.parquetCodecs(), ["snappy", "gzip", "lz4_raw", "none", "zstd", "brotli"]);
});

test("zstd input, whole and streamed, gives the same tables as plain input", { skip }, () => {
  const plain = concat([allSamples(), allSamples()]);
  const want = m.convert(plain);
  const z = zstd(plain);
  assert.deepEqual([...z.subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd]);
  const got = m.convert(z);
  assert.equal(got.inputCompression, "zstd");
  assert.deepEqual(got.tables, want.tables);
  const r = rng(11);
  for (let round = 0; round < 10; round++) {
    const conv = new m.Converter();
    for (const c of randomChunks(z, r, [1, 7, 500, 40000][round % 4])) conv.push(c);
    assert.deepEqual(conv.finish().tables, want.tables, `round ${round}`);
    conv.free();
  }
  // Concatenated frames, and a truncated frame.
  assert.equal(m.convert(concat([z, z])).stats.totalRows, 2 * want.stats.totalRows);
  assert.throws(() => m.convert(z.subarray(0, z.length - 5), { sourceName: "x.ndjson.zst" }), {
    name: "DecompressError",
    message: /^cannot decompress x\.ndjson\.zst: /,
  });
});

test("zstd and brotli Parquet read back by pyarrow and DuckDB", { skip }, () => {
  const input = allSamples();
  const ipc = m.convert(input);
  for (const [compression, codec] of [["zstd", "ZSTD"], ["zstd:19", "ZSTD"], ["brotli", "BROTLI"], ["brotli:9", "BROTLI"]]) {
    const pq = m.toParquet(input, { compression });
    assert.equal(pq.compression.split(":")[0], compression.split(":")[0]);
    const pairs = Object.keys(pq.tables).map((table) => ({ table, parquet: pq.tables[table], ipc: ipc.tables[table] }));
    for (const [table, got] of Object.entries(readWithPython(PY, pairs))) {
      assert.equal(got.codec, codec, `${table} ${compression}`);
      assert.equal(got.rows, ipc.stats.rows[table]);
      assert.equal(got.duckdb_rows, ipc.stats.rows[table]);
      assert.equal(got.equal_ipc, true, `${table} values (${compression})`);
    }
  }
  assert.throws(() => m.toParquet(input, { compression: "brotli:12" }), { name: "InvalidArgumentError" });
  assert.throws(() => m.toParquet(input, { compression: "zstd:23" }), { name: "InvalidArgumentError" });
});
