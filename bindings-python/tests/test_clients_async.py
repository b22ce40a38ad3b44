"""The asyncio client, method by method, against the emulator."""

from __future__ import annotations

import asyncio
import json

import delegir
import pytest
from conftest import AGENT, PAUSED_AGENT, TOTAL_RUNS
from delegir import AgentConfig, AsyncDelegir
from delegir.testing import Emulator
from delegir.types import Agent, AgentDetail, ChatReply, DeletedAgent, RunPage, UpdatedAgent, Usage


async def test_agents_list_returns_the_reference_agents(aclient: AsyncDelegir) -> None:
    agents = await aclient.agents.list()
    assert [a.id for a in agents] == [AGENT, PAUSED_AGENT]
    assert all(isinstance(a, Agent) for a in agents)
    assert agents[0].created_at.tzinfo is not None


async def _detail_and_usage(client: AsyncDelegir) -> tuple[AgentDetail, Usage]:
    # mypy --strict (scripts/test.sh) checks that gather keeps each call's type: with the calls
    # annotated Coroutine[Any, Any, T] it made the whole tuple Any.
    return await asyncio.gather(client.agents.get(AGENT), client.usage.get())


async def test_gather_over_calls_keeps_their_types(aclient: AsyncDelegir) -> None:
    detail, usage = await _detail_and_usage(aclient)
    assert (detail.id, usage.plan) == (AGENT, "PRO")


async def test_agents_get_returns_config_and_channels(aclient: AsyncDelegir) -> None:
    agent = await aclient.agents.get(AGENT)
    assert isinstance(agent, AgentDetail)
    assert agent.config.max_tokens == 2048 and agent.channels == ["webchat", "email"]


async def test_agents_update_sends_only_the_given_fields(aclient: AsyncDelegir, emu: Emulator) -> None:
    updated = await aclient.agents.update(AGENT, config=AgentConfig(temperature=1.5, model="m2"))
    assert isinstance(updated, UpdatedAgent) and updated.id == AGENT
    assert json.loads(emu.journal()[-1]["body"]) == {"config": {"model": "m2", "temperature": 1.5}}


async def test_agents_delete_removes_the_agent(aclient: AsyncDelegir) -> None:
    deleted = await aclient.agents.delete(AGENT)
    assert isinstance(deleted, DeletedAgent) and deleted.deleted
    with pytest.raises(delegir.NotFoundError):
        await aclient.agents.delete(AGENT)


async def test_agents_chat_returns_the_reply(aclient: AsyncDelegir) -> None:
    reply = await aclient.agents.chat(AGENT, "Hello")
    assert isinstance(reply, ChatReply) and reply.run_id.startswith("run_")
    assert (await aclient.agents.get(AGENT)).total_runs == TOTAL_RUNS + 1


async def test_runs_list_pages_with_limit_and_offset(aclient: AsyncDelegir) -> None:
    page = await aclient.agents.runs.list(AGENT, limit=100, offset=1200)
    assert isinstance(page, RunPage)
    assert (page.total, page.offset, len(page.runs)) == (TOTAL_RUNS, 1200, TOTAL_RUNS - 1200)


async def test_runs_iter_yields_every_run_once(aclient: AsyncDelegir) -> None:
    ids = [run.id async for run in aclient.agents.runs.iter(AGENT)]
    assert len(ids) == TOTAL_RUNS and len(set(ids)) == TOTAL_RUNS


async def test_runs_iter_skips_nothing_and_repeats_nothing_while_chats_add_runs(
    aclient: AsyncDelegir,
) -> None:
    seen: list[str] = []
    async for run in aclient.agents.runs.iter(AGENT, page_size=100):
        seen.append(run.id)
        if len(seen) % 250 == 0:
            await aclient.agents.chat(AGENT, "a new run at the head")
    assert len(seen) == TOTAL_RUNS and len(set(seen)) == TOTAL_RUNS


async def test_usage_get_returns_the_billing_period(aclient: AsyncDelegir) -> None:
    usage = await aclient.usage.get()
    assert isinstance(usage, Usage) and usage.plan == "PRO"


async def test_rate_limit_reflects_the_last_response() -> None:
    with Emulator(rate_limit=60) as emu:
        async with emu.async_client() as client:
            assert client.rate_limit is None
            await client.usage.get()
            limit = client.rate_limit
            assert limit is not None and limit.limit == 60


async def test_a_closed_client_refuses_calls(emu: Emulator) -> None:
    async with emu.async_client() as client:
        await client.agents.list()
    with pytest.raises(delegir.DelegirError, match="closed"):
        await client.agents.list()
    # Entering it again says so at once (it used to enter, and fail at the first call).
    with pytest.raises(delegir.DelegirError, match="closed"):
        async with client:
            pass


async def test_an_iterator_of_a_closed_client_fetches_no_more_pages(emu: Emulator) -> None:
    async with emu.async_client() as client:
        runs = client.agents.runs.iter(AGENT, page_size=10)
        await runs.__anext__()
    with pytest.raises(delegir.DelegirError, match="closed"):
        async for _ in runs:
            pass
    assert len(emu.journal()) == 1


async def test_runs_iter_can_be_closed_as_an_async_generator(aclient: AsyncDelegir, emu: Emulator) -> None:
    # `aclose()`, which contextlib.aclosing (Python 3.10+) calls.
    runs = aclient.agents.runs.iter(AGENT, page_size=10)
    try:
        async for _ in runs:
            break
    finally:
        await runs.aclose()
    assert len(emu.journal()) == 1
    # Closed: no further page, however it is asked.
    with pytest.raises(StopAsyncIteration):
        await runs.__anext__()
    assert len(emu.journal()) == 1


async def test_many_concurrent_calls_share_one_client(aclient: AsyncDelegir, emu: Emulator) -> None:
    results = await asyncio.gather(*(aclient.agents.get(AGENT) for _ in range(200)))
    assert {r.id for r in results} == {AGENT}
    assert len(emu.journal()) == 200


async def test_per_call_timeout_applies_to_that_call_only(aclient: AsyncDelegir, emu: Emulator) -> None:
    emu.add_fault("GET", "/usage", {"kind": "delay", "ms": 1000})
    with pytest.raises(delegir.APITimeoutError):
        await aclient.usage.get(timeout=0.2, max_retries=0)
    assert (await aclient.usage.get()).plan == "PRO"


async def test_repr_hides_the_key(aclient: AsyncDelegir, emu: Emulator) -> None:
    assert emu.api_key not in repr(aclient) and "***" in repr(aclient)
