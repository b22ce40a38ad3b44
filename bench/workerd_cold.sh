#!/usr/bin/env bash
# The cold start of `import('delegir')` in workerd (issue 16): a Worker bundled offline by
# `wrangler deploy --dry-run` from the packed tarball (the WebAssembly build, as a Cloudflare
# Worker gets it), served by workerd, against an empty Worker; see bench/workerd/cold.mjs for
# what is timed. About 20 s after the runtimes are installed; writes bench/WORKERD.md (or the
# path given).
#
#   bash bench/workerd_cold.sh [OUT.md]         (after bindings-node/scripts/build.sh)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="${1:-$root/bench/WORKERD.md}"
rounds="${ROUNDS:-5}"
runtimes="$root/build/runtimes"
bin="$runtimes/node_modules/.bin"
work="$root/build/bench-workerd"

# workerd, wrangler and bun (wrangler 4 wants Node 22: on Node 20 it runs on Bun), at the versions
# tests/runtimes/run.sh pins and installs into build/runtimes (its `versions=` line, read here so
# that the two never differ).
eval "$(grep -m1 '^versions=' tests/runtimes/run.sh)"
if [ "$(cat "$runtimes/.versions" 2>/dev/null)" != "$versions" ]; then
    mkdir -p "$runtimes"
    echo '{"name":"delegir-runtimes","private":true}' > "$runtimes/package.json"
    # shellcheck disable=SC2086
    (cd "$runtimes" && npm install --no-audit --no-fund --loglevel=error $versions)
    echo "$versions" > "$runtimes/.versions"
fi
ls build/npm/delegir-*.tgz >/dev/null 2>&1 || bash bindings-node/scripts/build.sh
tarball="$(ls "$root"/build/npm/delegir-*.tgz | head -n 1)"

rm -rf "$work"
mkdir -p "$work"
cp bench/workerd/worker.mjs bench/workerd/empty.mjs bench/workerd/wrangler.toml "$work/"
echo '{"name":"delegir-bench-workerd","private":true}' > "$work/package.json"
(cd "$work" && npm install --no-save --no-audit --no-fund --loglevel=error "$tarball")
export WRANGLER_SEND_METRICS=false XDG_CONFIG_HOME="$work/.config"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
wrangler=("$bin/bun" "$runtimes/node_modules/wrangler/bin/wrangler.js")
[ "$node_major" -ge 22 ] && wrangler=(node "$runtimes/node_modules/wrangler/bin/wrangler.js")
(cd "$work" && "${wrangler[@]}" deploy --dry-run --outdir out >/dev/null)

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port_sdk="$(free_port)"
port_empty="$(free_port)"
wasm_name="$(cd "$work/out" && ls ./*.wasm | head -n 1)"
wasm_name="${wasm_name#./}"
config() { # NAME PORT MODULES
    cat > "$work/$1.capnp" <<CAPNP
using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:$2", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ $3 ],
  compatibilityDate = "2025-09-01",
);
CAPNP
}
config sdk "$port_sdk" "(name = \"worker.js\", esModule = embed \"out/worker.js\"), (name = \"$wasm_name\", wasm = embed \"out/$wasm_name\")"
config empty "$port_empty" "(name = \"worker.js\", esModule = embed \"empty.mjs\")"

node bench/workerd/cold.mjs "$bin/workerd" "$work/sdk.capnp" "$work/empty.capnp" "$port_sdk" "$port_empty" \
    "$rounds" "$out" "$work/out"
