//! Decoding the API's JSON envelope: `{"data": ...}` on success, `{"error": "..."}` otherwise.
//!
//! The success path deserializes straight from the body bytes into the model (no intermediate
//! `serde_json::Value`). Anything that is not the documented envelope or shape — an HTML page from
//! a proxy, truncated or malformed JSON, `data` missing, `error` not a string, a field of the
//! wrong type — becomes a [`ErrorKind::ResponseValidation`] error that carries the HTTP status and
//! an excerpt of at most 200 characters of the body. Nothing here panics on server input.

use std::borrow::Cow;
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, ErrorKind, Result};
use crate::wire::headers::ResponseMeta;

/// Most characters of a body quoted in an error.
pub(crate) const EXCERPT_CHARS: usize = 200;

#[derive(Deserialize)]
struct DataEnvelope<T> {
    data: T,
}

#[derive(Deserialize)]
struct ErrorEnvelope<'a> {
    #[serde(borrow)]
    error: Cow<'a, str>,
}

/// Decodes a successful (2xx) response's `data` as `T`. `note` is appended to the message of a
/// failure (the chat's "run may have been created").
pub(crate) fn data<T: DeserializeOwned>(
    status: u16,
    body: &[u8],
    meta: &ResponseMeta,
    note: &str,
) -> Result<T> {
    match serde_json::from_slice::<DataEnvelope<T>>(body) {
        Ok(envelope) => Ok(envelope.data),
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

/// The error for an unsuccessful response: the envelope's `error` as the message, the kind from
/// the status; a [`ErrorKind::ResponseValidation`] error (still carrying the status) when the
/// body is not the envelope. `retry_after` is recorded for 429.
pub(crate) fn api_error(
    status: u16,
    body: &[u8],
    meta: &ResponseMeta,
    retry_after: Option<Duration>,
    note: &str,
) -> Error {
    let retry_after = if status == 429 { retry_after } else { None };
    match serde_json::from_slice::<ErrorEnvelope<'_>>(body) {
        Ok(envelope) => {
            let message = if note.is_empty() {
                envelope.error.into_owned()
            } else {
                format!("{}{note}", envelope.error)
            };
            Error::new(ErrorKind::from_status(status), message)
                .with_status(status)
                .with_rate_limit(meta.rate_limit)
                .with_retry_after(retry_after)
        }
        Err(_) => invalid(
            status,
            body,
            meta,
            format!(
                "the server answered HTTP {status} with a body that is not the API's \
                 {{\"error\": \"...\"}} envelope (an error page from a proxy or gateway?){note}"
            ),
        )
        .with_retry_after(retry_after),
    }
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
        let cases: [&[u8]; 6] = [
            html.as_bytes(),
            &AGENT.as_bytes()[..40],
            br#"{"result": {"id": "agt_abc123"}}"#,
            br#"{"data": {"id": 5}}"#,
            b"",
            &[0xff, 0xfe, 0x00],
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
            assert_eq!(e.status(), Some(status));
            assert_eq!(
                e.retry_after(),
                (status == 429).then_some(Duration::from_secs(4))
            );
        }
    }

    #[test]
    fn error_bodies_that_are_not_the_envelope_keep_their_status() {
        for body in [
            &b"<html>502 Bad Gateway</html>"[..],
            br#"{"error": {"code": 5}}"#,
            br#"{"error": "trunc"#,
            b"",
        ] {
            let e = api_error(502, body, &meta(), None, "");
            assert_eq!(e.kind(), ErrorKind::ResponseValidation);
            assert_eq!(e.status(), Some(502));
        }
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
