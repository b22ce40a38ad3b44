//! JSON responses in the API's envelope: `{"data": …}` on success, `{"error": "…"}` on failure.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;

/// `{"data": value}` with status 200.
pub(crate) fn data<T: Serialize>(value: &T) -> Response {
    #[derive(Serialize)]
    struct Envelope<'a, T> {
        data: &'a T,
    }
    json(StatusCode::OK, &Envelope { data: value })
}

/// Any serializable value as a JSON response.
pub(crate) fn json<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Response {
    let mut buf = Vec::with_capacity(512);
    if serde_json::to_writer(&mut buf, value).is_err() {
        return ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
            .into_response();
    }
    raw_json(status, buf)
}

/// Bytes already known to be JSON (or deliberately not, for faults) as an `application/json` response.
pub(crate) fn raw_json(status: StatusCode, body: impl Into<Body>) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// An error answered as `{"error": message}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }

    /// 400 with a message saying what was wrong.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    /// 404 "Agent not found".
    pub(crate) fn agent_not_found() -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "Agent not found")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct ErrorBody<'a> {
            error: &'a str,
        }
        json(
            self.status,
            &ErrorBody {
                error: &self.message,
            },
        )
    }
}
