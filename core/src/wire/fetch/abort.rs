//! An `AbortController` per attempt that aborts the request when the attempt is dropped before
//! it finished (its timeout ran out, or the call was cancelled), so the host closes the request
//! instead of reading a response nobody waits for.

use web_sys::AbortController;

use super::errors::FetchError;

pub(super) struct AbortOnDrop {
    /// `None` once the attempt finished.
    controller: Option<AbortController>,
}

impl AbortOnDrop {
    pub(super) fn new() -> Result<AbortOnDrop, FetchError> {
        let controller =
            AbortController::new().map_err(|e| FetchError::from_js("AbortController", &e))?;
        Ok(AbortOnDrop {
            controller: Some(controller),
        })
    }

    /// The controller whose signal `fetch` gets (`send.js` reads it).
    pub(super) fn controller(&self) -> &AbortController {
        match &self.controller {
            Some(controller) => controller,
            None => unreachable!("the signal is taken before the attempt finishes"),
        }
    }

    /// The attempt finished: nothing to abort any more.
    pub(super) fn disarm(&mut self) {
        self.controller = None;
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(controller) = self.controller.take() {
            controller.abort();
        }
    }
}
