//! Compressed response bodies. Requests carry `Accept-Encoding: gzip`; a gzip body is decoded
//! here, after the codec read it whole, and the size cap applies to the *decoded* bytes too, so
//! a small compression bomb is refused like a large body. A body in an encoding the SDK did not
//! ask for, or gzip that does not decode, is a clear error rather than a JSON error about
//! binary bytes.
//!
//! Why gzip rather than `identity`: a body that is not encoded costs one comparison (the
//! `Content-Encoding` header is picked up by the header pass the codec already makes), and the
//! request carries 23 more bytes; a gateway that compresses (nginx with `gzip on`) saves
//! 80-90% of a page of runs.

use std::cell::RefCell;
use std::io::{Cursor, Read};

use bytes::Bytes;
use flate2::bufread::GzDecoder;

use crate::wire::headers::ContentEncoding;
use crate::wire::response::{Response, SendError};

thread_local! {
    /// One gzip decoder per thread, reset between bodies: a new decoder allocates and zeroes
    /// its inflate state (a 32 KiB window and tables, ~40 KiB), which cost more than decoding a
    /// small body. The `bufread` decoder reads the body in place (no 32 KiB read buffer).
    static GUNZIP: RefCell<Option<GzDecoder<Cursor<Bytes>>>> = const { RefCell::new(None) };
}

/// Gunzips `body` into `decoded`, reading at most `limit` decoded bytes. Every member of a
/// multi-member body is decoded (RFC 1952 allows concatenated members, as `gzip -c a b` makes);
/// bytes after the last member that are not a gzip member are an error, never dropped.
fn gunzip(mut body: Bytes, limit: u64, decoded: &mut Vec<u8>) -> std::io::Result<()> {
    GUNZIP.with(|cell| {
        // Taken out while in use, so the cell is never borrowed across the read.
        let cached = cell.borrow_mut().take();
        let mut decoder = cached.unwrap_or_else(|| GzDecoder::new(Cursor::new(Bytes::new())));
        let read = loop {
            decoder.reset(Cursor::new(body.clone()));
            let left = limit.saturating_sub(decoded.len() as u64);
            if let Err(e) = (&mut decoder).take(left).read_to_end(decoded) {
                break Err(e);
            }
            // The bufread decoder consumed exactly this member: what follows is the next one.
            let used = usize::try_from(decoder.get_ref().position()).unwrap_or(usize::MAX);
            if decoded.len() as u64 >= limit || used >= body.len() {
                break Ok(());
            }
            if used == 0 {
                break Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "a gzip member decoded without consuming input",
                ));
            }
            body = body.slice(used..);
        };
        // Keep the state, not the body: the next reset replaces the input anyway.
        decoder.reset(Cursor::new(Bytes::new()));
        *cell.borrow_mut() = Some(decoder);
        read
    })
}

/// Decodes `response`'s body if it is encoded; at most `max_bytes` decoded bytes are accepted.
pub(crate) fn decode(
    mut response: Response,
    max_bytes: usize,
) -> std::result::Result<Response, SendError> {
    match response.meta.content_encoding {
        ContentEncoding::Identity => Ok(response),
        // A HEAD-like empty body (a 204, an error without a body) needs no decoding.
        _ if response.body.is_empty() => Ok(response),
        ContentEncoding::Unsupported => Err(SendError::Unreadable {
            status: response.status,
            meta: response.meta,
            reason: "it is in a Content-Encoding the SDK did not ask for (it accepts gzip or \
                     none)"
                .into(),
        }),
        ContentEncoding::Gzip => {
            // The decoded size is unknown until it is decoded; a JSON body often shrinks 5-10x.
            let mut decoded =
                Vec::with_capacity(response.body.len().saturating_mul(4).min(max_bytes));
            let limit = u64::try_from(max_bytes)
                .unwrap_or(u64::MAX)
                .saturating_add(1);
            let read = gunzip(response.body.clone(), limit, &mut decoded);
            match read {
                Ok(_) if decoded.len() > max_bytes => {
                    decoded.truncate(max_bytes.min(64 * 1024));
                    Err(SendError::TooLarge {
                        status: response.status,
                        meta: response.meta,
                        head: Bytes::from(decoded),
                    })
                }
                Ok(_) => {
                    response.body = Bytes::from(decoded);
                    response.meta.content_encoding = ContentEncoding::Identity;
                    Ok(response)
                }
                Err(e) => Err(SendError::Unreadable {
                    status: response.status,
                    meta: response.meta,
                    reason: format!("it is not valid gzip ({e})"),
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;
    use crate::wire::headers::ResponseMeta;

    fn gzip(bytes: &[u8]) -> Bytes {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(bytes).unwrap();
        Bytes::from(encoder.finish().unwrap())
    }

    fn response(encoding: ContentEncoding, body: Bytes) -> Response {
        Response {
            status: 200,
            meta: ResponseMeta {
                content_encoding: encoding,
                ..ResponseMeta::default()
            },
            headers: Default::default(),
            body,
        }
    }

    #[test]
    fn a_gzip_body_is_decoded_and_an_identity_body_is_kept() {
        let json = br#"{"data":{"plan":"PRO"}}"#;
        let decoded = decode(response(ContentEncoding::Gzip, gzip(json)), 1024).unwrap();
        assert_eq!(&decoded.body[..], json);
        let kept = decode(
            response(ContentEncoding::Identity, Bytes::from_static(json)),
            1024,
        )
        .unwrap();
        assert_eq!(&kept.body[..], json);
    }

    #[test]
    fn a_compression_bomb_is_refused_at_the_cap_of_decoded_bytes() {
        // 4 MiB of zeros compress to ~4 KiB: under the cap as sent, far over it decoded.
        let bomb = gzip(&vec![0u8; 4 * 1024 * 1024]);
        assert!(bomb.len() < 64 * 1024);
        match decode(response(ContentEncoding::Gzip, bomb), 256 * 1024) {
            Err(SendError::TooLarge { status, head, .. }) => {
                assert_eq!(status, 200);
                assert!(head.len() <= 64 * 1024);
            }
            other => panic!("not refused: {:?}", other.err()),
        }
    }

    #[test]
    fn corrupt_gzip_and_unasked_encodings_say_so() {
        for (encoding, body, expected) in [
            (ContentEncoding::Gzip, "not gzip at all", "not valid gzip"),
            (
                ContentEncoding::Unsupported,
                "brotli bytes",
                "did not ask for",
            ),
        ] {
            match decode(
                response(encoding, Bytes::from_static(body.as_bytes())),
                1024,
            ) {
                Err(SendError::Unreadable { reason, .. }) => {
                    assert!(reason.contains(expected), "{reason}")
                }
                other => panic!("{encoding:?}: {:?}", other.err()),
            }
        }
    }

    #[test]
    fn every_member_of_a_multi_member_body_is_decoded_and_trailing_bytes_are_refused() {
        let first = gzip(br#"{"data":{"pl"#);
        let second = gzip(br#"an":"PRO"}}"#);
        let multi = Bytes::from([&first[..], &second[..]].concat());
        let decoded = decode(response(ContentEncoding::Gzip, multi.clone()), 1024).unwrap();
        assert_eq!(&decoded.body[..], br#"{"data":{"plan":"PRO"}}"#);

        let whole = gzip(br#"{"data":{"plan":"PRO"}}"#);
        for junk in [&b"JUNKJUNK"[..], b"\x1f", b"\x00\x00\x00\x00"] {
            let trailing = Bytes::from([&whole[..], junk].concat());
            match decode(response(ContentEncoding::Gzip, trailing), 1024) {
                Err(SendError::Unreadable { reason, .. }) => {
                    assert!(reason.contains("not valid gzip"), "{reason}")
                }
                other => panic!("{junk:?} after the member: {:?}", other.map(|r| r.body)),
            }
        }
        // The cap counts the decoded bytes of all members together.
        match decode(response(ContentEncoding::Gzip, multi), 15) {
            Err(SendError::TooLarge { .. }) => {}
            other => panic!("over the cap: {:?}", other.map(|r| r.body)),
        }
    }

    #[test]
    fn the_thread_s_decoder_is_clean_after_a_corrupt_body_a_bomb_and_a_truncated_stream() {
        let json = br#"{"data":{"plan":"PRO"}}"#;
        let whole = gzip(json);
        let truncated = whole.slice(..whole.len() / 2);
        let bomb = gzip(&vec![b'x'; 64 * 1024]);
        for (body, ok) in [
            (Bytes::from_static(b"\x1f\x8b garbage"), false),
            (bomb, false),
            (truncated, false),
            (whole.clone(), true),
            (whole, true),
        ] {
            let decoded = decode(response(ContentEncoding::Gzip, body), 1024);
            assert_eq!(decoded.is_ok(), ok);
            if let Ok(decoded) = decoded {
                assert_eq!(&decoded.body[..], json);
            }
        }
    }
}
