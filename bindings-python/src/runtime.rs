//! One tokio runtime per process, safe across `fork()`.
//!
//! Every call of every client in a process runs on ONE multi-threaded tokio runtime, so many
//! concurrent calls share its threads and the core's connection pools. The runtime belongs to a
//! process id: `fork()` copies its memory but not its threads, so in a forked child the parent's
//! runtime is a husk whose workers do not exist, and anything scheduled on it waits forever
//! (this is the hang of pyo3-async-runtimes' stock global runtime, see TOOLCHAIN.md). Here
//! [`runtime`] compares the cached pid with `getpid()` on every call and, when they differ,
//! builds a fresh runtime for the child. The parent's copy is leaked on purpose: dropping it
//! would try to join threads that do not exist in the child.
//!
//! Async calls are spawned on this runtime and complete their asyncio futures through the
//! batching bridge of `completion.rs`. The core `Client` is per pid for the same reason as the
//! runtime (its pool's connections belong to the runtime that opened them): see `client.rs`.
//!
//! Building a runtime never touches Python, so doing it with or without the GIL cannot
//! deadlock; the fast path is two atomic loads and no lock.

use std::sync::Mutex;
use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

use tokio::runtime::Runtime;

static PID: AtomicU32 = AtomicU32::new(0);
static RUNTIME: AtomicPtr<Runtime> = AtomicPtr::new(std::ptr::null_mut());
static BUILD: Mutex<()> = Mutex::new(());

/// The current process's id (`getpid()`; not cached by the C library, so correct after fork).
pub(crate) fn pid() -> u32 {
    std::process::id()
}

/// The runtime of the current process, built on first use and again after a fork.
pub(crate) fn runtime() -> &'static Runtime {
    let pid = pid();
    if PID.load(Ordering::Acquire) == pid {
        let ptr = RUNTIME.load(Ordering::Acquire);
        if !ptr.is_null() {
            // SAFETY: the pointer comes from `Box::leak` below and is never freed.
            return unsafe { &*ptr };
        }
    }
    build(pid)
}

#[cold]
fn build(pid: u32) -> &'static Runtime {
    let _guard = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    if PID.load(Ordering::Acquire) == pid {
        let ptr = RUNTIME.load(Ordering::Acquire);
        if !ptr.is_null() {
            // SAFETY: as above.
            return unsafe { &*ptr };
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(delegir::embedding::worker_threads())
        .enable_all()
        .thread_name("delegir-runtime")
        .build()
        .expect("delegir: could not start the tokio runtime (out of threads?)");
    let leaked: &'static Runtime = Box::leak(Box::new(runtime));
    RUNTIME.store(leaked as *const Runtime as *mut Runtime, Ordering::Release);
    PID.store(pid, Ordering::Release);
    leaked
}
