//! Injected faults: rules that make the next N matching requests misbehave the way real networks,
//! proxies and servers do, so SDK tests can exercise every error path.

use axum::body::Body;
use bytes::Bytes;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::InvalidArgument;

/// "The next `count` requests matching `method` and `path` (and `api_key`, if set) get `fault`."
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// `"GET"`, `"POST"`, … (case-insensitive) or `"*"` for any method.
    pub method: String,
    /// Exact full path without the query, e.g. `"/api/v1/agents/agt_abc123"`, or `"*"` for any path.
    pub path: String,
    /// How many matching requests get the fault (default 1).
    #[serde(default = "one")]
    pub count: u32,
    /// Only requests sent with this key (`None` = any key).
    #[serde(default)]
    pub api_key: Option<String>,
    /// What happens to those requests.
    pub fault: Fault,
}

fn one() -> u32 {
    1
}

fn ok200() -> u16 {
    200
}

/// What an injected fault does. Faults apply after authentication and rate limiting; "processed"
/// means the request changes state as it normally would before the response is spoiled.
///
/// Unknown fields are refused, also for the kinds without fields (serde's `deny_unknown_fields`
/// alone lets those through: see the `Deserialize` impl).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(
    remote = "Self",
    tag = "kind",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum Fault {
    /// Not processed: answer `status` with a JSON `body` (default `{"error":"Injected fault"}`).
    Status {
        /// HTTP status to send.
        status: u16,
        /// JSON body; default `{"error":"Injected fault"}`.
        #[serde(default)]
        body: Option<Value>,
        /// Headers to add or override; a `null` value removes the header.
        #[serde(default)]
        headers: BTreeMap<String, Option<String>>,
        /// Sets `X-RateLimit-Reset` to now + N seconds (N may be negative) and `Remaining` to 0.
        #[serde(default)]
        reset_in_secs: Option<i64>,
    },
    /// Not processed: answer `status` with an HTML page (default: a proxy's 502 Bad Gateway page).
    Html {
        /// HTTP status to send.
        status: u16,
        /// HTML body; default a proxy's "502 Bad Gateway" page.
        #[serde(default)]
        body: Option<String>,
    },
    /// Wait `ms` milliseconds, then handle the request normally.
    Delay {
        /// Milliseconds to wait before handling.
        ms: u64,
    },
    /// Not processed: the connection is reset (TCP RST) before any response byte.
    ResetBefore,
    /// Not processed: on HTTP/2 the stream is refused (`RST_STREAM` with `REFUSED_STREAM`, which
    /// tells the client the request was not processed and may be sent again); on HTTP/1.1 the
    /// connection is closed without a response.
    RefuseStream,
    /// Processed: the status line, headers (with the full `Content-Length`) and the first half of
    /// the body are sent, then the connection is reset.
    ResetMidBody,
    /// Processed: a complete HTTP 200 whose body is the first half of the real JSON.
    Truncated,
    /// Processed: a 200 whose body is not valid JSON.
    Malformed,
    /// Processed: a 200 whose JSON object has no `data` field (default `{"result": <real data>}`).
    NotEnvelope {
        /// JSON body to send instead of the default.
        #[serde(default)]
        body: Option<Value>,
    },
    /// Not processed: a 3xx with `Location`.
    Redirect {
        /// A 3xx status.
        status: u16,
        /// Where the redirect points.
        location: String,
    },
    /// Not processed: a valid `{"data":{"padding":"xxxx…"}}` of exactly `megabytes` MiB, streamed.
    Large {
        /// Body size in MiB.
        megabytes: u32,
        /// HTTP status to send (default 200).
        #[serde(default = "ok200")]
        status: u16,
    },
}

impl Serialize for Fault {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Fault::serialize(self, serializer)
    }
}

impl<'de> Deserialize<'de> for Fault {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let map = serde_json::Map::<String, Value>::deserialize(deserializer)?;
        let extra = map.keys().find(|k| *k != "kind").cloned();
        let fault = Fault::deserialize(Value::Object(map)).map_err(D::Error::custom)?;
        match extra {
            Some(field) if !fault.has_fields() => Err(D::Error::custom(format!(
                "unknown field `{field}`: a `{}` fault has no fields",
                fault.kind()
            ))),
            _ => Ok(fault),
        }
    }
}

impl Fault {
    /// Whether the kind takes fields besides `kind` (an internally tagged unit variant would
    /// otherwise accept and ignore any).
    fn has_fields(&self) -> bool {
        match self {
            Fault::Status { .. }
            | Fault::Html { .. }
            | Fault::Delay { .. }
            | Fault::NotEnvelope { .. }
            | Fault::Redirect { .. }
            | Fault::Large { .. } => true,
            Fault::ResetBefore
            | Fault::RefuseStream
            | Fault::ResetMidBody
            | Fault::Truncated
            | Fault::Malformed => false,
        }
    }

    /// The `kind` tag, as used in the journal's `fault:<kind>` outcome.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Status { .. } => "status",
            Fault::Html { .. } => "html",
            Fault::Delay { .. } => "delay",
            Fault::ResetBefore => "reset_before",
            Fault::RefuseStream => "refuse_stream",
            Fault::ResetMidBody => "reset_mid_body",
            Fault::Truncated => "truncated",
            Fault::Malformed => "malformed",
            Fault::NotEnvelope { .. } => "not_envelope",
            Fault::Redirect { .. } => "redirect",
            Fault::Large { .. } => "large",
        }
    }
}

impl FaultRule {
    /// Checks a rule before it is queued (the admin API, [`Emulator::try_push_fault`] and the
    /// bindings all go through here): a zero count, a method or path that cannot match, statuses
    /// that are not final HTTP statuses (200–599; 3xx for a redirect), a `large` body with a
    /// status that has no body (204, 304) and absurd sizes are refused, naming the field.
    ///
    /// [`Emulator::try_push_fault`]: crate::Emulator::try_push_fault
    pub fn validate(&self) -> Result<(), InvalidArgument> {
        if self.count == 0 {
            return Err(InvalidArgument::new("count", "must be at least 1"));
        }
        if self.method != "*"
            && (self.method.is_empty() || http::Method::from_bytes(self.method.as_bytes()).is_err())
        {
            return Err(InvalidArgument::new(
                "method",
                format!("must be an HTTP method or \"*\", got {:?}", self.method),
            ));
        }
        if self.path != "*" && !self.path.starts_with('/') {
            return Err(InvalidArgument::new(
                "path",
                format!(
                    "must be a full path starting with '/' or \"*\", got {:?}",
                    self.path
                ),
            ));
        }
        // 1xx are interim responses (the client would still wait for a final one; 101 switches
        // protocols), so they cannot stand for a response.
        let valid = |s: u16| (200..=599).contains(&s);
        match &self.fault {
            Fault::Status { status, .. }
            | Fault::Html { status, .. }
            | Fault::Large { status, .. }
                if !valid(*status) =>
            {
                Err(InvalidArgument::new(
                    "fault.status",
                    format!("must be between 200 and 599, got {status}"),
                ))
            }
            Fault::Redirect { status, .. } if !(300..=399).contains(status) => {
                Err(InvalidArgument::new(
                    "fault.status",
                    format!("of a redirect must be between 300 and 399, got {status}"),
                ))
            }
            Fault::Large { status, .. } if matches!(status, 204 | 304) => {
                Err(InvalidArgument::new(
                    "fault.status",
                    format!("of a large body cannot be {status}: that status has no body"),
                ))
            }
            Fault::Large { megabytes, .. } if *megabytes > 4096 => Err(InvalidArgument::new(
                "fault.megabytes",
                format!("must be at most 4096, got {megabytes}"),
            )),
            Fault::Status { headers, .. } => headers
                .iter()
                .find(|(name, value)| {
                    http::HeaderName::from_bytes(name.as_bytes()).is_err()
                        || value
                            .as_deref()
                            .is_some_and(|v| http::HeaderValue::from_str(v).is_err())
                })
                .map_or(Ok(()), |(name, _)| {
                    Err(InvalidArgument::new(
                        "fault.headers",
                        format!("has an invalid header {name:?}"),
                    ))
                }),
            _ => Ok(()),
        }
    }

    fn matches(&self, method: &http::Method, path: &str, key: &str) -> bool {
        (self.method == "*" || self.method.eq_ignore_ascii_case(method.as_str()))
            && (self.path == "*" || self.path == path)
            && self.api_key.as_deref().is_none_or(|k| k == key)
    }
}

/// Pending fault rules, first match wins. An atomic count lets requests skip the lock when empty.
#[derive(Default)]
pub(crate) struct FaultQueue {
    rules: Mutex<Vec<FaultRule>>,
    pending: AtomicUsize,
}

impl FaultQueue {
    pub(crate) fn push(&self, mut rule: FaultRule) {
        if rule.count == 0 {
            return;
        }
        rule.method = rule.method.to_ascii_uppercase();
        let mut rules = self.rules.lock();
        rules.push(rule);
        self.pending.store(rules.len(), Ordering::SeqCst);
    }

    /// Consumes one use of the first rule matching this request.
    pub(crate) fn take(&self, method: &http::Method, path: &str, key: &str) -> Option<Fault> {
        if self.pending.load(Ordering::SeqCst) == 0 {
            return None;
        }
        let mut rules = self.rules.lock();
        let index = rules.iter().position(|r| r.matches(method, path, key))?;
        let rule = &mut rules[index];
        rule.count -= 1;
        let fault = if rule.count == 0 {
            rules.remove(index).fault
        } else {
            rule.fault.clone()
        };
        self.pending.store(rules.len(), Ordering::SeqCst);
        Some(fault)
    }

    /// Pending rules: all, or those scoped to one key.
    pub(crate) fn list(&self, key: Option<&str>) -> Vec<FaultRule> {
        self.rules
            .lock()
            .iter()
            .filter(|r| key.is_none() || r.api_key.as_deref() == key)
            .cloned()
            .collect()
    }

    /// Removes all rules, or those scoped to one key; returns how many were removed.
    pub(crate) fn clear(&self, key: Option<&str>) -> usize {
        let mut rules = self.rules.lock();
        let before = rules.len();
        match key {
            None => rules.clear(),
            Some(k) => rules.retain(|r| r.api_key.as_deref() != Some(k)),
        }
        self.pending.store(rules.len(), Ordering::SeqCst);
        before - rules.len()
    }
}

/// The default body of a `status` fault.
pub(crate) fn default_error_body() -> Value {
    json!({ "error": "Injected fault" })
}

/// What a reverse proxy sends when the upstream is down.
pub(crate) const PROXY_502_PAGE: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/// A body that starts like the envelope and then stops being JSON.
pub(crate) const MALFORMED_BODY: &str =
    "{\"data\": {\"id\": \"agt_abc123\", \"name\": <<not json>>,,";

/// The `not_envelope` body: the given one, or the real response's `data` moved under `result`.
pub(crate) fn not_envelope_body(real: &[u8], given: Option<Value>) -> Vec<u8> {
    let value = given.unwrap_or_else(|| {
        let inner = serde_json::from_slice::<Value>(real)
            .ok()
            .and_then(|mut v| v.get_mut("data").map(Value::take))
            .unwrap_or(Value::Null);
        json!({ "result": inner })
    });
    serde_json::to_vec(&value).unwrap_or_default()
}

const CHUNK: usize = 64 * 1024;
const PREFIX: &[u8] = b"{\"data\":{\"padding\":\"";
const SUFFIX: &[u8] = b"\"}}";

/// A streamed `{"data":{"padding":"xxxx…"}}` of exactly `megabytes` MiB (for 0, the bare JSON
/// with empty padding). Returns the length for `Content-Length` and the body.
pub(crate) fn large_body(megabytes: u32) -> (u64, Body) {
    let frame = (PREFIX.len() + SUFFIX.len()) as u64;
    let total = (u64::from(megabytes) * 1024 * 1024).max(frame);
    let mut padding = total - frame;
    let chunk = Bytes::from(vec![b'x'; CHUNK]);
    let mut prefix_sent = false;
    let mut suffix_sent = false;
    let stream = futures::stream::iter(std::iter::from_fn(move || {
        if !prefix_sent {
            prefix_sent = true;
            return Some(Bytes::from_static(PREFIX));
        }
        if padding > 0 {
            let n = padding.min(CHUNK as u64) as usize;
            padding -= n as u64;
            return Some(chunk.slice(..n));
        }
        if !suffix_sent {
            suffix_sent = true;
            return Some(Bytes::from_static(SUFFIX));
        }
        None
    }))
    .map(Ok::<_, std::convert::Infallible>);
    (total, Body::from_stream(stream))
}

use futures::StreamExt;

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    fn rule(method: &str, path: &str, count: u32) -> FaultRule {
        FaultRule {
            method: method.into(),
            path: path.into(),
            count,
            api_key: None,
            fault: Fault::Malformed,
        }
    }

    #[test]
    fn rule_json_uses_defaults_and_the_kind_tag() {
        let rule: FaultRule = serde_json::from_value(json!({
            "method": "GET", "path": "*", "fault": {"kind": "status", "status": 503}
        }))
        .unwrap();
        assert_eq!(rule.count, 1);
        assert_eq!(rule.fault.kind(), "status");
        let large: Fault =
            serde_json::from_value(json!({"kind": "large", "megabytes": 2})).unwrap();
        assert_eq!(
            large,
            Fault::Large {
                megabytes: 2,
                status: 200
            }
        );
    }

    #[test]
    fn a_rule_applies_to_the_next_count_matching_requests_only() {
        let queue = FaultQueue::default();
        queue.push(rule("get", "/a", 2));
        assert_eq!(queue.take(&http::Method::POST, "/a", "k"), None);
        assert_eq!(queue.take(&http::Method::GET, "/b", "k"), None);
        assert!(queue.take(&http::Method::GET, "/a", "k").is_some());
        assert!(queue.take(&http::Method::GET, "/a", "k").is_some());
        assert_eq!(queue.take(&http::Method::GET, "/a", "k"), None);
    }

    #[test]
    fn a_keyed_rule_ignores_other_keys() {
        let queue = FaultQueue::default();
        let mut r = rule("*", "*", 1);
        r.api_key = Some("mine".into());
        queue.push(r);
        assert_eq!(queue.take(&http::Method::GET, "/x", "other"), None);
        assert_eq!(queue.clear(Some("other")), 0);
        assert!(queue.take(&http::Method::GET, "/x", "mine").is_some());
    }

    #[test]
    fn validation_rejects_bad_rules() {
        assert!(rule("GET", "/a", 0).validate().is_err());
        assert!(rule("GET", "a", 1).validate().is_err());
        let mut r = rule("GET", "/a", 1);
        r.fault = Fault::Redirect {
            status: 200,
            location: "http://x".into(),
        };
        assert!(r.validate().is_err());
        assert!(rule("GET", "/a", 1).validate().is_ok());
    }

    #[tokio::test]
    async fn large_body_is_valid_json_of_the_exact_size() {
        let (len, body) = large_body(1);
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(len, 1024 * 1024);
        assert_eq!(bytes.len() as u64, len);
        let value: Value = serde_json::from_slice(&bytes).unwrap();
        assert!(
            value["data"]["padding"]
                .as_str()
                .unwrap()
                .starts_with("xxx")
        );
    }

    #[tokio::test]
    async fn large_body_of_zero_megabytes_is_the_bare_json() {
        let (len, body) = large_body(0);
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(bytes.len() as u64, len);
        assert_eq!(&bytes[..], br#"{"data":{"padding":""}}"#);
    }

    #[test]
    fn unknown_fields_inside_the_fault_are_refused() {
        for fault in [
            json!({"kind": "status", "status": 503, "header": {"A": "b"}}),
            json!({"kind": "status", "status": 503, "resetInSecs": 5}),
            json!({"kind": "reset_before", "count": 2}),
            json!({"kind": "large", "megabytes": 1, "size": 2}),
        ] {
            let error = serde_json::from_value::<Fault>(fault.clone()).unwrap_err();
            assert!(
                error.to_string().contains("unknown field"),
                "{fault}: {error}"
            );
        }
        let ok: Fault = serde_json::from_value(json!({"kind": "reset_before"})).unwrap();
        assert_eq!(ok, Fault::ResetBefore);
    }

    #[test]
    fn validation_names_the_field() {
        let mut r = rule("NOT A METHOD", "/a", 1);
        assert_eq!(r.validate().unwrap_err().field(), "method");
        r.method = "*".into();
        for (fault, field) in [
            (
                Fault::Status {
                    status: 100,
                    body: None,
                    headers: BTreeMap::new(),
                    reset_in_secs: None,
                },
                "fault.status",
            ),
            (
                Fault::Status {
                    status: 1000,
                    body: None,
                    headers: BTreeMap::new(),
                    reset_in_secs: None,
                },
                "fault.status",
            ),
            (
                Fault::Html {
                    status: 42,
                    body: None,
                },
                "fault.status",
            ),
            (
                Fault::Large {
                    megabytes: 1,
                    status: 204,
                },
                "fault.status",
            ),
            (
                Fault::Large {
                    megabytes: 1,
                    status: 304,
                },
                "fault.status",
            ),
            (
                Fault::Large {
                    megabytes: 5000,
                    status: 200,
                },
                "fault.megabytes",
            ),
        ] {
            r.fault = fault;
            assert_eq!(r.validate().unwrap_err().field(), field, "{:?}", r.fault);
        }
        r.fault = Fault::Status {
            status: 200,
            body: None,
            headers: BTreeMap::new(),
            reset_in_secs: None,
        };
        assert!(r.validate().is_ok());
    }

    #[test]
    fn not_envelope_moves_data_under_result() {
        let body = not_envelope_body(br#"{"data":{"id":"a"}}"#, None);
        assert_eq!(body, br#"{"result":{"id":"a"}}"#);
    }
}
