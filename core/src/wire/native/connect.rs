//! Opening a connection to the API's origin: DNS, TCP over every address at once (Happy
//! Eyeballs, `happy_eyeballs.rs`; no Nagle, keep-alive probes), through a proxy when there is
//! one (`proxy.rs`), then TLS for `https` (`tls.rs`), offering HTTP/2 and HTTP/1.1 by ALPN. The
//! connect timeout bounds all of it; running out is a [`ConnectTimedOut`].
//!
//! The stream is an enum rather than a boxed trait object so that the plain-TCP path (the
//! emulator, a local proxy) can wait for readability *before* it allocates a read buffer: a call
//! waiting for a slow response holds no buffer at all (see `h1.rs`).

use std::future::{Future, poll_fn};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::{Pin, pin};
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

use crate::config::Config;
use crate::runtime;
use crate::wire::native::proxy::{self, Proxy};
use crate::wire::native::{happy_eyeballs, tls};
use crate::wire::response::ConnectTimedOut;

/// TCP keep-alive probes on pooled connections.
const TCP_KEEPALIVE: Duration = Duration::from_secs(60);

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Where connections go and how they are opened.
pub(crate) struct Connector {
    host: Host<String>,
    port: u16,
    /// `host:port` of the origin, as a `CONNECT` names it.
    authority: String,
    /// `None` for `http`.
    tls: Option<(TlsConnector, ServerName<'static>)>,
    proxy: Option<Proxy>,
    /// Whether connections through the proxy are `CONNECT` tunnels (`https`, and HTTP/2 prior
    /// knowledge) rather than plain HTTP/1.1 in absolute form.
    tunnel: bool,
    connect_timeout: Duration,
    /// Addresses used instead of DNS, by host name (tests).
    resolve: Vec<(String, Vec<IpAddr>)>,
}

impl Connector {
    /// Whether connections are TLS (`https`), where ALPN picks the protocol.
    pub(crate) fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// The proxy plain-HTTP requests are forwarded through (in absolute form), if any.
    pub(crate) fn forwarding_proxy(&self) -> Option<&Proxy> {
        self.proxy.as_ref().filter(|_| !self.tunnel)
    }

    /// A connector for the base URL of a checked configuration (`http` or `https`, with a
    /// host): its proxy, its TLS roots, its connect timeout. With `http2_prior_knowledge`, TLS
    /// offers only `h2`.
    pub(crate) fn new(config: &Config, connect_timeout: Duration) -> Result<Connector, BoxError> {
        let base: &Url = &config.base_url;
        let http2_only = config.http2_prior_knowledge;
        let host = base.host().ok_or("the base URL has no host")?.to_owned();
        let port = base
            .port_or_known_default()
            .ok_or("the base URL has no port")?;
        let tls = if base.scheme() == "https" {
            let server_name = match &host {
                Host::Domain(name) => ServerName::try_from(name.clone())?,
                Host::Ipv4(ip) => ServerName::from(IpAddr::V4(*ip)),
                Host::Ipv6(ip) => ServerName::from(IpAddr::V6(*ip)),
            };
            Some((
                tls::connector(http2_only, &config.extra_ca_certs)?,
                server_name,
            ))
        } else {
            tls::check_ca_files(&config.extra_ca_certs)?;
            None
        };
        let proxy = proxy::choose(&config.proxy, base)?;
        // Plain http is allowed without opting in only while the key stays on this machine: to
        // a loopback base URL (checked with the URL), and not through a proxy elsewhere, which
        // would carry the key across the network in clear text.
        if let Some(proxy) = &proxy
            && tls.is_none()
            && !config.allow_insecure_http
            && !is_loopback_host(&proxy.host)
        {
            return Err(format!(
                "plain http to {} would go through the proxy {}, which is not on this machine: \
                 the API key would cross the network in clear text; use https, exempt the host \
                 with NO_PROXY, or opt in with allow_insecure_http",
                base.as_str(),
                proxy.shown
            )
            .into());
        }
        Ok(Connector {
            authority: match &host {
                Host::Ipv6(ip) => format!("[{ip}]:{port}"),
                other => format!("{other}:{port}"),
            },
            host,
            port,
            tunnel: tls.is_some() || http2_only,
            tls,
            proxy,
            connect_timeout,
            resolve: config.resolve.clone(),
        })
    }

    /// Opens a connection. Any error means nothing was sent.
    pub(crate) async fn connect(&self) -> Result<Stream, BoxError> {
        match runtime::timeout(self.connect_timeout, self.open()).await {
            Ok(result) => result,
            Err(_) => Err(Box::new(ConnectTimedOut {
                after: self.connect_timeout,
                through: self.proxy.as_ref().map(|proxy| proxy.shown.clone()),
            })),
        }
    }

    async fn open(&self) -> Result<Stream, BoxError> {
        let tcp = match &self.proxy {
            None => self.tcp(&self.host, self.port).await?,
            Some(proxy) => {
                let mut tcp = self
                    .tcp(&proxy.host, proxy.port)
                    .await
                    .map_err(|e| format!("could not connect to the proxy {}: {e}", proxy.shown))?;
                if self.tunnel {
                    proxy::tunnel(&mut tcp, proxy, &self.authority).await?;
                }
                tcp
            }
        };
        tcp.set_nodelay(true)?;
        let keepalive = socket2::TcpKeepalive::new().with_time(TCP_KEEPALIVE);
        socket2::SockRef::from(&tcp).set_tcp_keepalive(&keepalive)?;
        match &self.tls {
            None => Ok(Stream::Plain(tcp)),
            Some((tls, server_name)) => {
                let tls = tls
                    .connect(server_name.clone(), tcp)
                    .await
                    .map_err(tls::explain)?;
                Ok(Stream::Tls(Box::new(tls)))
            }
        }
    }

    /// A TCP connection to `host`, over all its addresses (Happy Eyeballs).
    async fn tcp(&self, host: &Host<String>, port: u16) -> io::Result<TcpStream> {
        let addresses: Vec<SocketAddr> = match host {
            Host::Domain(name) => match self
                .resolve
                .iter()
                .find(|(known, _)| known.eq_ignore_ascii_case(name))
            {
                Some((_, ips)) => ips.iter().map(|ip| SocketAddr::new(*ip, port)).collect(),
                None => tokio::net::lookup_host((name.as_str(), port))
                    .await?
                    .collect(),
            },
            Host::Ipv4(ip) => vec![SocketAddr::from((*ip, port))],
            Host::Ipv6(ip) => vec![SocketAddr::from((*ip, port))],
        };
        happy_eyeballs::connect(addresses).await
    }
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
            Stream::Tls(tls) => tls::is_h2(tls.get_ref().1.alpn_protocol()),
        }
    }

    /// Reads what has arrived into `buf`, growing it by up to `capacity` bytes (when it is full or
    /// empty) only once there is something to read (plain TCP; TLS decrypts into the buffer it is given). `Ok(0)` is the
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
                if buf.is_empty() || buf.capacity() == buf.len() {
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
    ready!(tcp.poll_read_ready(cx))?;
    // An empty buffer (a response's first read, into the connection's kept buffer) gets its
    // `capacity` too: reserving reclaims the kept block in place once the last response's bytes
    // are gone.
    if buf.is_empty() || buf.capacity() == buf.len() {
        buf.reserve(capacity);
    }
    // tokio's own read (`AsyncRead` under `read_buf`): after a short read it clears the readiness
    // it observed *before* reading, and only if no event came since (its tick), so bytes that
    // arrive meanwhile still wake the next read, and the pool's idle check (`is_idle_and_open`)
    // that follows a complete response makes no system call. `try_read_buf` left the readiness
    // set: one extra EAGAIN `recvfrom` per call (strace -c, runs page: 2 recvfrom per call,
    // hyper's 1). A WouldBlock clears it and waits for the next event.
    pin!(tcp.read_buf(buf)).poll(cx)
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

/// `localhost` or a loopback address.
fn is_loopback_host(host: &Host<String>) -> bool {
    match host {
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}
