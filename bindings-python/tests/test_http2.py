"""HTTP/2 with prior knowledge: many calls of one client multiplexed on one connection."""

from __future__ import annotations

import asyncio
import threading

from conftest import AGENT
from delegir import Delegir
from delegir.testing import Emulator


async def test_concurrent_async_calls_arrive_as_http2(emu: Emulator) -> None:
    # Held in flight together by the delay: 100 streams on the connection at once.
    emu.add_fault("GET", f"/agents/{AGENT}", {"kind": "delay", "ms": 200}, count=100)
    async with emu.async_client(http2_prior_knowledge=True) as client:
        details = await asyncio.gather(*(client.agents.get(AGENT) for _ in range(100)))
    assert {d.id for d in details} == {AGENT}
    journal = emu.journal()
    assert len(journal) == 100
    assert {e["http_version"] for e in journal} == {"HTTP/2.0"}


def test_blocking_calls_from_threads_share_http2(emu: Emulator) -> None:
    errors: list[BaseException] = []
    with emu.client(http2_prior_knowledge=True) as client:

        def work() -> None:
            try:
                for _ in range(5):
                    client.usage.get()
            except BaseException as e:  # reported below, in the test's thread
                errors.append(e)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert [e["http_version"] for e in emu.journal()] == ["HTTP/2.0"] * 20


def test_the_default_is_http1(client: Delegir, emu: Emulator) -> None:
    client.usage.get()
    assert emu.journal()[0]["http_version"] == "HTTP/1.1"

