//! The public API's seven operations. Each handler gets the caller's [`Namespace`] from the request
//! extensions (put there by the pipeline after authentication) and works on that key's data only.

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Extension, Path, RawQuery};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use std::sync::Arc;
use std::time::Instant;

use crate::models::{AgentStatus, DeletedAgent};
use crate::response::{self, ApiError};
use crate::state::Namespace;
use crate::validation;

type Ns = Extension<Arc<Namespace>>;
type AgentId = Result<Path<String>, PathRejection>;

/// The API routes under `prefix`.
pub(crate) fn router(prefix: &str) -> Router {
    Router::new()
        .route(&format!("{prefix}/agents"), get(list_agents))
        .route(
            &format!("{prefix}/agents/{{id}}"),
            get(get_agent).put(update_agent).delete(delete_agent),
        )
        .route(&format!("{prefix}/agents/{{id}}/chat"), post(chat))
        .route(&format!("{prefix}/agents/{{id}}/runs"), get(list_runs))
        .route(&format!("{prefix}/usage"), get(usage))
        .fallback(super::not_found)
        .method_not_allowed_fallback(super::method_not_allowed)
}

fn id_of(id: AgentId) -> Result<String, ApiError> {
    id.map(|Path(id)| id)
        .map_err(|_| ApiError::agent_not_found())
}

fn respond(result: Result<Response, ApiError>) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn list_agents(Extension(ns): Ns) -> Response {
    ns.with_data(|data| {
        let agents: Vec<_> = data.agents.iter().map(|a| a.summary()).collect();
        response::data(&agents)
    })
}

async fn get_agent(Extension(ns): Ns, id: AgentId) -> Response {
    respond(id_of(id).and_then(|id| {
        ns.with_data(|data| {
            data.agent(&id)
                .map(|agent| response::data(&agent.detail()))
                .ok_or_else(ApiError::agent_not_found)
        })
    }))
}

async fn update_agent(Extension(ns): Ns, id: AgentId, body: Bytes) -> Response {
    respond((|| {
        let id = id_of(id)?;
        let update = validation::agent_update(&body).map_err(ApiError::bad_request)?;
        ns.with_data(|data| {
            let agent = data.agent_mut(&id).ok_or_else(ApiError::agent_not_found)?;
            Ok(response::data(&agent.update(update)))
        })
    })())
}

async fn delete_agent(Extension(ns): Ns, id: AgentId) -> Response {
    respond(id_of(id).and_then(|id| {
        ns.with_data(|data| {
            if data.delete(&id) {
                Ok(response::data(&DeletedAgent {
                    deleted: true,
                    id: &id,
                }))
            } else {
                Err(ApiError::agent_not_found())
            }
        })
    }))
}

async fn chat(Extension(ns): Ns, id: AgentId, body: Bytes) -> Response {
    let started = Instant::now();
    respond((|| {
        let id = id_of(id)?;
        let message = validation::chat_message(&body).map_err(ApiError::bad_request)?;
        ns.with_data(|data| {
            let index = data
                .agents
                .iter()
                .position(|a| a.id == id)
                .ok_or_else(ApiError::agent_not_found)?;
            let status = data.agents[index].status;
            if status != AgentStatus::Active {
                return Err(ApiError::bad_request(format!(
                    "Agent {id} is not active (status: {})",
                    status.as_str()
                )));
            }
            Ok(response::data(&data.chat(index, &message, started)))
        })
    })())
}

async fn list_runs(Extension(ns): Ns, id: AgentId, RawQuery(query): RawQuery) -> Response {
    respond((|| {
        let id = id_of(id)?;
        let (limit, offset) =
            validation::runs_query(query.as_deref()).map_err(ApiError::bad_request)?;
        ns.with_data(|data| {
            let agent = data.agent(&id).ok_or_else(ApiError::agent_not_found)?;
            Ok(response::data(&agent.runs_page(limit, offset)))
        })
    })())
}

async fn usage(Extension(ns): Ns) -> Response {
    ns.with_data(|data| response::data(&data.usage.view()))
}
