"""The Python SDK of the Delegir API.

>>> from delegir import Delegir                     # doctest: +SKIP
>>> client = Delegir()                               # reads DELEGIR_API_KEY
>>> agents = client.agents.list()
>>> reply = client.agents.chat(agents[0].id, "How do I reset my password?")

:class:`AsyncDelegir` is the asyncio twin. Results are Pydantic models from :mod:`delegir.types`;
errors derive from :class:`DelegirError`; :mod:`delegir.testing` runs a local emulator of the API.
"""

from __future__ import annotations

from ._client import AsyncDelegir, Delegir
from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    DelegirError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
)
from ._native import __version__
from ._options import NOT_GIVEN, NotGiven, RawResponse, ResponseHeaders
from .types import (
    Agent,
    AgentConfig,
    AgentDetail,
    ChatReply,
    DeletedAgent,
    RateLimit,
    Run,
    RunPage,
    UpdatedAgent,
    Usage,
)

__all__ = [
    "NOT_GIVEN",
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "Agent",
    "AgentConfig",
    "AgentDetail",
    "AsyncDelegir",
    "AuthenticationError",
    "BadRequestError",
    "ChatReply",
    "Delegir",
    "DelegirError",
    "DeletedAgent",
    "InternalServerError",
    "NotFoundError",
    "NotGiven",
    "RateLimit",
    "RateLimitError",
    "RawResponse",
    "ResponseHeaders",
    "Run",
    "RunPage",
    "UpdatedAgent",
    "Usage",
    "__version__",
]
