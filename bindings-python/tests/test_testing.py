"""delegir.testing.Emulator itself."""

from __future__ import annotations

import json
import socket
import urllib.request

import delegir
import pytest
from conftest import AGENT
from delegir.testing import Emulator


def test_the_emulator_serves_on_loopback_with_a_fresh_key() -> None:
    with Emulator() as emu:
        assert emu.base_url.startswith("http://127.0.0.1:") and emu.base_url.endswith("/api/v1")
        assert emu.admin_url.endswith("/__emulator")
        assert emu.api_key.startswith("dlg_") and emu.api_key == emu.api_key
        assert emu.new_api_key() != emu.api_key
        assert "running" in repr(emu)
    assert "stopped" in repr(emu)


def test_close_is_idempotent_and_stops_the_server() -> None:
    emu = Emulator()
    base_url = emu.base_url
    emu.close()
    emu.close()
    with delegir.Delegir("dlg_test_x", base_url=base_url, max_retries=0) as client, pytest.raises(
        delegir.APIConnectionError
    ):
        client.usage.get()


def test_each_key_sees_its_own_data(emu: Emulator) -> None:
    other = emu.new_api_key()
    with emu.client() as mine, emu.client(api_key=other) as theirs:
        mine.agents.delete(AGENT)
        assert len(mine.agents.list()) == 1
        assert len(theirs.agents.list()) == 2
    assert len(emu.journal(other)) == 1
    assert len(emu.journal()) == 3


def test_journal_records_method_path_query_status_and_outcome(emu: Emulator) -> None:
    with emu.client() as client:
        client.agents.runs.list(AGENT, limit=5)
    [entry] = emu.journal(emu.api_key)
    assert entry["method"] == "GET"
    assert entry["path"] == f"/api/v1/agents/{AGENT}/runs"
    assert entry["query"] == "limit=5"
    assert (entry["status"], entry["outcome"]) == (200, "ok")
    assert emu.api_key not in repr(entry)
    emu.clear_journal()
    assert emu.journal() == []


def test_faults_match_relative_or_full_paths_and_count_down(emu: Emulator) -> None:
    emu.add_fault("GET", "/agents", {"kind": "status", "status": 404}, count=1)
    emu.add_fault("GET", "/api/v1/usage", {"kind": "status", "status": 404}, count=1)
    with emu.client() as client:
        with pytest.raises(delegir.NotFoundError):
            client.agents.list()
        with pytest.raises(delegir.NotFoundError):
            client.usage.get()
        assert len(client.agents.list()) == 2
        assert client.usage.get().plan == "PRO"


def test_faults_can_target_one_key_and_be_cleared(emu: Emulator) -> None:
    other = emu.new_api_key()
    emu.add_fault("*", "*", {"kind": "status", "status": 404}, count=5, api_key=other)
    with emu.client() as mine, emu.client(api_key=other) as theirs:
        assert mine.usage.get().plan == "PRO"
        with pytest.raises(delegir.NotFoundError):
            theirs.usage.get()
        emu.clear_faults()
        assert theirs.usage.get().plan == "PRO"


def test_an_invalid_fault_is_a_value_error(emu: Emulator) -> None:
    with pytest.raises(ValueError):
        emu.add_fault("GET", "/usage", {"kind": "no_such_fault"})


def test_reset_restores_the_seed_data_and_revocations(emu: Emulator) -> None:
    with emu.client() as client:
        client.agents.delete(AGENT)
        emu.revoke_key()
        with pytest.raises(delegir.AuthenticationError):
            client.agents.list()
        emu.reset()
        assert len(client.agents.list()) == 2


def test_set_rate_limit_changes_the_limit_seen_in_headers(emu: Emulator) -> None:
    emu.set_rate_limit(5, 30)
    with emu.client() as client:
        client.usage.get()
        limit = client.rate_limit
        assert limit is not None and (limit.limit, limit.remaining) == (5, 4)


def test_a_bad_rate_window_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        Emulator(rate_window=0)


@pytest.mark.parametrize("window", [1e30, float("inf"), float("nan"), -1.0, 0.0, 0.0005, 86_400.001])
def test_a_rate_window_out_of_range_is_a_value_error_naming_it(window: float) -> None:
    with pytest.raises(ValueError, match="rate_window"):
        Emulator(rate_window=window)
    with Emulator(rate_limit=0) as emu, pytest.raises(ValueError, match="window"):
        emu.set_rate_limit(1, window)


@pytest.mark.parametrize("limit", [-1, 2**32, 2**64, -(2**70), 10**400])
def test_a_rate_limit_out_of_range_is_a_value_error_naming_it(limit: int) -> None:
    with pytest.raises(ValueError, match="rate_limit"):
        Emulator(rate_limit=limit)
    with Emulator(rate_limit=0, rate_window=2.0) as emu:
        with pytest.raises(ValueError, match="limit"):
            emu.set_rate_limit(limit)
        with pytest.raises(ValueError, match="window"):
            emu.set_rate_limit(5, 1e30)
        emu.set_rate_limit(5)
        with urllib.request.urlopen(emu.admin_url + "/config") as response:
            config = json.load(response)["data"]
        assert (config["rate_limit"], config["rate_window_ms"]) == (5, 2000), "a refused window is not kept"


@pytest.mark.parametrize("port", [-1, 65536, 2**64, 10**400])
def test_a_port_out_of_range_is_a_value_error_naming_it(port: int) -> None:
    # Not pyo3's OverflowError ("Python int too large to convert to C long") for the big ones.
    with pytest.raises(ValueError, match="port must be between 0 and 65535"):
        Emulator(port=port)


@pytest.mark.parametrize("value", [True, 1.0, "60"])
def test_a_rate_limit_or_port_that_is_not_an_int_is_a_type_error(value: object) -> None:
    with pytest.raises(TypeError, match="rate_limit must be an int"):
        Emulator(rate_limit=value)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="port must be an int"):
        Emulator(port=value)  # type: ignore[arg-type]
    with Emulator(rate_limit=0) as emu, pytest.raises(TypeError, match="limit must be an int"):
        emu.set_rate_limit(value)  # type: ignore[arg-type]


def test_a_port_is_used_and_a_taken_one_is_an_os_error() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    with Emulator(port=port, rate_limit=0) as emu:
        assert emu.base_url == f"http://127.0.0.1:{port}/api/v1"
        with pytest.raises(OSError, match="could not start the emulator"):
            Emulator(port=port)


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "status", "status": 503, "header": {"Retry-After": "1"}},
        {"kind": "status", "status": 503, "resetInSecs": 5},
        {"kind": "reset_before", "count": 2},
    ],
)
def test_unknown_fault_fields_are_a_value_error(emu: Emulator, fault: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="unknown field"):
        emu.add_fault("GET", "/usage", fault)


@pytest.mark.parametrize(
    ("method", "fault", "count"),
    [
        ("GET", {"kind": "malformed"}, 0),
        ("NOT A METHOD", {"kind": "malformed"}, 1),
        ("GET", {"kind": "status", "status": 1000}, 1),
        ("GET", {"kind": "status", "status": 42}, 1),
        ("GET", {"kind": "status", "status": 103}, 1),
        ("GET", {"kind": "redirect", "status": 200, "location": "/x"}, 1),
        ("GET", {"kind": "large", "megabytes": 1, "status": 304}, 1),
    ],
)
def test_rules_the_admin_api_refuses_are_a_value_error(
    emu: Emulator, method: str, fault: dict[str, object], count: int
) -> None:
    with pytest.raises(ValueError, match="invalid fault rule"):
        emu.add_fault(method, "/usage", fault, count=count)
    with emu.client(max_retries=0) as client:
        assert client.usage.get().plan == "PRO"
