# Sourced by bindings-wasm/scripts/build.sh and tests/rust-wasm/run.sh: the wasm32-unknown-unknown
# target and the wasm-bindgen CLI of exactly the wasm-bindgen version in Cargo.lock (its crate and
# CLI must match), installed once into $DELEGIR_TOOLS_DIR/wasm-bindgen-<version>. Sets
# `wasm_tools` (that folder), `bindgen` (the CLI) and `bindgen_test_runner` (its test runner).
# DELEGIR_TOOLS_DIR defaults to ~/.cache/delegir/tools, outside the clone, so that every clone on
# a machine shares the 8-minute compile of the CLI.
wasm_tools="${DELEGIR_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/delegir/tools}"

if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
fi

_wasm_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
wasm_bindgen_version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$_wasm_root/Cargo.lock")"
bindgen="$wasm_tools/wasm-bindgen-$wasm_bindgen_version/bin/wasm-bindgen"
bindgen_test_runner="$wasm_tools/wasm-bindgen-$wasm_bindgen_version/bin/wasm-bindgen-test-runner"
if [ ! -x "$bindgen" ] || [ ! -x "$bindgen_test_runner" ]; then
    if ! cargo install wasm-bindgen-cli --version "$wasm_bindgen_version" --locked --root "$wasm_tools/wasm-bindgen-$wasm_bindgen_version"; then
        # A registry mirror may lack a version the CLI's lockfile names; resolve afresh.
        echo "tools.sh: --locked install failed, installing wasm-bindgen-cli $wasm_bindgen_version unlocked" >&2
        cargo install wasm-bindgen-cli --version "$wasm_bindgen_version" --root "$wasm_tools/wasm-bindgen-$wasm_bindgen_version"
    fi
fi
unset _wasm_root
