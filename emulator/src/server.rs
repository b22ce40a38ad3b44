//! The accept loop. Connections are served with hyper directly rather than `axum::serve` because
//! two faults need control of the socket itself: a connection reset (TCP RST, via `SO_LINGER` 0)
//! before any response byte or in the middle of a body. Each connection keeps a duplicate handle
//! of its socket for that, and a [`ConnControl`] through which a request asks for the reset.

use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use socket2::{Domain, SockRef, Socket, Type};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};

use crate::pipeline::{self, App};

/// Lets a request reset the connection it arrived on.
#[derive(Default)]
pub(crate) struct ConnControl {
    reset: Notify,
}

impl ConnControl {
    /// Resets the connection (TCP RST) as soon as the connection task sees it; nothing more is
    /// written.
    pub(crate) fn reset_connection(&self) {
        self.reset.notify_one();
    }
}

/// Binds a listening socket (address reuse, a deep backlog for bursts of concurrent clients).
pub(crate) fn bind(host: IpAddr, port: u16) -> io::Result<std::net::TcpListener> {
    let addr = SocketAddr::new(host, port);
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// Accepts and serves connections until `shutdown` changes.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Arc<App>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut builder = http1::Builder::new();
    builder.keep_alive(true).auto_date_header(false);
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
    builder: http1::Builder,
    mut shutdown: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let socket = SockRef::from(&stream).try_clone().ok();
    let control = Arc::new(ConnControl::default());
    tokio::spawn(async move {
        let request_control = control.clone();
        let service = hyper::service::service_fn(move |req| {
            pipeline::handle(app.clone(), request_control.clone(), req)
        });
        let conn = builder.serve_connection(TokioIo::new(stream), service);
        tokio::pin!(conn);
        tokio::select! {
            _ = conn.as_mut() => {}
            _ = control.reset.notified() => {
                // With linger 0, closing the last handle sends RST instead of FIN.
                if let Some(socket) = &socket {
                    let _ = socket.set_linger(Some(Duration::ZERO));
                }
            }
            _ = shutdown.changed() => {}
        }
    });
}
