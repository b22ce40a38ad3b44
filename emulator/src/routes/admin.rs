//! The admin API under `/__emulator/`: the same controls as the [`Emulator`](crate::Emulator)
//! handle, over HTTP, for tests in any language. No key is needed; an `X-API-Key` header scopes
//! journal, reset and fault operations to that key. Admin requests are not journaled.

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use http::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

use crate::faults::FaultRule;
use crate::keys;
use crate::response::{self, ApiError};
use crate::shared::Shared;

/// Path prefix of the admin API.
pub(crate) const ADMIN_PREFIX: &str = "/__emulator";

type S = State<Arc<Shared>>;

/// The admin routes.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/__emulator/health", get(health))
        .route("/__emulator/journal", get(journal).delete(clear_journal))
        .route(
            "/__emulator/faults",
            get(list_faults).post(push_fault).delete(clear_faults),
        )
        .route("/__emulator/reset", post(reset))
        .route("/__emulator/keys", post(new_key))
        .route("/__emulator/keys/revoke", post(revoke_key))
        .route("/__emulator/config", get(get_config).put(put_config))
        .fallback(super::not_found)
        .method_not_allowed_fallback(super::method_not_allowed)
        .with_state(shared)
}

fn scope(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("Invalid request body: {e}")))
}

async fn health(State(shared): S) -> Response {
    response::data(&json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "prefix": shared.prefix,
    }))
}

async fn journal(State(shared): S, headers: HeaderMap) -> Response {
    response::data(&shared.journal(scope(&headers).as_deref()))
}

async fn clear_journal(State(shared): S, headers: HeaderMap) -> Response {
    let cleared = shared.clear_journal(scope(&headers).as_deref());
    response::data(&json!({ "cleared": cleared }))
}

async fn list_faults(State(shared): S, headers: HeaderMap) -> Response {
    response::data(&shared.faults.list(scope(&headers).as_deref()))
}

async fn push_fault(State(shared): S, headers: HeaderMap, body: Bytes) -> Response {
    let result = parse::<FaultRule>(&body).and_then(|mut rule| {
        if rule.api_key.is_none() {
            rule.api_key = scope(&headers);
        }
        rule.method = rule.method.to_ascii_uppercase();
        rule.validate().map_err(ApiError::bad_request)?;
        let answer = response::data(&rule);
        shared.push_fault(rule);
        Ok(answer)
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn clear_faults(State(shared): S, headers: HeaderMap) -> Response {
    let cleared = shared.faults.clear(scope(&headers).as_deref());
    response::data(&json!({ "cleared": cleared }))
}

async fn reset(State(shared): S, headers: HeaderMap) -> Response {
    let key = scope(&headers);
    shared.reset(key.as_deref());
    response::data(&json!({ "reset": if key.is_some() { "key" } else { "all" } }))
}

async fn new_key() -> Response {
    response::data(&json!({ "api_key": keys::generate() }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeBody {
    api_key: String,
}

async fn revoke_key(State(shared): S, body: Bytes) -> Response {
    let result = parse::<RevokeBody>(&body).and_then(|RevokeBody { api_key }| {
        if !keys::is_well_formed(&api_key) {
            return Err(ApiError::bad_request(
                "'api_key' must be a well-formed key (dlg_live_… or dlg_test_… followed by letters and digits)",
            ));
        }
        shared.namespaces.revoke(&api_key);
        Ok(response::data(&json!({ "revoked": true })))
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

/// The rate-limit configuration as the admin API shows and accepts it.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RateConfigBody {
    rate_limit: Option<u32>,
    rate_window_ms: Option<u64>,
    /// gzip responses to requests that accept it (default off; see `compression.rs`).
    gzip: Option<bool>,
}

fn config_body(shared: &Shared) -> RateConfigBody {
    RateConfigBody {
        rate_limit: Some(shared.rate.limit()),
        rate_window_ms: Some(shared.rate.window().as_millis() as u64),
        gzip: Some(shared.gzip()),
    }
}

async fn get_config(State(shared): S) -> Response {
    response::data(&config_body(&shared))
}

async fn put_config(State(shared): S, body: Bytes) -> Response {
    let result = parse::<RateConfigBody>(&body).and_then(|body| {
        if body.rate_window_ms == Some(0) {
            return Err(ApiError::bad_request("'rate_window_ms' must be at least 1"));
        }
        let limit = body.rate_limit.unwrap_or_else(|| shared.rate.limit());
        let window = body
            .rate_window_ms
            .map_or_else(|| shared.rate.window(), Duration::from_millis);
        shared.set_rate_limit(limit, window);
        if let Some(on) = body.gzip {
            shared.set_gzip(on);
        }
        Ok(response::data(&config_body(&shared)))
    });
    result.unwrap_or_else(IntoResponse::into_response)
}
