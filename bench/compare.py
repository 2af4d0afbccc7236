"""netskope-arrow next to the tools a user would pick instead, on generated corpora. Not a test.

Run through `scripts/bench.sh` (which builds everything and generates the corpora), or directly:

    .venv/bin/python bench/compare.py --corpus bench-data/mixed-1g.ndjson --corpus bench-data/app-1g.ndjson

Every run is a fresh process, contenders interleaved (every other repetition in reverse order),
`--reps` times per corpus (the contenders of targets 2, 4 and 5 `--pairs` times more). Reported: median wall time, MB/s of NDJSON, cores used ((user+sys)/wall),
peak RSS, the ratio of throughput to DuckDB's, and the rows each tool produced next to the
generator's ground truth (`<corpus>.truth.json`). Our rows and rejects must match the ground truth
exactly, or the run fails. Tools that fail on a corpus (pyarrow.json, polars and arrow-json on mixed
files) are reported with their error. Last comes a table of issue 5's targets, each computed from
the runs as the median of per-repetition ratios (see `targets`). Results go to BENCHMARKS.md
(replaced between the markers) and stdout.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / "target/release/netskope-arrow"
DECODE = ROOT / "target/release/examples/throughput"
# arrow-rs's NDJSON reader with a 37-field schema: the reference decoder of the targets.
ARROW_JSON = ROOT / "target/release/examples/arrow_json"
NODE_RUNNER = ROOT / "bench/wasm_convert.mjs"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
CLI_2, CLI_1 = "netskope-arrow CLI", "netskope-arrow CLI, 1 thread"
ONE_CORE, AJ = "netskope-arrow (decode only)", "arrow-json (Rust, 37 Utf8 fields, 1 thread)"
PAIR = "netskope-arrow CLI, 1 thread, two at once"
KEEP = "netskope-arrow (decode only, all cores, batches kept)"
PY_CONVERT, PY_READ = "netskope-arrow python convert()", "netskope-arrow python read_ndjson()"
WASM = "netskope-arrow wasm (node)"
# Contenders that convert their input more than once per run: their MB/s counts every copy.
WORK = {PAIR: 2}

# Python snippets run in a fresh interpreter: argv[1] = input, argv[2] = output dir.
# Each prints one JSON object: {"rows": N} (rows written) or raises.
PY = {
    "duckdb": """
import duckdb, sys, json
con = duckdb.connect()
# COPY returns the number of rows written: no second pass over the output.
rows = con.execute(f"COPY (SELECT * FROM read_json('{sys.argv[1]}', format='newline_delimited', ignore_errors=true)) TO '{sys.argv[2]}/out.parquet' (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)").fetchone()[0]
print(json.dumps({"rows": rows}))
""",
    "polars": """
import polars as pl, sys, json
df = pl.read_ndjson(sys.argv[1])
df.write_parquet(sys.argv[2] + "/out.parquet", compression="zstd", compression_level=1)
print(json.dumps({"rows": df.height}))
""",
    "pyarrow": """
import pyarrow.json as pj, pyarrow.parquet as pq, sys, json
t = pj.read_json(sys.argv[1])
pq.write_table(t, sys.argv[2] + "/out.parquet", compression="zstd", compression_level=1)
print(json.dumps({"rows": t.num_rows}))
""",
    "python convert()": """
import netskope_arrow as na, sys, json
s = na.convert(sys.argv[1], sys.argv[2], overwrite=True)
print(json.dumps({"rows": s.total_rows, "rejects": s.rejects}))
""",
    # In memory, no Parquet:
    "duckdb (arrow)": """
import duckdb, sys, json
t = duckdb.sql(f"SELECT * FROM read_json('{sys.argv[1]}', format='newline_delimited', ignore_errors=true)").to_arrow_table()
print(json.dumps({"rows": t.num_rows}))
""",
    "polars (arrow)": """
import polars as pl, sys, json
print(json.dumps({"rows": pl.read_ndjson(sys.argv[1]).height}))
""",
    "pyarrow (arrow)": """
import pyarrow.json as pj, sys, json
print(json.dumps({"rows": pj.read_json(sys.argv[1]).num_rows}))
""",
    "python read_ndjson()": """
import netskope_arrow as na, sys, json
t = na.read_ndjson(sys.argv[1])
print(json.dumps({"rows": sum(t.counts.values()), "rejects": t.stats["rejects"]}))
""",
}


def contenders(kind: str) -> dict[str, object]:
    """name -> command builder (input, out_dir) for a job kind: "parquet" or "arrow"."""
    py = lambda name: (lambda i, o: [sys.executable, "-c", PY[name], str(i), str(o)])  # noqa: E731
    if kind == "parquet":
        c: dict[str, object] = {
            CLI_2: lambda i, o: [str(CLI), "convert", "-q", "--json", "--overwrite", "--out", str(o), str(i)],
            CLI_1: lambda i, o: [str(CLI), "convert", "-q", "--json", "--overwrite", "--threads", "1", "--out", str(o), str(i)],
            # Two independent one-thread conversions at once: the most two cores give on this
            # machine in this spell, the ceiling for target 4 (its MB/s counts both inputs).
            PAIR: lambda i, o: ["sh", "-c", f"'{CLI}' convert -q --json --overwrite --threads 1 --out '{o}/a' '{i}' >/dev/null & "
                                f"'{CLI}' convert -q --json --overwrite --threads 1 --out '{o}/b' '{i}'; s=$?; wait $! && exit $s"],
            PY_CONVERT: py("python convert()"),
        }
        if NODE_RUNNER.exists() and shutil.which("node"):
            c[WASM] = lambda i, o: ["node", str(NODE_RUNNER), str(i), str(o)]
        c.update({"duckdb": py("duckdb"), "polars": py("polars"), "pyarrow": py("pyarrow")})
        return c
    return {
        ONE_CORE: lambda i, o: [str(DECODE), str(i)],
        "netskope-arrow (decode only, all cores)": lambda i, o: [str(DECODE), str(i), "--threads", "0"],
        # Batches kept in memory, as `read_ndjson` keeps them: the Rust side of target 5.
        KEEP: lambda i, o: [str(DECODE), str(i), "--threads", "0", "--keep"],
        PY_READ: py("python read_ndjson()"),
        AJ: lambda i, o: [str(ARROW_JSON), str(i)],
        "duckdb": py("duckdb (arrow)"),
        "polars": py("polars (arrow)"),
        "pyarrow": py("pyarrow (arrow)"),
    }


def run(cmd: list[str], timeout: float = 900) -> dict:
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=out, stderr=err)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    out.seek(0)
    err.seek(0)
    text = out.read().decode(errors="replace").strip()
    result = {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss": ru.ru_maxrss * 1024, "ok": status == 0}
    if status != 0:
        lines = [l for l in err.read().decode(errors="replace").strip().splitlines() if l.strip()]
        result["error"] = (lines[-1] if lines else f"exit {status}")[:160]
        return result
    last = text.splitlines()[-1] if text else ""
    if last.startswith("{"):
        j = json.loads(last)
        result["rows"] = j.get("rows")
        result["rejects"] = j.get("rejects")
    elif " rows, " in last:  # examples/throughput
        result["rows"] = int(last.split(": ")[1].split(" rows")[0])
        result["rejects"] = int(last.split(" rows, ")[1].split(" rejects")[0])
    return result


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, {platform.system()} {platform.release()}"


def versions() -> str:
    code = "import duckdb, polars, pyarrow; print(f'duckdb {duckdb.__version__}, polars {polars.__version__}, pyarrow {pyarrow.__version__}')"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip() if shutil.which("node") else "no node"
    return f"{p.stdout.strip()}, Python {platform.python_version()}, Node {node}"


def rss_scaling(corpus: Path, times: int) -> tuple[str, list[tuple[int, float]]]:
    """Peak RSS of the CLI on the corpus and on the corpus `times` over: memory must not grow.
    Returns the table and the (input bytes, peak RSS MiB) of both runs."""
    rows, peaks = [], []
    for n in (1, times):
        out = Path(tempfile.mkdtemp(prefix="na-rss-"))
        cat = " ".join([f"'{corpus}'"] * n)
        r = run(["sh", "-c", f"cat {cat} | '{CLI}' convert -q --json --overwrite --out '{out}' -"], timeout=3600)
        shutil.rmtree(out, ignore_errors=True)
        if not r["ok"]:
            raise SystemExit(f"RSS run failed: {r['error']}")
        size = corpus.stat().st_size * n
        rows.append(f"| {size / 2**30:.0f} GiB | {r['wall']:.2f} | {size / 1e6 / r['wall']:,.0f} | {r['rss'] / 2**20:,.0f} |")
        peaks.append((size, r["rss"] / 2**20))
        print(rows[-1], flush=True)
    return "\n".join([
        f"### Memory: {corpus.name} once and {times} times over (through a pipe), CLI defaults",
        "",
        "| input | s | MB/s | peak RSS MiB |",
        "|---|---:|---:|---:|",
        *rows,
    ]), peaks


def paired(runs_a: list[dict], runs_b: list[dict], work: float = 1.0) -> list[float]:
    """Per repetition, B's wall time over A's (times `work`): A's speed relative to B's. The runs
    of one repetition ran close together, so a change of the machine's speed between
    repetitions mostly cancels out."""
    return [work * b["wall"] / a["wall"] for a, b in zip(runs_a, runs_b)]


def fmt_ratios(ratios: list[float]) -> str:
    """The median of paired ratios, then each (in run order)."""
    return f"**{statistics.median(ratios):.2f}x** (runs: {', '.join(f'{r:.2f}x' for r in ratios)})"


def targets(measured: dict, rss: list[tuple[int, float]] | None) -> str:
    """Issue 5's targets, computed from this run's figures: what each asks, what was measured,
    and whether it is met. Ratios are medians of per-repetition (paired) ratios."""
    rows = []

    def add(target: str, asked: str, got: str, met: bool | None) -> None:
        rows.append(f"| {target} | {asked} | {got} | {'' if met is None else ('yes' if met else '**no**')} |")

    def runs(mix: str, job: str, name: str) -> list[dict]:
        return measured.get((mix, job), (0, {}))[1].get(name, [])

    def size_of(mix: str, job: str) -> int:
        return measured.get((mix, job), (0, {}))[0]

    def mbs(mix: str, job: str, name: str) -> float:
        return size_of(mix, job) / 1e6 / statistics.median(r["wall"] for r in runs(mix, job, name))

    cli, one = CLI_2, CLI_1
    if runs("mixed", "parquet", cli) and runs("mixed", "parquet", "duckdb"):
        r = paired(runs("mixed", "parquet", cli), runs("mixed", "parquet", "duckdb"))
        add("1. mixed NDJSON -> Parquet, both cores, x DuckDB", ">= 3x", fmt_ratios(r), statistics.median(r) >= 3)
    for mix in ("mixed", "application"):
        if runs(mix, "arrow", ONE_CORE):
            speed = mbs(mix, "arrow", ONE_CORE)
            each = [size_of(mix, "arrow") / 1e6 / r["wall"] for r in runs(mix, "arrow", ONE_CORE)]
            got = f"**{speed:,.0f} MB/s** (median of {len(each)} runs, {min(each):,.0f}-{max(each):,.0f})"
            ref = runs(mix, "arrow", AJ)
            if ref:
                r = paired(runs(mix, "arrow", ONE_CORE), ref)
                got += (f"; {fmt_ratios(r)} arrow-json, which ran {mbs(mix, 'arrow', AJ):,.0f} MB/s "
                        "(the issue's 350 MB/s at its 185 MB/s is 1.89x)")
            add(f"2. {mix}: NDJSON -> Arrow, one core", ">= 350 MB/s", got, speed >= 350)
    if rss:
        (small, a), (large, b) = rss
        add(f"3. peak RSS converting {small / 2**30:.3g} GiB and {large / 2**30:.3g} GiB", "< 512 MiB, not growing (within 25%)",
            f"{a:,.0f} and {b:,.0f} MiB", max(a, b) < 512 and b < a * 1.25)
    for mix in ("mixed", "application"):
        if runs(mix, "parquet", cli) and runs(mix, "parquet", one):
            r = paired(runs(mix, "parquet", cli), runs(mix, "parquet", one))
            got = fmt_ratios(r)
            if runs(mix, "parquet", PAIR):
                ceiling = paired(runs(mix, "parquet", PAIR), runs(mix, "parquet", one), WORK[PAIR])
                got += f"; two one-thread conversions at once (the ceiling): {fmt_ratios(ceiling)}"
            add(f"4. {mix}: two threads / one, Parquet", ">= 1.7x", got, statistics.median(r) >= 1.7)
    for mix in ("mixed", "application"):
        wasm = runs(mix, "parquet", WASM)
        if wasm and runs(mix, "parquet", one):
            r = paired(wasm, runs(mix, "parquet", one))
            add(f"5. {mix}: wasm in Node / one-thread CLI", ">= 0.5x", fmt_ratios(r), statistics.median(r) >= 0.5)
    for mix in ("mixed", "application"):
        py = runs(mix, "parquet", PY_CONVERT)
        if py and runs(mix, "parquet", cli):
            r = paired(py, runs(mix, "parquet", cli))
            add(f"5. {mix}: Python `convert()` / CLI", ">= 0.9x", fmt_ratios(r), statistics.median(r) >= 0.9)
        read = runs(mix, "arrow", PY_READ)
        if read and runs(mix, "arrow", KEEP):
            r = paired(read, runs(mix, "arrow", KEEP))
            add(f"5. {mix}: Python `read_ndjson()` / the same decoding in Rust (batches kept)", ">= 0.9x",
                fmt_ratios(r), statistics.median(r) >= 0.9)
    return "\n".join([
        "### Targets (issue 5), from the runs above",
        "",
        "A ratio is the median of per-repetition ratios: the runs of one repetition ran within "
        "minutes of each other, so the VM's changes of speed between repetitions (up to a quarter "
        "here) mostly cancel out. The two CLI runs of target 4 ran back to back, in every repetition and in "
        "the extra repetitions that only the contenders of targets 2, 4 and 5 ran (`--pairs`).",
        "",
        "| target | asked | measured | met |",
        "|---|---|---|---|",
        *rows,
    ])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", action="append", required=True, type=Path)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--jobs", default="parquet,arrow")
    ap.add_argument("--markdown", type=Path, default=ROOT / "BENCHMARKS.md")
    ap.add_argument("--command", default="scripts/bench.sh")
    ap.add_argument("--pairs", type=int, default=0,
                    help="extra interleaved repetitions of the contenders of targets 2, 4 and 5 (one-core decoding, "
                         "arrow-json, the CLI on two threads and one, two one-thread conversions at once, Python, wasm) "
                         "on each corpus, after the others: the targets' ratios vary most")
    ap.add_argument("--rss-scale", type=int, default=4,
                    help="also convert the first corpus repeated this many times (through a pipe) and compare peak RSS; 0: skip")
    a = ap.parse_args()
    sections = [
        f"Machine: {machine()}. Date: {dt.date.today().isoformat()}. Command: `{a.command}`.",
        f"Versions: {versions()}.",
        f"Each figure is the median of {a.reps} interleaved runs"
        + (f" ({a.reps + a.pairs} for the contenders of targets 2, 4 and 5: one-core decoding, arrow-json, the CLI rows, "
           "Python, wasm, and decoding on all cores with batches kept)" if a.pairs else "")
        + ", each a fresh process, page cache warm. "
        "MB/s counts NDJSON bytes; cores = (user+sys CPU) / wall; x DuckDB = throughput relative to DuckDB on the same job.",
    ]
    failed = False
    # (mix, job) -> (input bytes, successful runs per contender), for the targets.
    measured: dict[tuple[str, str], tuple[int, dict[str, list[dict]]]] = {}
    for corpus in a.corpus:
        truth = json.loads(Path(f"{corpus}.truth.json").read_text())
        size = corpus.stat().st_size
        for job in a.jobs.split(","):
            cands = contenders(job)
            results: dict[str, list[dict]] = {k: [] for k in cands}
            tmp = Path(tempfile.mkdtemp(prefix="na-cmp-"))

            def rounds(label: str, names: list[str], reps: int) -> None:
                """`reps` repetitions of `names`, every other one in reverse order, so that no
                contender always runs after the same one; neighbours stay neighbours, which the
                paired ratios of the targets use."""
                for rep in range(reps):
                    for name in names if rep % 2 == 0 else names[::-1]:
                        if results[name] and not results[name][-1]["ok"]:
                            continue  # a tool that failed once fails again: do not wait for it twice
                        out = tmp / f"{abs(hash(name))}"
                        shutil.rmtree(out, ignore_errors=True)
                        out.mkdir()
                        r = run(cands[name](corpus, out))
                        r["work"] = WORK.get(name, 1)
                        results[name].append(r)
                        print(f"{corpus.name} {job} {label} {rep + 1}: {name}: "
                              + (f"{r['wall']:.2f} s" if r["ok"] else f"failed: {r['error']}"), flush=True)

            rounds("rep", list(cands), a.reps)
            # The targets' ratios swing with the machine's speed (target 4 from 1.45x to 1.99x
            # within one 3-repetition run): their contenders run more repetitions, the runs
            # each ratio compares next to each other (Python's `convert()` and the CLI, the
            # two CLI runs, one thread and wasm).
            extra = {"parquet": [PY_CONVERT, CLI_2, CLI_1, WASM, PAIR], "arrow": [ONE_CORE, AJ, KEEP, PY_READ]}.get(job, [])
            # Only this run's contenders (wasm needs Node); `rounds` skips one that failed.
            rounds("extra repetition", [n for n in extra if n in cands], a.pairs)
            shutil.rmtree(tmp, ignore_errors=True)
            ok = {k: v for k, v in results.items() if v and v[-1]["ok"]}
            measured[(truth["mix"], job)] = (size, ok)
            med = {k: statistics.median(r["wall"] for r in v) for k, v in ok.items()}
            duck = med.get("duckdb")
            what = "NDJSON -> Parquet (zstd level 1 for every tool), all tables" if job == "parquet" else "NDJSON -> Arrow in memory (no output)"
            lines = [
                f"### {corpus.name}: {what}",
                "",
                f"{size / 1e6:,.0f} MB, {truth['lines']:,} lines; ground truth {truth['rows']:,} rows, "
                f"{truth['rejects']} truncated lines, {truth['blank_lines']} blank lines ({truth['mix']} corpus, seed {truth['seed']}).",
                "",
                "| tool | median s | MB/s | cores | peak RSS MiB | x DuckDB | rows out |",
                "|---|---:|---:|---:|---:|---:|---|",
            ]
            for name, runs in results.items():
                if name not in ok:
                    lines.append(f"| {name} | failed | | | | | {runs[-1]['error'].replace('|', '/')} |")
                    continue
                s = med[name]
                cores = statistics.median(r["cpu"] / r["wall"] for r in runs)
                rss = max(r["rss"] for r in runs) / 2**20
                rows = runs[-1].get("rows")
                note = f"{rows:,}" if rows is not None else ""
                if name.startswith("netskope-arrow"):
                    exact = rows == truth["rows"] and runs[-1].get("rejects") == truth["rejects"]
                    note += f" + {runs[-1].get('rejects')} rejects" + (" (= truth)" if exact else " (MISMATCH)")
                    failed |= not exact
                elif rows is not None and rows != truth["rows"]:
                    note += f" ({rows - truth['rows']:+,} vs truth)"
                ratio = f"{duck / s * WORK.get(name, 1):.2f}" if duck else ""
                mbs = size * WORK.get(name, 1) / 1e6 / s
                lines.append(f"| {name} | {s:.2f} | {mbs:,.0f} | {cores:.2f} | {rss:,.0f} | {ratio} | {note} |")
            sections.append("\n".join(lines))
            print("\n".join(lines), flush=True)
    rss = None
    if a.rss_scale > 1:
        text, rss = rss_scaling(a.corpus[0], a.rss_scale)
        sections.append(text)
    sections.append(targets(measured, rss))
    print(sections[-1], flush=True)
    block = "\n\n".join(sections)
    md = a.markdown.read_text() if a.markdown.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN in md and END in md:
        md = md[: md.index(BEGIN) + len(BEGIN)] + "\n" + block + "\n" + md[md.index(END) :]
    a.markdown.write_text(md)
    print(f"\nwritten to {a.markdown}")
    if failed:
        raise SystemExit("netskope-arrow's rows or rejects differ from the ground truth")


if __name__ == "__main__":
    main()
