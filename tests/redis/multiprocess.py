"""The rate-limit ledger shared through Redis, across processes and languages (issue 19).

Run by tests/redis/run.sh (part of ``make test``) with the project's virtualenv. Against the
emulator at 20 requests per 2 s and a real redis-server, on one key at the same time:

1. **shared**: 4 Python, 2 Node and 1 Rust process x 10 tasks each for 20 s with the store: zero
   429s in the emulator's journal, >= 95% of the quota used over the windows wholly inside the
   run, every process at least half of an equal share;
2. **alone**: the same without the store (printed beside it, not asserted: that is the problem);
3. **outage**: the shared run with Redis stopped at 6 s and started again at 11 s: every call
   completes or fails with a rate-limit error, no process hangs, the 429s are reported, and the
   windows from 3 s after the restart on have none (pacing is shared again);
4. **kill**: a process holding 10 calls in flight (a delay fault) is SIGKILLed: its places return
   within the lease and the 2 other processes use the full quota again.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Optional

LIMIT, WINDOW = 20, 2.0
SECONDS = 20.0
LEASE = 4.0  # core/src/policy/ledger/redis.rs
HANG_SLACK = 45.0  # a worker still running this long after its deadline has hung


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Redis:
    def __init__(self, binary: str) -> None:
        self.binary, self.port = binary, free_port()
        self.proc: Optional[subprocess.Popen[bytes]] = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.01)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def command(self, *args: str) -> bytes:
        """One command over RESP; the raw reply."""
        payload = f"*{len(args)}\r\n".encode() + b"".join(
            f"${len(a.encode())}\r\n".encode() + a.encode() + b"\r\n" for a in args
        )
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
            s.sendall(payload)
            return s.recv(65536)


class Emulator:
    def __init__(self, binary: str, limit: int = LIMIT, window_ms: int = int(WINDOW * 1000)) -> None:
        self.proc = subprocess.Popen(
            [binary, "--port", "0", "--rate-limit", str(limit), "--rate-window", f"{window_ms}ms", "--quiet"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        self.base_url = line.rsplit(" ", 1)[-1]
        self.admin = self.base_url.rsplit("/api/v1", 1)[0] + "/__emulator"

    def request(self, method: str, path: str, key: Optional[str] = None, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.admin + path, data=data, method=method)
        if key:
            req.add_header("X-API-Key", key)
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())["data"]

    def new_key(self) -> str:
        return str(self.request("POST", "/keys")["api_key"])

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=10)


class Workers:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args

    def command(self, lang: str) -> List[str]:
        if lang == "python":
            return [sys.executable, str(Path(__file__).with_name("worker.py"))]
        if lang == "node":
            return ["node", str(Path(self.args.node_scratch) / "redis-worker.mjs")]
        return [self.args.rust_worker]

    def start(self, lang: str, env: Dict[str, str]) -> subprocess.Popen[str]:
        return subprocess.Popen(self.command(lang), env=env, stdout=subprocess.PIPE, text=True)


def parse_time(s: str) -> float:
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def windows_of(journal: List[Dict[str, Any]], start: float, end: float) -> List[Dict[str, Any]]:
    """The emulator's windows (they follow each other under load, each opening at the start of a
    second) with their successes and 429s, for those lying wholly inside [start, end]."""
    times = sorted(parse_time(e["time"]) for e in journal if e["status"] == 200)
    if not times:
        return []
    origin = math.floor(times[0])
    out = []
    k = 0
    while origin + (k + 1) * WINDOW <= end:
        lo, hi = origin + k * WINDOW, origin + (k + 1) * WINDOW
        if lo >= start:
            ok = sum(1 for e in journal if e["status"] == 200 and lo <= parse_time(e["time"]) < hi)
            limited = sum(1 for e in journal if e["outcome"] == "rate_limited" and lo <= parse_time(e["time"]) < hi)
            out.append({"start": lo, "ok": ok, "rate_limited": limited})
        k += 1
    return out


def run(
    label: str,
    emu: Emulator,
    workers: Workers,
    store: Optional[str],
    plan: Dict[str, int],
    seconds: float = SECONDS,
    events: Optional[List[Any]] = None,
    env_extra: Optional[Dict[str, str]] = None,
) -> Dict[str, Any]:
    key = emu.new_key()
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("DELEGIR_")}
    base_env.update(
        {"DELEGIR_API_KEY": key, "DELEGIR_BASE_URL": emu.base_url, "SECONDS": str(seconds), "TASKS": "10"}
    )
    if store:
        base_env["DELEGIR_RATE_LIMIT_STORE"] = store
    procs = []
    start = time.time()
    for lang, count in plan.items():
        for _ in range(count):
            env = dict(base_env)
            if env_extra and lang in env_extra:
                env.update(json.loads(env_extra[lang]))
            procs.append((lang, workers.start(lang, env)))
    pending = sorted(events or [], key=lambda e: e[0])
    while pending:
        at, action = pending[0]
        delay = start + at - time.time()
        if delay > 0:
            time.sleep(delay)
        action(procs, key)
        pending.pop(0)
    reports = []
    hung = []
    for lang, p in procs:
        try:
            out, _ = p.communicate(timeout=max(1.0, start + seconds + HANG_SLACK - time.time()))
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
            hung.append(lang)
        if p.returncode == -signal.SIGKILL and lang == "victim":
            continue
        lines = [line for line in (out or "").splitlines() if line.startswith("{")]
        if lines:
            reports.append(json.loads(lines[-1]))
        else:
            # A worker that died without its report failed: counted as a failed call.
            reports.append({"lang": lang, "ok": 0, "rate_limited": 0, "other": 1, "errors": [f"exit {p.returncode}"]})
    end = start + seconds
    journal = emu.request("GET", "/journal", key=key)
    windows = windows_of(journal, start, end)
    ok_in = sum(w["ok"] for w in windows)
    result = {
        "label": label,
        "key": key,
        "start": start,
        "end": end,
        "reports": reports,
        "hung": hung,
        "429s": sum(1 for e in journal if e["outcome"] == "rate_limited"),
        "requests": len(journal),
        "windows": windows,
        "quota": ok_in / (LIMIT * len(windows)) if windows else 0.0,
        "journal": journal,
    }
    return result


def shares(result: Dict[str, Any]) -> List[int]:
    return [int(r["ok"]) for r in result["reports"]]


def describe(r: Dict[str, Any]) -> str:
    s = shares(r)
    return (
        f"{r['label']:<44} 429s {r['429s']:4}  quota used {r['quota']:6.1%} over {len(r['windows'])} whole windows  "
        f"calls per process {s} (min {min(s) if s else 0}, equal share {sum(s) / max(len(s), 1):.1f})"
    )


def ledger_key(key: str, base_url: str, name: str) -> str:
    digest = hashlib.sha256(key.encode() + b"\0" + base_url.rstrip("/").encode()).hexdigest()[:32]
    return f"delegir:ratelimit:{{{digest}}}:{name}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--emulator", required=True)
    parser.add_argument("--rust-worker", required=True)
    parser.add_argument("--node-scratch", required=True)
    parser.add_argument("--redis-server", default="redis-server")
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    emu = Emulator(args.emulator)
    redis = Redis(args.redis_server)
    redis.start()
    workers = Workers(args)
    everyone = {"python": 4, "node": 2, "rust": 1}
    failures: List[str] = []

    def check(cond: bool, what: str) -> None:
        print(("  ok   " if cond else "  FAIL ") + what, flush=True)
        if not cond:
            failures.append(what)

    try:
        only = set(filter(None, args.only.split(",")))
        if not only or "shared" in only:
            shared = run("shared: 4 py + 2 node + 1 rust, Redis store", emu, workers, redis.url, everyone)
            alone = run("alone: the same, each process its own ledger", emu, workers, None, everyone)
            print(describe(shared), flush=True)
            print(describe(alone), flush=True)
            s = shares(shared)
            check(not shared["hung"], f"shared: no process hung ({shared['hung']})")
            check(shared["429s"] == 0, f"shared: zero 429s in the emulator's journal ({shared['429s']})")
            check(shared["quota"] >= 0.95, f"shared: >= 95% of the quota used ({shared['quota']:.1%})")
            check(
                len(s) == 7 and min(s) * 2 * len(s) >= sum(s),
                f"shared: every process >= half an equal share ({s})",
            )
            check(
                all(r["other"] == 0 and r["rate_limited"] == 0 for r in shared["reports"]),
                "shared: no call failed",
            )

        if not only or "outage" in only:

            def stop(_procs: Any, _key: str) -> None:
                redis.stop()

            def restart(_procs: Any, _key: str) -> None:
                redis.start()

            restart_at = 11.0
            outage = run(
                "outage: Redis stopped at 6 s, back at 11 s",
                emu,
                workers,
                redis.url,
                everyone,
                events=[(6.0, stop), (restart_at, restart)],
            )
            print(describe(outage), flush=True)
            after = [w for w in outage["windows"] if w["start"] >= outage["start"] + restart_at + 3]
            failed = [r for r in outage["reports"] if r["other"]]
            check(not outage["hung"], f"outage: no process hung ({outage['hung']})")
            check(not failed, f"outage: every call completed or failed with a rate-limit error ({failed})")
            check(
                bool(after) and all(w["rate_limited"] == 0 for w in after),
                f"outage: pacing shared again after the restart (429s per window from 3 s after it: "
                f"{[w['rate_limited'] for w in after]})",
            )
            print(f"  outage: {outage['429s']} 429s in all, calls ending in RateLimitError "
                  f"{sum(r['rate_limited'] for r in outage['reports'])}", flush=True)

        if not only or "kill" in only:
            # The victim starts at 1 s with its tickets behind the others' and is served in the third
            # window (~5 s); its calls then hang in the emulator (a 30 s delay) until it is killed.
            seconds, kill_at = 18.0, 7.0
            state: Dict[str, Any] = {}

            def kill(procs: Any, key: str) -> None:
                victim = next(p for lang, p in procs if lang == "victim")
                places = ledger_key(key, emu.base_url, "places")
                state["before"] = int(redis.command("ZCARD", places).split(b"\r\n")[0][1:])
                victim.send_signal(signal.SIGKILL)
                state["killed"] = time.time()

            def after_lease(procs: Any, key: str) -> None:
                places = ledger_key(key, emu.base_url, "places")
                state["after"] = int(redis.command("ZCARD", places).split(b"\r\n")[0][1:])

            # The victim's calls hang 30 s in the emulator (a delay fault on its route only).
            orig_new_key = emu.new_key

            def new_key_with_fault() -> str:
                key = orig_new_key()
                emu.request(
                    "POST",
                    "/faults",
                    key=key,
                    body={"method": "GET", "path": "/api/v1/agents/agt_abc123", "count": 10,
                          "fault": {"kind": "delay", "ms": 30000}},
                )
                return key

            emu.new_key = new_key_with_fault  # type: ignore[method-assign]
            orig_command = workers.command
            workers.command = lambda lang: orig_command("python" if lang == "victim" else lang)  # type: ignore[method-assign]
            try:
                killed = run(
                    "kill: 2 py + 1 py killed with 10 calls in flight",
                    emu,
                    workers,
                    redis.url,
                    {"victim": 1, "python": 2},
                    seconds=seconds,
                    events=[(kill_at, kill), (kill_at + LEASE + 1.5, after_lease)],
                    # It starts once the others know the window, so that its calls take places
                    # in an open window (rather than one of them being the probe).
                    env_extra={"victim": json.dumps({"ROUTE": "agent", "START_AFTER": "1.0"})},
                )
            finally:
                emu.new_key = orig_new_key  # type: ignore[method-assign]
                workers.command = orig_command  # type: ignore[method-assign]
            print(describe(killed), flush=True)
            back = [w for w in killed["windows"] if w["start"] >= state["killed"] + LEASE]
            # Its calls hang in the emulator: when one of them was the window's probe, every process
            # waits for it until the lease runs out (the hardest case); else they hold places.
            check(state.get("before", 0) >= 1, f"kill: the victim held places when killed ({state.get('before')} in Redis)")
            check(
                state.get("after", 99) <= 5,
                f"kill: its places were freed within the lease ({state.get('after')} in Redis {LEASE + 1.5:.1f} s later)",
            )
            check(not killed["hung"], f"kill: no process hung ({killed['hung']})")
            check(
                bool(back) and all(w["ok"] >= LIMIT * 0.95 for w in back),
                f"kill: the others use the full quota once the lease ran out ({[w['ok'] for w in back]} per window)",
            )
            check(killed["429s"] == 0, f"kill: zero 429s ({killed['429s']})")
    finally:
        redis.stop()
        emu.stop()
    if failures:
        print(f"multiprocess.py: {len(failures)} check(s) failed", flush=True)
        return 1
    print("multiprocess.py: all checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
