#!/usr/bin/env bash
# Fails when the committed napi-generated files (native/index.d.ts and the loader native/index.js)
# differ from what a build of the crate produces. It rebuilds the addon with the same flags as
# scripts/build.sh (so cargo's cache is reused), which rewrites both files in place, and compares
# them with the committed versions; on a difference, commit the regenerated files.
#
#   bash bindings-node/scripts/check-dts.sh             # rebuild, then compare
#   NO_BUILD=1 bash bindings-node/scripts/check-dts.sh  # compare only (scripts/test.sh, after build.sh)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pkg="$(dirname "$here")"
cd "$pkg"

if [ -z "${NO_BUILD:-}" ]; then
    if [ ! -x node_modules/.bin/napi ]; then
        npm ci --no-audit --no-fund --loglevel=error
    fi
    npx napi build --platform --release --strip --output-dir native --js index.js --dts index.d.ts
fi

if ! git -C "$pkg" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    echo "check-dts.sh: not a git work tree; nothing to compare against" >&2
    exit 1
fi
if ! git -C "$pkg" diff --exit-code -- native/index.d.ts native/index.js; then
    echo "check-dts.sh: native/index.d.ts or native/index.js differ from the committed versions;" \
         "commit the regenerated files" >&2
    exit 1
fi
echo "check-dts.sh: native/index.d.ts and native/index.js match the build"
