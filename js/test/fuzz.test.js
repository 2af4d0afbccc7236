// Thousands of random, mutated and truncated buffers: the only outcomes are a result (with
// rejects) or a JavaScript Error with one of the package's names; never a WebAssembly trap
// (RuntimeError), a hang, or a broken module afterwards.
import assert from "node:assert/strict";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { tableFromIPC } from "apache-arrow";
import { Converter, convert, toParquet } from "netskope-arrow";
import { ERROR_NAMES, allSamples, randomChunks, rng, sample } from "./helpers.js";

const r = rng(20250306);
const SAMPLES = allSamples();
const GZ = gzipSync(SAMPLES);
const ALPHABET = new TextEncoder().encode('{}[]",:\\ \n\r\t0123456789.-+eEtrufalsn"\u00e9\u{1F6AB}');

function randomBytes(n, alphabet) {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = alphabet ? alphabet[r.int(alphabet.length)] : r.int(256);
  return b;
}

function mutate(src, edits) {
  const b = src.slice();
  for (let k = 0; k < edits; k++) b[r.int(b.length)] = r.int(256);
  return b;
}

/** Inputs of many kinds, each with a label for failure messages. */
function* inputs(count) {
  const pretty = sample("api-response-v2-pretty.json");
  const kinds = [
    () => ["random bytes", randomBytes(r.int(2000))],
    () => ["JSON-ish bytes", randomBytes(r.int(3000), ALPHABET)],
    () => ["truncated samples", SAMPLES.subarray(0, r.int(SAMPLES.length))],
    () => ["a slice of the samples", SAMPLES.subarray(r.int(SAMPLES.length), r.int(SAMPLES.length) + 5000)],
    () => ["mutated samples", mutate(SAMPLES.subarray(0, 20000), 1 + r.int(50))],
    () => ["truncated gzip", GZ.subarray(0, r.int(GZ.length))],
    () => ["mutated gzip", mutate(GZ, 1 + r.int(5))],
    () => ["gzip magic + random", new Uint8Array([0x1f, 0x8b, ...randomBytes(r.int(500))])],
    () => ["zstd magic + random", new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, ...randomBytes(r.int(500))])],
    () => ["truncated pretty document", pretty.subarray(0, r.int(pretty.length))],
    () => ["mutated pretty document", mutate(pretty, 1 + r.int(20))],
    () => ["deep nesting", new TextEncoder().encode("{\"a\":" + "[".repeat(r.int(3000)) + "\n")],
  ];
  for (let i = 0; i < count; i++) yield kinds[i % kinds.length]();
}

function check(label, run) {
  let result;
  try {
    result = run();
  } catch (e) {
    assert.ok(e instanceof Error, `${label}: threw a non-Error ${e}`);
    assert.ok(ERROR_NAMES.has(e.name), `${label}: ${e.name}: ${e.message}`);
    assert.ok(e.message.length > 0, `${label}: empty message`);
    return "error";
  }
  assert.equal(typeof result.stats.totalRows, "number", label);
  assert.ok(result.rejects.length <= result.stats.rejects, label);
  return result;
}

test("random, mutated and truncated buffers give results or Errors, never a trap", { timeout: 600_000 }, () => {
  const outcomes = { result: 0, error: 0, rejects: 0 };
  let n = 0;
  for (const [label, bytes] of inputs(3000)) {
    n++;
    const mode = n % 3;
    const started = Date.now();
    const got = check(`${label} #${n} (mode ${mode})`, () => {
      if (mode === 0) return convert(bytes);
      if (mode === 1) return toParquet(bytes, { batchSize: 1 + r.int(50) });
      const conv = new Converter({ batchSize: 1 + r.int(100) });
      try {
        for (const c of randomChunks(bytes, r, 1 + r.int(700))) conv.push(c);
        return conv.finish();
      } finally {
        conv.free();
      }
    });
    assert.ok(Date.now() - started < 10_000, `${label} #${n} took ${Date.now() - started} ms`);
    if (got === "error") {
      outcomes.error++;
    } else {
      outcomes.result++;
      if (got.stats.rejects > 0) outcomes.rejects++;
      if (got.format === "ipc") {
        for (const [t, b] of Object.entries(got.tables)) assert.equal(tableFromIPC(b).numRows, got.stats.rows[t], `${label}: ${t}`);
      }
    }
  }
  console.log(`fuzz outcomes over ${n} inputs: ${JSON.stringify(outcomes)}`);
  // The module still works after all that.
  assert.equal(convert(SAMPLES).stats.totalRows, 47);
  assert.ok(outcomes.result > 1000 && outcomes.error > 100 && outcomes.rejects > 500, JSON.stringify(outcomes));
});

test("bad arguments are InvalidArgumentErrors that name the problem", () => {
  const bad = [
    [() => convert("text"), /must be a Uint8Array or an ArrayBuffer, not string/],
    [() => convert(undefined), /not undefined/],
    [() => convert(null), /not null/],
    [() => convert([1, 2, 3]), /not array/],
    [() => convert(new Uint8Array(), 5), /options must be an object, not number/],
    [() => convert(new Uint8Array(), []), /options must be an object, not array/],
    [() => convert(new Uint8Array(), { tabel: "alerts" }), /unknown option "tabel"/],
    [() => convert(new Uint8Array(), { table: "nope" }), /unknown table "nope"; expected one of: netskope_audit_events/],
    [() => convert(new Uint8Array(), { table: 3 }), /option "table" must be a string, not number/],
    [() => convert(new Uint8Array(), { format: "csv" }), /unknown format "csv"/],
    [() => convert(new Uint8Array(), { batchSize: 0 }), /"batchSize" must be an integer from 1 to 1048576, not 0/],
    [() => convert(new Uint8Array(), { batchSize: 1.5 }), /batchSize/],
    [() => convert(new Uint8Array(), { batchSize: NaN }), /batchSize/],
    [() => convert(new Uint8Array(), { batchSize: "10" }), /must be a number, not string/],
    [() => convert(new Uint8Array(), { batchBytes: 0 }), /"batchBytes" must be an integer from 1 to 268435456, not 0/],
    [() => convert(new Uint8Array(), { batchBytes: 2 ** 28 + 1 }), /batchBytes/],
    [() => convert(new Uint8Array(), { maxRejects: -1 }), /maxRejects/],
    [() => convert(new Uint8Array(), { previewRows: 1e9 }), /previewRows/],
    [() => new Converter({ compression: "snappy" }), /compression applies to Parquet output/],
  ];
  for (const [run, message] of bad) {
    assert.throws(run, (e) => e instanceof Error && e.name === "InvalidArgumentError" && message.test(e.message), String(message));
  }
  // null / undefined option values mean "default".
  assert.equal(convert(sample("api-response-v1.json"), { table: null, batchSize: undefined }).stats.totalRows, 2);
});

test("a stopped or finished Converter says so", () => {
  const conv = new Converter();
  assert.throws(() => conv.push(new Uint8Array([0x1f, 0x8b, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff])), { name: "DecompressError" });
  assert.throws(() => conv.push(new Uint8Array(1)), { name: "InvalidArgumentError", message: /stopped after an earlier error: cannot decompress/ });
  assert.throws(() => conv.finish(), { name: "InvalidArgumentError" });
  conv.free();
  const done = new Converter();
  done.push(sample("api-response-v1.json"));
  assert.equal(done.finish().stats.totalRows, 2);
  assert.throws(() => done.push(new Uint8Array(1)), { message: /already finished/ });
  assert.throws(() => done.takeOutput(), { message: /already finished/ });
  done.free();
  assert.throws(() => done.push(new Uint8Array(1)), Error, "use after free() is an Error too");
});

test("truncated gzip is a DecompressError naming the source", () => {
  assert.throws(() => convert(GZ.subarray(0, GZ.length - 3), { sourceName: "export.ndjson.gz" }), {
    name: "DecompressError",
    message: /^cannot decompress export\.ndjson\.gz: /,
  });
});

test("inputs: Uint8Array, Buffer, ArrayBuffer, other typed arrays and DataView", () => {
  const bytes = sample("api-response-v1.json");
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const padded = new Uint8Array(bytes.length + 8);
  padded.set(bytes, 4);
  for (const input of [bytes, Buffer.from(bytes), ab, new DataView(padded.buffer, 4, bytes.length), padded.subarray(4, 4 + bytes.length)]) {
    assert.equal(convert(input).stats.totalRows, 2, input.constructor.name);
  }
  assert.equal(convert(new Uint8Array()).stats.totalRows, 0);
});

test("maxRejects bounds the rejects kept, not the count", () => {
  const bad = new TextEncoder().encode("nope\n".repeat(500));
  const got = convert(bad, { maxRejects: 10 });
  assert.equal(got.rejects.length, 10);
  assert.equal(got.stats.rejects, 500);
  assert.deepEqual(got.rejects.map((x) => x.line), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(convert(bad, { maxRejects: 0 }).rejects.length, 0);
});
