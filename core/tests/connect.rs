//! Connecting: a host whose first address never answers is left for the next one after 250 ms
//! (Happy Eyeballs), and a connect that cannot finish in time is a timeout error, retried for
//! every method since nothing was sent.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use common::{ACTIVE, emulator, requests};
use delegir::{Client, ClientBuilder, ErrorKind};
use delegir_emulator::Emulator;
use socket2::{Domain, Socket, Type};

fn port(emu: &Emulator) -> u16 {
    emu.base_url().parse::<url::Url>().unwrap().port().unwrap()
}

const BLACKHOLE: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// An address on `port` that never answers a connect: a listener with a backlog of one that
/// never accepts, its queue filled first (new SYNs are then dropped). Keep the value alive.
fn blackhole(port: u16) -> (Socket, Vec<Socket>) {
    let address = SocketAddr::new(BLACKHOLE, port);
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    listener.bind(&address.into()).unwrap();
    listener.listen(1).unwrap();
    let fillers = (0..4)
        .map(|_| {
            let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
            socket.set_nonblocking(true).unwrap();
            let _ = socket.connect(&address.into());
            socket
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    (listener, fillers)
}

fn builder(
    emu: &Emulator,
    addresses: Vec<IpAddr>,
    timeout: Duration,
    retries: u32,
) -> ClientBuilder {
    Client::builder()
        .api_key(emu.api_key())
        .base_url(format!("http://api.delegir.test:{}/api/v1", port(emu)))
        .allow_insecure_http(true)
        .resolve("api.delegir.test", addresses)
        .timeout(timeout)
        .max_retries(retries)
        .rate_limit(false)
}

#[tokio::test]
async fn a_first_address_that_never_answers_is_left_for_the_next_one() {
    let emu = emulator().await;
    let _blackhole = blackhole(port(&emu));

    let client = builder(&emu, vec![BLACKHOLE, LOOPBACK], Duration::from_secs(30), 0)
        .build()
        .unwrap();
    let started = Instant::now();
    let agent = client
        .agents()
        .get(ACTIVE)
        .await
        .expect("the second address answers");
    let took = started.elapsed();
    assert_eq!(agent.agent.id, ACTIVE);
    // 250 ms for the first address, then the second: well under the 10 s connect timeout that
    // trying them one after the other would cost. Wide slack for a loaded machine.
    assert!(took < Duration::from_secs(4), "took {took:?}");
    assert!(took >= Duration::from_millis(200), "took {took:?}");
}

#[tokio::test]
async fn a_connect_that_runs_out_of_time_is_a_timeout_and_is_retried_even_for_a_chat() {
    let emu = emulator().await;
    let _blackhole = blackhole(port(&emu));
    let attempts = common::Attempts::default();
    // A connect timeout shorter than the attempt's: the connect, not the attempt, runs out.
    let client = attempts
        .attach(
            builder(&emu, vec![BLACKHOLE], Duration::from_secs(30), 1)
                .connect_timeout(Duration::from_millis(600)),
        )
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client.agents().chat(ACTIVE, "hello").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert!(!error.may_have_reached_server(), "{error:?}");
    assert!(error.message().contains("timed out"), "{error}");
    // Two connects of 0.6 s each (plus a backoff of at most 0.5 s).
    let attempts = attempts.all();
    assert_eq!(attempts.len(), 2, "the chat is retried: nothing was sent");
    assert_eq!(attempts[0].error, Some(ErrorKind::Timeout));
    assert!(started.elapsed() < Duration::from_secs(6));
    assert!(requests(&emu, "POST").is_empty());
}
