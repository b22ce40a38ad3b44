//! Every result of a call as the [`Payload`] that crosses to JavaScript, listed once for both
//! bindings; each binding turns a `Payload` into its own kind of JavaScript value.

use std::fmt;

use delegir::{Agent, AgentDetail, ChatReply, DeletedAgent, Run, RunPage, UpdatedAgent, Usage};

use crate::json::ToJson;
use crate::run_columns::RunColumns;

/// A call's result as it crosses to JavaScript, in the forms `models.ts` reads.
pub enum Payload {
    /// A model as JSON text (`json.rs`), for `JSON.parse`.
    Json(String),
    /// Runs as columns (`run_columns.rs`): in JavaScript the array `[text, Float64Array]`, with
    /// the extras' JSON as a third element when there are any.
    Runs(RunColumns),
}

/// A result the core decoded and validated that could still not be written for JavaScript (in
/// practice never: serde_json fails to write only non-string map keys, which no model has). The
/// bindings report it as a `response_validation` failure.
#[derive(Debug)]
pub struct PayloadError(serde_json::Error);

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not hand the response to JavaScript: {}", self.0)
    }
}

impl std::error::Error for PayloadError {}

/// A call's result as a [`Payload`].
pub trait IntoPayload {
    /// The payload, or why the result could not be written.
    fn payload(&self) -> Result<Payload, PayloadError>;
}

/// The results that cross as JSON.
macro_rules! json_payload {
    ($($t:ty),* $(,)?) => {$(
        impl IntoPayload for $t {
            fn payload(&self) -> Result<Payload, PayloadError> {
                self.to_json().map(Payload::Json).map_err(PayloadError)
            }
        }
    )*};
}

json_payload!(
    Vec<Agent>,
    AgentDetail,
    UpdatedAgent,
    DeletedAgent,
    ChatReply,
    Usage
);

impl IntoPayload for RunPage {
    fn payload(&self) -> Result<Payload, PayloadError> {
        RunColumns::page(self)
            .map(Payload::Runs)
            .map_err(PayloadError)
    }
}

/// A page of the run pager: its runs as columns, or the JSON `null` once every run was yielded.
impl IntoPayload for Option<Vec<Run>> {
    fn payload(&self) -> Result<Payload, PayloadError> {
        match self {
            None => Ok(Payload::Json("null".to_owned())),
            Some(runs) => RunColumns::runs(runs)
                .map(Payload::Runs)
                .map_err(PayloadError),
        }
    }
}
