#!/usr/bin/env bash
# Rust: formatting and lints of the whole workspace, then every test of the core and the emulator.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
# The Redis store of the rate-limit ledger is unit-tested against a real redis-server.
bash scripts/ensure-debs.sh redis-server:redis-server
cargo test -p delegir -p delegir-emulator
