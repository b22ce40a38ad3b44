#!/usr/bin/env bash
# Installs Debian packages that tests need (nginx, tinyproxy, redis-server, binutils, ...) when
# their commands are missing. A fresh CI machine has only Rust, Python and Node: every test
# script that starts a real component calls this first, so `make test` installs what it uses.
#
#   bash scripts/ensure-debs.sh COMMAND:PACKAGE [COMMAND:PACKAGE ...]
#   bash scripts/ensure-debs.sh nginx:nginx tinyproxy:tinyproxy redis-server:redis-server
set -euo pipefail

missing=()
for pair in "$@"; do
    cmd="${pair%%:*}"
    pkg="${pair#*:}"
    if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$cmd" ] && [ ! -x "/usr/bin/$cmd" ]; then
        missing+=("$pkg")
    fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
# One process at a time: several test scripts may call this at once.
exec 9>/tmp/delegir-ensure-debs.lock
flock 9
echo "ensure-debs.sh: installing ${missing[*]}"
$sudo apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Packages whose install starts a system service (nginx, tinyproxy, redis-server): the tests
# start their own instances on free ports; stop the system ones so they hold no port.
for svc in nginx tinyproxy redis-server; do
    if printf '%s\n' "${missing[@]}" | grep -qx "$svc"; then
        (service "$svc" stop || true) >/dev/null 2>&1
    fi
done
