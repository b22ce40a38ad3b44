//! The `User-Agent` every SDK sends: which SDK and version, on which runtime and OS, so the API's
//! operators can tell SDKs and platforms apart (as other vendors' SDKs report them).
//!
//! - Rust: `delegir-rust/0.1.0 (Rust; linux; x86_64)`
//! - a binding: `delegir-python/0.1.0 (CPython 3.11.7; linux; x86_64) delegir-rust/0.1.0`
//! - on wasm32, where the OS is the host's: `delegir-node/0.1.0 (Deno 2.1.4; wasm32) delegir-rust/0.1.0`
//!
//! followed by the application's own suffix, if it set one. The OS and architecture are those the
//! core was compiled for (`std::env::consts`), which is what the binary runs on.

/// The SDK of another language that wraps this core: its product token and its runtime.
#[derive(Clone, Debug)]
pub(crate) struct Binding {
    /// `delegir-python/0.1.0`.
    pub product: String,
    /// `CPython 3.11.7`, `Node.js 20.19.0`.
    pub runtime: String,
}

/// The header's value.
pub(crate) fn user_agent(binding: Option<&Binding>, suffix: Option<&str>) -> String {
    let core = concat!("delegir-rust/", env!("CARGO_PKG_VERSION"));
    // `linux; x86_64`; on wasm32 the OS is the host's, unknown here: `wasm32` alone.
    let platform = match (std::env::consts::OS, std::env::consts::ARCH) {
        ("", arch) => arch.to_owned(),
        (os, arch) => format!("{os}; {arch}"),
    };
    let mut value = match binding {
        Some(b) => format!("{} ({}; {platform}) {core}", b.product, b.runtime),
        None => format!("{core} (Rust; {platform})"),
    };
    if let Some(suffix) = suffix {
        value.push(' ');
        value.push_str(suffix);
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_names_itself_with_runtime_and_os() {
        let ua = user_agent(None, None);
        let expected = format!(
            "delegir-rust/{} (Rust; {}; {})",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS,
            std::env::consts::ARCH
        );
        assert_eq!(ua, expected);
    }

    #[test]
    fn a_binding_leads_and_the_application_suffix_trails() {
        let binding = Binding {
            product: "delegir-python/9.9.9".into(),
            runtime: "CPython 3.12.1".into(),
        };
        let ua = user_agent(Some(&binding), Some("my-app/1.0"));
        assert!(
            ua.starts_with("delegir-python/9.9.9 (CPython 3.12.1; "),
            "{ua}"
        );
        assert!(ua.ends_with(&format!(
            ") delegir-rust/{} my-app/1.0",
            env!("CARGO_PKG_VERSION")
        )));
    }
}
