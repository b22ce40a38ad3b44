//! The bridge from a JavaScript `AbortSignal` to dropping the Rust call.
//!
//! The TypeScript layer makes one `CancelToken` per call that has a `signal` and calls its
//! `cancel()` on `abort`. On the napi addon the token is a Rust class; here it is the small
//! JavaScript class in `src-ts/wasm-binding.ts` (wasm-bindgen cannot lend an exported object to
//! a call without consuming it, and the TypeScript layer keeps using the token after passing it).
//! The call's future subscribes a listener, races [`Cancelled`] against the call and drops the
//! call when the token fires, which aborts the `fetch` in flight and releases the call's place in
//! the rate-limit ledger. The listener is unsubscribed before it is freed, so a token fired later
//! never calls into a dropped closure.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `CancelToken` of `src-ts/wasm-binding.ts`.
    pub type CancelToken;

    #[wasm_bindgen(method, getter)]
    fn cancelled(this: &CancelToken) -> bool;
    #[wasm_bindgen(method)]
    fn subscribe(this: &CancelToken, listener: &Closure<dyn FnMut()>);
    #[wasm_bindgen(method)]
    fn unsubscribe(this: &CancelToken, listener: &Closure<dyn FnMut()>);
}

#[derive(Default)]
struct State {
    fired: bool,
    waker: Option<Waker>,
}

/// Completes once the token has fired (at once if it already has).
pub(crate) struct Cancelled {
    token: CancelToken,
    state: Rc<RefCell<State>>,
    listener: Closure<dyn FnMut()>,
}

impl Cancelled {
    pub(crate) fn new(token: CancelToken) -> Cancelled {
        let state = Rc::new(RefCell::new(State {
            fired: token.cancelled(),
            waker: None,
        }));
        let shared = Rc::clone(&state);
        let listener = Closure::<dyn FnMut()>::new(move || {
            let waker = {
                let mut state = shared.borrow_mut();
                state.fired = true;
                state.waker.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        });
        token.subscribe(&listener);
        Cancelled {
            token,
            state,
            listener,
        }
    }
}

impl Future for Cancelled {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.state.borrow_mut();
        if state.fired {
            return Poll::Ready(());
        }
        state.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for Cancelled {
    fn drop(&mut self) {
        self.token.unsubscribe(&self.listener);
    }
}
