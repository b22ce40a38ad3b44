//! The rate-limit ledger: paces requests so that they do not meet 429s. (Being written.)

use std::sync::Arc;
use std::time::Duration;

use crate::headers::ResponseMeta;
use crate::secret::ApiKey;

/// The ledger of one (key, base URL) in this process.
#[derive(Debug, Default)]
pub(crate) struct Ledger {}

/// What became of an admitted request.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Observed<'a> {
    /// A response came back with these headers and this status.
    Response { status: u16, meta: &'a ResponseMeta },
    /// No response (connection error, timeout): the request may or may not have counted.
    NoResponse,
}

/// The place of one admitted request. Settle it with what came back; dropping it unsettled
/// (a cancelled call) releases the place.
#[derive(Debug)]
pub(crate) struct Admission {
    _ledger: Arc<Ledger>,
}

impl Admission {
    /// Records what the response said and releases the place.
    pub(crate) fn settle(self, observed: Observed<'_>) {
        let _ = observed;
    }
}

impl Ledger {
    /// The process-wide ledger for this key and base URL (keyed by a hash, never the key).
    pub(crate) fn shared(api_key: &ApiKey, base_url: &str) -> Arc<Ledger> {
        let _ = (api_key, base_url);
        Arc::new(Ledger {})
    }

    /// Waits (FIFO) until a request may be sent. When the wait would exceed `max_wait`, returns
    /// at once with `Err(wait)`: how long until the window resets.
    pub(crate) async fn admit(self: &Arc<Self>, max_wait: Duration) -> Result<Admission, Duration> {
        let _ = max_wait;
        Ok(Admission {
            _ledger: Arc::clone(self),
        })
    }
}
