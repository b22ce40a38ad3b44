//! The API key, held so that it cannot be printed by accident.

use std::fmt;

use crate::error::{Error, ErrorKind, Result};

/// An API key. Its `Debug` and `Display` print `dlg_***`, never the key; the only way to read it
/// is [`ApiKey::expose`], which the transport calls once per request to set `X-API-Key`.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Checks the key's form: not empty, and only visible ASCII characters (a header value
    /// cannot carry anything else). The check names `source` (the argument or environment
    /// variable the key came from) and never echoes the key.
    pub fn parse(key: &str, source: &str) -> Result<ApiKey> {
        if key.is_empty() {
            return Err(Error::new(
                ErrorKind::Configuration,
                format!(
                    "the API key from {source} is empty; pass a key such as dlg_live_... \
                     or set DELEGIR_API_KEY"
                ),
            ));
        }
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::new(
                ErrorKind::Configuration,
                format!(
                    "the API key from {source} is malformed: it contains whitespace or \
                     non-ASCII characters; copy it again from Dashboard Settings > Developers"
                ),
            ));
        }
        Ok(ApiKey(key.to_owned()))
    }

    /// The key itself. Call only to put it on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(dlg_***)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("dlg_***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_key() {
        let key = ApiKey::parse("dlg_live_supersecret123", "test").unwrap();
        assert!(!format!("{key:?}").contains("supersecret"));
        assert!(!format!("{key}").contains("supersecret"));
        assert_eq!(key.expose(), "dlg_live_supersecret123");
    }

    #[test]
    fn empty_and_whitespace_keys_are_configuration_errors_naming_the_source() {
        let e = ApiKey::parse("", "DELEGIR_API_KEY").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Configuration);
        assert!(e.message().contains("DELEGIR_API_KEY"));
        let e = ApiKey::parse("dlg_live_abc def", "api_key").unwrap_err();
        assert!(!e.message().contains("abc def"));
    }
}
