"""AsyncDelegir under trio, directly and through AnyIO (as openai-python supports), besides
asyncio: results, errors, paging, raw responses, and cancellation that abandons the request."""

from __future__ import annotations

import time
from typing import Any, Dict, List, Tuple

import anyio
import pytest
import trio
from conftest import AGENT, TOTAL_RUNS
from delegir import AsyncDelegir, NotFoundError
from delegir.testing import Emulator


async def a_session(client: AsyncDelegir) -> Tuple[str, int, int, str]:
    usage = await client.usage.get()
    runs = [run async for run in client.agents.runs.iter(AGENT)]
    raw = await client.with_raw_response.agents.get(AGENT)
    missing = ""
    try:
        await client.agents.get("agt_missing")
    except NotFoundError as e:
        missing = e.message
    return usage.plan, len(runs), raw.status_code, missing


def test_the_async_client_runs_under_trio(emu: Emulator) -> None:
    async def main() -> Tuple[str, int, int, str]:
        async with emu.async_client() as client:
            return await a_session(client)

    assert trio.run(main) == ("PRO", TOTAL_RUNS, 200, "Agent not found")


@pytest.mark.parametrize("backend", ["trio", "asyncio"])
def test_the_async_client_runs_under_anyio(emu: Emulator, backend: str) -> None:
    async def main() -> Tuple[str, int, int, str]:
        async with emu.async_client() as client:
            return await a_session(client)

    assert anyio.run(main, backend=backend) == ("PRO", TOTAL_RUNS, 200, "Agent not found")


def test_calls_run_concurrently_under_trio(emu: Emulator) -> None:
    emu.add_fault("GET", "/usage", {"kind": "delay", "ms": 300}, count=10)

    async def main() -> List[str]:
        plans: List[str] = []
        async with emu.async_client() as client:

            async def one() -> None:
                plans.append((await client.usage.get()).plan)

            async with trio.open_nursery() as nursery:
                for _ in range(10):
                    nursery.start_soon(one)
        return plans

    started = time.monotonic()
    assert trio.run(main) == ["PRO"] * 10
    assert time.monotonic() - started < 2.5  # ten 300 ms calls together, not one after another


def test_a_trio_cancel_scope_abandons_the_request(emu: Emulator) -> None:
    emu.add_fault("GET", "/usage", {"kind": "delay", "ms": 3000})

    async def main() -> Dict[str, Any]:
        async with emu.async_client() as client:
            started = time.monotonic()
            with trio.move_on_after(0.3) as scope:
                await client.usage.get()
            took = time.monotonic() - started
            again = await client.usage.get()
            return {"cancelled": scope.cancelled_caught, "took": took, "again": again.plan}

    result = trio.run(main)
    assert result["cancelled"] and result["took"] < 1.5 and result["again"] == "PRO"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any(e["outcome"] == "client_disconnected" for e in emu.journal()):
        time.sleep(0.05)
    # The journal lists requests as they end: the second call may end before the emulator
    # notices that the first one's client went away.
    assert sorted(e["outcome"] for e in emu.journal()) == ["client_disconnected", "ok"]
