#!/usr/bin/env bash
# Rust: formatting and lints of the whole workspace (native, then the wasm32 code: the core's fetch
# wire and host runtime, bindings-wasm, tests/rust-wasm), then every test of the core and the
# emulator. The Rust API on wasm32 runs in tests/rust-wasm/run.sh (`make test-rust-wasm`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
# The wasm32 target (and the wasm-bindgen CLI that test-rust-wasm and the npm build use next).
# shellcheck source=bindings-wasm/scripts/tools.sh
source bindings-wasm/scripts/tools.sh
# The core's dev-dependencies (tokio's sockets) do not build for wasm32: its library only.
cargo clippy -p delegir -p delegir-wasm --target wasm32-unknown-unknown -- -D warnings
cargo clippy -p delegir-rust-wasm-tests --all-targets --target wasm32-unknown-unknown -- -D warnings
# The Redis store of the rate-limit ledger is unit-tested against a real redis-server.
bash scripts/ensure-debs.sh redis-server:redis-server
cargo test -p delegir -p delegir-emulator -p delegir-js
