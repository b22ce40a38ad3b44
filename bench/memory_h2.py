"""The memory workload of ``driver.py`` alone, HTTP/1.1 against HTTP/2, with A/B builds.

    build/bench-venv/bin/python bench/memory_h2.py [--calls 10000] [--rounds 2]
        [--contenders delegir-async,delegir-async-h2] [--variant NAME=DIR ...]
        [--throughput SECONDS] [--pin CPUS] [--emulator target/release/delegir-emulator]

Each measurement is ``contender.py memory CONTENDER CALLS`` (every call in flight at once, the
emulator delaying each response 2 s) in a process of its own, as in ``driver.py``. A variant is
a folder holding an unpacked wheel (``unzip delegir-*.whl -d DIR``): it is put first on
``PYTHONPATH`` so that two builds can be compared in one run, alternating (the default variant
is the ``delegir`` installed in the interpreter). Besides the peak RSS from ``getrusage``, the
child's RSS is sampled every 20 ms (``--series`` prints it every 0.2 s: the phase with every
call in flight, then the end, when the responses and models arrive).

``--throughput S`` also measures, alternating the variants, the HTTP/2 small GET at concurrency
64 for S seconds (``contender.py throughput delegir-async-h2 small 64 S``): the figure a change
of the HTTP/2 path must not lower. ``--pin 0`` runs each measured client under ``taskset -c 0``:
its loop thread and the runtime's worker then share one core, as on a busy machine, which is
when the end of the burst used to leave the calls' memory behind (bench/README.md). Memory figures are robust to the machine's load; calls/s
are not, so compare variants within one run only.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
from driver import Emulator  # noqa: E402  (the bench's one emulator wrapper)

DELAY_MS = 2000


def env_for(path: str | None) -> dict[str, str]:
    env = dict(os.environ)
    if path:
        env["PYTHONPATH"] = path + os.pathsep + env.get("PYTHONPATH", "")
    return env


def rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (OSError, IndexError, ValueError):
        return 0


def memory(emu: Emulator, name: str, calls: int, path: str | None, pin: str | None = None) -> dict[str, Any]:
    key = emu.new_key()
    fault = {"kind": "delay", "ms": DELAY_MS}
    emu.request(
        "POST",
        "/faults",
        key=key,
        body={"method": "GET", "path": "/api/v1/agents/agt_abc123", "count": calls * 2, "fault": fault},
    )
    cmd = [sys.executable, str(BENCH / "python/contender.py"), "memory", name, str(calls), emu.base, key]
    if pin:
        cmd = ["taskset", "-c", pin, *cmd]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env_for(path))
    samples: list[tuple[float, int]] = []
    while proc.poll() is None:
        samples.append((time.perf_counter(), rss_kib(proc.pid)))
        time.sleep(0.02)
    out, err = proc.communicate()
    emu.request("POST", "/reset", key=key)
    if proc.returncode != 0:
        raise RuntimeError(f"{name} failed: {err[-2000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    result["series_mib"] = [round(kib / 1024) for _, kib in samples[::10]]
    return result


def throughput(emu: Emulator, seconds: float, path: str | None) -> dict[str, Any]:
    key = emu.new_key()
    cmd = [
        sys.executable,
        str(BENCH / "python/contender.py"),
        "throughput",
        "delegir-async-h2",
        "small",
        "64",
        str(seconds),
        emu.base,
        key,
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env_for(path))
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, action="append")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--contenders", default="delegir-async,delegir-async-h2")
    parser.add_argument("--variant", action="append", default=[], help="NAME=DIR of an unpacked wheel")
    parser.add_argument("--throughput", type=float, default=0.0)
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--pin", help="CPU list for taskset -c (the measured client only)")
    parser.add_argument("--series", action="store_true", help="print the RSS series (MiB every 0.2 s)")
    parser.add_argument("--emulator", default=str(ROOT / "target/release/delegir-emulator"))
    args = parser.parse_args()
    variants: list[tuple[str, str | None]] = [
        (v.split("=", 1)[0], v.split("=", 1)[1]) for v in args.variant
    ] or [("installed", None)]
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(65536, hard), hard))
    emu = Emulator(args.emulator)
    try:
        for r in range(args.rounds):
            order = variants if r % 2 == 0 else variants[::-1]
            if not args.no_memory:
                for calls in args.calls or [10000]:
                    for name in args.contenders.split(","):
                        for variant, path in order:
                            m = memory(emu, name, calls, path, args.pin)
                            line = (
                                f"round {r} {variant:10} {name:17} {calls:6} calls {m['seconds']:5.2f} s  peak {m['maxrss_kib'] / 1024:6.1f} MiB"
                                f"  errors {m['errors']}"
                            )
                            print(line, flush=True)
                            if args.series:
                                print("   ", m["series_mib"], flush=True)
            if args.throughput:
                for variant, path in order:
                    t = throughput(emu, args.throughput, path)
                    print(
                        f"round {r} {variant:10} h2 small c=64: {t['calls'] / t['seconds']:8.0f} calls/s  cpu {t['cpu_s'] / max(t['calls'], 1) * 1e6:5.1f} µs/call  errors {t['errors']}",
                        flush=True,
                    )
    finally:
        emu.stop()


if __name__ == "__main__":
    main()
