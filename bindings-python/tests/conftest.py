"""Fixtures: every test gets its own in-process emulator (rate limiting off unless a test
turns it on) and clients pointed at it."""

from __future__ import annotations

import time
from typing import Any, AsyncIterator, Callable, Dict, Iterator, List

import pytest
from delegir import AsyncDelegir, Delegir
from delegir.testing import Emulator

AGENT = "agt_abc123"
PAUSED_AGENT = "agt_def456"
TOTAL_RUNS = 1284


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(rate_limit=0) as emulator:
        yield emulator


@pytest.fixture
def client(emu: Emulator) -> Iterator[Delegir]:
    with emu.client() as c:
        yield c


@pytest.fixture
async def aclient(emu: Emulator) -> AsyncIterator[AsyncDelegir]:
    async with emu.async_client() as c:
        yield c


def wait_for_journal(
    emu: Emulator, predicate: Callable[[List[Dict[str, Any]]], bool], timeout: float = 5.0
) -> List[Dict[str, Any]]:
    """The journal once ``predicate`` holds (the server records a request when it finishes)."""
    deadline = time.monotonic() + timeout
    while True:
        journal = emu.journal()
        if predicate(journal) or time.monotonic() > deadline:
            return journal
        time.sleep(0.02)
