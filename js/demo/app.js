// The demo page: hands the picked or dropped file to the worker (worker.js), shows progress, then
// the tables (rows, Parquet download), the rejects, a preview of the first rows (Arrow IPC read
// with apache-arrow) and each table's schema. Nothing is uploaded anywhere.
const $ = (sel) => document.querySelector(sel);
const Arrow = globalThis.Arrow; // apache-arrow's UMD build, loaded by index.html

const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
const state = { busy: false, urls: [], progressEvents: 0, result: null };

function setState(s) {
  document.body.dataset.state = s;
}
setState("loading");

const fmt = new Intl.NumberFormat("en-US");
function bytes(n) {
  if (n < 1e3) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

worker.onmessage = ({ data }) => {
  switch (data.type) {
    case "ready": {
      $("#version").textContent = data.version;
      for (const t of data.tables) $("#table").append(el("option", { value: t }, t));
      for (const c of data.codecs) $("#compression").append(el("option", { value: c, selected: c === "snappy" }, c));
      $("#engine").textContent = `ready (WebAssembly, ${data.codecs.join(" / ")})`;
      setState("ready");
      break;
    }
    case "progress": {
      state.progressEvents++;
      document.body.dataset.progressEvents = String(state.progressEvents);
      $("#progress").value = data.total ? data.read / data.total : 1;
      const rate = data.ms > 0 ? ` · ${(data.read / 1e3 / data.ms).toFixed(1)} MB/s` : "";
      $("#status").textContent =
        `Read ${bytes(data.read)} of ${bytes(data.total)} (${data.total ? Math.floor((100 * data.read) / data.total) : 100}%)` +
        ` · ${fmt.format(data.rows)} rows${rate}`;
      $("#progress").dataset.read = String(data.read);
      break;
    }
    case "done":
      state.busy = false;
      render(data);
      setState("done");
      break;
    case "error":
      state.busy = false;
      $("#error").hidden = false;
      $("#error").textContent = `${data.name}: ${data.message}`;
      $("#status").textContent = "Conversion failed.";
      setState("error");
      break;
  }
};
worker.onerror = (e) => {
  $("#error").hidden = false;
  $("#error").textContent = `Worker error: ${e.message}`;
  setState("error");
};

function start(file) {
  if (!file || state.busy) return;
  state.busy = true;
  for (const u of state.urls) URL.revokeObjectURL(u);
  state.urls = [];
  state.progressEvents = 0;
  $("#error").hidden = true;
  $("#results").hidden = true;
  $("#progress-box").hidden = false;
  $("#progress").value = 0;
  $("#status").textContent = `Reading ${file.name} (${bytes(file.size)})…`;
  setState("converting");
  worker.postMessage({ type: "convert", file, table: $("#table").value, compression: $("#compression").value });
}

$("#file").addEventListener("change", (e) => start(e.target.files[0]));
const drop = $("#drop");
for (const t of ["dragenter", "dragover"]) drop.addEventListener(t, (e) => (e.preventDefault(), drop.classList.add("over")));
for (const t of ["dragleave", "drop"]) drop.addEventListener(t, () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  start(e.dataTransfer.files[0]);
});
drop.addEventListener("keydown", (e) => {
  if (e.key === "Enter" || e.key === " ") $("#file").click();
});

function render(r) {
  state.result = r;
  const s = r.stats;
  const secs = r.ms / 1000;
  $("#status").textContent =
    `Done: ${bytes(s.inputBytes)} read` +
    (r.inputCompression !== "none" ? ` (${r.inputCompression}, ${bytes(s.bytesIn)} of NDJSON)` : "") +
    ` in ${secs.toFixed(2)} s (${(s.bytesIn / 1e6 / Math.max(secs, 1e-3)).toFixed(1)} MB/s of NDJSON)`;
  $("#progress").value = 1;

  const body = $("#summary tbody");
  body.replaceChildren();
  for (const [name, rows] of Object.entries(s.rows)) {
    const parquet = r.tables[name];
    let link = el("span", { class: "muted" }, "—");
    if (parquet) {
      const url = URL.createObjectURL(new Blob([parquet], { type: "application/vnd.apache.parquet" }));
      state.urls.push(url);
      link = el("a", { href: url, download: `${name}.parquet`, class: "download", "data-table": name }, `${name}.parquet`);
    }
    body.append(
      el(
        "tr",
        { "data-table": name, "data-rows": rows, class: rows ? "" : "empty" },
        el("td", {}, name),
        el("td", { class: "num rows" }, fmt.format(rows)),
        el("td", { class: "num" }, parquet ? bytes(parquet.length) : ""),
        el("td", {}, link),
      ),
    );
  }
  $("#summary tfoot").replaceChildren(
    el("tr", { "data-rows": s.totalRows }, el("th", {}, "total"), el("th", { class: "num", id: "total-rows" }, fmt.format(s.totalRows)), el("th"), el("th")),
  );
  $("#counts").textContent =
    `${fmt.format(s.lines)} lines · ${fmt.format(s.blankLines)} blank · ${fmt.format(s.rejects)} rejected` +
    (s.unwrapped ? ` · ${fmt.format(s.unwrapped)} records unwrapped from saved API responses` : "") +
    ` · Parquet codec ${r.compression}`;

  $("#reject-count").textContent = fmt.format(s.rejects);
  $("#reject-count").dataset.count = String(s.rejects);
  const rejects = $("#rejects tbody");
  rejects.replaceChildren();
  for (const j of r.rejects) {
    rejects.append(
      el(
        "tr",
        { "data-line": j.line },
        el("td", { class: "num" }, j.line),
        el("td", { class: "num" }, j.offset),
        el("td", {}, j.error),
        el("td", { class: "raw" }, el("code", {}, j.raw)),
      ),
    );
  }
  if (!r.rejects.length) rejects.append(el("tr", {}, el("td", { colSpan: 4, class: "muted" }, "none")));
  if (s.rejects > r.rejects.length) {
    rejects.append(el("tr", {}, el("td", { colSpan: 4, class: "muted" }, `… and ${fmt.format(s.rejects - r.rejects.length)} more`)));
  }

  const tabs = $("#tabs");
  tabs.replaceChildren();
  const names = Object.keys(r.tables);
  for (const name of names) {
    const b = el("button", { role: "tab", "data-table": name, onclick: () => show(name) }, `${name} (${fmt.format(s.rows[name])})`);
    tabs.append(b);
  }
  $("#results").hidden = false;
  if (names.length) show(names.includes("netskope_alerts") ? "netskope_alerts" : names[0]);
  else $("#preview-note").textContent = "No rows.";
}

/** Formats one Arrow value for a table cell. */
function cell(v, type) {
  if (v === null || v === undefined) return "";
  if (typeof v === "bigint") return v.toString();
  if (Arrow && type && type.typeId === Arrow.Type.Timestamp) {
    const iso = new Date(Number(v)).toISOString();
    return type.timezone ? iso.replace(".000Z", "Z") : iso.replace("T", " ").replace(".000Z", "");
  }
  if (typeof v === "object") {
    const plain = typeof v.toJSON === "function" ? v.toJSON() : v;
    return JSON.stringify(plain, (_, x) => (typeof x === "bigint" ? x.toString() : x));
  }
  return String(v);
}

function show(name) {
  const r = state.result;
  for (const b of document.querySelectorAll("#tabs button")) b.setAttribute("aria-selected", String(b.dataset.table === name));
  const head = $("#preview thead");
  const body = $("#preview tbody");
  head.replaceChildren();
  body.replaceChildren();
  $("#preview").dataset.table = name;
  if (!Arrow) {
    $("#preview-note").textContent = "apache-arrow did not load (run npm ci in js/): no preview.";
  } else {
    const t = Arrow.tableFromIPC(r.preview[name]);
    const fields = t.schema.fields.filter((f) => {
      const col = t.getChild(f.name);
      for (let i = 0; i < t.numRows; i++) if (col.get(i) !== null) return true;
      return false;
    });
    $("#preview-note").textContent =
      `First ${t.numRows} of ${fmt.format(r.stats.rows[name])} rows; ${fields.length} of ${t.schema.fields.length} columns have values in them.`;
    head.append(el("tr", {}, ...fields.map((f) => el("th", { title: String(f.type) }, f.name))));
    for (let i = 0; i < t.numRows; i++) {
      const tr = el("tr");
      for (const f of fields) {
        const text = cell(t.getChild(f.name).get(i), f.type);
        tr.append(el("td", { title: text.length > 60 ? text : "", "data-column": f.name }, text.length > 60 ? text.slice(0, 60) + "…" : text));
      }
      body.append(tr);
    }
  }
  const cols = r.schemas[name];
  $("#schema-count").textContent = String(cols.length);
  $("#schema tbody").replaceChildren(
    ...cols.map((c, i) => el("tr", {}, el("td", { class: "num" }, i + 1), el("td", {}, c.name), el("td", {}, el("code", {}, c.type)), el("td", {}, c.kind))),
  );
}
