#!/usr/bin/env bash
# Builds and installs the wheel (build.sh), then tests the INSTALLED package: pytest from a
# directory outside the source tree, mypy.stubtest on the extension's stub, mypy --strict and
# pyright on the examples and the tests, and ruff over every Python file of the repository.
#
#   bash bindings-python/scripts/test.sh             # what CI and `make test-python` run
#   SKIP_BUILD=1 bash bindings-python/scripts/test.sh   # reuse the installed wheel
#   DELEGIR_WHEEL=dist/python/delegir-...-manylinux2014_x86_64...whl bash bindings-python/scripts/test.sh
#       # a given wheel (what `make dist` built), installed in build/venv made afresh (what
#       # `make test` does, so the extension is compiled once, by make dist; later tests such as
#       # tests/network use that venv)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
crate="$(dirname "$here")"
root="$(dirname "$crate")"
venv="$root/build/venv"

if [ -n "${DELEGIR_WHEEL:-}" ]; then
    bash "$here/install-wheel.sh" "$DELEGIR_WHEEL" "$venv"
elif [ "${SKIP_BUILD:-0}" != "1" ]; then
    bash "$here/build.sh"
fi
py="$venv/bin/python"

# Outside the source tree, so `import delegir` can only find the installed wheel.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

echo "== pytest"
"$py" -X faulthandler -m pytest "$crate/tests" -q -p no:cacheprovider \
    -c "$crate/pyproject.toml" --rootdir "$crate/tests"

echo "== stubtest delegir._native"
"$py" -m mypy.stubtest delegir._native --ignore-missing-stub

echo "== mypy --strict"
MYPYPATH="$crate/tests" "$py" -m mypy --strict --cache-dir "$work/.mypy_cache" \
    --explicit-package-bases "$root/examples/python" "$crate/tests"

echo "== pyright"
export PYRIGHT_PYTHON_IGNORE_WARNINGS=1  # the wheel bundles pyright; no version check online
"$venv/bin/pyright" --pythonpath "$py" -p "$crate/pyrightconfig.json"

echo "== ruff (every Python file of the repository, settings in ruff.toml)"
"$venv/bin/ruff" check --no-cache "$root"

echo "test.sh: all Python checks passed"
