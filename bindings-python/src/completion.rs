//! Completing asyncio futures from the runtime's threads: in batches, without the GIL.
//!
//! pyo3-async-runtimes completes each future by taking the GIL on a blocking-pool thread and
//! calling `loop.call_soon_threadsafe`: one thread hand-off, one GIL acquisition (contended by the
//! event loop, which holds the GIL while it runs) and one write to the loop's self-pipe per call.
//! The benchmark (bench/) measured that as most of an async call's CPU time. Here a finished call
//! only pushes its reply onto its event loop's queue (a mutex, no GIL) and, when the queue was
//! empty, writes one byte to a socket that the loop watches with `add_reader`. The loop then
//! drains the whole queue in one callback: one wake-up for every call that finished meanwhile,
//! with every Python object made on the loop's own thread.
//!
//! The future is a `delegir._call.Call` (an `asyncio.Future` that is also a coroutine, see
//! `_call.py`), and its result is the model itself: the drain builds the reply's Pydantic
//! models (`models.rs`; an optional `decode` is applied to them), so the Python methods return
//! the future as it is, with no coroutine or task of their own per call.
//!
//! Cancelling the call (`Call.cancel`, which tasks, `wait_for` and `gather` use) aborts the
//! runtime task through the call's `_abort`, which drops the core's future: the request is
//! abandoned and its place in the rate-limit ledger released. On completion the drain lets go
//! of the abort handle, so the finished task is freed even while the call is still referenced.

use std::cell::RefCell;
use std::future::Future;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use pyo3::exceptions::PyRuntimeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::IntoPyDict;
use tokio::task::AbortHandle;

use delegir::Error;

use crate::models::{Reply, ToPython};
use crate::runtime::runtime;

/// A finished call waiting for its loop.
struct Completion {
    /// The `Call` future.
    call: Py<PyAny>,
    /// Its `_abort`, released once the call is complete.
    abort: Py<Abort>,
    /// Applied to the reply's Python value (`None`: the value is the result).
    decode: Option<Py<PyAny>>,
    reply: Reply,
}

/// The queue of one event loop and the socket that wakes it.
struct LoopQueue {
    queue: Mutex<Vec<Completion>>,
    wake: UnixStream,
    /// The end the loop reads (kept here so that it lives as long as the queue).
    readable: UnixStream,
}

impl LoopQueue {
    fn push(&self, completion: Completion) {
        let was_empty = {
            let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            queue.push(completion);
            queue.len() == 1
        };
        if was_empty {
            // A full socket buffer means a wake-up is already pending: nothing is lost.
            let _ = (&self.wake).write(&[1]);
        }
    }
}

/// The `add_reader` callback: drains the queue and completes the futures.
#[pyclass(frozen, module = "delegir._native")]
struct Drain {
    queue: Arc<LoopQueue>,
    /// The loop, to schedule the rest of a batch with `call_soon` (see [`DRAIN_BUDGET`]).
    event_loop: Py<PyAny>,
}

/// Models built per drain before the rest of the batch waits for the next turn of the loop.
/// Small replies complete in one batch (one wake-up for all); large pages do not pile up: the
/// tasks waiting for the first pages run (and usually drop them) before more are built, so the
/// memory is reused while it is still in the cache. On the runs page at concurrency 64 this cut
/// the async client's CPU per call (bench/README.md).
///
/// One page of 100 runs per turn, not two or three: each model is two objects the garbage
/// collector tracks (the instance, its fields set), and its youngest generation is collected
/// when 700 more were made than freed since the last collection, which moves what is still
/// alive to the older generations, whose frees then no longer count. With 256, a batch of pages
/// made ~600 objects before any was freed, so nearly every batch ran a collection and the older
/// generations filled with pages about to be dropped. Runs page, c=64, 3 s (`gc.callbacks`):
/// with 256, 1,694 collections, 14 of them full (~40 ms each), 0.96 s in the collector (perf: a
/// quarter of the samples in its functions); with 100, 96 and none full, as aiohttp + Pydantic
/// (99), which builds and drops one page at a time. CPU per call 313 -> 164 us (bench/README.md).
const DRAIN_BUDGET: usize = 100;

#[pymethods]
impl Drain {
    fn __call__(slf: &Bound<'_, Self>, py: Python<'_>) {
        let this = slf.get();
        let mut buf = [0u8; 256];
        // Empty the socket first, then the queue: a push after the swap writes a new byte.
        while matches!((&this.queue.readable).read(&mut buf), Ok(n) if n > 0) {}
        let batch =
            std::mem::take(&mut *this.queue.queue.lock().unwrap_or_else(|e| e.into_inner()));
        let mut budget = DRAIN_BUDGET;
        crate::allocator::completing(batch.len());
        let mut batch = batch.into_iter();
        while let Some(completion) = batch.next() {
            budget = budget.saturating_sub(completion.reply.weight());
            if let Err(e) = complete(py, completion) {
                e.write_unraisable(py, None);
            }
            if budget == 0 && batch.len() > 0 {
                // The rest goes back to the front of the queue (pushes meanwhile see it
                // non-empty and write no byte) and this drain runs again after the tasks woken
                // so far.
                {
                    let mut queue = this.queue.queue.lock().unwrap_or_else(|e| e.into_inner());
                    queue.splice(0..0, batch);
                }
                let call_soon = intern!(py, "call_soon");
                if let Err(e) = this.event_loop.bind(py).call_method1(call_soon, (slf,)) {
                    e.write_unraisable(py, None);
                }
                return;
            }
        }
    }
}

/// Completes one call on the loop's thread: its result is the reply's models (through `decode`
/// if any), or the mapped exception of the core's error, or whatever `decode` raised.
fn complete(py: Python<'_>, completion: Completion) -> PyResult<()> {
    let Completion {
        call,
        abort,
        decode,
        reply,
    } = completion;
    abort.get().release();
    let call = call.bind(py);
    if call.call_method0(intern!(py, "done"))?.is_truthy()? {
        return Ok(()); // cancelled while the reply was on its way
    }
    let result = reply.into_pyobject(py).and_then(|value| match decode {
        Some(decode) => decode.bind(py).call1((value,)),
        None => Ok(value),
    });
    match result {
        Ok(value) => call.call_method1(intern!(py, "set_result"), (value,))?,
        Err(e) => call.call_method1(intern!(py, "set_exception"), (e.into_value(py),))?,
    };
    Ok(())
}

/// A call's `_abort`: starts the call when Python first needs it to run (`Call` is lazy, like a
/// coroutine: see `_call.py`), and aborts its runtime task (`Call.cancel` calls it).
#[pyclass(frozen, module = "delegir._native")]
struct Abort {
    task: Mutex<CallState>,
}

/// Where a call is in its life.
enum CallState {
    /// Not started: spawning it is one closure call away (the call's future is boxed in it).
    /// The closure is given the `Call` and this object when it runs, rather than holding them:
    /// held, they would make a reference cycle that the garbage collector cannot see, and a
    /// never-started call would never be freed (nor warn).
    Pending(Box<dyn FnOnce(Py<PyAny>, Py<Abort>) -> AbortHandle + Send>),
    /// On the runtime.
    Running(AbortHandle),
    /// Completed, aborted, or dropped before it started.
    Finished,
}

impl Abort {
    /// Lets go of the task (done: nothing left to abort), so that its memory can be freed.
    fn release(&self) {
        *self.task.lock().unwrap_or_else(|e| e.into_inner()) = CallState::Finished;
    }
}

#[pymethods]
impl Abort {
    /// Aborts the running call, or drops the call that never started.
    fn __call__(&self) {
        let state = std::mem::replace(
            &mut *self.task.lock().unwrap_or_else(|e| e.into_inner()),
            CallState::Finished,
        );
        if let CallState::Running(task) = state {
            task.abort();
        }
    }

    /// Starts `call` (whose `_abort` this is) if it has not started (idempotent).
    fn start(slf: &Bound<'_, Self>, call: Py<PyAny>) {
        let this = slf.get();
        let mut state = this.task.lock().unwrap_or_else(|e| e.into_inner());
        if matches!(*state, CallState::Pending(_))
            && let CallState::Pending(spawn) = std::mem::replace(&mut *state, CallState::Finished)
        {
            // Spawned with the lock held: the completion (which takes it to release) runs on the
            // loop's thread, under the GIL this thread holds, so it cannot be waiting for it.
            *state = CallState::Running(spawn(call, slf.clone().unbind()));
        }
    }

    /// Whether the call was never started (nor cancelled): it sent nothing.
    fn unstarted(&self) -> bool {
        matches!(
            *self.task.lock().unwrap_or_else(|e| e.into_inner()),
            CallState::Pending(_)
        )
    }
}

thread_local! {
    /// The queue of the loop this thread last called from (a thread runs one loop at a time).
    /// The loop is held, so its address cannot be reused by another loop while cached.
    static CURRENT: RefCell<Option<(Py<PyAny>, Arc<LoopQueue>)>> = const { RefCell::new(None) };
}

/// The queue of `event_loop`, made (and registered with `add_reader`) on first use.
fn queue_of(py: Python<'_>, event_loop: &Bound<'_, PyAny>) -> PyResult<Arc<LoopQueue>> {
    let cached = CURRENT.with_borrow(|c| match c {
        Some((l, q)) if l.is(event_loop) => Some(Arc::clone(q)),
        _ => None,
    });
    if let Some(queue) = cached {
        return Ok(queue);
    }
    let (wake, readable) = UnixStream::pair()?;
    wake.set_nonblocking(true)?;
    readable.set_nonblocking(true)?;
    let fd = std::os::fd::AsRawFd::as_raw_fd(&readable);
    let queue = Arc::new(LoopQueue {
        queue: Mutex::new(Vec::new()),
        wake,
        readable,
    });
    let drain = Py::new(
        py,
        Drain {
            queue: Arc::clone(&queue),
            event_loop: event_loop.clone().unbind(),
        },
    )?;
    event_loop.call_method1(intern!(py, "add_reader"), (fd, drain))?;
    CURRENT.with_borrow_mut(|c| *c = Some((event_loop.clone().unbind(), Arc::clone(&queue))));
    Ok(queue)
}

/// Runs `call` on the runtime and returns a `Call` (an asyncio future of the running loop) of its
/// reply, decoded by `decode` on the loop's thread. Called outside a running loop (as in
/// `asyncio.run(client.agents.get(id))`), it returns a coroutine instead, which starts the call
/// once a loop runs it.
pub(crate) fn spawn<'py, T, F>(
    py: Python<'py>,
    decode: Option<Py<PyAny>>,
    call: F,
) -> PyResult<Bound<'py, PyAny>>
where
    T: ToPython,
    F: Future<Output = delegir::Result<T>> + Send + 'static,
{
    let call = settled_on_panic(call.map(Reply::from_result));
    match running_loop(py)? {
        Some(event_loop) => start(py, &event_loop, decode, call),
        None => {
            static DEFERRED: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
            let start = Deferred {
                call: Mutex::new(Some((decode, Box::pin(call)))),
            };
            DEFERRED
                .import(py, "delegir._call", "deferred")?
                .call1((start,))
        }
    }
}

/// `call`, or the core's `Internal` error if it panics: the panic is caught at the task's
/// boundary, so the call settles (tokio would otherwise swallow the panic with the task and the
/// asyncio future would never complete).
pub(crate) fn settled_on_panic<F>(call: F) -> impl Future<Output = Reply>
where
    F: Future<Output = Reply>,
{
    // The call owns everything it touches (a client clone, owned arguments); after a panic it
    // is dropped, never polled again, so no broken state is observed.
    std::panic::AssertUnwindSafe(call)
        .catch_unwind()
        .map(|caught| caught.unwrap_or_else(|payload| Reply(Err(Error::from_panic(&*payload)))))
}

/// The running event loop of this thread, if any.
fn running_loop(py: Python<'_>) -> PyResult<Option<Bound<'_, PyAny>>> {
    static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    match GET_RUNNING_LOOP
        .import(py, "asyncio", "get_running_loop")?
        .call0()
    {
        Ok(event_loop) => Ok(Some(event_loop)),
        Err(e) if e.is_instance_of::<PyRuntimeError>(py) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Spawns `call` and returns its `Call`, completed through the queue of `event_loop`.
fn start<'py, F>(
    py: Python<'py>,
    event_loop: &Bound<'py, PyAny>,
    decode: Option<Py<PyAny>>,
    call: F,
) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = Reply> + Send + 'static,
{
    static CALL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let queue = queue_of(py, event_loop)?;
    let kwargs = [(intern!(py, "loop"), event_loop)].into_py_dict(py)?;
    let future = CALL
        .import(py, "delegir._call", "Call")?
        .call((), Some(&kwargs))?;
    let abort = Py::new(
        py,
        Abort {
            task: Mutex::new(CallState::Finished),
        },
    )?;
    future.setattr(intern!(py, "_abort"), abort.clone_ref(py))?;
    // Not spawned yet: the call starts when it is first awaited, scheduled or given a callback
    // (`Abort::start`, called by `_call.Call`). A combinator rather than `async move { call.await
    // ... }`: an async block keeps the captured `call` next to the copy it awaits, doubling every
    // in-flight call's task (measured with 10,000 calls in flight: 4.9 KiB per task before, half
    // that after).
    let spawn = move |call_ref: Py<PyAny>, abort_ref: Py<Abort>| {
        runtime()
            .spawn(call.map(move |reply| {
                queue.push(Completion {
                    call: call_ref,
                    abort: abort_ref,
                    decode,
                    reply,
                });
            }))
            .abort_handle()
    };
    *abort.get().task.lock().unwrap_or_else(|e| e.into_inner()) =
        CallState::Pending(Box::new(spawn));
    Ok(future)
}

/// A call made outside a running loop, waiting for `delegir._call.deferred` to start it.
#[pyclass(frozen, module = "delegir._native")]
struct Deferred {
    call: Mutex<Option<(Option<Py<PyAny>>, DeferredCall)>>,
}

type DeferredCall = std::pin::Pin<Box<dyn Future<Output = Reply> + Send>>;

#[pymethods]
impl Deferred {
    /// Starts the call on the running loop and returns its `Call`.
    fn __call__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let taken = self.call.lock().unwrap_or_else(|e| e.into_inner()).take();
        let Some((decode, call)) = taken else {
            return Err(PyRuntimeError::new_err("this call was already started"));
        };
        let Some(event_loop) = running_loop(py)? else {
            return Err(PyRuntimeError::new_err("no running event loop"));
        };
        start(py, &event_loop, decode, call)
    }

    /// Starts the call for an event loop other than asyncio's (trio, through `_call.py`): when
    /// it ends, `callback(result, exception)` is called on a runtime thread (with the GIL), which
    /// hands it to the loop thread-safely. Returns the call's `_abort` (calling it abandons the
    /// request). One GIL acquisition per call on a runtime thread, which asyncio's batched
    /// completion avoids; trio has no equivalent of `add_reader` batching worth the complexity.
    fn start_threaded(&self, py: Python<'_>, callback: Py<PyAny>) -> PyResult<Py<Abort>> {
        let taken = self.call.lock().unwrap_or_else(|e| e.into_inner()).take();
        let Some((decode, call)) = taken else {
            return Err(PyRuntimeError::new_err("this call was already started"));
        };
        let task = runtime().spawn(call.map(move |reply| {
            Python::attach(|py| {
                let result = reply.into_pyobject(py).and_then(|value| match &decode {
                    Some(decode) => decode.bind(py).call1((value,)),
                    None => Ok(value),
                });
                let outcome = match result {
                    Ok(value) => callback.call1(py, (value, py.None())),
                    Err(e) => callback.call1(py, (py.None(), e.into_value(py))),
                };
                if let Err(e) = outcome {
                    e.write_unraisable(py, None);
                }
            });
        }));
        Py::new(
            py,
            Abort {
                task: Mutex::new(CallState::Running(task.abort_handle())),
            },
        )
    }
}
