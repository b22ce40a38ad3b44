"""Async calls are lazy like coroutines: nothing is sent until a call is awaited, scheduled or
given a callback, and a call that never started warns when it is garbage-collected."""

from __future__ import annotations

import asyncio
import gc
import warnings
from typing import cast

import pytest
from conftest import AGENT
from delegir import AsyncDelegir, Usage
from delegir.testing import Emulator


async def settle(emu: Emulator, count: int) -> None:
    """Waits (up to 5 s) until the emulator has journaled `count` requests."""
    for _ in range(100):
        if len(emu.journal()) >= count:
            return
        await asyncio.sleep(0.05)


async def test_a_call_sends_nothing_until_awaited(aclient: AsyncDelegir, emu: Emulator) -> None:
    call = aclient.agents.chat(AGENT, "hello")
    await asyncio.sleep(0.3)
    assert emu.journal() == []
    reply = await call
    assert reply.run_id
    assert [e["method"] for e in emu.journal()] == ["POST"]


async def test_a_call_never_awaited_warns_and_sends_nothing(aclient: AsyncDelegir, emu: Emulator) -> None:
    with pytest.warns(RuntimeWarning, match="never awaited"):
        aclient.agents.chat(AGENT, "forgotten")  # type: ignore[unused-coroutine]  # the point of the test
        gc.collect()
    await asyncio.sleep(0.3)
    assert emu.journal() == []


async def test_a_cancelled_or_awaited_call_does_not_warn(aclient: AsyncDelegir) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        call = cast("asyncio.Future[Usage]", aclient.usage.get())
        call.cancel()
        del call
        await aclient.usage.get()
        gc.collect()


async def test_every_way_of_scheduling_starts_the_call(aclient: AsyncDelegir, emu: Emulator) -> None:
    future = asyncio.ensure_future(aclient.usage.get())
    await settle(emu, 1)
    assert len(emu.journal()) == 1  # started by ensure_future alone, before being awaited
    await future
    task = asyncio.create_task(aclient.usage.get())
    gathered = asyncio.gather(aclient.usage.get(), aclient.agents.list())
    waited = asyncio.ensure_future(asyncio.wait_for(aclient.usage.get(), timeout=5))
    called_back = cast("asyncio.Future[Usage]", aclient.usage.get())
    results: list[object] = []
    called_back.add_done_callback(results.append)
    await settle(emu, 6)
    assert len(emu.journal()) == 6
    await asyncio.gather(task, gathered, waited, called_back)
    assert results == [called_back]


async def test_wait_takes_tasks_of_calls_and_as_completed_takes_calls(aclient: AsyncDelegir, emu: Emulator) -> None:
    # `asyncio.wait` forbids coroutines, and a call is one: like a coroutine, it goes in a task.
    with pytest.warns(RuntimeWarning, match="never awaited"):  # as a refused coroutine warns
        with pytest.raises(TypeError, match="coroutines is forbidden"):
            await asyncio.wait([aclient.usage.get()])  # type: ignore[type-var]  # refused, the point
        gc.collect()
    assert emu.journal() == []
    done, pending = await asyncio.wait([asyncio.create_task(aclient.usage.get()) for _ in range(3)])
    assert not pending and all(task.result().plan for task in done)
    calls = [aclient.usage.get(), aclient.agents.get(AGENT)]
    kinds = sorted([type(await next_done).__name__ for next_done in asyncio.as_completed(calls)])
    assert kinds == ["AgentDetail", "Usage"]
    assert len(emu.journal()) == 5
