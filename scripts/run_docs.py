"""Runs every fenced code block of the READMEs that is meant to run, exactly as written, against
the emulator (scripts/check-docs.sh starts it and sets DELEGIR_BASE_URL; each block gets a key of
its own, so one block's chat or delete never shows in another's output).

Which blocks run:
- python/py, ts/typescript, js/javascript/mjs, sh/bash/shell and rust blocks run;
- blocks of data or text (json, toml, yaml, text, or no language) are not programs and are listed
  as such;
- a block is left out when its info string says `no-run` (also `no_run`, `ignore`: rustdoc's
  words), e.g. ```python no-run or ```rust,no_run, or when the line before it is the HTML comment
  `<!-- no-run -->`. Leaving one out is a decision the README's author makes in the README.
  A Rust block marked `no_run` that is a whole program is still compiled, as rustdoc would: it
  must keep up with the API even where it cannot run here (a production URL, a proxy).

How: Python blocks as a file with the venv's python (DELEGIR_PYTHON); TypeScript blocks as .mts
files compiled by `tsc --strict` in the Node project where `delegir` is installed
(DELEGIR_NODE_PROJECT), JavaScript blocks as .mjs files there; shell blocks with `bash -e` from
the repository root; Rust blocks, which must be whole programs (`fn main`), as one crate under
build/ depending on the workspace's `delegir` (each block a module, run one per process).

    python3 scripts/run_docs.py [--list] [FILE.md ...]
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READMES = [
    "README.md",
    "bindings-python/README.md",
    "bindings-node/README.md",
    "core/README.md",
    "emulator/README.md",
]
LANGUAGES = {
    "python": "python",
    "py": "python",
    "ts": "ts",
    "typescript": "ts",
    "js": "js",
    "javascript": "js",
    "mjs": "js",
    "sh": "sh",
    "bash": "sh",
    "shell": "sh",
    "rust": "rust",
}
SKIP_WORDS = {"no-run", "no_run", "norun", "ignore"}
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
TIMEOUT = 120


@dataclass
class Block:
    file: str
    line: int  # of the opening fence, 1-based
    info: str
    code: str
    kind: str  # python, ts, js, sh, rust; "" for data and text
    skipped: bool

    @property
    def name(self) -> str:
        return f"{self.file}:{self.line}"


def parse(path: str) -> list[Block]:
    lines = (ROOT / path).read_text().splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = len(m["indent"]), m["fence"], m["info"].strip()
        body: list[str] = []
        j = i + 1
        while j < len(lines):
            close = FENCE.match(lines[j])
            if (
                close
                and close["fence"][0] == fence[0]
                and len(close["fence"]) >= len(fence)
                and not close["info"].strip()
            ):
                break
            # A block indented under a list item: its lines lose the fence's indentation.
            line = lines[j]
            body.append(line[indent:] if line[:indent].strip() == "" else line.lstrip())
            j += 1
        words = [w for w in re.split(r"[\s,]+", info) if w]
        language = words[0].lower() if words else ""
        previous = next((lines[k].strip() for k in range(i - 1, -1, -1) if lines[k].strip()), "")
        skipped = bool(SKIP_WORDS & {w.lower() for w in words[1:]}) or (
            previous.startswith("<!--") and "no-run" in previous
        )
        blocks.append(Block(path, i + 1, info, "\n".join(body) + "\n", LANGUAGES.get(language, ""), skipped))
        i = j + 1
    return blocks


def fresh_key() -> str:
    """A key of its own for one block, from the emulator's admin API."""
    admin = os.environ["DELEGIR_ADMIN_URL"]
    request = urllib.request.Request(f"{admin}/keys", method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=10) as response:
        key: str = json.load(response)["data"]["api_key"]
    return key


def run(block: Block, command: list[str], cwd: Path) -> bool:
    env = dict(os.environ, DELEGIR_API_KEY=fresh_key())
    try:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        print(f"FAIL {block.name} ({block.kind}): no end after {TIMEOUT} s")
        return False
    if done.returncode != 0:
        print(f"FAIL {block.name} ({block.kind}): exit {done.returncode}")
        print("--- block ---\n" + block.code + "--- output ---")
        print((done.stdout + done.stderr)[-4000:])
        return False
    lines = (done.stdout + done.stderr).strip().splitlines()
    print(f"ok   {block.name} ({block.kind}){': ' + lines[-1][:100] if lines else ''}")
    return True


def run_python(blocks: list[Block], work: Path) -> list[bool]:
    python = os.environ.get("DELEGIR_PYTHON", sys.executable)
    results = []
    for n, block in enumerate(blocks):
        file = work / f"block_{n}.py"
        file.write_text(block.code)
        results.append(run(block, [python, str(file)], work))
    return results


def run_node(blocks: list[Block]) -> list[bool]:
    """TypeScript blocks compiled together (tsc --strict), then each block run with node."""
    project = Path(os.environ["DELEGIR_NODE_PROJECT"])
    docs = project / "docs-blocks"
    shutil.rmtree(docs, ignore_errors=True)
    (docs / "src").mkdir(parents=True)
    for n, block in enumerate(blocks):
        ext = "mts" if block.kind == "ts" else "mjs"
        (docs / "src" / f"block_{n}.{ext}").write_text(block.code)
    if any(b.kind == "ts" for b in blocks):
        tsconfig = {
            "compilerOptions": {
                "target": "ES2022",
                "lib": ["ES2022"],
                "module": "node16",
                "moduleResolution": "node16",
                "strict": True,
                "types": ["node"],
                "outDir": "out",
                "rootDir": "src",
                "noEmitOnError": True,
            },
            "include": ["src/*.mts"],
        }
        (docs / "tsconfig.json").write_text(json.dumps(tsconfig))
        tsc = subprocess.run(["npx", "tsc", "-p", "tsconfig.json"], cwd=docs, capture_output=True, text=True)
        if tsc.returncode != 0:
            print("FAIL tsc --strict over the TypeScript blocks:\n" + tsc.stdout + tsc.stderr)
            for n, block in enumerate(blocks):
                if block.kind == "ts":
                    print(f"     block_{n}.mts is {block.name}")
            return [False] * len(blocks)
    results = []
    for n, block in enumerate(blocks):
        script = f"out/block_{n}.mjs" if block.kind == "ts" else f"src/block_{n}.mjs"
        results.append(run(block, ["node", script], docs))
    return results


def run_sh(blocks: list[Block], work: Path) -> list[bool]:
    results = []
    for n, block in enumerate(blocks):
        file = work / f"block_{n}.sh"
        file.write_text("set -euo pipefail\n" + block.code)
        results.append(run(block, ["bash", str(file)], ROOT))
    return results


RUST_MAIN = re.compile(r"^(\s*)(async\s+)?fn\s+main\s*\(", re.M)


def run_rust(blocks: list[Block]) -> list[bool]:
    """One crate, one module per block (its `fn main` made public), one process per block."""
    crate = ROOT / "build" / "docs-rust"
    shutil.rmtree(crate / "src", ignore_errors=True)
    (crate / "src").mkdir(parents=True)
    modules, arms, results = [], [], []
    for n, block in enumerate(blocks):
        # rustdoc's hidden lines (`# ...`) are part of the program.
        code = re.sub(r"^(\s*)#(?: |$)", r"\1", block.code, flags=re.M)
        if block.skipped and not RUST_MAIN.search(code):
            continue  # a no_run fragment (one call, not a program): nothing to compile
        if not RUST_MAIN.search(code):
            print(f"FAIL {block.name} (rust): not a program (no fn main); make it one or mark it no_run")
            results.append(False)
            continue
        code = RUST_MAIN.sub(lambda m: f"{m[1]}pub {m[2] or ''}fn main(", code, count=1)
        modules.append(f"// {block.name}\n#[allow(unused)]\nmod block_{n} {{\n{code}}}\n")
        arms.append(f'        "{n}" => Termination::report(block_{n}::main()),\n')
    (crate / "src" / "main.rs").write_text(
        "use std::process::{ExitCode, Termination};\n\n"
        + "\n".join(modules)
        + "\nfn main() -> ExitCode {\n    match std::env::args().nth(1).unwrap_or_default().as_str() {\n"
        + "".join(arms)
        + '        other => panic!("no block {other}"),\n    }\n}\n'
    )
    deps = {
        "delegir": f'{{ path = "{ROOT / "core"}" }}',
        "delegir-emulator": f'{{ path = "{ROOT / "emulator"}" }}',
        "tokio": '{ version = "1", features = ["macros", "rt-multi-thread"] }',
        "futures": '"0.3"',
        "tracing-subscriber": '{ version = "0.3", features = ["env-filter"] }',
    }
    (crate / "Cargo.toml").write_text(
        '[package]\nname = "delegir-readme-blocks"\nversion = "0.0.0"\nedition = "2024"\n'
        "publish = false\n\n[workspace]\n\n[dependencies]\n"
        + "".join(f"{k} = {v}\n" for k, v in deps.items())
    )
    # The workspace's lock, so the same dependency versions are built (and reused from target/).
    shutil.copy(ROOT / "Cargo.lock", crate / "Cargo.lock")
    target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))
    build = subprocess.run(
        ["cargo", "build", "--quiet", "--target-dir", target],
        cwd=crate,
        text=True,
        capture_output=True,
    )
    if build.returncode != 0:
        print("FAIL the Rust blocks do not compile:\n" + build.stderr[-6000:])
        return results + [False] * len(modules)
    binary = Path(target) / "debug" / "delegir-readme-blocks"
    for n, block in enumerate(blocks):
        if f"mod block_{n} " not in "".join(modules):
            continue
        if block.skipped:
            print(f"ok   {block.name} (rust): compiled, not run (no_run)")
            results.append(True)
        else:
            results.append(run(block, [str(binary), str(n)], crate))
    return results


def is_no_run(block: Block) -> bool:
    """Whether the block's info string says rustdoc's `no_run` (compile, do not run)."""
    return "no_run" in re.split(r"[\s,]+", block.info.lower())


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    blocks = [b for path in (args or READMES) for b in parse(path)]
    runnable = [b for b in blocks if b.kind and not b.skipped]
    for b in blocks:
        if not b.kind:
            why = f"not a program ({b.info or 'no language'})"
        elif b.skipped:
            why = "marked no-run"
        else:
            continue
        print(f"--   {b.name}: {why}")
    if "--list" in sys.argv:
        for b in runnable:
            print(f"run  {b.name} ({b.kind})")
        return 0
    work = ROOT / "build" / "docs-blocks"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    results: list[bool] = []
    results += run_python([b for b in runnable if b.kind == "python"], work)
    results += run_node([b for b in runnable if b.kind in ("ts", "js")])
    # Rust blocks marked no_run are compiled too (see the module's documentation).
    rust = [b for b in blocks if b.kind == "rust" and (not b.skipped or is_no_run(b))]
    if rust:
        results += run_rust(rust)
    # Shell blocks last: the emulator's admin examples change its configuration.
    results += run_sh([b for b in runnable if b.kind == "sh"], work)
    passed, failed = results.count(True), results.count(False)
    print(f"docs: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
