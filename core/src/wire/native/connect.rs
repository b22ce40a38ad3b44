//! Opening a connection to the API's origin: TCP (no Nagle, keep-alive probes, a connect
//! timeout), then TLS for `https`, offering HTTP/2 and HTTP/1.1 by ALPN.
//!
//! The stream is an enum rather than a boxed trait object so that the plain-TCP path (the
//! emulator, a local proxy) can wait for readability *before* it allocates a read buffer: a call
//! waiting for a slow response holds no buffer at all (see `h1.rs`).

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::BytesMut;
use futures::task::noop_waker_ref;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use url::{Host, Url};

use crate::runtime;

/// TCP keep-alive probes on pooled connections.
const TCP_KEEPALIVE: Duration = Duration::from_secs(60);
const ALPN_H2: &[u8] = b"h2";
const ALPN_HTTP11: &[u8] = b"http/1.1";

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Where connections go and how they are opened.
pub(crate) struct Connector {
    host: Host<String>,
    port: u16,
    /// `None` for `http`.
    tls: Option<(TlsConnector, ServerName<'static>)>,
    connect_timeout: Duration,
}

impl Connector {
    /// Whether connections are TLS (`https`), where ALPN picks the protocol.
    pub(crate) fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// A connector for a base URL the client builder checked (`http` or `https`, with a host).
    /// With `http2_only` (prior knowledge), TLS offers only `h2`.
    pub(crate) fn new(
        base: &Url,
        http2_only: bool,
        connect_timeout: Duration,
    ) -> Result<Connector, BoxError> {
        let host = base.host().ok_or("the base URL has no host")?.to_owned();
        let port = base
            .port_or_known_default()
            .ok_or("the base URL has no port")?;
        let tls = if base.scheme() == "https" {
            let server_name = match &host {
                Host::Domain(name) => ServerName::try_from(name.clone())?,
                Host::Ipv4(ip) => ServerName::from(std::net::IpAddr::V4(*ip)),
                Host::Ipv6(ip) => ServerName::from(std::net::IpAddr::V6(*ip)),
            };
            Some((tls_connector(http2_only)?, server_name))
        } else {
            None
        };
        Ok(Connector {
            host,
            port,
            tls,
            connect_timeout,
        })
    }

    /// Opens a connection. Any error means nothing was sent.
    pub(crate) async fn connect(&self) -> Result<Stream, BoxError> {
        let tcp = runtime::timeout(self.connect_timeout, self.tcp())
            .await
            .map_err(|_| {
                format!(
                    "connecting timed out after {:.1} s",
                    self.connect_timeout.as_secs_f64()
                )
            })??;
        tcp.set_nodelay(true)?;
        let keepalive = socket2::TcpKeepalive::new().with_time(TCP_KEEPALIVE);
        socket2::SockRef::from(&tcp).set_tcp_keepalive(&keepalive)?;
        match &self.tls {
            None => Ok(Stream::Plain(tcp)),
            Some((tls, server_name)) => {
                let tls = tls.connect(server_name.clone(), tcp).await?;
                Ok(Stream::Tls(Box::new(tls)))
            }
        }
    }

    /// The first address of the host that accepts the connection.
    async fn tcp(&self) -> io::Result<TcpStream> {
        let addresses: Vec<SocketAddr> = match &self.host {
            Host::Domain(name) => tokio::net::lookup_host((name.as_str(), self.port))
                .await?
                .collect(),
            Host::Ipv4(ip) => vec![SocketAddr::from((*ip, self.port))],
            Host::Ipv6(ip) => vec![SocketAddr::from((*ip, self.port))],
        };
        let mut last_error = None;
        for address in addresses {
            match TcpStream::connect(address).await {
                Ok(tcp) => return Ok(tcp),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                "the host name resolved to no address",
            )
        }))
    }
}

/// rustls with the platform's certificate verifier. The `ring` provider is installed as the
/// process default first (rustls is built without aws-lc-rs); one the application installed
/// earlier is kept.
fn tls_connector(http2_only: bool) -> Result<TlsConnector, rustls::Error> {
    use rustls_platform_verifier::ConfigVerifierExt;
    install_crypto_provider();
    let mut config = rustls::ClientConfig::with_platform_verifier()?;
    config.alpn_protocols = if http2_only {
        vec![ALPN_H2.to_vec()]
    } else {
        vec![ALPN_H2.to_vec(), ALPN_HTTP11.to_vec()]
    };
    Ok(TlsConnector::from(Arc::new(config)))
}

/// Installs rustls' `ring` provider as the process default, once.
fn install_crypto_provider() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        // Err means another provider is already installed, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// An open connection.
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Stream {
    /// Whether TLS negotiated HTTP/2.
    pub(crate) fn is_h2(&self) -> bool {
        match self {
            Stream::Plain(_) => false,
            Stream::Tls(tls) => tls.get_ref().1.alpn_protocol() == Some(ALPN_H2),
        }
    }

    /// Reads what has arrived into `buf`, growing it by up to `capacity` bytes only once there is
    /// something to read (plain TCP; TLS decrypts into the buffer it is given). `Ok(0)` is the
    /// end of the stream.
    pub(crate) async fn read_some(
        &mut self,
        buf: &mut BytesMut,
        capacity: usize,
    ) -> io::Result<usize> {
        match self {
            // Polled by hand rather than with `readable().await`: that future carries a 150-byte
            // waiter for every call waiting on a response; the connection has one reader, so
            // the socket's own reader slot serves.
            Stream::Plain(tcp) => poll_fn(|cx| poll_read_plain(tcp, cx, buf, capacity)).await,
            Stream::Tls(tls) => {
                if buf.capacity() == buf.len() {
                    buf.reserve(capacity);
                }
                tls.read_buf(buf).await
            }
        }
    }

    /// Whether an idle connection is still usable: not closed by the server, nothing unexpected
    /// arrived. Does not wait.
    pub(crate) fn is_idle_and_open(&mut self) -> bool {
        let mut probe = [0u8; 1];
        match self {
            // Without a readiness event since the last read this makes no system call.
            Stream::Plain(tcp) => {
                matches!(tcp.try_read(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
            }
            Stream::Tls(tls) => {
                let mut buf = ReadBuf::new(&mut probe);
                let mut cx = Context::from_waker(noop_waker_ref());
                Pin::new(tls).poll_read(&mut cx, &mut buf).is_pending()
            }
        }
    }
}

/// Waits until the socket is readable, then grows `buf` (if full) and reads into it.
fn poll_read_plain(
    tcp: &mut TcpStream,
    cx: &mut Context<'_>,
    buf: &mut BytesMut,
    capacity: usize,
) -> Poll<io::Result<usize>> {
    loop {
        ready!(tcp.poll_read_ready(cx))?;
        if buf.capacity() == buf.len() {
            buf.reserve(capacity);
        }
        match tcp.try_read_buf(buf) {
            // The readiness was stale; poll_read_ready registers for the next event.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            result => return Poll::Ready(result),
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Stream::Tls(tls) => Pin::new(tls).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Stream::Tls(tls) => Pin::new(tls).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_write_vectored(cx, bufs),
            Stream::Tls(tls) => Pin::new(tls).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(tcp) => tcp.is_write_vectored(),
            Stream::Tls(tls) => tls.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Stream::Tls(tls) => Pin::new(tls).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Stream::Tls(tls) => Pin::new(tls).poll_shutdown(cx),
        }
    }
}
