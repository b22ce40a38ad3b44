#!/usr/bin/env bash
# Long fuzz runs, in a release build (nightly `cargo fuzz` is not needed: both targets are
# ordinary tests driven by their own generators; `make test` runs each with a small budget).
#
# 1. The HTTP/1.1 codec against hyper's HTTP/1.1 client (core/src/wire/native/h1_fuzz.rs, a
#    differential target): EXECS executions (default 2,000,000, about 2 minutes) from SEED
#    (default: the time, printed, so that any finding can be replayed with
#    `DELEGIR_FUZZ_SEED=<seed of the finding> DELEGIR_FUZZ_EXECS=1`). Prints the executions, the
#    deliberate differences and the divergences (the run fails on any divergence or panic).
# 2. Response decoding, header parsing and the rate-limit ledger with arbitrary bodies, status
#    codes and Retry-After / X-RateLimit-* / Date values (core/src/fuzz_tests.rs, a proptest) for
#    SECONDS seconds.
#
#   bash scripts/fuzz.sh                      # 180 s, 2,000,000 codec executions
#   bash scripts/fuzz.sh 600 10000000         # 10 minutes, 10 million codec executions
#   SEED=42 bash scripts/fuzz.sh 0 1000000    # replay a codec run; 0 s skips the second target
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds="${1:-180}"
execs="${2:-2000000}"
seed="${SEED:-$(date +%s)000000}"

echo "fuzz.sh: ${execs} executions of core/src/wire/native/h1_fuzz.rs from seed ${seed} (release build)"
DELEGIR_FUZZ_EXECS="$execs" DELEGIR_FUZZ_SEED="$seed" \
    cargo test --release -p delegir --lib wire::native::h1::fuzz -- --nocapture --test-threads 1 2>&1 |
    grep -E "h1 fuzz: |^ +[0-9]+  |seed [0-9]+:|  input |panicked|test result"

if [ "$seconds" -gt 0 ]; then
    # Large batches: each batch is one proptest run; batches repeat until the time is up.
    export PROPTEST_CASES="${PROPTEST_CASES:-100000}"
    export DELEGIR_FUZZ_SECONDS="$seconds"
    echo "fuzz.sh: ${seconds} s of core/src/fuzz_tests.rs (release build)"
    cargo test --release -p delegir --lib fuzz_tests -- --nocapture --test-threads 1 2>&1 |
        grep -oE "fuzz: .*|panicked.*|fuzz failure.*|test result.*"
fi
