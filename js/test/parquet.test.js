// Parquet from toParquet / Converter, read back by independent readers: pyarrow and DuckDB (the
// project venv, via test/read_parquet.py), compared with the Arrow IPC output of the same input.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Converter, convert, parquetCodecs, toParquet } from "netskope-arrow";
import { allSamples, concat, python, readWithPython, rng, randomChunks, sample } from "./helpers.js";

const PY = python();
const skipPy = PY ? false : "SKIPPED: no Python with pyarrow and duckdb (set NETSKOPE_ARROW_PYTHON or run scripts/test-js.sh)";

const PAR1 = [0x50, 0x41, 0x52, 0x31];
const isParquet = (b) => PAR1.every((x, i) => b[i] === x && b[b.length - 4 + i] === x);

test("toParquet writes one Parquet file per non-empty table", () => {
  const r = toParquet(allSamples());
  assert.equal(r.format, "parquet");
  assert.equal(r.compression, "snappy");
  assert.equal(Object.keys(r.tables).length, 9);
  for (const bytes of Object.values(r.tables)) assert.ok(isParquet(bytes));
  assert.equal(r.stats.rejects, 3);
  assert.deepEqual(Object.keys(toParquet(sample("tenant-export-v1.ndjson")).tables).length, 4);
});

test("pyarrow and DuckDB read our Parquet: same rows and values as the Arrow IPC output", { skip: skipPy }, () => {
  const input = allSamples();
  const ipc = convert(input);
  for (const compression of parquetCodecs().flatMap((c) => (c === "gzip" ? ["gzip", "gzip:9"] : [c]))) {
    const pq = toParquet(input, { compression });
    const pairs = Object.keys(pq.tables).map((table) => ({ table, parquet: pq.tables[table], ipc: ipc.tables[table] }));
    const report = readWithPython(PY, pairs);
    for (const [table, got] of Object.entries(report)) {
      assert.equal(got.rows, ipc.stats.rows[table], `${table} rows (${compression})`);
      assert.equal(got.duckdb_rows, ipc.stats.rows[table], `${table} DuckDB rows (${compression})`);
      assert.equal(got.equal_schema, true, `${table} schema (${compression})`);
      assert.equal(got.equal_ipc, true, `${table} values (${compression})`);
      assert.match(got.created_by, /^netskope-arrow /);
      const codec = { snappy: "SNAPPY", gzip: "GZIP", lz4_raw: "LZ4" /* pyarrow calls LZ4_RAW "LZ4" */, none: "UNCOMPRESSED", zstd: "ZSTD", brotli: "BROTLI" };
      assert.equal(got.codec, codec[compression.split(":")[0]], `${table} codec`);
      if (got.timestamp_type) assert.equal(got.timestamp_type, 'timestamp[ms, tz=UTC]');
    }
    // Exact 64-bit IDs through both readers.
    const ids = report.netskope_application_events.transaction_ids;
    assert.ok(ids.includes("9012345678901234567"), `pyarrow ids ${ids}`);
    assert.ok(report.netskope_application_events.duckdb_transaction_ids.includes("9012345678901234567"));
    assert.ok(report.netskope_alerts.transaction_ids.includes("8935141660703064081"));
  }
});

test("the README's 8847222077216958610 is exact in Parquet as read by pyarrow and DuckDB", { skip: skipPy }, () => {
  const line = '{"type":"nspolicy","alert":"yes","alert_type":"policy","transaction_id":8847222077216958610}\n';
  const pq = toParquet(new TextEncoder().encode(line));
  const report = readWithPython(PY, [{ table: "netskope_alerts", parquet: pq.tables.netskope_alerts }]);
  assert.deepEqual(report.netskope_alerts.transaction_ids, ["8847222077216958610"]);
  assert.deepEqual(report.netskope_alerts.duckdb_transaction_ids, ["8847222077216958610"]);
});

test("a streamed Parquet conversion equals the one-call result, takeOutput pieces included", () => {
  // Small row groups so that output appears before finish().
  const input = concat(Array.from({ length: 40 }, () => allSamples()));
  const whole = toParquet(input, { batchSize: 64 });
  const r = rng(7);
  const conv = new Converter({ format: "parquet", batchSize: 64 });
  const pieces = {};
  for (const chunk of randomChunks(input, r, 20000)) {
    conv.push(chunk);
    for (const [t, b] of Object.entries(conv.takeOutput())) (pieces[t] ??= []).push(b);
  }
  const last = conv.finish();
  for (const [t, b] of Object.entries(last.tables)) (pieces[t] ??= []).push(b);
  assert.deepEqual(Object.keys(pieces).sort(), Object.keys(whole.tables).sort());
  for (const [t, parts] of Object.entries(pieces)) assert.deepEqual(concat(parts), whole.tables[t], t);
});

test("a codec this build lacks is an UnsupportedError, an unknown one an InvalidArgumentError", () => {
  for (const c of ["zstd", "brotli"]) {
    if (parquetCodecs().includes(c)) {
      assert.equal(toParquet(sample("api-response-v1.json"), { compression: c }).compression.split(":")[0], c);
    } else {
      assert.throws(() => toParquet(new Uint8Array(), { compression: c }), { name: "UnsupportedError" });
    }
  }
  assert.throws(() => toParquet(new Uint8Array(), { compression: "lzo" }), { name: "InvalidArgumentError", message: /unknown compression "lzo"/ });
  assert.throws(() => toParquet(new Uint8Array(), { compression: "gzip:10" }), { name: "InvalidArgumentError" });
  assert.throws(() => convert(new Uint8Array(), { compression: "snappy" }), { name: "InvalidArgumentError", message: /format: "parquet"/ });
  assert.throws(() => toParquet(new Uint8Array(), { format: "ipc" }), { name: "InvalidArgumentError" });
});
