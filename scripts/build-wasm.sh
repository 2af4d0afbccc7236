#!/usr/bin/env bash
# Builds the WebAssembly package in js/pkg/{node,web,bundler} without wasm-pack:
#   cargo build (wasm32-unknown-unknown, profile wasm-release) -> wasm-bindgen CLI (the exact
#   version in Cargo.lock) -> wasm-opt -Oz (npm binaryen), then reports the .wasm size.
#
#   scripts/build-wasm.sh                               # default codecs: snappy, gzip, lz4_raw
#   scripts/build-wasm.sh --features zstd,brotli --out js/pkg-full
#   scripts/build-wasm.sh --dev                         # skip wasm-opt (faster)
#   scripts/build-wasm.sh --no-simd                     # for engines without WebAssembly SIMD
#   NETSKOPE_ARROW_WASM_STD=debian scripts/build-wasm.sh   # force the Debian rustc-web route
#
# The module uses WebAssembly SIMD (simd128: Chrome 91, Firefox 89, Safari 16.4, Node 16.4 and
# later): memchr and simdutf8 use it, ~25% more throughput.
#
# Steps that are already done are skipped, so a rerun without changes takes seconds. Builds use
# their own target directory (target/wasm) so they never wait for a native build's lock.
source "$(dirname "$0")/lib.sh"

FEATURES=""
OUT="$ROOT/js/pkg"
OPT=1
SIMD=1
while [ $# -gt 0 ]; do
    case "$1" in
        --features) FEATURES="$2"; shift 2 ;;
        --features=*) FEATURES="${1#--features=}"; shift ;;
        --out) OUT="$(mkdir -p "$2" && cd "$2" && pwd)"; shift 2 ;;
        --dev) OPT=0; shift ;;
        --no-simd) SIMD=0; shift ;;
        zstd|brotli|debug) FEATURES="${FEATURES:+$FEATURES,}$1"; shift ;;
        *) echo "usage: $0 [--features zstd,brotli,debug] [--out DIR] [--dev] [--no-simd]" >&2; exit 2 ;;
    esac
done
FEATURES="${FEATURES// /}"

TARGET=wasm32-unknown-unknown
export CARGO_TARGET_DIR="$ROOT/target/wasm"
CARGO_ARGS=(-p netskope-arrow-wasm --target "$TARGET" --profile wasm-release)
[ -n "$FEATURES" ] && CARGO_ARGS+=(--features "$FEATURES")
# `--cfg folded_multiply` tells ahash (the hasher of Parquet's dictionary encoder) to fold a
# 64x64 -> 128-bit product, as its build script does on 64-bit targets. Without it ahash takes a
# path with three byte swaps per step, which wasm has no instruction for: hashing took 9% of a
# conversion in Node, 3% + 3.6% (`__multi3`) with it. Only ahash reads this cfg.
RUSTFLAGS_WASM="--cfg folded_multiply"
if [ "$SIMD" = 1 ]; then
    RUSTFLAGS_WASM="-C target-feature=+simd128 $RUSTFLAGS_WASM"
fi
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$RUSTFLAGS_WASM"
BUILD_STD=()
CARGO_CMD=cargo

# The wasm32 standard library: rustup first; Debian's rustc-web + rust-web-src (-Zbuild-std) as
# the fallback (see ../shared/notes/toolchain.md).
ensure_wasm_target() {
    ensure_rust
    # NETSKOPE_ARROW_WASM_STD=debian forces the fallback (to test it, or where rustup is absent).
    if [ "${NETSKOPE_ARROW_WASM_STD:-}" != debian ] && command -v rustup >/dev/null 2>&1; then
        if rustup target list --installed 2>/dev/null | grep -qx "$TARGET"; then
            return 0
        fi
        say "adding the $TARGET target (rustup)"
        if rustup target add "$TARGET"; then
            return 0
        fi
        echo "rustup could not add $TARGET; trying Debian's rustc-web with -Zbuild-std"
    fi
    apt_install __never__ rustc-web cargo-web rust-web-src clang || true
    local lld
    lld="$(ls "$HOME"/.rustup/toolchains/*/lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld 2>/dev/null | head -n1 || true)"
    [ -n "$lld" ] || lld="$(command -v rust-lld || command -v ld.lld || true)"
    if [ ! -d /usr/lib/rustlib/src/rust/library ] || [ -z "$lld" ]; then
        cat >&2 <<EOF
error: no Rust standard library for $TARGET.
  Either: rustup target add $TARGET
  Or (Debian 12): apt-get install rustc-web cargo-web rust-web-src clang, plus a rust-lld
  (rustup's, or the lld package), then rerun this script.
EOF
        exit 1
    fi
    say "using Debian rustc-web with -Zbuild-std (linker $lld)"
    export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
    CARGO_CMD=/usr/bin/cargo
    export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$lld"
    export CARGO_TARGET_DIR="$ROOT/target/wasm-debian"
    BUILD_STD=(-Zbuild-std=std,panic_abort)
}

# The wasm-bindgen CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
ensure_wasm_bindgen() {
    local want have
    want="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")"
    [ -n "$want" ] || { echo "wasm-bindgen not found in Cargo.lock" >&2; exit 1; }
    [ -x "$HOME/.cargo/bin/wasm-bindgen" ] && export PATH="$HOME/.cargo/bin:$PATH"
    have="$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)"
    if [ "$have" != "$want" ]; then
        say "installing wasm-bindgen-cli $want (cargo install, ~6 min cold; found: ${have:-none})"
        # --locked uses the CLI's own lockfile; when a crate in it was yanked, resolve afresh.
        cargo install wasm-bindgen-cli --version "=$want" --locked ||
            cargo install wasm-bindgen-cli --version "=$want"
    fi
    WASM_BINDGEN_VERSION="$want"
}

# npm dev dependencies (binaryen's wasm-opt, apache-arrow, playwright-core), from the lockfile.
ensure_npm() {
    command -v npm >/dev/null 2>&1 || { echo "npm not found: install Node.js 18 or newer" >&2; exit 1; }
    if [ ! -f "$ROOT/js/node_modules/.package-lock.json" ] ||
        [ "$ROOT/js/package-lock.json" -nt "$ROOT/js/node_modules/.package-lock.json" ]; then
        say "npm ci (js/)"
        (cd "$ROOT/js" && npm ci --no-audit --no-fund --loglevel=error)
    fi
}

size_report() {
    local f=$1 raw gz
    raw=$(stat -c %s "$f")
    gz=$(gzip -9 -c "$f" | wc -c)
    printf 'wasm size (%s): %s bytes raw, %s bytes gzipped (%.2f MB gz)\n' \
        "${FEATURES:-default features}" "$raw" "$gz" "$(awk "BEGIN { print $gz / 1000000 }")"
    if [ -z "$FEATURES" ] && [ "$gz" -gt 1500000 ]; then
        echo "WARNING: the default build is over its 1.5 MB gzipped budget" >&2
    fi
}

ensure_wasm_target
ensure_wasm_bindgen
ensure_npm
# zstd's C sources (zstd-sys) are compiled for wasm32 by clang; gcc has no wasm32 target.
case ",$FEATURES," in *,zstd,*) apt_install clang clang ;; esac

say "cargo build ${CARGO_ARGS[*]} ${BUILD_STD[*]}"
if [ ${#BUILD_STD[@]} -gt 0 ]; then
    (cd "$ROOT" && "$CARGO_CMD" build "${CARGO_ARGS[@]}" "${BUILD_STD[@]}")
else
    (cd "$ROOT" && "$CARGO_CMD" build "${CARGO_ARGS[@]}")
fi
WASM="$CARGO_TARGET_DIR/$TARGET/wasm-release/netskope_arrow_wasm.wasm"

STAMP="$OUT/.build-stamp"
STAMP_TEXT="features=$FEATURES opt=$OPT simd=$SIMD wasm-bindgen=$WASM_BINDGEN_VERSION"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$STAMP_TEXT" ] && [ "$STAMP" -nt "$WASM" ]; then
    echo "js/pkg is up to date ($OUT)"
    size_report "$OUT/node/netskope_arrow_wasm_bg.wasm"
    exit 0
fi

say "wasm-bindgen $WASM_BINDGEN_VERSION -> $OUT/{node,web,bundler}"
rm -rf "$OUT/node" "$OUT/web" "$OUT/bundler" "$STAMP"
for t in node web bundler; do
    target=$t; [ $t = node ] && target=nodejs
    wasm-bindgen --target "$target" --out-dir "$OUT/$t" --out-name netskope_arrow_wasm "$WASM"
done
printf '{ "type": "commonjs" }\n' >"$OUT/node/package.json"
printf '{ "type": "module" }\n' >"$OUT/web/package.json"
printf '{ "type": "module" }\n' >"$OUT/bundler/package.json"

if [ "$OPT" = 1 ]; then
    say "wasm-opt -Oz (binaryen $(cd "$ROOT/js" && node -p 'require("binaryen/package.json").version'))"
    WASM_OPT="$ROOT/js/node_modules/.bin/wasm-opt"
    FEATURE_FLAGS=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
        --enable-mutable-globals --enable-reference-types --enable-multivalue)
    [ "$SIMD" = 1 ] && FEATURE_FLAGS+=(--enable-simd)
    optimized=""
    for t in node web bundler; do
        f="$OUT/$t/netskope_arrow_wasm_bg.wasm"
        # The three targets usually get identical modules: optimize once, copy the result.
        if [ -n "$optimized" ] && cmp -s "$f" "$OUT/unoptimized.wasm"; then
            cp "$optimized" "$f"
            continue
        fi
        cp "$f" "$OUT/unoptimized.wasm"
        "$WASM_OPT" -Oz "${FEATURE_FLAGS[@]}" "$f" -o "$f.opt"
        mv "$f.opt" "$f"
        optimized="$f"
    done
    rm -f "$OUT/unoptimized.wasm"
fi
echo "$STAMP_TEXT" >"$STAMP"
size_report "$OUT/node/netskope_arrow_wasm_bg.wasm"
