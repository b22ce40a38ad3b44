#!/usr/bin/env bash
# The npm packages of `make dist` (called by scripts/dist.sh):
#
#   delegir-X.Y.Z.tgz                  the main package: what bindings-node/package.json `files`
#                                      lists (TypeScript layer, loader, types, the WebAssembly
#                                      build when there is one) WITHOUT any .node file, plus
#                                      `optionalDependencies` on every platform package
#   delegir-<platform>-X.Y.Z.tgz       one addon each, the napi-rs convention: `os`, `cpu`, `libc`
#                                      let npm install only the one that fits; the generated loader
#                                      (native/index.js) requires `delegir-<platform>`
#
#   bash scripts/dist-npm.sh STAGE OUT TRIPLE...   (STAGE/addons/delegir.<platform>.node built)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$1" "$2"
stage="$(cd "$1" && pwd)" out="$(cd "$2" && pwd)"  # absolute: the script changes directory
shift 2
# shellcheck source=scripts/dist-env.sh
source "$root/scripts/dist-env.sh"
pkg="$root/bindings-node"
cd "$pkg"

# Dev dependencies exactly as locked (as scripts/build.sh does), then the TypeScript layer.
lock_sum="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f node_modules/.delegir-lock-sha256 ] || [ "$(cat node_modules/.delegir-lock-sha256)" != "$lock_sum" ]; then
    npm ci --no-audit --no-fund --loglevel=error
    printf '%s' "$lock_sum" > node_modules/.delegir-lock-sha256
fi
rm -rf dist
npx tsc -p tsconfig.json

# The WebAssembly build that the main package carries (issue 16; what runtimes without an addon
# load): bindings-wasm/scripts/build.sh writes it into bindings-node/wasm/, which package.json
# `files` lists. It builds in the repository's own target dir (its script reads the module from
# there), not in make dist's. DIST_SKIP_WASM=1 packs whatever bindings-node/wasm/ holds already.
wasm_build="$root/bindings-wasm/scripts/build.sh"
if [ -f "$wasm_build" ] && [ "${DIST_SKIP_WASM:-0}" != "1" ]; then
    echo "dist-npm: the WebAssembly build ($wasm_build)"
    env -u CARGO_TARGET_DIR bash "$wasm_build"
elif [ ! -f "$wasm_build" ]; then
    echo "dist-npm: no bindings-wasm/scripts/build.sh: the main package carries no WebAssembly build" >&2
fi

# The main package: exactly the files `npm pack` would take, minus native addons.
main="$stage/delegir"
rm -rf "$main"
mkdir -p "$main"
npm pack --dry-run --json --loglevel=error | node -e '
    const [{ files }] = JSON.parse(require("fs").readFileSync(0, "utf8"));
    for (const f of files) if (!f.path.endsWith(".node")) console.log(f.path);
' | while IFS= read -r file; do
    mkdir -p "$main/$(dirname "$file")"
    cp "$file" "$main/$file"
done

platforms=()
for triple in "$@"; do
    platforms+=("$(dist_napi_platform "$triple")")
done
node "$root/scripts/dist-npm-packages.mjs" "$main" "$stage" "${platforms[@]}"

for dir in "$main" "${platforms[@]/#/$stage/npm-}"; do
    (cd "$dir" && npm pack --silent --pack-destination "$out" --loglevel=error >/dev/null)
done
