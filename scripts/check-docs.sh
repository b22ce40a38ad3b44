#!/usr/bin/env bash
# Docs that run (`make check-docs`, part of `make test`): every fenced code block of README.md and
# the package READMEs that is meant to run, run by scripts/run_docs.py against the emulator with
# DELEGIR_BASE_URL set. Uses the Python SDK installed in build/venv and the Node SDK installed in
# build/node-scratch (what `make test` built before; built here when missing).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/ensure-debs.sh curl:curl
if ! build/venv/bin/python -c 'import delegir' 2>/dev/null; then
    bash bindings-python/scripts/build.sh
fi
if [ ! -d build/node-scratch/node_modules/delegir ]; then
    bash bindings-node/scripts/build.sh
fi
# shellcheck source=scripts/start-emulator.sh
source scripts/start-emulator.sh
start_emulator
echo "check-docs: emulator at $DELEGIR_BASE_URL"
DELEGIR_PYTHON="$root/build/venv/bin/python" DELEGIR_NODE_PROJECT="$root/build/node-scratch" \
    python3 scripts/run_docs.py "$@"
