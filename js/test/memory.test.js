// The module's allocator (js/src/alloc.rs) grows WebAssembly memory by at least 4 MiB at a
// time; Rust's default allocator grows it 64 KiB at a time, and each grow costs V8 ~0.5 ms.
// The web build is instantiated here (not the nodejs one) because its `initSync` returns the
// module's exports, memory included.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { JS_DIR, allSamples } from "./helpers.js";

const PKG = process.env.NETSKOPE_ARROW_WEB_PKG || path.join(JS_DIR, "pkg/web");

test("WebAssembly memory grows in steps of at least 4 MiB", async () => {
  const { initSync, Converter, convert } = await import(path.join(PKG, "netskope_arrow_wasm.js"));
  const { memory } = initSync({
    module: fs.readFileSync(path.join(PKG, "netskope_arrow_wasm_bg.wasm")),
  });
  const sizes = [memory.buffer.byteLength];
  const seen = () => {
    const n = memory.buffer.byteLength;
    if (n !== sizes[sizes.length - 1]) sizes.push(n);
  };
  const bytes = allSamples();
  const conv = new Converter({ format: "parquet", batchSize: 512 });
  const ROUNDS = 40;
  for (let round = 0; round < ROUNDS; round++) {
    for (let at = 0; at < bytes.length; at += 16384) {
      conv.push(bytes.subarray(at, at + 16384));
      seen();
    }
    conv.takeOutput();
    seen();
  }
  const out = conv.finish();
  seen();
  conv.free();
  assert.equal(out.stats.totalRows, ROUNDS * convert(bytes).stats.totalRows);
  const steps = sizes.slice(1).map((n, i) => n - sizes[i]);
  assert.ok(steps.length >= 1, `the memory never grew (${sizes[0]} bytes)`);
  for (const step of steps) {
    assert.ok(step >= 4 << 20, `the memory grew by ${step} bytes: ${steps.join(", ")}`);
  }
});
