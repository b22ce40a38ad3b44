#!/usr/bin/env bash
# The benchmark: every SDK against the hand-written client a user would otherwise write, in one run.
#
#   make bench            (= bash bench/run.sh)      full run: ~30 minutes (see bench/README.md)
#   QUICK=1 make bench                               1 round x 1 s and a short rate-limit run
#   BENCH_ONLY=overflow,gzip QUICK=1 make bench      only those sections (written to build/bench-partial/)
#
# Builds the release artifacts (emulator, Rust contenders with the release profile and without
# overflow checks, Python wheel, Node package with its WebAssembly build), installs the
# contenders' dependencies (bench virtualenv in build/bench-venv with aiohttp, httpx, Pydantic
# and matplotlib; undici in bench/node; wrk from Debian when missing), runs the reports of their
# own (the WebAssembly build under Node: bench/wasm.sh; workerd's cold start:
# bench/workerd_cold.sh; the ledger's Redis store: bench/redis_ledger.sh), then bench/driver.py
# starts the emulator, measures the contenders and the A/B sections (overflow checks, gzip) and
# writes bench/RESULTS.md (every figure, the reports above included) and bench/results.png.
#
# Sections (BENCH_ONLY, comma-separated; default all): throughput, memory, ratelimit, overflow,
# gzip (the driver's), wasm, workerd, redis (this script's). A partial run writes its
# RESULTS.md and reports to OUT_DIR (default build/bench-partial), never over the committed ones.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"
export BENCH_STARTED="$(date +%s)"
want() { [ -z "${BENCH_ONLY:-}" ] || [[ ",$BENCH_ONLY," == *",$1,"* ]]; }
if [ -n "${BENCH_ONLY:-}" ]; then
    export OUT_DIR="${OUT_DIR:-$root/build/bench-partial}"
fi
out="${OUT_DIR:-$root/bench}"
mkdir -p "$out"
needs_sdks=0
for s in throughput memory ratelimit wasm workerd; do want "$s" && needs_sdks=1; done
# The memory section runs Python contenders only: BENCH_ONLY=memory builds no Node package.
needs_node=0
for s in throughput ratelimit wasm workerd; do want "$s" && needs_node=1; done

# The ceiling: wrk, from Debian.
if ! command -v wrk >/dev/null; then
    echo "run.sh: installing wrk"
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk >/dev/null
    else sudo apt-get update -qq && sudo apt-get install -y -qq wrk >/dev/null; fi
fi

# Release builds: the emulator, the Rust contenders, the Python wheel and the Node package (with
# its WebAssembly build). The Rust contenders also without overflow checks (the `release-unchecked`
# profile, target/release-unchecked/) for the overflow section: a second build of the dependency
# tree, a few minutes.
cargo build --release --quiet -p delegir-emulator -p delegir-bench
if want overflow; then cargo build --profile release-unchecked --quiet -p delegir-bench; fi
if [ "${SKIP_SDK_BUILD:-0}" != 1 ] && [ "$needs_sdks" = 1 ]; then
    bash bindings-python/scripts/build.sh
    if [ "$needs_node" = 1 ]; then bash bindings-node/scripts/build.sh; fi
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
if [ "$needs_sdks" = 1 ]; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps build/wheels/delegir-*.whl
fi
if [ "$needs_node" = 1 ]; then
    # Node contenders: undici as locked, then the packed delegir tarball (never in the lockfile).
    (cd bench/node && npm ci --no-audit --no-fund --loglevel=error \
        && npm install --no-save --no-audit --no-fund --loglevel=error "$root"/build/npm/delegir-*.tgz)
fi

# 10,000 sockets in flight in the memory workload (client and emulator).
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

echo "run.sh: load before the run: $(cut -d' ' -f1-3 /proc/loadavg)"

# The reports of their own, before the driver, which includes each one written in this run in
# RESULTS.md (BENCH_REPORTS: file names in $out). A report that fails is named in RESULTS.md and
# fails the run at the end, after the driver's figures are written.
reports=()
failed=()
# report NAME FILE COMMAND...: runs a report's script; on failure FILE says so.
report() {
    local name="$1" file="$2"
    shift 2
    echo "run.sh: $name"
    local rc=0
    "$@" || rc=$?
    if [ "$rc" != 0 ]; then
        echo "run.sh: $name FAILED (exit $rc)" >&2
        printf '# %s\n\n**Failed in this run** (exit %s): see the output of `make bench`.\n' "$name" "$rc" > "$out/$file"
        failed+=("$name")
    fi
    reports+=("$file")
}
if want workerd; then
    # First: it installs the runtimes (build/runtimes) that bench/wasm.sh's bundle sizes use too.
    report bench/workerd_cold.sh WORKERD.md \
        env ROUNDS="$([ "${QUICK:-0}" = 1 ] && echo 2 || echo 5)" bash bench/workerd_cold.sh "$out/WORKERD.md"
fi
if want wasm; then
    # The WebAssembly build under Node against fetch + JSON.parse at concurrency 64, the module's
    # size and the Worker bundle (the wasm work's script; it writes bench/WASM.md).
    wasm_env=()
    if [ "${QUICK:-0}" = 1 ]; then wasm_env=(ROUNDS=1 SECONDS_PER_RUN=1); fi
    if [ "$out" != "$root/bench" ] && [ -f bench/WASM.md ]; then cp bench/WASM.md "$out/.WASM.md.committed"; fi
    report bench/wasm.sh WASM.md env "${wasm_env[@]}" bash bench/wasm.sh
    if [ "$out" != "$root/bench" ]; then
        if [[ " ${failed[*]} " != *" bench/wasm.sh "* ]]; then cp bench/WASM.md "$out/WASM.md"; fi
        # A partial run leaves the committed WASM.md as it was.
        if [ -f "$out/.WASM.md.committed" ]; then mv "$out/.WASM.md.committed" bench/WASM.md; fi
    fi
fi
if want redis; then
    # The Redis store of the rate-limit ledger against the in-process one (calls/s, CPU per call,
    # Redis round trips per call).
    redis_args=()
    if [ "${QUICK:-0}" = 1 ]; then redis_args=(--rounds 1 --seconds 2); fi
    report bench/redis_ledger.sh RESULTS-redis.md \
        bash bench/redis_ledger.sh "${redis_args[@]}" --markdown "$out/RESULTS-redis.md"
fi
BENCH_REPORTS="$(IFS=,; echo "${reports[*]}")" "$venv/bin/python" bench/driver.py target/release/delegir-emulator
echo "run.sh: $(( $(date +%s) - BENCH_STARTED )) s in all"
if [ "${#failed[@]}" != 0 ]; then
    echo "run.sh: FAILED: ${failed[*]} (the rest of RESULTS.md is from this run)" >&2
    exit 1
fi
