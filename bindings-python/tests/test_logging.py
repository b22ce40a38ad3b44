"""One log record per attempt on the "delegir" logger, never with the key."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap

import pytest
from conftest import AGENT
from delegir.testing import Emulator


def test_each_attempt_is_one_record_with_method_route_status_and_timing(
    emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="delegir")
    emu.add_fault("GET", f"/agents/{AGENT}", {"kind": "status", "status": 503})
    with emu.client() as client:  # configure logging first: the level is read at construction
        client.agents.get(AGENT)
    records = [r for r in caplog.records if r.name == "delegir"]
    assert len(records) == 2
    first, second = records
    assert (first.method, first.path, first.status, first.attempt) == ("GET", "/agents/:id", 503, 1)  # type: ignore[attr-defined]
    assert first.will_retry is True and first.levelno == logging.INFO  # type: ignore[attr-defined]
    assert (second.status, second.attempt, second.levelno) == (200, 2, logging.DEBUG)  # type: ignore[attr-defined]
    assert second.elapsed >= 0 and second.wait >= 0  # type: ignore[attr-defined]
    for record in records:
        text = record.getMessage() + repr(vars(record))
        assert emu.api_key not in text
        assert AGENT not in text


def test_nothing_is_forwarded_when_the_logger_is_quiet(emu: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="delegir")
    with emu.client() as client:
        client.agents.list()
    assert [r for r in caplog.records if r.name == "delegir"] == []


def test_delegir_log_debug_adds_a_stderr_handler() -> None:
    script = """
        from delegir.testing import Emulator
        with Emulator(rate_limit=0) as emu, emu.client() as client:
            client.usage.get()
            print(emu.api_key)
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DELEGIR_LOG": "debug"},
    )
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip()
    assert "GET /usage -> 200 (attempt 1" in result.stderr
    assert key not in result.stderr
