"""Invalid arguments raise ValueError or TypeError before anything is sent."""

from __future__ import annotations

import json
from typing import Any, Callable

import pytest
from conftest import AGENT
from delegir import AgentConfig, AsyncDelegir, BadRequestError, Delegir
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
    ("bool max_retries on a view", lambda c: c.with_options(max_retries=True)),
    # A model built without validation is checked as a dict is (it used to send `True` as 1).
    ("bool max_tokens in an AgentConfig", lambda c: c.agents.update(AGENT, config=AgentConfig.model_construct(max_tokens=True))),
]

I64_MAX = 2**63 - 1
# Ints beyond what the native side takes (an i64): a ValueError naming the argument and its
# range, as smaller out-of-range values get, never pyo3's "OverflowError: Python int too large".
HUGE_INTS: list[tuple[str, Callable[[Delegir], Any]]] = [
    ("limit must be between 1 and 100, got 18446744073709551616", lambda c: c.agents.runs.list(AGENT, limit=2**64)),
    (f"offset must be from 0 to {I64_MAX}, got {2**63}", lambda c: c.agents.runs.list(AGENT, offset=2**63)),
    (f"offset must be from 0 to {I64_MAX}, got {-(2**70)}", lambda c: c.agents.runs.list(AGENT, offset=-(2**70))),
    (f"page_size must be between 1 and 100, got {2**64}", lambda c: next(c.agents.runs.iter(AGENT, page_size=2**64))),
    (f"max_tokens must be from 1 to {I64_MAX}, got {2**64}", lambda c: c.agents.update(AGENT, config={"max_tokens": 2**64})),
    (f"max_tokens must be from 1 to {I64_MAX}, got {2**64}", lambda c: c.agents.update(AGENT, config=AgentConfig(max_tokens=2**64))),
    (f"max_retries must be a whole number from 0 to 4294967295, got {2**64}", lambda c: c.usage.get(max_retries=2**64)),
    (f"max_retries must be a whole number from 0 to 4294967295, got {2**64}", lambda c: c.with_options(max_retries=2**64)),
    (f"max_retries must be a whole number from 0 to 4294967295, got {2**64}", lambda c: c.copy(max_retries=2**64)),
    # Any option besides timeout, max_retries and total_timeout makes `copy` build a new client.
    (f"max_retries must be a whole number from 0 to 4294967295, got {2**64}", lambda c: c.copy(base_url=c.base_url, max_retries=2**64)),
    # Too long for str() (over 4,300 digits): said so, with no "Exception ignored" noise.
    ("limit must be between 1 and 100, got an int too large to print", lambda c: c.agents.runs.list(AGENT, limit=10**5000)),
    # Within an i64 but beyond the range: the core's own message, as before.
    ("max_retries must be a whole number from 0 to 4294967295, got 4294967296", lambda c: c.usage.get(max_retries=2**32)),
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


@pytest.mark.parametrize("message, call", HUGE_INTS, ids=[m.split(" ")[0] + str(i) for i, (m, _) in enumerate(HUGE_INTS)])
def test_ints_too_large_for_the_native_side_raise_value_error_naming_the_argument(
    client: Delegir, emu: Emulator, message: str, call: Callable[[Delegir], Any], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ValueError) as info:
        call(client)
    assert type(info.value) is ValueError and str(info.value) == message
    assert emu.journal() == []
    assert "Exception ignored" not in capsys.readouterr().err


async def test_the_async_client_refuses_ints_too_large_the_same_way(aclient: AsyncDelegir, emu: Emulator) -> None:
    with pytest.raises(ValueError, match="limit must be between 1 and 100"):
        await aclient.agents.runs.list(AGENT, offset=0, limit=2**64)
    with pytest.raises(ValueError, match="max_retries must be a whole number"):
        await aclient.agents.chat(AGENT, "hi", max_retries=2**64)
    with pytest.raises(ValueError, match="page_size must be between 1 and 100"):
        async for _ in aclient.agents.runs.iter(AGENT, page_size=-(2**64)):
            pass
    with pytest.raises(ValueError, match="max_retries must be a whole number"):
        AsyncDelegir(emu.api_key, base_url=emu.base_url, max_retries=2**64)
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


def test_an_agent_config_with_unknown_fields_is_refused_like_a_dict(client: Delegir, emu: Emulator) -> None:
    messages: list[str] = []
    extra = {"temperature": 0.5, "top_p": 0.9}
    for config in (AgentConfig.model_validate(extra), extra):  # the model keeps top_p in model_extra
        with pytest.raises(TypeError, match=r"config got an unexpected key 'top_p'; .*extra_body") as info:
            client.agents.update(AGENT, config=config)
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    assert emu.journal() == []
    # What the message points to: the whole config in extra_body reaches the server as given
    # (the emulator, like today's API, does not know top_p either).
    with pytest.raises(BadRequestError, match="top_p"):
        client.agents.update(AGENT, name="Support", extra_body={"config": {"temperature": 0.5, "top_p": 0.9}})
    assert [json.loads(e["body"])["config"] for e in emu.journal()] == [{"temperature": 0.5, "top_p": 0.9}]


def test_a_lone_surrogate_is_a_value_error_naming_the_argument_and_nothing_is_sent(
    client: Delegir, emu: Emulator
) -> None:
    # It was a UnicodeEncodeError from inside the extension, naming nothing.
    with pytest.raises(ValueError, match=r"^message must be valid Unicode text; it has a lone surrogate at position 1"):
        client.agents.chat(AGENT, "a\ud800b")
    with pytest.raises(ValueError, match=r"^name must be valid Unicode text"):
        client.agents.update(AGENT, name="\udc00")
    assert emu.journal() == []
    assert client.agents.chat(AGENT, "ok \U0001f600").run_id.startswith("run_")


def test_none_in_a_config_dict_is_a_type_error_not_dropped(client: Delegir, emu: Emulator) -> None:
    # It was dropped: `{"name": "A", "config": {}}` went out and the call reported success.
    with pytest.raises(TypeError, match=r"config\['system_prompt'\] must be a str \(leave a field out"):
        client.agents.update(AGENT, name="A", config={"system_prompt": None})
    assert emu.journal() == []
    # An AgentConfig's unset fields are left out, as before.
    client.agents.update(AGENT, config=AgentConfig(temperature=0.5))
    assert json.loads(emu.journal()[0]["body"]) == {"config": {"temperature": 0.5}}


def test_an_update_whose_only_change_is_an_extra_body_field_is_sent(client: Delegir, emu: Emulator) -> None:
    updated = client.agents.update(AGENT, extra_body={"name": "Renamed"})
    assert updated.name == "Renamed"
    assert len(emu.journal()) == 1
