// The adversarial corpus (tests/fixtures/adversarial/expected.json, shared with the Rust and
// Python tests) through the WebAssembly build: each input gives exactly its expected rows,
// rejects and values, or a DecompressError, in every entry point and chunking; never a
// WebAssembly trap (RuntimeError), and the module keeps working afterwards.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { tableFromIPC } from "apache-arrow";
import { Converter, convert, toParquet } from "netskope-arrow";
import { ERROR_NAMES, ROOT, allSamples, nonZero, randomChunks, rng } from "./helpers.js";

const CORPUS = path.join(ROOT, "tests", "fixtures", "adversarial");
const CASES = JSON.parse(fs.readFileSync(path.join(CORPUS, "expected.json"), "utf8")).cases;
const built = new Map();

/** The bytes of a case: its file, or its recipe (built once). */
function input(c) {
  if (built.has(c.name)) return built.get(c.name);
  let data;
  if (c.file) {
    data = new Uint8Array(fs.readFileSync(path.join(CORPUS, c.file)));
  } else {
    const parts = c.generate.parts.map((p) => {
      if (p.text !== undefined) return Buffer.from(p.text, "utf8");
      if (p.repeat !== undefined) return Buffer.from(p.repeat.repeat(p.times), "utf8");
      const keys = [];
      for (let i = 0; i < p.keys; i++) keys.push(`"k${i}":0`);
      return Buffer.from(keys.join(","), "utf8");
    });
    data = Buffer.concat(parts);
    if (c.generate.gzip_members) {
      const member = gzipSync(data, { level: 6 });
      data = Buffer.concat(Array(c.generate.gzip_members).fill(member));
    }
    data = new Uint8Array(data.buffer, data.byteOffset, data.length);
  }
  built.set(c.name, data);
  return data;
}

const EXACT_UTF8 = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * A cell as JSON: timestamps as epoch milliseconds, 64-bit integers as numbers. Strings are
 * decoded from their bytes, as apache-arrow's `get` drops a leading U+FEFF (its TextDecoder).
 */
function cell(result, table, column, row) {
  const vector = tableFromIPC(result.tables[table]).getChild(column);
  if (!vector.isValid(row)) return null;
  if (typeof vector.get(row) === "string") {
    let i = row;
    for (const d of vector.data) {
      if (i < d.length) {
        const at = d.offset + i;
        return EXACT_UTF8.decode(d.values.subarray(d.valueOffsets[at], d.valueOffsets[at + 1]));
      }
      i -= d.length;
    }
  }
  const v = vector.get(row);
  return typeof v === "bigint" ? Number(v) : v;
}

function checkResult(c, got, label) {
  assert.deepEqual(nonZero(got.stats.rows), c.rows, label);
  assert.equal(got.stats.lines, c.lines, label);
  assert.equal(got.stats.blankLines, c.blank_lines, label);
  assert.deepEqual(
    got.rejects.map((r) => ({ line: r.line, offset: r.offset, error: r.error })),
    c.rejects,
    label,
  );
}

function expectDecompressError(c, run, label) {
  assert.throws(run, (e) => {
    assert.ok(e instanceof Error, `${label}: ${e}`);
    assert.equal(e.name, "DecompressError", `${label}: ${e.name}: ${e.message}`);
    assert.ok(e.message.includes(c.error.contains), `${label}: ${e.message}`);
    return true;
  });
}

for (const c of CASES) {
  test(`corpus: ${c.name}`, { timeout: 120_000 }, () => {
    const data = input(c);
    if (c.error) {
      expectDecompressError(c, () => convert(data, { sourceName: c.name }), "convert");
      expectDecompressError(c, () => toParquet(data), "toParquet");
      const conv = new Converter();
      try {
        expectDecompressError(
          c,
          () => {
            for (let at = 0; at < data.length; at += 1 << 20) conv.push(data.subarray(at, at + (1 << 20)));
            conv.finish();
          },
          "Converter",
        );
      } finally {
        conv.free();
      }
      return;
    }
    const got = convert(data);
    checkResult(c, got, "convert");
    for (const v of c.values ?? []) {
      assert.deepEqual(cell(got, v.table, v.column, v.row), v.value, `${v.table}.${v.column}[${v.row}]`);
    }
    checkResult(c, toParquet(data), "toParquet");
    // In odd chunks: the same result.
    const r = rng(c.name.length * 7919 + 1);
    const conv = new Converter();
    try {
      const max = data.length > 1 << 20 ? 1 << 20 : 1 + r.int(97);
      for (const chunk of randomChunks(data, r, max)) conv.push(chunk);
      checkResult(c, conv.finish(), "Converter");
    } finally {
      conv.free();
    }
  });
}

test("the gzip bomb stops after about 16 MiB, and the limit can be raised or turned off", () => {
  const bomb = input(CASES.find((c) => c.name === "gzip-bomb"));
  const started = Date.now();
  assert.throws(() => convert(bomb), {
    name: "DecompressError",
    message: /more than 500 times larger than its compressed input \(Limits::max_decompression_ratio\): stopped after \d+ bytes/,
  });
  assert.ok(Date.now() - started < 10_000);
  const member = gzipSync(new Uint8Array(20 << 20));
  for (const maxDecompressionRatio of [0, 2000]) {
    const got = convert(member, { maxDecompressionRatio, maxLineBytes: 1 << 20 });
    assert.equal(got.rejects.length, 1);
    assert.match(got.rejects[0].error, /^line of 20971520 bytes is longer than the limit of 1048576 bytes \(Limits::max_line_bytes\)$/);
  }
  assert.throws(() => convert(member, { maxDecompressionRatio: -1 }), { name: "InvalidArgumentError", message: /maxDecompressionRatio/ });
  assert.throws(() => convert(member, { maxLineBytes: 0 }), { name: "InvalidArgumentError", message: /maxLineBytes/ });
});

test("corpus inputs cut, shifted and mutated give results or named Errors, never a trap", { timeout: 300_000 }, () => {
  const r = rng(6);
  let n = 0;
  for (const c of CASES) {
    let data = input(c);
    if (data.length > 1 << 20) data = data.subarray(0, 1 << 20);
    for (let k = 0; k < 40; k++) {
      const cut = data.subarray(r.int(Math.min(data.length, 64) + 1), r.int(data.length + 1));
      const mutated = cut.slice();
      for (let e = 0; e < 1 + r.int(4) && mutated.length; e++) mutated[r.int(mutated.length)] = r.int(256);
      for (const bytes of [cut, mutated]) {
        n++;
        try {
          const got = k % 2 ? convert(bytes) : toParquet(bytes, { batchSize: 1 + r.int(5) });
          assert.equal(typeof got.stats.totalRows, "number");
        } catch (e) {
          assert.ok(e instanceof Error && ERROR_NAMES.has(e.name), `${c.name}: ${e && e.name}: ${e && e.message}`);
        }
      }
    }
  }
  assert.ok(n > 1000);
  // The module still works.
  assert.equal(convert(allSamples()).stats.totalRows, 47);
});
