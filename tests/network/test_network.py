"""The network scenarios in Python, against the components `tests/network/run.sh` started
(`components.sh` exports where they are): nginx over HTTP/1.1 and h2 with a test CA, tinyproxy
open and with BasicAuth, a dead proxy. Each test sets or unsets the proxy and CA variables
itself: the client reads them when it is built."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import urllib.request
from typing import Any, Iterator, List

import delegir
import pytest
from delegir import APIConnectionError, AsyncDelegir, Delegir

VARIABLES = [
    "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy",
    "NO_PROXY", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR",
]
EMULATOR = os.environ["NETWORK_EMULATOR"]
ADMIN = EMULATOR.replace("/api/v1", "/__emulator")
H1, H2, CA = os.environ["NETWORK_H1"], os.environ["NETWORK_H2"], os.environ["NETWORK_CA"]
PROXY, PROXY_LOG = os.environ["NETWORK_PROXY"], os.environ["NETWORK_PROXY_LOG"]
AUTH_PROXY, AUTH = os.environ["NETWORK_AUTH_PROXY"], os.environ["NETWORK_AUTH"]
PASSWORD = AUTH.split(":", 1)[1]
DEAD = os.environ["NETWORK_DEAD_PROXY"]
ACTIVE = "agt_abc123"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    yield


def admin(method: str, path: str, key: str | None = None) -> Any:
    request = urllib.request.Request(ADMIN + path, method=method)
    if key:
        request.add_header("X-API-Key", key)
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())["data"]


@pytest.fixture
def key() -> str:
    return str(admin("POST", "/keys")["api_key"])


def proxied_requests() -> List[str]:
    with open(PROXY_LOG, encoding="utf-8", errors="replace") as log:
        return [line.split("): ", 1)[1] for line in log if "): " in line and " HTTP/1." in line]


def test_2000_calls_at_concurrency_64_through_nginx_over_h1_and_h2(key: str) -> None:
    async def run(base_url: str) -> List[BaseException]:
        async with AsyncDelegir(key, base_url=base_url, extra_ca_certs=CA, max_retries=0, rate_limit=False) as client:
            gate = asyncio.Semaphore(64)

            async def one() -> None:
                async with gate:
                    await client.agents.get(ACTIVE)

            results = await asyncio.gather(*(one() for _ in range(2000)), return_exceptions=True)
            return [r for r in results if isinstance(r, BaseException)]

    for protocol, base_url in (("HTTP/1.1", H1), ("h2", H2)):
        errors = asyncio.run(run(base_url))
        assert not errors, f"{len(errors)} errors over {protocol}: {errors[:3]}"


async def chat_200(key: str, base_url: str) -> List[str]:
    """200 chats, 16 at a time, each with its own message; the errors."""
    failed: List[str] = []
    async with AsyncDelegir(key, base_url=base_url, extra_ca_certs=CA, max_retries=0, rate_limit=False) as client:
        gate = asyncio.Semaphore(16)

        async def chat(i: int) -> None:
            async with gate:
                try:
                    await client.agents.chat(ACTIVE, f"chat {i}")
                except delegir.DelegirError as error:
                    failed.append(str(error))

        await asyncio.gather(*(chat(i) for i in range(200)))
    return failed


def test_200_chats_across_keep_alive_closes_and_goaways_are_each_sent_once(key: str) -> None:
    for protocol, base_url in (("HTTP/1.1", H1), ("h2", H2)):
        admin("DELETE", "/journal", key)
        failed = asyncio.run(chat_200(key, base_url))
        bodies = [e["body"] for e in admin("GET", "/journal", key) if e["method"] == "POST"]
        assert len(bodies) == len(set(bodies)), f"a chat was sent twice over {protocol}"
        assert not failed, f"{len(failed)} failed over {protocol}: {failed[:3]}"
        assert len(bodies) == 200


def test_proxies_from_the_environment_the_option_and_no_proxy(key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    tunnel = "CONNECT " + H2.split("//")[1].split("/")[0]
    for variable in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(variable, PROXY)
        before = len(proxied_requests())
        Delegir(key, base_url=H2, extra_ca_certs=CA).usage.get()
        assert [r.startswith(tunnel) for r in proxied_requests()[before:]] == [True], variable
        monkeypatch.delenv(variable)

    monkeypatch.setenv("HTTP_PROXY", PROXY)
    before = len(proxied_requests())
    Delegir(key, base_url=EMULATOR).usage.get()
    assert proxied_requests()[before:][0].startswith(f"GET {EMULATOR}/usage ")

    # NO_PROXY bypasses the (dead) proxies; trust_env=False ignores them; the option wins.
    monkeypatch.setenv("HTTPS_PROXY", DEAD)
    monkeypatch.setenv("HTTP_PROXY", DEAD)
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.0/8")
    Delegir(key, base_url=H2, extra_ca_certs=CA, max_retries=0).usage.get()
    Delegir(key, base_url=EMULATOR, max_retries=0).usage.get()
    monkeypatch.delenv("NO_PROXY")
    with pytest.raises(APIConnectionError):
        Delegir(key, base_url=H2, extra_ca_certs=CA, max_retries=0).usage.get()
    Delegir(key, base_url=H2, extra_ca_certs=CA, max_retries=0, trust_env=False).usage.get()
    before = len(proxied_requests())
    Delegir(key, base_url=H2, extra_ca_certs=CA, proxy=PROXY).usage.get()
    assert len(proxied_requests()) == before + 1


def test_a_no_proxy_entry_with_a_port_bypasses_the_proxy_for_that_port_only(
    key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A live proxy: its log, or the lack of a line in it, says which way each call went.
    host_port = EMULATOR.split("//")[1].split("/")[0]
    monkeypatch.setenv("HTTP_PROXY", PROXY)
    monkeypatch.setenv("NO_PROXY", f"example.com,{host_port}")
    before = len(proxied_requests())
    Delegir(key, base_url=EMULATOR, max_retries=0).usage.get()
    assert proxied_requests()[before:] == []
    monkeypatch.setenv("NO_PROXY", host_port.rsplit(":", 1)[0] + ":1")
    Delegir(key, base_url=EMULATOR, max_retries=0).usage.get()
    assert [r.startswith(f"GET {EMULATOR}/usage ") for r in proxied_requests()[before:]] == [True]


def test_a_refusing_or_dead_proxy_fails_clearly_and_never_shows_the_password(
    key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="delegir")
    with Delegir(key, base_url=H2, extra_ca_certs=CA, proxy=f"http://{AUTH}@{AUTH_PROXY}") as client:
        client.usage.get()
        assert PASSWORD not in repr(client)
    for proxy in (f"http://{AUTH_PROXY}", f"http://alice:wrong@{AUTH_PROXY}", DEAD.replace("//", f"//{AUTH}@")):
        client = Delegir(key, base_url=H2, extra_ca_certs=CA, proxy=proxy, max_retries=0)
        with pytest.raises(APIConnectionError) as caught:
            client.usage.get()
        message = str(caught.value)
        assert "proxy http://127.0.0.1:" in message, message
        assert PASSWORD not in message + repr(caught.value) + repr(client)
    assert PASSWORD not in caplog.text


def test_private_ca_by_option_and_by_ssl_cert_file(key: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    with pytest.raises(APIConnectionError):
        Delegir(key, base_url=H2, max_retries=0).usage.get()
    Delegir(key, base_url=H2, extra_ca_certs=CA).usage.get()
    monkeypatch.setenv("SSL_CERT_FILE", CA)
    Delegir(key, base_url=H2).usage.get()
    missing = str(tmp_path / "missing.pem")
    with pytest.raises(delegir.DelegirError, match="SSL_CERT_FILE"):
        monkeypatch.setenv("SSL_CERT_FILE", missing)
        Delegir(key, base_url=H2)
    monkeypatch.delenv("SSL_CERT_FILE")
    with pytest.raises(delegir.DelegirError, match=r"missing\.pem.*extra_ca_certs"):
        Delegir(key, base_url=H2, extra_ca_certs=missing)


def test_plain_http_to_a_remote_host_needs_allow_insecure_http(key: str) -> None:
    with pytest.raises(delegir.DelegirError, match="allow_insecure_http"):
        Delegir(key, base_url="http://example.com/api/v1")
    client = Delegir(key, base_url="http://example.com/api/v1", allow_insecure_http=True)
    assert client.base_url == "http://example.com/api/v1"
