"""The models of the Delegir API: Pydantic v2 classes, snake_case, timezone-aware datetimes.

Every model keeps fields it does not know (``extra="allow"``), so a server that adds a field never
breaks a client built before it, and ``Model.model_validate(m.model_dump())`` round-trips. The
wire's camelCase names (``runId``, ``tokensUsed``) are accepted as well as the snake_case ones.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import List, Optional

from pydantic import AliasChoices, AwareDatetime, BaseModel, ConfigDict, Field

__all__ = [
    "Agent",
    "AgentConfig",
    "AgentDetail",
    "ChatReply",
    "DeletedAgent",
    "RateLimit",
    "Run",
    "RunPage",
    "UpdatedAgent",
    "Usage",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")


class Agent(_Model):
    """An agent as ``agents.list()`` returns it."""

    id: str
    """Unique id, such as ``agt_abc123``."""
    name: str
    """Display name."""
    status: str
    """``"active"`` or ``"paused"`` (kept as the server spells it)."""
    safety_mode: bool
    """Whether safety mode is on."""
    template: Optional[str] = None
    """The template the agent was created from, if any."""
    total_runs: int
    """Number of runs so far."""
    last_active: Optional[AwareDatetime] = None
    """When the agent last ran, if ever."""
    created_at: AwareDatetime
    """When the agent was created."""


class AgentConfig(_Model):
    """Model settings of an agent; also what ``agents.update(config=...)`` accepts."""

    model: Optional[str] = None
    """Model name."""
    system_prompt: Optional[str] = None
    """System prompt."""
    temperature: Optional[float] = None
    """Sampling temperature, 0–2."""
    max_tokens: Optional[int] = None
    """Maximum tokens per reply, at least 1."""


class AgentDetail(Agent):
    """An agent with its configuration and channels, as ``agents.get(id)`` returns it."""

    config: AgentConfig
    """Model settings."""
    channels: List[str]
    """Channels the agent is connected to (``webchat``, ``email``, ...)."""


class UpdatedAgent(_Model):
    """The answer to ``agents.update(id, ...)``."""

    id: str
    name: str
    status: str
    updated_at: AwareDatetime
    """When the update was applied."""


class DeletedAgent(_Model):
    """The answer to ``agents.delete(id)``."""

    deleted: bool
    id: str


class ChatReply(_Model):
    """The answer to ``agents.chat(id, message)``."""

    response: str
    """The agent's reply."""
    run_id: str = Field(validation_alias=AliasChoices("run_id", "runId"))
    """The run this chat created (``runId`` on the wire)."""
    tokens_used: int = Field(validation_alias=AliasChoices("tokens_used", "tokensUsed"))
    """Tokens the run used (``tokensUsed`` on the wire)."""


class Run(_Model):
    """One execution of an agent."""

    id: str
    status: str
    """``completed``, ``failed``, ... (kept as the server spells it)."""
    tokens_used: int
    cost: float
    """Cost in US dollars."""
    duration_ms: int
    created_at: AwareDatetime


class RunPage(_Model):
    """One page of ``agents.runs.list(id)``, newest first."""

    runs: List[Run]
    total: int
    """The number of runs the agent has in all."""
    limit: int
    offset: int


class Usage(_Model):
    """Usage of the current billing period (``usage.get()``)."""

    plan: str
    runs_used: int
    runs_limit: int
    tokens_this_month: int
    cost_this_month: float
    billing_period_start: AwareDatetime
    billing_period_end: AwareDatetime


class RateLimit(_Model):
    """The ``X-RateLimit-*`` headers of a response."""

    limit: int
    """Requests allowed per window."""
    remaining: int
    """Requests left in the current window."""
    reset: int
    """When the window resets, in Unix epoch seconds."""

    @property
    def reset_at(self) -> datetime:
        """``reset`` as an aware UTC datetime."""
        return datetime.fromtimestamp(self.reset, tz=timezone.utc)
