#!/usr/bin/env bash
# Instruction counts of the decode hot path (valgrind --tool=callgrind): stable on a noisy
# machine, so a before/after figure for optimisations. Not a test.
#
#   scripts/profile.sh [SIZE]     # default 32MiB of the mixed generated corpus (seed 42)
#
# Prints total instructions, instructions per input byte, and the functions that execute most.
source "$(dirname "$0")/lib.sh"
ensure_rust
apt_install valgrind valgrind
SIZE="${1:-32MiB}"
cargo build --release --example throughput --example gen_corpus --quiet
input="bench-data/profile-mixed-$SIZE.ndjson"
[ -f "$input" ] || target/release/examples/gen_corpus --size "$SIZE" --seed 42 --out "$input" 2>/dev/null
out="${TMPDIR:-/tmp}/netskope-arrow-callgrind.out"
valgrind --tool=callgrind --callgrind-out-file="$out" target/release/examples/throughput "$input" 2>&1 | grep -v '^==' || true
bytes=$(stat -c %s "$input")
total=$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}')
printf '\n%s: %s bytes, %s instructions = %s instructions per byte\n' "$input" "$bytes" "$total" \
    "$(awk -v t="$total" -v b="$bytes" 'BEGIN { printf "%.1f", t / b }')"
callgrind_annotate "$out" 2>/dev/null | sed -n '/file:function/,$p' | head -n 25
