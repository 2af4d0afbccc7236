// What the module puts in place of the Rust toolchain's defaults for speed:
// - its allocator (js/src/alloc.rs) grows WebAssembly memory by at least 4 MiB at a time; Rust's
//   default allocator grows it 64 KiB at a time, and each grow costs V8 ~0.5 ms;
// - its `memcmp` and `bcmp` (js/src/intrinsics.rs) compare 8 bytes at a time instead of one.
// The web build is instantiated here (not the nodejs one) because its `initSync` returns the
// module's exports, memory included.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { JS_DIR, allSamples } from "./helpers.js";

const PKG = process.env.NETSKOPE_ARROW_WEB_PKG || path.join(JS_DIR, "pkg/web");

const { initSync, Converter, convert } = await import(path.join(PKG, "netskope_arrow_wasm.js"));
const wasm = initSync({ module: fs.readFileSync(path.join(PKG, "netskope_arrow_wasm_bg.wasm")) });

test("WebAssembly memory grows in steps of at least 4 MiB", () => {
  const { memory } = wasm;
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

test("the module's own memcmp and bcmp order bytes as unsigned, at every length and position", () => {
  // Not exported by a module that uses compiler-builtins' byte-at-a-time versions.
  assert.equal(typeof wasm.memcmp, "function", "memcmp is not the module's own");
  assert.equal(typeof wasm.bcmp, "function", "bcmp is not the module's own");
  const N = 40;
  const a = wasm.__wbindgen_malloc(N, 1);
  const b = wasm.__wbindgen_malloc(N, 1);
  const base = Array.from({ length: N }, (_, i) => (i * 37) & 0xff);
  let cases = 0;
  for (let n = 0; n <= N; n++) {
    for (let at = 0; at < n; at++) {
      for (const delta of [1, 0x80, 0xff]) {
        const mem = new Uint8Array(wasm.memory.buffer);
        mem.set(base, a);
        mem.set(base, b);
        mem[b + at] = (base[at] + delta) & 0xff;
        const want = Math.sign(base[at] - mem[b + at]);
        for (const f of [wasm.memcmp, wasm.bcmp]) {
          assert.equal(Math.sign(f(a, b, n)), want, `n ${n}, at ${at}, delta ${delta}`);
          assert.equal(Math.sign(f(b, a, n)), -want);
        }
        assert.equal(wasm.memcmp(a, b, at), 0, "equal up to the changed byte");
        cases++;
      }
    }
  }
  assert.equal(cases, 3 * ((N * (N + 1)) / 2));
  wasm.__wbindgen_free(a, N, 1);
  wasm.__wbindgen_free(b, N, 1);
});
