"""Prints the project's one version: `[workspace.package] version` in the root Cargo.toml."""

from pathlib import Path

import tomllib

root = Path(__file__).resolve().parent.parent
print(tomllib.loads((root / "Cargo.toml").read_text())["workspace"]["package"]["version"])
