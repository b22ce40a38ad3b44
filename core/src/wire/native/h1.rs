//! HTTP/1.1 on one connection: write a request, read its response whole.
//!
//! The SDK's own codec rather than hyper's HTTP/1.1 client, for what a client of one JSON API
//! needs and hyper's general design cannot skip: hyper runs every connection as a separate task
//! fed by a channel, so each call costs two tasks' wake-ups and a channel hand-off, and each
//! connection keeps an 8 KiB read buffer, an 8 KiB write buffer and a 32-slot channel block
//! (~25 KiB) for as long as it is open. Here the call's own task writes the request and reads the
//! response on a connection it holds exclusively (taken from the pool, given back once the
//! response was read whole), and an idle or waiting connection holds no buffer at all: the read
//! buffer is allocated when the response starts to arrive and handed on as the body.
//!
//! Parsing is `httparse` (hyper's own parser). Framing follows RFC 9112: no body for 1xx, 204
//! and 304; `Transfer-Encoding: chunked`; `Content-Length` (conflicting values are an error); or
//! the body runs to the end of the connection. Interim 1xx responses are skipped.

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::AsyncWriteExt;

use crate::wire::headers::{Relevant, ResponseMeta};
use crate::wire::native::connect::Stream;
use crate::wire::response::{Response, SendError};

/// The most headers a response may have.
const MAX_HEADERS: usize = 100;
/// The largest response head (status line and headers) accepted.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// The largest chunk-size line or trailer section accepted.
const MAX_CHUNK_LINE_BYTES: usize = 4096;
/// The read buffer's first size: the API's small responses (head and body) fit in one read.
/// A body that does not fit is read into exactly as much more as its `Content-Length` says.
const FIRST_READ: usize = 2 * 1024;
/// How much the read buffer grows by when the length of what is read is unknown.
const READ_CHUNK: usize = 8 * 1024;

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// How the body of a response is delimited.
#[derive(Debug, PartialEq, Eq)]
enum Framing {
    Empty,
    Length(u64),
    Chunked,
    UntilClose,
}

/// A parsed response head.
struct Head {
    status: u16,
    meta: ResponseMeta,
    framing: Framing,
    /// Whether the connection may carry another request after this response.
    keep_alive: bool,
}

/// An HTTP/1.1 connection, held by one call at a time.
pub(crate) struct Connection {
    stream: Stream,
}

impl Connection {
    pub(crate) fn new(stream: Stream) -> Connection {
        Connection { stream }
    }

    /// Whether the server closed the idle connection (or sent something unasked). Does not wait.
    pub(crate) fn is_open(&mut self) -> bool {
        self.stream.is_idle_and_open()
    }

    /// Writes `request` (head and body, serialized; dropped once written) and reads the response
    /// whole, its body up to `max_bytes`. Also says whether the connection can carry another
    /// request.
    pub(crate) async fn exchange(
        &mut self,
        request: Vec<u8>,
        max_bytes: usize,
    ) -> Result<(Response, bool), SendError> {
        self.stream
            .write_all(&request)
            .await
            .map_err(|e| SendError::Unsent(e.into()))?;
        self.stream
            .flush()
            .await
            .map_err(|e| SendError::Unsent(e.into()))?;
        drop(request);

        let mut buf = BytesMut::new();
        let head = self.read_head(&mut buf).await?;
        // `head` stays whole across this await (destructured, it would be stored twice in the
        // future, which every call in flight carries).
        let body = self.read_body(&mut buf, &head.framing, max_bytes).await;
        let Head {
            status,
            meta,
            framing,
            keep_alive,
        } = head;
        match body {
            Ok(body) => {
                // Bytes after the response were never asked for: the connection is out of
                // step. A body that runs to the end of the connection ends it.
                let reusable = keep_alive && framing != Framing::UntilClose && buf.is_empty();
                Ok((Response { status, meta, body }, reusable))
            }
            Err(BodyError::TooLarge(head)) => Err(SendError::TooLarge { status, meta, head }),
            Err(BodyError::Failed(source)) => Err(SendError::BodyLost {
                status,
                meta,
                source,
            }),
        }
    }

    async fn read_body(
        &mut self,
        buf: &mut BytesMut,
        framing: &Framing,
        max_bytes: usize,
    ) -> Result<Bytes, BodyError> {
        match *framing {
            Framing::Empty => Ok(Bytes::new()),
            Framing::Length(length) => self.read_length(buf, length, max_bytes).await,
            // Boxed: the API does not send chunked bodies, and inline this future would be
            // the largest of the three.
            Framing::Chunked => Box::pin(self.read_chunked(buf, max_bytes)).await,
            Framing::UntilClose => self.read_to_close(buf, max_bytes).await,
        }
    }

    /// Reads until a final (non-1xx) response head is complete; leaves the bytes after it in
    /// `buf`.
    async fn read_head(&mut self, buf: &mut BytesMut) -> Result<Head, SendError> {
        loop {
            if !buf.is_empty() {
                match parse_head(buf).map_err(SendError::Lost)? {
                    Some((_, length)) if length > MAX_HEAD_BYTES => {
                        return Err(SendError::Lost(head_too_large()));
                    }
                    Some((head, length)) => {
                        buf.advance(length);
                        if (100..200).contains(&head.status) {
                            // Interim (100 Continue, 103 Early Hints): the real one follows.
                            continue;
                        }
                        return Ok(head);
                    }
                    None if buf.len() > MAX_HEAD_BYTES => {
                        return Err(SendError::Lost(head_too_large()));
                    }
                    None => {}
                }
            }
            let grow = if buf.is_empty() {
                FIRST_READ
            } else {
                READ_CHUNK
            };
            let read = self
                .stream
                .read_some(buf, grow)
                .await
                .map_err(|e| SendError::Lost(e.into()))?;
            if read == 0 {
                return Err(SendError::Lost(if buf.is_empty() {
                    "the server closed the connection without a response".into()
                } else {
                    "the server closed the connection in the middle of the response head".into()
                }));
            }
        }
    }

    async fn read_length(
        &mut self,
        buf: &mut BytesMut,
        length: u64,
        max_bytes: usize,
    ) -> Result<Bytes, BodyError> {
        if length > max_bytes as u64 {
            // Not read at all; the connection is dropped.
            return Err(BodyError::TooLarge(Bytes::new()));
        }
        let length = length as usize;
        while buf.len() < length {
            let missing = length - buf.len();
            if self.read_body_bytes(buf, missing).await? == 0 {
                return Err(BodyError::Failed(
                    format!(
                        "the server closed the connection after {} of {length} body bytes",
                        buf.len()
                    )
                    .into(),
                ));
            }
        }
        Ok(buf.split_to(length).freeze())
    }

    async fn read_chunked(
        &mut self,
        buf: &mut BytesMut,
        max_bytes: usize,
    ) -> Result<Bytes, BodyError> {
        let mut body = BytesMut::new();
        loop {
            let size = loop {
                match httparse::parse_chunk_size(buf) {
                    Ok(httparse::Status::Complete((line, size))) => {
                        buf.advance(line);
                        break size;
                    }
                    Ok(httparse::Status::Partial) if buf.len() <= MAX_CHUNK_LINE_BYTES => {
                        self.read_more(buf).await?;
                    }
                    _ => return Err(BodyError::Failed("invalid chunk size line".into())),
                }
            };
            if size == 0 {
                self.skip_trailers(buf).await?;
                return Ok(body.freeze());
            }
            if body.len() as u64 + size > max_bytes as u64 {
                return Err(BodyError::TooLarge(body.freeze()));
            }
            let size = size as usize;
            while buf.len() < size + 2 {
                self.read_more(buf).await?;
            }
            if &buf[size..size + 2] != b"\r\n" {
                return Err(BodyError::Failed("a chunk does not end with CRLF".into()));
            }
            if body.is_empty() {
                // The first chunk (often the whole body) is taken as is: no copy.
                body = buf.split_to(size);
            } else {
                body.extend_from_slice(&buf[..size]);
                buf.advance(size);
            }
            buf.advance(2);
        }
    }

    /// Skips the trailer section after the last chunk, up to and including its empty line.
    async fn skip_trailers(&mut self, buf: &mut BytesMut) -> Result<(), BodyError> {
        let mut skipped = 0;
        loop {
            match buf.windows(2).position(|w| w == b"\r\n") {
                Some(0) => {
                    buf.advance(2);
                    return Ok(());
                }
                Some(end) => {
                    skipped += end + 2;
                    buf.advance(end + 2);
                }
                None if skipped + buf.len() > MAX_CHUNK_LINE_BYTES => {
                    return Err(BodyError::Failed("the trailer section is too large".into()));
                }
                None => self.read_more(buf).await?,
            }
        }
    }

    async fn read_to_close(
        &mut self,
        buf: &mut BytesMut,
        max_bytes: usize,
    ) -> Result<Bytes, BodyError> {
        loop {
            if buf.len() > max_bytes {
                return Err(BodyError::TooLarge(buf.split_to(max_bytes).freeze()));
            }
            if self.read_body_bytes(buf, READ_CHUNK).await? == 0 {
                return Ok(buf.split().freeze());
            }
        }
    }

    /// Reads what has arrived of a body (growing `buf` by `grow` if full); 0 at the end of the
    /// stream.
    async fn read_body_bytes(
        &mut self,
        buf: &mut BytesMut,
        grow: usize,
    ) -> Result<usize, BodyError> {
        self.stream
            .read_some(buf, grow)
            .await
            .map_err(|e| BodyError::Failed(e.into()))
    }

    /// Reads at least one more byte; the end of the stream here cuts the body off.
    async fn read_more(&mut self, buf: &mut BytesMut) -> Result<(), BodyError> {
        if self.read_body_bytes(buf, READ_CHUNK).await? == 0 {
            return Err(BodyError::Failed(
                "the server closed the connection in the middle of a chunked body".into(),
            ));
        }
        Ok(())
    }
}

fn head_too_large() -> BoxError {
    format!("the response head is larger than {MAX_HEAD_BYTES} bytes").into()
}

enum BodyError {
    TooLarge(Bytes),
    Failed(BoxError),
}

/// Parses a response head at the start of `buf`: `None` while it is incomplete, else the head
/// and its length in bytes.
fn parse_head(buf: &[u8]) -> Result<Option<(Head, usize)>, BoxError> {
    let mut raw = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut raw);
    let length = match response.parse(buf) {
        Ok(httparse::Status::Complete(length)) => length,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(format!("the response is not valid HTTP/1.1 ({e})").into()),
    };
    let status = response.code.unwrap_or_default();
    if status == 101 {
        return Err("the server switched protocols, which was not asked for".into());
    }
    let mut relevant = Relevant::default();
    let mut content_length: Option<u64> = None;
    let mut chunked = false;
    let mut transfer_encoding = false;
    let mut close = response.version != Some(1);
    // Only the headers that matter are looked at; no header map is built.
    for header in response.headers.iter() {
        let name = header.name;
        if name.eq_ignore_ascii_case("content-length") {
            let parsed = std::str::from_utf8(header.value)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .ok_or("the response's Content-Length is not a number")?;
            if content_length.is_some_and(|seen| seen != parsed) {
                return Err("the response has conflicting Content-Length headers".into());
            }
            content_length = Some(parsed);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            transfer_encoding = true;
            // Chunked must be the last coding applied.
            chunked = header
                .value
                .rsplit(|&b| b == b',')
                .next()
                .is_some_and(|last| last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
        } else if name.eq_ignore_ascii_case("connection") {
            close |= header
                .value
                .split(|&b| b == b',')
                .any(|token| token.trim_ascii().eq_ignore_ascii_case(b"close"));
        } else {
            relevant.offer(name, header.value);
        }
    }
    let framing = if (100..200).contains(&status) || status == 204 || status == 304 {
        Framing::Empty
    } else if transfer_encoding {
        // Transfer-Encoding overrides Content-Length (RFC 9112, 6.3).
        if chunked {
            Framing::Chunked
        } else {
            Framing::UntilClose
        }
    } else {
        match content_length {
            Some(0) => Framing::Empty,
            Some(length) => Framing::Length(length),
            None => Framing::UntilClose,
        }
    };
    Ok(Some((
        Head {
            status,
            meta: relevant.parse(),
            framing,
            keep_alive: !close,
        },
        length,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(raw: &str) -> Head {
        parse_head(raw.as_bytes()).unwrap().unwrap().0
    }

    #[test]
    fn framing_follows_rfc_9112() {
        let cases = [
            (
                "HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\n",
                Framing::Length(12),
            ),
            (
                "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
                Framing::Empty,
            ),
            ("HTTP/1.1 204 No Content\r\n\r\n", Framing::Empty),
            (
                "HTTP/1.1 304 Not Modified\r\ncontent-length: 9\r\n\r\n",
                Framing::Empty,
            ),
            (
                "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n",
                Framing::Chunked,
            ),
            (
                "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, Chunked\r\ncontent-length: 5\r\n\r\n",
                Framing::Chunked,
            ),
            (
                "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\n",
                Framing::UntilClose,
            ),
            ("HTTP/1.1 200 OK\r\n\r\n", Framing::UntilClose),
        ];
        for (raw, framing) in cases {
            assert_eq!(head(raw).framing, framing, "{raw:?}");
        }
    }

    #[test]
    fn keep_alive_unless_closed_or_http_1_0() {
        assert!(head("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").keep_alive);
        assert!(!head("HTTP/1.1 200 OK\r\nconnection: keep-alive, Close\r\n\r\n").keep_alive);
        assert!(!head("HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n").keep_alive);
    }

    #[test]
    fn partial_heads_wait_and_bad_ones_fail() {
        assert!(
            parse_head(b"HTTP/1.1 200 OK\r\ncontent-le")
                .unwrap()
                .is_none()
        );
        for bad in [
            "HTTP/1.1 200 OK\r\ncontent-length: 3\r\ncontent-length: 4\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: lots\r\n\r\n",
            "HTTP/1.1 101 Switching Protocols\r\n\r\n",
            "SSH-2.0-OpenSSH_9.6\r\n\r\n",
        ] {
            assert!(parse_head(bad.as_bytes()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_head_length_excludes_the_body() {
        let raw = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-ratelimit-limit: 60\r\n\r\n{}";
        let (head, length) = parse_head(raw).unwrap().unwrap();
        assert_eq!(&raw[length..], b"{}");
        assert_eq!(
            head.meta.rate_limit, None,
            "one of the three rate-limit headers"
        );
        assert_eq!(head.status, 200);
    }
}
