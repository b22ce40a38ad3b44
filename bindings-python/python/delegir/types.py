"""The models of the Delegir API: Pydantic v2 classes, snake_case, timezone-aware datetimes.

Every model keeps fields it does not know (``extra="allow"``), so a server that adds a field never
breaks a client built before it, and ``Model.model_validate(m.model_dump())`` round-trips. The
wire's camelCase names (``runId``, ``tokensUsed``) are accepted as well as the snake_case ones.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, ClassVar, Dict, List, Literal, Optional

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

    # Fields whose name on the wire differs from the Python one (`use_api_names`).
    _api_names: ClassVar[Dict[str, str]] = {}

    def to_dict(
        self,
        *,
        mode: Literal["json", "python"] = "python",
        use_api_names: bool = True,
        exclude_unset: bool = True,
        exclude_defaults: bool = False,
        exclude_none: bool = False,
        warnings: bool = True,
    ) -> Dict[str, Any]:
        """The model as a dict, as openai's models have it: fields under the API's names
        (``runId``) unless ``use_api_names=False``; ``mode="json"`` gives JSON-safe values
        (datetimes as ISO 8601 strings). Fields the server sent that the SDK does not know are
        included."""
        data = self.model_dump(
            mode=mode,
            exclude_unset=exclude_unset,
            exclude_defaults=exclude_defaults,
            exclude_none=exclude_none,
            warnings=warnings,
        )
        if use_api_names and self._api_names:
            data = {self._api_names.get(key, key): value for key, value in data.items()}
        return data

    def to_json(
        self,
        *,
        indent: Optional[int] = 2,
        use_api_names: bool = True,
        exclude_unset: bool = True,
        exclude_defaults: bool = False,
        exclude_none: bool = False,
        warnings: bool = True,
    ) -> str:
        """The model as JSON text (see :meth:`to_dict`), indented by ``indent`` spaces (``None``:
        one line)."""
        data = self.to_dict(
            mode="json",
            use_api_names=use_api_names,
            exclude_unset=exclude_unset,
            exclude_defaults=exclude_defaults,
            exclude_none=exclude_none,
            warnings=warnings,
        )
        return json.dumps(data, indent=indent)


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

    _api_names: ClassVar[Dict[str, str]] = {"run_id": "runId", "tokens_used": "tokensUsed"}


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

    @property
    def has_more(self) -> bool:
        """Whether runs follow this page."""
        return self.offset + len(self.runs) < self.total

    def next_page_params(self) -> Optional[Dict[str, int]]:
        """The ``limit`` and ``offset`` of the next page, for ``runs.list(id, **params)``, or
        ``None`` after the last page. (``runs.iter`` pages for you, and handles runs created
        while paging.)"""
        if not self.has_more:
            return None
        return {"limit": self.limit, "offset": self.offset + len(self.runs)}


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
