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
