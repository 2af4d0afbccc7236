// Converter.push at random split points gives exactly the one-call result (IPC bytes, rejects,
// counters), for plain and gzip input, as the Rust core's `any_chunking_gives_identical_batches`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { Converter, convert } from "netskope-arrow";
import { allSamples, concat, randomChunks, rng, sample } from "./helpers.js";

function streamed(chunks, options) {
  const conv = new Converter(options);
  for (const c of chunks) conv.push(c);
  const progress = conv.inputBytes;
  const out = conv.finish();
  conv.free();
  assert.equal(progress, out.stats.inputBytes);
  return out;
}

function same(a, b, what) {
  assert.deepEqual(a.tables, b.tables, `${what}: tables`);
  assert.deepEqual(a.rejects, b.rejects, `${what}: rejects`);
  assert.deepEqual(a.stats, b.stats, `${what}: stats`);
  assert.equal(a.inputCompression, b.inputCompression);
}

test("any chunking gives identical tables, rejects and counters", () => {
  const bytes = allSamples();
  const options = { batchSize: 7, sourceName: "all" };
  const whole = convert(bytes, options);
  const r = rng(0x9e3779b97f4a7c15n);
  for (let round = 0; round < 40; round++) {
    const max = [3, 97, 4096, 50000][round % 4];
    same(streamed(randomChunks(bytes, r, max), options), whole, `round ${round}`);
  }
  const oneByte = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
  same(streamed(oneByte, options), whole, "one byte at a time");
});

test("a pretty-printed API response decodes the same in any chunking", () => {
  const bytes = sample("api-response-v2-pretty.json");
  const whole = convert(bytes);
  assert.equal(whole.stats.totalRows, 3);
  for (const step of [1, 2, 3, 17, 4096]) {
    const chunks = [];
    for (let i = 0; i < bytes.length; i += step) chunks.push(bytes.subarray(i, i + step));
    same(streamed(chunks), whole, `step ${step}`);
  }
});

test("gzip input split at random points, the magic bytes included", () => {
  const bytes = concat([allSamples(), allSamples()]);
  const whole = convert(bytes);
  const gz = gzipSync(bytes);
  const r = rng(42);
  for (let round = 0; round < 20; round++) {
    const got = streamed(randomChunks(gz, r, [1, 5, 300, 70000][round % 4]));
    assert.equal(got.inputCompression, "gzip");
    assert.deepEqual(got.tables, whole.tables, `round ${round}`);
    assert.deepEqual(got.stats.rows, whole.stats.rows);
  }
});

test("takeOutput pieces plus finish() make the same Arrow IPC streams", () => {
  const bytes = concat(Array.from({ length: 20 }, () => allSamples()));
  const whole = convert(bytes, { batchSize: 16 });
  const conv = new Converter({ batchSize: 16 });
  const pieces = {};
  for (const c of randomChunks(bytes, rng(3), 5000)) {
    conv.push(c);
    for (const [t, b] of Object.entries(conv.takeOutput())) (pieces[t] ??= []).push(b);
  }
  assert.ok(Object.values(pieces).some((p) => p.length > 1), "output arrives before finish()");
  assert.ok(conv.stats.totalRows > 0 && conv.stats.totalRows <= whole.stats.totalRows, "counters so far");
  for (const [t, b] of Object.entries(conv.finish().tables)) (pieces[t] ??= []).push(b);
  for (const [t, parts] of Object.entries(pieces)) assert.deepEqual(concat(parts), whole.tables[t], t);
  assert.equal(conv.stats, null, "no counters once finished");
});

test("batchBytes closes a table's batches by input bytes", async () => {
  const { tableFromIPC } = await import("apache-arrow");
  const line = '{"type":"admin_audit_logs","user":"x"}';
  const bytes = new TextEncoder().encode(`${line}\n`.repeat(7));
  const batches = (options) =>
    tableFromIPC(convert(bytes, options).tables.netskope_audit_events).batches.map((b) => b.numRows);
  assert.deepEqual(batches({ batchBytes: 3 * line.length }), [3, 3, 1]);
  assert.deepEqual(batches({ batchBytes: 3 * line.length - 1 }), [2, 2, 2, 1]);
  assert.deepEqual(batches({ batchBytes: 3 * line.length, batchSize: 2 }), [2, 2, 2, 1]);
  assert.deepEqual(batches({}), [7]);
});

test("previewRows keeps the first rows of each table", async () => {
  const { tableFromIPC } = await import("apache-arrow");
  const bytes = concat(Array.from({ length: 5 }, () => allSamples()));
  const whole = convert(bytes);
  const r = convert(bytes, { previewRows: 4, batchSize: 3 });
  assert.deepEqual(Object.keys(r.preview), Object.keys(r.tables));
  for (const [t, b] of Object.entries(r.preview)) {
    const p = tableFromIPC(b);
    const full = tableFromIPC(whole.tables[t]);
    assert.equal(p.numRows, Math.min(4, full.numRows), t);
    assert.deepEqual(p.getChild("_id").toArray(), full.getChild("_id").toArray().slice(0, p.numRows));
  }
  assert.deepEqual(convert(bytes).preview, {});
});
