#!/usr/bin/env bash
# Every test: formatting, clippy, Rust unit/integration/doc tests, the Python package (pytest,
# hypothesis, stubtest, doctests; our Parquet read by pyarrow, polars, DuckDB, pandas), and the
# WebAssembly package (Node tests, a headless-Chromium test of the demo page), and a short
# fuzzing run (cargo-fuzz, 40 s per target). Installs what it needs.
source "$(dirname "$0")/lib.sh"
ensure_rust
if [ -d "$SHARED" ]; then
    echo "shared data: $SHARED"
else
    echo "NOTE: $SHARED not found: the seed, peer-sample and dictionary tests will print SKIPPED and pass."
fi

say "rustfmt"
cargo fmt --all -- --check
say "clippy (-D warnings)"
cargo clippy --all-targets --features cli --quiet -- -D warnings
cargo clippy --no-default-features --lib --quiet -- -D warnings
cargo clippy -p netskope-arrow-python --all-targets --quiet -- -D warnings
say "rustdoc (-D warnings)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --features cli --quiet
say "cargo test (unit, integration, doc)"
cargo test --features cli 2>&1 | tee "${TMPDIR:-/tmp}/netskope-arrow-cargo-test.log" | grep -E '^(test result|running|error|failures|---- )|panicked|SKIPPED' || true
test "${PIPESTATUS[0]}" -eq 0 || { echo "cargo test failed: see ${TMPDIR:-/tmp}/netskope-arrow-cargo-test.log"; tail -n 60 "${TMPDIR:-/tmp}/netskope-arrow-cargo-test.log"; exit 1; }

say "python: build the package into .venv (maturin develop --release), then pytest"
ensure_venv maturin pytest hypothesis pyarrow polars pandas duckdb tqdm mypy
cargo build --release --features cli --quiet
VIRTUAL_ENV="$VENV" "$VENV/bin/maturin" develop --release --quiet
NETSKOPE_ARROW_BIN="$ROOT/target/release/netskope-arrow" "$VENV/bin/python" -m pytest -q -W error --strict-markers -p no:cacheprovider python/tests

say "examples: generate small corpora, decode them (throughput, arrow_json) and check the counts"
cargo build --release --features cli --quiet --example gen_corpus --example throughput --example arrow_json
ex_dir="$(mktemp -d)"
expect() { # expect MIX EXTRA_REJECTS: "N rows, M rejects" from the generator's truth
    sed -E "s/.*\"rows\":([0-9]+),\"rejects\":([0-9]+).*/\\1 rows, \\2 rejects/" "$ex_dir/$1.ndjson.truth.json" |
        awk -v extra="$2" '{ print $1 " rows, " $3 + extra " rejects" }'
}
for mix in mixed application; do
    target/release/examples/gen_corpus --size 2MiB --mix "$mix" --seed 7 --out "$ex_dir/$mix.ndjson" >/dev/null 2>&1
done
# Two bad lines more than the generator wrote (2 MiB is too little for its 1 in 10,000), so
# that the reject count is checked too.
printf '{"type":"nspolicy","truncated\n[1,2]\n' >> "$ex_dir/mixed.ndjson"
for mix in mixed application; do
    extra=0; [ "$mix" = mixed ] && extra=2
    want="$(expect "$mix" "$extra")"
    for args in "" "--threads 2 --keep"; do
        out="$(target/release/examples/throughput "$ex_dir/$mix.ndjson" $args)"
        echo "$out"
        [[ "$out" == *": $want, "* ]] || { echo "throughput $args on $mix: expected $want"; exit 1; }
    done
done
want="$(expect application 0)"
out="$(target/release/examples/arrow_json "$ex_dir/application.ndjson")"
echo "$out"
[[ "$out" == *": ${want%%,*}, "* ]] || { echo "arrow_json: expected ${want%%,*}"; exit 1; }
rm -rf "$ex_dir"

say "webassembly: npm package, Node tests, browser end-to-end test (scripts/test-js.sh)"
bash scripts/test-js.sh

say "fuzzing: a short run of the three cargo-fuzz targets (scripts/fuzz.sh --short)"
bash scripts/fuzz.sh --short
