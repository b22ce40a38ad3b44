#!/usr/bin/env bash
# Installs a given wheel and the test tools into a NEW virtualenv (removed first), so the suite
# (scripts/test.sh with DELEGIR_WHEEL) tests exactly that file as a user would install it.
#
#   bash bindings-python/scripts/install-wheel.sh dist/python/delegir-...whl build/wheel-venv
set -euo pipefail
wheel="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
venv="$2"
rm -rf "$venv"
"${PYTHON:-python3}" -m venv "$venv"
# The wheel with its runtime dependencies, and the test tools that build.sh installs into the
# development venv (its `tools=(...)` list, read from it so the two never drift; not maturin).
mapfile -t tools < <(sed -n '/^tools=(/,/^)/p' "$(dirname "${BASH_SOURCE[0]}")/build.sh" |
    grep -o '"[^"]*"' | tr -d '"' | grep -v '^maturin')
"$venv/bin/pip" install --quiet --disable-pip-version-check "$wheel" "${tools[@]}"
echo "install-wheel.sh: $(basename "$wheel") installed in $venv"
