//! gzip responses, off by default (`PUT /__emulator/config {"gzip": true}`): the emulator then
//! answers like a gateway with nginx's `gzip on` (level 1, bodies of 20 bytes or more, only to
//! a request whose `Accept-Encoding` names gzip). The benchmark uses it to measure what
//! decoding gzip costs the SDK (bench/README.md).

use std::cell::RefCell;

use axum::body::Body;
use axum::response::Response;
use flate2::{Compress, Compression, Crc, FlushCompress, Status};
use http::{HeaderMap, HeaderValue, header};
use http_body_util::BodyExt;

/// nginx's `gzip_min_length` default: shorter bodies are sent as they are.
const MIN_LENGTH: usize = 20;

/// Whether the request's `Accept-Encoding` lists gzip with a non-zero quality.
pub(crate) fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or_default();
            let zero_q = parts.any(|p| {
                p.strip_prefix("q=")
                    .is_some_and(|q| q.parse::<f32>().is_ok_and(|q| q == 0.0))
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !zero_q
        })
}

/// The response with its body gzipped (level 1, as nginx's default), unless it is short or
/// already encoded.
pub(crate) async fn gzip(response: Response) -> Response {
    if response.headers().contains_key(header::CONTENT_ENCODING) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(collected) = body.collect().await else {
        return Response::from_parts(parts, Body::empty());
    };
    let bytes = collected.to_bytes();
    if bytes.len() < MIN_LENGTH {
        return Response::from_parts(parts, Body::from(bytes));
    }
    match gzip_member(&bytes) {
        Some(compressed) => {
            parts.headers.remove(header::CONTENT_LENGTH);
            parts
                .headers
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            parts
                .headers
                .append(header::VARY, HeaderValue::from_static("accept-encoding"));
            Response::from_parts(parts, Body::from(compressed))
        }
        None => Response::from_parts(parts, Body::from(bytes)),
    }
}

thread_local! {
    /// One deflate state per thread, reset between bodies: a new one allocates and clears
    /// ~300 KiB, which made the emulator 5x slower on small bodies (on the same cores as the
    /// client being measured).
    static DEFLATE: RefCell<Compress> = RefCell::new(Compress::new(Compression::fast(), false));
}

/// `bytes` as one gzip member (RFC 1952): a 10-byte header, raw deflate, CRC-32 and size.
fn gzip_member(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() / 2 + 64);
    out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    DEFLATE.with_borrow_mut(|deflate| {
        deflate.reset();
        loop {
            out.reserve(bytes.len() / 4 + 64);
            let consumed = usize::try_from(deflate.total_in()).ok()?;
            let status = deflate
                .compress_vec(&bytes[consumed..], &mut out, FlushCompress::Finish)
                .ok()?;
            if status == Status::StreamEnd {
                return Some(());
            }
        }
    })?;
    let mut crc = Crc::new();
    crc.update(bytes);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        h
    }

    #[test]
    fn gzip_is_accepted_unless_its_quality_is_zero() {
        assert!(accepts_gzip(&headers("gzip")));
        assert!(accepts_gzip(&headers("br, GZIP;q=0.5")));
        assert!(accepts_gzip(&headers("*")));
        assert!(!accepts_gzip(&headers("identity")));
        assert!(!accepts_gzip(&headers("gzip;q=0")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[tokio::test]
    async fn a_body_is_gzipped_and_decodes_to_the_same_bytes() {
        let body = br#"{"data":{"id":"agt_abc123","name":"Support bot"}}"#;
        let response = gzip(Response::new(Body::from(&body[..]))).await;
        assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let mut decoded = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut decoded)
            .unwrap();
        assert_eq!(decoded, body);
        // The deflate state is reused: a second, larger body decodes too.
        let large = body.repeat(500);
        let response = gzip(Response::new(Body::from(large.clone()))).await;
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let mut decoded = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut decoded)
            .unwrap();
        assert_eq!(decoded, large);
        let short = gzip(Response::new(Body::from("{}"))).await;
        assert!(!short.headers().contains_key(header::CONTENT_ENCODING));
    }
}
