#!/usr/bin/env bash
# Validates the emulator against spec/openapi.yaml with schemathesis (from PyPI).
#
# Builds and starts the emulator binary on a free port with rate limiting off, then runs every
# schemathesis check (response schemas, status codes, content types, headers, negative and
# positive data, auth, unsupported methods, ...) with an API key. Exits non-zero on any failure.
#
# env: VENV (default target/spec-venv), MAX_EXAMPLES (default 60), SCHEMATHESIS_VERSION (default 4.32.5)
set -euo pipefail

cd "$(dirname "$0")/.."
VENV=${VENV:-target/spec-venv}
MAX_EXAMPLES=${MAX_EXAMPLES:-60}
SCHEMATHESIS_VERSION=${SCHEMATHESIS_VERSION:-4.32.5}
KEY=dlg_test_schemathesis000000000000

if [ ! -x "$VENV/bin/schemathesis" ] \
  || ! "$VENV/bin/schemathesis" --version | grep -q "$SCHEMATHESIS_VERSION"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

cargo build -p delegir-emulator --bin delegir-emulator --quiet
WORK=$(mktemp -d)
target/debug/delegir-emulator --quiet --port 0 --rate-limit 0 >"$WORK/out" &
PID=$!
trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 200); do
  [ -s "$WORK/out" ] && break
  sleep 0.05
done
BASE=$(head -1 "$WORK/out" | sed 's/^Delegir emulator listening on //')
[ -n "$BASE" ] || { echo "emulator did not start" >&2; exit 1; }
echo "emulator at $BASE"

# Run from the scratch directory so hypothesis/schemathesis caches do not land in the repository.
SPEC="$PWD/spec/openapi.yaml"
ST="$PWD/$VENV/bin/schemathesis"
case "$VENV" in /*) ST="$VENV/bin/schemathesis" ;; esac
cd "$WORK"
"$ST" run "$SPEC" \
  --url "$BASE" \
  --header "X-API-Key: $KEY" \
  --checks all \
  --max-examples "$MAX_EXAMPLES" \
  --seed "${SEED:-20261130}" \
  --workers 1 \
  --report-dir "$WORK/report"
