"""The Pydantic models: snake_case, aware datetimes, unknown fields kept, round-trips."""

from __future__ import annotations

import json
from datetime import timezone

from conftest import AGENT
from delegir import Delegir
from delegir.types import Agent, AgentDetail, ChatReply, Run, RunPage, UpdatedAgent, Usage


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
