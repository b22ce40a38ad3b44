"""``Call``: what every method of :class:`~delegir.AsyncDelegir` returns.

A call is an asyncio future of the model, made by the native core when the method is called: the
request is already on its way (as with a task, or a JavaScript promise). Being a future,
``await``, ``asyncio.gather``, ``asyncio.wait``, ``asyncio.wait_for`` and ``ensure_future`` use
it as it is; ``gather`` over 10,000 calls makes no task and no coroutine per call (the benchmark
measured those as a third of the memory of a call in flight). It is also a coroutine, so
``asyncio.create_task(call)`` and ``TaskGroup.create_task(call)`` work as they do with any
``async def`` method: the task waits on the call through :meth:`send` below.

Cancelling the call (directly, through its task, a timeout or a cancelled ``gather``) abandons
the request in the core: its connection is closed and its place in the rate-limit ledger
released. The reply never arrives then, and nothing else happens to the future.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Coroutine
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar, Union

__all__ = ["Call", "coroutine_function", "deferred"]

_T = TypeVar("_T")
_F = TypeVar("_F", bound=Callable[..., Any])


def coroutine_function(function: _F) -> _F:
    """Marks a method that returns a call as a coroutine function for
    ``inspect.iscoroutinefunction`` (frameworks check it to decide whether to await), where
    Python has a public way to say so (3.12+)."""
    mark = getattr(inspect, "markcoroutinefunction", None)
    return function if mark is None else mark(function)


class Call(asyncio.Future[_T], Coroutine[Any, Any, _T]):
    """An API call in flight: an asyncio future of its result, and a coroutine that awaits it."""

    __slots__ = ("_abort",)

    if TYPE_CHECKING:
        # Set by the native core right after it makes the future: aborts the request.
        _abort: Callable[[], None]

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


async def deferred(start: Callable[[], Call[_T]]) -> _T:
    """A call made outside a running event loop (``asyncio.run(client.usage.get())``): the
    native core returns this coroutine, which starts the call when a loop runs it."""
    return await start()
