//! The options both JavaScript builds accept, as plain values (durations in milliseconds, as
//! JavaScript users give them), turned into the core's builder settings and request options.
//! Each binding reads them from its own kind of object (`NativeClientOptions` and
//! `NativeViewOptions` in the napi addon, property reads in the WebAssembly build) and adds what
//! only it has (the addon's proxy, certificates and Redis store; the WebAssembly build's `fetch`).
//! The core checks every value; this converts and names the arguments as JavaScript spells them.

use std::time::Duration;

use delegir::validate::{self, DurationUnit};
use delegir::{ClientBuilder, ExtraParams, RequestOptions};

/// The client options of both builds.
#[derive(Debug, Default)]
pub struct ClientOptions {
    /// Timeout of each attempt (`Infinity`: none).
    pub timeout: Option<f64>,
    /// Bound on everything one call does.
    pub total_timeout: Option<f64>,
    /// Retries after the first attempt.
    pub max_retries: Option<f64>,
    /// Longest wait for a rate-limit window (0: never wait).
    pub max_rate_limit_wait: Option<f64>,
    /// Headers every call sends, in order.
    pub default_headers: Vec<(String, String)>,
    /// Query parameters every call sends, in order.
    pub default_query: Vec<(String, String)>,
    /// Whether the rate-limit ledger paces requests.
    pub rate_limit: Option<bool>,
    /// Allows plain `http://` to hosts other than loopback.
    pub allow_insecure_http: Option<bool>,
    /// Speaks HTTP/2 from the first byte (h2c).
    pub http2_prior_knowledge: Option<bool>,
}

impl ClientOptions {
    /// `builder` with these options set, or the first invalid one.
    pub fn apply(self, mut builder: ClientBuilder) -> delegir::Result<ClientBuilder> {
        if let Some(ms) = self.timeout {
            builder = builder.timeout(timeout(ms)?);
        }
        if let Some(ms) = self.total_timeout {
            builder = builder.total_timeout(total_timeout(ms)?);
        }
        for (name, value) in self.default_headers {
            builder = builder.default_header(name, value);
        }
        for (name, value) in self.default_query {
            builder = builder.default_query(name, value);
        }
        if let Some(n) = self.max_retries {
            builder = builder.max_retries(validate::retries("maxRetries", n)?);
        }
        if let Some(ms) = self.max_rate_limit_wait {
            builder = builder.max_rate_limit_wait(millis("maxRateLimitWait", ms, true)?);
        }
        if let Some(enabled) = self.rate_limit {
            builder = builder.rate_limit(enabled);
        }
        if let Some(allow) = self.allow_insecure_http {
            builder = builder.allow_insecure_http(allow);
        }
        if let Some(enabled) = self.http2_prior_knowledge {
            builder = builder.http2_prior_knowledge(enabled);
        }
        Ok(builder)
    }
}

/// The options of a view (`withOptions`) or of one call.
#[derive(Debug, Default)]
pub struct ViewOptions {
    /// Timeout of each attempt (`Infinity`: none).
    pub timeout: Option<f64>,
    /// Retries after the first attempt.
    pub max_retries: Option<f64>,
    /// Bound on everything one call does.
    pub total_timeout: Option<f64>,
    /// Extra headers, in order.
    pub headers: Vec<(String, String)>,
    /// Extra query parameters (values already strings), in order.
    pub query: Vec<(String, String)>,
    /// Extra top-level body fields, as the JSON text of an object.
    pub body: Option<String>,
}

impl ViewOptions {
    /// The options a single call takes as arguments (`timeout`, `maxRetries`), or `None` when the
    /// call gives neither and runs with its client's settings as they are.
    pub fn per_call(
        timeout: Option<f64>,
        max_retries: Option<f64>,
    ) -> delegir::Result<Option<RequestOptions>> {
        if timeout.is_none() && max_retries.is_none() {
            return Ok(None);
        }
        ViewOptions {
            timeout,
            max_retries,
            ..ViewOptions::default()
        }
        .request_options()
        .map(Some)
    }

    /// The core's request options, or the first invalid option.
    pub fn request_options(self) -> delegir::Result<RequestOptions> {
        let request = RequestOptions {
            timeout: self.timeout.map(timeout).transpose()?,
            max_retries: self
                .max_retries
                .map(|n| validate::retries("maxRetries", n))
                .transpose()?,
            total_timeout: self.total_timeout.map(total_timeout).transpose()?,
            extra: None,
        };
        let mut extra = ExtraParams::new();
        for (name, value) in &self.headers {
            extra = extra
                .header(name, value)
                .map_err(|e| e.for_argument("headers"))?;
        }
        for (name, value) in self.query {
            extra = extra.query(name, value);
        }
        if let Some(json) = &self.body {
            for (name, value) in validate::json_object("body", "options.body", json)? {
                extra = extra.body_field(name, value);
            }
        }
        Ok(if extra.is_empty() {
            request
        } else {
            request.with_extra(extra)
        })
    }
}

/// A per-attempt timeout; `Infinity` means none.
fn timeout(ms: f64) -> delegir::Result<Duration> {
    validate::timeout("timeout", ms, DurationUnit::Milliseconds)
}

/// The bound on everything one call does; `Infinity` means none (in a view: over a client that
/// has one), as for `timeout`.
fn total_timeout(ms: f64) -> delegir::Result<Duration> {
    validate::timeout("totalTimeout", ms, DurationUnit::Milliseconds)
}

/// Milliseconds as a `Duration`; the core checks them (negative, `NaN`, ...).
fn millis(argument: &'static str, ms: f64, zero_ok: bool) -> delegir::Result<Duration> {
    validate::duration(argument, ms, DurationUnit::Milliseconds, zero_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn view_options_in_milliseconds_with_extras() {
        let request = ViewOptions {
            timeout: Some(f64::INFINITY),
            max_retries: Some(2.0),
            total_timeout: Some(1500.0),
            headers: pairs(&[("x-trace", "1")]),
            query: pairs(&[("beta", "true")]),
            body: Some(r#"{"priority":"high"}"#.to_owned()),
        }
        .request_options()
        .unwrap();
        assert_eq!(request.timeout, Some(delegir::NO_TIMEOUT));
        assert_eq!(request.max_retries, Some(2));
        assert_eq!(request.total_timeout, Some(Duration::from_millis(1500)));
        let unbounded = ViewOptions {
            total_timeout: Some(f64::INFINITY),
            ..ViewOptions::default()
        };
        assert_eq!(
            unbounded.request_options().unwrap().total_timeout,
            Some(delegir::NO_TIMEOUT)
        );
        let extra = request.extra.expect("extras");
        assert_eq!(extra.headers().collect::<Vec<_>>(), [("x-trace", "1")]);

        let plain = ViewOptions::default().request_options().unwrap();
        assert!(plain.extra.is_none() && plain.timeout.is_none());

        assert!(ViewOptions::per_call(None, None).unwrap().is_none());
        let call = ViewOptions::per_call(Some(250.0), None)
            .unwrap()
            .expect("options");
        assert_eq!(call.timeout, Some(Duration::from_millis(250)));
        assert!(call.max_retries.is_none() && call.extra.is_none());
        let err = ViewOptions::per_call(None, Some(-1.0)).unwrap_err();
        assert!(err.to_string().contains("maxRetries"), "{err}");
    }

    /// Errors name the options as JavaScript spells them.
    #[test]
    fn errors_name_the_javascript_option() {
        let argument = |view: ViewOptions| view.request_options().unwrap_err().argument();
        let header = ViewOptions {
            headers: pairs(&[("bad header", "1")]),
            ..ViewOptions::default()
        };
        assert_eq!(argument(header), Some("headers"));
        let body = ViewOptions {
            body: Some("[1]".to_owned()),
            ..ViewOptions::default()
        };
        assert_eq!(argument(body), Some("body"));
        let retries = ViewOptions {
            max_retries: Some(-1.0),
            ..ViewOptions::default()
        };
        assert_eq!(argument(retries), Some("maxRetries"));
        let total = ViewOptions {
            total_timeout: Some(0.0),
            ..ViewOptions::default()
        };
        assert_eq!(argument(total), Some("totalTimeout"));

        let wait = ClientOptions {
            max_rate_limit_wait: Some(-1.0),
            ..ClientOptions::default()
        };
        let e = wait.apply(delegir::Client::builder()).expect_err("refused");
        assert_eq!(e.argument(), Some("maxRateLimitWait"));
        assert!(e.is_out_of_range());
    }
}
