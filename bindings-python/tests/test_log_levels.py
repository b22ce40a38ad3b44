"""``DELEGIR_LOG`` accepts every level the Node SDK does, and says so when it does not know one
(instead of ignoring it silently)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SCRIPT = """
    import logging, warnings
    warnings.simplefilter("always")
    from delegir.testing import Emulator
    from delegir import _logging
    with Emulator(rate_limit=0) as emu, emu.client() as client:
        client.usage.get()
    print(logging.getLevelName(_logging.logger.level))
"""


def run(level: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SCRIPT)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DELEGIR_LOG": level},
    )


def test_delegir_log_error_is_accepted_and_quiet_for_successes() -> None:
    result = run("error")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ERROR"
    assert "GET /usage" not in result.stderr
    assert "Warning" not in result.stderr


def test_delegir_log_off_logs_nothing() -> None:
    result = run("off")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_an_unknown_delegir_log_level_warns_with_the_known_ones() -> None:
    result = run("loud")
    assert result.returncode == 0, result.stderr
    assert "RuntimeWarning" in result.stderr
    assert "DELEGIR_LOG='loud' is not a log level" in result.stderr
    for level in ("debug", "info", "warn", "error", "off"):
        assert level in result.stderr
