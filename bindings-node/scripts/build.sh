#!/usr/bin/env bash
# Builds the npm package of the Node SDK and installs it into a scratch project.
#
# Idempotent; needs only Rust, Node >= 20 and npm. Steps:
#   1. npm ci in bindings-node (skipped while package-lock.json is unchanged)
#   2. napi build --platform --release  -> native/delegir.<platform>.node, native/index.{js,d.ts}
#      bindings-wasm/scripts/build.sh     -> wasm/delegir.wasm, wasm/glue.cjs, wasm/embedded.cjs
#   3. tsc                               -> dist/
#   4. npm pack                          -> build/npm/delegir-<version>.tgz (repository root)
#   5. build/node-scratch: a project that installs that tarball with `npm install --no-save`
#      (never recorded in a lockfile: npm would reuse a stale cached copy, see TOOLCHAIN.md)
#      plus typescript and @types/node, for the tests and examples.
#
#   bash bindings-node/scripts/build.sh                  # release (CI, examples)
#   PROFILE=debug bash bindings-node/scripts/build.sh    # faster native build while iterating
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pkg="$(dirname "$here")"
root="$(dirname "$pkg")"
npm_out="$root/build/npm"
scratch="${DELEGIR_NODE_SCRATCH:-$root/build/node-scratch}"
profile="${PROFILE:-release}"

cd "$pkg"

# 1. Dev dependencies (@napi-rs/cli, typescript, @types/node) exactly as locked.
lock_sum="$(sha256sum package-lock.json | cut -d' ' -f1)"
stamp="node_modules/.delegir-lock-sha256"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
    npm ci --no-audit --no-fund --loglevel=error
    printf '%s' "$lock_sum" > "$stamp"
fi

# 2. The addon, its loader and its type definitions (committed; scripts/check-dts.sh checks them).
napi_args=(build --platform --output-dir native --js index.js --dts index.d.ts)
if [ "$profile" = "release" ]; then
    napi_args+=(--release --strip)
fi
rm -f native/*.node
npx napi "${napi_args[@]}"

# 2b. The WebAssembly build of the core (wasm/: module, glue, embedded bytes): Workers, Deno,
# browsers, bundlers, and any platform the addon does not load on.
bash "$root/bindings-wasm/scripts/build.sh"

# 3. The TypeScript layer.
rm -rf dist
npx tsc -p tsconfig.json

# 4. The tarball.
mkdir -p "$npm_out"
rm -f "$npm_out"/delegir-*.tgz
tarball_name="$(npm pack --silent --pack-destination "$npm_out" | tail -n 1)"
tarball="$npm_out/$tarball_name"

# 5. The scratch project.
mkdir -p "$scratch"
cat > "$scratch/package.json" <<'JSON'
{
  "name": "delegir-node-scratch",
  "version": "0.0.0",
  "private": true,
  "description": "Installs the packed delegir tarball (not recorded here) to run tests and examples against it",
  "devDependencies": {
    "@types/node": "^20.19.0",
    "typescript": "~5.9.0"
  }
}
JSON
cd "$scratch"
if [ ! -d node_modules/typescript ] || [ ! -d node_modules/@types/node ]; then
    npm install --no-audit --no-fund --loglevel=error
fi
# Remove the previous copy first: the version does not change between builds, and npm would
# otherwise keep the old files.
rm -rf node_modules/delegir
npm install --no-save --no-audit --no-fund --loglevel=error "$tarball"

node_file="$(ls "$scratch"/node_modules/delegir/native/*.node)"
echo "build.sh: $(basename "$tarball") ($(du -h "$tarball" | cut -f1)), addon $(basename "$node_file") ($(du -h "$node_file" | cut -f1)), installed in $scratch"
