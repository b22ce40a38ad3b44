"""The network keywords: allow_insecure_http, proxy, trust_env and extra_ca_certs. What needs a
real proxy, nginx and a private CA is in tests/network/ (run by tests/network/run.sh); here, what
the options do with the emulator alone."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any, Dict, List

import pytest
from delegir import APIConnectionError, Delegir, DelegirError
from delegir.testing import Emulator

AGENT = "agt_abc123"
PROXY_VARIABLES = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"]


@pytest.fixture(autouse=True)
def no_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def dead_proxy() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://alice:pr0xy-s3cret@127.0.0.1:{s.getsockname()[1]}"


def test_plain_http_to_a_remote_host_needs_allow_insecure_http() -> None:
    with pytest.raises(DelegirError, match="allow_insecure_http"):
        Delegir("dlg_test_0123456789abcdef", base_url="http://api.example.com/api/v1")
    client = Delegir("dlg_test_0123456789abcdef", base_url="http://api.example.com/api/v1", allow_insecure_http=True)
    assert client.base_url == "http://api.example.com/api/v1"


def test_network_keywords_of_the_wrong_type_are_type_errors() -> None:
    wrong: List[Dict[str, Any]] = [
        {"allow_insecure_http": 1},
        {"proxy": 3128},
        {"trust_env": "no"},
        {"extra_ca_certs": 1},
        {"connect_timeout": "5"},
    ]
    for keywords in wrong:
        with pytest.raises(TypeError, match=next(iter(keywords))):
            Delegir("dlg_test_0123456789abcdef", **keywords)


def test_connect_timeout_is_seconds_greater_than_zero(emu: Emulator) -> None:
    with pytest.raises(ValueError, match="connect_timeout"):
        Delegir(emu.api_key, base_url=emu.base_url, connect_timeout=0)
    with Delegir(emu.api_key, base_url=emu.base_url, connect_timeout=2.5) as client:
        assert client.agents.get(AGENT).id == AGENT


def test_a_proxy_from_the_environment_is_used_and_trust_env_false_ignores_it(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", dead_proxy())
    with emu.client(max_retries=0) as client, pytest.raises(
        APIConnectionError, match=r"proxy http://127\.0\.0\.1:\d+"
    ) as caught:
        client.agents.get(AGENT)
    assert "pr0xy-s3cret" not in str(caught.value) + repr(caught.value)
    assert emu.journal() == [], "the call went direct"
    with Delegir(emu.api_key, base_url=emu.base_url, trust_env=False) as client:
        assert client.agents.get(AGENT).id == AGENT
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with emu.client() as client:
        assert client.agents.get(AGENT).id == AGENT


def test_the_proxy_keyword_overrides_the_environment_and_its_password_is_never_shown(emu: Emulator) -> None:
    proxy = dead_proxy()
    client = Delegir(emu.api_key, base_url=emu.base_url, proxy=proxy, max_retries=0)
    with pytest.raises(APIConnectionError) as caught:
        client.usage.get()
    assert "pr0xy-s3cret" not in str(caught.value) + repr(caught.value) + repr(client)
    with pytest.raises(DelegirError, match="only http:// proxies") as refused:
        Delegir(emu.api_key, base_url=emu.base_url, proxy="socks5://alice:pr0xy-s3cret@127.0.0.1:1080")
    assert "pr0xy-s3cret" not in str(refused.value)


def test_a_copy_keeps_the_proxy_and_its_password_stays_hidden(emu: Emulator) -> None:
    client = Delegir(emu.api_key, base_url=emu.base_url, proxy=dead_proxy(), max_retries=0)
    copied = client.copy(rate_limit=False)
    with pytest.raises(APIConnectionError, match="proxy"):
        copied.usage.get()
    assert "pr0xy-s3cret" not in repr(vars(client)) + repr(vars(copied))


def test_extra_ca_certs_must_name_a_file_of_certificates(tmp_path: Path) -> None:
    https = "https://api.example.com/api/v1"
    missing = tmp_path / "missing.pem"
    with pytest.raises(DelegirError, match=r"missing\.pem.*extra_ca_certs"):
        Delegir("dlg_test_0123456789abcdef", base_url=https, extra_ca_certs=missing)
    empty = tmp_path / "empty.pem"
    empty.write_text("not a certificate\n")
    with pytest.raises(DelegirError, match="no PEM certificate"):
        Delegir("dlg_test_0123456789abcdef", base_url=https, extra_ca_certs=str(empty))
