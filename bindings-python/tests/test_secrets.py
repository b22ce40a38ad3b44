"""The API key never appears in logs, error messages, reprs or pickles (tests/README.md,
"Secrets check"), whatever path a call takes."""

from __future__ import annotations

import logging
import pickle
from typing import Any, Dict, List

import delegir
import pytest
from conftest import AGENT, PAUSED_AGENT
from delegir import Delegir
from delegir.testing import Emulator

CANARY = "dlg_test_SECRETcanary0123456789"
SECRET = "SECRETcanary"

FAULTS: List[Dict[str, Any]] = [
    {"kind": "status", "status": 500},
    {"kind": "status", "status": 429, "reset_in_secs": 600},
    {"kind": "status", "status": 418},
    {"kind": "html", "status": 502},
    {"kind": "reset_before"},
    {"kind": "reset_mid_body"},
    {"kind": "truncated"},
    {"kind": "malformed"},
    {"kind": "not_envelope"},
    {"kind": "redirect", "status": 302, "location": "http://127.0.0.1:9/elsewhere"},
    {"kind": "delay", "ms": 1500},
]


def _assert_clean(text: str) -> None:
    assert SECRET not in text, text


def test_the_key_never_leaks_on_any_path(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="delegir")
    errors: List[BaseException] = []
    with Emulator(rate_limit=0) as emu, Delegir(
        CANARY, base_url=emu.base_url, timeout=0.5, max_retries=1, rate_limit=False
    ) as client:
        _assert_clean(repr(client))
        client.agents.list()
        client.agents.chat(AGENT, "hello")
        for fault in FAULTS:
            emu.add_fault("*", "*", fault, count=2)
            try:
                client.usage.get()
            except delegir.DelegirError as e:
                errors.append(e)
            emu.clear_faults()
        for call in (
            lambda: client.agents.get("agt_missing"),
            lambda: client.agents.chat(PAUSED_AGENT, "hi"),
            lambda: client.agents.get(""),
            lambda: client.agents.runs.list(AGENT, limit=0),
        ):
            try:
                call()
            except (delegir.DelegirError, ValueError) as e:
                errors.append(e)
        emu.revoke_key(CANARY)
        with pytest.raises(delegir.AuthenticationError) as info:
            client.agents.list()
        errors.append(info.value)
    for bad_key in ("dlg_test_SECRETcanary 0123", "dlg_test_SECRETcanary\u00e9"):
        with pytest.raises(delegir.DelegirError) as config_error:
            Delegir(bad_key, base_url="http://127.0.0.1:9/api/v1")
        errors.append(config_error.value)

    assert len(errors) >= len(FAULTS) + 5
    for error in errors:
        _assert_clean(str(error))
        _assert_clean(repr(error))
        _assert_clean(repr(vars(error)))
        _assert_clean(repr(error.__cause__))
        if isinstance(error, delegir.DelegirError):
            _assert_clean(repr(pickle.dumps(error)))
    assert caplog.records, "logging at debug recorded nothing"
    for record in caplog.records:
        _assert_clean(record.getMessage())
        _assert_clean(repr(vars(record)))
