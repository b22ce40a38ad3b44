"""Each exception class from a real emulator response, and what the exceptions carry."""

from __future__ import annotations

import pickle
import time
from typing import Type

import delegir
import pytest
from conftest import AGENT, PAUSED_AGENT
from delegir import AsyncDelegir, Delegir
from delegir.testing import Emulator
from delegir.types import RateLimit


def test_the_classes_form_one_hierarchy() -> None:
    status_classes = [
        delegir.BadRequestError,
        delegir.AuthenticationError,
        delegir.NotFoundError,
        delegir.RateLimitError,
        delegir.InternalServerError,
    ]
    for cls in status_classes:
        assert issubclass(cls, delegir.APIStatusError)
    assert issubclass(delegir.APIStatusError, delegir.DelegirError)
    assert issubclass(delegir.APITimeoutError, delegir.APIConnectionError)
    assert issubclass(delegir.APIConnectionError, delegir.DelegirError)
    assert issubclass(delegir.APIResponseValidationError, delegir.DelegirError)
    assert issubclass(delegir.DelegirError, Exception)


def test_chat_to_a_paused_agent_raises_bad_request_with_the_servers_message(client: Delegir) -> None:
    with pytest.raises(delegir.BadRequestError) as info:
        client.agents.chat(PAUSED_AGENT, "hello")
    e = info.value
    assert e.status_code == 400
    assert "not active" in e.message


def test_a_200_html_page_is_a_validation_error_that_says_so_with_the_response_headers(
    client: Delegir, emu: Emulator
) -> None:
    # A login page or captive portal answering 200: serde's "expected value at line 1 column 1"
    # said nothing of it, and the error had no headers to tell where it came from.
    emu.add_fault("GET", "/usage", {"kind": "html", "status": 200, "body": "<html><body>Please log in</body></html>"})
    with pytest.raises(delegir.APIResponseValidationError) as raised:
        client.usage.get()
    error = raised.value
    assert "is not JSON" in str(error) and "Please log in" in str(error), str(error)
    assert error.status_code == 200
    assert (error.headers.get("content-type") or "").startswith("text/html")
    assert error.body is not None and "Please log in" in error.body


def test_a_revoked_key_raises_authentication_error(client: Delegir, emu: Emulator) -> None:
    emu.revoke_key()
    with pytest.raises(delegir.AuthenticationError) as info:
        client.agents.list()
    assert info.value.status_code == 401
    assert emu.api_key not in str(info.value)


def test_an_unknown_agent_raises_not_found(client: Delegir) -> None:
    with pytest.raises(delegir.NotFoundError) as info:
        client.agents.get("agt_nope")
    assert info.value.status_code == 404 and info.value.message == "Agent not found"


def test_a_429_whose_window_ends_beyond_the_max_wait_raises_rate_limit_error_at_once(
    emu: Emulator,
) -> None:
    emu.add_fault("GET", "/usage", {"kind": "status", "status": 429, "body": {"error": "Rate limit exceeded"}, "reset_in_secs": 600})
    with emu.client() as client:
        started = time.monotonic()
        with pytest.raises(delegir.RateLimitError) as info:
            client.usage.get()
        assert time.monotonic() - started < 5
    e = info.value
    assert e.status_code == 429
    assert e.retry_after is not None and 500 < e.retry_after <= 601
    assert isinstance(e.rate_limit, RateLimit) and e.rate_limit.remaining == 0
    assert e.may_have_reached_server is False


def test_the_emulators_own_rate_limit_surfaces_as_rate_limit_error_without_the_ledger() -> None:
    with Emulator(rate_limit=1, rate_window=600) as emu, emu.client(rate_limit=False) as client:
        client.usage.get()
        with pytest.raises(delegir.RateLimitError) as info:
            client.usage.get()
        assert info.value.retry_after is not None and info.value.retry_after > 60
        assert [e["outcome"] for e in emu.journal()] == ["ok", "rate_limited"]


def test_the_ledger_fails_fast_when_the_window_resets_later_than_max_rate_limit_wait() -> None:
    with Emulator(rate_limit=1, rate_window=600) as emu, emu.client(max_rate_limit_wait=1.0) as client:
        client.usage.get()
        started = time.monotonic()
        with pytest.raises(delegir.RateLimitError) as info:
            client.usage.get()
        assert time.monotonic() - started < 5
        assert info.value.retry_after is not None and info.value.retry_after > 1.0
        assert info.value.may_have_reached_server is False
        # The ledger knew the window was spent: the second call was never sent.
        assert [e["outcome"] for e in emu.journal()] == ["ok"]


def test_a_ledger_refusal_is_a_429_that_claims_no_response() -> None:
    with Emulator(rate_limit=1, rate_window=600) as emu, emu.client(max_rate_limit_wait=1.0) as client:
        client.usage.get()
        with pytest.raises(delegir.RateLimitError) as info:
            client.usage.get()
        assert len(emu.journal()) == 1  # nothing sent
    e = info.value
    assert e.status_code == 429  # the status the class stands for, never 0
    assert e.response_received is False and dict(e.headers) == {} and e.body is None
    assert str(e) == e.message and "HTTP" not in str(e)
    copy = pickle.loads(pickle.dumps(e))
    assert copy.response_received is False and str(copy) == str(e)


def test_a_429_from_the_server_says_its_status(emu: Emulator) -> None:
    emu.add_fault("GET", "/usage", {"kind": "status", "status": 429, "reset_in_secs": 600})
    with emu.client() as client, pytest.raises(delegir.RateLimitError) as info:
        client.usage.get()
    assert info.value.response_received is True and str(info.value).endswith("(HTTP 429)")


def test_max_rate_limit_wait_must_be_a_non_negative_number_of_seconds() -> None:
    with pytest.raises(ValueError, match="max_rate_limit_wait"):
        Delegir("dlg_test_abc", base_url="http://127.0.0.1:9/api/v1", max_rate_limit_wait=-1)
    with pytest.raises(TypeError, match="max_rate_limit_wait"):
        Delegir("dlg_test_abc", base_url="http://127.0.0.1:9/api/v1", max_rate_limit_wait="60")  # type: ignore[arg-type]


def test_a_500_is_retried_then_raises_internal_server_error(client: Delegir, emu: Emulator) -> None:
    emu.add_fault("GET", f"/agents/{AGENT}", {"kind": "status", "status": 500}, count=3)
    with pytest.raises(delegir.InternalServerError) as info:
        client.agents.get(AGENT)
    assert info.value.status_code == 500
    assert [e["status"] for e in emu.journal()] == [500, 500, 500]


def test_a_transient_503_is_retried_and_the_call_succeeds(client: Delegir, emu: Emulator) -> None:
    emu.add_fault("GET", "/agents", {"kind": "status", "status": 503})
    assert len(client.agents.list()) == 2
    assert [e["status"] for e in emu.journal()] == [503, 200]


def test_an_unmapped_status_raises_api_status_error_itself(client: Delegir, emu: Emulator) -> None:
    emu.add_fault("GET", "/usage", {"kind": "status", "status": 418, "body": {"error": "I'm a teapot"}})
    with pytest.raises(delegir.APIStatusError) as info:
        client.usage.get()
    assert type(info.value) is delegir.APIStatusError
    assert info.value.status_code == 418 and info.value.message == "I'm a teapot"


@pytest.mark.parametrize("kind", ["malformed", "not_envelope", "truncated"])
def test_a_body_that_is_not_the_documented_shape_raises_response_validation_error(
    client: Delegir, emu: Emulator, kind: str
) -> None:
    emu.add_fault("GET", "/usage", {"kind": kind}, count=5)
    with pytest.raises(delegir.APIResponseValidationError):
        client.usage.get()


def test_a_gateways_html_502_is_an_internal_server_error_quoting_the_page(
    client: Delegir, emu: Emulator
) -> None:
    emu.add_fault("GET", "/usage", {"kind": "html", "status": 502}, count=3)
    with pytest.raises(delegir.InternalServerError) as info:
        client.usage.get()
    assert isinstance(info.value, delegir.APIStatusError)
    assert info.value.status_code == 502
    assert "<center><h1>502 Bad Gateway</h1></center>" in info.value.message
    assert "502 Bad Gateway" in str(info.value.body)
    assert len(emu.journal()) == 3  # retried like any 502


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, delegir.BadRequestError),
        (401, delegir.AuthenticationError),
        (404, delegir.NotFoundError),
        (503, delegir.InternalServerError),
        (403, delegir.APIStatusError),
    ],
)
async def test_every_non_2xx_page_is_the_status_error_of_its_status(
    aclient: AsyncDelegir, emu: Emulator, status: int, cls: Type[delegir.APIStatusError]
) -> None:
    page = f"<html><body><h1>{status} from the gateway</h1></body></html>"
    emu.add_fault("POST", f"/agents/{AGENT}/chat", {"kind": "html", "status": status, "body": page})
    with pytest.raises(cls) as info:
        await aclient.agents.chat(AGENT, "hi")
    assert type(info.value) is cls
    assert info.value.status_code == status
    assert page in info.value.message
    assert info.value.body == page


def test_a_connection_reset_before_the_response_raises_connection_error(
    client: Delegir, emu: Emulator
) -> None:
    emu.add_fault("GET", "/usage", {"kind": "reset_before"}, count=3)
    with pytest.raises(delegir.APIConnectionError) as info:
        client.usage.get()
    assert not isinstance(info.value, delegir.APITimeoutError)
    assert info.value.__cause__ is not None


def test_a_chat_cut_mid_body_is_not_resent_and_says_the_run_may_exist(
    client: Delegir, emu: Emulator
) -> None:
    emu.add_fault("POST", f"/agents/{AGENT}/chat", {"kind": "reset_mid_body"})
    with pytest.raises(delegir.DelegirError) as info:
        client.agents.chat(AGENT, "hello")
    assert info.value.may_have_reached_server is True
    assert len([e for e in emu.journal() if e["method"] == "POST"]) == 1


def test_a_timeout_raises_api_timeout_error(client: Delegir, emu: Emulator) -> None:
    emu.add_fault("GET", "/usage", {"kind": "delay", "ms": 2000})
    with pytest.raises(delegir.APITimeoutError):
        client.usage.get(timeout=0.2, max_retries=0)


def test_nothing_listening_raises_connection_error() -> None:
    with Emulator() as emu:
        base_url, key = emu.base_url, emu.api_key
    with Delegir(key, base_url=base_url, max_retries=0) as client, pytest.raises(
        delegir.APIConnectionError
    ) as info:
        client.usage.get()
    assert info.value.may_have_reached_server is False


ALL_ERRORS = [
    delegir.DelegirError("configuration"),
    delegir.APIStatusError("teapot", status_code=418),
    delegir.BadRequestError("bad", status_code=400, body="{}"),
    delegir.AuthenticationError("Invalid API key", status_code=401),
    delegir.NotFoundError("Agent not found", status_code=404),
    delegir.RateLimitError(
        "Rate limit exceeded",
        status_code=429,
        retry_after=12.5,
        rate_limit={"limit": 60, "remaining": 0, "reset": 1710489600},
        may_have_reached_server=False,
    ),
    delegir.InternalServerError("boom", status_code=503),
    delegir.APIConnectionError("refused"),
    delegir.APITimeoutError("timed out"),
    delegir.APIResponseValidationError("not JSON", status_code=200, body="<html>"),
]


@pytest.mark.parametrize("error", ALL_ERRORS, ids=lambda e: type(e).__name__)
def test_every_error_class_pickles_with_its_attributes(error: delegir.DelegirError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert vars(copy) == vars(error)


def test_an_error_raised_by_a_call_pickles(client: Delegir, emu: Emulator) -> None:
    emu.add_fault("GET", "/usage", {"kind": "status", "status": 429, "reset_in_secs": 600})
    with pytest.raises(delegir.RateLimitError) as info:
        client.usage.get()
    copy = pickle.loads(pickle.dumps(info.value))
    assert copy.retry_after == info.value.retry_after
    assert copy.rate_limit == info.value.rate_limit


@pytest.mark.parametrize(
    "url",
    [
        "http://:hunter2@127.0.0.1:4010/api/v1",
        "http://user:hunter2@127.0.0.1:4010/api/v1",
        "http://user@127.0.0.1:4010/api/v1",
    ],
)
def test_a_base_url_with_any_userinfo_is_refused_without_showing_the_password(url: str) -> None:
    with pytest.raises(delegir.DelegirError) as info:
        Delegir(api_key="dlg_test_userinfo0123456789", base_url=url)
    assert "credentials" in str(info.value)
    for shown in (str(info.value), repr(info.value), repr(info.value.args)):
        assert "hunter2" not in shown
