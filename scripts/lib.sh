# Shared set-up for scripts/*.sh: installs what the project needs, skipping what is there.
# Sourced, not run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '\n== %s\n' "$*"; }

apt_install() {
    # apt_install CMD PACKAGE...: installs PACKAGE when CMD is missing.
    local cmd=$1; shift
    command -v "$cmd" >/dev/null 2>&1 && return 0
    local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    say "installing $* (apt)"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

ensure_rust() {
    if ! command -v cargo >/dev/null 2>&1; then
        [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
    fi
    command -v cargo >/dev/null 2>&1 || { echo "cargo not found: install Rust with rustup (https://rustup.rs)"; exit 1; }
    if command -v rustup >/dev/null 2>&1; then
        for c in rustfmt clippy; do
            rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c"
        done
    fi
}

VENV="$ROOT/.venv"
ensure_venv() {
    # ensure_venv PACKAGE...: a project virtualenv with these PyPI packages.
    if [ ! -x "$VENV/bin/python" ]; then
        if ! python3 -m venv "$VENV" 2>/dev/null; then
            rm -rf "$VENV"
            apt_install __never__ python3-venv
            python3 -m venv "$VENV"
        fi
    fi
    local missing=()
    for p in "$@"; do
        "$VENV/bin/python" -c "import importlib.util,sys; sys.exit(importlib.util.find_spec('${p//-/_}') is None)" 2>/dev/null || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]} into .venv (pip)"
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${missing[@]}"
    fi
}

SHARED="${NETSKOPE_SHARED:-$ROOT/../shared}"
export NETSKOPE_SHARED="$SHARED"
