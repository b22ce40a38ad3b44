#!/usr/bin/env bash
# `make dist`: every release artifact this machine can build, into dist/:
#
#   dist/python/  delegir-X.Y.Z.tar.gz (sdist) and abi3 wheels: manylinux2014 (glibc 2.17) and
#                 musllinux_1_2, x86_64 and aarch64
#   dist/npm/     delegir-X.Y.Z.tgz (TypeScript layer, loader, WebAssembly build when present) and
#                 one addon package per platform: delegir-linux-{x64,arm64}-{gnu,musl}-X.Y.Z.tgz
#   dist/crates/  delegir-X.Y.Z.crate, delegir-emulator-X.Y.Z.crate (`cargo package`, verified)
#
# From a fresh clone with Rust, Python 3.9+ with pip and Node 20+ with npm: it installs its own
# tools (rust targets, a virtualenv build/dist-venv with maturin and ziglang). Cross builds use zig
# (scripts/dist-env.sh). Targets are built one at a time in one cargo target dir
# (target/dist), the wheel and the addon of a target with the same environment so that their
# dependencies are compiled once. macOS and Windows artifacts come from the release workflow.
#
#   make dist                                        # everything
#   DIST_TARGETS="x86_64-unknown-linux-gnu" make dist  # fewer targets (the checks adapt)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="$root/dist"
export DIST_VENV="$root/build/dist-venv"
export DIST_WRAPPERS="$root/build/dist-wrappers"
export CARGO_TARGET_DIR="${DIST_TARGET_DIR:-$root/target/dist}"
targets=(${DIST_TARGETS:-x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-unknown-linux-musl aarch64-unknown-linux-musl})
version="$(python3 scripts/version.py)"
started=$SECONDS
step() { echo "dist: [$((SECONDS - started))s] $*"; }

# shellcheck source=scripts/dist-env.sh
source "$root/scripts/dist-env.sh"

step "tools"
bash scripts/check-versions.sh
rustup target add "${targets[@]}" >/dev/null
if [ ! -x "$DIST_VENV/bin/python" ]; then
    python3 -m venv "$DIST_VENV"
fi
tools=("maturin>=1.16,<2" "ziglang>=0.13")
stamp="$DIST_VENV/.delegir-dist-tools"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "${tools[*]}" ]; then
    "$DIST_VENV/bin/pip" install --quiet --disable-pip-version-check "${tools[@]}"
    printf '%s' "${tools[*]}" > "$stamp"
fi
maturin="$DIST_VENV/bin/maturin"

rm -rf "$out"
mkdir -p "$out/python" "$out/npm" "$out/crates"
stage="$root/build/dist-stage"
rm -rf "$stage"
mkdir -p "$stage/addons"

step "python sdist"
"$maturin" sdist --manifest-path bindings-python/Cargo.toml --out "$out/python"

for triple in "${targets[@]}"; do
    (
        dist_env "$triple"
        step "$triple: wheel ($(dist_wheel_compatibility "$triple"))"
        "$maturin" build --release --manifest-path bindings-python/Cargo.toml --target "$triple" \
            --compatibility "$(dist_wheel_compatibility "$triple")" --interpreter python3 \
            --out "$out/python"
        step "$triple: node addon"
        # `cargo rustc` puts the strip flag on the addon alone, as maturin does for the wheel, so
        # the dependencies built for the wheel are reused as they are.
        cargo rustc --release --package delegir-node --lib --target "$triple" -- -C strip=symbols
        cp "$CARGO_TARGET_DIR/$triple/release/libdelegir_node.so" \
            "$stage/addons/delegir.$(dist_napi_platform "$triple").node"
    )
done

step "npm packages"
bash scripts/dist-npm.sh "$stage" "$out/npm" "${targets[@]}"

step "crates"
bash scripts/dist-crates.sh "$out/crates"

step "done"
bash scripts/dist-list.sh "$out"
