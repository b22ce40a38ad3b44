"""Logging: one record per attempt on the ``delegir`` logger.

The core reports every attempt (method, route template, status, attempt number, elapsed time,
time waited for the rate limit or backoff). Records never contain the API key, ids or bodies:
the path is the route template, such as ``/agents/:id/chat``. Levels: a successful attempt is
DEBUG; a failed attempt that will be retried, or a definitive 400/401/404, INFO; any other failed
last attempt WARNING.

Forwarding a record takes the GIL on a runtime thread, so a client installs the forwarder only
when the logger is enabled for at least one of those levels when the client is created, and the
native side drops records below that level without touching Python. Configure logging before
creating the client. ``DELEGIR_LOG=debug|info|warn|error`` adds a stderr handler at that level
(``off`` adds none); another value is a :class:`RuntimeWarning` that lists the known ones.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from typing import Callable, Optional, Tuple

__all__ = ["logger"]

logger = logging.getLogger("delegir")
# A library logs only where its user configured logging: never through logging.lastResort.
logger.addHandler(logging.NullHandler())

_ENV_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
_env_applied: Optional[str] = None


def _apply_env() -> None:
    """Honours ``DELEGIR_LOG`` once per distinct value."""
    global _env_applied
    value = os.environ.get("DELEGIR_LOG", "").strip().lower()
    if not value or value == _env_applied:
        return
    if value == "off":
        _env_applied = value
        return
    level = _ENV_LEVELS.get(value)
    if level is None:
        _env_applied = value  # warn once per distinct value
        known = ", ".join([*_ENV_LEVELS, "off"])
        warnings.warn(
            f"DELEGIR_LOG={value!r} is not a log level and was ignored; the levels are {known}",
            RuntimeWarning,
            stacklevel=4,
        )
        return
    _env_applied = value
    for handler in logger.handlers:
        if getattr(handler, "_delegir_env", False):
            logger.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler._delegir_env = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(level)


def _emit(
    level: int,
    summary: str,
    method: str,
    path: str,
    status: Optional[int],
    attempt: int,
    elapsed: float,
    wait: float,
    error: Optional[str],
    will_retry: bool,
) -> None:
    if not logger.isEnabledFor(level):
        return
    # The level and the one-line summary come from the core, so every language logs the same.
    logger.log(
        level,
        "%s",
        summary,
        extra={
            "method": method,
            "path": path,
            "status": status,
            "attempt": attempt,
            "elapsed": elapsed,
            "wait": wait,
            "error": error,
            "will_retry": will_retry,
        },
    )


def _store_event(level: int, message: str) -> None:
    """A line of the rate-limit store (``rate_limit_store``): Redis unreachable (WARNING) or back
    (INFO). The URL in it has no password."""
    _apply_env()
    logger.log(level, "%s", message)


Observer = Callable[
    [int, str, str, str, Optional[int], int, float, float, Optional[str], bool], None
]


def observer() -> Tuple[Optional[Observer], int]:
    """The forwarder to install in a new client and the lowest level worth forwarding."""
    _apply_env()
    for level in (logging.DEBUG, logging.INFO, logging.WARNING):
        if logger.isEnabledFor(level):
            return _emit, level
    return None, logging.CRITICAL
