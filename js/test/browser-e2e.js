// Real-browser end-to-end test of the demo page: Debian's chromium driven by playwright-core
// (headless) opens js/demo/ from a local static server, uploads fixture files, checks the counts,
// rejects and preview shown on the page, downloads a Parquet file and verifies it with pyarrow and
// DuckDB, checks that no request left the local server, and saves screenshots under out/js/.
//
//   node test/browser-e2e.js        (CHROMIUM=/path/to/chromium, NETSKOPE_ARROW_PYTHON=... optional)
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { ROOT, allSamples, concat, python, readWithPython, tempDir } from "./helpers.js";
import { startServer } from "./server.js";

const OUT = path.join(ROOT, "out", "js");
fs.mkdirSync(OUT, { recursive: true });
const executablePath = process.env.CHROMIUM || ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => fs.existsSync(p));
if (!executablePath) {
  console.error("chromium not found (apt-get install chromium, or set CHROMIUM)");
  process.exit(1);
}

const step = (m) => console.log(`- ${m}`);
const server = await startServer();
const profile = tempDir();
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  acceptDownloads: true,
  viewport: { width: 1280, height: 900 },
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
});
let failed = false;
try {
  const page = context.pages()[0] ?? (await context.newPage());
  const requests = [];
  const problems = [];
  context.on("request", (r) => requests.push(r.url()));
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("worker", (w) => w.on("console", (m) => m.type() === "error" && problems.push(`worker console: ${m.text()}`)));

  await page.goto(`${server.url}/demo/`);
  await page.waitForFunction(() => document.body.dataset.state === "ready", null, { timeout: 30_000 });
  step(`demo page ready: ${await page.textContent("#engine")}`);

  const dir = tempDir();
  async function upload(file) {
    await page.setInputFiles("#file", file);
    await page.waitForFunction(() => ["done", "error"].includes(document.body.dataset.state), null, { timeout: 120_000 });
    const s = await page.evaluate(() => document.body.dataset.state);
    assert.equal(s, "done", `conversion of ${path.basename(file)} failed: ${await page.textContent("#error")}`);
    return page.evaluate(() => ({
      rows: Object.fromEntries([...document.querySelectorAll("#summary tbody tr")].map((tr) => [tr.dataset.table, Number(tr.dataset.rows)])),
      total: Number(document.querySelector("#summary tfoot tr").dataset.rows),
      rejects: Number(document.querySelector("#reject-count").dataset.count),
      rejectLines: [...document.querySelectorAll("#rejects tbody tr[data-line]")].map((tr) => Number(tr.dataset.line)),
      progress: Number(document.querySelector("#progress").value),
      progressRead: Number(document.querySelector("#progress").dataset.read),
      progressEvents: Number(document.body.dataset.progressEvents),
      status: document.querySelector("#status").textContent,
    }));
  }

  // 1. The v1 sample, plain NDJSON: 12 rows, 3 rejects on lines 8, 11 and 14.
  const v1 = path.join(ROOT, "samples", "tenant-export-v1.ndjson");
  let got = await upload(v1);
  step(`tenant-export-v1.ndjson: ${got.status}`);
  assert.deepEqual(
    Object.fromEntries(Object.entries(got.rows).filter(([, n]) => n)),
    { netskope_audit_events: 2, netskope_application_events: 4, netskope_alerts: 4, netskope_page_events: 2 },
  );
  assert.equal(got.total, 12);
  assert.equal(got.rejects, 3);
  assert.deepEqual(got.rejectLines, [8, 11, 14]);
  assert.equal(got.progress, 1);
  assert.equal(got.progressRead, fs.statSync(v1).size, "progress is driven by the bytes read");
  await page.screenshot({ path: path.join(OUT, "demo-v1.png"), fullPage: true });

  // 2. Every sample, gzip-compressed, repeated to ~25 MB so the progress bar moves.
  const gzFile = path.join(dir, "all-samples.ndjson.gz");
  const copies = 400;
  const plain = concat(Array.from({ length: copies }, () => allSamples()));
  fs.writeFileSync(gzFile, gzipSync(plain, { level: 1 }));
  got = await upload(gzFile);
  step(`all-samples.ndjson.gz (${(plain.length / 1e6).toFixed(1)} MB of NDJSON, ${got.progressEvents} progress updates): ${got.status}`);
  assert.equal(got.total, 47 * copies);
  assert.equal(got.rows.netskope_alerts, 19 * copies);
  assert.equal(got.rows.netskope_application_events, 12 * copies);
  assert.equal(got.rejects, 3 * copies);
  assert.equal(got.progressRead, fs.statSync(gzFile).size);

  // The preview shows exact 64-bit IDs (BigInt) and UTC times.
  await page.click('#tabs button[data-table="netskope_alerts"]');
  const ids = await page.$$eval('#preview td[data-column="transaction_id"]', (tds) => tds.map((td) => td.textContent));
  assert.ok(ids.includes("8863076387046047011"), `preview transaction_id: ${ids}`);
  const times = await page.$$eval('#preview td[data-column="timestamp"]', (tds) => tds.map((td) => td.textContent));
  assert.ok(times.every((t) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(t)), `timestamps: ${times}`);
  await page.click("#schema-box summary");
  assert.equal(await page.textContent("#schema-count"), String((await page.$$("#schema tbody tr")).length));
  await page.screenshot({ path: path.join(OUT, "demo-full.png"), fullPage: true });
  await page.evaluate(() => document.querySelector("#results").scrollIntoView());
  await page.screenshot({ path: path.join(OUT, "demo.png") });
  await page.evaluate(() => document.querySelector("#tabs").scrollIntoView());
  await page.screenshot({ path: path.join(OUT, "demo-preview.png") });
  step(`screenshots: ${path.relative(ROOT, OUT)}/demo-v1.png, demo.png, demo-preview.png, demo-full.png`);

  // 3. Download a Parquet file and read it with independent readers.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click('a.download[data-table="netskope_alerts"]')]);
  const parquetPath = path.join(OUT, download.suggestedFilename());
  await download.saveAs(parquetPath);
  assert.equal(download.suggestedFilename(), "netskope_alerts.parquet");
  const parquet = fs.readFileSync(parquetPath);
  assert.equal(parquet.subarray(0, 4).toString(), "PAR1");
  const py = python();
  if (py) {
    const report = readWithPython(py, [{ table: "netskope_alerts", parquet }]).netskope_alerts;
    assert.equal(report.rows, 19 * copies);
    assert.equal(report.duckdb_rows, 19 * copies);
    assert.ok(report.transaction_ids.includes("8863076387046047011"));
    assert.ok(report.duckdb_transaction_ids.includes("8935141660703064081"));
    assert.equal(report.timestamp_type, "timestamp[ms, tz=UTC]");
    step(`downloaded ${download.suggestedFilename()} (${parquet.length} bytes): pyarrow and DuckDB read ${report.rows} rows, exact IDs`);
  } else {
    console.log("SKIPPED: Parquet check with pyarrow/DuckDB (no Python with them; set NETSKOPE_ARROW_PYTHON)");
  }

  // 4. A corrupt gzip file is an error message on the page, not a crash.
  const bad = path.join(dir, "broken.ndjson.gz");
  fs.writeFileSync(bad, fs.readFileSync(gzFile).subarray(0, 5000));
  await page.setInputFiles("#file", bad);
  await page.waitForFunction(() => ["done", "error"].includes(document.body.dataset.state));
  assert.equal(await page.evaluate(() => document.body.dataset.state), "error");
  const message = await page.textContent("#error");
  assert.match(message, /^DecompressError: cannot decompress broken\.ndjson\.gz/);
  step(`corrupt gzip shows: ${message}`);

  // Nothing but the local server was contacted.
  const foreign = requests.filter((u) => !u.startsWith(server.url) && !u.startsWith("blob:") && !u.startsWith("data:"));
  assert.deepEqual(foreign, [], "requests beyond the local server");
  assert.ok(requests.some((u) => u.endsWith(".wasm")), "the worker's requests are observed");
  assert.deepEqual(problems, [], "console errors");
  step(`${requests.length} requests, all to ${server.url}`);
  fs.rmSync(dir, { recursive: true, force: true });
  console.log("browser e2e: ok");
} catch (e) {
  failed = true;
  console.error(e);
  try {
    await context.pages()[0]?.screenshot({ path: path.join(OUT, "failure.png"), fullPage: true });
    console.error(`screenshot of the failure: ${path.join(OUT, "failure.png")}`);
  } catch {}
} finally {
  await context.close();
  await server.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
