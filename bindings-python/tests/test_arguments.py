"""Invalid arguments raise ValueError or TypeError before anything is sent."""

from __future__ import annotations

from typing import Any, Callable

import pytest
from conftest import AGENT
from delegir import AsyncDelegir, Delegir
from delegir.testing import Emulator

BAD_VALUES: list[tuple[str, Callable[[Delegir], Any]]] = [
    ("empty id", lambda c: c.agents.get("")),
    ("id escaping the path", lambda c: c.agents.get("../usage")),
    ("blank message", lambda c: c.agents.chat(AGENT, "   ")),
    ("empty update", lambda c: c.agents.update(AGENT)),
    ("empty config", lambda c: c.agents.update(AGENT, config={})),
    ("unknown status", lambda c: c.agents.update(AGENT, status="archived")),
    ("blank name", lambda c: c.agents.update(AGENT, name=" ")),
    ("temperature above 2", lambda c: c.agents.update(AGENT, config={"temperature": 2.5})),
    ("max_tokens 0", lambda c: c.agents.update(AGENT, config={"max_tokens": 0})),
    ("limit 0", lambda c: c.agents.runs.list(AGENT, limit=0)),
    ("limit 101", lambda c: c.agents.runs.list(AGENT, limit=101)),
    ("negative offset", lambda c: c.agents.runs.list(AGENT, offset=-1)),
    ("page_size 0", lambda c: next(iter(c.agents.runs.iter(AGENT, page_size=0)))),
    ("negative timeout", lambda c: c.usage.get(timeout=-1)),
    ("zero timeout", lambda c: c.usage.get(timeout=0)),
    # Positive, but under a nanosecond: a zero duration in the core, refused like 0.
    ("timeout under a nanosecond", lambda c: c.usage.get(timeout=1e-10)),
    ("negative max_retries", lambda c: c.usage.get(max_retries=-1)),
]

BAD_TYPES: list[tuple[str, Callable[[Delegir], Any]]] = [
    ("int id", lambda c: c.agents.get(123)),  # type: ignore[arg-type]
    ("None id", lambda c: c.agents.delete(None)),  # type: ignore[arg-type]
    ("bytes message", lambda c: c.agents.chat(AGENT, b"hi")),  # type: ignore[arg-type]
    ("int name", lambda c: c.agents.update(AGENT, name=5)),  # type: ignore[arg-type]
    ("list config", lambda c: c.agents.update(AGENT, config=[("temperature", 1)])),  # type: ignore[arg-type]
    ("unknown config key", lambda c: c.agents.update(AGENT, config={"temprature": 1})),
    ("string temperature", lambda c: c.agents.update(AGENT, config={"temperature": "hot"})),
    ("float max_tokens", lambda c: c.agents.update(AGENT, config={"max_tokens": 1.5})),
    ("string limit", lambda c: c.agents.runs.list(AGENT, limit="10")),  # type: ignore[arg-type]
    ("bool offset", lambda c: c.agents.runs.list(AGENT, offset=True)),
    ("float page_size", lambda c: c.agents.runs.iter(AGENT, page_size=2.0)),  # type: ignore[arg-type]
    ("string timeout", lambda c: c.usage.get(timeout="1")),  # type: ignore[arg-type]
    ("float max_retries", lambda c: c.usage.get(max_retries=1.0)),  # type: ignore[arg-type]
]


@pytest.mark.parametrize("call", [c for _, c in BAD_VALUES], ids=[n for n, _ in BAD_VALUES])
def test_bad_values_raise_value_error_and_send_nothing(
    client: Delegir, emu: Emulator, call: Callable[[Delegir], Any]
) -> None:
    with pytest.raises(ValueError):
        call(client)
    assert emu.journal() == []


@pytest.mark.parametrize("call", [c for _, c in BAD_TYPES], ids=[n for n, _ in BAD_TYPES])
def test_bad_types_raise_type_error_and_send_nothing(
    client: Delegir, emu: Emulator, call: Callable[[Delegir], Any]
) -> None:
    with pytest.raises(TypeError):
        call(client)
    assert emu.journal() == []


async def test_the_async_client_rejects_the_same_arguments(aclient: AsyncDelegir, emu: Emulator) -> None:
    with pytest.raises(ValueError):
        await aclient.agents.get("")
    with pytest.raises(ValueError):
        await aclient.agents.runs.list(AGENT, limit=500)
    with pytest.raises(ValueError):
        async for _ in aclient.agents.runs.iter(AGENT, page_size=-5):
            pass
    with pytest.raises(TypeError):
        await aclient.agents.chat(AGENT, 42)  # type: ignore[arg-type]
    assert emu.journal() == []


@pytest.mark.parametrize(
    "kwargs",
    [{"timeout": 0}, {"timeout": -1.0}, {"max_retries": -1}, {"timeout": float("nan")}],
)
def test_bad_client_options_raise_value_error(emu: Emulator, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Delegir(emu.api_key, base_url=emu.base_url, **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"timeout": "60"},
        {"max_retries": 2.0},
        {"rate_limit": 1},
        {"base_url": 5},
        {"http2_prior_knowledge": "yes"},
    ],
)
def test_bad_client_option_types_raise_type_error(emu: Emulator, kwargs: dict[str, Any]) -> None:
    kwargs.setdefault("base_url", emu.base_url)
    with pytest.raises(TypeError):
        AsyncDelegir(emu.api_key, **kwargs)
