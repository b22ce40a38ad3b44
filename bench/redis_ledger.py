"""What the Redis store of the rate-limit ledger costs (issue 19): calls/s and client CPU per call at
concurrency 64 with the Redis store against the in-process ledger, and Redis round trips per call.

The Rust SDK (tests/redis/worker.rs, release build) calls ``GET /usage`` from 64 tasks for a few
seconds against the release emulator with a limit far above what is reached (the ledger does its
whole job: window known, places counted), alternating the two configurations over several rounds.
CPU is the worker process's own (``RUSAGE_CHILDREN`` around it); round trips are the script calls
Redis counted (``INFO commandstats``: EVALSHA, plus EVAL/SCRIPT LOAD after a flush, plus PING).

    bash bench/redis_ledger.sh            # builds, then runs this with the project's virtualenv
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "redis"))
from multiprocess import Emulator, Redis


def redis_calls(redis: Redis) -> int:
    """Commands Redis ran for the ledger so far (script calls and their reloads, pings)."""
    raw = redis.command("INFO", "commandstats").decode(errors="replace")
    total = 0
    for line in raw.splitlines():
        name, _, rest = line.partition(":")
        if name in ("cmdstat_evalsha", "cmdstat_eval", "cmdstat_script|load", "cmdstat_ping"):
            total += int(rest.split("calls=")[1].split(",")[0])
    return total


def one(worker: str, emu: Emulator, redis: Redis, store: bool, seconds: float, tasks: int) -> dict[str, float]:
    key = emu.new_key()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DELEGIR_")}
    env.update({"DELEGIR_API_KEY": key, "DELEGIR_BASE_URL": emu.base_url, "SECONDS": str(seconds), "TASKS": str(tasks)})
    if store:
        env["DELEGIR_RATE_LIMIT_STORE"] = redis.url
    before_calls = redis_calls(redis)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    out = subprocess.run([worker], env=env, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = json.loads(out.strip().splitlines()[-1])
    calls = report["ok"] + report["rate_limited"] + report["other"]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "calls_per_s": calls / seconds,
        "cpu_us_per_call": cpu / calls * 1e6,
        "redis_per_call": (redis_calls(redis) - before_calls) / calls,
        "failed": report["other"] + report["rate_limited"],
        "wall": wall,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--emulator", required=True)
    parser.add_argument("--worker", required=True)
    parser.add_argument("--redis-server", default="redis-server")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--tasks", type=int, default=64)
    parser.add_argument("--markdown", default="", help="also write the table to this file")
    args = parser.parse_args()
    # Rate limiting on (headers on every response, the ledger at work) but never binding.
    emu = Emulator(args.emulator, limit=10_000_000, window_ms=60_000)
    redis = Redis(args.redis_server)
    redis.start()
    results: dict[str, list[dict[str, float]]] = {"in-process": [], "redis": []}
    try:
        for r in range(args.rounds):
            order = [False, True] if r % 2 == 0 else [True, False]
            for store in order:
                m = one(args.worker, emu, redis, store, args.seconds, args.tasks)
                results["redis" if store else "in-process"].append(m)
                print(
                    f"round {r + 1} {'redis' if store else 'in-process':10} {m['calls_per_s']:9.0f} calls/s "
                    f"{m['cpu_us_per_call']:6.1f} us CPU/call {m['redis_per_call']:5.2f} Redis calls/call "
                    f"failed {m['failed']}",
                    flush=True,
                )
    finally:
        redis.stop()
        emu.stop()
    med = {name: {k: statistics.median(m[k] for m in ms) for k in ms[0]} for name, ms in results.items()}
    mem, red = med["in-process"], med["redis"]
    lines = [
        "# The rate-limit ledger's Redis store against the in-process ledger",
        "",
        f"Written by `bench/redis_ledger.sh` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: the Rust SDK, "
        f"`GET /usage`, concurrency {args.tasks}, rate limiting on but never binding, {args.rounds} alternating "
        f"rounds of {args.seconds:.0f} s, medians. Client CPU is the worker process's (Redis's own CPU is not "
        "counted); round trips are the script calls Redis counted.",
        "",
        "| ledger | calls/s | client CPU per call | Redis round trips per call |",
        "|---|---|---|---|",
        f"| in-process | {mem['calls_per_s']:.0f} | {mem['cpu_us_per_call']:.1f} µs | 0 |",
        f"| Redis store | {red['calls_per_s']:.0f} | {red['cpu_us_per_call']:.1f} µs | {red['redis_per_call']:.2f} |",
        f"| Redis ÷ in-process | {red['calls_per_s'] / mem['calls_per_s']:.2f}× | "
        f"{red['cpu_us_per_call'] / mem['cpu_us_per_call']:.2f}× | |",
    ]
    print()
    print("\n".join(lines[2:]))
    if args.markdown:
        Path(args.markdown).write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    socket.setdefaulttimeout(10)
    sys.exit(main())
