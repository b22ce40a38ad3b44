//! The `rate_limit_store` option: where the ledger is shared between processes.
//!
//! A Redis URL (`redis://[:password@]host[:port][/db]`, or `rediss://` for TLS). It may carry a
//! password, so it is held like the API key: `Debug` and `Display` show it with the password
//! replaced by `***`, errors never echo it, and only the Redis client reads it whole.

use std::fmt;

#[cfg(target_arch = "wasm32")]
use crate::wire::fetch::url::Url;
#[cfg(not(target_arch = "wasm32"))]
use url::Url;

use crate::error::{Error, ErrorKind, Result};

/// Environment variable read when no store is given.
pub const RATE_LIMIT_STORE_ENV: &str = "DELEGIR_RATE_LIMIT_STORE";

/// A checked store URL.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct StoreUrl {
    url: Url,
}

impl StoreUrl {
    /// Checks `raw` (from `source`: the option or the environment variable).
    pub(crate) fn parse(raw: &str, source: &str) -> Result<StoreUrl> {
        let invalid = |why: String| {
            Error::new(
                ErrorKind::Configuration,
                format!(
                    "the rate-limit store from {source} {why}; use redis://host:6379/0 or \
                     rediss://:password@host:6380/0"
                ),
            )
        };
        // url's errors describe the problem without echoing the input (which may hold a password).
        let url =
            Url::parse(raw.trim()).map_err(|e| invalid(format!("is not a valid URL ({e})")))?;
        match url.scheme() {
            "redis" | "rediss" => {}
            other => {
                return Err(invalid(format!(
                    "has scheme {other:?}; only redis:// and rediss:// (Redis or Valkey) are supported"
                )));
            }
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(invalid("has no host".to_owned()));
        }
        // The Redis client reads `protocol` and ignores any other query parameter: one given
        // for something else (a timeout, a pool size) would be dropped without a word. Named
        // without its value, which may be a secret.
        if let Some(query) = url.query().filter(|q| !q.is_empty()) {
            for pair in query.split('&') {
                let name = pair.split('=').next().unwrap_or_default();
                if name != "protocol" {
                    return Err(invalid(format!(
                        "has the query parameter {name:?}, which the Redis client does not read \
                         (only protocol=resp2 or protocol=resp3)"
                    )));
                }
            }
        }
        let store = StoreUrl { url };
        #[cfg(target_arch = "wasm32")]
        {
            Err(Error::new(
                ErrorKind::Configuration,
                format!(
                    "the rate-limit store from {source} ({store}) is not supported on WebAssembly \
                     (no sockets there): leave rate_limit_store unset"
                ),
            ))
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            // The Redis client's own checks (database number, ...), without connecting.
            if let Err(e) = redis::Client::open(store.expose()) {
                return Err(invalid(format!(
                    "({store}) is refused: {}",
                    store.scrub(&e.to_string())
                )));
            }
            Ok(store)
        }
    }

    /// The URL with its password. Only the Redis client reads it.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn expose(&self) -> &str {
        self.url.as_str()
    }

    /// `text` with any occurrence of the password replaced by `***` (for error messages that a
    /// library may have built from the URL).
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn scrub(&self, text: &str) -> String {
        match self.url.password() {
            Some(password) if !password.is_empty() => text.replace(password, "***"),
            _ if !self.url.username().is_empty() => text.replace(self.url.username(), "***"),
            _ => text.to_owned(),
        }
    }
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.url.clone();
        if shown.password().is_some() {
            let _ = shown.set_password(Some("***"));
        } else if !shown.username().is_empty() {
            // `redis://TOKEN@host`: a user name without a password is most often the password
            // written without its colon (Redis before ACLs had passwords only).
            let _ = shown.set_username("***");
        }
        f.write_str(shown.as_str())
    }
}

impl fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_hidden_everywhere_but_expose() {
        let store = StoreUrl::parse("rediss://:s3cr3t-pw@cache.internal:6380/2", "test").unwrap();
        assert_eq!(store.to_string(), "rediss://:***@cache.internal:6380/2");
        assert!(!format!("{store:?}").contains("s3cr3t"));
        assert!(store.expose().contains("s3cr3t-pw"));
        let with_user = StoreUrl::parse("redis://app:s3cr3t@h/0", "test").unwrap();
        assert_eq!(with_user.to_string(), "redis://app:***@h/0");
        assert_eq!(store.scrub("auth s3cr3t-pw failed"), "auth *** failed");
        let token_only = StoreUrl::parse("redis://S3CRETTOKEN@127.0.0.1:1/0", "test").unwrap();
        assert_eq!(token_only.to_string(), "redis://***@127.0.0.1:1/0");
        assert!(!format!("{token_only:?}").contains("S3CRET"));
        assert_eq!(token_only.scrub("user S3CRETTOKEN"), "user ***");
    }

    #[test]
    fn query_parameters_the_redis_client_does_not_read_are_refused() {
        let error = StoreUrl::parse("redis://:pw@h:6379/0?timeout=5", "test").unwrap_err();
        assert!(error.to_string().contains("\"timeout\""), "{error}");
        assert!(!error.to_string().contains("pw"), "{error}");
        #[cfg(not(target_arch = "wasm32"))]
        StoreUrl::parse("redis://h:6379/0?protocol=resp3", "test").unwrap();
    }

    #[test]
    fn other_schemes_and_garbage_are_refused_without_echoing_the_url() {
        for raw in [
            "http://:pw1234@host:6379",
            "memcached://host",
            "not a url pw1234",
            "redis://",
        ] {
            let e = StoreUrl::parse(raw, "DELEGIR_RATE_LIMIT_STORE").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Configuration);
            assert!(!e.message().contains("pw1234"), "{}", e.message());
            assert!(e.message().contains("DELEGIR_RATE_LIMIT_STORE"));
        }
    }
}
