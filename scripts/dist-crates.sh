#!/usr/bin/env bash
# The crates of `make dist`: `cargo package` of delegir and delegir-emulator (each is built from
# its packaged sources, which proves the include lists and manifests), then `cargo publish
# --dry-run` of both (the registry-side checks: metadata, version, dependencies). The .crate
# files go to OUT.
#
#   bash scripts/dist-crates.sh OUT
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="$1"
target="${CARGO_TARGET_DIR:-target}"
crates=(-p delegir -p delegir-emulator)
# --allow-dirty: a developer's uncommitted edits are packaged as they are (a fresh clone, as in
# CI and the release workflow, is clean; cargo records the state in .cargo_vcs_info.json).
cargo package --allow-dirty "${crates[@]}"
# The package step above verified (compiled) exactly these sources; verifying again would
# compile the same thing twice.
cargo publish --dry-run --allow-dirty --no-verify "${crates[@]}"
version="$(python3 scripts/version.py)"
cp "$target/package/delegir-$version.crate" "$target/package/delegir-emulator-$version.crate" "$out/"
