#!/usr/bin/env bash
# Fails when the committed napi-generated files (native/index.d.ts and the loader native/index.js)
# differ from what a rebuild of the crate produces: regenerate with scripts/build.sh and commit.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pkg="$(dirname "$here")"
cd "$pkg"

if [ ! -x node_modules/.bin/napi ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
profile_args=()
if [ "${PROFILE:-release}" = "release" ]; then
    profile_args=(--release)
fi
# Build into a temporary directory so the committed files are compared, not overwritten.
npx napi build --platform "${profile_args[@]}" --output-dir "$tmp" --js index.js --dts index.d.ts >/dev/null
status=0
for f in index.d.ts index.js; do
    if ! diff -u "native/$f" "$tmp/$f"; then
        echo "check-dts.sh: native/$f is out of date; run scripts/build.sh and commit it" >&2
        status=1
    fi
done
[ "$status" = 0 ] && echo "check-dts.sh: native/index.d.ts and native/index.js are up to date"
exit "$status"
