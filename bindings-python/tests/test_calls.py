"""What an ``AsyncDelegir`` method returns: used every way asyncio code uses a coroutine, and a
future underneath (no task per call in ``gather``), against the emulator."""

from __future__ import annotations

import asyncio
import gc
import inspect
import sys
import time

import pytest
from conftest import AGENT, wait_for_journal
from delegir import AgentDetail, AsyncDelegir, NotFoundError, Usage
from delegir.testing import Emulator


def _disconnected(journal: list[dict[str, object]]) -> bool:
    return any(e["outcome"] == "client_disconnected" for e in journal)


async def test_gather_of_many_calls_makes_no_task_per_call(aclient: AsyncDelegir, emu: Emulator) -> None:
    emu.add_fault("GET", f"/agents/{AGENT}", {"kind": "delay", "ms": 300}, count=20)
    calls = [aclient.agents.get(AGENT) for _ in range(20)]
    assert all(asyncio.isfuture(c) for c in calls)
    gathered = asyncio.gather(*calls)
    await asyncio.sleep(0.1)
    assert asyncio.all_tasks() == {asyncio.current_task()}  # 20 requests in flight, one task
    agents = await gathered
    assert [a.id for a in agents] == [AGENT] * 20
    assert all(isinstance(a, AgentDetail) for a in agents)


async def test_create_task_and_task_group_take_a_call_like_a_coroutine(aclient: AsyncDelegir) -> None:
    task = asyncio.create_task(aclient.usage.get())
    assert isinstance(await task, Usage)
    if sys.version_info >= (3, 11):
        async with asyncio.TaskGroup() as group:
            got = group.create_task(aclient.agents.get(AGENT))
            listed = group.create_task(aclient.agents.list())
        assert got.result().id == AGENT and len(listed.result()) == 2


async def test_an_error_reaches_the_task_that_awaits_the_call(aclient: AsyncDelegir) -> None:
    task = asyncio.create_task(aclient.agents.get("agt_missing"))
    with pytest.raises(NotFoundError):
        await task


async def test_cancelling_the_task_of_a_call_abandons_its_request(aclient: AsyncDelegir, emu: Emulator) -> None:
    emu.add_fault("GET", f"/agents/{AGENT}", {"kind": "delay", "ms": 3000})
    call = aclient.agents.get(AGENT)
    task = asyncio.create_task(call)
    await asyncio.sleep(0.3)
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert isinstance(call, asyncio.Future) and call.cancelled()
    assert time.monotonic() - started < 0.5
    journal = await asyncio.to_thread(wait_for_journal, emu, _disconnected)
    assert [e["outcome"] for e in journal] == ["client_disconnected"]


async def test_a_task_cancelled_before_it_ran_cancels_its_call(aclient: AsyncDelegir, emu: Emulator) -> None:
    emu.add_fault("GET", "/usage", {"kind": "delay", "ms": 3000})
    call = aclient.usage.get()
    task = asyncio.create_task(call)
    task.cancel()  # before the task's first step
    with pytest.raises(asyncio.CancelledError):
        await task
    assert isinstance(call, asyncio.Future) and call.cancelled()
    # Abandoned at once: either it never reached the server or the server saw it disconnect.
    await asyncio.sleep(0.5)
    assert all(e["outcome"] == "client_disconnected" for e in emu.journal())
    assert (await aclient.usage.get()).plan == "PRO"


def test_asyncio_run_takes_a_call_made_outside_any_loop(emu: Emulator) -> None:
    client = emu.async_client()
    usage = asyncio.run(client.usage.get())
    assert isinstance(usage, Usage) and usage.plan == "PRO"
    agent = asyncio.run(client.agents.get(AGENT))
    assert agent.id == AGENT


def test_a_call_made_outside_a_loop_and_never_run_sends_nothing(emu: Emulator) -> None:
    client = emu.async_client()
    coroutine = client.agents.chat(AGENT, "never sent")
    with pytest.warns(RuntimeWarning, match="never awaited"):
        del coroutine  # like any coroutine function's: the warning says it was never run
        gc.collect()
    time.sleep(0.2)
    assert emu.journal() == []


def test_methods_are_coroutine_functions_where_python_can_say_so(emu: Emulator) -> None:
    # Frameworks ask `inspect.iscoroutinefunction` whether to await what a callback returns;
    # Python 3.12 added the public way for a method that returns a coroutine to say yes.
    client = emu.async_client()
    marked = sys.version_info >= (3, 12)
    for method in (client.agents.get, client.agents.list, client.agents.chat, client.usage.get):
        assert inspect.iscoroutinefunction(method) is marked
