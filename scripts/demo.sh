#!/usr/bin/env bash
# The main job: start the emulator, then run the quickstart of every SDK against it.
# Each language uses its own API key, so each sees its own copy of the data and its own
# rate-limit window (the emulator enforces the real 60 requests per minute).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

echo "== building the emulator and the Rust quickstart"
cargo build --release -q -p delegir-emulator --bin delegir-emulator
cargo build --release -q -p delegir --example quickstart

log="$(mktemp)"
target/release/delegir-emulator --port 0 --quiet >"$log" 2>&1 &
emulator_pid=$!
trap 'kill "$emulator_pid" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
  url="$(grep -o 'http://[^ ]*' "$log" | head -n1 || true)"
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "${url:-}" ] || { echo "emulator did not start:"; cat "$log"; exit 1; }
export DELEGIR_BASE_URL="$url"
echo "== emulator at $DELEGIR_BASE_URL"

echo "== a raw request with curl"
curl -sS -H "X-API-Key: dlg_test_curldemo1" "$DELEGIR_BASE_URL/agents/agt_abc123" | head -c 400; echo

echo; echo "== Rust: examples/rust/quickstart.rs"
DELEGIR_API_KEY=dlg_test_rustdemo1 target/release/examples/quickstart

echo; echo "== Python: building the wheel into build/venv"
bash bindings-python/scripts/build.sh >/dev/null
echo "== Python: examples/python/quickstart.py"
DELEGIR_API_KEY=dlg_test_pythondemo1 build/venv/bin/python examples/python/quickstart.py
echo; echo "== Python: examples/python/quickstart_async.py"
DELEGIR_API_KEY=dlg_test_pythondemo2 build/venv/bin/python examples/python/quickstart_async.py

echo; echo "== Node: building and packing the addon"
bash bindings-node/scripts/build.sh >/dev/null
echo "== Node: examples/node/quickstart.mjs and quickstart.ts"
DELEGIR_API_KEY=dlg_test_nodedemo1 bash bindings-node/scripts/run-examples.sh

echo; echo "== main job finished: every quickstart ran against the emulator"
