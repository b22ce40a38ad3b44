#!/usr/bin/env bash
# workerd: a Cloudflare Worker that imports `delegir` (the packed tarball), bundled offline by
# `wrangler deploy --dry-run` and served by workerd, against an emulator limited to 20 requests
# per 2 s. The Worker lists agents, pages through all 1,284 runs of agt_abc123, chats, gets a
# NotFoundError with its status, and makes 50 calls at once on one key; the emulator's journal
# must show no 429 at all (the ledger paced every call). Also prints the bundle's size and the
# Worker's cold start.
#
# Called by tests/runtimes/run.sh (which installs the runtimes and builds the tarball).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
runtimes="$root/build/runtimes"
bin="$runtimes/node_modules/.bin"
work="$runtimes/worker"
tarball="$(ls "$root"/build/npm/delegir-*.tgz | head -n 1)"

# shellcheck source=scripts/start-emulator.sh
source "$root/scripts/start-emulator.sh"
start_emulator
curl -sf -X PUT "$DELEGIR_ADMIN_URL/config" -d '{"rate_limit":20,"rate_window_ms":2000}' >/dev/null

rm -rf "$work"
mkdir -p "$work"
cp "$here/worker/worker.mjs" "$here/worker/wrangler.toml" "$work/"
echo '{"name":"delegir-worker-test","private":true}' > "$work/package.json"
(cd "$work" && npm install --no-save --no-audit --no-fund --loglevel=error "$tarball")

# wrangler 4 needs Node >= 22; CI has Node 20, so it runs on Bun (also installed from npm).
export WRANGLER_SEND_METRICS=false XDG_CONFIG_HOME="$work/.config"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
wrangler=("$bin/bun" "$runtimes/node_modules/wrangler/bin/wrangler.js")
[ "$node_major" -ge 22 ] && wrangler=(node "$runtimes/node_modules/wrangler/bin/wrangler.js")
(cd "$work" && "${wrangler[@]}" deploy --dry-run --outdir out) | grep -E "Total Upload" || true

# The workerd config: the bundle, its WebAssembly module, and an `internet` service (the
# Worker's globalOutbound) that may reach the emulator on 127.0.0.1.
wasm_name="$(cd "$work/out" && ls ./*.wasm | head -n 1)"
wasm_name="${wasm_name#./}"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
cat > "$work/config.capnp" <<CAPNP
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:$port", http = (), service = "main") ],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "out/worker.js"),
    (name = "$wasm_name", wasm = embed "out/$wasm_name"),
  ],
  compatibilityDate = "2025-09-01",
  globalOutbound = "internet",
);
CAPNP

"$bin/workerd" serve "$work/config.capnp" >"$work/workerd.log" 2>&1 &
workerd_pid=$!
trap 'kill $workerd_pid 2>/dev/null || true; kill $DELEGIR_EMULATOR_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" -m 1 --head 2>/dev/null && break
    sleep 0.1
done

node "$here/workerd-check.mjs" "http://127.0.0.1:$port" "$work"
