// One conversion with the wasm build in Node, for bench/compare.py: NDJSON file -> one Parquet
// file per table in OUT_DIR, fed in 1 MiB chunks through a streaming Converter (bounded memory).
// Uses the zstd-enabled build (js/pkg-full, as scripts/test-js.sh builds it) with zstd like the
// other tools; falls back to the default build with snappy. Prints {"rows", "rejects", ...}.
//
//   node bench/wasm_convert.mjs INPUT OUT_DIR
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const full = path.join(root, "js/pkg-full/node/netskope_arrow_wasm.js");
const plain = path.join(root, "js/pkg/node/netskope_arrow_wasm.js");
const useFull = fs.existsSync(full);
const { Converter } = require(useFull ? full : plain);
const compression = useFull ? "zstd" : "snappy";

const [input, outDir] = process.argv.slice(2);
const started = performance.now();
const conv = new Converter({ format: "parquet", compression, sourceName: path.basename(input) });
const files = new Map();
const write = (parts) => {
  for (const [table, bytes] of Object.entries(parts)) {
    if (!files.has(table)) files.set(table, fs.openSync(path.join(outDir, `${table}.parquet`), "w"));
    fs.writeSync(files.get(table), bytes);
  }
};
const fd = fs.openSync(input, "r");
const buf = new Uint8Array(1 << 20);
for (;;) {
  const n = fs.readSync(fd, buf, 0, buf.length, null);
  if (n === 0) break;
  conv.push(buf.subarray(0, n));
  write(conv.takeOutput());
}
fs.closeSync(fd);
const result = conv.finish();
write(result.tables);
for (const f of files.values()) fs.closeSync(f);
conv.free();
const rows = Object.values(result.stats.rows).reduce((a, b) => a + Number(b), 0);
console.log(JSON.stringify({ rows, rejects: Number(result.stats.rejects), compression, seconds: (performance.now() - started) / 1000 }));
