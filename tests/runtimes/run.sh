#!/usr/bin/env bash
# The npm package on every JavaScript runtime, from the packed tarball (build/npm, made by
# bindings-node/scripts/build.sh), against the emulator:
#   1. Node, WebAssembly build: the conformance scenarios (tests/conformance) with `delegir`
#      resolved to the wasm build (`--conditions=worker`), and tests/runtimes/node/*.test.mjs
#      (fetch option, options refused per build, abort and timeout, secrets, no growth of the
#      module's memory or reference table over calls that end in every way, a panic that traps
#      the module ending every call with an error)
#   2. workerd: tests/runtimes/workerd.sh (wrangler bundle, workerd, 20 requests per 2 s)
#   2b. Vercel's Edge Runtime: tests/runtimes/edge-light.sh (an Edge Function bundled with the
#      `edge-light` condition, WebAssembly compiled ahead as on Vercel)
#   3. Deno (--allow-net --allow-env, no --allow-ffi) and Bun: the quickstart; on Deno, a chat
#      reset after the server read it is not sent again by Deno's fetch (deno-check.mjs), and
#      without --allow-env the missing key's error says why (deno-noenv.mjs)
#   4. esbuild --bundle --platform=browser, and --platform=neutral with the worker conditions,
#      with no plugin and no loader; the browser bundle refuses a page without
#      dangerouslyAllowBrowser (browser-check.mjs)
#   5. the native-missing fallback: a copy of the package without its addon still runs the
#      quickstart through `import` and `require`
#   6. Node 24, the active LTS (the machine's Node may be older): the quickstart and the
#      conformance scenarios on both builds
# Runtimes come from npm into build/runtimes (cached). Sizes and timings are printed.
#
#   bash tests/runtimes/run.sh               # after bindings-node/scripts/build.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
runtimes="$root/build/runtimes"
bin="$runtimes/node_modules/.bin"

# curl (workerd.sh's readiness probe) and gzip (sizes) on a fresh machine.
bash "$root/scripts/ensure-debs.sh" curl:curl gzip:gzip

# The runtimes, pinned (TOOLCHAIN.md). wrangler 4 wants Node 22: workerd.sh runs it on Bun.
versions="workerd@1.20261123.1 wrangler@4.164.0 deno@2.9.6 bun@1.4.5 esbuild@0.28.2"
mkdir -p "$runtimes"
if [ "$(cat "$runtimes/.versions" 2>/dev/null)" != "$versions" ]; then
    echo '{"name":"delegir-runtimes","private":true}' > "$runtimes/package.json"
    # shellcheck disable=SC2086
    (cd "$runtimes" && npm install --no-audit --no-fund --loglevel=error $versions)
    echo "$versions" > "$runtimes/.versions"
fi

# A project with the packed tarball installed (its own copy: other builds may repack meanwhile).
if ! ls "$root"/build/npm/delegir-*.tgz >/dev/null 2>&1; then
    bash "$root/bindings-node/scripts/build.sh"
fi
tarball="$(ls "$root"/build/npm/delegir-*.tgz | head -n 1)"
app="$runtimes/app"
rm -rf "$app"
mkdir -p "$app"
cp "$tarball" "$app/delegir.tgz"
echo '{"name":"delegir-runtimes-app","private":true}' > "$app/package.json"
(cd "$app" && npm install --no-save --no-audit --no-fund --loglevel=error ./delegir.tgz)
cp "$root/examples/node/quickstart.mjs" "$app/"
cp -r "$root/bindings-node/tests" "$app/node-tests"
cp "$here"/node/*.test.mjs "$here/fallback-check.cjs" "$here/browser-check.mjs" "$here/deno-check.mjs" "$here/deno-noenv.mjs" "$here/bun-check.mjs" \
    "$here/bundle/entry.mjs" "$app/"

# shellcheck source=scripts/start-emulator.sh
source "$root/scripts/start-emulator.sh"
start_emulator
cd "$app"

echo "runtimes: 1. Node on the WebAssembly build: conformance scenarios, options"
node --conditions=worker -e "import('delegir').then((m) => { if (m.build() !== 'wasm') process.exit(1); })"
DELEGIR_CONFORMANCE_DIR="$root/tests/conformance" \
    node --conditions=worker --test --test-reporter=dot node-tests/conformance.test.mjs
node --test --test-reporter=dot ./*.test.mjs

echo "runtimes: 2. workerd"
bash "$here/workerd.sh"

echo "runtimes: 2b. Vercel's Edge Runtime (edge-light)"
bash "$here/edge-light.sh" "$app"

echo "runtimes: 3. Deno (--allow-net --allow-env) and Bun: the quickstart"
# A Deno cache of this run's own: Deno's V8 code cache has been seen to run a previous build's
# glue.cjs from the same path (ReferenceError on a renamed wasm-bindgen function).
export DENO_DIR="$app/.deno"
deno_build="$("$bin/deno" eval --quiet "import { build } from 'delegir'; console.log(build())" 2>&1 || true)"
[ "$deno_build" = "wasm" ] || { echo "Deno: expected the wasm build, got: $deno_build" >&2; exit 1; }
DENO_NO_UPDATE_CHECK=1 "$bin/deno" run --quiet --allow-net --allow-env quickstart.mjs > deno.out
tail -n 3 deno.out
DENO_NO_UPDATE_CHECK=1 "$bin/deno" run --quiet --allow-net --allow-env deno-check.mjs
DENO_NO_UPDATE_CHECK=1 "$bin/deno" run --quiet --allow-net deno-noenv.mjs "$DELEGIR_BASE_URL" "$DELEGIR_API_KEY"
bun_build="$("$bin/bun" -e "import { build } from 'delegir'; console.log(build())")"
[ "$bun_build" = "native" ] || { echo "Bun: expected the native build, got: $bun_build" >&2; exit 1; }
"$bin/bun" quickstart.mjs > bun.out
tail -n 3 bun.out
"$bin/bun" bun-check.mjs

echo "runtimes: 4. esbuild bundles (no plugin, no loader) and the browser refusal"
"$bin/esbuild" entry.mjs --bundle --platform=browser --log-level=warning \
    --outfile=out/browser.js
"$bin/esbuild" entry.mjs --bundle --platform=neutral --format=esm \
    --conditions=worker,browser --main-fields=module,main --log-level=warning --outfile=out/neutral.mjs
node browser-check.mjs out/browser.js
for f in out/browser.js out/neutral.mjs; do
    echo "  $f: $(( $(wc -c < "$f") / 1024 )) KiB ($(( $(gzip -9 -c "$f" | wc -c) / 1024 )) KiB gzip)"
done

echo "runtimes: 4b. Node bundles (esbuild --platform=node, as for Lambda), run without node_modules"
# delegir/wasm needs no option in either format (the module comes embedded where the bundle has no
# .wasm file); the addon needs its .node file copied beside a CommonJS bundle (README, "Bundling").
node_bundles="$runtimes/node-bundles"
rm -rf "$node_bundles"
mkdir -p "$node_bundles"
sed "s#require('delegir')#require('delegir/wasm')#" fallback-check.cjs > wasm-bundle-check.cjs
sed "s#'wasm')#'native')#" fallback-check.cjs > native-bundle-check.cjs
sed "s#from 'delegir'#from 'delegir/wasm'#" quickstart.mjs > quickstart-wasm.mjs
"$bin/esbuild" wasm-bundle-check.cjs --bundle --platform=node --log-level=warning --outfile="$node_bundles/wasm.cjs"
"$bin/esbuild" quickstart-wasm.mjs --bundle --platform=node --format=esm --log-level=warning \
    --outfile="$node_bundles/wasm.mjs"
"$bin/esbuild" native-bundle-check.cjs --bundle --platform=node --loader:.node=copy --log-level=warning \
    --outfile="$node_bundles/native.cjs"
(cd "$node_bundles" && node wasm.cjs && node wasm.mjs | tail -n 1 && node native.cjs)

echo "runtimes: 5. without the addon: import and require fall back to the WebAssembly build"
fallback="$runtimes/fallback"
rm -rf "$fallback"
mkdir -p "$fallback/node_modules"
cp -r "$app/node_modules/delegir" "$fallback/node_modules/"
rm -f "$fallback"/node_modules/delegir/native/*.node
cp quickstart.mjs fallback-check.cjs "$fallback/"
(cd "$fallback" && node -e "import('delegir').then((m) => { if (m.build() !== 'wasm') process.exit(1); })" \
    && node quickstart.mjs | tail -n 2 && node fallback-check.cjs)
echo "runtimes: 6. Node 24 (the active LTS): both builds, the conformance scenarios"
# From npm's per-platform Node packages, into a folder of its own: its bin/node must not shadow
# the machine's Node for the other steps.
case "$(uname -m)" in
    x86_64) node_arch=x64 ;;
    aarch64 | arm64) node_arch=arm64 ;;
    *) echo "runtimes: no Node 24 package for $(uname -m) on npm" >&2; exit 1 ;;
esac
node24_package="node-linux-$node_arch@24.22.3"
node24_dir="$runtimes/node24"
if [ "$(cat "$node24_dir/.version" 2>/dev/null)" != "$node24_package" ]; then
    rm -rf "$node24_dir"
    mkdir -p "$node24_dir"
    echo '{"name":"delegir-node24","private":true}' > "$node24_dir/package.json"
    (cd "$node24_dir" && npm install --no-audit --no-fund --loglevel=error "$node24_package")
    echo "$node24_package" > "$node24_dir/.version"
fi
node24="$node24_dir/node_modules/node-linux-$node_arch/bin/node"
cd "$app"
echo "  $("$node24" --version)"
for condition in "" "--conditions=worker"; do
    # shellcheck disable=SC2086 # an empty condition is no argument
    got="$("$node24" $condition -e "import('delegir').then((m) => console.log(m.build()))")"
    want=native
    [ -n "$condition" ] && want=wasm
    [ "$got" = "$want" ] || { echo "Node 24 $condition: expected the $want build, got: $got" >&2; exit 1; }
    # shellcheck disable=SC2086
    "$node24" $condition quickstart.mjs | tail -n 1
    # shellcheck disable=SC2086
    DELEGIR_CONFORMANCE_DIR="$root/tests/conformance" \
        "$node24" $condition --test --test-reporter=dot node-tests/conformance.test.mjs
done
echo "runtimes: all passed"
