//! The Node SDK's part of the `User-Agent`: `delegir-node/0.1.0 (Node.js 20.19.0; linux; x86_64)
//! delegir-rust/0.1.0` (the core adds the OS, architecture and its own token).

use delegir::ClientBuilder;
use napi::Env;

/// The builder with this SDK's product token and the runtime that loaded the addon.
pub(crate) fn identify(env: &Env, builder: ClientBuilder) -> ClientBuilder {
    builder.binding_user_agent(
        concat!("delegir-node/", env!("CARGO_PKG_VERSION")),
        runtime(env),
    )
}

/// `Node.js 20.19.0` (Bun and Deno report the Node.js version they implement).
fn runtime(env: &Env) -> String {
    match env.get_node_version() {
        Ok(v) => format!("Node.js {}.{}.{}", v.major, v.minor, v.patch),
        Err(_) => "Node.js".to_owned(),
    }
}
