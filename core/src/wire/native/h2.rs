//! HTTP/2 through hyper: one request on the shared connection, its body read whole under a cap.

use bytes::{Bytes, BytesMut};
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http2::SendRequest;

use crate::wire::headers;
use crate::wire::raw_headers::RawHeaders;
use crate::wire::response::{Response, SendError};

/// Sends `request` (its URI absolute: HTTP/2 carries the scheme and authority as
/// pseudo-headers) and reads the response whole, its body up to `max_bytes`.
pub(crate) async fn send(
    mut sender: SendRequest<Full<Bytes>>,
    request: Request<Full<Bytes>>,
    max_bytes: usize,
) -> Result<Response, SendError> {
    let response = sender
        .try_send_request(request)
        .await
        .map_err(|mut failed| match failed.take_message() {
            // Closed before the request went out; the attempt loop sends it again (any method)
            // and the next attempt finds the connection closed and opens another.
            Some(_) => SendError::Unsent(failed.into_error().into()),
            None => {
                let error = failed.into_error();
                if refused_unprocessed(&error) {
                    SendError::Unsent(error.into())
                } else {
                    SendError::Lost(error.into())
                }
            }
        })?;
    let (head, mut body) = response.into_parts();
    let status = head.status.as_u16();
    let meta = headers::parse(&head.headers);
    let content_length = hyper::body::Body::size_hint(&body).exact();
    if content_length.is_some_and(|len| len > max_bytes as u64) {
        // Not read at all: dropping the body resets the stream.
        return Err(SendError::TooLarge {
            status,
            meta,
            head: Bytes::new(),
        });
    }
    // The usual case is one chunk, kept as is without a copy; more are gathered in `gathered`.
    let mut only: Option<Bytes> = None;
    let mut gathered = BytesMut::new();
    loop {
        let chunk = match next_chunk(&mut body).await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) => {
                return Err(SendError::BodyLost {
                    status,
                    meta,
                    source: e.into(),
                });
            }
        };
        let so_far = only.as_ref().map_or(gathered.len(), Bytes::len);
        if so_far + chunk.len() > max_bytes {
            let read = match only {
                Some(only) => only,
                None if gathered.is_empty() => chunk,
                None => gathered.freeze(),
            };
            return Err(SendError::TooLarge {
                status,
                meta,
                head: read,
            });
        }
        if let Some(previous) = only.take() {
            let expected = content_length.map_or(0, |len| len as usize);
            gathered.reserve(expected.max(previous.len() + chunk.len()));
            gathered.extend_from_slice(&previous);
            gathered.extend_from_slice(&chunk);
        } else if gathered.is_empty() {
            only = Some(chunk);
        } else {
            gathered.extend_from_slice(&chunk);
        }
    }
    let body = only.unwrap_or_else(|| gathered.freeze());
    Ok(Response {
        status,
        meta,
        headers: RawHeaders::Http2(Box::new(head.headers)),
        body,
    })
}

/// The next piece of a response body, or `None` at its end (trailers, which the API never
/// sends, are skipped).
async fn next_chunk(body: &mut Incoming) -> Result<Option<Bytes>, hyper::Error> {
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            return Ok(Some(data));
        }
    }
    Ok(None)
}

/// Whether an HTTP/2 server said it did not process the request: it refused the stream
/// (`REFUSED_STREAM`), or shut the connection down gracefully (`GOAWAY` with `NO_ERROR`) before
/// the stream. Either way nothing happened on the server, so even a chat may be sent again
/// (RFC 9113, section 8.7).
fn refused_unprocessed(error: &hyper::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(h2_error) = cause.downcast_ref::<h2::Error>() {
            return h2_error.is_remote()
                && match h2_error.reason() {
                    Some(h2::Reason::REFUSED_STREAM) => true,
                    Some(h2::Reason::NO_ERROR) => h2_error.is_go_away(),
                    _ => false,
                };
        }
        source = cause.source();
    }
    false
}
