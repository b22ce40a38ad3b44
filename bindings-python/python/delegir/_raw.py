"""Typed faces of ``client.with_raw_response``: the same resources and methods, each returning a
:class:`~delegir.RawResponse` of the model (an awaitable of one on ``AsyncDelegir``). The
work is :class:`~delegir._options.RawResponseProxy`'s; these classes give type checkers the
return types. Keyword options are those of the plain methods."""

from __future__ import annotations

from typing import Any, Coroutine, List

from ._options import RawResponse, RawResponseProxy
from .types import Agent, AgentDetail, ChatReply, DeletedAgent, RunPage, UpdatedAgent, Usage

__all__ = ["AsyncRawClient", "RawClient"]


class RawRuns:
    """``client.with_raw_response.agents.runs``."""

    def __init__(self, proxy: Any) -> None:
        self._proxy = proxy

    def list(self, agent_id: str, /, **options: Any) -> RawResponse[RunPage]:
        """``runs.list`` with its response (``runs.iter`` has none: it makes many requests)."""
        return self._proxy.list(agent_id, **options)  # type: ignore[no-any-return]


class RawAgents:
    """``client.with_raw_response.agents``."""

    def __init__(self, proxy: Any) -> None:
        self._proxy = proxy
        self.runs = RawRuns(proxy.runs)

    def list(self, **options: Any) -> RawResponse[List[Agent]]:
        return self._proxy.list(**options)  # type: ignore[no-any-return]

    def get(self, agent_id: str, /, **options: Any) -> RawResponse[AgentDetail]:
        return self._proxy.get(agent_id, **options)  # type: ignore[no-any-return]

    def update(self, agent_id: str, /, **options: Any) -> RawResponse[UpdatedAgent]:
        return self._proxy.update(agent_id, **options)  # type: ignore[no-any-return]

    def delete(self, agent_id: str, /, **options: Any) -> RawResponse[DeletedAgent]:
        return self._proxy.delete(agent_id, **options)  # type: ignore[no-any-return]

    def chat(self, agent_id: str, message: str, /, **options: Any) -> RawResponse[ChatReply]:
        return self._proxy.chat(agent_id, message, **options)  # type: ignore[no-any-return]


class RawUsage:
    """``client.with_raw_response.usage``."""

    def __init__(self, proxy: Any) -> None:
        self._proxy = proxy

    def get(self, **options: Any) -> RawResponse[Usage]:
        return self._proxy.get(**options)  # type: ignore[no-any-return]


class RawClient:
    """``Delegir.with_raw_response``."""

    def __init__(self, proxy: RawResponseProxy) -> None:
        self.agents = RawAgents(proxy.agents)
        self.usage = RawUsage(proxy.usage)


class AsyncRawRuns:
    """``AsyncDelegir.with_raw_response.agents.runs``."""

    def __init__(self, proxy: Any) -> None:
        self._proxy = proxy

    def list(self, agent_id: str, /, **options: Any) -> Coroutine[object, None, RawResponse[RunPage]]:
        """``runs.list`` with its response (``runs.iter`` has none: it makes many requests)."""
        return self._proxy.list(agent_id, **options)  # type: ignore[no-any-return]


class AsyncRawAgents:
    """``AsyncDelegir.with_raw_response.agents``."""

    def __init__(self, proxy: Any) -> None:
        self._proxy = proxy
        self.runs = AsyncRawRuns(proxy.runs)

    def list(self, **options: Any) -> Coroutine[object, None, RawResponse[List[Agent]]]:
        return self._proxy.list(**options)  # type: ignore[no-any-return]

    def get(self, agent_id: str, /, **options: Any) -> Coroutine[object, None, RawResponse[AgentDetail]]:
        return self._proxy.get(agent_id, **options)  # type: ignore[no-any-return]

    def update(self, agent_id: str, /, **options: Any) -> Coroutine[object, None, RawResponse[UpdatedAgent]]:
        return self._proxy.update(agent_id, **options)  # type: ignore[no-any-return]

    def delete(self, agent_id: str, /, **options: Any) -> Coroutine[object, None, RawResponse[DeletedAgent]]:
        return self._proxy.delete(agent_id, **options)  # type: ignore[no-any-return]

    def chat(
        self, agent_id: str, message: str, /, **options: Any
    ) -> Coroutine[object, None, RawResponse[ChatReply]]:
        return self._proxy.chat(agent_id, message, **options)  # type: ignore[no-any-return]


class AsyncRawUsage:
    """``AsyncDelegir.with_raw_response.usage``."""

    def __init__(self, proxy: Any) -> None:
        self._proxy = proxy

    def get(self, **options: Any) -> Coroutine[object, None, RawResponse[Usage]]:
        return self._proxy.get(**options)  # type: ignore[no-any-return]


class AsyncRawClient:
    """``AsyncDelegir.with_raw_response``."""

    def __init__(self, proxy: RawResponseProxy) -> None:
        self.agents = AsyncRawAgents(proxy.agents)
        self.usage = AsyncRawUsage(proxy.usage)
