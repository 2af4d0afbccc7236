#!/usr/bin/env bash
# Fuzzing with cargo-fuzz (libFuzzer, nightly Rust, AddressSanitizer, debug assertions) of the
# three targets in fuzz/fuzz_targets/: decode_lines, push_chunks, to_parquet. Seeds: samples/
# and tests/fixtures/adversarial/. New inputs go to fuzz/corpus/TARGET (git-ignored), crashes to
# fuzz/artifacts/TARGET, logs and a summary to out/fuzz/. Exits non-zero on any crash, timeout
# or out-of-memory. Installs nightly and cargo-fuzz when missing.
#
#   scripts/fuzz.sh --short              # 40 s per target (part of scripts/test.sh)
#   scripts/fuzz.sh --long 1800          # 1800 s per target
#   scripts/fuzz.sh --long 600 push_chunks
#   FUZZ_JOBS=2 scripts/fuzz.sh --long 600   # parallel workers per target
source "$(dirname "$0")/lib.sh"
ensure_rust

SECONDS_PER_TARGET=40
case "${1:-}" in
    --short) shift ;;
    --long) SECONDS_PER_TARGET="${2:?--long needs seconds per target}"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
esac
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(decode_lines push_chunks to_parquet)
JOBS="${FUZZ_JOBS:-1}"
PARALLEL=()
[ "$JOBS" -gt 1 ] && PARALLEL=(-jobs="$JOBS" -workers="$JOBS")

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    say "installing the nightly toolchain (rustup)"
    rustup toolchain install nightly --profile minimal
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    say "installing cargo-fuzz (crates.io)"
    cargo install cargo-fuzz --locked
fi

say "build the fuzz targets (nightly, -O, debug assertions, AddressSanitizer)"
(cd fuzz && cargo +nightly fuzz build -O --debug-assertions)

OUT="$ROOT/out/fuzz"
mkdir -p "$OUT"
SUMMARY="$OUT/summary.txt"
: > "$SUMMARY"
status=0
for t in "${TARGETS[@]}"; do
    say "fuzz $t for ${SECONDS_PER_TARGET}s ($JOBS job(s))"
    mkdir -p "fuzz/corpus/$t"
    log="$OUT/$t.log"
    started=$(date +%s)
    stamp="$OUT/.$t.started"; touch "$stamp"
    # -max_len bounds an input (bigger ones are the tests' business: tests/adversarial.rs);
    # -timeout / -rss_limit_mb turn a hang or a memory blow-up into a failure.
    set +e
    (cd fuzz && cargo +nightly fuzz run -O --debug-assertions "$t" "corpus/$t" ../samples ../tests/fixtures/adversarial -- \
        -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 "${PARALLEL[@]}") > "$log" 2>&1
    rc=$?
    set -e
    elapsed=$(( $(date +%s) - started ))
    # libFuzzer's final stats (with -jobs, each worker logs to fuzz/fuzz-N.log).
    if [ "$JOBS" -gt 1 ]; then
        cat fuzz/fuzz-*.log >> "$log" 2>/dev/null || true
        rm -f fuzz/fuzz-*.log
    fi
    runs=$(grep '^stat::number_of_executed_units' "$log" | awk '{s += $2} END {print s + 0}')
    corpus=$(find "fuzz/corpus/$t" -type f | wc -l)
    crashes=$(find "fuzz/artifacts/$t" -type f -newer "$stamp" 2>/dev/null | wc -l)
    line="$t: $runs executions in ${elapsed}s, corpus $corpus, exit $rc, new crash artifacts: $crashes"
    echo "$line" | tee -a "$SUMMARY"
    if [ "$rc" -ne 0 ]; then
        status=1
        echo "FAILED: $t (see $log)"
        grep -E 'panicked|ERROR: |SUMMARY: |Test unit written' "$log" | head -20 || true
    fi
done
echo
cat "$SUMMARY"
exit "$status"
