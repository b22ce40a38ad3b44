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
//! Parsing is `httparse` (hyper's own parser) and the rules are hyper's, checked by a
//! differential fuzz target against hyper's client (`h1_fuzz.rs`, which lists the deliberate
//! differences). Framing follows RFC 9112: no body for 1xx, 204 and 304;
//! `Transfer-Encoding: chunked`; `Content-Length` (digits only; conflicting values are an
//! error); or the body runs to the end of the connection. Interim 1xx responses are skipped,
//! obs-fold header lines are unfolded (§5.2) and `HTTP/1.x` for x > 1 is read as HTTP/1.1
//! (§2.6).
//!
//! The response is read while the request is still being written, as hyper's dispatcher does:
//! a server may answer a large body early (413, 401, 429) and then neither read the rest nor
//! close, and that answer is the outcome; such a connection is never reused.
//!
//! Every number the server sends is checked before it is used (chunk sizes with checked
//! arithmetic; the size cap counts every decoded byte) and every part of the response is
//! bounded: the head, each chunk-size line, all chunk extensions together, the trailers. A
//! response that breaks the rules is [`SendError::Malformed`], naming what was wrong.

use std::future::{Future, poll_fn};
use std::io;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::AsyncWrite;

use crate::wire::headers::{Relevant, ResponseMeta};
use crate::wire::native::connect::Stream;
use crate::wire::raw_headers::RawHeaders;
use crate::wire::response::{Response, SendError};

/// The most headers a response may have.
pub(crate) const MAX_HEADERS: usize = 100;
/// The largest response head (status line and headers) accepted.
pub(crate) const MAX_HEAD_BYTES: usize = 64 * 1024;
/// The longest chunk-size line (size, whitespace, extensions, CRLF) accepted.
pub(crate) const MAX_CHUNK_LINE_BYTES: usize = 4096;
/// The most bytes of chunk extensions in one body, all lines together (hyper's limit: a body of
/// one-byte chunks cannot carry megabytes of extensions).
pub(crate) const MAX_CHUNK_EXTENSION_BYTES: usize = 16 * 1024;
/// The trailer section after the last chunk must be shorter than this (hyper's limit); it has
/// at most [`MAX_TRAILERS`] fields.
pub(crate) const MAX_TRAILER_BYTES: usize = 16 * 1024;
const MAX_TRAILERS: usize = MAX_HEADERS;
/// The read buffer's first size: the API's small responses (head and body) fit in one read.
/// A body that does not fit is read into exactly as much more as its `Content-Length` says.
const FIRST_READ: usize = 2 * 1024;
/// A connection's next first read is the size of its last response (a page of runs after a
/// page of runs, as hyper's read buffer adapts), plus this much slack, up to
/// [`MAX_FIRST_READ`]. A 13 KB page is then read by one system call instead of two (2 KB, then
/// the rest).
const FIRST_READ_SLACK: usize = 512;
const MAX_FIRST_READ: usize = 64 * 1024;
/// The smallest response after which a connection keeps its read buffer (see
/// [`Connection`]'s `buf`).
const KEPT_BUFFER_FROM: usize = 8 * 1024;
/// How much the read buffer grows by when the length of what is read is unknown.
pub(crate) const READ_CHUNK: usize = 8 * 1024;

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The differential fuzz target against hyper's client (its deliberate differences listed there).
#[cfg(test)]
#[path = "h1_fuzz.rs"]
mod fuzz;

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
    /// The head's bytes (a slice of the read buffer, no copy), listed only when asked for.
    headers: RawHeaders,
}

/// Where a response is read from: a connection's stream, or the fuzz target's scripted bytes.
pub(crate) trait ReadSome {
    /// Reads what has arrived into `buf`, growing it by up to `capacity` bytes only if it is
    /// full or empty. `Ok(0)` is the end of the stream.
    fn read_some(
        &mut self,
        buf: &mut BytesMut,
        capacity: usize,
    ) -> impl Future<Output = io::Result<usize>> + Send;
}

impl ReadSome for Stream {
    fn read_some(
        &mut self,
        buf: &mut BytesMut,
        capacity: usize,
    ) -> impl Future<Output = io::Result<usize>> + Send {
        Stream::read_some(self, buf, capacity)
    }
}

/// An HTTP/1.1 connection, held by one call at a time.
pub(crate) struct Connection {
    stream: Stream,
    /// Bytes of the last response read on this connection (head and body).
    last_response: usize,
    /// The read buffer, kept between responses (empty): once the last response's head and body
    /// are dropped, the next first read reclaims its block in place instead of allocating
    /// ~13 KB for a runs page and freeing it after (which made glibc consolidate its free
    /// lists: `BytesMut::reserve` was 7% of a runs-page call; perf). Kept only after a response
    /// of [`KEPT_BUFFER_FROM`] to [`MAX_FIRST_READ`] bytes: an idle connection holds at most
    /// that much, and small responses (the memory of 10,000 concurrent small calls) are as
    /// before.
    buf: BytesMut,
}

impl Connection {
    pub(crate) fn new(stream: Stream) -> Connection {
        Connection {
            stream,
            last_response: 0,
            buf: BytesMut::new(),
        }
    }

    /// Whether the server closed the idle connection (or sent something unasked). Does not wait.
    pub(crate) fn is_open(&mut self) -> bool {
        self.stream.is_idle_and_open()
    }

    /// Writes `request` (head and body, serialized; dropped once written) and reads the response
    /// whole, its body up to `max_bytes`. Also says whether the connection can carry another
    /// request.
    ///
    /// The response is read while the request is written (see [`Sending`]), as hyper's
    /// dispatcher does: a server may answer a large body early (413, 401, 429) and then neither
    /// read the rest nor close, and waiting for the write would wait for the timeout.
    pub(crate) async fn exchange(
        &mut self,
        request: Vec<u8>,
        max_bytes: usize,
    ) -> Result<(Response, bool), SendError> {
        let mut sending = Sending {
            stream: &mut self.stream,
            request,
            sent: 0,
            written: false,
            failed: None,
        };
        let mut size = (self.last_response + FIRST_READ_SLACK).clamp(FIRST_READ, MAX_FIRST_READ);
        let read = read_response_sized(&mut sending, &mut self.buf, max_bytes, &mut size).await;
        self.last_response = size;
        if !(KEPT_BUFFER_FROM..=MAX_FIRST_READ).contains(&size) {
            self.buf = BytesMut::new();
        }
        if sending.written {
            return read;
        }
        // The request was not written whole (the write failed, or a response came before its
        // end): the server never had all of it, but an answer it gave is the outcome. The
        // connection is not reused: the rest of the request is still owed on it.
        let unsent = sending.failed.take();
        match read {
            Ok((response, _)) => Ok((response, false)),
            Err(
                e @ (SendError::BodyLost { .. }
                | SendError::TooLarge { .. }
                | SendError::Malformed {
                    status: Some(_), ..
                }),
            ) => Err(e),
            Err(e) => Err(SendError::Unsent(match unsent {
                Some(write_error) => write_error.into(),
                None => format!("the request could not be written whole: {e}").into(),
            })),
        }
    }
}

/// A connection's stream while a request goes out on it: each read of the response first writes
/// what the socket takes of the rest of the request, so that the response is read as it
/// arrives, even before the request's end. A complete response (head and body) then ends the
/// exchange with the request unfinished; an interim 1xx does not, and the write goes on. The
/// usual small request is written whole by the first read, before it waits for the response.
struct Sending<'a> {
    stream: &'a mut Stream,
    /// The request, until it is written whole (then freed: a call waiting for its response
    /// holds no copy of it).
    request: Vec<u8>,
    /// How many of its bytes were written.
    sent: usize,
    /// Whether the request was written whole and flushed.
    written: bool,
    /// Why the write failed, if it did: the rest is abandoned and the response still read.
    failed: Option<io::Error>,
}

impl Sending<'_> {
    /// Writes what the socket takes of the rest of the request, then flushes.
    fn poll_write_rest(&mut self, cx: &mut Context<'_>) {
        while !self.written && self.failed.is_none() {
            let rest = &self.request[self.sent..];
            let stream = Pin::new(&mut *self.stream);
            let step = if rest.is_empty() {
                stream.poll_flush(cx).map_ok(|()| 0)
            } else {
                stream.poll_write(cx, rest)
            };
            match step {
                Poll::Pending => return,
                Poll::Ready(Err(e)) => self.failed = Some(e),
                Poll::Ready(Ok(0)) if rest.is_empty() => {
                    self.written = true;
                    self.request = Vec::new();
                }
                Poll::Ready(Ok(0)) => self.failed = Some(io::ErrorKind::WriteZero.into()),
                Poll::Ready(Ok(n)) => self.sent += n,
            }
        }
    }
}

impl ReadSome for Sending<'_> {
    fn read_some(
        &mut self,
        buf: &mut BytesMut,
        capacity: usize,
    ) -> impl Future<Output = io::Result<usize>> + Send {
        poll_fn(move |cx| {
            self.poll_write_rest(cx);
            // `Stream::read_some` keeps no state of its own across polls (its state is the
            // socket's and `buf`), so a new one at each poll reads exactly as one awaited would;
            // both wakers stay registered, and either readiness polls this again.
            pin!(self.stream.read_some(buf, capacity)).poll(cx)
        })
    }
}

/// Reads one response whole from `io`, its body up to `max_bytes`; also says whether the
/// connection can carry another request.
#[cfg(test)]
pub(crate) async fn read_response<R: ReadSome>(
    io: &mut R,
    max_bytes: usize,
) -> Result<(Response, bool), SendError> {
    read_response_sized(io, &mut BytesMut::new(), max_bytes, &mut FIRST_READ.clone()).await
}

/// [`read_response`] into `buf` (empty), whose first read reserves `size` bytes; on success
/// `size` is then the response's (head and body), and `buf` is empty again when the connection
/// can be reused.
async fn read_response_sized<R: ReadSome>(
    io: &mut R,
    buf: &mut BytesMut,
    max_bytes: usize,
    size: &mut usize,
) -> Result<(Response, bool), SendError> {
    let (head, head_len) = read_head(io, buf, *size).await?;
    // `head` stays whole across this await (destructured, it would be stored twice in the
    // future, which every call in flight carries).
    let body = read_body(io, buf, &head.framing, max_bytes).await;
    let Head {
        status,
        meta,
        framing,
        keep_alive,
        headers,
    } = head;
    match body {
        Ok(body) => {
            *size = head_len + body.len();
            // Bytes after the response were never asked for: the connection is out of
            // step. A body that runs to the end of the connection ends it.
            let reusable = keep_alive && framing != Framing::UntilClose && buf.is_empty();
            Ok((
                Response {
                    status,
                    meta,
                    headers,
                    body,
                },
                reusable,
            ))
        }
        Err(BodyError::TooLarge(head)) => Err(SendError::TooLarge { status, meta, head }),
        Err(BodyError::Lost(source)) => Err(SendError::BodyLost {
            status,
            meta,
            source,
        }),
        Err(BodyError::Malformed(source)) => Err(SendError::Malformed {
            status: Some(status),
            meta,
            source,
        }),
    }
}

async fn read_body<R: ReadSome>(
    io: &mut R,
    buf: &mut BytesMut,
    framing: &Framing,
    max_bytes: usize,
) -> Result<Bytes, BodyError> {
    match *framing {
        Framing::Empty => Ok(Bytes::new()),
        Framing::Length(length) => read_length(io, buf, length, max_bytes).await,
        // Boxed: the API does not send chunked bodies, and inline this future would be
        // the largest of the three.
        Framing::Chunked => Box::pin(read_chunked(io, buf, max_bytes)).await,
        Framing::UntilClose => read_to_close(io, buf, max_bytes).await,
    }
}

/// Reads until a final (non-1xx) response head is complete, the first read into `first_read`
/// bytes; leaves the bytes after it in `buf`. Also says the head's length.
async fn read_head<R: ReadSome>(
    io: &mut R,
    buf: &mut BytesMut,
    first_read: usize,
) -> Result<(Head, usize), SendError> {
    let malformed = |source: BoxError| SendError::Malformed {
        status: None,
        meta: ResponseMeta::default(),
        source,
    };
    loop {
        if !buf.is_empty() {
            match parse_head(buf).map_err(malformed)? {
                Some((_, length)) if length > MAX_HEAD_BYTES => {
                    return Err(malformed(head_too_large()));
                }
                Some((mut head, length)) => {
                    if (100..200).contains(&head.status) {
                        // Interim (100 Continue, 103 Early Hints): the real one follows.
                        buf.advance(length);
                        continue;
                    }
                    head.headers = RawHeaders::Http1(buf.split_to(length).freeze());
                    return Ok((head, length));
                }
                None if buf.len() > MAX_HEAD_BYTES => {
                    return Err(malformed(head_too_large()));
                }
                None => {}
            }
        }
        let grow = if buf.is_empty() {
            first_read
        } else {
            READ_CHUNK
        };
        let read = match io.read_some(buf, grow).await {
            Ok(read) => read,
            // Reset before a byte of response: see `SendError::Closed`.
            Err(e) if buf.is_empty() => return Err(SendError::Closed(e.into())),
            Err(e) => return Err(SendError::Lost(e.into())),
        };
        if read == 0 {
            return Err(if buf.is_empty() {
                SendError::Closed("the server closed the connection without a response".into())
            } else {
                SendError::Lost(
                    "the server closed the connection in the middle of the response head".into(),
                )
            });
        }
    }
}

async fn read_length<R: ReadSome>(
    io: &mut R,
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
        if read_body_bytes(io, buf, missing).await? == 0 {
            return Err(BodyError::Lost(
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

async fn read_chunked<R: ReadSome>(
    io: &mut R,
    buf: &mut BytesMut,
    max_bytes: usize,
) -> Result<Bytes, BodyError> {
    let mut body = BytesMut::new();
    let mut extension_bytes = 0;
    loop {
        let size = loop {
            match parse_chunk_line(buf, extension_bytes).map_err(malformed)? {
                Some(line) if line.length > MAX_CHUNK_LINE_BYTES => {
                    return Err(chunk_line_too_long());
                }
                Some(line) => {
                    buf.advance(line.length);
                    extension_bytes += line.extension_bytes;
                    break line.size;
                }
                // Incomplete: every byte in `buf` belongs to the line.
                None if buf.len() >= MAX_CHUNK_LINE_BYTES => return Err(chunk_line_too_long()),
                None => read_more(io, buf).await?,
            }
        };
        if size == 0 {
            read_trailers(io, buf).await?;
            return Ok(body.freeze());
        }
        // The cap counts every decoded byte. `size` is the server's number: compared, never
        // added to (`body.len() <= max_bytes` holds throughout).
        if size > (max_bytes - body.len()) as u64 {
            return Err(BodyError::TooLarge(body.freeze()));
        }
        let size = size as usize;
        let Some(with_crlf) = size.checked_add(2) else {
            return Err(BodyError::TooLarge(body.freeze()));
        };
        while buf.len() < with_crlf {
            let missing = with_crlf - buf.len();
            if read_body_bytes(io, buf, missing).await? == 0 {
                return Err(cut_off_chunked());
            }
        }
        if &buf[size..with_crlf] != b"\r\n" {
            return Err(malformed("a chunk does not end with CRLF"));
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

/// Reads the end of a chunked body after its last chunk: an empty line, or a trailer section
/// (checked as hyper checks it, then dropped) and an empty line.
async fn read_trailers<R: ReadSome>(io: &mut R, buf: &mut BytesMut) -> Result<(), BodyError> {
    loop {
        match scan_trailers(buf).map_err(malformed)? {
            Some(end) => {
                buf.advance(end);
                return Ok(());
            }
            None => read_more(io, buf).await?,
        }
    }
}

async fn read_to_close<R: ReadSome>(
    io: &mut R,
    buf: &mut BytesMut,
    max_bytes: usize,
) -> Result<Bytes, BodyError> {
    loop {
        if buf.len() > max_bytes {
            return Err(BodyError::TooLarge(buf.split_to(max_bytes).freeze()));
        }
        if read_body_bytes(io, buf, READ_CHUNK).await? == 0 {
            return Ok(buf.split().freeze());
        }
    }
}

/// Reads what has arrived of a body (growing `buf` by `grow` if full); 0 at the end of the
/// stream.
async fn read_body_bytes<R: ReadSome>(
    io: &mut R,
    buf: &mut BytesMut,
    grow: usize,
) -> Result<usize, BodyError> {
    io.read_some(buf, grow)
        .await
        .map_err(|e| BodyError::Lost(e.into()))
}

/// Reads at least one more byte; the end of the stream here cuts the body off.
async fn read_more<R: ReadSome>(io: &mut R, buf: &mut BytesMut) -> Result<(), BodyError> {
    if read_body_bytes(io, buf, READ_CHUNK).await? == 0 {
        return Err(cut_off_chunked());
    }
    Ok(())
}

fn head_too_large() -> BoxError {
    format!("the response head is larger than {MAX_HEAD_BYTES} bytes").into()
}

fn chunk_line_too_long() -> BodyError {
    malformed(format!(
        "invalid chunk size line: longer than {MAX_CHUNK_LINE_BYTES} bytes"
    ))
}

fn cut_off_chunked() -> BodyError {
    BodyError::Lost("the server closed the connection in the middle of a chunked body".into())
}

fn malformed(message: impl Into<BoxError>) -> BodyError {
    BodyError::Malformed(message.into())
}

enum BodyError {
    /// The body is larger than the cap; what was read of it.
    TooLarge(Bytes),
    /// The connection failed or closed before the body was whole.
    Lost(BoxError),
    /// The body's framing breaks the rules.
    Malformed(BoxError),
}

/// A complete chunk-size line.
struct ChunkLine {
    /// Its length in bytes, CRLF included.
    length: usize,
    size: u64,
    /// The bytes of its extensions (after each `;`).
    extension_bytes: usize,
}

/// Parses the chunk-size line at the start of `buf` (RFC 9112 §7.1, with hyper's tolerance of
/// whitespace after the size): `None` while it is incomplete. `extensions_before` is what earlier
/// lines of the body spent of [`MAX_CHUNK_EXTENSION_BYTES`].
fn parse_chunk_line(buf: &[u8], extensions_before: usize) -> Result<Option<ChunkLine>, String> {
    #[derive(Clone, Copy)]
    enum At {
        Start,
        Size,
        Space,
        Extension,
        Lf,
    }
    let mut at = At::Start;
    let mut size: u64 = 0;
    let mut extension_bytes = 0;
    for (i, &byte) in buf.iter().enumerate() {
        at = match (at, byte) {
            (At::Start | At::Size, _) if byte.is_ascii_hexdigit() => {
                let digit = match byte {
                    b'0'..=b'9' => byte - b'0',
                    b'a'..=b'f' => byte - b'a' + 10,
                    _ => byte - b'A' + 10,
                };
                size = size
                    .checked_mul(16)
                    .and_then(|s| s.checked_add(u64::from(digit)))
                    .ok_or("invalid chunk size line: the size does not fit in 64 bits")?;
                At::Size
            }
            (At::Start, _) => {
                return Err(format!(
                    "invalid chunk size line: it starts with {:?}, not a hex digit",
                    byte as char
                ));
            }
            (At::Size | At::Space, b' ' | b'\t') => At::Space,
            (At::Size | At::Space, b';') => At::Extension,
            (At::Size | At::Space | At::Extension, b'\r') => At::Lf,
            (At::Size | At::Space, _) => {
                return Err(format!(
                    "invalid chunk size line: {:?} after the size",
                    byte as char
                ));
            }
            (At::Extension, b'\n') => {
                return Err("invalid chunk size line: a chunk extension contains a bare LF".into());
            }
            (At::Extension, _) => {
                extension_bytes += 1;
                if extensions_before + extension_bytes >= MAX_CHUNK_EXTENSION_BYTES {
                    return Err(format!(
                        "the chunk extensions of the body exceed {MAX_CHUNK_EXTENSION_BYTES} bytes"
                    ));
                }
                At::Extension
            }
            (At::Lf, b'\n') => {
                return Ok(Some(ChunkLine {
                    length: i + 1,
                    size,
                    extension_bytes,
                }));
            }
            (At::Lf, _) => return Err("invalid chunk size line: CR without LF".into()),
        };
    }
    Ok(None)
}

/// Finds the end of what follows the last chunk: CRLF, or trailer fields each ending in CRLF and
/// then CRLF. `None` while incomplete; the length of the section once complete (checked as
/// hyper checks it: under [`MAX_TRAILER_BYTES`], at most [`MAX_TRAILERS`] fields, valid fields).
fn scan_trailers(buf: &[u8]) -> Result<Option<usize>, String> {
    // Under the limit, as in hyper (which fails once its trailer buffer reaches it).
    let too_large = || format!("the trailer section reaches {MAX_TRAILER_BYTES} bytes");
    let incomplete = |buf: &[u8]| {
        if buf.len() >= MAX_TRAILER_BYTES {
            Err(too_large())
        } else {
            Ok(None)
        }
    };
    let mut fields = 0;
    // Where the current line starts: an empty line ends the section.
    let mut line = 0;
    loop {
        match (buf.get(line), buf.get(line + 1)) {
            (None, _) | (Some(b'\r'), None) => return incomplete(buf),
            (Some(b'\r'), Some(b'\n')) => {
                let end = line + 2;
                if end >= MAX_TRAILER_BYTES {
                    return Err(too_large());
                }
                if fields > 0 {
                    check_trailer_fields(&buf[..end], fields)?;
                }
                return Ok(Some(end));
            }
            (Some(b'\r'), Some(_)) => {
                return Err("the chunked body does not end with CRLF".into());
            }
            _ => {}
        }
        // A trailer field: everything up to CR, which LF must follow.
        let Some(cr) = buf[line..].iter().position(|&b| b == b'\r') else {
            return incomplete(buf);
        };
        let cr = line + cr;
        match buf.get(cr + 1) {
            None => return incomplete(buf),
            Some(b'\n') => {}
            Some(_) => return Err("a trailer line does not end with CRLF".into()),
        }
        fields += 1;
        if fields > MAX_TRAILERS {
            return Err(format!("more than {MAX_TRAILERS} trailer fields"));
        }
        line = cr + 2;
    }
}

/// Checks a complete trailer section of `fields` lines the way hyper does (then drops it: the
/// SDK reads no trailer).
fn check_trailer_fields(section: &[u8], fields: usize) -> Result<(), String> {
    let mut parsed = vec![httparse::EMPTY_HEADER; fields];
    match httparse::parse_headers(section, &mut parsed) {
        Ok(httparse::Status::Complete((_, parsed)))
            if parsed.iter().all(|field| {
                http::HeaderName::from_bytes(field.name.as_bytes()).is_ok()
                    && http::HeaderValue::from_bytes(field.value).is_ok()
            }) =>
        {
            Ok(())
        }
        Ok(_) => Err("the trailer section is not valid".into()),
        Err(e) => Err(format!("the trailer section is not valid ({e})")),
    }
}

/// Why a head must be parsed again after fixing it in place.
enum Reparse {
    /// `HTTP/1.x` with x > 1 (read as HTTP/1.1, RFC 9112 §2.6).
    LaterMinorVersion(usize),
    /// A head of this length with obs-folds: the ranges of the values (and name-value gaps)
    /// that hold one.
    Folded(usize, Vec<(usize, usize)>),
    Invalid(BoxError),
}

/// Parses a response head at the start of `buf`: `None` while it is incomplete, else the head
/// and its length in bytes. Rewrites an `HTTP/1.x` version to `HTTP/1.1` and unfolds obs-fold
/// header lines in place (both rare, and both then parsed again).
fn parse_head(buf: &mut [u8]) -> Result<Option<(Head, usize)>, BoxError> {
    // At most: the version, then the folds, then the final parse (which unfolds no more, so
    // that a fold it cannot remove does not loop).
    let mut may_unfold = true;
    for _ in 0..3 {
        match parse_head_as_is(buf, may_unfold) {
            Ok(parsed) => return Ok(parsed),
            Err(Reparse::Invalid(e)) => return Err(e),
            Err(Reparse::LaterMinorVersion(at)) => buf[at] = b'1',
            Err(Reparse::Folded(length, ranges)) => {
                for (start, end) in ranges {
                    unfold(&mut buf[start..end]);
                }
                // Folds left are whitespace only (the parser trims them off a value): each
                // line break before one becomes SP, joining the line to the one before.
                let head = &mut buf[..length];
                for at in 1..length.saturating_sub(1) {
                    if head[at] == b'\n' && matches!(head[at + 1], b' ' | b'\t') {
                        head[at] = b' ';
                        if head[at - 1] == b'\r' {
                            head[at - 1] = b' ';
                        }
                    }
                }
                may_unfold = false;
            }
        }
    }
    Err("the response head could not be parsed".into())
}

/// Replaces each obs-fold (CRLF and the whitespace around it) in a header value, or between a
/// name's colon and its value, with one SP, as hyper does, and fills the bytes freed at the end
/// with SP (whitespace around a value is not part of it). The head then parses as if it had
/// never been folded, also for the header list kept for errors and raw responses.
fn unfold(value: &mut [u8]) {
    let mut unfolded = Vec::with_capacity(value.len());
    let mut lines = value.split(|&b| b == b'\n');
    if let Some(first) = lines.next() {
        unfolded.extend_from_slice(first.trim_ascii_end());
    }
    for line in lines {
        unfolded.push(b' ');
        unfolded.extend_from_slice(line.trim_ascii());
    }
    value[..unfolded.len()].copy_from_slice(&unfolded);
    value[unfolded.len()..].fill(b' ');
}

/// Where the minor version digit of an `HTTP/1.x` status line is, if x is 2 to 9 (after the
/// empty lines httparse skips).
fn later_minor_version(buf: &[u8]) -> Option<usize> {
    let start = buf.iter().position(|&b| b != b'\r' && b != b'\n')?;
    let line = &buf[start..];
    (line.starts_with(b"HTTP/1.") && line.get(7).is_some_and(|d| (b'2'..=b'9').contains(d)))
        .then_some(start + 7)
}

/// Whether a value is what `http::HeaderValue::to_str` accepts (visible ASCII, SP, HTAB): hyper
/// reads `Transfer-Encoding` only then.
fn is_visible_ascii(value: &[u8]) -> bool {
    value
        .iter()
        .all(|&b| b == b'\t' || (b' '..=b'~').contains(&b))
}

fn trim_ows(value: &[u8]) -> &[u8] {
    let start = value
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(start, |i| i + 1);
    &value[start..end]
}

/// Adds one `Content-Length` field's values (a comma-separated list of the same decimal number,
/// RFC 9110 §8.6) to `seen`: no sign, no other character, no overflow, no disagreement.
fn merge_content_length(value: &[u8], seen: &mut Option<u64>) -> Result<(), &'static str> {
    for item in value.split(|&b| b == b',') {
        let digits = trim_ows(item);
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return Err("the response's Content-Length is not a number");
        }
        let length = digits
            .iter()
            .try_fold(0u64, |n, &d| {
                n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
            })
            .ok_or("the response's Content-Length does not fit in 64 bits")?;
        if seen.is_some_and(|earlier| earlier != length) {
            return Err("the response has conflicting Content-Length headers");
        }
        *seen = Some(length);
    }
    Ok(())
}

/// One parse of the head as the bytes are (see [`parse_head`]); with `may_unfold`, a head with
/// obs-folds asks to be unfolded first.
///
/// The hot path is httparse's strict parse, which fails on any obs-fold (a line that starts
/// with whitespace is no header); only then is the head parsed again allowing them, to find
/// where they are. A head without folds pays nothing for them.
fn parse_head_as_is(buf: &[u8], may_unfold: bool) -> Result<Option<(Head, usize)>, Reparse> {
    let mut raw = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut raw);
    let length = match response.parse(buf) {
        Ok(httparse::Status::Complete(length)) => length,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::Version) if let Some(at) = later_minor_version(buf) => {
            return Err(Reparse::LaterMinorVersion(at));
        }
        Err(e) => {
            return match may_unfold.then(|| find_folds(buf)) {
                Some(Ok(None)) => Ok(None),
                Some(Ok(Some((length, folds)))) => Err(Reparse::Folded(length, folds)),
                Some(Err(e)) => Err(invalid_head(e)),
                None => Err(invalid_head(e)),
            };
        }
    };
    let invalid = |message: &str| Reparse::Invalid(message.to_owned().into());
    let status = response.code.unwrap_or_default();
    if status < 100 {
        return Err(invalid("the response's status code is below 100"));
    }
    if status == 101 {
        return Err(invalid(
            "the server switched protocols, which was not asked for",
        ));
    }
    let http_1_0 = response.version != Some(1);
    let mut relevant = Relevant::default();
    let mut content_length: Option<u64> = None;
    let mut content_length_error = None;
    let mut chunked = false;
    let mut transfer_encoding = false;
    let mut close = http_1_0;
    // Only the headers that matter are looked at; no header map is built.
    for header in response.headers.iter() {
        let name = header.name;
        if name.eq_ignore_ascii_case("content-length") {
            if content_length_error.is_none() {
                content_length_error =
                    merge_content_length(header.value, &mut content_length).err();
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            transfer_encoding = true;
            // Chunked must be the last coding applied (of the last field, as in hyper).
            chunked = is_visible_ascii(header.value)
                && header
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
        // Transfer-Encoding overrides Content-Length (RFC 9112 §6.3), which is then not read.
        if http_1_0 {
            return Err(invalid(
                "an HTTP/1.0 response has a Transfer-Encoding, which HTTP/1.0 does not define",
            ));
        } else if chunked {
            Framing::Chunked
        } else {
            Framing::UntilClose
        }
    } else if let Some(error) = content_length_error {
        return Err(invalid(error));
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
            headers: RawHeaders::None,
        },
        length,
    )))
}

fn invalid_head(error: httparse::Error) -> Reparse {
    Reparse::Invalid(format!("the response head is not valid HTTP/1.1 ({error})").into())
}

/// Parses a head that failed the strict parse again, allowing obs-folds: `None` while it is
/// incomplete, else its length and the ranges that hold folds.
#[allow(clippy::type_complexity)]
fn find_folds(buf: &[u8]) -> Result<Option<(usize, Vec<(usize, usize)>)>, httparse::Error> {
    let mut raw = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut raw);
    match httparse::ParserConfig::default()
        .allow_obsolete_multiline_headers_in_responses(true)
        .parse_response(&mut response, buf)?
    {
        httparse::Status::Partial => Ok(None),
        httparse::Status::Complete(length) => Ok(Some((
            length,
            response
                .headers
                .iter()
                .flat_map(|header| fold_ranges(buf, header))
                .collect(),
        ))),
    }
}

/// The ranges in `buf` of a header that hold an obs-fold: its value, and what lies between its
/// name and its value (httparse starts a value after a fold that comes first).
fn fold_ranges(buf: &[u8], header: &httparse::Header<'_>) -> impl Iterator<Item = (usize, usize)> {
    let offset = |part: &[u8]| (part.as_ptr() as usize).wrapping_sub(buf.as_ptr() as usize);
    let name_end = offset(header.name.as_bytes()) + header.name.len();
    let value_start = offset(header.value);
    let gap = (name_end, value_start.min(buf.len()));
    let value = (value_start, value_start + header.value.len());
    [gap, value].into_iter().filter(move |&(start, end)| {
        start < end && end <= buf.len() && buf[start..end].contains(&b'\n')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `parse_head` on a copy (it may rewrite the head in place).
    fn parse(raw: &[u8]) -> Result<Option<(Head, usize)>, BoxError> {
        parse_head(&mut raw.to_vec())
    }

    fn head(raw: &str) -> Head {
        parse(raw.as_bytes()).unwrap().unwrap().0
    }

    /// The kept read buffer (`Connection::buf`) over a real socket: responses below, within and
    /// above the sizes that keep it, in turn, each body held while the next ones are read on the
    /// same connection, all intact.
    #[tokio::test]
    async fn bodies_held_across_responses_are_never_overwritten_by_the_kept_buffer() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let sizes = [10_000, 12_000, 500, 9_000, 70_000, 9_500, 9_500];
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 4096];
            for (i, size) in sizes.into_iter().enumerate() {
                // One request per response (each ends with its blank line; they are small).
                let mut read = 0;
                while !request[..read].ends_with(b"\r\n\r\n") {
                    read += socket.read(&mut request[read..]).await.unwrap();
                }
                let body = vec![b'a' + i as u8; size];
                let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {size}\r\n\r\n");
                socket
                    .write_all(&[head.as_bytes(), &body].concat())
                    .await
                    .unwrap();
            }
        });
        let stream = Stream::Plain(tokio::net::TcpStream::connect(address).await.unwrap());
        let mut connection = Connection::new(stream);
        let mut held = Vec::new();
        for (i, size) in sizes.into_iter().enumerate() {
            let request = b"GET / HTTP/1.1\r\nhost: x\r\n\r\n".to_vec();
            let (response, reusable) = connection.exchange(request, 1 << 20).await.ok().unwrap();
            assert!(reusable);
            assert_eq!(response.body.len(), size);
            assert!(connection.buf.is_empty(), "response {i}");
            held.push(response.body);
        }
        for (i, body) in held.iter().enumerate() {
            assert!(
                body.iter().all(|&b| b == b'a' + i as u8),
                "body {i} was overwritten"
            );
        }
        server.await.unwrap();
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
        assert!(parse(b"HTTP/1.1 200 OK\r\ncontent-le").unwrap().is_none());
        for bad in [
            "HTTP/1.1 200 OK\r\ncontent-length: 3\r\ncontent-length: 4\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: lots\r\n\r\n",
            "HTTP/1.1 101 Switching Protocols\r\n\r\n",
            "SSH-2.0-OpenSSH_9.6\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: +2\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: 2, 3\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: \r\n\r\n",
            "HTTP/1.1 099 Low\r\n\r\n",
            "HTTP/2.0 200 OK\r\n\r\n",
            "HTTP/1.0 200 OK\r\ntransfer-encoding: chunked\r\n\r\n",
        ] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_head_length_excludes_the_body() {
        let raw = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-ratelimit-limit: 60\r\n\r\n{}";
        let (head, length) = parse(raw).unwrap().unwrap();
        assert_eq!(&raw[length..], b"{}");
        assert_eq!(
            head.meta.rate_limit, None,
            "one of the three rate-limit headers"
        );
        assert_eq!(head.status, 200);
    }

    #[test]
    fn content_length_is_read_only_where_it_frames_the_body() {
        // Transfer-Encoding overrides it, and 204/304 have no body: an invalid one is ignored
        // there, as hyper does.
        assert_eq!(
            head("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-length: +1\r\n\r\n")
                .framing,
            Framing::Chunked
        );
        assert_eq!(
            head("HTTP/1.1 204 No Content\r\ncontent-length: x\r\n\r\n").framing,
            Framing::Empty
        );
        assert_eq!(
            head("HTTP/1.1 200 OK\r\ncontent-length: 7, 7\r\nContent-Length: 007\r\n\r\n").framing,
            Framing::Length(7)
        );
    }

    #[test]
    fn empty_values_are_not_folds() {
        for raw in [
            "HTTP/1.1 200 OK\r\nx-empty:\r\ncontent-length: 2\r\n\r\n",
            "HTTP/1.1 200 OK\r\nx-empty: \r\ncontent-length: 2\r\n\r\n",
            "HTTP/1.1 200 OK\r\nx-empty:\ncontent-length: 2\n\n",
            // Folds of whitespace only.
            "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n \r\n\r\n",
            "HTTP/1.1 200 OK\r\nx-a: 6\r\n \ncontent-length: 2\r\n\t \r\n\r\n",
        ] {
            assert_eq!(head(raw).framing, Framing::Length(2), "{raw:?}");
        }
    }

    #[test]
    fn a_later_minor_version_is_read_as_http_1_1() {
        let mut raw = b"\r\nHTTP/1.9 200 OK\r\ncontent-length: 0\r\n\r\n".to_vec();
        let (head, length) = parse_head(&mut raw).unwrap().unwrap();
        assert_eq!(
            (head.status, head.keep_alive, length),
            (200, true, raw.len())
        );
        assert!(raw.starts_with(b"\r\nHTTP/1.1 200"));
    }

    #[test]
    fn obs_fold_lines_are_unfolded_in_place_with_one_space() {
        let mut raw = b"HTTP/1.1 200 OK\r\nx-ratelimit-limit: 6\r\n \t0\r\nx-ratelimit-remaining: 5\r\nx-ratelimit-reset: 4102444800\r\ncontent-length:\r\n 2\r\n\r\n".to_vec();
        let (head, length) = parse_head(&mut raw).unwrap().unwrap();
        assert_eq!(length, raw.len());
        assert_eq!(head.framing, Framing::Length(2));
        // "6" and "0" joined by one space: not the number 60.
        assert_eq!(head.meta.rate_limit, None);
        let listed = RawHeaders::Http1(Bytes::from(raw)).to_list();
        assert_eq!(
            listed[0],
            ("x-ratelimit-limit".to_owned(), "6 0".to_owned())
        );
    }

    fn line(raw: &str) -> Result<Option<(usize, u64, usize)>, String> {
        parse_chunk_line(raw.as_bytes(), 0)
            .map(|line| line.map(|l| (l.length, l.size, l.extension_bytes)))
    }

    #[test]
    fn chunk_size_lines_are_parsed_with_checked_arithmetic() {
        assert_eq!(line("1a\r\n"), Ok(Some((4, 26, 0))));
        assert_eq!(line("0000000000000000000000001\r\n"), Ok(Some((27, 1, 0))));
        assert_eq!(line("FFFFFFFFFFFFFFFF\r\n"), Ok(Some((18, u64::MAX, 0))));
        assert_eq!(line("5 \t;a=b;c\r\n"), Ok(Some((11, 5, 5))));
        assert_eq!(line("5;a=b"), Ok(None));
        assert_eq!(line("5\r"), Ok(None));
        for bad in [
            "10000000000000000\r\n",
            "\r\n",
            "x\r\n",
            "5 5\r\n",
            "5\n",
            "5;a\n",
            "5\rx",
        ] {
            assert!(line(bad).is_err(), "{bad:?}");
        }
        // Extensions count over the whole body.
        assert!(parse_chunk_line(b"1;ab\r\n", MAX_CHUNK_EXTENSION_BYTES - 2).is_err());
        assert!(parse_chunk_line(b"1;ab\r\n", MAX_CHUNK_EXTENSION_BYTES - 3).is_ok());
    }

    #[test]
    fn trailer_sections_are_bounded_and_checked() {
        assert_eq!(scan_trailers(b"\r\nnext"), Ok(Some(2)));
        assert_eq!(scan_trailers(b"a: 1\r\nb: 2\r\n\r\n"), Ok(Some(14)));
        assert_eq!(scan_trailers(b"a: 1\r\nb: 2\r\n"), Ok(None));
        assert_eq!(scan_trailers(b"\r"), Ok(None));
        for bad in [
            &b"\rx"[..],
            b"a: 1\rx",
            b"a: 1\r\n\rx",
            b"no colon\r\n\r\n",
            b"a: \x01\r\n\r\n",
        ] {
            assert!(
                scan_trailers(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let many = "a: 1\r\n".repeat(MAX_TRAILERS + 1);
        assert!(scan_trailers(many.as_bytes()).is_err());
        let long = format!("a: {}", "x".repeat(MAX_TRAILER_BYTES));
        assert!(scan_trailers(long.as_bytes()).is_err());
    }
}
