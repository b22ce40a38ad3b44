"""``Call``: what every method of :class:`~delegir.AsyncDelegir` returns.

A call is an asyncio future of the model that is also a coroutine, and like a coroutine it is
lazy: nothing is sent until it is first awaited, scheduled or given a callback. ``await call``,
``asyncio.create_task(call)``, ``TaskGroup.create_task(call)``, ``asyncio.ensure_future(call)``,
``asyncio.gather``, ``asyncio.wait_for`` and ``asyncio.shield`` all start it (they either await
it, step it as a coroutine through :meth:`send`, or check whether it is a future, which is where
it starts). A call that is garbage-collected without ever starting sent nothing and warns
``RuntimeWarning: ... was never awaited``, as a coroutine does: ``client.agents.chat(id, "hi")``
without ``await`` never creates a billed run by accident.

Being a future, ``gather`` over 10,000 calls makes no task and no coroutine per call (the
benchmark measured those as a third of the memory of a call in flight); until it starts, a call
holds its request's future boxed, and starting it moves that into the runtime's task.

Cancelling the call (directly, through its task, a timeout or a cancelled ``gather``) abandons
the request in the core: its connection is closed and its place in the rate-limit ledger
released. The reply never arrives then, and nothing else happens to the future. Cancelling a
call that never started sends nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import sys
import warnings
from collections.abc import Coroutine, Generator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable, List, Optional, Protocol, TypeVar, Union

__all__ = ["Call", "coroutine_function", "deferred"]

_T = TypeVar("_T")
_F = TypeVar("_F", bound=Callable[..., Any])


def coroutine_function(function: _F) -> _F:
    """Marks a method that returns a call as a coroutine function for
    ``inspect.iscoroutinefunction`` (frameworks check it to decide whether to await), where
    Python has a public way to say so (3.12+)."""
    mark = getattr(inspect, "markcoroutinefunction", None)
    return function if mark is None else mark(function)


class _Abort(Protocol):
    def __call__(self) -> None: ...
    def start(self, call: object) -> None: ...
    def unstarted(self) -> bool: ...


# The C future's own slot for `_asyncio_future_blocking`, which `Call` wraps.
_FUTURE_BLOCKING: Any = vars(asyncio.Future)["_asyncio_future_blocking"]


class Call(asyncio.Future[_T], Coroutine[Any, Any, _T]):
    """An API call in flight: an asyncio future of its result, and a coroutine that awaits it."""

    __slots__ = ("_abort",)

    if TYPE_CHECKING:
        # Set by the native core right after it makes the future: starts (`start(call)`), aborts
        # (`()`) and tells whether the call never started (`unstarted()`).
        _abort: _Abort

    # Where a call starts: asyncio asks `_asyncio_future_blocking` of anything it is about to
    # treat as a future (`isfuture`, so `ensure_future`, `gather`, `wait_for`, `shield`; a task
    # stepping a coroutine that yields it), and `await` and callbacks have their own hooks below.

    @property
    def _asyncio_future_blocking(self) -> bool:
        self._abort.start(self)
        return _FUTURE_BLOCKING.__get__(self)  # type: ignore[no-any-return]

    @_asyncio_future_blocking.setter
    def _asyncio_future_blocking(self, value: bool) -> None:
        _FUTURE_BLOCKING.__set__(self, value)

    def __await__(self) -> Generator[Any, None, _T]:
        self._abort.start(self)
        return super().__await__()

    __iter__ = __await__

    def add_done_callback(self, fn: Callable[[Any], object], /, *, context: Any = None) -> None:
        self._abort.start(self)
        super().add_done_callback(fn, context=context)

    def __del__(self) -> None:
        abort = getattr(self, "_abort", None)
        if abort is not None and abort.unstarted():
            abort()
            warnings.warn(
                "a delegir call was never awaited, so its request was never sent (await it, or "
                "schedule it with asyncio.create_task or asyncio.gather)",
                RuntimeWarning,
                stacklevel=2,
            )
        super().__del__()

    def cancel(self, msg: Any = None) -> bool:
        """Cancels the call and abandons its request (see the module's documentation)."""
        if not super().cancel(msg):
            return False
        self._abort()
        return True

    # The coroutine protocol, for `create_task`: the task sends `None` and, while the call is
    # pending, gets the future itself back to wait on (as `await future` does); once it is done,
    # `StopIteration` carries the result, or its exception is raised.

    def send(self, value: None) -> Any:
        self._abort.start(self)
        if not self.done():
            self._asyncio_future_blocking = True
            return self
        raise StopIteration(self.result())

    def throw(
        self,
        typ: Union[type[BaseException], BaseException],
        val: object = None,
        tb: Optional[TracebackType] = None,
    ) -> Any:
        # A task throws in here when it is cancelled before or while waiting: abandon the
        # request too, then raise what was thrown, as a coroutine would.
        self.cancel()
        if isinstance(typ, BaseException):
            raise typ.with_traceback(tb)
        exception = val if isinstance(val, BaseException) else typ()
        raise exception.with_traceback(tb)

    def close(self) -> None:
        """Abandons the call, like closing a coroutine that has not finished."""
        self.cancel()


class _Deferred(Protocol[_T]):
    """The native side of a call made outside a running asyncio loop."""

    def __call__(self) -> Call[_T]: ...
    def start_threaded(self, callback: Callable[[Any, Optional[BaseException]], None]) -> _Abort: ...


async def deferred(start: _Deferred[_T]) -> _T:
    """A call made outside a running asyncio event loop: ``asyncio.run(client.usage.get())``, or
    under trio (directly or through AnyIO). The native core returns this coroutine, which starts
    the call when a loop runs it."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        return await start()
    trio = sys.modules.get("trio")
    if trio is not None:
        try:
            trio.lowlevel.current_task()
        except RuntimeError:
            pass
        else:
            return await _under_trio(trio, start)  # type: ignore[no-any-return]
    raise RuntimeError("AsyncDelegir needs a running asyncio (or uvloop) or trio event loop")


async def _under_trio(trio: Any, start: _Deferred[_T]) -> Any:
    """Runs the call on the core's runtime and waits for it the trio way: the runtime thread hands
    the outcome to trio's loop (``run_sync_soon``), which wakes this task. Cancelling the task
    (a cancel scope, a timeout) abandons the request and frees its rate-limit place."""
    task = trio.lowlevel.current_task()
    token = trio.lowlevel.current_trio_token()
    outcome: List[Any] = []

    def wake(value: Any, error: Optional[BaseException]) -> None:
        if not outcome:  # not cancelled meanwhile
            outcome.append((value, error))
            trio.lowlevel.reschedule(task)

    def arrived(value: Any, error: Optional[BaseException]) -> None:  # on a runtime thread
        with contextlib.suppress(trio.RunFinishedError):
            token.run_sync_soon(wake, value, error)

    abort = start.start_threaded(arrived)

    def cancelled(raise_cancel: Any) -> Any:
        outcome.append(None)
        abort()
        return trio.lowlevel.Abort.SUCCEEDED

    await trio.lowlevel.wait_task_rescheduled(cancelled)
    value, error = outcome[0]
    if error is not None:
        raise error
    return value
