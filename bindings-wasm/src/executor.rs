//! The module's calls as JavaScript promises: a small executor of its own instead of
//! wasm-bindgen-futures' `future_to_promise`.
//!
//! Why: a Rust panic on wasm32 aborts (panic = "unwind" needs a nightly toolchain) and traps the
//! module. Under `future_to_promise` the trap left from wasm-bindgen-futures' own microtask: Node
//! exits on that uncaught exception, and the other hosts keep every call of the module pending
//! forever. Here the microtask that polls is made by `calls.js`, which catches the trap and
//! settles every call in flight with an `internal` failure (see calls.js). It is also less work
//! per call: a map entry and two crossings, instead of a promise made from Rust with closures
//! that wasm-bindgen registers with a FinalizationRegistry.
//!
//! Tasks live in a slab; a task's waker holds its slot and the slot's generation, so a waker that
//! outlives its task (a timer or a fetch settling after the call ended) wakes nothing. Each poll
//! of the queue handles the tasks queued when it started; tasks woken meanwhile get the next
//! microtask, so a future that keeps waking itself cannot starve the host's event loop.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use js_sys::Promise;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/calls.js")]
extern "C" {
    /// The promise of call `id`, or `undefined` once the module has trapped.
    fn open(id: u32) -> JsValue;
    /// Settles call `id`.
    fn close(id: u32, outcome: JsValue);
    /// A promise of the module's failure, for a call made after a trap.
    fn failed() -> Promise;
    /// Runs `run` in a microtask, catching what it throws.
    fn schedule(run: &Closure<dyn FnMut()>);
}

/// A call's future: it resolves to the call's payload or `NativeError` (it never fails).
pub(crate) type CallFuture = Pin<Box<dyn Future<Output = JsValue>>>;

struct Task {
    future: CallFuture,
    waker: Waker,
}

#[derive(Default)]
struct Slot {
    generation: u32,
    /// Whether the slot holds a call (its task is `None` while it is being polled).
    live: bool,
    /// Whether the slot's id is in the ready queue.
    queued: bool,
    task: Option<Task>,
}

#[derive(Default)]
struct Executor {
    slots: Vec<Slot>,
    free: Vec<u32>,
    ready: VecDeque<u32>,
    /// Whether a microtask is already scheduled to poll the ready queue.
    scheduled: bool,
}

thread_local! {
    static EXECUTOR: RefCell<Executor> = RefCell::new(Executor::default());
    /// `run`, made once for the module's life.
    static RUN: Closure<dyn FnMut()> = Closure::new(run);
}

/// Wakes one task: its slot, and the generation the slot had when the task was spawned.
struct TaskWaker {
    id: u32,
    generation: u32,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let schedule_now = EXECUTOR.with(|executor| {
            let executor = &mut *executor.borrow_mut();
            let Some(slot) = executor.slots.get_mut(self.id as usize) else {
                return false;
            };
            if !slot.live || slot.generation != self.generation || slot.queued {
                return false;
            }
            slot.queued = true;
            executor.ready.push_back(self.id);
            !std::mem::replace(&mut executor.scheduled, true)
        });
        if schedule_now {
            RUN.with(schedule);
        }
    }
}

/// Runs `future` as a call and returns its promise; polled first in a microtask.
pub(crate) fn spawn(future: CallFuture) -> Promise {
    let (id, generation) = EXECUTOR.with(|executor| {
        let executor = &mut *executor.borrow_mut();
        let id = executor.free.pop().unwrap_or_else(|| {
            executor.slots.push(Slot::default());
            (executor.slots.len() - 1) as u32
        });
        (id, executor.slots[id as usize].generation)
    });
    let promise = open(id);
    if promise.is_undefined() {
        // The module trapped: the call does not start. The slot goes back unused.
        EXECUTOR.with(|executor| executor.borrow_mut().free.push(id));
        return failed();
    }
    let waker = Waker::from(Arc::new(TaskWaker { id, generation }));
    let schedule_now = EXECUTOR.with(|executor| {
        let executor = &mut *executor.borrow_mut();
        let slot = &mut executor.slots[id as usize];
        slot.live = true;
        slot.queued = true;
        slot.task = Some(Task { future, waker });
        executor.ready.push_back(id);
        !std::mem::replace(&mut executor.scheduled, true)
    });
    if schedule_now {
        RUN.with(schedule);
    }
    promise.unchecked_into()
}

/// Polls the tasks that were ready when the microtask began.
fn run() {
    let count = EXECUTOR.with(|executor| {
        let executor = &mut *executor.borrow_mut();
        executor.scheduled = false;
        executor.ready.len()
    });
    for _ in 0..count {
        // Taken out of the slab while polled: the poll may wake or spawn tasks.
        let Some((id, mut task)) = EXECUTOR.with(|executor| {
            let executor = &mut *executor.borrow_mut();
            let id = executor.ready.pop_front()?;
            let slot = &mut executor.slots[id as usize];
            slot.queued = false;
            slot.task.take().map(|task| (id, task))
        }) else {
            continue;
        };
        let polled = task
            .future
            .as_mut()
            .poll(&mut Context::from_waker(&task.waker));
        match polled {
            Poll::Pending => EXECUTOR.with(|executor| {
                executor.borrow_mut().slots[id as usize].task = Some(task);
            }),
            Poll::Ready(outcome) => {
                EXECUTOR.with(|executor| {
                    let executor = &mut *executor.borrow_mut();
                    let slot = &mut executor.slots[id as usize];
                    slot.live = false;
                    slot.queued = false;
                    slot.generation = slot.generation.wrapping_add(1);
                    executor.free.push(id);
                });
                // The future is dropped outside the borrow: dropping it may wake other tasks.
                drop(task);
                close(id, outcome);
            }
        }
    }
}
