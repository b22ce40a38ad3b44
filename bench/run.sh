#!/usr/bin/env bash
# The benchmark: every SDK against the hand-written client a user would otherwise write, in one run.
#
#   make bench            (= bash bench/run.sh)      full run: 5 rounds x 2 s, ~20 minutes
#   QUICK=1 make bench                               1 round x 1 s and a short rate-limit run
#
# Builds the release artifacts (emulator, Rust contenders, Python wheel, Node package), installs
# the contenders' dependencies (bench virtualenv in build/bench-venv with aiohttp, httpx, Pydantic
# and matplotlib; undici in bench/node; wrk from Debian when missing), then bench/driver.py starts
# the emulator and writes bench/RESULTS.md and bench/results.png. See bench/README.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"

# The ceiling: wrk, from Debian.
if ! command -v wrk >/dev/null; then
    echo "run.sh: installing wrk"
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk >/dev/null
    else sudo apt-get update -qq && sudo apt-get install -y -qq wrk >/dev/null; fi
fi

# Release builds: the emulator, the Rust contenders, the Python wheel and the Node package.
cargo build --release --quiet -p delegir-emulator -p delegir-bench
if [ "${SKIP_SDK_BUILD:-0}" != 1 ]; then
    bash bindings-python/scripts/build.sh
    bash bindings-node/scripts/build.sh
fi

# Python contenders: their own virtualenv with the wheel just built and the baselines.
venv="$root/build/bench-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
deps=("aiohttp>=3.9,<4" "httpx>=0.27,<1" "pydantic>=2.7,<3" "matplotlib>=3.8,<4")
stamp="$venv/.bench-deps"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "${deps[*]}" ]; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${deps[@]}"
    printf '%s' "${deps[*]}" > "$stamp"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps build/wheels/delegir-*.whl

# Node contenders: undici as locked, then the packed delegir tarball (never in the lockfile).
(cd bench/node && npm ci --no-audit --no-fund --loglevel=error \
    && npm install --no-save --no-audit --no-fund --loglevel=error "$root"/build/npm/delegir-*.tgz)

# 10,000 sockets in flight in the memory workload (client and emulator).
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

echo "run.sh: load before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
"$venv/bin/python" bench/driver.py target/release/delegir-emulator

# The Redis store of the rate-limit ledger against the in-process one (calls/s, CPU per call,
# Redis round trips per call); its table goes to bench/RESULTS-redis.md.
bash bench/redis_ledger.sh --markdown "$root/bench/RESULTS-redis.md"
