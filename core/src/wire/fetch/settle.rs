//! An attempt's promise awaited without `JsFuture`: `send.js` reports the outcome through one
//! callback made once per module, into a slot the attempt's future reads.
//!
//! `JsFuture` makes two wasm-bindgen closures per promise (resolve, reject), each registered with
//! a FinalizationRegistry when made and unregistered when dropped; in a profile of the small GET
//! under Node that was ~7% of the SDK's CPU per call. A slot is a vector entry.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use wasm_bindgen::prelude::*;

/// The outcome of a promise: its value, or what it rejected with.
type Outcome = Result<JsValue, JsValue>;

/// `send.js`'s callback: the slot, the value, whether it is a value (else a rejection).
type Callback = Closure<dyn FnMut(u32, JsValue, bool)>;

enum Slot {
    Free,
    /// Waiting for `send.js`, with the waker of the task that polled last.
    Waiting(Option<Waker>),
    Settled(Outcome),
    /// Its future was dropped first: freed when the outcome arrives (a slot is never reused
    /// while a callback for it may still come).
    Abandoned,
}

#[derive(Default)]
struct Slots {
    slots: Vec<Slot>,
    free: Vec<u32>,
    /// `on_settled`, made once and kept for the module's life.
    callback: Option<Callback>,
}

thread_local! {
    static SLOTS: RefCell<Slots> = RefCell::new(Slots::default());
}

/// `send.js` calls this once per attempt: `ok` says whether `value` is the value or the reason.
fn on_settled(slot: u32, value: JsValue, ok: bool) {
    let outcome = if ok { Ok(value) } else { Err(value) };
    // Replaced entries are dropped after the borrow: a waker may be a task's last reference.
    let (_old, waker) = SLOTS.with(|slots| {
        let slots = &mut *slots.borrow_mut();
        let Some(entry) = slots.slots.get_mut(slot as usize) else {
            return (None, None);
        };
        match std::mem::replace(entry, Slot::Free) {
            Slot::Waiting(waker) => {
                *entry = Slot::Settled(outcome);
                (None, waker)
            }
            Slot::Abandoned => {
                slots.free.push(slot);
                (Some(outcome), None)
            }
            // Settled or free: a second report for a slot is ignored.
            other => {
                *entry = other;
                (Some(outcome), None)
            }
        }
    });
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// A slot waiting for one outcome, and the callback `send.js` reports it to.
pub(super) struct Pending {
    slot: Option<u32>,
}

impl Pending {
    pub(super) fn new() -> Pending {
        let slot = SLOTS.with(|slots| {
            let slots = &mut *slots.borrow_mut();
            match slots.free.pop() {
                Some(slot) => {
                    slots.slots[slot as usize] = Slot::Waiting(None);
                    slot
                }
                None => {
                    slots.slots.push(Slot::Waiting(None));
                    (slots.slots.len() - 1) as u32
                }
            }
        });
        Pending { slot: Some(slot) }
    }

    /// The slot's number, for `send.js`.
    pub(super) fn slot(&self) -> u32 {
        self.slot.unwrap_or(u32::MAX)
    }

    /// The callback that settles slots.
    pub(super) fn callback() -> js_sys::Function {
        SLOTS.with(|slots| {
            slots
                .borrow_mut()
                .callback
                .get_or_insert_with(|| Callback::new(on_settled))
                .as_ref()
                .unchecked_ref::<js_sys::Function>()
                .clone()
        })
    }

    /// Nothing will report to this slot (`send.js` threw before making its promise).
    pub(super) fn release(mut self) {
        if let Some(slot) = self.slot.take() {
            let _old = SLOTS.with(|slots| {
                let slots = &mut *slots.borrow_mut();
                slots.free.push(slot);
                std::mem::replace(&mut slots.slots[slot as usize], Slot::Free)
            });
        }
    }
}

impl Future for Pending {
    type Output = Outcome;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        let Some(slot) = self.slot else {
            return Poll::Pending;
        };
        let (ready, _old) = SLOTS.with(|slots| {
            let slots = &mut *slots.borrow_mut();
            let entry = &mut slots.slots[slot as usize];
            match entry {
                Slot::Settled(_) => match std::mem::replace(entry, Slot::Free) {
                    Slot::Settled(outcome) => {
                        slots.free.push(slot);
                        (Some(outcome), None)
                    }
                    _ => (None, None),
                },
                Slot::Waiting(waker) if waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) => {
                    (None, None)
                }
                Slot::Waiting(waker) => (None, waker.replace(cx.waker().clone())),
                Slot::Free | Slot::Abandoned => (None, None),
            }
        });
        match ready {
            Some(outcome) => {
                self.slot = None;
                Poll::Ready(outcome)
            }
            None => Poll::Pending,
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            let _old = SLOTS.with(|slots| {
                let slots = &mut *slots.borrow_mut();
                let entry = &mut slots.slots[slot as usize];
                match entry {
                    Slot::Waiting(_) => Some(std::mem::replace(entry, Slot::Abandoned)),
                    Slot::Settled(_) => {
                        let old = std::mem::replace(entry, Slot::Free);
                        slots.free.push(slot);
                        Some(old)
                    }
                    Slot::Free | Slot::Abandoned => None,
                }
            });
        }
    }
}
