#!/usr/bin/env bash
# Builds the release wheel of the Python SDK and installs it into the project's virtualenv.
#
# Idempotent: creates build/venv (at the repository root) when missing, installs the build and
# test tools into it, builds the wheel with maturin into build/wheels/ and force-reinstalls it
# (plus its runtime dependencies) so the tests always exercise the wheel just built, never the
# source tree.
#
#   bash bindings-python/scripts/build.sh            # release wheel (what CI and the demo use)
#   PROFILE=debug bash bindings-python/scripts/build.sh   # faster build while iterating
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
crate="$(dirname "$here")"
root="$(dirname "$crate")"
venv="$root/build/venv"
wheels="$root/build/wheels"
python="${PYTHON:-python3}"
profile="${PROFILE:-release}"

if [ ! -x "$venv/bin/python" ]; then
    echo "build.sh: creating $venv"
    "$python" -m venv "$venv"
fi
py="$venv/bin/python"

# Tools: installed once, re-checked cheaply afterwards.
tools=(
    "maturin>=1.16,<2"
    "pydantic>=2.7,<3"
    "typing-extensions>=4.6"
    "pytest>=8"
    "pytest-asyncio>=0.24"
    "mypy>=1.10"
    "pyright>=1.1.380"
    "ruff>=0.6"
    # AsyncDelegir under trio, directly and through AnyIO (tests/test_trio.py).
    "trio>=0.25"
    "anyio>=4"
)
stamp="$venv/.delegir-tools"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "${tools[*]}" ]; then
    "$py" -m pip install --quiet --disable-pip-version-check "${tools[@]}"
    printf '%s' "${tools[*]}" > "$stamp"
fi

mkdir -p "$wheels"
rm -f "$wheels"/delegir-*.whl
args=(build --manifest-path "$crate/Cargo.toml" --out "$wheels" --interpreter "$py")
if [ "$profile" = "release" ]; then
    args+=(--release)
fi
(cd "$crate" && "$venv/bin/maturin" "${args[@]}")

wheel="$(ls "$wheels"/delegir-*.whl | head -n 1)"
"$py" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$wheel"
# Runtime dependencies of the wheel (no-op when already satisfied).
"$py" -m pip install --quiet --disable-pip-version-check "$wheel"
echo "build.sh: installed $(basename "$wheel") ($(du -h "$wheel" | cut -f1)) into $venv"
