#!/usr/bin/env bash
# Runs the Node quickstarts (examples/node/quickstart.mjs and quickstart.ts) against the installed
# tarball in build/node-scratch, with DELEGIR_API_KEY / DELEGIR_BASE_URL from the environment
# (the README's main job starts the emulator and sets them). Runs scripts/build.sh first when
# the package is not installed there yet, or always with BUILD=1 (SKIP_BUILD=1 never builds).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pkg="$(dirname "$here")"
root="$(dirname "$pkg")"
scratch="$root/build/node-scratch"

: "${DELEGIR_API_KEY:?set DELEGIR_API_KEY (and DELEGIR_BASE_URL for the emulator)}"

if [ -z "${SKIP_BUILD:-}" ] && { [ -n "${BUILD:-}" ] || [ ! -d "$scratch/node_modules/delegir" ]; }; then
    bash "$here/build.sh"
fi

mkdir -p "$scratch/examples"
cp "$root/examples/node/quickstart.mjs" "$root/examples/node/quickstart.ts" "$scratch/examples/"
cd "$scratch"

echo "== examples/node/quickstart.mjs"
node examples/quickstart.mjs

echo "== examples/node/quickstart.ts (tsc --strict, then node)"
# Compiled inside the scratch project (build/node-scratch/out-examples) so that the CommonJS
# output resolves `delegir` from its node_modules.
rm -rf out-examples
npx tsc --strict --target ES2022 --module node16 --moduleResolution node16 --types node \
    --outDir out-examples examples/quickstart.ts
node out-examples/quickstart.js
