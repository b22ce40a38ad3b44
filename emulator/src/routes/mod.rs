//! HTTP routes: the public API (`agents`) and the test-control API (`admin`).

pub(crate) mod admin;
pub(crate) mod agents;

use axum::response::{IntoResponse, Response};
use http::{Method, StatusCode, Uri};

use crate::response::ApiError;

/// 404 in the envelope for any unknown route.
pub(crate) async fn not_found(method: Method, uri: Uri) -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("Not found: no route for {method} {}", uri.path()),
    )
    .into_response()
}

/// 405 in the envelope for a known route with the wrong method.
pub(crate) async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("Method {method} is not allowed on {}", uri.path()),
    )
    .into_response()
}
