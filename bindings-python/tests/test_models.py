"""The Pydantic models: snake_case, aware datetimes, unknown fields kept, round-trips."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta, timezone
from typing import Any, Dict

import pytest
from conftest import AGENT
from delegir import APIResponseValidationError, AsyncDelegir, Delegir
from delegir.testing import Emulator
from delegir.types import Agent, AgentDetail, ChatReply, Run, RunPage, UpdatedAgent, Usage
from pydantic import BaseModel


def test_every_model_round_trips_through_model_dump(client: Delegir) -> None:
    detail = client.agents.get(AGENT)
    page = client.agents.runs.list(AGENT, limit=3)
    usage = client.usage.get()
    reply = client.agents.chat(AGENT, "hi")
    updated = client.agents.update(AGENT, name="Renamed")
    for model in [client.agents.list()[0], detail, page, page.runs[0], usage, reply, updated]:
        assert type(model).model_validate(model.model_dump()) == model
        assert type(model).model_validate_json(model.model_dump_json()) == model


def test_unknown_server_fields_are_kept_not_rejected() -> None:
    raw = {
        "id": "agt_1",
        "name": "n",
        "status": "archived",
        "safety_mode": False,
        "template": None,
        "total_runs": 0,
        "last_active": None,
        "created_at": "2026-01-10T14:00:00Z",
        "region": "eu-west",
    }
    agent = Agent.model_validate_json(json.dumps(raw))
    assert agent.status == "archived"
    assert agent.model_extra == {"region": "eu-west"}
    assert agent.model_dump()["region"] == "eu-west"


def test_chat_reply_accepts_the_wire_spelling_and_dumps_snake_case() -> None:
    reply = ChatReply.model_validate({"response": "r", "runId": "run_1", "tokensUsed": 3})
    assert (reply.run_id, reply.tokens_used) == ("run_1", 3)
    assert reply.model_dump() == {"response": "r", "run_id": "run_1", "tokens_used": 3}


def test_timestamps_are_timezone_aware_utc(client: Delegir) -> None:
    run = client.agents.runs.list(AGENT, limit=1).runs[0]
    assert run.created_at.utcoffset() == timezone.utc.utcoffset(None)
    assert isinstance(run, Run)


def test_models_are_exported_from_delegir_types() -> None:
    import delegir.types as types

    for cls in (Agent, AgentDetail, RunPage, Usage, UpdatedAgent):
        assert getattr(types, cls.__name__) is cls


# The native core builds the models from the body it decoded (no second parse in Python): each
# must be what Pydantic itself makes of the same `data`, unknown fields and all.

_DETAIL_DATA: Dict[str, Any] = {
    "id": "agt_abc123",
    "name": "Customer Support Agent",
    "status": "archived",
    "safety_mode": True,
    "template": None,
    "total_runs": 3,
    "last_active": "2026-03-15T08:30:00.123456+02:00",
    "created_at": "2026-01-10T14:00:00Z",
    "region": {"name": "eu-west", "zones": [1, 2.5, None, True, "b"]},
    "config": {"model": "m", "system_prompt": None, "temperature": 0.7, "max_tokens": 2048, "top_p": 0.9},
    "channels": ["webchat"],
}

_PAGE_DATA: Dict[str, Any] = {
    "runs": [
        {"id": "run_1", "status": "completed", "tokens_used": 5, "cost": 0.01, "duration_ms": 7,
         "created_at": "2026-03-15T08:30:00Z", "model": "m"},
        {"id": "run_2", "status": "failed", "tokens_used": 0, "cost": 0.0, "duration_ms": 1,
         "created_at": "2026-03-14T23:59:59.5-05:30"},
    ],
    "total": 2,
    "limit": 2,
    "offset": 0,
    "cursor": None,
}


def _serve(emu: Emulator, path: str, data: Dict[str, Any]) -> None:
    emu.add_fault("GET", path, {"kind": "status", "status": 200, "body": {"data": data}})


def _same(built: BaseModel, expected: BaseModel) -> None:
    assert type(built) is type(expected)
    assert built == expected
    assert built.model_fields_set == expected.model_fields_set
    assert built.model_extra == expected.model_extra
    assert built.model_dump() == expected.model_dump()
    assert built.model_dump_json() == expected.model_dump_json()


def test_the_models_the_core_builds_are_pydantics_own(emu: Emulator, client: Delegir) -> None:
    _serve(emu, f"/agents/{AGENT}", _DETAIL_DATA)
    detail = client.agents.get(AGENT)
    _same(detail, AgentDetail.model_validate_json(json.dumps(_DETAIL_DATA)))
    _same(detail.config, AgentDetail.model_validate_json(json.dumps(_DETAIL_DATA)).config)
    assert detail.last_active is not None and detail.last_active.utcoffset() == timedelta(hours=2)

    _serve(emu, f"/agents/{AGENT}/runs", _PAGE_DATA)
    page = client.agents.runs.list(AGENT, limit=2)
    expected = RunPage.model_validate_json(json.dumps(_PAGE_DATA))
    _same(page, expected)
    for built, run in zip(page.runs, expected.runs):
        _same(built, run)


async def test_the_async_client_builds_the_same_models(emu: Emulator, aclient: AsyncDelegir) -> None:
    _serve(emu, f"/agents/{AGENT}/runs", _PAGE_DATA)
    page = await aclient.agents.runs.list(AGENT, limit=2)
    _same(page, RunPage.model_validate_json(json.dumps(_PAGE_DATA)))
    _serve(emu, "/agents", {"not": "a list"})
    with pytest.raises(APIResponseValidationError):
        await aclient.agents.list()


def test_a_built_model_validates_assignment_like_any_other(client: Delegir) -> None:
    run = client.agents.runs.list(AGENT, limit=1).runs[0]
    run.status = "archived"
    assert "status" in run.model_fields_set
    other = client.agents.runs.list(AGENT, limit=1).runs[0]
    assert other.status == "completed"
    assert run.model_copy(update={"tokens_used": 1}).tokens_used == 1


async def test_many_large_pages_in_flight_all_complete(aclient: AsyncDelegir) -> None:
    # Completions of large pages are spread over several turns of the loop (a budget of models
    # per drain): every call must still complete, with its own page.
    offsets = list(range(0, 1000, 50))
    pages = await asyncio.gather(*(aclient.agents.runs.list(AGENT, limit=100, offset=o) for o in offsets))
    for offset, page in zip(offsets, pages):
        assert (page.offset, len(page.runs)) == (offset, 100)
    assert len({run.id for page in pages for run in page.runs}) == 1050
