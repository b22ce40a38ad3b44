"""Type stubs of ``delegir._native``, the pyo3 extension (checked with ``mypy.stubtest``).

Every endpoint returns the model as JSON bytes (the Python layer validates them with Pydantic):
``name(...)`` returns an awaitable, ``name_sync(...)`` blocks with the GIL released.
"""

from typing import Any, Awaitable, Callable, Dict, Optional, Tuple, final

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
        self, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> Awaitable[bytes]: ...
    def agents_list_sync(
        self, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> bytes: ...
    def agents_get(
        self, id: str, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> Awaitable[bytes]: ...
    def agents_get_sync(
        self, id: str, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> bytes: ...
    def agents_update(
        self,
        id: str,
        name: Optional[str] = None,
        status: Optional[str] = None,
        config: Optional[Dict[str, Any]] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> Awaitable[bytes]: ...
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
        self, id: str, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> Awaitable[bytes]: ...
    def agents_delete_sync(
        self, id: str, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> bytes: ...
    def agents_chat(
        self,
        id: str,
        message: str,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> Awaitable[bytes]: ...
    def agents_chat_sync(
        self,
        id: str,
        message: str,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> bytes: ...
    def agents_runs(
        self,
        id: str,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> Awaitable[bytes]: ...
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
        self, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> Awaitable[bytes]: ...
    def usage_get_sync(
        self, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> bytes: ...

@final
class NativeRunPager:
    def next_page(self) -> Awaitable[bytes]: ...
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
