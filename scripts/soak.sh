#!/usr/bin/env bash
# Soak test (not part of `make test`): CALLS calls (default 100,000) through each SDK against one
# release-built emulator with rate limiting off, a random fault queued through the admin API before
# about 1% of the calls. Each driver (tests/soak/) prints calls, errors by class, RSS and open file
# descriptors before any call, after a 200-call warm-up and at the end; this script prints them
# and fails if descriptors grew after the warm-up.
#
#   bash scripts/soak.sh            # 100,000 calls per SDK
#   bash scripts/soak.sh 10000      # a quicker run
#   SOAK_SDKS="rust node" bash scripts/soak.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
calls="${1:-100000}"
sdks="${SOAK_SDKS:-rust python node}"
faults="$root/tests/soak/faults.json"

echo "soak.sh: building the release emulator and the Rust driver"
cargo build --release -q -p delegir-emulator
cargo build --release -q -p delegir --example soak
[ -x build/venv/bin/python ] || bash bindings-python/scripts/build.sh
[ -d build/node-scratch/node_modules/delegir ] || bash bindings-node/scripts/build.sh

log="$(mktemp)"
target/release/delegir-emulator --port 0 --rate-limit 0 --quiet > "$log" &
emulator_pid=$!
trap 'kill "$emulator_pid" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do
    grep -q "listening on" "$log" && break
    sleep 0.1
done
base_url="$(grep -o 'http://[^ ]*' "$log")"
admin_url="${base_url%/api/v1}/__emulator"
echo "soak.sh: emulator at $base_url (pid $emulator_pid), $calls calls per SDK"

results=()
for sdk in $sdks; do
    echo "soak.sh: $sdk ..."
    case "$sdk" in
        rust) line="$(target/release/examples/soak "$base_url" "$admin_url" "$calls" "$faults")" ;;
        python) line="$(build/venv/bin/python tests/soak/soak.py "$base_url" "$admin_url" "$calls")" ;;
        node)
            # From the scratch project, where `delegir` resolves to the installed package.
            cp tests/soak/soak.mjs build/node-scratch/soak.mjs
            line="$(cd build/node-scratch && node --expose-gc soak.mjs "$base_url" "$admin_url" "$calls" "$faults")" ;;
        *) echo "unknown SDK $sdk" >&2; exit 2 ;;
    esac
    echo "$line"
    results+=("$line")
done
emulator_rss="$(awk '/VmRSS/ {print $2}' "/proc/$emulator_pid/status")"
echo "soak.sh: emulator RSS at the end: ${emulator_rss} KiB"

python3 - "${results[@]}" <<'PY'
import json, sys
ok = True
print("start = after 200 warm-up calls without faults (pool filled); initial = before any call")
print(f"{'sdk':8} {'calls':>8} {'faults':>7} {'secs':>6}  {'RSS KiB initial/start→end':>28} {'fds initial/start→end':>22}  errors")
for line in sys.argv[1:]:
    r = json.loads(line)
    i, s, e = r["initial"], r["start"], r["end"]
    rss = f"{i['rss_kib']}/{s['rss_kib']}→{e['rss_kib']}"
    fds = f"{i['fds']}/{s['fds']}→{e['fds']}"
    print(f"{r['sdk']:8} {r['calls']:>8} {r['faults_queued']:>7} {r['seconds']:>6}  {rss:>28} {fds:>22}  {r['errors']}")
    if e["fds"] > s["fds"] + 8:
        print(f"soak.sh: {r['sdk']}: open file descriptors grew", file=sys.stderr)
        ok = False
sys.exit(0 if ok else 1)
PY
