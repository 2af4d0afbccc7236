#!/usr/bin/env bash
# Benchmarks (not tests): builds release binaries and the Python package, generates the corpora
# (deterministic, seeded) and runs netskope-arrow next to DuckDB, polars and pyarrow, writing the
# results to BENCHMARKS.md. Options: SIZE (default 1GiB), REPS (default 3), SEED (default 42),
# PAIRS (default 6: extra repetitions of the contenders of targets 2, 4 and 5).
#
#   scripts/bench.sh                 # mixed 1 GiB + clean application-only 1 GiB, 3 reps
#   SIZE=256MiB REPS=1 scripts/bench.sh
source "$(dirname "$0")/lib.sh"
ensure_rust
SIZE="${SIZE:-1GiB}"
REPS="${REPS:-3}"
PAIRS="${PAIRS:-6}"
SEED="${SEED:-42}"

say "building release binaries (CLI, corpus generator, decode-only example, arrow-json reference)"
cargo build --release --features cli --example gen_corpus --example throughput --example arrow_json --quiet

say "building the Python package into .venv"
ensure_venv maturin pyarrow polars duckdb
VIRTUAL_ENV="$VENV" "$VENV/bin/maturin" develop --release --quiet

if [ -x scripts/build-wasm.sh ] && command -v node >/dev/null 2>&1; then
    # The zstd build (js/pkg-full), so that the wasm row writes zstd Parquet like every other
    # row (bench/wasm_convert.mjs falls back to the default build's snappy without it).
    say "building the wasm package with zstd (js/pkg-full)"
    bash scripts/build-wasm.sh --features zstd,brotli --out js/pkg-full >/dev/null ||
        echo "wasm build failed: the wasm row uses an earlier build, if any"
fi

say "generating corpora ($SIZE, seed $SEED) in bench-data/"
mkdir -p bench-data
gen() { # gen MIX FILE
    if [ ! -f "$2.truth.json" ] || ! grep -q "\"seed\":$SEED," "$2.truth.json" || [ ! -f "$2" ]; then
        target/release/examples/gen_corpus --size "$SIZE" --mix "$1" --seed "$SEED" --out "$2"
    fi
}
gen mixed "bench-data/mixed-$SIZE.ndjson"
gen application "bench-data/app-$SIZE.ndjson"

say "running (reps: $REPS)"
"$VENV/bin/python" bench/compare.py --reps "$REPS" --pairs "$PAIRS" \
    --command "SIZE=$SIZE REPS=$REPS PAIRS=$PAIRS scripts/bench.sh" \
    --corpus "bench-data/mixed-$SIZE.ndjson" --corpus "bench-data/app-$SIZE.ndjson"
