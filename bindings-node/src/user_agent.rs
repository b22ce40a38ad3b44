//! The Node SDK's part of the `User-Agent`: `delegir-node/0.1.0 (Node.js 20.19.0; linux; x86_64)
//! delegir-rust/0.1.0` (the core adds the OS, architecture and its own token).

use delegir::ClientBuilder;
use napi::Env;
use napi::bindgen_prelude::{JsObjectValue, Object};

/// The builder with this SDK's product token and the runtime that loaded the addon.
pub(crate) fn identify(env: &Env, builder: ClientBuilder) -> ClientBuilder {
    builder.binding_user_agent(
        concat!("delegir-node/", env!("CARGO_PKG_VERSION")),
        runtime(env),
    )
}

/// `Node.js 20.19.0`, `Bun 1.3.4` or `Deno 2.5.6`: the same names as the WebAssembly build's
/// (`wasm-binding.ts`). Bun and Deno report to napi the Node.js version they implement, so they
/// are told apart by their globals.
fn runtime(env: &Env) -> String {
    if let Some(host) = bun_or_deno(env) {
        return host;
    }
    match env.get_node_version() {
        Ok(v) => format!("Node.js {}.{}.{}", v.major, v.minor, v.patch),
        Err(_) => "Node.js".to_owned(),
    }
}

/// `globalThis.Bun.version` or `globalThis.Deno.version.deno`, when there is one.
fn bun_or_deno(env: &Env) -> Option<String> {
    let global = env.get_global().ok()?;
    if let Some(bun) = global.get_named_property::<Option<Object>>("Bun").ok()? {
        let version = bun.get::<String>("version").ok()??;
        return Some(format!("Bun {version}"));
    }
    let deno = global.get_named_property::<Option<Object>>("Deno").ok()??;
    let version = deno.get::<Object>("version").ok()??;
    Some(format!("Deno {}", version.get::<String>("deno").ok()??))
}
