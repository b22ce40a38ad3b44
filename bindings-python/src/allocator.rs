//! The extension's allocator: mimalloc, returning freed memory to the OS at once.
//!
//! Every async call's task (about 1.5 KiB) is allocated when the call starts and freed when it
//! completes. With the C library's malloc that memory stays in the process after a burst of
//! calls: the Pydantic models made as the calls complete come from Python's own allocator, so
//! they cannot reuse it, and a burst's peak was the tasks plus the models. mimalloc gives an
//! emptied page back to the OS (`purge_delay` 0: at once, rather than a second later), and with
//! `arena_eager_commit` off it commits its arenas as pages are used instead of up front (the
//! default made an idle process 6 MiB larger). Measured with 10,000 calls in flight
//! (bench/README.md): peak RSS 79 MiB with the C allocator, 63 MiB with this.

use libmimalloc_sys::{mi_option_set, mi_option_t};

// `mi_option_e` in mimalloc.h (the same in mimalloc v2 and v3, which libmimalloc-sys builds);
// libmimalloc-sys has no constants for these two.
const ARENA_EAGER_COMMIT: mi_option_t = 4;
const PURGE_DELAY: mi_option_t = 15;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Sets mimalloc's options; called first thing when the module is imported.
pub(crate) fn configure() {
    // SAFETY: setting an option is a store into mimalloc's option table; it is thread-safe
    // and valid at any time (options are read when memory is next reserved or freed).
    unsafe {
        mi_option_set(ARENA_EAGER_COMMIT, 0);
        mi_option_set(PURGE_DELAY, 0);
    }
}

/// Replies drained on a loop's thread between two collections of its heap ([`completing`]).
const COLLECT_EVERY: usize = 256;

thread_local! {
    static DRAINED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Called by a drain about to complete `n` calls on this (the event loop's) thread: every
/// [`COLLECT_EVERY`] replies (a batch cut short by the drain's budget counts again when it
/// resumes), collects this thread's mimalloc heap first.
///
/// A call's task and request are allocated on this thread (the call is made and spawned here)
/// and often freed by the runtime's worker (it drops the task's last reference when the task
/// ends after the drain released its handle): mimalloc then puts the block on its page's
/// cross-thread list, which only this thread empties, when it next allocates from that page.
/// After a burst this thread makes no more calls, so those pages were neither emptied nor given
/// back, and the calls' memory stayed in the process beside the models built from the replies.
/// 10,000 calls in flight (bench/README.md): peak RSS 64.5-68 MiB, ~77 when the client is
/// pinned to one core (the worker then wins most races); with this, 64.5-65 either way.
/// `mi_collect(false)` walks the heap's pages (a few hundred after such a burst, a handful at
/// steady load) and frees the emptied ones. Measured, not understood: collecting after every
/// 256th completion *inside* the batch instead kept all of it (84 MiB).
pub(crate) fn completing(n: usize) {
    DRAINED.with(|count| {
        let total = count.get() + n;
        if total < COLLECT_EVERY {
            count.set(total);
            return;
        }
        count.set(0);
        // SAFETY: collects the calling thread's own heap; safe at any time on any thread.
        unsafe { libmimalloc_sys::mi_collect(false) };
    });
}
