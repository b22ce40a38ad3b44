#!/usr/bin/env bash
# Throughput and memory of the emulator binary (release build, rate limiting off).
#
#   1. wrk -c64 -t2 -d10s on GET /api/v1/agents/agt_abc123  -> requests/s (target: >= 25,000)
#   2. 1,000,000 more requests, the server's RSS read from /proc before and after -> must stay flat
#
# Usage: bench/emulator.sh            (env: DURATION=10s CONNECTIONS=64 THREADS=2 REQUESTS=1000000)
# Needs wrk (apt-get install -y wrk). Prints a summary; exits non-zero if a request failed.
set -euo pipefail

cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
REQUESTS=${REQUESTS:-1000000}
KEY=dlg_test_benchmark0000000000000000

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install -y wrk)" >&2; exit 2; }

cargo build --release -p delegir-emulator --quiet
BIN=target/release/delegir-emulator
WORK=$(mktemp -d)
trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT

"$BIN" --quiet --rate-limit 0 --port 0 >"$WORK/out" &
PID=$!
for _ in $(seq 100); do
  [ -s "$WORK/out" ] && break
  sleep 0.05
done
BASE=$(head -1 "$WORK/out" | sed 's/^Delegir emulator listening on //')
URL="$BASE/agents/agt_abc123"
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$PID/status"; }

echo "emulator $BASE (pid $PID), $(nproc) cores"
echo "RSS at start: $(rss_kib) KiB"

echo "== throughput: wrk -c$CONNECTIONS -t$THREADS -d$DURATION GET $URL"
wrk -c"$CONNECTIONS" -t"$THREADS" -d"$DURATION" -H "X-API-Key: $KEY" "$URL" | tee "$WORK/wrk1"
RPS=$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk1")
if grep -q "Non-2xx\|Socket errors" "$WORK/wrk1"; then echo "FAIL: non-2xx responses" >&2; exit 1; fi

# wrk runs for a duration, not a count: run it in rounds sized from the measured rate until at
# least REQUESTS have been answered.
BEFORE=$(rss_kib)
echo "== memory: $REQUESTS requests; RSS before: $BEFORE KiB"
SENT=0
while [ "$SENT" -lt "$REQUESTS" ]; do
  SECS=$(awk -v left=$((REQUESTS - SENT)) -v rps="$RPS" 'BEGIN { s = int(left / rps * 1.1) + 1; print (s > 120 ? 120 : s) }')
  wrk -c"$CONNECTIONS" -t"$THREADS" -d"${SECS}s" -H "X-API-Key: $KEY" "$URL" >"$WORK/wrk2"
  if grep -q "Non-2xx\|Socket errors" "$WORK/wrk2"; then cat "$WORK/wrk2"; echo "FAIL: errors" >&2; exit 1; fi
  SENT=$((SENT + $(awk '/requests in/ {print $1}' "$WORK/wrk2")))
  echo "  $SENT requests so far, RSS $(rss_kib) KiB"
done
AFTER=$(rss_kib)
echo
echo "summary: throughput ${RPS} req/s (c=$CONNECTIONS, t=$THREADS, $DURATION);" \
  "RSS ${BEFORE} KiB -> ${AFTER} KiB over ${SENT} requests (delta $((AFTER - BEFORE)) KiB)"
