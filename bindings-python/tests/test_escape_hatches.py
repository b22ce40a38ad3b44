"""Escape hatches against the emulator: extra headers/query/body per call and defaults per
client (checked in the journal), reserved headers refused before sending, the overall deadline,
``timeout=None``, errors that carry their response, raw responses and option views."""

from __future__ import annotations

import json
import pickle
import time
from typing import Any, Dict, List

import pytest
from conftest import AGENT
from delegir import (
    AgentDetail,
    APITimeoutError,
    AsyncDelegir,
    BadRequestError,
    Delegir,
    NotFoundError,
    RawResponse,
    RunPage,
    Usage,
)
from delegir.testing import Emulator


def last(emu: Emulator) -> Dict[str, Any]:
    entries = emu.journal()
    assert entries, "nothing reached the server"
    return entries[-1]


def test_extra_headers_query_and_body_reach_the_server(client: Delegir, emu: Emulator) -> None:
    with pytest.raises(BadRequestError) as caught:
        client.agents.chat(
            AGENT,
            "hello",
            extra_headers={"X-Trace-Id": "trace-1"},
            extra_query={"beta": True},
            extra_body={"priority": "high"},
        )
    # The emulator knows no `priority` field and says so: proof that it arrived.
    assert "priority" in caught.value.message
    sent = last(emu)
    assert sent["headers"]["x-trace-id"] == "trace-1"
    assert sent["query"] == "beta=true"
    assert json.loads(sent["body"]) == {"message": "hello", "priority": "high"}


async def test_async_extras_add_to_a_request_and_never_replace_what_the_call_sends(
    aclient: AsyncDelegir, emu: Emulator
) -> None:
    before = len(emu.journal())
    with pytest.raises(ValueError, match="sets from its own arguments"):
        await aclient.agents.runs.list(AGENT, limit=50, offset=2, extra_query={"limit": 3})
    with pytest.raises(ValueError, match='"offset"'):
        [run async for run in aclient.agents.runs.iter(AGENT, extra_query={"offset": 10})]
    with pytest.raises(ValueError, match='"message"'):
        await aclient.agents.chat(AGENT, "hello", extra_body={"message": "   "})
    assert len(emu.journal()) == before, "nothing was sent"
    page = await aclient.agents.runs.list(AGENT, limit=5, extra_query={"offset": 2})
    assert (len(page.runs), page.offset) == (5, 2)
    assert last(emu)["query"] == "limit=5&offset=2"


def test_default_headers_and_query_are_sent_on_every_call_and_a_call_overrides_them(emu: Emulator) -> None:
    with emu.client(default_headers={"X-Team": "support"}, default_query={"region": "eu"}) as client:
        client.usage.get()
        client.usage.get(extra_headers={"x-team": "billing"})
    first, second = emu.journal()[-2:]
    assert first["headers"]["x-team"] == "support"
    assert first["query"] == "region=eu"
    assert second["headers"]["x-team"] == "billing"
    assert second["query"] == "region=eu"


@pytest.mark.parametrize(
    ("name", "value"),
    [("X-API-Key", "other"), ("Host", "evil"), ("content-length", "1"), ("X-Ok", "a\r\nX-Evil: 1"), ("bad name", "x")],
)
def test_reserved_or_malformed_extra_headers_are_refused_before_sending(
    client: Delegir, emu: Emulator, name: str, value: str
) -> None:
    emu.clear_journal()
    with pytest.raises(ValueError, match="header"):
        client.usage.get(extra_headers={name: value})
    with pytest.raises(ValueError, match="header"):
        Delegir(api_key=emu.api_key, base_url=emu.base_url, default_headers={name: value})
    assert emu.journal() == []


def test_extra_types_are_checked(client: Delegir) -> None:
    with pytest.raises(TypeError, match="extra_headers"):
        client.usage.get(extra_headers={"X-A": 1})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="extra_body"):
        client.agents.chat(AGENT, "hi", extra_body={"x": object()})
    with pytest.raises(TypeError, match="total_timeout"):
        client.usage.get(total_timeout="1")  # type: ignore[arg-type]


def test_extras_the_core_would_change_or_cannot_send_are_refused_naming_the_field(
    client: Delegir, emu: Emulator
) -> None:
    emu.clear_journal()
    refused: List[Any] = [
        (ValueError, "extra_body\\['n'\\] is an integer beyond 64 bits", {"extra_body": {"n": 2**64 + 1}}),
        (ValueError, "extra_body\\['n'\\]\\[1\\] must be a finite number", {"extra_body": {"n": [1, float("nan")]}}),
        (ValueError, "extra_body\\['s'\\] must be valid Unicode text", {"extra_body": {"s": "\ud800"}}),
        (TypeError, "extra_body\\['x'\\] must hold JSON values only", {"extra_body": {"x": object()}}),
        (ValueError, "extra_query\\['x'\\] must be a finite number", {"extra_query": {"x": float("inf")}}),
        (ValueError, "extra_query\\['x'\\] must be valid Unicode text", {"extra_query": {"x": "\ud800"}}),
        (ValueError, "extra_headers\\['X-A'\\] must be valid Unicode text", {"extra_headers": {"X-A": "\ud800"}}),
    ]
    for error, message, extras in refused:
        with pytest.raises(error, match=message):
            client.agents.chat(AGENT, "hi", **extras)
    assert emu.journal() == []
    # The largest 64-bit integers are sent exactly.
    with pytest.raises(BadRequestError):
        client.agents.chat(AGENT, "hi", extra_body={"n": 2**64 - 1, "m": -(2**63)})
    assert json.loads(last(emu)["body"])["n"] == 2**64 - 1


def test_total_timeout_bounds_a_rate_limit_wait(emu: Emulator) -> None:
    emu.set_rate_limit(1, 30.0)
    with emu.client(timeout=1.0) as client:
        client.usage.get()
        started = time.monotonic()
        with pytest.raises(APITimeoutError, match="total_timeout"):
            client.usage.get(total_timeout=0.8)
        assert time.monotonic() - started < 10
    assert len(emu.journal()) == 1


async def test_async_total_timeout_per_client_bounds_retries(emu: Emulator) -> None:
    emu.add_fault("GET", "/usage", {"kind": "delay", "ms": 400}, count=100)
    async with emu.async_client(timeout=0.2, max_retries=50, total_timeout=1.0) as client:
        started = time.monotonic()
        with pytest.raises(APITimeoutError, match="total_timeout"):
            await client.usage.get()
        assert time.monotonic() - started < 8


def test_timeout_none_means_no_per_attempt_limit(emu: Emulator) -> None:
    emu.add_fault("GET", "/usage", {"kind": "delay", "ms": 300})
    with emu.client(timeout=None) as client:
        assert client.usage.get().plan
    with emu.client(timeout=0.1, max_retries=0) as client:
        emu.add_fault("GET", "/usage", {"kind": "delay", "ms": 300})
        assert client.with_options(timeout=None).usage.get().plan
        emu.add_fault("GET", "/usage", {"kind": "delay", "ms": 300})
        with pytest.raises(APITimeoutError):
            client.usage.get()
        # On a single call too: `timeout=None` lifts the limit, leaving it out keeps the client's.
        emu.add_fault("GET", "/usage", {"kind": "delay", "ms": 300})
        assert client.usage.get(timeout=None).plan
        emu.add_fault("GET", f"/agents/{AGENT}/runs", {"kind": "delay", "ms": 300})
        assert client.agents.runs.list(AGENT, limit=1, timeout=None).runs


def test_total_timeout_none_in_a_view_means_no_overall_limit(emu: Emulator) -> None:
    with emu.client(total_timeout=0.3) as client:
        views = [client.with_options(total_timeout=None), client.copy(total_timeout=None)]
        for view in views:
            emu.add_fault("GET", "/usage", {"kind": "delay", "ms": 600})
            assert view.usage.get().plan  # 600 ms, past the client's 0.3 s
        emu.add_fault("GET", "/usage", {"kind": "delay", "ms": 600})
        with pytest.raises(APITimeoutError, match="total_timeout"):
            client.usage.get()  # the client keeps its own limit
        # A view of a view with a limit again.
        emu.add_fault("GET", "/usage", {"kind": "delay", "ms": 600})
        with pytest.raises(APITimeoutError, match="total_timeout"):
            views[0].with_options(total_timeout=0.3).usage.get()


async def test_async_total_timeout_none_in_a_view_means_no_overall_limit(emu: Emulator) -> None:
    async with emu.async_client(total_timeout=0.3) as client:
        emu.add_fault("GET", "/usage", {"kind": "delay", "ms": 600})
        assert (await client.copy(total_timeout=None).usage.get()).plan


async def test_async_timeout_none_on_a_call_means_no_per_attempt_limit(emu: Emulator) -> None:
    async with emu.async_client(timeout=0.1, max_retries=0) as client:
        emu.add_fault("GET", "/usage", {"kind": "delay", "ms": 300})
        assert (await client.usage.get(timeout=None)).plan
        emu.add_fault("GET", "/usage", {"kind": "delay", "ms": 300})
        with pytest.raises(APITimeoutError):
            await client.usage.get()
        emu.add_fault("GET", f"/agents/{AGENT}", {"kind": "delay", "ms": 300})
        assert (await client.with_raw_response.agents.get(AGENT, timeout=None)).parse().id == AGENT


def test_status_errors_carry_headers_parsed_body_and_request_id(client: Delegir, emu: Emulator) -> None:
    emu.add_fault(
        "GET",
        f"/agents/{AGENT}",
        {"kind": "status", "status": 404, "body": {"error": "gone", "code": 7}, "headers": {"X-Request-Id": "req_42"}},
    )
    with pytest.raises(NotFoundError) as caught:
        client.agents.get(AGENT)
    error = caught.value
    assert error.request_id == "req_42"
    assert error.headers["X-REQUEST-ID"] == "req_42"
    assert "date" in error.headers and error.headers["content-type"] == "application/json"
    assert error.body == {"error": "gone", "code": 7}
    again = pickle.loads(pickle.dumps(error))
    assert again.request_id == "req_42" and again.body == error.body


def test_sync_raw_response_has_this_calls_status_headers_rate_limit_and_attempts(emu: Emulator) -> None:
    emu.set_rate_limit(60, 60.0)
    emu.add_fault("GET", f"/agents/{AGENT}", {"kind": "status", "status": 503})
    with emu.client() as client:
        raw: RawResponse[AgentDetail] = client.with_raw_response.agents.get(AGENT)
    assert isinstance(raw, RawResponse)
    assert raw.status_code == 200
    assert raw.attempts == 2
    assert raw.headers["Content-Type"].startswith("application/json")
    assert raw.rate_limit is not None and raw.rate_limit.remaining == 58
    assert raw.elapsed.total_seconds() > 0
    assert json.loads(raw.text)["data"]["id"] == AGENT
    assert raw.parse().id == AGENT


async def test_async_raw_responses_are_per_call_under_concurrency(emu: Emulator) -> None:
    import asyncio

    emu.set_rate_limit(60, 60.0)
    async with emu.async_client() as client:
        raws: List[RawResponse[Usage]] = await asyncio.gather(*(client.with_raw_response.usage.get() for _ in range(5)))
        page: RawResponse[RunPage] = await client.with_raw_response.agents.runs.list(AGENT, limit=2)
    remaining = sorted(r.rate_limit.remaining for r in raws if r.rate_limit is not None)
    assert remaining == [55, 56, 57, 58, 59]
    assert len(page.parse().runs) == 2
    with pytest.raises(AttributeError):  # many requests, no one response: use runs.list
        _ = client.with_raw_response.agents.runs.iter  # type: ignore[attr-defined]


def test_with_options_shares_the_pool_and_ledger_and_copy_changes_any_option(emu: Emulator) -> None:
    emu.set_rate_limit(60, 60.0)
    with emu.client(default_headers={"X-A": "1"}) as client:
        client.usage.get()
        view = client.with_options(max_retries=0, default_headers={"X-B": "2"})
        view.usage.get()
        assert view.rate_limit == client.rate_limit  # one ledger, one last-seen rate limit
        assert repr(view) == repr(client)
        copied = client.copy(default_headers={"X-C": "3"})
        copied.usage.get()
        with pytest.raises(TypeError, match="the options are"):
            client.copy(colour="blue")
        assert "dlg_" not in repr(vars(client)) and emu.api_key not in repr(vars(client))
        copied.close()
    first, second, third = emu.journal()[-3:]
    assert first["headers"].get("x-a") == "1" and "x-b" not in first["headers"]
    assert second["headers"].get("x-a") == "1" and second["headers"].get("x-b") == "2"
    assert third["headers"].get("x-c") == "3" and "x-a" not in third["headers"]
    # Closing the client closes its views.
    with pytest.raises(Exception, match="closed"):
        view.usage.get()


def test_models_have_to_dict_and_to_json_with_the_apis_names(client: Delegir) -> None:
    reply = client.agents.chat(AGENT, "hello")
    as_dict = reply.to_dict()
    assert as_dict["runId"] == reply.run_id and as_dict["tokensUsed"] == reply.tokens_used
    assert reply.to_dict(use_api_names=False)["run_id"] == reply.run_id
    detail = client.agents.get(AGENT)
    assert json.loads(detail.to_json())["id"] == AGENT
    assert isinstance(detail.to_dict(mode="json")["created_at"], str)
    assert "\n" not in detail.to_json(indent=None)


def test_run_pages_say_whether_more_follow_and_how_to_get_them(client: Delegir) -> None:
    page = client.agents.runs.list(AGENT, limit=100, offset=0)
    assert page.has_more
    params = page.next_page_params()
    assert params == {"limit": 100, "offset": 100}
    assert params is not None
    following = client.agents.runs.list(AGENT, limit=params["limit"], offset=params["offset"])
    assert following.runs[0].id != page.runs[-1].id
    last = client.agents.runs.list(AGENT, limit=10, offset=page.total - 5)
    assert not last.has_more and last.next_page_params() is None
