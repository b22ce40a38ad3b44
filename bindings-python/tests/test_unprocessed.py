"""A request the server provably did not process (an HTTP/2 stream it refused) is sent again on
a fresh connection for every method, without using the caller's retries (issue 15, defect 5)."""

from __future__ import annotations

from conftest import AGENT, TOTAL_RUNS
from delegir.testing import Emulator


async def test_a_refused_chat_is_sent_again_with_max_retries_zero(emu: Emulator) -> None:
    async with emu.async_client(http2_prior_knowledge=True, max_retries=0) as client:
        await client.usage.get()
        emu.add_fault("POST", f"/agents/{AGENT}/chat", {"kind": "refuse_stream"})
        emu.add_fault("GET", "/usage", {"kind": "refuse_stream"})
        reply = await client.agents.chat(AGENT, "hello")
        assert reply.run_id.startswith("run_")
        await client.usage.get()
        detail = await client.agents.get(AGENT)
    assert detail.total_runs == TOTAL_RUNS + 1  # exactly one run
    outcomes = [f"{e['method']} {e['outcome']}" for e in emu.journal()]
    assert outcomes[:5] == [
        "GET ok",
        "POST fault:refuse_stream",
        "POST ok",
        "GET fault:refuse_stream",
        "GET ok",
    ]


def test_a_refused_get_is_sent_again_by_the_blocking_client(emu: Emulator) -> None:
    with emu.client(http2_prior_knowledge=True, max_retries=0) as client:
        client.usage.get()
        emu.add_fault("GET", "/usage", {"kind": "refuse_stream"})
        client.usage.get()
    assert [e["outcome"] for e in emu.journal()] == ["ok", "fault:refuse_stream", "ok"]
