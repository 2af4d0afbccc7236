#!/usr/bin/env bash
# The WebAssembly package's checks: rustfmt and clippy (-D warnings) of the js/ crate (and of the
# core it uses, for wasm32), its Rust unit tests, the Node tests (node --test) on the nodejs build,
# the zstd+brotli build with its own tests, and the real-browser end-to-end test of the demo page (Debian chromium +
# playwright-core). Installs what it needs; outputs (screenshots, downloads) go to out/js/.
#
#   scripts/test-js.sh                       # everything
#   NETSKOPE_ARROW_JS_FULL=0 scripts/test-js.sh   # skip the zstd+brotli build
source "$(dirname "$0")/lib.sh"
ensure_rust

say "build (default codecs)"
bash "$ROOT/scripts/build-wasm.sh"

say "rustfmt (js/)"
cargo fmt -p netskope-arrow-wasm -- --check
say "clippy (js/, wasm32, -D warnings)"
CARGO_TARGET_DIR="$ROOT/target/wasm" cargo clippy -p netskope-arrow-wasm --target wasm32-unknown-unknown --quiet -- -D warnings
CARGO_TARGET_DIR="$ROOT/target/wasm" cargo clippy -p netskope-arrow-wasm --target wasm32-unknown-unknown --features brotli --quiet -- -D warnings
say "Rust unit tests (js/src: engine.rs, alloc.rs; native)"
CARGO_TARGET_DIR="$ROOT/target/wasm-native" cargo test -p netskope-arrow-wasm --lib --quiet

say "Node tests (node --test, nodejs build, the web build for memory growth; Parquet read back by pyarrow and DuckDB)"
ensure_venv pyarrow duckdb
export NETSKOPE_ARROW_PYTHON="$VENV/bin/python"
(cd "$ROOT/js" && node --test test/*.test.js)

if [ "${NETSKOPE_ARROW_JS_FULL:-1}" != 0 ]; then
    say "build with zstd + brotli (js/pkg-full)"
    apt_install clang clang
    bash "$ROOT/scripts/build-wasm.sh" --features zstd,brotli --out "$ROOT/js/pkg-full"
    CARGO_TARGET_DIR="$ROOT/target/wasm" cargo clippy -p netskope-arrow-wasm --target wasm32-unknown-unknown --features zstd,brotli --quiet -- -D warnings
    say "Node tests of the zstd + brotli build"
    (cd "$ROOT/js" && NETSKOPE_ARROW_PKG="$ROOT/js/pkg-full/node/netskope_arrow_wasm.js" node --test test/full-build.js)
fi

say "browser end-to-end test (chromium, playwright-core)"
if ! command -v chromium >/dev/null 2>&1 && [ -z "${CHROMIUM:-}" ]; then
    apt_install chromium chromium
fi
(cd "$ROOT/js" && node test/browser-e2e.js)
echo
echo "JS checks passed; screenshots and the downloaded Parquet file are in out/js/"
