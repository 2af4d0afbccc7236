// Throughput of the WebAssembly build in Node next to the native core, on the same large input
// (the bundled samples repeated to ~256 MB: V1 and V2 shapes of every table, rejects and blank
// lines). Not a test: run it by hand on a quiet machine.
//
//   CARGO_TARGET_DIR=target/wasm-native cargo build --release --features cli --example throughput --bin netskope-arrow
//   node js/bench/throughput.js --native target/wasm-native/release [--mb 256] [--runs 3] [--file PATH]
//
// --file is read as it is (never written); without it the samples are repeated to --mb MB in a
// temporary file.
//
// wasm: a Converter fed 1 MiB chunks read from the file (output taken as it comes and dropped),
// to Arrow IPC and to Parquet (snappy). Native (one thread): examples/throughput (decode to
// Arrow only) and the CLI (`convert --compression snappy`, Parquet files on disk). Medians of
// --runs runs, in MB/s of NDJSON.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Converter, version } from "netskope-arrow";
import { ROOT, allSamples } from "../test/helpers.js";

const { values: args } = parseArgs({
  options: {
    native: { type: "string" },
    mb: { type: "string", default: "256" },
    runs: { type: "string", default: "3" },
    file: { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const runs = Number(args.runs);
// The input: --file as it is, or the samples repeated to --mb megabytes (kept between runs).
const file = args.file ?? path.join(os.tmpdir(), "netskope-arrow-bench.ndjson");
const want = Number(args.mb) * 1e6;
if (args.file !== undefined) {
  if (!fs.existsSync(file)) throw new Error(`--file ${file} does not exist`);
} else if (!fs.existsSync(file) || Math.abs(fs.statSync(file).size - want) > 1e6) {
  const unit = allSamples();
  const copies = Math.ceil(want / unit.length);
  const fd = fs.openSync(file, "w");
  for (let i = 0; i < copies; i++) fs.writeSync(fd, unit);
  fs.closeSync(fd);
}
const size = fs.statSync(file).size;
console.log(`input: ${file}, ${(size / 1e6).toFixed(1)} MB; netskope-arrow ${version()} (wasm), node ${process.version}, ${os.cpus()[0].model}`);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function wasmRun(options) {
  const started = performance.now();
  const conv = new Converter(options);
  const fd = fs.openSync(file, "r");
  const buf = new Uint8Array(1 << 20);
  let out = 0;
  for (;;) {
    const n = fs.readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    conv.push(buf.subarray(0, n));
    for (const b of Object.values(conv.takeOutput())) out += b.length;
  }
  fs.closeSync(fd);
  const r = conv.finish();
  conv.free();
  for (const b of Object.values(r.tables)) out += b.length;
  const secs = (performance.now() - started) / 1000;
  return { mbps: size / 1e6 / secs, rows: r.stats.totalRows, out };
}

function nativeRun(cmd, argv) {
  const started = performance.now();
  const p = spawnSync(cmd, argv, { encoding: "utf8" });
  const secs = (performance.now() - started) / 1000;
  if (p.status !== 0) throw new Error(`${cmd} failed: ${p.stderr}`);
  return { mbps: size / 1e6 / secs };
}

const results = {};
function measure(name, run) {
  const xs = [];
  let last;
  for (let i = 0; i < runs; i++) {
    last = run();
    xs.push(last.mbps);
  }
  results[name] = median(xs);
  console.log(`${name.padEnd(44)} ${median(xs).toFixed(1).padStart(7)} MB/s  (runs: ${xs.map((x) => x.toFixed(1)).join(", ")})`);
  return last;
}

const ipc = measure("wasm Converter -> Arrow IPC (1 MiB chunks)", () => wasmRun({}));
const pq = measure("wasm Converter -> Parquet snappy (1 MiB chunks)", () => wasmRun({ format: "parquet" }));
console.log(`  rows: ${ipc.rows}, IPC output ${(ipc.out / 1e6).toFixed(0)} MB, Parquet output ${(pq.out / 1e6).toFixed(0)} MB`);

if (args.native) {
  const dir = path.resolve(ROOT, args.native);
  const example = path.join(dir, "examples", "throughput");
  const cli = path.join(dir, "netskope-arrow");
  if (fs.existsSync(example)) measure("native decode to Arrow only (examples/throughput)", () => nativeRun(example, [file]));
  if (fs.existsSync(cli)) {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "netskope-arrow-bench-"));
    measure("native CLI -> Parquet snappy files", () =>
      nativeRun(cli, ["convert", file, "--out", out, "--compression", "snappy", "--overwrite", "--threads", "1"]),
    );
    fs.rmSync(out, { recursive: true, force: true });
  }
  const ratio = (a, b) => (results[a] && results[b] ? (results[a] / results[b]).toFixed(2) : "n/a");
  console.log(`ratio wasm IPC / native decode-only: ${ratio("wasm Converter -> Arrow IPC (1 MiB chunks)", "native decode to Arrow only (examples/throughput)")}`);
  console.log(`ratio wasm Parquet / native Parquet:  ${ratio("wasm Converter -> Parquet snappy (1 MiB chunks)", "native CLI -> Parquet snappy files")}`);
}
if (args.json) console.log(JSON.stringify(results));
