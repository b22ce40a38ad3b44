#!/usr/bin/env bash
# Rust: formatting, lints and every test of the core and the emulator.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo fmt --all -- --check
cargo clippy -p delegir -p delegir-emulator --all-targets -- -D warnings
cargo test -p delegir -p delegir-emulator
