#!/usr/bin/env bash
# edge-light: Vercel's Edge Runtime (npm `edge-runtime`) serving an Edge Function bundled from
# the installed tarball with the `edge-light` condition, against the emulator: lists agents,
# pages through all 1,284 runs of agt_abc123, gets a NotFoundError with its status. See
# tests/runtimes/edge-light/run.mjs for how the bundle is made and what the runtime refuses.
#
# Called by tests/runtimes/run.sh with the app folder (node_modules/delegir installed from the
# packed tarball) as argument; esbuild comes from build/runtimes, edge-runtime from npm into
# build/runtimes/edge-light (cached).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
runtimes="$root/build/runtimes"
app="$1"
edge="$runtimes/edge-light"

version="edge-runtime@4.0.1"
mkdir -p "$edge"
if [ "$(cat "$edge/.versions" 2>/dev/null)" != "$version" ]; then
    echo '{"name":"delegir-edge-light","private":true}' > "$edge/package.json"
    (cd "$edge" && npm install --no-audit --no-fund --loglevel=error "$version")
    echo "$version" > "$edge/.versions"
fi
cp "$here/edge-light/function.mjs" "$app/"
cp "$here/edge-light/run.mjs" "$edge/"

# shellcheck source=scripts/start-emulator.sh
source "$root/scripts/start-emulator.sh"
start_emulator
node "$edge/run.mjs" "$app" "$runtimes"
