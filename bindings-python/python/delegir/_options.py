"""Escape hatches: extra headers, query parameters and body fields per call, the overall
deadline, option views and raw responses.

Every check of a name or value (reserved headers such as ``X-API-Key``, line breaks in values)
is the native core's; this module checks Python types and converts.
"""

from __future__ import annotations

import datetime
import json
import math
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Generic,
    Iterator,
    List,
    Mapping,
    Optional,
    Tuple,
    TypeVar,
    Union,
)

from .types import RateLimit

if TYPE_CHECKING:
    from ._native import NativeCapture, NativeClient

__all__ = ["NOT_GIVEN", "Body", "Headers", "NotGiven", "Query", "RawResponse", "ResponseHeaders"]

_T = TypeVar("_T")

Headers = Optional[Mapping[str, str]]
"""Extra or default headers: names and values as ``str``."""
Query = Optional[Mapping[str, Union[str, int, float, bool]]]
"""Extra or default query parameters."""
Body = Optional[Mapping[str, Any]]
"""Extra top-level fields of the JSON body (any JSON value)."""


class NotGiven:
    """The default of options where ``None`` means something (``timeout=None``: no limit)."""

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = NotGiven()


def type_error(name: str, expected: str, value: object) -> TypeError:
    return TypeError(f"{name} must be {expected}, got {type(value).__name__}")


def check_text(name: str, value: str) -> None:
    """``ValueError`` for a lone surrogate (``'\\ud800'``), which has no UTF-8 form: said here,
    naming the argument, rather than as a ``UnicodeEncodeError`` from inside the extension."""
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as e:
            raise ValueError(
                f"{name} must be valid Unicode text; it has a lone surrogate at position {e.start}"
            ) from None


def header_pairs(name: str, headers: object) -> Optional[List[Tuple[str, str]]]:
    """A headers mapping as ``(name, value)`` pairs; ``TypeError`` for anything but ``str``."""
    if headers is None:
        return None
    if not isinstance(headers, Mapping):
        raise type_error(name, "a dict of str to str or None", headers)
    pairs: List[Tuple[str, str]] = []
    for key, value in headers.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"{name} must map str to str, got {key!r}: {type(value).__name__}")
        check_text(f"{name} name {key!r}", key)
        check_text(f"{name}[{key!r}]", value)
        pairs.append((key, value))
    return pairs


def query_pairs(name: str, query: object) -> Optional[List[Tuple[str, str]]]:
    """A query mapping as ``(name, value)`` pairs (``True`` is sent as ``true``)."""
    if query is None:
        return None
    if not isinstance(query, Mapping):
        raise type_error(name, "a dict or None", query)
    pairs: List[Tuple[str, str]] = []
    for key, value in query.items():
        if not isinstance(key, str):
            raise TypeError(f"{name} keys must be str, got {key!r}")
        check_text(f"{name} name {key!r}", key)
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{name}[{key!r}] must be a finite number, got {value!r}")
        elif isinstance(value, str):
            check_text(f"{name}[{key!r}]", value)
            text = value
        elif isinstance(value, (int, float)):
            text = str(value)
        else:
            raise TypeError(f"{name}[{key!r}] must be a str, int, float or bool, got {type(value).__name__}")
        pairs.append((key, text))
    return pairs


def body_json(body: object) -> Optional[str]:
    """Extra body fields as the JSON object text the native side merges."""
    if body is None:
        return None
    if not isinstance(body, Mapping):
        raise type_error("extra_body", "a dict or None", body)
    _check_json("extra_body", body)
    return json.dumps(dict(body), allow_nan=False)


# The integers JSON numbers carry exactly through the core (serde_json reads i64 and u64; a
# larger one would be sent rounded to a float).
_JSON_INT_MIN = -(2**63)
_JSON_INT_MAX = 2**64 - 1


def _check_json(path: str, value: object) -> None:
    """Refuses, naming the field, what ``json.dumps`` would send changed or the core could not
    read: non-finite floats, integers beyond 64 bits, lone surrogates, non-JSON types."""
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if not _JSON_INT_MIN <= value <= _JSON_INT_MAX:
            raise ValueError(f"{path} is an integer beyond 64 bits, which cannot be sent exactly; send it as a str")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{path} must be a finite number to be sent as JSON, got {value!r}")
    elif isinstance(value, str):
        check_text(path, value)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_json(f"{path}[{i}]", item)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path} keys must be str to be sent as JSON, got {key!r}")
            check_text(f"{path} key {key!r}", key)
            _check_json(f"{path}[{key!r}]", item)
    else:
        raise TypeError(f"{path} must hold JSON values only (str, int, float, bool, None, list, dict), got {type(value).__name__}")


def check_total_timeout(total_timeout: object) -> None:
    if total_timeout is not None and (isinstance(total_timeout, bool) or not isinstance(total_timeout, (int, float))):
        raise type_error("total_timeout", "a number of seconds or None", total_timeout)


def view(
    native: NativeClient,
    extra_headers: object,
    extra_query: object,
    extra_body: object,
    total_timeout: object,
) -> NativeClient:
    """``native`` itself when a call has no extras (the usual case: nothing is made), else a
    view of it with them."""
    if extra_headers is None and extra_query is None and extra_body is None and total_timeout is None:
        return native
    check_total_timeout(total_timeout)
    return native.with_options(
        total_timeout=None if total_timeout is None else float(total_timeout),  # type: ignore[arg-type]
        headers=header_pairs("extra_headers", extra_headers),
        query=query_pairs("extra_query", extra_query),
        body=body_json(extra_body),
    )


class ResponseHeaders(Mapping[str, str]):
    """A response's headers: a read-only mapping whose keys compare without case
    (``headers["x-request-id"]`` and ``headers["X-Request-Id"]`` are the same); a repeated header's
    values are joined with ``", "``."""

    def __init__(self, pairs: List[Tuple[str, str]]) -> None:
        joined: Dict[str, str] = {}
        for name, value in pairs:
            key = name.lower()
            joined[key] = f"{joined[key]}, {value}" if key in joined else value
        self._headers = joined

    def __getitem__(self, key: str) -> str:
        return self._headers[key.lower()]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._headers

    def __iter__(self) -> Iterator[str]:
        return iter(self._headers)

    def __len__(self) -> int:
        return len(self._headers)

    def __repr__(self) -> str:
        return f"ResponseHeaders({self._headers!r})"


class RawResponse(Generic[_T]):
    """The response of one call, with what it decoded to: ``client.with_raw_response...``.

    ``rate_limit`` is this call's (not the client's latest), ``attempts`` counts every attempt
    (1 when the first succeeded) and ``elapsed`` runs from the call's start to its response,
    waits and retries included. :meth:`parse` returns the model."""

    status_code: int
    headers: ResponseHeaders
    rate_limit: Optional[RateLimit]
    attempts: int
    elapsed: datetime.timedelta
    content: bytes

    def __init__(self, captured: Any, parsed: _T) -> None:
        status, pairs, rate_limit, attempts, elapsed, body = captured
        self.status_code = status
        self.headers = ResponseHeaders(pairs)
        self.rate_limit = (
            None if rate_limit is None else RateLimit(limit=rate_limit[0], remaining=rate_limit[1], reset=rate_limit[2])
        )
        self.attempts = attempts
        self.elapsed = datetime.timedelta(seconds=elapsed)
        self.content = body
        self._parsed = parsed

    @property
    def text(self) -> str:
        """The body as text."""
        return self.content.decode("utf-8", errors="replace")

    @property
    def request_id(self) -> Optional[str]:
        """The server's ``X-Request-Id``, if it sent one."""
        return self.headers.get("x-request-id")

    def json(self) -> Any:
        """The body as parsed JSON (the whole ``{"data": ...}`` envelope)."""
        return json.loads(self.content)

    def parse(self) -> _T:
        """The model the call returns."""
        return self._parsed

    def __repr__(self) -> str:
        return f"<RawResponse [{self.status_code}] attempts={self.attempts}>"


def raw_response(capture: NativeCapture, parsed: _T) -> RawResponse[_T]:
    captured = capture.take()
    if captured is None:  # pragma: no cover - a call that succeeded had a response
        raise RuntimeError("the call completed without a response to show")
    return RawResponse(captured, parsed)


class RawResponseProxy:
    """``client.with_raw_response``: the client's resources, whose methods return a
    :class:`RawResponse` (awaitable of one, on :class:`~delegir.AsyncDelegir`) instead of the
    model. ``runs.iter`` has none (it makes many requests): use ``runs.list``."""

    def __init__(self, make: Callable[[NativeClient], Any], native: NativeClient, asynchronous: bool, path: Tuple[str, ...] = ()) -> None:
        self._make = make
        self._native = native
        self._async = asynchronous
        self._path = path

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        path = (*self._path, name)
        target: Any = self._make(self._native)
        for part in path:
            target = getattr(target, part)
        if not callable(target):
            return RawResponseProxy(self._make, self._native, self._async, path)
        if name == "iter":
            raise AttributeError("runs.iter makes one request per page and has no raw response; use runs.list")
        return self._method(path)

    def _method(self, path: Tuple[str, ...]) -> Callable[..., Any]:
        def resolve(native: NativeClient) -> Any:
            target: Any = self._make(native)
            for part in path:
                target = getattr(target, part)
            return target

        if self._async:

            async def call_async(*args: Any, **kwargs: Any) -> RawResponse[Any]:
                view, capture = self._native.capturing()
                parsed = await resolve(view)(*args, **kwargs)
                return raw_response(capture, parsed)

            return call_async

        def call(*args: Any, **kwargs: Any) -> RawResponse[Any]:
            view, capture = self._native.capturing()
            return raw_response(capture, resolve(view)(*args, **kwargs))

        return call

    def __repr__(self) -> str:
        return f"<with_raw_response {'.'.join(self._path) or 'client'}>"
