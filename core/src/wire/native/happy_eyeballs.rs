//! Happy Eyeballs (RFC 8305): connecting to a host over all of its addresses at once, staggered.
//!
//! A host name often resolves to an IPv6 and an IPv4 address where one of them does not answer
//! at all (a broken IPv6 route is the usual case). Trying the addresses one after the other
//! would spend the whole connect timeout on the first; instead the next address is started
//! [`ATTEMPT_DELAY`] after the previous one (or as soon as it fails), the first connection to
//! be established wins and the others are dropped, which closes them. Addresses are tried
//! alternating between the families, starting with the one the resolver put first (RFC 8305
//! §4). The caller's connect timeout bounds the whole race.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::net::TcpStream;

/// How long an attempt runs alone before the next address is tried too (RFC 8305 §5).
pub(crate) const ATTEMPT_DELAY: Duration = Duration::from_millis(250);

type Attempt = Pin<Box<dyn Future<Output = (SocketAddr, io::Result<TcpStream>)> + Send>>;

/// The first TCP connection established to any of `addresses`.
pub(crate) async fn connect(addresses: Vec<SocketAddr>) -> io::Result<TcpStream> {
    connect_with_delay(interleave(addresses), ATTEMPT_DELAY).await
}

async fn connect_with_delay(addresses: Vec<SocketAddr>, delay: Duration) -> io::Result<TcpStream> {
    let mut waiting = addresses.into_iter();
    let mut running: FuturesUnordered<Attempt> = FuturesUnordered::new();
    let mut failures: Vec<String> = Vec::new();
    let start = |address: SocketAddr| -> Attempt {
        Box::pin(async move { (address, TcpStream::connect(address).await) })
    };
    match waiting.next() {
        Some(address) => running.push(start(address)),
        None => {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                "the host name resolved to no address",
            ));
        }
    }
    loop {
        let next_start = tokio::time::sleep(delay);
        tokio::select! {
            // `None` cannot happen: an attempt is always running here.
            Some((address, result)) = running.next() => match result {
                Ok(tcp) => return Ok(tcp),
                Err(e) => {
                    failures.push(format!("{address}: {e}"));
                    if let Some(address) = waiting.next() {
                        running.push(start(address));
                    } else if running.is_empty() {
                        return Err(all_failed(failures));
                    }
                }
            },
            () = next_start, if waiting.len() > 0 => {
                if let Some(address) = waiting.next() {
                    running.push(start(address));
                }
            }
        }
    }
}

/// One error for a race that every address lost, naming each address and why.
fn all_failed(failures: Vec<String>) -> io::Error {
    let message = if failures.len() == 1 {
        failures.concat()
    } else {
        format!(
            "none of the {} addresses accepted a connection ({})",
            failures.len(),
            failures.join("; ")
        )
    };
    io::Error::new(io::ErrorKind::ConnectionRefused, message)
}

/// The addresses in the order they are tried: families alternating, the resolver's first
/// family first, each family in the resolver's order.
fn interleave(addresses: Vec<SocketAddr>) -> Vec<SocketAddr> {
    let Some(first) = addresses.first() else {
        return addresses;
    };
    let first_is_v6 = first.is_ipv6();
    let (mut preferred, mut other): (Vec<SocketAddr>, Vec<SocketAddr>) = addresses
        .iter()
        .partition(|address| address.is_ipv6() == first_is_v6);
    let mut ordered = Vec::with_capacity(addresses.len());
    preferred.reverse();
    other.reverse();
    loop {
        match (preferred.pop(), other.pop()) {
            (None, None) => return ordered,
            (a, b) => ordered.extend(a.into_iter().chain(b)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn addresses_alternate_between_families_starting_with_the_resolvers_first() {
        let resolved = vec![
            addr("[::1]:1"),
            addr("[::2]:1"),
            addr("[::3]:1"),
            addr("10.0.0.1:1"),
        ];
        assert_eq!(
            interleave(resolved),
            vec![
                addr("[::1]:1"),
                addr("10.0.0.1:1"),
                addr("[::2]:1"),
                addr("[::3]:1")
            ]
        );
        assert_eq!(
            interleave(vec![addr("10.0.0.1:1"), addr("[::1]:1")]),
            vec![addr("10.0.0.1:1"), addr("[::1]:1")]
        );
        assert!(interleave(Vec::new()).is_empty());
    }

    #[tokio::test]
    async fn a_refused_address_hands_over_to_the_next_at_once_and_all_failures_are_named() {
        // Bound then dropped: nothing listens on these ports any more.
        let closed = |_| {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap()
        };
        let (a, b) = (closed(0), closed(1));
        let started = std::time::Instant::now();
        // A long delay: a failure, not the timer, must start the second attempt.
        let error = connect_with_delay(vec![a, b], Duration::from_secs(30))
            .await
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(10));
        let message = error.to_string();
        assert!(
            message.contains(&a.to_string()) && message.contains(&b.to_string()),
            "{message}"
        );

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let open = listener.local_addr().unwrap();
        let tcp = connect_with_delay(vec![closed(2), open], Duration::from_secs(30))
            .await
            .unwrap();
        assert_eq!(tcp.peer_addr().unwrap(), open);
    }
}
