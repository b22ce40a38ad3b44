#!/usr/bin/env bash
# The Worker bundle of delegir next to openai-node's, made the same way: a Worker that builds a
# client and makes one call, bundled by `wrangler deploy --dry-run` (what a user deploying to
# Cloudflare gets); size = the .js and .wasm files wrangler writes, raw and gzip -9. Prints two
# markdown table rows per SDK (bench/wasm.sh includes them): as wrangler bundles by default (not
# minified), and with `--minify`, what a size-conscious deployment uses.
#
# Comparing fairly: the JavaScript of both SDKs is text that minifies and compresses well; the
# WebAssembly module is already optimised for size (wasm-opt -Oz) and minifying changes nothing
# in it. What a Worker uploads and Cloudflare limits is the gzip of all modules together, so the
# gzip total of the minified rows is the figure to compare; raw bytes favour the pure-JavaScript
# SDK less than gzip does (JavaScript compresses ~5x, the module ~2.3x). The module ships as a
# separate .wasm file (wrangler and workerd import it compiled), never as base64 inside the
# JavaScript, which would add a third to it; the `files` column gives each file's share.
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
tarball="${TARBALL:-$(ls "$root"/build/npm/delegir-*.tgz | head -n 1)}"
wrangler_js="$runtimes/node_modules/wrangler/bin/wrangler.js"
if [ ! -f "$wrangler_js" ]; then
    echo "wasm-bundle.sh: no wrangler in build/runtimes (run tests/runtimes/run.sh once)" >&2
    exit 1
fi
wrangler=("$runtimes/node_modules/.bin/bun" "$wrangler_js")
[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 22 ] && wrangler=(node "$wrangler_js")
export WRANGLER_SEND_METRICS=false XDG_CONFIG_HOME="$work/.config"

# bundle NAME PACKAGE SOURCE LABEL: the Worker bundle's rows (default, then --minify).
bundle() {
    local dir="$work/$1"
    rm -rf "$dir"
    mkdir -p "$dir"
    printf '%s\n' "$3" > "$dir/worker.mjs"
    # Worker names: lowercase letters, digits and dashes.
    printf 'name = "bench-%s"\nmain = "worker.mjs"\ncompatibility_date = "2025-09-01"\n' "${1//./-}" > "$dir/wrangler.toml"
    echo '{"name":"bench-worker","private":true}' > "$dir/package.json"
    if ! (cd "$dir" && npm install --no-save --no-audit --no-fund --loglevel=error "$2" >/dev/null \
        && "${wrangler[@]}" deploy --dry-run --outdir out >"$dir/wrangler.log" 2>&1 \
        && "${wrangler[@]}" deploy --dry-run --minify --outdir out-min >>"$dir/wrangler.log" 2>&1); then
        echo "| $4 | not measured: npm install or wrangler failed ($dir) | | |"
        return 0
    fi
    row "$dir/out" "$4"
    row "$dir/out-min" "$4, --minify"
}

# row FOLDER LABEL: one markdown row for the .js and .wasm files wrangler wrote to FOLDER.
row() {
    node -e '
const { readdirSync, readFileSync } = require("node:fs");
const { gzipSync } = require("node:zlib");
const [out, name] = process.argv.slice(1);
const files = readdirSync(out).filter((f) => f.endsWith(".js") || f.endsWith(".wasm"));
let raw = 0, gz = 0;
const parts = [];
const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
for (const f of files) {
  const b = readFileSync(`${out}/${f}`);
  const z = gzipSync(b, { level: 9 }).length;
  raw += b.length;
  gz += z;
  parts.push(`${f.endsWith(".wasm") ? "module .wasm" : f} ${kib(b.length)} (${kib(z)} gzip)`);
}
console.log(`| ${name} | ${kib(raw)} | ${kib(gz)} | ${parts.join(", ")} |`);
' "$1" "$2"
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
