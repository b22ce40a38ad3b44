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

cargo build -q -p delegir-emulator --bin delegir-emulator
log="$(mktemp)"
"${CARGO_TARGET_DIR:-$root/target}/debug/delegir-emulator" --port 0 --rate-limit 20 --rate-window 2s --quiet >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$log"' EXIT
url=""
for _ in $(seq 1 100); do
    url="$(sed -n 's/^Delegir emulator listening on //p' "$log")"
    [ -n "$url" ] && break
    sleep 0.1
done
[ -n "$url" ] || { echo "rust-wasm: the emulator did not start:" >&2; cat "$log" >&2; exit 1; }
export DELEGIR_BASE_URL="$url" DELEGIR_ADMIN_URL="${url%/api/v1}/__emulator"

CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="$bindgen_test_runner" \
    cargo test -p delegir-rust-wasm-tests --target wasm32-unknown-unknown
