#!/usr/bin/env bash
# The Redis store of the rate-limit ledger against the in-process one (issue 19): calls/s, client
# CPU per call and Redis round trips per call at concurrency 64 (bench/redis_ledger.py). Release
# builds of the emulator and the Rust worker; about a minute. Not part of `make bench`'s table.
#
#   bash bench/redis_ledger.sh [--rounds 3 --seconds 4]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/ensure-debs.sh redis-server:redis-server
cargo build -q --release -p delegir-emulator --bin delegir-emulator
cargo build -q --release -p delegir --example redis_worker
target="${CARGO_TARGET_DIR:-$root/target}"
py="$root/build/venv/bin/python"
[ -x "$py" ] || py=python3
"$py" "$root/bench/redis_ledger.py" --emulator "$target/release/delegir-emulator" \
    --worker "$target/release/examples/redis_worker" \
    --redis-server "$(command -v redis-server || echo /usr/bin/redis-server)" "$@"
