"""A panic inside a call's task settles the call with ``DelegirError`` (defect 8 of issue 15):
never a hang, never pyo3's ``PanicException`` (a ``BaseException`` that ``except Exception``
misses). The calls come from ``delegir._native``'s test hooks, whose task panics on the runtime
thread after its first await, through the same paths as every endpoint."""

# The test hooks are private on purpose (not API): pyright --strict may not flag their use here.
# pyright: reportPrivateUsage=false

from __future__ import annotations

import asyncio

import pytest
from delegir import APIStatusError, DelegirError, _native


def _is_internal(error: BaseException) -> None:
    assert type(error) is DelegirError, type(error)
    assert not isinstance(error, APIStatusError)
    assert "internal error" in str(error)
    assert "deliberate panic" in str(error)


def test_a_panic_in_a_sync_call_raises_delegir_error() -> None:
    with pytest.raises(Exception) as caught:
        _native._call_that_panics_sync()
    _is_internal(caught.value)


async def test_a_panic_in_an_async_call_settles_it_with_delegir_error() -> None:
    with pytest.raises(Exception) as caught:
        # A hang would fail here instead of waiting forever.
        await asyncio.wait_for(_native._call_that_panics(), timeout=10)
    _is_internal(caught.value)


async def test_many_panicking_calls_in_flight_all_settle_and_the_runtime_survives() -> None:
    results = await asyncio.wait_for(
        asyncio.gather(*(_native._call_that_panics() for _ in range(50)), return_exceptions=True),
        timeout=10,
    )
    assert len(results) == 50
    for result in results:
        assert isinstance(result, BaseException)
        _is_internal(result)
    # The runtime's workers still serve calls afterwards.
    with pytest.raises(DelegirError):
        _native._call_that_panics_sync()


def test_a_panic_outside_a_running_loop_settles_the_deferred_call() -> None:
    # Made outside a loop, the call is a coroutine that starts once `asyncio.run` runs it.
    deferred = _native._call_that_panics()

    async def run() -> None:
        return await asyncio.wait_for(deferred, timeout=10)

    with pytest.raises(Exception) as caught:
        asyncio.run(run())
    _is_internal(caught.value)
