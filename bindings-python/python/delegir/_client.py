"""The clients: :class:`AsyncDelegir` (asyncio) and :class:`Delegir` (blocking).

Both are thin: they check argument *types* (``TypeError``) and hand the call to the native core,
which validates values, paces requests with the rate-limit ledger, retries, decodes the body once
and returns the Pydantic models of :mod:`delegir.types`, built from its own structs (the same way
for both clients). Value errors
(an empty id, ``limit=0``) come from the core as ``ValueError``, before anything is sent.

The asyncio methods are typed as coroutines, like ``async def`` methods, and are used the same
way. In a running event loop they return a :class:`~delegir._call.Call`: the request starts at
once and the call is an asyncio future of the model, so ``gather`` and ``wait_for`` need no task
per call. Called outside a loop (``asyncio.run(client.usage.get())``) they return a coroutine.
"""

from __future__ import annotations

import math
import os
from types import TracebackType
from typing import (
    TYPE_CHECKING,
    Any,
    Coroutine,
    Dict,
    List,
    Mapping,
    Optional,
    Type,
    Union,
)

from . import _logging
from ._call import coroutine_function
from ._exceptions import DelegirError
from ._native import NativeClient, NativeRunPager
from ._options import (
    NOT_GIVEN,
    Body,
    Headers,
    NotGiven,
    Query,
    RawResponseProxy,
    check_text,
    check_total_timeout,
    header_pairs,
    query_pairs,
    type_error,
)
from ._options import view as _view
from ._raw import AsyncRawClient, RawClient
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

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["AsyncDelegir", "Delegir"]

_CONFIG_TYPES: Dict[str, Any] = {
    "model": str,
    "system_prompt": str,
    "temperature": (int, float),
    "max_tokens": int,
}


def _check_str(name: str, value: object) -> None:
    if not isinstance(value, str):
        raise type_error(name, "a str", value)
    check_text(name, value)


def _check_int(name: str, value: object) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise type_error(name, "an int or None", value)


AttemptTimeout = Union[float, None, NotGiven]
"""A per-call ``timeout``: seconds per attempt, ``None`` for no per-attempt limit, or not given
(the client's ``timeout``), as in openai-python."""


def _attempt_timeout(timeout: AttemptTimeout) -> Optional[float]:
    """What the native side reads: ``None`` = the client's timeout, ``inf`` = no limit."""
    if isinstance(timeout, NotGiven):
        return None
    return math.inf if timeout is None else timeout


def _check_options(timeout: object, max_retries: object) -> None:
    if timeout is not None and not isinstance(timeout, NotGiven) and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))):
        raise type_error("timeout", "a number of seconds or None", timeout)
    _check_int("max_retries", max_retries)


def _config_dict(config: Union[AgentConfig, Mapping[str, Any], None]) -> Optional[Dict[str, Any]]:
    """``agents.update(config=...)`` as the plain dict the native side reads."""
    if config is None:
        return None
    if isinstance(config, AgentConfig):
        # Its fields and the unknown ones it kept (``model_extra``), checked as a dict's are: an
        # unknown field is refused, never dropped without a word.
        # Its unset fields are None: left out, as "leave unchanged".
        fields = {k: getattr(config, k) for k in _CONFIG_TYPES if getattr(config, k) is not None}
        config = {**fields, **(config.model_extra or {})}
    if not isinstance(config, Mapping):
        raise type_error("config", "an AgentConfig, a dict or None", config)
    result: Dict[str, Any] = {}
    for key, value in config.items():
        expected = _CONFIG_TYPES.get(key)
        if expected is None:
            known = ", ".join(_CONFIG_TYPES)
            raise TypeError(
                f"config got an unexpected key {key!r}; the keys are {known} (to send a field the"
                " SDK does not know yet, pass the whole config as extra_body={'config': {...}}"
                " instead of config=)"
            )
        # None in a dict is refused, not dropped: a caller who meant "clear the prompt" would
        # otherwise get a success that changed nothing. A field left out is left unchanged.
        if value is None or isinstance(value, bool) or not isinstance(value, expected):
            kind = {"temperature": "a number", "max_tokens": "an int"}.get(key, "a str")
            raise type_error(f"config[{key!r}]", kind + " (leave a field out to leave it unchanged)", value)
        result[key] = value
    return result


def _update_args(
    agent_id: object, name: object, status: object, config: Union[AgentConfig, Mapping[str, Any], None]
) -> Optional[Dict[str, Any]]:
    _check_str("agent_id", agent_id)
    if name is not None:
        _check_str("name", name)
    if status is not None:
        _check_str("status", status)
    return _config_dict(config)


def _native_client(
    api_key: Optional[str],
    base_url: Optional[str],
    timeout: Optional[float],
    max_retries: int,
    max_rate_limit_wait: float,
    rate_limit: bool,
    http2_prior_knowledge: bool,
    rate_limit_store: Optional[str] = None,
    network: Optional[Dict[str, Any]] = None,
    escape: Optional[Dict[str, Any]] = None,
) -> NativeClient:
    if api_key is not None:
        _check_str("api_key", api_key)
    if base_url is not None:
        _check_str("base_url", base_url)
    _check_options(timeout, max_retries)
    if not isinstance(rate_limit, bool):
        raise type_error("rate_limit", "a bool", rate_limit)
    if not isinstance(http2_prior_knowledge, bool):
        raise type_error("http2_prior_knowledge", "a bool", http2_prior_knowledge)
    if rate_limit_store is not None:
        _check_str("rate_limit_store", rate_limit_store)
    if isinstance(max_rate_limit_wait, bool) or not isinstance(max_rate_limit_wait, (int, float)):
        raise type_error("max_rate_limit_wait", "a number of seconds", max_rate_limit_wait)
    emit, level = _logging.observer()
    return NativeClient(
        api_key,
        base_url=base_url,
        # `timeout=None`: no per-attempt limit, which the core spells as an infinite timeout.
        timeout=math.inf if timeout is None else float(timeout),
        max_retries=max_retries,
        max_rate_limit_wait=float(max_rate_limit_wait),
        rate_limit=rate_limit,
        http2_prior_knowledge=http2_prior_knowledge,
        on_attempt=emit,
        log_level=level,
        rate_limit_store=rate_limit_store,
        **(network or {}),
        **(escape or {}),
    )


def _escape(total_timeout: object, default_headers: object, default_query: object) -> Dict[str, Any]:
    """The overall deadline and the default headers and query, type-checked, as the native client
    takes them (the core checks the header names and values)."""
    check_total_timeout(total_timeout)
    return {
        "total_timeout": None if total_timeout is None else float(total_timeout),  # type: ignore[arg-type]
        "default_headers": header_pairs("default_headers", default_headers),
        "default_query": query_pairs("default_query", default_query),
    }


class _Secret:
    """The API key (or a proxy or store URL with its password) kept for :meth:`copy`, never shown."""

    __slots__ = ("value",)

    def __init__(self, value: Optional[str]) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "'***'"


_VIEW_OPTIONS = frozenset({"timeout", "max_retries", "total_timeout"})


def _network(
    allow_insecure_http: object,
    proxy: object,
    trust_env: object,
    extra_ca_certs: object,
    connect_timeout: object = None,
) -> Dict[str, Any]:
    """The network keywords, type-checked, as the native client takes them."""
    if not isinstance(allow_insecure_http, bool):
        raise type_error("allow_insecure_http", "a bool", allow_insecure_http)
    if proxy is not None:
        _check_str("proxy", proxy)
    if not isinstance(trust_env, bool):
        raise type_error("trust_env", "a bool", trust_env)
    if extra_ca_certs is not None and not isinstance(extra_ca_certs, (str, os.PathLike)):
        raise type_error("extra_ca_certs", "a path (str or os.PathLike) or None", extra_ca_certs)
    if connect_timeout is not None and (
        isinstance(connect_timeout, bool) or not isinstance(connect_timeout, (int, float))
    ):
        raise type_error("connect_timeout", "a number of seconds or None", connect_timeout)
    return {
        "allow_insecure_http": allow_insecure_http,
        "proxy": proxy,
        "trust_env": trust_env,
        "extra_ca_certs": None if extra_ca_certs is None else os.fspath(extra_ca_certs),
        "connect_timeout": None if connect_timeout is None else float(connect_timeout),
    }


def _rate_limit(native: NativeClient) -> Optional[RateLimit]:
    raw = native.rate_limit()
    if raw is None:
        return None
    return RateLimit(limit=raw[0], remaining=raw[1], reset=raw[2])


class _ClientBase:
    """What the asyncio and the blocking client share: one constructor (so their keywords and
    defaults cannot drift apart), the native client, ``base_url``, ``rate_limit`` and a ``repr``
    that hides the key. Subclasses attach their resources in ``_attach``."""

    def __init__(
        self,
        api_key: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        timeout: Optional[float] = 60.0,
        total_timeout: Optional[float] = None,
        max_retries: int = 2,
        max_rate_limit_wait: float = 60.0,
        rate_limit: bool = True,
        http2_prior_knowledge: bool = False,
        rate_limit_store: Optional[str] = None,
        allow_insecure_http: bool = False,
        proxy: Optional[str] = None,
        trust_env: bool = True,
        extra_ca_certs: Union[str, os.PathLike[str], None] = None,
        connect_timeout: Optional[float] = None,
        default_headers: Headers = None,
        default_query: Query = None,
    ) -> None:
        # Every constructor option, for `copy` (the key wrapped so that nothing prints it).
        self._options: Dict[str, Any] = {
            "api_key": _Secret(api_key),
            "base_url": base_url,
            "timeout": timeout,
            "total_timeout": total_timeout,
            "max_retries": max_retries,
            "max_rate_limit_wait": max_rate_limit_wait,
            "rate_limit": rate_limit,
            "http2_prior_knowledge": http2_prior_knowledge,
            "rate_limit_store": _Secret(rate_limit_store),
            "allow_insecure_http": allow_insecure_http,
            "proxy": _Secret(proxy),
            "trust_env": trust_env,
            "extra_ca_certs": extra_ca_certs,
            "connect_timeout": connect_timeout,
            "default_headers": default_headers,
            "default_query": default_query,
        }
        self._native = _native_client(
            api_key,
            base_url,
            timeout,
            max_retries,
            max_rate_limit_wait,
            rate_limit,
            http2_prior_knowledge,
            rate_limit_store,
            _network(allow_insecure_http, proxy, trust_env, extra_ca_certs, connect_timeout),
            _escape(total_timeout, default_headers, default_query),
        )
        self._attach(self._native)

    def _attach(self, native: NativeClient) -> None:
        raise NotImplementedError

    def _view(self, native: NativeClient, options: Dict[str, Any]) -> Self:
        """A client of this class over `native` (a view of this one's native client)."""
        clone = object.__new__(type(self))
        clone._options = options
        clone._native = native
        clone._attach(native)
        return clone

    def with_options(
        self,
        *,
        timeout: Union[float, NotGiven, None] = NOT_GIVEN,
        max_retries: Union[int, NotGiven] = NOT_GIVEN,
        total_timeout: Union[float, NotGiven, None] = NOT_GIVEN,
        default_headers: Headers = None,
        default_query: Query = None,
    ) -> Self:
        """A client with these options over this one's, sharing its connection pool, its
        rate-limit ledger and its lifetime (closing either closes both). ``timeout=None``: no
        per-attempt limit; ``total_timeout=None``: no overall limit. Headers and query parameters
        are added to this client's defaults.

        >>> patient = client.with_options(timeout=120, max_retries=5)   # doctest: +SKIP
        """
        if not isinstance(timeout, NotGiven) and timeout is not None:
            _check_options(timeout, None)
        if not isinstance(max_retries, NotGiven):
            _check_options(None, max_retries)
        if not isinstance(total_timeout, NotGiven):
            check_total_timeout(total_timeout)
        native = self._native.with_options(
            timeout=None if isinstance(timeout, NotGiven) else (math.inf if timeout is None else float(timeout)),
            max_retries=None if isinstance(max_retries, NotGiven) else max_retries,
            # `None`: no overall limit, which the core spells as an infinite one.
            total_timeout=None
            if isinstance(total_timeout, NotGiven)
            else (math.inf if total_timeout is None else float(total_timeout)),
            headers=header_pairs("default_headers", default_headers),
            query=query_pairs("default_query", default_query),
        )
        options = dict(self._options)
        for key, value in (("timeout", timeout), ("max_retries", max_retries), ("total_timeout", total_timeout)):
            if not isinstance(value, NotGiven):
                options[key] = value
        for key, added in (("default_headers", default_headers), ("default_query", default_query)):
            if added is not None:
                options[key] = {**(options[key] or {}), **added}
        return self._view(native, options)

    def copy(self, **changes: Any) -> Self:
        """A client with the constructor options of this one, changed by ``changes`` (any
        constructor keyword). Changes to ``timeout``, ``max_retries`` and ``total_timeout`` only
        make a view (see :meth:`with_options`: shared pool and ledger); any other (such as
        ``default_headers``, which are then replaced rather than added to) makes a new client
        with its own pool (the rate-limit ledger is still shared by every client of the same key
        and base URL in the process)."""
        unknown = set(changes) - set(self._options)
        if unknown:
            known = ", ".join(sorted(self._options))
            raise TypeError(f"copy() got unexpected option(s) {', '.join(sorted(unknown))}; the options are {known}")
        options = {**self._options, **changes}
        if set(changes) <= _VIEW_OPTIONS:
            return self.with_options(**changes)
        return self._rebuild(options)

    def _rebuild(self, options: Dict[str, Any]) -> Self:
        kwargs: Dict[str, Any] = {k: v.value if isinstance(v, _Secret) else v for k, v in options.items()}
        key = kwargs.pop("api_key")
        return type(self)(key, **kwargs)

    def _raw_proxy(self) -> RawResponseProxy:
        """What ``with_raw_response`` is made of (see the subclasses' typed property)."""
        cls = type(self)
        options = self._options

        def make(native: NativeClient) -> Any:
            clone = object.__new__(cls)
            clone._options = options
            clone._native = native
            clone._attach(native)
            return clone

        return RawResponseProxy(make, self._native, isinstance(self, AsyncDelegir))

    @property
    def base_url(self) -> str:
        """The base URL requests go to."""
        return self._native.base_url

    @property
    def rate_limit(self) -> Optional[RateLimit]:
        """The rate-limit headers of the last response this client received, or ``None``."""
        return _rate_limit(self._native)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, api_key='***')"


# --------------------------------------------------------------------------------------------
# asyncio


class AsyncRunIterator:
    """Every run of an agent, newest first, fetched lazily one page per request."""

    def __init__(self, pager: NativeRunPager) -> None:
        self._pager = pager
        self._buffer: List[Run] = []
        self._index = 0
        self._done = False

    def __aiter__(self) -> AsyncRunIterator:
        return self

    async def __anext__(self) -> Run:
        while self._index >= len(self._buffer):
            if self._done:
                raise StopAsyncIteration
            page = await self._pager.next_page()
            if page is None:
                self._done = True
                raise StopAsyncIteration
            self._buffer, self._index = page, 0
        run = self._buffer[self._index]
        self._index += 1
        return run

    async def aclose(self) -> None:
        """Stops the iteration: no further page is fetched (as an async generator's ``aclose``,
        so ``contextlib.aclosing`` works)."""
        self._done = True
        self._buffer, self._index = [], 0


class AsyncRuns:
    """``client.agents.runs``: the run history of an agent."""

    def __init__(self, native: NativeClient) -> None:
        self._native = native

    @coroutine_function
    def list(
        self,
        agent_id: str,
        /,
        *,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        timeout: AttemptTimeout = NOT_GIVEN,
        max_retries: Optional[int] = None,
        extra_headers: Headers = None,
        extra_query: Query = None,
        extra_body: Body = None,
        total_timeout: Optional[float] = None,
    ) -> Coroutine[object, None, RunPage]:
        """One page of runs, newest first (``limit`` 1–100, default 20; ``offset`` default 0)."""
        _check_str("agent_id", agent_id)
        _check_int("limit", limit)
        _check_int("offset", offset)
        _check_options(timeout, max_retries)
        native = _view(self._native, extra_headers, extra_query, extra_body, total_timeout)
        return native.agents_runs(agent_id, limit, offset, _attempt_timeout(timeout), max_retries)

    def iter(
        self,
        agent_id: str,
        /,
        *,
        page_size: Optional[int] = None,
        timeout: AttemptTimeout = NOT_GIVEN,
        max_retries: Optional[int] = None,
        extra_headers: Headers = None,
        extra_query: Query = None,
        extra_body: Body = None,
        total_timeout: Optional[float] = None,
    ) -> AsyncRunIterator:
        """Every run, newest first: ``async for run in client.agents.runs.iter(id)``.

        Pages of ``page_size`` (default 100, the largest) are fetched as the loop needs them;
        runs created while paging do not make it yield a run twice.
        """
        _check_str("agent_id", agent_id)
        _check_int("page_size", page_size)
        _check_options(timeout, max_retries)
        native = _view(self._native, extra_headers, extra_query, extra_body, total_timeout)
        return AsyncRunIterator(native.runs_pager(agent_id, page_size, _attempt_timeout(timeout), max_retries))


class AsyncAgents:
    """``client.agents``: list, get, update, delete and chat with agents."""

    runs: AsyncRuns
    """Run history: ``runs.list(id)`` and ``runs.iter(id)``."""

    def __init__(self, native: NativeClient) -> None:
        self._native = native
        self.runs = AsyncRuns(native)

    @coroutine_function
    def list(
        self, *, timeout: AttemptTimeout = NOT_GIVEN, max_retries: Optional[int] = None, extra_headers: Headers = None, extra_query: Query = None, extra_body: Body = None, total_timeout: Optional[float] = None
    ) -> Coroutine[object, None, List[Agent]]:
        """Every agent of the key's owner."""
        _check_options(timeout, max_retries)
        native = _view(self._native, extra_headers, extra_query, extra_body, total_timeout)
        return native.agents_list(_attempt_timeout(timeout), max_retries)

    @coroutine_function
    def get(
        self, agent_id: str, /, *, timeout: AttemptTimeout = NOT_GIVEN, max_retries: Optional[int] = None, extra_headers: Headers = None, extra_query: Query = None, extra_body: Body = None, total_timeout: Optional[float] = None
    ) -> Coroutine[object, None, AgentDetail]:
        """One agent with its configuration and channels."""
        _check_str("agent_id", agent_id)
        _check_options(timeout, max_retries)
        native = _view(self._native, extra_headers, extra_query, extra_body, total_timeout)
        return native.agents_get(agent_id, _attempt_timeout(timeout), max_retries)

    @coroutine_function
    def update(
        self,
        agent_id: str,
        /,
        *,
        name: Optional[str] = None,
        status: Optional[str] = None,
        config: Union[AgentConfig, Mapping[str, Any], None] = None,
        timeout: AttemptTimeout = NOT_GIVEN,
        max_retries: Optional[int] = None,
        extra_headers: Headers = None,
        extra_query: Query = None,
        extra_body: Body = None,
        total_timeout: Optional[float] = None,
    ) -> Coroutine[object, None, UpdatedAgent]:
        """Changes the given fields only. ``status`` is ``"active"`` or ``"paused"``; ``config``
        is an :class:`AgentConfig` or a dict with any of ``model``, ``system_prompt``,
        ``temperature`` (0–2) and ``max_tokens`` (at least 1)."""
        config_dict = _update_args(agent_id, name, status, config)
        _check_options(timeout, max_retries)
        native = _view(self._native, extra_headers, extra_query, extra_body, total_timeout)
        return native.agents_update(
            agent_id, name, status, config_dict, _attempt_timeout(timeout), max_retries
        )

    @coroutine_function
    def delete(
        self, agent_id: str, /, *, timeout: AttemptTimeout = NOT_GIVEN, max_retries: Optional[int] = None, extra_headers: Headers = None, extra_query: Query = None, extra_body: Body = None, total_timeout: Optional[float] = None
    ) -> Coroutine[object, None, DeletedAgent]:
        """Deletes the agent with its runs and channel connections."""
        _check_str("agent_id", agent_id)
        _check_options(timeout, max_retries)
        native = _view(self._native, extra_headers, extra_query, extra_body, total_timeout)
        return native.agents_delete(agent_id, _attempt_timeout(timeout), max_retries)

    @coroutine_function
    def chat(
        self,
        agent_id: str,
        message: str,
        /,
        *,
        timeout: AttemptTimeout = NOT_GIVEN,
        max_retries: Optional[int] = None,
        extra_headers: Headers = None,
        extra_query: Query = None,
        extra_body: Body = None,
        total_timeout: Optional[float] = None,
    ) -> Coroutine[object, None, ChatReply]:
        """Sends ``message`` and returns the agent's reply. Each chat is a billed run, so it is
        never resent once it may have reached the server (the error then has
        ``may_have_reached_server=True``)."""
        _check_str("agent_id", agent_id)
        _check_str("message", message)
        _check_options(timeout, max_retries)
        native = _view(self._native, extra_headers, extra_query, extra_body, total_timeout)
        return native.agents_chat(agent_id, message, _attempt_timeout(timeout), max_retries)


class AsyncUsage:
    """``client.usage``."""

    def __init__(self, native: NativeClient) -> None:
        self._native = native

    @coroutine_function
    def get(
        self, *, timeout: AttemptTimeout = NOT_GIVEN, max_retries: Optional[int] = None, extra_headers: Headers = None, extra_query: Query = None, extra_body: Body = None, total_timeout: Optional[float] = None
    ) -> Coroutine[object, None, Usage]:
        """Usage and limits of the current billing period."""
        _check_options(timeout, max_retries)
        native = _view(self._native, extra_headers, extra_query, extra_body, total_timeout)
        return native.usage_get(_attempt_timeout(timeout), max_retries)


class AsyncDelegir(_ClientBase):
    """The asyncio client of the Delegir API.

    ``api_key`` defaults to ``DELEGIR_API_KEY`` and ``base_url`` to ``DELEGIR_BASE_URL`` (else
    ``https://delegir.com/api/v1``). ``timeout`` is per attempt, in seconds; ``max_retries`` counts
    retries after the first attempt; a rate-limit wait longer than ``max_rate_limit_wait`` seconds
    raises ``RateLimitError`` at once; ``rate_limit=False`` turns off the shared rate-limit ledger.
    ``proxy="http://user:pass@host:3128"`` sends requests through that proxy (default: the
    ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY`` / ``NO_PROXY`` variables, unless
    ``trust_env=False``); ``extra_ca_certs="ca.pem"`` trusts those certificate authorities too;
    ``allow_insecure_http=True`` allows plain ``http://`` to a host that is not loopback.

    >>> async with AsyncDelegir() as client:          # doctest: +SKIP
    ...     for agent in await client.agents.list():
    ...         print(agent.name)
    """

    agents: AsyncAgents
    """Agents: ``list``, ``get``, ``update``, ``delete``, ``chat``, ``runs``."""
    usage: AsyncUsage
    """Usage of the current billing period: ``usage.get()``."""

    def _attach(self, native: NativeClient) -> None:
        self.agents = AsyncAgents(native)
        self.usage = AsyncUsage(native)

    @property
    def with_raw_response(self) -> AsyncRawClient:
        """The resources again, whose methods return an awaitable of a
        :class:`~delegir.RawResponse` (status, case-insensitive headers, this call's rate limit,
        attempts, elapsed time, text and ``parse()``) instead of the model::

            raw = await client.with_raw_response.agents.get("agt_abc123")
            print(raw.status_code, raw.headers["x-ratelimit-remaining"], raw.parse().name)
        """
        return AsyncRawClient(self._raw_proxy())

    async def close(self) -> None:
        """Releases the connection pool; later calls raise :class:`DelegirError`."""
        self._native.close()

    async def __aenter__(self) -> Self:
        # A closed client would only fail at its first call; entering says so at once.
        if self._native.closed:
            raise DelegirError("the client is closed; create a new one")
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.close()


# --------------------------------------------------------------------------------------------
# blocking


class RunIterator:
    """Every run of an agent, newest first, fetched lazily one page per request."""

    def __init__(self, pager: NativeRunPager) -> None:
        self._pager = pager
        self._buffer: List[Run] = []
        self._index = 0
        self._done = False

    def __iter__(self) -> RunIterator:
        return self

    def __next__(self) -> Run:
        while self._index >= len(self._buffer):
            if self._done:
                raise StopIteration
            page = self._pager.next_page_sync()
            if page is None:
                self._done = True
                raise StopIteration
            self._buffer, self._index = page, 0
        run = self._buffer[self._index]
        self._index += 1
        return run

    def close(self) -> None:
        """Stops the iteration: no further page is fetched (as a generator's ``close``, so
        ``contextlib.closing`` works)."""
        self._done = True
        self._buffer, self._index = [], 0


class Runs:
    """``client.agents.runs``: the run history of an agent."""

    def __init__(self, native: NativeClient) -> None:
        self._native = native

    def list(
        self,
        agent_id: str,
        /,
        *,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        timeout: AttemptTimeout = NOT_GIVEN,
        max_retries: Optional[int] = None,
        extra_headers: Headers = None,
        extra_query: Query = None,
        extra_body: Body = None,
        total_timeout: Optional[float] = None,
    ) -> RunPage:
        """One page of runs, newest first (``limit`` 1–100, default 20; ``offset`` default 0)."""
        _check_str("agent_id", agent_id)
        _check_int("limit", limit)
        _check_int("offset", offset)
        _check_options(timeout, max_retries)
        native = _view(self._native, extra_headers, extra_query, extra_body, total_timeout)
        return native.agents_runs_sync(agent_id, limit, offset, _attempt_timeout(timeout), max_retries)

    def iter(
        self,
        agent_id: str,
        /,
        *,
        page_size: Optional[int] = None,
        timeout: AttemptTimeout = NOT_GIVEN,
        max_retries: Optional[int] = None,
        extra_headers: Headers = None,
        extra_query: Query = None,
        extra_body: Body = None,
        total_timeout: Optional[float] = None,
    ) -> RunIterator:
        """Every run, newest first: ``for run in client.agents.runs.iter(id)``.

        Pages of ``page_size`` (default 100, the largest) are fetched as the loop needs them;
        runs created while paging do not make it yield a run twice.
        """
        _check_str("agent_id", agent_id)
        _check_int("page_size", page_size)
        _check_options(timeout, max_retries)
        native = _view(self._native, extra_headers, extra_query, extra_body, total_timeout)
        return RunIterator(native.runs_pager(agent_id, page_size, _attempt_timeout(timeout), max_retries))


class Agents:
    """``client.agents``: list, get, update, delete and chat with agents."""

    runs: Runs
    """Run history: ``runs.list(id)`` and ``runs.iter(id)``."""

    def __init__(self, native: NativeClient) -> None:
        self._native = native
        self.runs = Runs(native)

    def list(
        self, *, timeout: AttemptTimeout = NOT_GIVEN, max_retries: Optional[int] = None, extra_headers: Headers = None, extra_query: Query = None, extra_body: Body = None, total_timeout: Optional[float] = None
    ) -> List[Agent]:
        """Every agent of the key's owner."""
        _check_options(timeout, max_retries)
        native = _view(self._native, extra_headers, extra_query, extra_body, total_timeout)
        return native.agents_list_sync(_attempt_timeout(timeout), max_retries)

    def get(
        self, agent_id: str, /, *, timeout: AttemptTimeout = NOT_GIVEN, max_retries: Optional[int] = None, extra_headers: Headers = None, extra_query: Query = None, extra_body: Body = None, total_timeout: Optional[float] = None
    ) -> AgentDetail:
        """One agent with its configuration and channels."""
        _check_str("agent_id", agent_id)
        _check_options(timeout, max_retries)
        native = _view(self._native, extra_headers, extra_query, extra_body, total_timeout)
        return native.agents_get_sync(agent_id, _attempt_timeout(timeout), max_retries)

    def update(
        self,
        agent_id: str,
        /,
        *,
        name: Optional[str] = None,
        status: Optional[str] = None,
        config: Union[AgentConfig, Mapping[str, Any], None] = None,
        timeout: AttemptTimeout = NOT_GIVEN,
        max_retries: Optional[int] = None,
        extra_headers: Headers = None,
        extra_query: Query = None,
        extra_body: Body = None,
        total_timeout: Optional[float] = None,
    ) -> UpdatedAgent:
        """Changes the given fields only. ``status`` is ``"active"`` or ``"paused"``; ``config``
        is an :class:`AgentConfig` or a dict with any of ``model``, ``system_prompt``,
        ``temperature`` (0–2) and ``max_tokens`` (at least 1)."""
        config_dict = _update_args(agent_id, name, status, config)
        _check_options(timeout, max_retries)
        native = _view(self._native, extra_headers, extra_query, extra_body, total_timeout)
        return native.agents_update_sync(agent_id, name, status, config_dict, _attempt_timeout(timeout), max_retries)

    def delete(
        self, agent_id: str, /, *, timeout: AttemptTimeout = NOT_GIVEN, max_retries: Optional[int] = None, extra_headers: Headers = None, extra_query: Query = None, extra_body: Body = None, total_timeout: Optional[float] = None
    ) -> DeletedAgent:
        """Deletes the agent with its runs and channel connections."""
        _check_str("agent_id", agent_id)
        _check_options(timeout, max_retries)
        native = _view(self._native, extra_headers, extra_query, extra_body, total_timeout)
        return native.agents_delete_sync(agent_id, _attempt_timeout(timeout), max_retries)

    def chat(
        self,
        agent_id: str,
        message: str,
        /,
        *,
        timeout: AttemptTimeout = NOT_GIVEN,
        max_retries: Optional[int] = None,
        extra_headers: Headers = None,
        extra_query: Query = None,
        extra_body: Body = None,
        total_timeout: Optional[float] = None,
    ) -> ChatReply:
        """Sends ``message`` and returns the agent's reply. Each chat is a billed run, so it is
        never resent once it may have reached the server (the error then has
        ``may_have_reached_server=True``)."""
        _check_str("agent_id", agent_id)
        _check_str("message", message)
        _check_options(timeout, max_retries)
        native = _view(self._native, extra_headers, extra_query, extra_body, total_timeout)
        return native.agents_chat_sync(agent_id, message, _attempt_timeout(timeout), max_retries)


class UsageResource:
    """``client.usage``."""

    def __init__(self, native: NativeClient) -> None:
        self._native = native

    def get(self, *, timeout: AttemptTimeout = NOT_GIVEN, max_retries: Optional[int] = None, extra_headers: Headers = None, extra_query: Query = None, extra_body: Body = None, total_timeout: Optional[float] = None) -> Usage:
        """Usage and limits of the current billing period."""
        _check_options(timeout, max_retries)
        native = _view(self._native, extra_headers, extra_query, extra_body, total_timeout)
        return native.usage_get_sync(_attempt_timeout(timeout), max_retries)


class Delegir(_ClientBase):
    """The blocking client of the Delegir API (the GIL is released while waiting, so threads
    run their requests in parallel).

    ``api_key`` defaults to ``DELEGIR_API_KEY`` and ``base_url`` to ``DELEGIR_BASE_URL`` (else
    ``https://delegir.com/api/v1``). ``timeout`` is per attempt, in seconds; ``max_retries`` counts
    retries after the first attempt; a rate-limit wait longer than ``max_rate_limit_wait`` seconds
    raises ``RateLimitError`` at once; ``rate_limit=False`` turns off the shared rate-limit ledger.
    ``proxy="http://user:pass@host:3128"`` sends requests through that proxy (default: the
    ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY`` / ``NO_PROXY`` variables, unless
    ``trust_env=False``); ``extra_ca_certs="ca.pem"`` trusts those certificate authorities too;
    ``allow_insecure_http=True`` allows plain ``http://`` to a host that is not loopback.

    >>> with Delegir() as client:                     # doctest: +SKIP
    ...     for agent in client.agents.list():
    ...         print(agent.name)
    """

    agents: Agents
    """Agents: ``list``, ``get``, ``update``, ``delete``, ``chat``, ``runs``."""
    usage: UsageResource
    """Usage of the current billing period: ``usage.get()``."""

    def _attach(self, native: NativeClient) -> None:
        self.agents = Agents(native)
        self.usage = UsageResource(native)

    @property
    def with_raw_response(self) -> RawClient:
        """The resources again, whose methods return a :class:`~delegir.RawResponse` (status,
        case-insensitive headers, this call's rate limit, attempts, elapsed time, text and
        ``parse()``) instead of the model::

            raw = client.with_raw_response.agents.get("agt_abc123")
            print(raw.status_code, raw.headers["x-ratelimit-remaining"], raw.parse().name)
        """
        return RawClient(self._raw_proxy())

    def close(self) -> None:
        """Releases the connection pool; later calls raise :class:`DelegirError`."""
        self._native.close()

    def __enter__(self) -> Self:
        if self._native.closed:
            raise DelegirError("the client is closed; create a new one")
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()
