//! Completing asyncio futures from the runtime's threads: in batches, without the GIL.
//!
//! pyo3-async-runtimes completes each future by taking the GIL on a blocking-pool thread and
//! calling `loop.call_soon_threadsafe`: one thread hand-off, one GIL acquisition (contended by the
//! event loop, which holds the GIL while it runs) and one write to the loop's self-pipe per call.
//! The benchmark (bench/) measured that as most of an async call's CPU time. Here a finished call
//! only pushes `(future, reply)` onto its event loop's queue (a mutex, no GIL) and, when the queue
//! was empty, writes one byte to a socket that the loop watches with `add_reader`. The loop then
//! drains the whole queue in one callback: one wake-up for every call that finished meanwhile,
//! with every Python object made on the loop's own thread.
//!
//! Cancelling the asyncio future (task cancellation, `wait_for` timeouts) aborts the runtime task
//! through a done-callback, which drops the core's future: the request is abandoned and its place
//! in the rate-limit ledger released, as before. On normal completion that callback is removed
//! before the result is set, so it costs no extra loop iteration.

use std::cell::RefCell;
use std::future::Future;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex, OnceLock};

use futures::FutureExt;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyBytes;
use tokio::task::AbortHandle;

use crate::error::to_pyerr;
use crate::models::Reply;
use crate::runtime::runtime;

/// A finished call waiting for its loop: the future, its canceller, the reply.
type Completion = (Py<PyAny>, Py<Canceller>, Reply);

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
}

#[pymethods]
impl Drain {
    fn __call__(&self, py: Python<'_>) {
        let mut buf = [0u8; 256];
        // Empty the socket first, then the queue: a push after the swap writes a new byte.
        while matches!((&self.queue.readable).read(&mut buf), Ok(n) if n > 0) {}
        let batch =
            std::mem::take(&mut *self.queue.queue.lock().unwrap_or_else(|e| e.into_inner()));
        for (future, canceller, reply) in batch {
            if let Err(e) = complete(py, future.bind(py), canceller, reply) {
                e.write_unraisable(py, None);
            }
        }
    }
}

fn complete(
    py: Python<'_>,
    future: &Bound<'_, PyAny>,
    canceller: Py<Canceller>,
    reply: Reply,
) -> PyResult<()> {
    if future.call_method0(intern!(py, "done"))?.is_truthy()? {
        return Ok(()); // cancelled while the reply was on its way
    }
    future.call_method1(intern!(py, "remove_done_callback"), (canceller,))?;
    match reply.0 {
        Ok(json) => future.call_method1(intern!(py, "set_result"), (PyBytes::new(py, &json),))?,
        Err(e) => future.call_method1(
            intern!(py, "set_exception"),
            (to_pyerr(py, e).into_value(py),),
        )?,
    };
    Ok(())
}

/// The done-callback that aborts the runtime task when the asyncio future is cancelled.
#[pyclass(frozen, module = "delegir._native")]
struct Canceller {
    task: OnceLock<AbortHandle>,
}

#[pymethods]
impl Canceller {
    fn __call__(&self, future: &Bound<'_, PyAny>) -> PyResult<()> {
        let cancelled = future
            .call_method0(intern!(future.py(), "cancelled"))?
            .is_truthy()?;
        if let (true, Some(task)) = (cancelled, self.task.get()) {
            task.abort();
        }
        Ok(())
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
        },
    )?;
    event_loop.call_method1(intern!(py, "add_reader"), (fd, drain))?;
    CURRENT.with_borrow_mut(|c| *c = Some((event_loop.clone().unbind(), Arc::clone(&queue))));
    Ok(queue)
}

/// Runs `call` on the runtime and returns an asyncio future (of the running loop) of its reply.
pub(crate) fn spawn<'py, T, F>(py: Python<'py>, call: F) -> PyResult<Bound<'py, PyAny>>
where
    T: serde::Serialize,
    F: Future<Output = delegir::Result<T>> + Send + 'static,
{
    static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let event_loop = GET_RUNNING_LOOP
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("asyncio")?.getattr("get_running_loop")?.unbind())
        })?
        .bind(py)
        .call0()?;
    let queue = queue_of(py, &event_loop)?;
    let future = event_loop.call_method0(intern!(py, "create_future"))?;
    let canceller = Py::new(
        py,
        Canceller {
            task: OnceLock::new(),
        },
    )?;
    future.call_method1(intern!(py, "add_done_callback"), (canceller.clone_ref(py),))?;
    let completion = (future.clone().unbind(), canceller.clone_ref(py));
    // A combinator rather than `async move { call.await ... }`: an async block keeps the captured
    // `call` next to the copy it awaits, doubling every in-flight call's task (measured with 10,000
    // calls in flight: 4.9 KiB per task before, half that after).
    let task = runtime().spawn(call.map(move |result| {
        queue.push((completion.0, completion.1, Reply::from_result(result)));
    }));
    let _ = canceller.get().task.set(task.abort_handle());
    Ok(future)
}
