#!/usr/bin/env bash
# The networks real users are on, with real components (issue 15): nginx as a TLS reverse proxy
# in front of the emulator (HTTP/1.1 and h2, keepalive_requests 50, keepalive_timeout 2s, gzip)
# and tinyproxy as a forward proxy whose log proves the traffic went through it; a test CA made
# at test time. Each scenario starts its own components on free ports of 127.0.0.1 and sets or
# unsets the proxy and CA variables itself (this machine sets SSL_CERT_FILE and friends).
#
#   bash tests/network/run.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
bash scripts/ensure-debs.sh nginx:nginx tinyproxy:tinyproxy openssl:openssl

# Every language runs even when another failed; the script fails at the end if any did.
failed=()

echo "== network: Rust (core/tests/network.rs)"
cargo test -p delegir --test network -- --ignored --test-threads=1 || failed+=(Rust)

# Python and Node share one set of components (components.sh) and use the packages their own
# test scripts built and installed (build/venv, build/node-scratch).
source tests/network/components.sh
trap network_stop EXIT

echo "== network: Python (tests/network/test_network.py, the wheel in build/venv)"
# From outside the source tree, so that `import delegir` finds the installed wheel.
root="$PWD"
(cd "$net_dir" && "$root/build/venv/bin/python" -X faulthandler -m pytest \
    "$root/tests/network/test_network.py" -q -p no:cacheprovider --rootdir "$root/tests/network") \
    || failed+=(Python)

echo "== network: Node (tests/network/network.test.mjs, the package in build/node-scratch)"
cp tests/network/network.test.mjs build/node-scratch/network.test.mjs
(cd build/node-scratch && node --test --test-reporter=spec network.test.mjs) || failed+=(Node)

if [ "${#failed[@]}" -gt 0 ]; then
    echo "run.sh: network scenarios failed in: ${failed[*]}" >&2
    exit 1
fi
echo "run.sh: every network scenario passed"
