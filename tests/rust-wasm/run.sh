#!/usr/bin/env bash
# The Rust API of delegir built for wasm32-unknown-unknown (tests/rust-wasm/tests/client.rs), run
# under Node by wasm-bindgen's test runner against the emulator, limited to 20 requests per 2 s
# per key so that the rate-limit ledger is exercised too.
#
#   bash tests/rust-wasm/run.sh      # part of `make test` (test-runtimes)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

# The target and wasm-bindgen's CLI, whose wasm-bindgen-test-runner runs the tests under Node.
# shellcheck source=bindings-wasm/scripts/tools.sh
source "$root/bindings-wasm/scripts/tools.sh"

# shellcheck source=scripts/start-emulator.sh
source "$root/scripts/start-emulator.sh"
start_emulator
bash "$root/scripts/ensure-debs.sh" curl:curl
curl -sf -X PUT "$DELEGIR_ADMIN_URL/config" -d '{"rate_limit":20,"rate_window_ms":2000}' >/dev/null

CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="$bindgen_test_runner" \
    cargo test -p delegir-rust-wasm-tests --target wasm32-unknown-unknown
