#!/usr/bin/env bash
# Performia's set-up and entry points on a fresh Debian 12 machine. Each command installs what it needs first.
#   ./run.sh demo    build, install into SuperCollider, make a demo take and listen to it in supernova (main job)
#   ./run.sh test    build and run every test (what CI runs)
#   ./run.sh install build and install the extension only (SC_EXTENSIONS_DIR=... to choose where)
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$HOME/.cargo/bin:$PATH"

APT_PACKAGES=(supercollider-server supercollider-supernova supercollider-language supercollider-dev jackd2
              cmake clang libclang-dev pkg-config libjack-jackd2-dev python3-numpy)

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

deps() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "run.sh: installing ${missing[*]}"
    as_root apt-get update -qq
    # jackd2 asks whether to enable real-time priority; the default (no) is fine here.
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  command -v cargo >/dev/null || { echo "run.sh: cargo not found; install Rust with rustup first" >&2; exit 1; }
}

install_extension() {
  local ext="${SC_EXTENSIONS_DIR:-$HOME/.local/share/SuperCollider/Extensions}"
  cmake -S . -B build -DSC_EXTENSIONS_DIR="$ext" >/dev/null
  cmake --build build
  cmake --install build >/dev/null
  echo "run.sh: installed $ext/Performia"
}

case "${1:-}" in
  demo)
    deps
    install_extension
    cargo build --release -p performia
    target/release/performia demo --out out --extensions "${SC_EXTENSIONS_DIR:-$HOME/.local/share/SuperCollider/Extensions}"
    ;;
  install)
    deps
    install_extension
    ;;
  test)
    deps
    cargo test --workspace --release --all-targets
    cargo test --workspace --release --doc
    # The event ring's algorithm under the loom model checker (its own target dir: --cfg loom rebuilds all).
    RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test -p performia-agents --release --test shm_loom
    ;;
  *)
    sed -n '2,5p' "$0"
    exit 2
    ;;
esac
