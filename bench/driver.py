"""Runs every contender of the benchmark against one emulator and writes RESULTS.md and the chart.

Started by ``bench/run.sh`` (which builds everything first) with the bench virtualenv's Python:

    python bench/driver.py EMULATOR_BINARY

Environment: ``QUICK=1`` (1 round of 1 s, short rate-limit run: for iterating), ``ROUNDS``,
``SECONDS``, ``RL_SECONDS``, ``MEMORY_CALLS``, ``ONLY`` (comma-separated contender names, and
``memory`` / ``ratelimit``), ``WORKLOADS`` (``small,large,chat``), ``CONCURRENCIES`` (``1,64``),
``OUT_DIR`` (where RESULTS.md, results.json and the chart go; default ``bench/``),
``BENCH_ONLY`` (comma-separated sections: ``throughput``, ``memory``, ``ratelimit``,
``overflow``, ``gzip``; default all), ``AB_ROUNDS`` (rounds of the overflow and gzip A/B
sections; default 5, 1 with ``QUICK``), ``BENCH_STARTED`` (epoch seconds at which ``run.sh``
started: the reports it ran before the driver, listed in ``BENCH_REPORTS``, are included in
RESULTS.md when written after that time).

Every measurement runs in its own process (so the client's CPU time and peak RSS are its own) and
with its own fresh API key (so chats of one contender do not grow the data another one reads).
Contenders are alternated: each round runs them in blocks (an SDK next to its baselines) in a
different rotation, every other round each block backwards; tables report each contender's median
over the rounds and the headline ratios the median of each round's paired ratio.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PY = sys.executable
QUICK = os.environ.get("QUICK") == "1"
ROUNDS = int(os.environ.get("ROUNDS", "1" if QUICK else "5"))
SECONDS = float(os.environ.get("SECONDS", "1" if QUICK else "2"))
RL_SECONDS = float(os.environ.get("RL_SECONDS", "8" if QUICK else "30"))
MEMORY_CALLS = int(os.environ.get("MEMORY_CALLS", "10000"))
ONLY = set(filter(None, os.environ.get("ONLY", "").split(",")))
# WORKLOADS=large CONCURRENCIES=64 measures one scenario (a short run for ratios on a busy machine).
WORKLOADS = [w for w in os.environ.get("WORKLOADS", "small,large,chat").split(",") if w]
CONCURRENCIES = [int(c) for c in os.environ.get("CONCURRENCIES", "1,64").split(",") if c]
SYNC_THREADS = 8  # the threaded contenders' concurrency in the "64" column
# Sections of the run (BENCH_ONLY=overflow,gzip runs only those); ONLY=memory / ONLY=ratelimit
# (the older knob) still selects those sections.
BENCH_ONLY = set(filter(None, os.environ.get("BENCH_ONLY", "").split(",")))
SECTIONS = {"throughput", "memory", "ratelimit", "overflow", "gzip"}
unknown = BENCH_ONLY - SECTIONS - {"wasm", "workerd", "redis"}
assert not unknown, f"BENCH_ONLY: unknown section(s) {sorted(unknown)}"
# The A/B sections (overflow checks, gzip) alternate two builds or settings of the Rust SDK.
AB_ROUNDS = int(os.environ.get("AB_ROUNDS", "1" if QUICK else "5"))


def wanted(section: str) -> bool:
    if BENCH_ONLY:
        return section in BENCH_ONLY
    if ONLY and section in ("memory", "ratelimit"):
        return section in ONLY
    return not ONLY or section == "throughput"


# name -> (language, label, command builder(workload, concurrency, seconds, base, key))
Cmd = list[str]


def py(contender: str):
    def build(w: str, c: int, s: float, base: str, key: str) -> Cmd:
        return [PY, str(BENCH / "python/contender.py"), "throughput", contender, w, str(c), str(s), base, key]

    return build


def py_threads(contender: str):
    def build(w: str, c: int, s: float, base: str, key: str) -> Cmd:
        threads = 1 if c == 1 else SYNC_THREADS
        return [
            PY,
            str(BENCH / "python/contender.py"),
            "throughput",
            contender,
            w,
            str(threads),
            str(s),
            base,
            key,
        ]

    return build


def node(contender: str):
    def build(w: str, c: int, s: float, base: str, key: str) -> Cmd:
        return [
            "node",
            str(BENCH / "node/contender.mjs"),
            "throughput",
            contender,
            w,
            str(c),
            str(s),
            base,
            key,
        ]

    return build


RUST_BIN = str(ROOT / "target/release/delegir-bench")


def rust(contender: str):
    def build(w: str, c: int, s: float, base: str, key: str) -> Cmd:
        return [RUST_BIN, "throughput", contender, w, str(c), str(s), base, key]

    return build


CONTENDERS: dict[str, tuple[str, str, Any]] = {
    "py-delegir-async": ("Python", "delegir.AsyncDelegir", py("delegir-async")),
    "py-delegir-sync": ("Python", "delegir.Delegir (1 / 8 threads)", py_threads("delegir-sync")),
    "py-aiohttp": ("Python", "aiohttp + Pydantic", py("aiohttp")),
    "py-httpx-async": ("Python", "httpx.AsyncClient + Pydantic", py("httpx-async")),
    "py-httpx-sync": ("Python", "httpx.Client + Pydantic (1 / 8 threads)", py_threads("httpx-sync")),
    "node-delegir": ("Node", "delegir", node("delegir")),
    "node-undici": ("Node", "undici.request + JSON.parse", node("undici")),
    "node-fetch": ("Node", "fetch + JSON.parse", node("fetch")),
    "rust-delegir": ("Rust", "delegir", rust("delegir")),
    "rust-reqwest": ("Rust", "reqwest + serde_json", rust("reqwest")),
    "wrk": ("ceiling", "wrk (C load generator)", None),
}


# ------------------------------------------------------------------------------------------------
# emulator


class Emulator:
    def __init__(self, binary: str) -> None:
        self.proc = subprocess.Popen(
            [binary, "--port", "0", "--quiet", "--rate-limit", "0"], stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        self.base = line.strip().rsplit(" ", 1)[-1]
        self.admin = self.base.split("/api/")[0] + "/__emulator"

    def request(self, method: str, path: str, body: dict | None = None, key: str | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.admin + path, data=data, method=method)
        if key:
            req.add_header("X-API-Key", key)
        with urllib.request.urlopen(req) as r:
            return json.loads(r.read())["data"]

    def new_key(self) -> str:
        return self.request("POST", "/keys")["api_key"]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()


# ------------------------------------------------------------------------------------------------
# measurements


def run_json(cmd: Cmd, timeout: float, env: dict[str, str] | None = None) -> dict[str, Any]:
    full_env = {**os.environ, **env} if env else None
    out = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout, env=full_env)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:5])} failed ({out.returncode}): {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def wrk(workload: str, concurrency: int, seconds: float, base: str, key: str) -> dict[str, Any]:
    threads = 1 if concurrency == 1 else 2
    url = {
        "small": f"{base}/agents/agt_abc123",
        "large": f"{base}/agents/agt_abc123/runs?limit=100",
        "chat": f"{base}/agents/agt_abc123/chat",
    }[workload]
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{concurrency}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "-H",
        f"X-API-Key: {key}",
    ]
    if workload == "chat":
        cmd += ["-s", str(BENCH / "wrk/chat.lua")]
    cmd.append(url)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    assert proc.stdout is not None
    text = proc.stdout.read()
    if status != 0 or "Non-2xx" in text or "Socket errors" in text:
        raise RuntimeError(f"wrk failed: {text}")

    def lat(p: str) -> float:
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", text, re.MULTILINE)
        assert m, text
        return float(m.group(1)) * {"us": 1, "ms": 1e3, "s": 1e6}[m.group(2)]

    calls = int(re.search(r"(\d+) requests in", text).group(1))  # type: ignore[union-attr]
    return {
        "calls": calls,
        "errors": 0,
        "seconds": max(1, round(seconds)),
        "p50_us": lat("50"),
        "p99_us": lat("99"),
        # The whole process (start-up included, which is negligible for wrk).
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "maxrss_kib": usage.ru_maxrss,
        "wall_s": elapsed,
    }


def measure(emu: Emulator, name: str, workload: str, concurrency: int) -> dict[str, Any]:
    key = emu.new_key()
    try:
        if name == "wrk":
            return wrk(workload, concurrency, SECONDS, emu.base, key)
        cmd = CONTENDERS[name][2](workload, concurrency, SECONDS, emu.base, key)
        return run_json(cmd, timeout=SECONDS * 10 + 60)
    finally:
        emu.request("POST", "/reset", key=key)


# The order of a round: blocks in which each SDK stands next to the baselines it is compared with,
# so that the two halves of a headline ratio run seconds apart; the blocks rotate from round to
# round and every other round runs each block backwards, so neither side always goes first.
BLOCKS = [
    ["py-delegir-async", "py-aiohttp", "py-httpx-async", "py-delegir-sync", "py-httpx-sync"],
    ["node-undici", "node-delegir", "node-fetch"],
    ["rust-delegir", "rust-reqwest"],
    ["wrk"],
]
assert sorted(n for b in BLOCKS for n in b) == sorted(CONTENDERS), "every contender in one block"


def run_order(names: list[str], r: int) -> list[str]:
    blocks = [[n for n in b if n in names] for b in BLOCKS]
    blocks = [b for b in blocks if b]
    k = r % len(blocks)
    blocks = blocks[k:] + blocks[:k]
    return [n for b in blocks for n in (b[::-1] if r % 2 else b)]


def throughput(emu: Emulator) -> dict[tuple[str, str, int], list[dict[str, Any]]]:
    names = [n for n in CONTENDERS if not ONLY or n in ONLY] if wanted("throughput") else []
    results: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for r in range(ROUNDS if names else 0):
        order = run_order(names, r)
        for workload in WORKLOADS:
            for concurrency in CONCURRENCIES:
                for name in order:
                    m = measure(emu, name, workload, concurrency)
                    results.setdefault((name, workload, concurrency), []).append(m)
                    rate = m["calls"] / m["seconds"]
                    cpu = m["cpu_s"] / max(1, m["calls"]) * 1e6
                    err = f" ERRORS {m['errors']}: {m.get('last_error')}" if m["errors"] else ""
                    print(
                        f"  round {r + 1}/{ROUNDS} {workload:5} c={concurrency:<2} {name:18} "
                        f"{rate:9.0f}/s  cpu {cpu:7.1f} us/call  p50 {m['p50_us'] / 1e3:7.2f} ms{err}",
                        flush=True,
                    )
    return results


def memory(emu: Emulator) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    rounds = 1 if QUICK else ROUNDS
    for r in range(rounds):
        # The SDK twice: as configured by default (HTTP/1.1, one connection per call in flight,
        # like aiohttp) and with http2_prior_knowledge (every call a stream on one connection).
        order = ["delegir-async", "delegir-async-h2", "aiohttp"]
        for name in order if r % 2 == 0 else order[::-1]:
            key = emu.new_key()
            emu.request(
                "POST",
                "/faults",
                key=key,
                body={
                    "method": "GET",
                    "path": "/api/v1/agents/agt_abc123",
                    "count": MEMORY_CALLS * 2,
                    "fault": {"kind": "delay", "ms": 2000},
                },
            )
            cmd = [PY, str(BENCH / "python/contender.py"), "memory", name, str(MEMORY_CALLS), emu.base, key]
            m = run_json(cmd, timeout=300)
            emu.request("POST", "/reset", key=key)
            print(
                f"  memory {name:14} {MEMORY_CALLS} calls in {m['seconds']:.2f} s, peak RSS "
                f"{m['maxrss_kib'] / 1024:.0f} MiB, errors {m['errors']} {m.get('last_error') or ''}",
                flush=True,
            )
            out.setdefault(name, []).append(m)
    return out


RL_CONTENDERS = {
    "Python delegir.AsyncDelegir": lambda s, base, key: [
        PY,
        str(BENCH / "python/contender.py"),
        "ratelimit",
        "delegir-async",
        str(s),
        "50",
        base,
        key,
    ],
    "Node delegir": lambda s, base, key: [
        "node",
        str(BENCH / "node/contender.mjs"),
        "ratelimit",
        "delegir",
        str(s),
        "50",
        base,
        key,
    ],
    "Rust delegir": lambda s, base, key: [RUST_BIN, "ratelimit", str(s), "50", base, key],
    "naive aiohttp (backs off on 429 only)": lambda s, base, key: [
        PY,
        str(BENCH / "python/contender.py"),
        "ratelimit",
        "naive",
        str(s),
        "50",
        base,
        key,
    ],
}
RL_LIMIT, RL_WINDOW_MS = 20, 2000


def parse_time(s: str) -> float:
    return dt.datetime.fromisoformat(s).timestamp()


def ratelimit(emu: Emulator) -> dict[str, dict[str, Any]]:
    emu.request("PUT", "/config", body={"rate_limit": RL_LIMIT, "rate_window_ms": RL_WINDOW_MS})
    out = {}
    try:
        for name, build in RL_CONTENDERS.items():
            key = emu.new_key()
            start = time.time()
            m = run_json(build(RL_SECONDS, emu.base, key), timeout=RL_SECONDS + 120)
            end = start + RL_SECONDS
            journal = emu.request("GET", "/journal", key=key)
            emu.request("POST", "/reset", key=key)
            limited = sum(1 for e in journal if e["outcome"] == "rate_limited")
            ok_times = [parse_time(e["time"]) for e in journal if e["status"] == 200]
            # Quota used: over the aligned windows that lie wholly inside the run.
            w = RL_WINDOW_MS / 1000
            first, last = int(start // w) + 1, int(end // w) - 1
            windows = max(0, last - first + 1)
            used = sum(1 for t in ok_times if first <= int(t // w) <= last)
            quota = used / (windows * RL_LIMIT) if windows else 0.0
            m.update(
                {
                    "server_429": limited,
                    "server_ok": len(ok_times),
                    "windows": windows,
                    "ok_in_windows": used,
                    "quota_used": quota,
                    "journal": len(journal),
                }
            )
            print(
                f"  ratelimit {name:40} 429s seen by the emulator {limited:5}, quota used {quota:6.1%} "
                f"({used}/{windows * RL_LIMIT} in {windows} whole windows)",
                flush=True,
            )
            out[name] = m
    finally:
        emu.request("PUT", "/config", body={"rate_limit": 0})
    return out


# ------------------------------------------------------------------------------------------------
# A/B sections: two builds or two settings of the Rust SDK, alternated round by round, c=64

RUST_UNCHECKED_BIN = str(ROOT / "target/release-unchecked/delegir-bench")
AB_CONCURRENCY = 64


def ab_round(
    emu: Emulator, r: int, label: str, workload: str, variants: list[tuple[str, Cmd, dict[str, str]]]
) -> dict[str, dict[str, Any]]:
    """One round of an A/B pair: each variant once, the first one first in even rounds."""
    got = {}
    for name, cmd, env in variants if r % 2 == 0 else variants[::-1]:
        key = emu.new_key()
        try:
            m = run_json(
                [*cmd, workload, str(AB_CONCURRENCY), str(SECONDS), emu.base, key], SECONDS * 10 + 60, env
            )
        finally:
            emu.request("POST", "/reset", key=key)
        if m["errors"]:
            raise RuntimeError(f"{label} {name} {workload}: {m['errors']} errors, last {m.get('last_error')}")
        got[name] = m
        print(
            f"  {label} round {r + 1}/{AB_ROUNDS} {workload:5} {name:10} {m['calls'] / m['seconds']:9.0f}/s  "
            f"cpu {m['cpu_s'] / max(1, m['calls']) * 1e6:7.1f} us/call",
            flush=True,
        )
    return got


def ab_summary(rounds: list[dict[str, dict[str, Any]]], a: str, b: str) -> dict[str, Any]:
    """Medians of each variant and the median of the rounds' paired ratios a ÷ b."""

    def rate(m: dict[str, Any]) -> float:
        return m["calls"] / m["seconds"]

    def cpu(m: dict[str, Any]) -> float:
        return m["cpu_s"] / max(1, m["calls"]) * 1e6

    out: dict[str, Any] = {"rounds": len(rounds)}
    for name in (a, b):
        out[name] = {"rate": med([x[name] for x in rounds], rate), "cpu": med([x[name] for x in rounds], cpu)}
    for field, f in (("rate", rate), ("cpu", cpu)):
        per_round = [f(x[a]) / f(x[b]) for x in rounds if f(x[b])]
        out[f"{field}_ratio"] = statistics.median(per_round)
        out[f"{field}_ratios"] = per_round
    return out


def overflow_ab(emu: Emulator) -> dict[str, dict[str, Any]]:
    """The release profile (overflow checks on, as shipped) against the same code built with the
    `release-unchecked` profile (checks off), the Rust SDK on the small GET and the runs page."""
    if not Path(RUST_UNCHECKED_BIN).exists():
        raise RuntimeError(
            f"{RUST_UNCHECKED_BIN} missing: cargo build --profile release-unchecked -p delegir-bench"
        )
    variants: list[tuple[str, Cmd, dict[str, str]]] = [
        ("checked", [RUST_BIN, "throughput", "delegir"], {}),
        ("unchecked", [RUST_UNCHECKED_BIN, "throughput", "delegir"], {}),
    ]
    rounds: dict[str, list[dict[str, dict[str, Any]]]] = {"small": [], "large": []}
    for r in range(AB_ROUNDS):
        for workload in rounds:
            rounds[workload].append(ab_round(emu, r, "overflow", workload, variants))
    return {w: ab_summary(x, "checked", "unchecked") for w, x in rounds.items()}


def encoded_size(emu: Emulator, path: str) -> tuple[int, int]:
    """Bytes of a response body as sent with and without gzip (the emulator's gzip switch on)."""
    key = emu.new_key()
    sizes = []
    for encoding in ("identity", "gzip"):
        req = urllib.request.Request(emu.base + path, headers={"X-API-Key": key, "Accept-Encoding": encoding})
        with urllib.request.urlopen(req) as resp:
            sizes.append(len(resp.read()))
    emu.request("POST", "/reset", key=key)
    return sizes[0], sizes[1]


def gzip_ab(emu: Emulator) -> dict[str, dict[str, Any]]:
    """The Rust SDK advertising gzip (the default) against `gzip(false)` (`Accept-Encoding:
    identity`): with the emulator sending plain bodies (the header's cost alone), then with the
    emulator compressing like nginx's `gzip on` (the decoding's cost), small GET and runs page."""
    variants: list[tuple[str, Cmd, dict[str, str]]] = [
        ("gzip", [RUST_BIN, "throughput", "delegir"], {"BENCH_GZIP": "1"}),
        ("identity", [RUST_BIN, "throughput", "delegir"], {"BENCH_GZIP": "0"}),
    ]
    scenarios = [("small", False), ("small", True), ("large", True)]
    rounds: dict[str, list[dict[str, dict[str, Any]]]] = {f"{w}|{z}": [] for w, z in scenarios}
    out: dict[str, dict[str, Any]] = {}
    try:
        for r in range(AB_ROUNDS):
            for workload, compressing in scenarios:
                emu.request("PUT", "/config", body={"gzip": compressing})
                label = "gzip(server gzips)" if compressing else "gzip(server plain)"
                rounds[f"{workload}|{compressing}"].append(ab_round(emu, r, label, workload, variants))
        emu.request("PUT", "/config", body={"gzip": True})
        sizes = {
            "small": encoded_size(emu, "/agents/agt_abc123"),
            "large": encoded_size(emu, "/agents/agt_abc123/runs?limit=100"),
        }
    finally:
        emu.request("PUT", "/config", body={"gzip": False})
    for k, x in rounds.items():
        out[k] = ab_summary(x, "gzip", "identity")
        out[k]["bytes"] = sizes[k.split("|")[0]]
    return out


# ------------------------------------------------------------------------------------------------
# report


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    node_v = subprocess.run(
        check=False, args=["node", "--version"], capture_output=True, text=True
    ).stdout.strip()
    rustc = subprocess.run(
        check=False, args=["rustc", "--version"], capture_output=True, text=True
    ).stdout.strip()
    return (
        f"{cpu}, {os.cpu_count()} cores{mem}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, Node {node_v}, {rustc}"
    )


def med(ms: list[dict[str, Any]], f) -> float:
    return statistics.median(f(m) for m in ms)


def summarise(results) -> dict[tuple[str, str, int], dict[str, float]]:
    table = {}
    for k, ms in results.items():
        table[k] = {
            "rate": med(ms, lambda m: m["calls"] / m["seconds"]),
            "p50": med(ms, lambda m: m["p50_us"]),
            "p99": med(ms, lambda m: m["p99_us"]),
            "cpu": med(ms, lambda m: m["cpu_s"] / max(1, m["calls"]) * 1e6),
            "rss": med(ms, lambda m: m["maxrss_kib"] / 1024),
            "errors": sum(m["errors"] for m in ms),
            # Round by round, for the paired ratios of the headline (see `ratios`).
            "rounds_rate": [m["calls"] / m["seconds"] for m in ms],
            "rounds_cpu": [m["cpu_s"] / max(1, m["calls"]) * 1e6 for m in ms],
        }
    return table


def paired(a: list[float] | None, b: list[float] | None) -> float | None:
    """The median over rounds of a[i] / b[i].

    Within a round the two contenders run back to back, so drift of the machine (this VM's
    throughput moves by ±20% within minutes) cancels in each round's ratio; a ratio of the two
    medians can pair a fast round of one with a slow round of the other.
    """
    if not a or not b or len(a) != len(b) or not all(b):
        return None
    return statistics.median(x / y for x, y in zip(a, b))


def ratios(t, mem, rl, ab: dict[str, Any] | None = None) -> list[tuple[str, str, str, bool | None]]:
    """(figure, measured, target, met) for every figure of the issues (met None: no target)."""

    def rounds(name: str, field: str = "rate", w: str = "small", c: int = 64) -> list[float] | None:
        v = t.get((name, w, c))
        return None if v is None else v.get(f"rounds_{field}")

    rows: list[tuple[str, str, str, bool | None]] = []

    def ratio(label: str, a: str, b: str, target: float, field: str = "rate", fmt: str = "{:.2f}×") -> None:
        r = paired(rounds(a, field), rounds(b, field))
        if r is None:
            return
        higher = field == "rate"
        met = r >= target if higher else r <= target
        rows.append((label, fmt.format(r), ("≥ " if higher else "≤ ") + fmt.format(target), met))

    ratio("Python async calls/s ÷ aiohttp+Pydantic", "py-delegir-async", "py-aiohttp", 3)
    ratio(
        "Python async CPU per call ÷ aiohttp+Pydantic", "py-delegir-async", "py-aiohttp", 1 / 3, field="cpu"
    )
    ratio("Python sync (8 threads) calls/s ÷ httpx.Client (8 threads)", "py-delegir-sync", "py-httpx-sync", 3)
    ratio("Node calls/s ÷ undici.request", "node-delegir", "node-undici", 2)
    ratio("Node calls/s ÷ fetch", "node-delegir", "node-fetch", 5)
    ratio("Rust delegir calls/s ÷ raw reqwest", "rust-delegir", "rust-reqwest", 0.95, fmt="{:.3f}×")

    # The runs page (100 runs, ~13 KB): client CPU per call, where decoding dominates (issue 20).
    # The Rust baseline decodes into the structs as they were before (core/benches/old_models.rs).
    def page(label: str, a: str, b: str) -> None:
        r = paired(rounds(a, "cpu", "large"), rounds(b, "cpu", "large"))
        if r is not None:
            rows.append((f"Runs page: {label} CPU per call", f"{r:.2f}×", "≤ 0.60×", r <= 0.6))

    page("Python async ÷ aiohttp+Pydantic", "py-delegir-async", "py-aiohttp")
    page("Python sync (8 threads) ÷ httpx.Client+Pydantic (8 threads)", "py-delegir-sync", "py-httpx-sync")
    page("Node ÷ undici.request+JSON.parse", "node-delegir", "node-undici")
    page("Rust ÷ reqwest+serde_json (structs as before)", "rust-delegir", "rust-reqwest")
    for name, label, target in (
        ("rust-delegir", "Rust", 0.85),
        ("node-delegir", "Node", 0.60),
        ("py-delegir-async", "Python async", 0.35),
    ):
        # One decimal: a share just under its target must not print as the target.
        ratio(f"{label} calls/s ÷ wrk ceiling", name, "wrk", target, fmt="{:.1%}")
    for name, how in (("delegir-async", "HTTP/1.1"), ("delegir-async-h2", "HTTP/2")):
        if name in mem and "aiohttp" in mem:
            a = med(mem[name], lambda m: m["maxrss_kib"])
            b = med(mem["aiohttp"], lambda m: m["maxrss_kib"])
            rows.append(
                (
                    f"{MEMORY_CALLS:,} concurrent Python calls ({how}): peak RSS ÷ aiohttp",
                    f"{a / b:.2f}×",
                    "≤ 0.50×",
                    a / b <= 0.5,
                )
            )
    ab = ab or {}
    for workload, what in (("small", "small GET"), ("large", "runs page")):
        o = ab.get("overflow", {}).get(workload)
        if o:
            rows.append(
                (
                    f"Overflow checks (release profile): Rust CPU per call ÷ without them, {what}",
                    f"{o['cpu_ratio']:.3f}× ({spread(o['cpu_ratios'])})",
                    "measured",
                    None,
                )
            )
    for key, what in (
        ("small|False", "small GET, server not compressing (the header alone)"),
        ("small|True", "small GET, server compressing"),
        ("large|True", "runs page, server compressing"),
    ):
        g = ab.get("gzip", {}).get(key)
        if g:
            rows.append(
                (
                    f"gzip advertised ÷ identity: Rust CPU per call, {what}",
                    f"{g['cpu_ratio']:.3f}× ({spread(g['cpu_ratios'])})",
                    "measured",
                    None,
                )
            )
    for name, m in rl.items():
        if name.startswith("naive"):
            rows.append(
                (
                    f"Rate limit, {name}: 429s (quota used)",
                    f"{m['server_429']} ({m['quota_used']:.0%})",
                    "many",
                    m["server_429"] > 0,
                )
            )
        else:
            ok = m["server_429"] == 0 and m["quota_used"] >= 0.95
            rows.append(
                (
                    f"Rate limit, {name}: 429s, quota used",
                    f"{m['server_429']}, {m['quota_used']:.0%}",
                    "0, ≥ 95%",
                    ok,
                )
            )
    return rows


def spread(xs: list[float]) -> str:
    """The rounds' range of a ratio, e.g. "rounds 0.97–1.04"."""
    if len(xs) < 2:
        return "1 round"
    return f"rounds {min(xs):.2f}–{max(xs):.2f}"


def signed_pct(ratio: float) -> str:
    return f"{(ratio - 1) * 100:+.1f}%"


def ab_sections(ab: dict[str, Any]) -> list[str]:
    """The overflow-checks and gzip sections of RESULTS.md, sentences made from the figures."""
    lines: list[str] = []
    o = ab.get("overflow")
    if o:
        n = next(iter(o.values()))["rounds"]
        lines += [
            "## Overflow checks (issue 15, defect 8): the release profile as shipped ÷ the same without them",
            "",
            f"The Rust contender `delegir` built with the release profile (`overflow-checks = true`, as "
            f"shipped) and with `release-unchecked` (the same profile, `overflow-checks = false`; "
            f"`target/release-unchecked/`), concurrency 64, alternated in {n} round(s) of {SECONDS:g} s "
            "(fewer rounds than the tables above: a short A/B). Ratios are the median of the rounds' "
            "paired ratios, checked ÷ unchecked.",
            "",
            "| workload | CPU µs/call with / without | CPU ratio | calls/s with / without | calls/s ratio |",
            "|---|---:|---:|---:|---:|",
        ]
        for w, what in (("small", "`GET /agents/:id`"), ("large", "runs page of 100")):
            x = o.get(w)
            if x:
                lines.append(
                    f"| {what} | {x['checked']['cpu']:.1f} / {x['unchecked']['cpu']:.1f} | "
                    f"{x['cpu_ratio']:.3f}× ({spread(x['cpu_ratios'])}) | {x['checked']['rate']:,.0f} / "
                    f"{x['unchecked']['rate']:,.0f} | {x['rate_ratio']:.3f}× ({spread(x['rate_ratios'])}) |"
                )
        parts = []
        for w, what in (("small", "the small GET"), ("large", "the runs page")):
            x = o.get(w)
            if x:
                within = min(x["cpu_ratios"]) <= 1 <= max(x["cpu_ratios"])
                parts.append(
                    f"{signed_pct(x['cpu_ratio'])} on {what}"
                    + (" (the rounds' ratios fall on both sides of 1)" if within else "")
                )
        lines += [
            "",
            f"In this run, turning the overflow checks on changed the Rust SDK's CPU per call by "
            f"{' and '.join(parts)}.",
            "",
        ]
    g = ab.get("gzip")
    if g:
        n = next(iter(g.values()))["rounds"]
        lines += [
            "## Compression (issue 15): `Accept-Encoding: gzip` ÷ `identity`",
            "",
            "The Rust contender `delegir` as shipped (requests carry `Accept-Encoding: gzip`) against "
            "`ClientBuilder::gzip(false)` (`Accept-Encoding: identity`), concurrency 64, alternated in "
            f"{n} round(s) of {SECONDS:g} s; first with the emulator sending plain bodies (the cost of the "
            "header alone), then with the emulator compressing as nginx's `gzip on` does (level 1; "
            '`PUT /__emulator/config {"gzip": true}`), where the gzip side receives and decodes gzip '
            "bodies. The decoding is the core's, so the other SDKs pay the same µs per call. Ratios: median "
            "of the rounds' paired ratios, gzip ÷ identity. The server's compression runs on the same "
            "cores, so read calls/s with care.",
            "",
            "| scenario | body bytes, plain → gzip | CPU µs/call gzip / identity | CPU ratio | calls/s gzip / identity | calls/s ratio |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for key, what in (
            ("small|False", "small GET, server not compressing"),
            ("small|True", "small GET, server compressing"),
            ("large|True", "runs page, server compressing"),
        ):
            x = g.get(key)
            if x:
                plain, zipped = x["bytes"]
                size = f"{plain:,} (sent plain)" if key.endswith("False") else f"{plain:,} → {zipped:,}"
                lines.append(
                    f"| {what} | {size} | {x['gzip']['cpu']:.1f} / {x['identity']['cpu']:.1f} | "
                    f"{x['cpu_ratio']:.3f}× ({spread(x['cpu_ratios'])}) | {x['gzip']['rate']:,.0f} / "
                    f"{x['identity']['rate']:,.0f} | {x['rate_ratio']:.3f}× ({spread(x['rate_ratios'])}) |"
                )
        x = g.get("small|False")
        if x:
            within = min(x["cpu_ratios"]) <= 1 <= max(x["cpu_ratios"])
            lines += [
                "",
                f"Advertising gzip to a server that sends small bodies plain changed the Rust SDK's CPU per "
                f"call by {signed_pct(x['cpu_ratio'])}"
                + (" (the rounds' ratios fall on both sides of 1)" if within else "")
                + "; the rows with the server compressing show what decoding costs when a gateway does "
                "compress.",
            ]
        lines.append("")
    return lines


def included_reports() -> list[str]:
    """The reports run.sh made before the driver (wasm, workerd, Redis), included when they were
    written in this run (a stale file from an earlier run is named as such, not included)."""
    started = float(os.environ.get("BENCH_STARTED", "0") or 0)
    lines: list[str] = []
    for name in filter(None, os.environ.get("BENCH_REPORTS", "").split(",")):
        path = Path(os.environ.get("OUT_DIR", BENCH)) / name
        if not path.exists():
            continue
        if started and path.stat().st_mtime < started:
            lines += [f"## {name}", "", f"Not rerun in this run: see [{name}]({name}) for its last run.", ""]
            continue
        text = path.read_text().strip().splitlines()
        # Its title becomes a section of this report, its own headings one level down.
        body = [("#" + line if line.startswith("#") else line) for line in text]
        lines += [*body, "", f"(From [{name}]({name}), written by this run.)", ""]
    return lines


def chart(t, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    workloads = [w for w in WORKLOADS if any(k[1] == w and k[2] == 64 for k in t)]
    names = [n for n in CONTENDERS if workloads and (n, workloads[0], 64) in t]
    colors = {"Python": "#3572A5", "Node": "#68A063", "Rust": "#DEA584", "ceiling": "#888888"}
    titles = {
        "small": "GET /agents/:id (small)",
        "large": "GET /agents/:id/runs?limit=100 (large)",
        "chat": "POST /agents/:id/chat",
    }
    fig, axes = plt.subplots(1, len(workloads), figsize=(5.4 * len(workloads), 6.5), squeeze=False)
    axes = list(axes[0])
    for ax, workload in zip(axes, workloads):
        title = titles[workload]
        rates = [t[(n, workload, 64)]["rate"] for n in names]
        bars = ax.barh(range(len(names)), rates, color=[colors[CONTENDERS[n][0]] for n in names])
        for i, n in enumerate(names):
            if n.endswith(("delegir-async", "delegir")) or n == "py-delegir-sync":
                bars[i].set_edgecolor("black")
                bars[i].set_linewidth(1.5)
        ax.set_yticks(range(len(names)))
        ax.set_yticklabels(
            [f"{CONTENDERS[n][0]}: {CONTENDERS[n][1]}" for n in names] if ax is axes[0] else []
        )
        ax.invert_yaxis()
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("calls/s (concurrency 64; threaded: 8 threads)")
        for i, r in enumerate(rates):
            ax.text(r, i, f" {r:,.0f}", va="center", fontsize=7)
        ax.set_xlim(0, max(rates) * 1.25)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x / 1000:g}k"))
    fig.suptitle(
        "Delegir SDKs vs hand-written clients (median of rounds; emulator on the same 2 cores)", fontsize=12
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def write(
    t, mem, rl, started: float, path: Path, generated: str | None = None, ab: dict[str, Any] | None = None
) -> None:
    ab = ab or {}
    generated = generated or f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M}"
    lines = [
        "# Benchmark results",
        "",
        (
            f"Generated by `make bench` (`bash bench/run.sh`) on {generated} UTC"
            f"{' in QUICK mode' if QUICK else ''}: {ROUNDS} round(s) of {SECONDS:g} s per measurement, "
            f"contenders alternated, medians reported; {time.time() - started:.0f} s in all"
            + (
                f" (the whole `make bench`, builds and the reports below included: {ab['run_elapsed_s']:.0f} s)."
                if ab.get("run_elapsed_s")
                else "."
            )
        ),
        "",
        (
            f"**Machine**: {machine()}. The emulator (release build, rate limiting off) runs on the same "
            "cores as the client, so calls/s depends on how much CPU each client leaves to the server; "
            "**client CPU time per call** (from the client process's own `getrusage`, measured after a "
            "warm-up) is the figure least disturbed by that sharing."
        ),
        "",
        "## Headline ratios (concurrency 64, `GET /agents/:id` and the runs page of 100, same run)",
        "",
        "Each ratio is the median over the rounds of that round's ratio: within a round the two "
        "contenders run back to back, so the machine's drift cancels (the tables below give each "
        "contender's median over the rounds).",
        "",
        "| figure | measured | target | |",
        "|---|---|---|---|",
    ]
    for label, value, target, met in ratios(t, mem, rl, ab):
        mark = "" if met is None else "✅" if met else "❌"
        lines.append(f"| {label} | {value} | {target} | {mark} |")
    lines += ["", "![calls per second](results.png)", ""]
    for workload, title in {
        "small": "`GET /agents/agt_abc123` (small body)",
        "large": "`GET /agents/agt_abc123/runs?limit=100` (large body, ~13 KB)",
        "chat": "`POST /agents/agt_abc123/chat`",
    }.items():
        if not any(k[1] == workload for k in t):
            continue
        lines += [
            f"## {title}",
            "",
            "| contender | c | calls/s | p50 ms | p99 ms | CPU µs/call | peak RSS MiB |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for c in CONCURRENCIES:
            for n, (lang, label, _) in CONTENDERS.items():
                v = t.get((n, workload, c))
                if v is None:
                    continue
                cc = c if c == 1 or "threads" not in label else SYNC_THREADS
                err = f" ({v['errors']} errors)" if v["errors"] else ""
                lines.append(
                    f"| {lang}: {label}{err} | {cc} | {v['rate']:,.0f} | {v['p50'] / 1e3:.2f} | {v['p99'] / 1e3:.2f} | "
                    f"{v['cpu']:.1f} | {v['rss']:.0f} |"
                )
        lines.append("")
    if mem:
        lines += [
            f"## Memory: {MEMORY_CALLS:,} concurrent Python async calls (each response delayed 2 s)",
            "",
            "| contender | peak RSS MiB | wall s | errors |",
            "|---|---:|---:|---:|",
        ]
        for n, label in (
            ("delegir-async", "delegir.AsyncDelegir (HTTP/1.1, the default)"),
            ("delegir-async-h2", "delegir.AsyncDelegir(http2_prior_knowledge=True)"),
            ("aiohttp", "aiohttp + Pydantic (HTTP/1.1)"),
        ):
            if n in mem:
                lines.append(
                    f"| {label} | {med(mem[n], lambda m: m['maxrss_kib'] / 1024):.0f} | "
                    f"{med(mem[n], lambda m: m['seconds']):.2f} | {sum(m['errors'] for m in mem[n])} |"
                )
        lines.append("")
    if rl:
        lines += [
            f"## Rate limit: {RL_LIMIT} per {RL_WINDOW_MS / 1000:g} s, {RL_SECONDS:g} s, 50 concurrent tasks on one key",
            "",
            "Quota used counts the successful calls in the aligned windows that lie wholly inside the run.",
            "",
            "| client | 429s seen by the emulator | 429s seen by the client | successful calls | quota used |",
            "|---|---:|---:|---:|---:|",
        ]
        for n, m in rl.items():
            lines.append(
                f"| {n} | {m['server_429']} | {m['client_429']} | {m['server_ok']} | {m['quota_used']:.0%} |"
            )
        lines.append("")
    lines += ab_sections(ab)
    lines += ab.get("reports", [])
    path.write_text("\n".join(lines))


def report_only() -> None:
    """Rewrites RESULTS.md and the chart from results.json (after a change to the report)."""
    data = json.loads((BENCH / "results.json").read_text())
    t = {(k.split("|")[0], k.split("|")[1], int(k.split("|")[2])): v for k, v in data["throughput"].items()}
    if t:
        chart(t, BENCH / "results.png")
    started = time.time() - data.get("elapsed_s", 0)
    ab = data.get("ab", {})
    write(t, data["memory"], data["ratelimit"], started, BENCH / "RESULTS.md", data.get("generated"), ab)


def main() -> None:
    if sys.argv[1:] == ["--report-only"]:
        report_only()
        return
    started = time.time()
    emu = Emulator(sys.argv[1])
    print(f"emulator {emu.base}; {ROUNDS} round(s) x {SECONDS:g} s{' (QUICK)' if QUICK else ''}", flush=True)
    try:
        results = throughput(emu)
        mem = memory(emu) if wanted("memory") else {}
        rl = ratelimit(emu) if wanted("ratelimit") else {}
        ab: dict[str, Any] = {}
        if wanted("overflow"):
            ab["overflow"] = overflow_ab(emu)
        if wanted("gzip"):
            ab["gzip"] = gzip_ab(emu)
    finally:
        emu.stop()
    t = summarise(results)
    ab["reports"] = included_reports()
    if os.environ.get("BENCH_STARTED"):
        ab["run_elapsed_s"] = time.time() - float(os.environ["BENCH_STARTED"])
    raw = {
        "generated": f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M}",
        "elapsed_s": time.time() - started,
        "throughput": {f"{k[0]}|{k[1]}|{k[2]}": v for k, v in t.items()},
        "memory": mem,
        "ratelimit": rl,
        "ab": ab,
    }
    # A partial run (OUT_DIR set) writes elsewhere, so that the committed full run stays.
    out = Path(os.environ.get("OUT_DIR", BENCH))
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(raw, indent=1))
    if t:
        chart(t, out / "results.png")
    write(t, mem, rl, started, out / "RESULTS.md", ab=ab)
    print()
    for label, value, target, met in ratios(t, mem, rl, ab):
        print(f"  {'   ' if met is None else 'OK ' if met else 'LOW'} {label}: {value} (target {target})")
    print(f"wrote {out / 'RESULTS.md'} and {out / 'results.png'}")


if __name__ == "__main__":
    random.seed(0)
    main()
