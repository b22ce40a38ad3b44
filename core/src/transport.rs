//! Sends an [`ApiRequest`]: rate-limit ledger, attempts, retries, decoding. (Being written.)

use serde::de::DeserializeOwned;

use crate::client::Client;
use crate::config::Config;
use crate::error::{Error, ErrorKind, Result};
use crate::request::ApiRequest;

/// The HTTP side of a client: connection pool and ledger.
pub(crate) struct Transport {}

impl Transport {
    pub(crate) fn new(_config: &Config) -> Result<Transport> {
        Ok(Transport {})
    }
}

impl Client {
    /// Sends `request` with retries and decodes the envelope's `data` as `T`.
    pub(crate) async fn send<T: DeserializeOwned>(&self, request: ApiRequest) -> Result<T> {
        let _ = request;
        Err(Error::new(
            ErrorKind::Connection,
            "transport not written yet",
        ))
    }
}
