"""A local emulator of the Delegir API for tests: yours and ours.

>>> from delegir import Delegir
>>> from delegir.testing import Emulator
>>> with Emulator(rate_limit=0) as emu:                       # doctest: +SKIP
...     client = Delegir(emu.api_key, base_url=emu.base_url)
...     emu.add_fault("GET", "/agents", {"kind": "status", "status": 500})
...     client.agents.list()      # retried after the 500, succeeds
...     [e["status"] for e in emu.journal()]
[500, 200]

The emulator is the Rust server that backs the SDKs' own test suites, started in-process on a free
loopback port. It keeps state per API key (each key sees its own copy of the reference's agents
and 1,284 runs), enforces keys, validates requests, rate-limits (``rate_limit`` requests per
``rate_window`` seconds per key; 0 turns it off), records every request in a journal and plays
queued faults: ``{"kind": "status", "status": 503}``, ``{"kind": "html", "status": 502}``,
``{"kind": "delay", "ms": 300}``, ``{"kind": "reset_before"}``, ``{"kind": "refuse_stream"}``
(HTTP/2: the stream refused unprocessed), ``{"kind": "reset_mid_body"}``,
``{"kind": "truncated"}``, ``{"kind": "malformed"}``, ``{"kind": "not_envelope"}``,
``{"kind": "redirect", "status": 302, "location": "..."}``, ``{"kind": "large", "megabytes": 20}``.
"""

from __future__ import annotations

import json
from types import TracebackType
from typing import Any, Dict, List, Mapping, Optional, Type

from ._client import AsyncDelegir, Delegir
from ._native import NativeEmulator

__all__ = ["Emulator"]


class Emulator:
    """A running emulator; a context manager that stops it on exit.

    ``rate_limit`` and ``rate_window`` default to the real API's 60 requests per 60 seconds.
    """

    def __init__(self, *, rate_limit: int = 60, rate_window: float = 60.0, port: int = 0) -> None:
        self._native = NativeEmulator(rate_limit=rate_limit, rate_window=float(rate_window), port=port)
        self._rate_window = float(rate_window)

    @property
    def base_url(self) -> str:
        """The API's base URL, e.g. ``http://127.0.0.1:PORT/api/v1``."""
        return self._native.base_url

    @property
    def admin_url(self) -> str:
        """The admin API's base URL, e.g. ``http://127.0.0.1:PORT/__emulator``."""
        return self._native.admin_url

    @property
    def api_key(self) -> str:
        """A well-formed key made for this emulator (the same on every read)."""
        return self._native.api_key

    def new_api_key(self) -> str:
        """Another key with its own copy of the data and its own rate-limit window."""
        return self._native.new_api_key()

    def client(self, **options: Any) -> Delegir:
        """A :class:`~delegir.Delegir` for this emulator (keywords as for the constructor)."""
        options.setdefault("base_url", self.base_url)
        return Delegir(options.pop("api_key", self.api_key), **options)

    def async_client(self, **options: Any) -> AsyncDelegir:
        """An :class:`~delegir.AsyncDelegir` for this emulator (keywords as for the constructor)."""
        options.setdefault("base_url", self.base_url)
        return AsyncDelegir(options.pop("api_key", self.api_key), **options)

    def journal(self, api_key: Optional[str] = None) -> List[Dict[str, Any]]:
        """Requests received, oldest first (every key's, or only ``api_key``'s). Each entry has
        ``seq``, ``time``, ``method``, ``path`` (with the ``/api/v1`` prefix), ``http_version``
        (``"HTTP/1.1"`` or ``"HTTP/2.0"``), ``query``, ``body``,
        ``status``, ``outcome`` (``"ok"``, ``"rate_limited"``, ``"unauthorized"``,
        ``"fault:<kind>"``, ``"client_disconnected"``), ``key_fingerprint`` and ``elapsed_ms``."""
        entries: List[Dict[str, Any]] = json.loads(self._native.journal(api_key))
        return entries

    def clear_journal(self) -> None:
        """Empties the journal."""
        self._native.clear_journal()

    def add_fault(
        self,
        method: str,
        path: str,
        fault: Mapping[str, Any],
        count: int = 1,
        api_key: Optional[str] = None,
    ) -> None:
        """Makes the next ``count`` requests matching ``method`` (or ``"*"``) and ``path`` (below
        the base URL, like ``"/agents/agt_abc123"``, or the full path, or ``"*"``) get ``fault``,
        e.g. ``{"kind": "status", "status": 500}``; only ``api_key``'s requests if given."""
        rule = {"method": method, "path": path, "count": count, "api_key": api_key, "fault": dict(fault)}
        self._native.push_fault(json.dumps(rule))

    def clear_faults(self) -> None:
        """Removes every queued fault."""
        self._native.clear_faults()

    def reset(self, api_key: Optional[str] = None) -> None:
        """Resets all state (or one key's data, window, revocation, faults and journal entries)."""
        self._native.reset(api_key)

    def revoke_key(self, api_key: Optional[str] = None) -> None:
        """Makes the key (default: :attr:`api_key`) answer 401 until a reset."""
        self._native.revoke_key(self.api_key if api_key is None else api_key)

    def set_rate_limit(self, limit: int, window: Optional[float] = None) -> None:
        """Sets the rate limit (0 = off) and window in seconds (default: unchanged); if either
        changes, every key starts a fresh window. ``ValueError`` for a limit outside
        0–4294967295 or a window outside 1 ms – one day (86,400 s)."""
        rate_window = self._rate_window if window is None else float(window)
        self._native.set_rate_limit(limit, rate_window)
        self._rate_window = rate_window

    def close(self) -> None:
        """Stops the server (idempotent)."""
        self._native.shutdown()

    def __enter__(self) -> Emulator:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "running" if self._native.running else "stopped"
        return f"Emulator(base_url={self._native.base_url if self._native.running else None!r}, {state})"
