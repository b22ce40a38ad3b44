//! The bridge from a JavaScript `AbortSignal` to dropping the Rust request future.
//!
//! The TypeScript layer creates one [`CancelToken`] per call that has a `signal` and calls
//! [`CancelToken::cancel`] from the signal's `abort` event. The call's future races the request
//! against [`CancelWatch::cancelled`] (see `runtime::run`); when the token fires, the request future
//! is dropped, which closes its connection (the server sees the client go away) and releases its
//! place in the rate-limit ledger. Calls without a signal pay nothing for this.

use std::sync::Arc;

use napi_derive::napi;
use tokio::sync::watch;

/// Cancels the native side of one call. Made by the TypeScript layer, not by users.
#[napi]
pub struct CancelToken {
    sender: Arc<watch::Sender<bool>>,
}

impl Default for CancelToken {
    fn default() -> Self {
        CancelToken {
            sender: Arc::new(watch::Sender::new(false)),
        }
    }
}

#[napi]
impl CancelToken {
    /// A token that has not fired.
    #[napi(constructor)]
    pub fn new() -> Self {
        CancelToken::default()
    }

    /// Fires the token: the call it was given to stops at once and its request is dropped.
    /// Calling it again does nothing.
    #[napi]
    pub fn cancel(&self) {
        self.sender.send_replace(true);
    }

    /// Whether the token has fired.
    #[napi(getter)]
    pub fn cancelled(&self) -> bool {
        *self.sender.borrow()
    }

    pub(crate) fn watch(&self) -> CancelWatch {
        CancelWatch {
            sender: Arc::clone(&self.sender),
        }
    }
}

/// The side of a [`CancelToken`] a call's future holds.
pub(crate) struct CancelWatch {
    sender: Arc<watch::Sender<bool>>,
}

impl CancelWatch {
    /// Completes once the token has fired (at once if it already has).
    pub(crate) async fn cancelled(self) {
        let mut receiver = self.sender.subscribe();
        // The sender lives in `self`, so `wait_for` cannot fail for a closed channel.
        let _ = receiver.wait_for(|fired| *fired).await;
    }
}
