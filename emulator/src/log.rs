//! The request log: one line per request on stderr, written by a background thread so a slow or
//! unread stderr never stalls the server (lines are dropped when 4,096 are already waiting).
//! Lines carry the key's fingerprint, never the key.

use std::io::Write;
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};

/// Sends log lines to the writer thread.
pub(crate) struct RequestLog {
    tx: SyncSender<String>,
}

impl RequestLog {
    pub(crate) fn start() -> Self {
        let (tx, rx) = sync_channel::<String>(4096);
        std::thread::Builder::new()
            .name("delegir-emulator-log".into())
            .spawn(move || {
                let stderr = std::io::stderr();
                for line in rx {
                    let mut out = stderr.lock();
                    let _ = writeln!(out, "{line}");
                }
            })
            .ok();
        RequestLog { tx }
    }

    /// Logs `GET /api/v1/agents 200 0.42ms key=3f2a9c1b0e4d`.
    pub(crate) fn request(
        &self,
        method: &str,
        path: &str,
        status: Option<u16>,
        elapsed_ms: f64,
        fingerprint: Option<&str>,
        outcome: &str,
    ) {
        let status = status.map_or_else(|| "-".to_string(), |s| s.to_string());
        let key = fingerprint.unwrap_or("-");
        let line = if outcome == "ok" {
            format!("{method} {path} {status} {elapsed_ms:.2}ms key={key}")
        } else {
            format!("{method} {path} {status} {elapsed_ms:.2}ms key={key} {outcome}")
        };
        if let Err(TrySendError::Disconnected(_)) = self.tx.try_send(line) {
            // The writer thread is gone (stderr closed); nothing useful to do.
        }
    }
}
