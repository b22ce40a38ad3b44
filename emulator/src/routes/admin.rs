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

/// The key an admin call is scoped to: none without `X-API-Key`; a header that is not text is
/// refused rather than read as "no key" (which would act on every key).
fn scope(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    headers
        .get("x-api-key")
        .map(|v| {
            v.to_str().map(str::to_owned).map_err(|_| {
                ApiError::bad_request(
                    "'X-API-Key' must be visible ASCII text (it scopes the call to that key)",
                )
            })
        })
        .transpose()
}

/// Runs `f` with the call's scope, or answers the scope's error.
fn scoped(headers: &HeaderMap, f: impl FnOnce(Option<&str>) -> Response) -> Response {
    match scope(headers) {
        Ok(key) => f(key.as_deref()),
        Err(e) => e.into_response(),
    }
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
    scoped(&headers, |key| response::data(&shared.journal(key)))
}

async fn clear_journal(State(shared): S, headers: HeaderMap) -> Response {
    scoped(&headers, |key| {
        let cleared = shared.clear_journal(key);
        response::data(&json!({ "cleared": cleared }))
    })
}

async fn list_faults(State(shared): S, headers: HeaderMap) -> Response {
    scoped(&headers, |key| response::data(&shared.faults.list(key)))
}

async fn push_fault(State(shared): S, headers: HeaderMap, body: Bytes) -> Response {
    let result = scope(&headers).and_then(|key| {
        let mut rule = parse::<FaultRule>(&body)?;
        if rule.api_key.is_none() {
            rule.api_key = key;
        }
        let rule = shared
            .push_fault(rule)
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        Ok(response::data(&rule))
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn clear_faults(State(shared): S, headers: HeaderMap) -> Response {
    scoped(&headers, |key| {
        let cleared = shared.faults.clear(key);
        response::data(&json!({ "cleared": cleared }))
    })
}

async fn reset(State(shared): S, headers: HeaderMap) -> Response {
    scoped(&headers, |key| {
        shared.reset(key);
        response::data(&json!({ "reset": if key.is_some() { "key" } else { "all" } }))
    })
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
        let limit = body.rate_limit.unwrap_or_else(|| shared.rate.limit());
        let window = body
            .rate_window_ms
            .map_or_else(|| shared.rate.window(), Duration::from_millis);
        // Windows restart only if the limit or the window changed (not for `{"gzip": …}`).
        shared
            .set_rate_limit(limit, window)
            .map_err(|e| ApiError::bad_request(format!("'rate_window_ms' {}", e.problem())))?;
        if let Some(on) = body.gzip {
            shared.set_gzip(on);
        }
        Ok(response::data(&config_body(&shared)))
    });
    result.unwrap_or_else(IntoResponse::into_response)
}
