"""The exceptions of the Delegir SDK: one hierarchy rooted at :class:`DelegirError`.

``DelegirError``
    ``APIStatusError`` (the server answered with an error status, whatever its body: a
    gateway's HTML 502 is an ``InternalServerError`` quoting the page)
        ``BadRequestError`` 400, ``AuthenticationError`` 401, ``NotFoundError`` 404,
        ``RateLimitError`` 429, ``InternalServerError`` 5xx
    ``APIConnectionError`` (nothing usable came back)
        ``APITimeoutError``
    ``APIResponseValidationError`` (a 2xx response that is not the documented shape, or too
    large)

Invalid arguments raise ``ValueError`` or ``TypeError`` before anything is sent. These classes are
plain Python (the native extension imports and raises them) and they pickle, so they cross
``multiprocessing`` boundaries intact.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, Type, Union

from ._options import ResponseHeaders
from .types import RateLimit

__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "DelegirError",
    "InternalServerError",
    "NotFoundError",
    "RateLimitError",
]


def _rebuild(cls: Type[DelegirError], message: str, kwargs: Dict[str, Any]) -> DelegirError:
    return cls(message, **kwargs)


class DelegirError(Exception):
    """The root of every error the SDK raises (besides ``ValueError``/``TypeError`` for arguments).

    Raised as such for configuration problems, such as a missing API key, and for an internal
    error of the SDK (a bug, caught where the call runs: the call fails with this error instead
    of hanging or raising a ``BaseException``).
    """

    message: str
    """What went wrong (for API errors, the envelope's ``error``)."""
    may_have_reached_server: bool
    """``False`` when the request provably never reached the server (or the server refused it
    without acting, as with 429); ``True`` after a chat means a run may have been created."""

    def __init__(self, message: str, *, may_have_reached_server: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.may_have_reached_server = may_have_reached_server

    def _kwargs(self) -> Dict[str, Any]:
        return {"may_have_reached_server": self.may_have_reached_server}

    def __reduce__(self) -> Tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self._kwargs()), self.__dict__)

    def __str__(self) -> str:
        return self.message


def _parsed_body(body: Any) -> Any:
    """A body given as text parsed as JSON when it is JSON; otherwise as it is."""
    if not isinstance(body, str):
        return body
    try:
        return json.loads(body)
    except ValueError:
        return body


def _rate_limit(value: Union[RateLimit, Mapping[str, Any], None]) -> Optional[RateLimit]:
    if value is None or isinstance(value, RateLimit):
        return value
    return RateLimit.model_validate(value)


class APIStatusError(DelegirError):
    """The server answered with an error status (any status without a subclass of its own)."""

    status_code: int
    """The HTTP status."""
    rate_limit: Optional[RateLimit]
    """The rate-limit headers of the failing response, if it had them."""
    retry_after: Optional[float]
    """For 429: seconds until the rate-limit window resets."""
    body: Any
    """The response body: the parsed JSON (``{"error": "..."}`` for the API's own errors), or
    the raw text of a body that is not JSON (a gateway's HTML page); ``None`` when empty."""
    headers: Mapping[str, str]
    """The response headers (keys compare without case; empty when none came back)."""
    request_id: Optional[str]
    """The server's ``X-Request-Id``, when it sent one: quote it when reporting a problem."""
    response_received: bool
    """``False`` when no response came back: the client's own rate-limit ledger refused the call
    (a :class:`RateLimitError` with ``status_code`` 429, empty ``headers``, nothing sent)."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        rate_limit: Union[RateLimit, Mapping[str, Any], None] = None,
        retry_after: Optional[float] = None,
        body: Any = None,
        headers: Union[Mapping[str, str], Sequence[Tuple[str, str]], None] = None,
        may_have_reached_server: bool = True,
        response_received: bool = True,
    ) -> None:
        super().__init__(message, may_have_reached_server=may_have_reached_server)
        self.status_code = status_code
        self.response_received = response_received
        self.rate_limit = _rate_limit(rate_limit)
        self.retry_after = retry_after
        self.body = _parsed_body(body)
        pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers or [])
        self.headers = ResponseHeaders(pairs)
        self.request_id = self.headers.get("x-request-id")

    def _kwargs(self) -> Dict[str, Any]:
        return {
            **super()._kwargs(),
            "status_code": self.status_code,
            "rate_limit": self.rate_limit,
            "retry_after": self.retry_after,
            "body": self.body,
            "headers": dict(self.headers),
            "response_received": self.response_received,
        }

    def __str__(self) -> str:
        # No "(HTTP ...)" when no response came back: no server said that status.
        if not self.response_received:
            return self.message
        return f"{self.message} (HTTP {self.status_code})"


class BadRequestError(APIStatusError):
    """400: the server rejected the parameters or body."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing, malformed, revoked or unknown."""


class NotFoundError(APIStatusError):
    """404: no such agent (or route)."""


class RateLimitError(APIStatusError):
    """429: the rate limit was exceeded and waiting for the window would take too long.

    ``retry_after`` says how many seconds until the window resets. When the client's own
    rate-limit ledger refuses to wait, nothing is sent: ``status_code`` is still 429, ``headers``
    are empty, ``may_have_reached_server`` and ``response_received`` are ``False``.
    """


class InternalServerError(APIStatusError):
    """5xx: the server failed."""


class APIConnectionError(DelegirError):
    """Nothing usable came back: DNS, refused or reset connection, TLS failure (a refused redirect
    is an :class:`APIStatusError` with its 3xx status)."""

    def __init__(
        self, message: str = "Connection error.", *, may_have_reached_server: bool = False
    ) -> None:
        super().__init__(message, may_have_reached_server=may_have_reached_server)


class APITimeoutError(APIConnectionError):
    """An attempt took longer than the timeout."""

    def __init__(
        self, message: str = "Request timed out.", *, may_have_reached_server: bool = True
    ) -> None:
        super().__init__(message, may_have_reached_server=may_have_reached_server)


class APIResponseValidationError(DelegirError):
    """A successful (2xx) response came back but is not the documented envelope or shape, or is
    too large."""

    status_code: Optional[int]
    """The HTTP status of the offending response, if known."""
    body: Optional[str]
    """The first characters of the offending body."""

    def __init__(
        self,
        message: str,
        *,
        status_code: Optional[int] = None,
        body: Optional[str] = None,
        may_have_reached_server: bool = True,
        rate_limit: Union[RateLimit, Mapping[str, Any], None] = None,
        retry_after: Optional[float] = None,
        headers: Union[Mapping[str, str], Sequence[Tuple[str, str]], None] = None,
    ) -> None:
        super().__init__(message, may_have_reached_server=may_have_reached_server)
        self.status_code = status_code
        self.body = body
        pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers or [])
        self.headers = ResponseHeaders(pairs)
        self.rate_limit = _rate_limit(rate_limit)
        self.retry_after = retry_after

    def _kwargs(self) -> Dict[str, Any]:
        return {
            **super()._kwargs(),
            "status_code": self.status_code,
            "body": self.body,
            "rate_limit": self.rate_limit,
            "headers": dict(self.headers),
        }
