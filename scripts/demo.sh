#!/usr/bin/env bash
# The main job on the bundled samples: convert samples/* to Parquet in out/samples and print
# the summary. Usage: scripts/demo.sh [OUT_DIR]
source "$(dirname "$0")/lib.sh"
ensure_rust
OUT="${1:-$ROOT/out/samples}"
say "building the netskope-arrow CLI (release)"
cargo build --release --features cli --quiet
say "converting samples/ -> $OUT"
./target/release/netskope-arrow convert --overwrite --out "$OUT" \
    samples/tenant-export-v2.ndjson samples/tenant-export-v1.ndjson \
    samples/api-response-v2.json samples/api-response-v1.json samples/api-response-v2-pretty.json
say "first rejected line (the samples hold 3 on purpose; see samples/MANIFEST.md)"
head -n 1 "$OUT/rejects.ndjson" | cut -c 1-200
