//! URLs parsed by the JavaScript host's `URL` (wasm32), with the few accessors of the `url`
//! crate's `Url` that the builder and the store option read.
//!
//! Why not the `url` crate here: it carries the IDNA (UTS 46) Unicode tables of ICU4X, about
//! 110 KiB of the 550 KiB module (47 KiB gzip), and every host the WebAssembly build runs on has
//! a WHATWG URL parser already, the very standard the `url` crate implements. Same parse, same
//! normalisation (IPv4 forms to dotted decimal, IDNA to punycode), no tables shipped.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// A URL the host parsed: its serialisation and the parts the SDK checks.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Url {
    href: String,
    scheme: String,
    username: String,
    password: String,
    hostname: String,
}

/// Why the host refused a URL (its `TypeError`'s message).
#[derive(Debug)]
pub(crate) struct ParseError(String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A URL's host, as `url::Host` has it.
pub(crate) enum Host<'a> {
    Domain(&'a str),
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
}

impl Url {
    pub(crate) fn parse(raw: &str) -> Result<Url, ParseError> {
        let url = web_sys::Url::new(raw).map_err(|e| {
            // The host's message (e.g. "Invalid URL"). Some hosts quote the input, which may hold
            // a password in its `user:password@`: then the input is cut out. Only then: an input
            // such as "I" would otherwise be cut out of the words of the message.
            let message = js_sys::Reflect::get(&e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "invalid URL".to_owned());
            ParseError(if raw.contains('@') {
                message.replace(raw, "<input>")
            } else {
                message
            })
        })?;
        let scheme = url.protocol();
        Ok(Url {
            href: url.href(),
            scheme: scheme.strip_suffix(':').unwrap_or(&scheme).to_owned(),
            username: url.username(),
            password: url.password(),
            hostname: url.hostname(),
        })
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.href
    }

    pub(crate) fn scheme(&self) -> &str {
        &self.scheme
    }

    pub(crate) fn username(&self) -> &str {
        &self.username
    }

    /// `None` when there is none (the host's `password` is then empty).
    pub(crate) fn password(&self) -> Option<&str> {
        Some(self.password.as_str()).filter(|p| !p.is_empty())
    }

    pub(crate) fn host_str(&self) -> Option<&str> {
        Some(self.hostname.as_str()).filter(|h| !h.is_empty())
    }

    pub(crate) fn host(&self) -> Option<Host<'_>> {
        let host = self.host_str()?;
        if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            return v6.parse().ok().map(Host::Ipv6);
        }
        // The host serialises every IPv4 form (`0x7f.1`, `2130706433`) as dotted decimal.
        Some(match host.parse() {
            Ok(v4) => Host::Ipv4(v4),
            Err(_) => Host::Domain(host),
        })
    }

    /// The query, `Some("")` for a bare `?`. Read from the serialisation, as the host's `search`
    /// is empty both without a query and with an empty one: a `?` or `#` elsewhere in a
    /// serialised URL is percent-encoded, so the first one starts the query or fragment.
    pub(crate) fn query(&self) -> Option<&str> {
        let before_fragment = self.href.split('#').next().unwrap_or_default();
        before_fragment.split_once('?').map(|(_, query)| query)
    }

    /// Replaces a password that is there (`url::Url::set_password` for what `StoreUrl` shows).
    pub(crate) fn set_password(&mut self, password: Option<&str>) -> Result<(), ()> {
        let (Some(new), Some(old)) = (password, self.password()) else {
            return Err(());
        };
        // `scheme://user:password@host...`: the first `:password@` after the scheme's `//`.
        let start = self.scheme.len() + 3 + self.username.len();
        let old = format!(":{old}@");
        if self
            .href
            .get(start..)
            .is_none_or(|rest| !rest.starts_with(&old))
        {
            return Err(());
        }
        self.href
            .replace_range(start..start + old.len(), &format!(":{new}@"));
        self.password = new.to_owned();
        Ok(())
    }

    /// Replaces a user name that is there (`url::Url::set_username` for what `StoreUrl` shows).
    pub(crate) fn set_username(&mut self, username: &str) -> Result<(), ()> {
        let start = self.scheme.len() + 3;
        let old = &self.username;
        if old.is_empty()
            || self
                .href
                .get(start..)
                .is_none_or(|rest| !rest.starts_with(old.as_str()))
        {
            return Err(());
        }
        self.href.replace_range(start..start + old.len(), username);
        self.username = username.to_owned();
        Ok(())
    }

    /// The fragment, `Some("")` for a bare `#`.
    pub(crate) fn fragment(&self) -> Option<&str> {
        self.href.split_once('#').map(|(_, fragment)| fragment)
    }
}
