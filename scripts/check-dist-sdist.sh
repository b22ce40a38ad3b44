#!/usr/bin/env bash
# The sdist builds with pip where Rust is installed, and works: a fresh venv, `pip install
# delegir-X.Y.Z.tar.gz` (maturin compiles the extension from the sdist's sources), then
# scripts/dist_smoke.py against the emulator the package ships.
#
# To spend no extra CPU on dependencies, the build uses make dist's cargo target dir and its
# x86_64 environment (MATURIN_PEP517_ARGS --target, zig as C compiler/linker): cargo reuses what
# the manylinux2014 x86_64 wheel compiled and only builds the three workspace crates of the
# sdist. A user's `pip install` does the same with the system compiler.
#
#   bash scripts/check-dist-sdist.sh dist/python/delegir-X.Y.Z.tar.gz
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sdist="$1"
venv="$root/build/sdist-venv"
export DIST_VENV="$root/build/dist-venv" DIST_WRAPPERS="$root/build/dist-wrappers"
export CARGO_TARGET_DIR="${DIST_TARGET_DIR:-$root/target/dist}"
# shellcheck source=scripts/dist-env.sh
source "$root/scripts/dist-env.sh"
dist_env x86_64-unknown-linux-gnu
export MATURIN_PEP517_ARGS="--target x86_64-unknown-linux-gnu"

rm -rf "$venv"
python3 -m venv "$venv"
echo "check-dist-sdist: pip install $(basename "$sdist") (builds the extension)"
"$venv/bin/pip" install --quiet --disable-pip-version-check "$sdist"
"$venv/bin/python" "$root/scripts/dist_smoke.py"
