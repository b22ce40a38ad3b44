"""The blocking client, method by method, against the emulator."""

from __future__ import annotations

import contextlib
import inspect
import json
from datetime import datetime

import delegir
import pytest
from conftest import AGENT, PAUSED_AGENT, TOTAL_RUNS
from delegir import AgentConfig, Delegir
from delegir.testing import Emulator
from delegir.types import Agent, AgentDetail, ChatReply, DeletedAgent, Run, RunPage, UpdatedAgent, Usage


def test_agents_list_returns_the_reference_agents_with_aware_datetimes(client: Delegir) -> None:
    agents = client.agents.list()
    assert [a.id for a in agents] == [AGENT, PAUSED_AGENT]
    assert all(isinstance(a, Agent) for a in agents)
    first = agents[0]
    assert first.name == "Customer Support Agent"
    assert first.status == "active" and first.safety_mode is True
    assert first.template == "customer-support" and agents[1].template is None
    assert first.total_runs == TOTAL_RUNS
    assert isinstance(first.created_at, datetime) and first.created_at.tzinfo is not None
    assert first.last_active is not None and first.last_active.utcoffset() is not None


def test_agents_get_returns_config_and_channels(client: Delegir) -> None:
    agent = client.agents.get(AGENT)
    assert isinstance(agent, AgentDetail)
    assert agent.config.model == "claude-sonnet-4-5-20250514"
    assert agent.config.temperature == 0.7 and agent.config.max_tokens == 2048
    assert agent.channels == ["webchat", "email"]


def test_agents_update_sends_only_the_given_fields(client: Delegir, emu: Emulator) -> None:
    updated = client.agents.update(AGENT, name="Updated Support Agent", config={"temperature": 0.5})
    assert isinstance(updated, UpdatedAgent)
    assert updated.name == "Updated Support Agent" and updated.status == "active"
    assert updated.updated_at.tzinfo is not None
    body = json.loads(emu.journal()[-1]["body"])
    assert body == {"name": "Updated Support Agent", "config": {"temperature": 0.5}}
    assert client.agents.get(AGENT).config.temperature == 0.5


def test_agents_update_accepts_an_agent_config_model(client: Delegir, emu: Emulator) -> None:
    client.agents.update(AGENT, status="paused", config=AgentConfig(max_tokens=4096))
    assert json.loads(emu.journal()[-1]["body"]) == {"status": "paused", "config": {"max_tokens": 4096}}
    detail = client.agents.get(AGENT)
    assert detail.status == "paused" and detail.config.max_tokens == 4096


def test_agents_delete_removes_the_agent(client: Delegir) -> None:
    deleted = client.agents.delete(PAUSED_AGENT)
    assert isinstance(deleted, DeletedAgent)
    assert deleted.deleted is True and deleted.id == PAUSED_AGENT
    with pytest.raises(delegir.NotFoundError):
        client.agents.get(PAUSED_AGENT)
    assert [a.id for a in client.agents.list()] == [AGENT]


def test_agents_chat_returns_the_reply_and_counts_a_run(client: Delegir) -> None:
    reply = client.agents.chat(AGENT, "How do I reset my password?")
    assert isinstance(reply, ChatReply)
    assert reply.response and reply.run_id.startswith("run_") and reply.tokens_used > 0
    assert client.agents.get(AGENT).total_runs == TOTAL_RUNS + 1
    assert client.agents.runs.list(AGENT, limit=1).runs[0].id == reply.run_id


def test_runs_list_pages_with_limit_and_offset(client: Delegir, emu: Emulator) -> None:
    page = client.agents.runs.list(AGENT, limit=10, offset=20)
    assert isinstance(page, RunPage)
    assert (page.total, page.limit, page.offset, len(page.runs)) == (TOTAL_RUNS, 10, 20, 10)
    assert all(isinstance(r, Run) and r.created_at.tzinfo is not None for r in page.runs)
    assert emu.journal()[-1]["query"] == "limit=10&offset=20"
    default = client.agents.runs.list(AGENT)
    assert (default.limit, default.offset) == (20, 0)


def test_runs_iter_yields_every_run_once_newest_first(client: Delegir) -> None:
    runs = list(client.agents.runs.iter(AGENT))
    assert len(runs) == TOTAL_RUNS
    assert len({r.id for r in runs}) == TOTAL_RUNS
    assert all(a.created_at >= b.created_at for a, b in zip(runs, runs[1:]))


def test_runs_iter_with_a_page_size_makes_one_request_per_page(client: Delegir, emu: Emulator) -> None:
    runs = list(client.agents.runs.iter(AGENT, page_size=50))
    assert len({r.id for r in runs}) == TOTAL_RUNS
    assert len(emu.journal()) == -(-TOTAL_RUNS // 50)


def test_usage_get_returns_the_billing_period(client: Delegir) -> None:
    usage = client.usage.get()
    assert isinstance(usage, Usage)
    assert usage.plan == "PRO" and usage.runs_limit == 10000
    assert usage.billing_period_start.tzinfo is not None
    assert usage.billing_period_end > usage.billing_period_start


def test_rate_limit_is_none_until_a_response_then_reflects_its_headers() -> None:
    with Emulator(rate_limit=60) as emu, emu.client() as client:
        assert client.rate_limit is None
        client.agents.list()
        limit = client.rate_limit
        assert limit is not None
        assert (limit.limit, limit.remaining) == (60, 59)
        assert limit.reset_at.tzinfo is not None


def test_a_closed_client_refuses_calls(emu: Emulator) -> None:
    with emu.client() as client:
        client.agents.list()
    with pytest.raises(delegir.DelegirError, match="closed"):
        client.agents.list()
    with pytest.raises(delegir.DelegirError, match="closed"), client:
        pass


def test_an_iterator_of_a_closed_client_fetches_no_more_pages(emu: Emulator) -> None:
    with emu.client() as client:
        runs = client.agents.runs.iter(AGENT, page_size=10)
        next(runs)
    # The rest of the page it holds, then the closed client's error instead of a request.
    with pytest.raises(delegir.DelegirError, match="closed"):
        for _ in runs:
            pass
    assert len(emu.journal()) == 1


def test_runs_iter_can_be_closed_as_a_generator(client: Delegir, emu: Emulator) -> None:
    with contextlib.closing(client.agents.runs.iter(AGENT, page_size=10)) as runs:
        next(runs)
    assert len(emu.journal()) == 1
    assert list(runs) == []
    assert len(emu.journal()) == 1


def test_per_call_timeout_and_max_retries_apply_to_that_call_only(client: Delegir, emu: Emulator) -> None:
    emu.add_fault("GET", "/usage", {"kind": "delay", "ms": 1000})
    with pytest.raises(delegir.APITimeoutError):
        client.usage.get(timeout=0.2, max_retries=0)
    assert len(emu.journal()) <= 1
    assert client.usage.get().plan == "PRO"


def test_configuration_comes_from_the_environment(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DELEGIR_API_KEY", emu.api_key)
    monkeypatch.setenv("DELEGIR_BASE_URL", emu.base_url)
    with Delegir() as client:
        assert client.base_url == emu.base_url
        assert len(client.agents.list()) == 2


def test_a_missing_key_fails_at_construction_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DELEGIR_API_KEY", raising=False)
    with pytest.raises(delegir.DelegirError, match="DELEGIR_API_KEY"):
        Delegir()


def test_plain_http_to_a_remote_host_is_refused() -> None:
    with pytest.raises(delegir.DelegirError, match="http"):
        Delegir("dlg_test_x", base_url="http://example.com/api/v1")


def test_repr_hides_the_key(emu: Emulator) -> None:
    with emu.client() as client:
        assert emu.api_key not in repr(client)
        assert "***" in repr(client) and emu.base_url in repr(client)


def test_both_clients_take_the_same_constructor_and_call_keywords(emu: Emulator) -> None:
    assert inspect.signature(Delegir.__init__) == inspect.signature(delegir.AsyncDelegir.__init__)
    sync_client, async_client = emu.client(), emu.async_client()
    pairs = [
        (sync_client.agents, async_client.agents, ("list", "get", "update", "delete", "chat")),
        (sync_client.agents.runs, async_client.agents.runs, ("list", "iter")),
        (sync_client.usage, async_client.usage, ("get",)),
    ]
    for sync_resource, async_resource, names in pairs:
        for name in names:
            sync = inspect.signature(getattr(sync_resource, name))
            async_ = inspect.signature(getattr(async_resource, name))
            assert sync == async_.replace(return_annotation=sync.return_annotation), name
