#!/usr/bin/env bash
# The Worker bundle of delegir next to openai-node's, made the same way: a Worker that builds a
# client and makes one call, bundled by `wrangler deploy --dry-run` (what a user deploying to
# Cloudflare gets); size = the .js and .wasm files wrangler writes, raw and gzip -9. Prints one
# markdown table row per SDK (bench/wasm.sh includes them).
#
# Needs the packed tarball (build/npm) and the runtimes of tests/runtimes/run.sh (build/runtimes:
# wrangler, run on Bun since wrangler 4 wants Node 22); installs each of $OPENAI_VERSIONS from
# npm. Several versions because openai-node's Worker bundle varies a lot between them (measured
# 2026-12-06: 227 KiB for 4.95.0, 232 for 5.7.0, 260 for 6.30.1, 999 for 7.60.0).
#
#   bash bench/wasm-bundle.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runtimes="$root/build/runtimes"
work="$root/build/bench-wasm-bundle"
openai_versions="${OPENAI_VERSIONS:-4.95.0 6.30.1 7.60.0}"
tarball="$(ls "$root"/build/npm/delegir-*.tgz | head -n 1)"
wrangler_js="$runtimes/node_modules/wrangler/bin/wrangler.js"
if [ ! -f "$wrangler_js" ]; then
    echo "wasm-bundle.sh: no wrangler in build/runtimes (run tests/runtimes/run.sh once)" >&2
    exit 1
fi
wrangler=("$runtimes/node_modules/.bin/bun" "$wrangler_js")
[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 22 ] && wrangler=(node "$wrangler_js")
export WRANGLER_SEND_METRICS=false XDG_CONFIG_HOME="$work/.config"

# bundle NAME PACKAGE SOURCE: the Worker bundle's row.
bundle() {
    local dir="$work/$1"
    rm -rf "$dir"
    mkdir -p "$dir"
    printf '%s\n' "$3" > "$dir/worker.mjs"
    # Worker names: lowercase letters, digits and dashes.
    printf 'name = "bench-%s"\nmain = "worker.mjs"\ncompatibility_date = "2025-09-01"\n' "${1//./-}" > "$dir/wrangler.toml"
    echo '{"name":"bench-worker","private":true}' > "$dir/package.json"
    if ! (cd "$dir" && npm install --no-save --no-audit --no-fund --loglevel=error "$2" >/dev/null \
        && "${wrangler[@]}" deploy --dry-run --outdir out >"$dir/wrangler.log" 2>&1); then
        echo "| $4 | not measured: npm install or wrangler failed ($dir) | | |"
        return 0
    fi
    node -e '
const { readdirSync, readFileSync } = require("node:fs");
const { gzipSync } = require("node:zlib");
const [out, name] = process.argv.slice(1);
const files = readdirSync(out).filter((f) => f.endsWith(".js") || f.endsWith(".wasm"));
let raw = 0, gz = 0;
for (const f of files) { const b = readFileSync(`${out}/${f}`); raw += b.length; gz += gzipSync(b, { level: 9 }).length; }
const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
console.log(`| ${name} | ${kib(raw)} | ${kib(gz)} | ${files.join(", ")} |`);
' "$dir/out" "$4"
}

bundle delegir "$tarball" "import { Delegir } from 'delegir';
export default {
  async fetch(request, env) {
    const client = new Delegir({ apiKey: env.KEY, baseUrl: env.BASE });
    return Response.json(await client.agents.list());
  },
};" "delegir (WebAssembly build)"

for version in $openai_versions; do
    bundle "openai-$version" "openai@$version" "import OpenAI from 'openai';
export default {
  async fetch(request, env) {
    const client = new OpenAI({ apiKey: env.KEY, baseURL: env.BASE });
    return Response.json(await client.models.list());
  },
};" "openai-node $version"
done
