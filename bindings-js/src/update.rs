//! `agents.update`'s argument as the core's type, from the fields JavaScript passes (each
//! binding reads them from its own kind of object: `bindings-node/src/models.rs`,
//! `bindings-wasm/src/client.rs`).

/// The configuration fields of an update, as JavaScript passes them.
pub struct ConfigUpdateArgs {
    pub model: Option<String>,
    pub system_prompt: Option<String>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<i64>,
}

/// `agents.update`'s fields as the core's type. Only converts; the core's `validate::update`
/// checks the result when the call runs.
pub fn agent_update(
    name: Option<String>,
    status: Option<String>,
    config: Option<ConfigUpdateArgs>,
) -> delegir::Result<delegir::AgentUpdate> {
    let status = status.map(|s| match s.as_str() {
        "active" => delegir::AgentStatus::Active,
        "paused" => delegir::AgentStatus::Paused,
        _ => delegir::AgentStatus::Other(s),
    });
    let config = match config {
        None => None,
        Some(c) => Some(delegir::AgentConfigUpdate {
            model: c.model,
            system_prompt: c.system_prompt,
            temperature: c.temperature,
            // JavaScript numbers are signed; the core checks the value before it becomes a u64.
            max_tokens: c
                .max_tokens
                .map(delegir::validate::max_tokens)
                .transpose()?,
        }),
    };
    Ok(delegir::AgentUpdate {
        name,
        status,
        config,
    })
}
