"""Interleaved A/B timing of commands on one input: the way to compare two builds on a noisy machine.
Not a test.

    python3 bench/ab.py --reps 7 --input bench-data/mixed-1GiB.ndjson \\
        old=/tmp/throughput-old {input} \\
        new=target/release/examples/throughput {input}

Each `NAME=COMMAND` is a shell command in which `{input}` is replaced by the input path and `{out}`
by a fresh empty directory (removed after the run). Every repetition runs each command once, in
turn, as a fresh process, so that a slow spell of the machine hits every command alike. Printed per
command: the fastest and the median wall time, MB/s of the input at the median, CPU seconds and
cores used ((user+sys) / wall), and the peak RSS; then each command's median relative to the first.
A command that fails stops the comparison with its error.

Wall times of one binary vary by up to +-20% between runs on the 2-core VMs we measure on: use
enough repetitions, compare medians from the same invocation only, and back a small difference
with instruction counts (`scripts/profile.sh`).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile

from compare import run  # the same process runner as the peer comparison (bench/ is on sys.path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--input", required=True)
    ap.add_argument("commands", nargs="+", metavar="NAME=COMMAND")
    a = ap.parse_args()
    commands = []
    for c in a.commands:
        name, sep, command = c.partition("=")
        if not sep or not name or not command:
            ap.error(f"expected NAME=COMMAND, got {c!r}")
        commands.append((name, command))
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name, _ in commands}
    for _ in range(a.reps):
        for name, command in commands:
            out = tempfile.mkdtemp(prefix="ab-")
            try:
                r = run(["sh", "-c", command.format(input=a.input, out=out)], timeout=3600)
            finally:
                shutil.rmtree(out, ignore_errors=True)
            if not r["ok"]:
                raise SystemExit(f"{name}: `{command}` failed: {r['error']}")
            runs[name].append((r["wall"], r["cpu"], r["rss"] / 2**20))
    mb = os.path.getsize(a.input) / 1e6
    width = max(len(name) for name, _ in commands)
    first = statistics.median(w for w, _, _ in runs[commands[0][0]])
    print(f"{a.input}: {mb:,.0f} MB, {a.reps} interleaved repetitions")
    for name, _ in commands:
        walls = [w for w, _, _ in runs[name]]
        med = statistics.median(walls)
        cpu = statistics.median(c for _, c, _ in runs[name])
        rss = max(r for _, _, r in runs[name])
        print(
            f"{name:{width}}  min {min(walls):6.2f} s  median {med:6.2f} s  {mb / med:7.1f} MB/s  "
            f"cpu {cpu:6.2f} s  cores {cpu / med:4.2f}  rss {rss:6.0f} MiB  "
            f"x{first / med:5.2f} of {commands[0][0]}  all {' '.join(f'{w:.2f}' for w in walls)}"
        )


if __name__ == "__main__":
    main()
