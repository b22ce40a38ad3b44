#!/usr/bin/env bash
# The rate-limit ledger shared through Redis across processes and languages (issue 19):
# tests/redis/multiprocess.py against the emulator binary and a real redis-server, with 4 Python,
# 2 Node and 1 Rust worker processes. Part of `make test` (after test-python and test-node, whose
# builds it reuses; it builds them itself when they are missing). About 90 s.
#
#   bash tests/redis/run.sh                 # every run
#   bash tests/redis/run.sh --only shared   # shared,outage,kill
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

bash scripts/ensure-debs.sh redis-server:redis-server
redis_server="$(command -v redis-server || echo /usr/bin/redis-server)"

cargo build -q -p delegir-emulator --bin delegir-emulator
cargo build -q -p delegir --example redis_worker
target="${CARGO_TARGET_DIR:-$root/target}"

py="$root/build/venv/bin/python"
if ! "$py" -c 'import delegir' >/dev/null 2>&1; then
    bash bindings-python/scripts/build.sh
fi
scratch="$root/build/node-scratch"
if [ ! -d "$scratch/node_modules/delegir" ]; then
    bash bindings-node/scripts/build.sh
fi
cp "$here/worker.mjs" "$scratch/redis-worker.mjs"

# Run from outside the source tree so that `import delegir` finds the installed wheel.
cd "$(mktemp -d)"
"$py" "$here/multiprocess.py" \
    --emulator "$target/debug/delegir-emulator" \
    --rust-worker "$target/debug/examples/redis_worker" \
    --node-scratch "$scratch" \
    --redis-server "$redis_server" "$@"
