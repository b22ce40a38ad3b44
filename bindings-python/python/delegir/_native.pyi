"""Type stubs of ``delegir._native``, the pyo3 extension (checked with ``mypy.stubtest``).

Every endpoint returns the Pydantic models of :mod:`delegir.types`, built by the native core from
the body it decoded once: ``name(...)`` returns a :class:`~delegir._call.Call` of the model (in a
running event loop; outside one, a coroutine that makes the call when run),
``NativeRunPager.next_page()`` the same of a page's runs (``None`` at the end); ``name_sync(...)``
blocks with the GIL released.
"""

from typing import Any, Callable, Coroutine, Dict, List, Optional, Tuple, final

from .types import Agent, AgentDetail, ChatReply, DeletedAgent, Run, RunPage, UpdatedAgent, Usage

__version__: str

_Observer = Callable[
    [int, str, str, str, Optional[int], int, float, float, Optional[str], bool], None
]

@final
class NativeCapture:
    def take(
        self,
    ) -> Optional[Tuple[int, List[Tuple[str, str]], Optional[Tuple[int, int, int]], int, float, bytes]]: ...

@final
class NativeClient:
    def __new__(
        cls,
        api_key: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        max_rate_limit_wait: Optional[float] = None,
        rate_limit: bool = True,
        http2_prior_knowledge: bool = False,
        on_attempt: Optional[_Observer] = None,
        log_level: int = 30,
        total_timeout: Optional[float] = None,
        default_headers: Optional[List[Tuple[str, str]]] = None,
        default_query: Optional[List[Tuple[str, str]]] = None,
        rate_limit_store: Optional[str] = None,
        allow_insecure_http: bool = False,
        proxy: Optional[str] = None,
        trust_env: bool = True,
        extra_ca_certs: Optional[str] = None,
        connect_timeout: Optional[float] = None,
    ) -> NativeClient: ...
    @property
    def base_url(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    def rate_limit(self) -> Optional[Tuple[int, int, int]]: ...
    def close(self) -> None: ...
    def with_options(
        self,
        *,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        total_timeout: Optional[float] = None,
        headers: Optional[List[Tuple[str, str]]] = None,
        query: Optional[List[Tuple[str, str]]] = None,
        body: Optional[str] = None,
    ) -> NativeClient: ...
    def capturing(self) -> Tuple[NativeClient, NativeCapture]: ...
    def agents_list(
        self, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> Coroutine[Any, Any, List[Agent]]: ...
    def agents_list_sync(
        self, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> List[Agent]: ...
    def agents_get(
        self, id: str, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> Coroutine[Any, Any, AgentDetail]: ...
    def agents_get_sync(
        self, id: str, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> AgentDetail: ...
    def agents_update(
        self,
        id: str,
        name: Optional[str] = None,
        status: Optional[str] = None,
        config: Optional[Dict[str, Any]] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> Coroutine[Any, Any, UpdatedAgent]: ...
    def agents_update_sync(
        self,
        id: str,
        name: Optional[str] = None,
        status: Optional[str] = None,
        config: Optional[Dict[str, Any]] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> UpdatedAgent: ...
    def agents_delete(
        self, id: str, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> Coroutine[Any, Any, DeletedAgent]: ...
    def agents_delete_sync(
        self, id: str, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> DeletedAgent: ...
    def agents_chat(
        self,
        id: str,
        message: str,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> Coroutine[Any, Any, ChatReply]: ...
    def agents_chat_sync(
        self,
        id: str,
        message: str,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> ChatReply: ...
    def agents_runs(
        self,
        id: str,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> Coroutine[Any, Any, RunPage]: ...
    def agents_runs_sync(
        self,
        id: str,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> RunPage: ...
    def runs_pager(
        self,
        id: str,
        page_size: Optional[int] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> NativeRunPager: ...
    def usage_get(
        self, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> Coroutine[Any, Any, Usage]: ...
    def usage_get_sync(
        self, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> Usage: ...

@final
class NativeRunPager:
    def next_page(self) -> Coroutine[Any, Any, Optional[List[Run]]]: ...
    def next_page_sync(self) -> Optional[List[Run]]: ...

@final
class NativeEmulator:
    def __new__(
        cls, *, rate_limit: int | None = None, rate_window: float = 60.0, port: int | None = None
    ) -> NativeEmulator: ...
    @property
    def base_url(self) -> str: ...
    @property
    def admin_url(self) -> str: ...
    @property
    def api_key(self) -> str: ...
    @property
    def running(self) -> bool: ...
    def new_api_key(self) -> str: ...
    def journal(self, api_key: Optional[str] = None) -> bytes: ...
    def clear_journal(self) -> None: ...
    def push_fault(self, rule_json: str) -> None: ...
    def clear_faults(self) -> None: ...
    def reset(self, api_key: Optional[str] = None) -> None: ...
    def revoke_key(self, api_key: str) -> None: ...
    def set_rate_limit(self, limit: int, window_secs: float) -> None: ...
    def shutdown(self) -> None: ...

# Test hooks (not API): calls whose task panics, for tests/test_panics.py.
def _call_that_panics() -> Coroutine[Any, Any, None]: ...
def _call_that_panics_sync() -> None: ...
