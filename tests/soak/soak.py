"""Soak driver for the Python SDK (run by scripts/soak.sh): N calls through AsyncDelegir against
a running emulator with a random fault queued before about 1% of them; prints calls, errors by
class, RSS and open file descriptors (before any call, after a warm-up of 200 calls without
faults, and at the end) as one JSON line.

    python tests/soak/soak.py BASE_URL ADMIN_URL CALLS
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from delegir import AsyncDelegir

AGENT = "agt_abc123"
WORKERS = 8
WARM_UP = 200
FAULTS = json.loads((Path(__file__).parent / "faults.json").read_text())


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


def fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def admin(
    url: str, method: str, body: dict[str, Any] | None = None, key: str | None = None
) -> Any:
    request = urllib.request.Request(
        url, method=method, data=None if body is None else json.dumps(body).encode()
    )
    request.add_header("Content-Type", "application/json")
    if key is not None:
        request.add_header("X-API-Key", key)
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())["data"]


async def main(base_url: str, admin_url: str, calls: int) -> None:
    key = admin(f"{admin_url}/keys", "POST")["api_key"]
    rng = random.Random(7)
    errors: Counter[str] = Counter()
    faults = 0
    async with AsyncDelegir(key, base_url=base_url, timeout=5.0) as client:
        # Each call: (method, path for the fault, coroutine factory).
        mix: list[tuple[str, str, Callable[[], Awaitable[object]]]] = [
            ("GET", "/agents", lambda: client.agents.list()),
            ("GET", f"/agents/{AGENT}", lambda: client.agents.get(AGENT)),
            ("GET", "/usage", lambda: client.usage.get()),
            (
                "GET",
                f"/agents/{AGENT}/runs",
                lambda: client.agents.runs.list(AGENT, limit=5),
            ),
            ("GET", f"/agents/{AGENT}", lambda: client.agents.get(AGENT)),
            ("GET", "/usage", lambda: client.usage.get()),
            ("GET", "/agents", lambda: client.agents.list()),
            (
                "GET",
                f"/agents/{AGENT}/runs",
                lambda: client.agents.runs.list(AGENT, offset=10),
            ),
            ("GET", f"/agents/{AGENT}", lambda: client.agents.get(AGENT)),
            (
                "POST",
                f"/agents/{AGENT}/chat",
                lambda: client.agents.chat(AGENT, "soak"),
            ),
        ]
        initial = {"rss_kib": rss_kib(), "fds": fds()}
        next_call = 0

        async def worker(limit: int, fault_rate: float) -> None:
            nonlocal next_call, faults
            while next_call < limit:
                i = next_call
                next_call += 1
                method, path, make = mix[i % len(mix)]
                if rng.random() < fault_rate:
                    faults += 1
                    admin(
                        f"{admin_url}/faults",
                        "POST",
                        {
                            "method": method,
                            "path": "/api/v1" + path,
                            "fault": rng.choice(FAULTS),
                        },
                        key,
                    )
                try:
                    await make()
                except Exception as e:
                    errors[type(e).__name__] += 1

        # Warm-up without faults: the connection pool fills, caches settle.
        await asyncio.gather(*(worker(WARM_UP, 0.0) for _ in range(WORKERS)))
        errors.clear()
        start = {"rss_kib": rss_kib(), "fds": fds()}
        next_call = 0
        started = time.monotonic()
        await asyncio.gather(*(worker(calls, 0.01) for _ in range(WORKERS)))
        elapsed = time.monotonic() - started
    end = {"rss_kib": rss_kib(), "fds": fds()}
    print(
        json.dumps(
            {
                "sdk": "python",
                "calls": calls,
                "faults_queued": faults,
                "seconds": round(elapsed, 1),
                "errors": dict(sorted(errors.items())),
                "initial": initial,
                "start": start,
                "end": end,
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
