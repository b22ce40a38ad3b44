#!/usr/bin/env bash
# One version for everything: `[workspace.package] version` in Cargo.toml is the source; every
# other place that must spell it is checked equal here (run by `make test`). To release a new
# version, change Cargo.toml and run `bash scripts/set-version.sh` to rewrite the others.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

version="$(python3 scripts/version.py)"
python3 - "$version" <<'PY'
import json, re, sys, tomllib
from pathlib import Path

version = sys.argv[1]
found = {}
cargo = tomllib.loads(Path("Cargo.toml").read_text())
for dep in ("delegir", "delegir-emulator"):
    found[f"Cargo.toml [workspace.dependencies] {dep}"] = cargo["workspace"]["dependencies"][dep]["version"]
for crate in ("core", "emulator", "bindings-python", "bindings-node"):
    package = tomllib.loads(Path(crate, "Cargo.toml").read_text())["package"]
    found[f"{crate}/Cargo.toml"] = version if package["version"] == {"workspace": True} else package["version"]
pyproject = tomllib.loads(Path("bindings-python/pyproject.toml").read_text())["project"]
found["bindings-python/pyproject.toml"] = (
    version if "version" in pyproject.get("dynamic", []) else pyproject.get("version")
)
package = json.loads(Path("bindings-node/package.json").read_text())
found["bindings-node/package.json"] = package["version"]
lock = json.loads(Path("bindings-node/package-lock.json").read_text())
found["bindings-node/package-lock.json"] = lock["version"]
found['bindings-node/package-lock.json packages[""]'] = lock["packages"][""]["version"]
for name, spec in package.get("optionalDependencies", {}).items():
    found[f"bindings-node/package.json optionalDependencies {name}"] = spec
ts = re.search(r"VERSION = '([^']+)'", Path("bindings-node/src-ts/version.ts").read_text())
found["bindings-node/src-ts/version.ts"] = ts.group(1) if ts else None
changelog = re.search(r"^## (\S+)", Path("CHANGELOG.md").read_text(), re.M)
found["CHANGELOG.md (first release heading)"] = changelog.group(1) if changelog else None

wrong = {where: v for where, v in found.items() if v != version}
for where, v in wrong.items():
    print(f"check-versions: {where} says {v!r}, Cargo.toml says {version!r}", file=sys.stderr)
if wrong:
    sys.exit(1)
print(f"check-versions: {len(found)} places agree on {version}")
PY
