//! The environment variables that change where connections go or which roots are trusted, for
//! the test binaries that set them (each in its own process, holding its own lock or running
//! one test).

/// Every variable that can change where connections go or which roots are trusted, and
/// `REQUEST_METHOD` (CGI, which changes how the proxy variables are read).
const NETWORK_VARIABLES: &[&str] = &[
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUEST_METHOD",
];

/// Sets `vars` and removes every other network variable.
///
/// # Safety
///
/// No other thread may read or write the environment meanwhile: the caller's test binary
/// serializes its tests (a lock, or a single test), and clients read it only in `build()`.
pub unsafe fn set_network_environment(vars: &[(&str, &str)]) {
    for name in NETWORK_VARIABLES {
        // SAFETY: the caller's (above).
        unsafe { std::env::remove_var(name) };
    }
    for (name, value) in vars {
        // SAFETY: the caller's (above).
        unsafe { std::env::set_var(name, value) };
    }
}
