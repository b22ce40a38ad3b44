#!/usr/bin/env bash
# Sets the one version everywhere: `bash scripts/set-version.sh 0.2.0` rewrites Cargo.toml
# ([workspace.package] and the path dependencies), bindings-node/package.json, its lock file and
# src-ts/version.ts. The Python package takes its version from Cargo.toml (pyproject's
# `dynamic = ["version"]`), the npm platform packages from package.json when `make dist` makes
# them. Then add the release's section at the top of CHANGELOG.md; scripts/check-versions.sh
# checks all of it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
new="${1:?usage: set-version.sh X.Y.Z}"
old="$(python3 scripts/version.py)"
python3 - "$old" "$new" <<'PY'
import re, sys
from pathlib import Path

old, new = sys.argv[1:]
cargo = Path("Cargo.toml")
text = cargo.read_text()
text = re.sub(r'(\[workspace\.package\]\s*\nversion = )"[^"]+"', rf'\g<1>"{new}"', text, count=1)
text = re.sub(rf'(delegir(-emulator)? = \{{ path = "[^"]+", version = )"{re.escape(old)}"', rf'\g<1>"{new}"', text)
cargo.write_text(text)
# Only the package's own entries (package.json: the first; the lock: the root and packages[""]),
# edited in place to keep the files' formatting.
for path, count in (("bindings-node/package.json", 1), ("bindings-node/package-lock.json", 2)):
    p = Path(path)
    p.write_text(re.sub(rf'"version": "{re.escape(old)}"', f'"version": "{new}"', p.read_text(), count=count))
ts = Path("bindings-node/src-ts/version.ts")
ts.write_text(re.sub(r"VERSION = '[^']+'", f"VERSION = '{new}'", ts.read_text()))
PY
echo "set-version: $old -> $new (Cargo.lock follows on the next cargo build); now add '## $new' to CHANGELOG.md"
