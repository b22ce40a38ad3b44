//! Options for starting an emulator.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

/// How an [`Emulator`](crate::Emulator) listens, routes and limits requests.
///
/// `EmulatorOptions::default()` is what tests want: loopback, a free port, the real API's prefix and
/// rate limit (60 requests per 60 s per key), a journal of the last 10,000 requests and no request log.
#[derive(Clone, Debug)]
pub struct EmulatorOptions {
    /// Address to bind. Default `127.0.0.1`.
    pub host: IpAddr,
    /// Port to bind; `0` (the default) picks a free port.
    pub port: u16,
    /// Path prefix of the public API. Default `/api/v1`.
    pub prefix: String,
    /// Requests allowed per key per window; `0` turns rate limiting off. Default 60.
    pub rate_limit: u32,
    /// Length of the fixed rate-limit window: 1 ms to one day ([`MAX_RATE_WINDOW`](crate::MAX_RATE_WINDOW)).
    /// Default 60 s.
    pub rate_window: Duration,
    /// How many requests the journal keeps (oldest dropped first). Default 10,000.
    pub journal_capacity: usize,
    /// Log one line per request to stderr (method, path, status, elapsed, key fingerprint).
    /// Default `false` (the binary turns it on unless `--quiet`).
    pub log_requests: bool,
}

impl Default for EmulatorOptions {
    fn default() -> Self {
        EmulatorOptions {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            prefix: "/api/v1".to_string(),
            rate_limit: 60,
            rate_window: Duration::from_secs(60),
            journal_capacity: 10_000,
            log_requests: false,
        }
    }
}

/// Normalizes a prefix to `""` or `/segment[/segment…]` without a trailing slash.
pub(crate) fn normalize_prefix(prefix: &str) -> String {
    let trimmed = prefix.trim().trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("/{trimmed}")
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_prefix;

    #[test]
    fn prefix_gets_one_leading_slash_and_no_trailing_slash() {
        assert_eq!(normalize_prefix("/api/v1"), "/api/v1");
        assert_eq!(normalize_prefix("api/v1/"), "/api/v1");
        assert_eq!(normalize_prefix("/"), "");
        assert_eq!(normalize_prefix(""), "");
    }
}
