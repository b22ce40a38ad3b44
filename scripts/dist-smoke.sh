#!/usr/bin/env bash
# Smoke test of one platform's artifacts on a machine of that platform (the release workflow
# runs it on arm64 Linux, in Alpine, on macOS and on Windows): the wheel from dist/python/ in a
# fresh venv runs scripts/dist_smoke.py; the npm main package plus the platform's addon package,
# packed here from build/dist-stage/addons/ by scripts/dist-npm.sh, run scripts/dist_smoke.mjs.
#
#   bash scripts/dist-smoke.sh '*manylinux2014_aarch64*.whl' aarch64-unknown-linux-gnu
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
wheel_glob="$1" triple="$2"
work="$root/build/smoke"
rm -rf "$work"
mkdir -p "$work/npm" "$work/project"

# shellcheck disable=SC2086 # the glob is meant to expand
wheel="$(ls dist/python/$wheel_glob | head -n 1)"
python="$(command -v python3 || command -v python)"  # Windows runners have no python3
"$python" -m venv "$work/venv"
py="$work/venv/bin/python"
[ -x "$py" ] || py="$work/venv/Scripts/python.exe"  # Windows
"$py" -m pip install --quiet --disable-pip-version-check "$wheel"
(cd "$work" && "$py" "$root/scripts/dist_smoke.py")

# The addon is what is tested here: the main package is packed without (re)building the
# WebAssembly module (check-dist tests that build on Linux).
DIST_SKIP_WASM=1 bash scripts/dist-npm.sh build/dist-stage "$work/npm" "$triple"
cd "$work/project"
echo '{ "name": "delegir-smoke", "version": "0.0.0", "private": true }' > package.json
npm install --no-save --no-audit --no-fund --loglevel=error "$work"/npm/*.tgz
cp "$root/scripts/dist_smoke.mjs" .
node dist_smoke.mjs
