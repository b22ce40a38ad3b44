#!/usr/bin/env bash
# The npm packages of dist/ as a user installs them (called by scripts/check-dist.sh):
#  - main package + delegir-linux-x64-gnu from dist/ into a scratch project: the loader must load
#    the addon from node_modules/delegir-linux-x64-gnu (the main package has none), and the whole
#    Node suite (bindings-node/scripts/test.sh) passes against that install;
#  - main package alone with --omit=optional (no addon at all): examples/node/quickstart.mjs still
#    runs against the emulator, on the WebAssembly build the main package carries.
#
#   bash scripts/check-dist-npm.sh dist/npm X.Y.Z
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
npm_dir="$(cd "$1" && pwd)" version="$2"
work="$root/build/dist-check"
main="$npm_dir/delegir-$version.tgz"
gnu="$npm_dir/delegir-linux-x64-gnu-$version.tgz"
failures=0

# A project like the one bindings-node/scripts/build.sh makes for the suite (its package.json,
# read from that script so that the two never drift), without delegir.
scratch_project() {
    local dir="$1"
    rm -rf "$dir"
    mkdir -p "$dir"
    sed -n "/^cat > \"\$scratch\/package.json\" <<'JSON'$/,/^JSON$/p" "$root/bindings-node/scripts/build.sh" |
        sed '1d;$d' > "$dir/package.json"
    node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$dir/package.json"
}

# 1. With the platform package: the addon comes from it, and the suite passes.
with_addon="$work/npm-with-addon"
scratch_project "$with_addon"
(cd "$with_addon" && npm install --no-audit --no-fund --loglevel=error &&
    npm install --no-save --no-audit --no-fund --loglevel=error "$main" "$gnu")
# The module is loaded on first use (build() reports which one: "native" or "wasm").
loaded="$(cd "$with_addon" && node -e '
    const sdk = require("delegir");
    const build = typeof sdk.build === "function" ? sdk.build() : "native";
    if (build !== "native") throw new Error(`build() is ${build}, not native`);
    console.log(Object.keys(require.cache).filter((p) => p.endsWith(".node")).join(" "));')"
if [[ "$loaded" == *"/node_modules/delegir-linux-x64-gnu/delegir.linux-x64-gnu.node" ]]; then
    echo "check-dist-npm: ok: require('delegir') loaded ${loaded#"$with_addon"/}"
else
    echo "check-dist-npm: FAIL: require('delegir') loaded [$loaded], not delegir-linux-x64-gnu" >&2
    failures=$((failures + 1))
fi
echo "check-dist-npm: the Node suite against the install from dist/"
DELEGIR_NODE_SCRATCH="$with_addon" SKIP_BUILD=1 bash "$root/bindings-node/scripts/test.sh" ||
    failures=$((failures + 1))

# 2. Without optional dependencies: no addon; the WebAssembly build must serve the quickstart.
no_addon="$work/npm-no-addon"
scratch_project "$no_addon"
(cd "$no_addon" && npm install --no-save --omit=optional --no-audit --no-fund --loglevel=error "$main")
if ls "$no_addon"/node_modules/delegir-linux-* >/dev/null 2>&1; then
    echo "check-dist-npm: FAIL: --omit=optional still installed an addon package" >&2
    failures=$((failures + 1))
fi
# shellcheck source=scripts/start-emulator.sh
source "$root/scripts/start-emulator.sh"
start_emulator
cp "$root/examples/node/quickstart.mjs" "$no_addon/quickstart.mjs"
if (cd "$no_addon" && node quickstart.mjs >quickstart.out 2>&1); then
    echo "check-dist-npm: ok: --omit=optional: the quickstart ran (WebAssembly build)"
else
    echo "check-dist-npm: FAIL: --omit=optional: the quickstart failed:" >&2
    tail -n 15 "$no_addon/quickstart.out" >&2
    if ! tar -tzf "$main" | grep -q '\.wasm$'; then
        echo "check-dist-npm: the main package carries no .wasm file: blocked on the WebAssembly build (issue 16)" >&2
    fi
    failures=$((failures + 1))
fi
exit "$failures"
