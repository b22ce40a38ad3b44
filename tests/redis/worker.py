"""One Python process of the multi-process rate-limit run (tests/redis/multiprocess.py).

``TASKS`` asyncio tasks call the API on one key until ``SECONDS`` have passed, then the process
prints one JSON line: its calls that succeeded, failed with ``RateLimitError``, or failed otherwise.
The store comes from ``DELEGIR_RATE_LIMIT_STORE`` when the run sets it (the core reads it), so this
file is the same with and without the store. ``ROUTE=agent`` calls ``agents.get`` instead of
``usage.get`` (the run that kills a process with calls held in flight by a delay fault), and
``START_AFTER`` seconds delays its first call.
"""

from __future__ import annotations

import asyncio
import json
import os
import time

from delegir import AsyncDelegir, RateLimitError


async def main() -> None:
    tasks = int(os.environ.get("TASKS", "10"))
    seconds = float(os.environ["SECONDS"])
    route = os.environ.get("ROUTE", "usage")
    counts = {"ok": 0, "rate_limited": 0, "other": 0}
    errors: list[str] = []
    await asyncio.sleep(float(os.environ.get("START_AFTER", "0")))
    deadline = time.monotonic() + seconds
    async with AsyncDelegir() as client:

        async def task() -> None:
            while time.monotonic() < deadline:
                try:
                    if route == "agent":
                        await client.agents.get("agt_abc123")
                    else:
                        await client.usage.get()
                    counts["ok"] += 1
                except RateLimitError:
                    counts["rate_limited"] += 1
                except Exception as e:  # counted and reported: the run decides
                    counts["other"] += 1
                    if len(errors) < 5:
                        errors.append(f"{type(e).__name__}: {e}")

        await asyncio.gather(*(task() for _ in range(tasks)))
    print(json.dumps({"lang": "python", "pid": os.getpid(), **counts, "errors": errors}), flush=True)


asyncio.run(main())
