//! Decoding the API's JSON envelope: `{"data": ...}` on success, `{"error": "..."}` otherwise.
//!
//! The success path deserializes straight from the body bytes into the model (no intermediate
//! `serde_json::Value`). A 2xx body that is not the documented envelope or shape — an HTML page
//! from a proxy, truncated or malformed JSON, `data` missing, a field of the wrong type — becomes
//! a [`ErrorKind::ResponseValidation`] error that carries the HTTP status and an excerpt of at
//! most 200 characters of the body. A non-2xx response is always the status error of its status,
//! whatever its body (a gateway's HTML 502 is [`ErrorKind::InternalServer`]), with the excerpt.
//! Nothing here panics on server input.

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, ErrorKind, Result};
use crate::models::RunPage;
use crate::wire::headers::ResponseMeta;

/// Most characters of a body quoted in an error.
pub(crate) const EXCERPT_CHARS: usize = 200;

/// `{"data": ...}`. Deserialized by hand: serde's derive also reads a struct from a JSON array
/// (`[{...}]` as `data`), which is not the documented envelope.
struct DataEnvelope<T> {
    data: T,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for DataEnvelope<T> {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        struct Envelope<T>(std::marker::PhantomData<T>);

        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Envelope<T> {
            type Value = DataEnvelope<T>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object {\"data\": ...}")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut data = None;
                while let Some(IsData(is_data)) = map.next_key()? {
                    if !is_data {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    } else if data.is_some() {
                        return Err(serde::de::Error::duplicate_field("data"));
                    } else {
                        data = Some(map.next_value()?);
                    }
                }
                data.map(|data| DataEnvelope { data })
                    .ok_or_else(|| serde::de::Error::missing_field("data"))
            }
        }

        deserializer.deserialize_map(Envelope(std::marker::PhantomData))
    }
}

/// Whether an envelope's key is `data`, read without allocating it.
struct IsData(bool);

impl<'de> Deserialize<'de> for IsData {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        struct Key;

        impl serde::de::Visitor<'_> for Key {
            type Value = IsData;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key")
            }

            fn visit_str<E: serde::de::Error>(self, key: &str) -> std::result::Result<IsData, E> {
                Ok(IsData(key == "data"))
            }
        }

        deserializer.deserialize_identifier(Key)
    }
}

#[derive(Deserialize)]
struct ErrorEnvelope<'a> {
    #[serde(borrow)]
    error: Cow<'a, str>,
}

/// Decodes a successful (2xx) response's `data` as `T`. `note` is appended to the message of a
/// failure (the chat's "run may have been created").
pub(crate) fn data<T: DeserializeOwned + 'static>(
    status: u16,
    body: &[u8],
    meta: &ResponseMeta,
    note: &str,
) -> Result<T> {
    // One UTF-8 check of the whole body (std's, word at a time), then serde_json's `str` reader,
    // which does not check each string again as its `[u8]` reader does: 16% of the
    // instructions of a 100-run page (core/benches/decode.rs). A body that is not UTF-8 is
    // invalid whatever `T` is: the `[u8]` reader says where, without a typed copy of the
    // decoder per `T` for this one error (~38 KiB of the WebAssembly module; issue 16).
    let parsed = match std::str::from_utf8(body) {
        Ok(text) => {
            if let Some(page) = plain_run_page::<T>(text) {
                return Ok(page);
            }
            serde_json::from_str::<DataEnvelope<T>>(text)
        }
        Err(not_utf8) => Err(serde_json::from_slice::<serde::de::IgnoredAny>(body)
            .err()
            .unwrap_or_else(|| serde::de::Error::custom(not_utf8))),
    };
    match parsed {
        Ok(envelope) => Ok(envelope.data),
        // Said plainly rather than as serde's "EOF while parsing a value" (a 204 No Content, a
        // gateway's empty 200).
        Err(e) if body.trim_ascii().is_empty() => Err(invalid(
            status,
            body,
            meta,
            format!(
                "the response (HTTP {status}) has an empty body, not the documented \
                 {{\"data\": ...}} envelope{note}"
            ),
        )
        .with_source(e)),
        // Not JSON at all: an HTML page (a login page, a captive portal, a gateway's page with
        // status 200) or text. Quoted, as the non-2xx path quotes such bodies, rather than
        // serde's "expected value at line 1 column 1" alone.
        Err(e) if e.is_syntax() && !starts_like_json(body) => {
            let shown = excerpt(body).map(|x| one_line(&x)).unwrap_or_default();
            Err(invalid(
                status,
                body,
                meta,
                format!(
                    "the response (HTTP {status}) is not JSON, let alone the documented \
                     {{\"data\": ...}} envelope (a page from a proxy, gateway or login portal?): \
                     {shown}{note}"
                ),
            )
            .with_source(e))
        }
        Err(e) => Err(invalid(
            status,
            body,
            meta,
            format!(
                "the response (HTTP {status}) is not the documented {{\"data\": ...}} envelope \
                 or shape: {e}{note}"
            ),
        )
        .with_source(e)),
    }
}

/// A runs page read by `models::runs_page` when `T` is [`RunPage`] and the body is in the
/// API's plain form; `None` otherwise (serde_json then decodes the body, and judges it).
fn plain_run_page<T: 'static>(text: &str) -> Option<T> {
    if TypeId::of::<T>() != TypeId::of::<RunPage>() {
        return None;
    }
    let mut page = crate::models::runs_page::read_envelope(text);
    (&mut page as &mut dyn Any)
        .downcast_mut::<Option<T>>()?
        .take()
}

/// The error for an unsuccessful (non-2xx) response: always the status error of its status
/// (400 [`ErrorKind::BadRequest`], 5xx [`ErrorKind::InternalServer`], ...), whatever its body.
/// The message is the envelope's `error` when the body is the `{"error": "..."}` envelope; for
/// any other body (a gateway's HTML 502, a proxy's text page) it says so and quotes the body's
/// excerpt. Either way the excerpt is kept as the error's body. `retry_after` is recorded for 429.
pub(crate) fn api_error(
    status: u16,
    body: &[u8],
    meta: &ResponseMeta,
    retry_after: Option<Duration>,
    note: &str,
) -> Error {
    let retry_after = if status == 429 { retry_after } else { None };
    let excerpt = excerpt(body);
    let message = match serde_json::from_slice::<ErrorEnvelope<'_>>(body) {
        Ok(envelope) if note.is_empty() => envelope.error.into_owned(),
        Ok(envelope) => format!("{}{note}", envelope.error),
        Err(_) => not_envelope_message(status, excerpt.as_deref(), note),
    };
    status_error(status, message, meta, excerpt).with_retry_after(retry_after)
}

/// The status error of `status` (its kind from the status), with the rate-limit headers and the
/// body's excerpt.
pub(crate) fn status_error(
    status: u16,
    message: String,
    meta: &ResponseMeta,
    excerpt: Option<String>,
) -> Error {
    Error::new(ErrorKind::from_status(status), message)
        .with_status(status)
        .with_rate_limit(meta.rate_limit)
        .with_body_excerpt(excerpt)
}

/// Whether the body's first character could begin a JSON value.
fn starts_like_json(body: &[u8]) -> bool {
    matches!(
        body.trim_ascii_start().first(),
        Some(b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n')
    )
}

/// The message of an error status whose body is not the API's error envelope.
fn not_envelope_message(status: u16, excerpt: Option<&str>, note: &str) -> String {
    match excerpt {
        Some(excerpt) => format!(
            "the server answered HTTP {status} with a body that is not the API's \
             {{\"error\": \"...\"}} envelope (an error page from a proxy or gateway?): \
             {}{note}",
            one_line(excerpt)
        ),
        None => format!("the server answered HTTP {status} with an empty body{note}"),
    }
}

/// An excerpt on one line: runs of whitespace (an HTML page's line breaks and indentation)
/// become one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A response-validation error with the status and an excerpt of the body.
pub(crate) fn invalid(status: u16, body: &[u8], meta: &ResponseMeta, message: String) -> Error {
    Error::new(ErrorKind::ResponseValidation, message)
        .with_status(status)
        .with_rate_limit(meta.rate_limit)
        .with_body_excerpt(excerpt(body))
}

/// The first [`EXCERPT_CHARS`] characters of `body` (lossy UTF-8, trimmed), or `None` when it is
/// empty.
pub(crate) fn excerpt(body: &[u8]) -> Option<String> {
    // Four bytes per character at most: never decode more than needed.
    let head = &body[..body.len().min(EXCERPT_CHARS * 4)];
    let text = String::from_utf8_lossy(head);
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    Some(text.chars().take(EXCERPT_CHARS).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{Agent, RateLimit};

    const AGENT: &str = r#"{"data": {"id": "agt_abc123", "name": "Support", "status": "active",
        "safety_mode": true, "template": null, "total_runs": 3,
        "last_active": "2026-03-15T08:30:00Z", "created_at": "2026-01-10T14:00:00Z",
        "mood": "cheerful"}}"#;

    fn meta() -> ResponseMeta {
        ResponseMeta {
            rate_limit: Some(RateLimit {
                limit: 60,
                remaining: 0,
                reset: 1_710_489_600,
            }),
            ..ResponseMeta::default()
        }
    }

    #[test]
    fn data_is_decoded_with_unknown_fields_kept() {
        let agent: Agent = data(200, AGENT.as_bytes(), &meta(), "").unwrap();
        assert_eq!(agent.id, "agt_abc123");
        assert_eq!(agent.template, None);
        assert_eq!(agent.extra["mood"], "cheerful");
    }

    #[test]
    fn bodies_that_are_not_the_envelope_are_response_validation_errors_with_an_excerpt() {
        let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
        let cases: [&[u8]; 7] = [
            html.as_bytes(),
            &AGENT.as_bytes()[..40],
            br#"{"result": {"id": "agt_abc123"}}"#,
            br#"{"data": {"id": 5}}"#,
            b"",
            &[0xff, 0xfe, 0x00],
            b"{\"data\": {\"id\": \"agt_\xff\"}}",
        ];
        for body in cases {
            let e = data::<Agent>(200, body, &meta(), "").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::ResponseValidation, "{body:?}");
            assert_eq!(e.status(), Some(200));
            assert!(e.rate_limit().is_some());
            assert!(
                e.body_excerpt()
                    .is_none_or(|x| x.chars().count() <= EXCERPT_CHARS)
            );
        }
        let e = data::<Agent>(200, html.as_bytes(), &meta(), "").unwrap_err();
        assert!(e.body_excerpt().unwrap().contains("502 Bad Gateway"));
        // Not JSON: said so, with the page quoted on one line.
        assert!(e.message().contains("is not JSON"), "{}", e.message());
        assert!(
            e.message().contains("<h1>502 Bad Gateway</h1>"),
            "{}",
            e.message()
        );
    }

    #[test]
    fn only_an_object_with_data_once_is_the_envelope() {
        let agent = AGENT
            .strip_prefix("{\"data\": ")
            .unwrap()
            .strip_suffix('}')
            .unwrap();
        // serde's derived envelope read `[agent]` as `{"data": agent}`.
        for body in [
            format!("[{agent}]"),
            format!("[{agent}, 1]"),
            format!("{{\"data\": {agent}, \"data\": {agent}}}"),
            format!("{{\"dat\": {agent}}}"),
            "null".to_owned(),
            "{}".to_owned(),
        ] {
            let e = data::<Agent>(200, body.as_bytes(), &meta(), "").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::ResponseValidation, "{body}");
            assert!(
                e.message().contains("not the documented"),
                "{body}: {}",
                e.message()
            );
        }
        for body in ["", " \r\n"] {
            let e = data::<Agent>(204, body.as_bytes(), &meta(), "").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::ResponseValidation);
            assert!(
                e.message().contains("(HTTP 204) has an empty body"),
                "{}",
                e.message()
            );
        }
        // Other keys around `data` are ignored, escaped or not.
        let body = format!("{{\"meta\": [1, {{}}], \"d\\u0061ta\": {agent}, \"x\": null}}");
        let agent: Agent = data(200, body.as_bytes(), &meta(), "").unwrap();
        assert_eq!(agent.id, "agt_abc123");
    }

    #[test]
    fn error_envelopes_become_the_kind_of_their_status_with_the_servers_message() {
        for (status, kind) in [
            (400, ErrorKind::BadRequest),
            (401, ErrorKind::Authentication),
            (404, ErrorKind::NotFound),
            (429, ErrorKind::RateLimited),
            (500, ErrorKind::InternalServer),
            (503, ErrorKind::InternalServer),
            (403, ErrorKind::ApiStatus),
            (409, ErrorKind::ApiStatus),
        ] {
            let e = api_error(
                status,
                br#"{"error": "Agent not found"}"#,
                &meta(),
                Some(Duration::from_secs(4)),
                "",
            );
            assert_eq!(e.kind(), kind);
            assert_eq!(e.message(), "Agent not found");
            assert_eq!(e.body_excerpt(), Some(r#"{"error": "Agent not found"}"#));
            assert_eq!(e.status(), Some(status));
            assert_eq!(
                e.retry_after(),
                (status == 429).then_some(Duration::from_secs(4))
            );
        }
    }

    #[test]
    fn error_bodies_that_are_not_the_envelope_are_still_the_status_error_of_their_status() {
        let page = "<html>\n  <head><title>502 Bad Gateway</title></head>\n</html>";
        for (status, kind) in [
            (502, ErrorKind::InternalServer),
            (503, ErrorKind::InternalServer),
            (400, ErrorKind::BadRequest),
            (401, ErrorKind::Authentication),
            (404, ErrorKind::NotFound),
            (429, ErrorKind::RateLimited),
            (403, ErrorKind::ApiStatus),
        ] {
            for body in [
                page.as_bytes(),
                br#"{"error": {"code": 5}}"#,
                br#"{"error": "trunc"#,
                b"",
            ] {
                let e = api_error(status, body, &meta(), Some(Duration::from_secs(2)), "");
                assert_eq!(e.kind(), kind, "{status} {body:?}");
                assert_eq!(e.status(), Some(status));
                assert!(e.is_api_status());
                assert!(e.rate_limit().is_some());
                assert_eq!(e.body_excerpt(), excerpt(body).as_deref());
                assert!(
                    e.message().contains(&format!("HTTP {status}")),
                    "{}",
                    e.message()
                );
            }
        }
        let e = api_error(502, page.as_bytes(), &meta(), None, "; note");
        assert!(
            e.message()
                .contains("<html> <head><title>502 Bad Gateway</title></head> </html>; note"),
            "the excerpt on one line, then the note: {}",
            e.message()
        );
        assert_eq!(e.body_excerpt(), Some(page));
    }

    #[test]
    fn the_note_is_appended_to_messages() {
        let e = api_error(500, br#"{"error": "boom"}"#, &meta(), None, "; note");
        assert_eq!(e.message(), "boom; note");
    }

    #[test]
    fn excerpts_are_at_most_200_characters_even_for_multibyte_text() {
        let long = "é".repeat(1000);
        assert_eq!(excerpt(long.as_bytes()).unwrap().chars().count(), 200);
        assert_eq!(excerpt(b"  \n"), None);
    }
}
