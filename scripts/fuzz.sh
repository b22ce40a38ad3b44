#!/usr/bin/env bash
# Fuzzes the core's response decoding, header parsing and rate-limit ledger with arbitrary
# bodies, status codes and Retry-After / X-RateLimit-* / Date values (core/src/fuzz_tests.rs, a
# proptest: nightly `cargo fuzz` is not needed) for a number of seconds, in a release build, and
# prints the number of executions. `make test` runs the same target with a bounded case count.
#
#   bash scripts/fuzz.sh          # 180 s
#   bash scripts/fuzz.sh 600      # 10 minutes
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds="${1:-180}"
# Large batches: each batch is one proptest run; batches repeat until the time is up.
export PROPTEST_CASES="${PROPTEST_CASES:-100000}"
export DELEGIR_FUZZ_SECONDS="$seconds"
echo "fuzz.sh: ${seconds} s of core/src/fuzz_tests.rs (release build)"
cargo test --release -p delegir --lib fuzz_tests -- --nocapture --test-threads 1 2>&1 |
    grep -oE "fuzz: .*|panicked.*|fuzz failure.*|test result.*"
