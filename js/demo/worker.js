// The conversion runs here, off the main thread: the file is streamed (File.stream()) through a
// netskope-arrow Converter in chunks, so a multi-GB export never sits whole in memory, and the
// page gets progress messages driven by the bytes read.
import init, { Converter, parquetCodecs, schema, tableNames, version } from "../pkg/web/netskope_arrow_wasm.js";

const ready = init().then(() => {
  postMessage({ type: "ready", version: version(), codecs: parquetCodecs(), tables: tableNames() });
});
ready.catch((e) => postMessage({ type: "error", name: e.name, message: `cannot load the WebAssembly module: ${e.message}` }));

/** At most this many rejects are sent to the page, each cut to this many characters. */
const MAX_REJECTS = 1000;
const MAX_RAW = 240;

onmessage = async ({ data }) => {
  if (data.type !== "convert") return;
  await ready;
  const { file, table, compression } = data;
  const started = performance.now();
  let conv;
  try {
    conv = new Converter({
      format: "parquet",
      compression,
      table: table || undefined,
      sourceName: file.name,
      previewRows: 20,
      maxRejects: MAX_REJECTS,
    });
    const reader = file.stream().getReader();
    let read = 0;
    let last = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      conv.push(value);
      read += value.length;
      const now = performance.now();
      if (now - last > 50) {
        last = now;
        postMessage({ type: "progress", read, total: file.size, rows: conv.stats.totalRows, ms: now - started });
      }
    }
    postMessage({ type: "progress", read, total: file.size, rows: conv.stats.totalRows, ms: performance.now() - started });
    const result = conv.finish();
    const ms = performance.now() - started;
    const schemas = Object.fromEntries(Object.keys(result.tables).map((t) => [t, schema(t)]));
    const rejects = result.rejects.map(({ line, offset, error, raw, rawTruncated }) => ({
      line,
      offset,
      error,
      raw: raw.length > MAX_RAW ? raw.slice(0, MAX_RAW) + "\u2026" : raw,
      rawTruncated: rawTruncated || raw.length > MAX_RAW,
    }));
    const transfer = [...Object.values(result.tables), ...Object.values(result.preview)].map((b) => b.buffer);
    postMessage(
      {
        type: "done",
        ms,
        stats: result.stats,
        tables: result.tables,
        preview: result.preview,
        rejects,
        schemas,
        compression: result.compression,
        inputCompression: result.inputCompression,
        fileName: file.name,
      },
      transfer,
    );
  } catch (e) {
    postMessage({ type: "error", name: e?.name ?? "Error", message: e?.message ?? String(e) });
  } finally {
    conv?.free();
  }
};
