//! The accept loop. Connections are served with hyper directly rather than `axum::serve` because
//! two faults need control of the socket itself: a connection reset (TCP RST, via `SO_LINGER` 0)
//! before any response byte or in the middle of a body. A request asks for the reset through the
//! connection's [`ConnControl`]; the connection's stream is wrapped in [`ResettableStream`], which
//! sets `SO_LINGER` 0 just before the socket closes. (An earlier version kept a `dup` of every
//! socket for this: two descriptors per connection, so 10,000 concurrent clients exhausted a
//! 20,000-descriptor limit, `accept` failed, and a few connections sat unserved in the backlog
//! until the client timed out.)
//!
//! Each connection speaks HTTP/1.1 or, when its first bytes are the HTTP/2 preface, HTTP/2 with
//! prior knowledge (h2c): clients that multiplex many calls over one connection (the SDKs'
//! `http2_prior_knowledge` option) can be tested without TLS. A reset fault on an HTTP/2
//! connection resets the whole connection, and with it every stream in flight on it.

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use socket2::{Domain, SockRef, Socket, Type};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};

use crate::pipeline::{self, App};

/// Streams one HTTP/2 connection may have open at once.
const MAX_HTTP2_STREAMS: u32 = 20_000;

/// Lets a request reset the connection it arrived on.
#[derive(Default)]
pub(crate) struct ConnControl {
    reset: Notify,
    /// Set once a reset was asked for; read by [`ResettableStream`] when it is dropped.
    reset_requested: AtomicBool,
}

impl ConnControl {
    /// Resets the connection (TCP RST) as soon as the connection task sees it; nothing more is
    /// written.
    pub(crate) fn reset_connection(&self) {
        self.reset_requested.store(true, Ordering::Release);
        self.reset.notify_one();
    }
}

/// Binds a listening socket (address reuse, a deep backlog for bursts of concurrent clients).
pub(crate) fn bind(host: IpAddr, port: u16) -> io::Result<std::net::TcpListener> {
    let addr = SocketAddr::new(host, port);
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(4096)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// Accepts and serves connections until `shutdown` changes.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Arc<App>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().keep_alive(true).auto_date_header(false);
    // Real services allow 100-250 streams per connection; the emulator allows more so a test can
    // hold 10,000 calls in flight on one connection (the bench's memory workload).
    builder
        .http2()
        .auto_date_header(false)
        .max_concurrent_streams(MAX_HTTP2_STREAMS);
    let builder = Arc::new(builder);
    loop {
        tokio::select! {
            biased;
            _ = shutdown.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    spawn_connection(stream, app.clone(), builder.clone(), shutdown.clone());
                }
                // Out of file descriptors or a connection aborted before accept: back off briefly.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
        }
    }
}

fn spawn_connection(
    stream: TcpStream,
    app: Arc<App>,
    builder: Arc<auto::Builder<TokioExecutor>>,
    mut shutdown: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let control = Arc::new(ConnControl::default());
    let stream = ResettableStream {
        stream,
        control: control.clone(),
    };
    tokio::spawn(async move {
        let request_control = control.clone();
        let service = hyper::service::service_fn(move |req| {
            pipeline::handle(app.clone(), request_control.clone(), req)
        });
        let conn = builder.serve_connection(TokioIo::new(stream), service);
        tokio::pin!(conn);
        // Dropping `conn` at the end of this task closes the socket (with RST after a reset).
        tokio::select! {
            _ = conn.as_mut() => {}
            _ = control.reset.notified() => {}
            _ = shutdown.changed() => {}
        }
    });
}

/// A connection's stream that closes with RST instead of FIN once its [`ConnControl`] asked for a
/// reset.
struct ResettableStream {
    stream: TcpStream,
    control: Arc<ConnControl>,
}

impl Drop for ResettableStream {
    fn drop(&mut self) {
        if self.control.reset_requested.load(Ordering::Acquire) {
            // With linger 0, closing the socket sends RST instead of FIN.
            let _ = SockRef::from(&self.stream).set_linger(Some(Duration::ZERO));
        }
    }
}

impl AsyncRead for ResettableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for ResettableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
