//! `delegir-emulator`: the emulator as a standalone server.
//!
//! Prints exactly one line, `Delegir emulator listening on http://HOST:PORT/api/v1`, to stdout
//! (scripts parse it), then logs one line per request to stderr unless `--quiet`. Stops cleanly on
//! SIGINT or SIGTERM.

use clap::{Arg, ArgAction, Command, value_parser};
use delegir_emulator::{Emulator, EmulatorOptions};
use std::io::Write;
use std::net::IpAddr;
use std::process::ExitCode;
use std::time::Duration;

fn cli() -> Command {
    Command::new("delegir-emulator")
        .version(env!("CARGO_PKG_VERSION"))
        .about("A local emulator of the Delegir API for tests")
        .arg(
            Arg::new("host")
                .long("host")
                .value_name("ADDR")
                .default_value("127.0.0.1")
                .value_parser(value_parser!(IpAddr))
                .help("Address to bind"),
        )
        .arg(
            Arg::new("port")
                .long("port")
                .value_name("PORT")
                .default_value("4010")
                .value_parser(value_parser!(u16))
                .help("Port to bind; 0 picks a free port"),
        )
        .arg(
            Arg::new("rate-limit")
                .long("rate-limit")
                .value_name("N")
                .default_value("60")
                .value_parser(value_parser!(u32))
                .help("Requests per key per window; 0 turns rate limiting off"),
        )
        .arg(
            Arg::new("rate-window")
                .long("rate-window")
                .value_name("DURATION")
                .default_value("60s")
                .value_parser(parse_duration)
                .help("Rate-limit window: 60s, 2000ms, 1.5s or plain seconds; at most one day"),
        )
        .arg(
            Arg::new("prefix")
                .long("prefix")
                .value_name("PATH")
                .default_value("/api/v1")
                .help("Path prefix of the API"),
        )
        .arg(
            Arg::new("quiet")
                .long("quiet")
                .short('q')
                .action(ArgAction::SetTrue)
                .help("Do not log requests"),
        )
}

/// `60s`, `2000ms`, `1.5s`, `2m` or a plain number of seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60.0)
    } else {
        (text, 1.0)
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("invalid duration {text:?}: use e.g. 60s or 2000ms"))?;
    let duration = Duration::try_from_secs_f64(value * scale)
        .map_err(|_| format!("invalid duration {text:?}"))?;
    delegir_emulator::check_rate_window(duration)
        .map_err(|e| format!("the window {}", e.problem()))?;
    Ok(duration)
}

/// Registers for SIGINT and SIGTERM. Done before the URL is printed, so a script that signals as
/// soon as it has read the line never kills the process by the default action.
#[cfg(unix)]
fn register_signals() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn register_signals() -> std::io::Result<impl Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let matches = cli().get_matches();
    let options = EmulatorOptions {
        host: *matches.get_one::<IpAddr>("host").expect("has default"),
        port: *matches.get_one::<u16>("port").expect("has default"),
        prefix: matches
            .get_one::<String>("prefix")
            .expect("has default")
            .clone(),
        rate_limit: *matches.get_one::<u32>("rate-limit").expect("has default"),
        rate_window: *matches
            .get_one::<Duration>("rate-window")
            .expect("has default"),
        log_requests: !matches.get_flag("quiet"),
        ..EmulatorOptions::default()
    };
    let emulator = match Emulator::start(options).await {
        Ok(emulator) => emulator,
        Err(e) => {
            eprintln!("delegir-emulator: cannot listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    let signals = match register_signals() {
        Ok(signals) => signals,
        Err(e) => {
            eprintln!("delegir-emulator: cannot handle signals: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout();
    let _ = writeln!(
        stdout,
        "Delegir emulator listening on {}",
        emulator.base_url()
    );
    let _ = stdout.flush();
    signals.await;
    emulator.stop().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_accept_seconds_and_milliseconds() {
        assert_eq!(parse_duration("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("2000ms"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("24h").is_err());
        assert_eq!(parse_duration("1440m"), Ok(Duration::from_secs(86_400)));
        let too_long = parse_duration("1441m").unwrap_err();
        assert!(too_long.contains("at most one day"), "{too_long}");
        assert!(parse_duration("1e30s").is_err());
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn cli_is_well_formed() {
        cli().debug_assert();
    }
}
