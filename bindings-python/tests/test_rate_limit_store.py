"""``rate_limit_store``: the option reaches the core, a bad URL is refused without echoing its
password, and a store that cannot be reached leaves calls working with one WARNING on the
``delegir`` logger (the shared ledger itself runs in tests/redis/run.sh against a real Redis)."""

from __future__ import annotations

import logging
import os
import socket

import pytest
from delegir import DelegirError
from delegir.testing import Emulator


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_store_url_of_another_scheme_is_refused_without_its_password(emu: Emulator) -> None:
    with pytest.raises(DelegirError) as info:
        emu.client(rate_limit_store="memcached://:hunter2pw@cache:11211")
    assert "hunter2pw" not in str(info.value)
    assert "rate_limit_store" in str(info.value)
    with pytest.raises(TypeError):
        emu.client(rate_limit_store=6379)


def test_an_unreachable_store_leaves_calls_working_with_one_warning_without_the_password(
    emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="delegir")
    url = f"redis://:hunter2pw@127.0.0.1:{closed_port()}/0"
    with emu.client(rate_limit_store=url) as client:
        assert "hunter2pw" not in repr(client)
        # Nor what a debugger or an error tracker capturing locals shows of it.
        assert "hunter2pw" not in repr(vars(client))
        assert "hunter2pw" not in repr(vars(client.copy()))
        for _ in range(20):
            client.usage.get()
    warnings = [r for r in caplog.records if r.name == "delegir" and r.levelno == logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    message = warnings[0].getMessage()
    assert "redis://:***@127.0.0.1" in message and "unreachable" in message
    assert all("hunter2pw" not in r.getMessage() for r in caplog.records)


def test_the_environment_variable_is_read_when_the_option_is_not_given(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DELEGIR_RATE_LIMIT_STORE", "ftp://nowhere")
    with pytest.raises(DelegirError) as info:
        emu.client()
    assert "DELEGIR_RATE_LIMIT_STORE" in str(info.value)
    monkeypatch.setenv("DELEGIR_RATE_LIMIT_STORE", "")
    emu.client().close()
    assert os.environ["DELEGIR_RATE_LIMIT_STORE"] == ""
