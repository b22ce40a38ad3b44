"""Type stubs of ``delegir._native``, the pyo3 extension (checked with ``mypy.stubtest``).

Every endpoint sends the model to Python as JSON bytes, for Pydantic to validate:
``name(decode, ...)`` returns a :class:`~delegir._call.Call` of ``decode(json)`` (in a running
event loop; outside one, a coroutine that makes the call when run), ``NativeRunPager.next_page()``
the same of the bytes; ``name_sync(...)`` blocks with the GIL released.
"""

from typing import Any, Callable, Coroutine, Dict, Optional, Tuple, TypeVar, final

_T = TypeVar("_T")

__version__: str

_Observer = Callable[
    [int, str, str, str, Optional[int], int, float, float, Optional[str], bool], None
]

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
    ) -> NativeClient: ...
    @property
    def base_url(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    def rate_limit(self) -> Optional[Tuple[int, int, int]]: ...
    def close(self) -> None: ...
    def agents_list(
        self, decode: Callable[[bytes], _T], timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> Coroutine[Any, Any, _T]: ...
    def agents_list_sync(
        self, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> bytes: ...
    def agents_get(
        self, decode: Callable[[bytes], _T], id: str, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> Coroutine[Any, Any, _T]: ...
    def agents_get_sync(
        self, id: str, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> bytes: ...
    def agents_update(
        self,
        decode: Callable[[bytes], _T],
        id: str,
        name: Optional[str] = None,
        status: Optional[str] = None,
        config: Optional[Dict[str, Any]] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> Coroutine[Any, Any, _T]: ...
    def agents_update_sync(
        self,
        id: str,
        name: Optional[str] = None,
        status: Optional[str] = None,
        config: Optional[Dict[str, Any]] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> bytes: ...
    def agents_delete(
        self, decode: Callable[[bytes], _T], id: str, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> Coroutine[Any, Any, _T]: ...
    def agents_delete_sync(
        self, id: str, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> bytes: ...
    def agents_chat(
        self,
        decode: Callable[[bytes], _T],
        id: str,
        message: str,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> Coroutine[Any, Any, _T]: ...
    def agents_chat_sync(
        self,
        id: str,
        message: str,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> bytes: ...
    def agents_runs(
        self,
        decode: Callable[[bytes], _T],
        id: str,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> Coroutine[Any, Any, _T]: ...
    def agents_runs_sync(
        self,
        id: str,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> bytes: ...
    def runs_pager(
        self,
        id: str,
        page_size: Optional[int] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> NativeRunPager: ...
    def usage_get(
        self, decode: Callable[[bytes], _T], timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> Coroutine[Any, Any, _T]: ...
    def usage_get_sync(
        self, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> bytes: ...

@final
class NativeRunPager:
    def next_page(self) -> Coroutine[Any, Any, bytes]: ...
    def next_page_sync(self) -> bytes: ...

@final
class NativeEmulator:
    def __new__(
        cls, *, rate_limit: int = 60, rate_window: float = 60.0, port: int = 0
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
