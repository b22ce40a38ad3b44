#!/usr/bin/env bash
# Builds the package (scripts/build.sh) and checks the committed .d.ts (scripts/check-dts.sh), then runs the Node SDK's tests against the installed
# tarball in build/node-scratch, never the source tree:
#   - node --test over tests/*.test.mjs (ESM) and tests/*.test.cjs (CommonJS),
#   - the TypeScript tests compiled with tsc --strict and run with node --test,
#   - tsc --strict --noEmit over the TypeScript examples.
#
#   bash bindings-node/scripts/test.sh
#   SKIP_BUILD=1 bash bindings-node/scripts/test.sh tests/abort.test.mjs   # rerun some tests
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pkg="$(dirname "$here")"
root="$(dirname "$pkg")"
# DELEGIR_NODE_SCRATCH: another project where the package is installed (scripts/check-dist-npm.sh).
scratch="${DELEGIR_NODE_SCRATCH:-$root/build/node-scratch}"

if [ -z "${SKIP_BUILD:-}" ]; then
    bash "$here/build.sh"
    # build.sh regenerated native/index.{d.ts,js}: they must match the committed files.
    NO_BUILD=1 bash "$here/check-dts.sh"
fi

# The tests run from the scratch project so that `delegir` resolves to the installed package.
rm -rf "$scratch/tests" "$scratch/examples" "$scratch/out"
cp -r "$pkg/tests" "$scratch/tests"
mkdir -p "$scratch/examples"
cp "$root"/examples/node/*.ts "$root"/examples/node/*.mjs "$scratch/examples/" 2>/dev/null || true
cat > "$scratch/tsconfig.json" <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022",
    "lib": ["ES2022"],
    "module": "node16",
    "moduleResolution": "node16",
    "strict": true,
    "noEmitOnError": true,
    "types": ["node"],
    "outDir": "out",
    "rootDir": "."
  },
  "include": ["tests/**/*.ts", "tests/**/*.mts", "examples/**/*.ts"]
}
JSON

# The conformance runner reads the scenarios of this repository.
export DELEGIR_CONFORMANCE_DIR="${DELEGIR_CONFORMANCE_DIR:-$root/tests/conformance}"

cd "$scratch"
echo "test.sh: tsc --strict over the TypeScript tests and examples"
npx tsc -p tsconfig.json

# TypeScript's default for CommonJS projects ("module": "commonjs", node10 resolution) ignores
# `exports`: the subpaths' types come from package.json's `typesVersions` there.
rm -rf node10 && mkdir node10
cat > node10/tsconfig.json <<'JSON'
{
  "compilerOptions": { "target": "ES2022", "module": "commonjs", "strict": true, "noEmit": true, "types": ["node"] },
  "files": ["index.ts"]
}
JSON
cat > node10/index.ts <<'TS'
import { Delegir, NotFoundError } from 'delegir';
import { Delegir as WasmDelegir } from 'delegir/wasm';
import { Emulator } from 'delegir/testing';
export const clients: Array<Delegir | WasmDelegir> = [];
export const kinds: Array<typeof NotFoundError | typeof Emulator> = [NotFoundError, Emulator];
TS
echo "test.sh: tsc --strict of a CommonJS project with node10 resolution"
npx tsc -p node10/tsconfig.json

if [ "$#" -gt 0 ]; then
    files=("$@")
else
    files=(tests/*.test.mjs tests/*.test.cjs out/tests/*.test.js out/tests/*.test.mjs)
fi
existing=()
for f in "${files[@]}"; do
    [ -e "$f" ] && existing+=("$f")
done
echo "test.sh: node --test ${existing[*]}"
node --test --test-reporter=spec "${existing[@]}"
