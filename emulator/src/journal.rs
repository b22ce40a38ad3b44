//! The journal: a bounded ring of the API requests the emulator received, so tests can assert what
//! an SDK sent and how often. Entries are stored compactly and turned into [`JournalEntry`] values
//! only when read, which keeps the hot path cheap and memory flat however many requests arrive.

use bytes::Bytes;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::time_format;

/// Bodies longer than this are cut in the journal.
pub(crate) const MAX_JOURNAL_BODY: usize = 64 * 1024;

/// One request as the emulator saw it. It never holds the API key, only its fingerprint.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct JournalEntry {
    /// Position in the order requests completed, starting at 1; never reused, even after a clear.
    pub seq: u64,
    /// When the request arrived, RFC 3339 UTC with milliseconds.
    pub time: String,
    /// HTTP method, e.g. `"GET"`.
    pub method: String,
    /// Full path including the prefix, without the query string.
    pub path: String,
    /// `"HTTP/1.1"` or `"HTTP/2.0"`, as the request arrived.
    pub http_version: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The raw request body (lossy UTF-8), cut to 64 KiB; `None` when empty.
    pub body: Option<String>,
    /// Status sent, `None` when no response was started (connection reset before it, client gone).
    pub status: Option<u16>,
    /// `"ok"`, `"rate_limited"`, `"unauthorized"`, `"fault:<kind>"` or `"client_disconnected"`.
    pub outcome: String,
    /// First 12 hex characters of the SHA-256 of the key sent, if one was sent.
    pub key_fingerprint: Option<String>,
    /// Time from arrival to the response head being ready, in milliseconds.
    pub elapsed_ms: f64,
    /// The request headers, names in lower case, repeated values joined with `", "`. The
    /// `x-api-key` header is left out (the key is never stored; see `key_fingerprint`).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// How a request ended, stored without allocating.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Ok,
    RateLimited,
    Unauthorized,
    Fault(&'static str),
    ClientDisconnected,
}

impl Outcome {
    pub(crate) fn render(self) -> String {
        match self {
            Outcome::Ok => "ok".into(),
            Outcome::RateLimited => "rate_limited".into(),
            Outcome::Unauthorized => "unauthorized".into(),
            Outcome::Fault(kind) => format!("fault:{kind}"),
            Outcome::ClientDisconnected => "client_disconnected".into(),
        }
    }
}

/// A finished request, before its sequence number is assigned.
pub(crate) struct Record {
    pub time: SystemTime,
    pub method: http::Method,
    pub version: http::Version,
    pub path: String,
    pub query: Option<String>,
    pub body: Option<Bytes>,
    pub status: Option<u16>,
    pub outcome: Outcome,
    pub fingerprint: Option<Arc<str>>,
    pub elapsed: Duration,
    /// Shares the request's header bytes; rendered only when the journal is read.
    pub headers: http::HeaderMap,
}

struct Stored {
    seq: u64,
    record: Record,
}

struct Ring {
    next_seq: u64,
    entries: VecDeque<Stored>,
}

/// The bounded, thread-safe request journal.
pub(crate) struct Journal {
    capacity: usize,
    ring: Mutex<Ring>,
}

impl Journal {
    pub(crate) fn new(capacity: usize) -> Self {
        Journal {
            capacity,
            ring: Mutex::new(Ring {
                next_seq: 1,
                entries: VecDeque::with_capacity(capacity.min(1024)),
            }),
        }
    }

    pub(crate) fn push(&self, record: Record) {
        if self.capacity == 0 {
            return;
        }
        let mut ring = self.ring.lock();
        let seq = ring.next_seq;
        ring.next_seq += 1;
        if ring.entries.len() >= self.capacity {
            ring.entries.pop_front();
        }
        ring.entries.push_back(Stored { seq, record });
    }

    /// Entries oldest first; with a fingerprint, only that key's.
    pub(crate) fn entries(&self, fingerprint: Option<&str>) -> Vec<JournalEntry> {
        let ring = self.ring.lock();
        ring.entries
            .iter()
            .filter(|e| matches_key(&e.record, fingerprint))
            .map(render)
            .collect()
    }

    /// Removes all entries, or only one key's; returns how many were removed.
    pub(crate) fn clear(&self, fingerprint: Option<&str>) -> usize {
        let mut ring = self.ring.lock();
        let before = ring.entries.len();
        match fingerprint {
            None => ring.entries.clear(),
            Some(_) => ring
                .entries
                .retain(|e| !matches_key(&e.record, fingerprint)),
        }
        before - ring.entries.len()
    }
}

fn matches_key(record: &Record, fingerprint: Option<&str>) -> bool {
    match fingerprint {
        None => true,
        Some(fp) => record.fingerprint.as_deref() == Some(fp),
    }
}

fn render(stored: &Stored) -> JournalEntry {
    let r = &stored.record;
    JournalEntry {
        seq: stored.seq,
        time: time_format::rfc3339_millis(r.time),
        method: r.method.to_string(),
        path: r.path.clone(),
        http_version: format!("{:?}", r.version),
        query: r.query.clone(),
        body: r
            .body
            .as_ref()
            .map(|b| String::from_utf8_lossy(b).into_owned()),
        status: r.status,
        outcome: r.outcome.render(),
        key_fingerprint: r.fingerprint.as_deref().map(str::to_owned),
        elapsed_ms: r.elapsed.as_secs_f64() * 1000.0,
        headers: render_headers(&r.headers),
    }
}

fn render_headers(headers: &http::HeaderMap) -> BTreeMap<String, String> {
    let mut out = BTreeMap::<String, String>::new();
    for (name, value) in headers {
        if name == "x-api-key" {
            continue;
        }
        let value = String::from_utf8_lossy(value.as_bytes());
        out.entry(name.as_str().to_owned())
            .and_modify(|joined| {
                joined.push_str(", ");
                joined.push_str(&value);
            })
            .or_insert_with(|| value.into_owned());
    }
    out
}

/// The part of a request body worth journaling: `None` when empty, at most 64 KiB, never a view
/// into a larger buffer (which would keep up to 1 MiB alive per entry).
pub(crate) fn journal_body(body: &Bytes) -> Option<Bytes> {
    match body.len() {
        0 => None,
        n if n <= MAX_JOURNAL_BODY => Some(body.clone()),
        _ => Some(Bytes::copy_from_slice(&body[..MAX_JOURNAL_BODY])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(path: &str, fp: Option<&str>) -> Record {
        Record {
            time: SystemTime::now(),
            method: http::Method::GET,
            version: http::Version::HTTP_11,
            path: path.into(),
            query: None,
            body: None,
            status: Some(200),
            outcome: Outcome::Ok,
            fingerprint: fp.map(Arc::from),
            elapsed: Duration::from_micros(1500),
            headers: http::HeaderMap::new(),
        }
    }

    #[test]
    fn ring_keeps_only_the_newest_entries_up_to_capacity() {
        let journal = Journal::new(3);
        for i in 0..5 {
            journal.push(record(&format!("/p{i}"), None));
        }
        let entries = journal.entries(None);
        let paths: Vec<_> = entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["/p2", "/p3", "/p4"]);
        assert_eq!(entries[0].seq, 3);
        assert_eq!(entries[0].elapsed_ms, 1.5);
    }

    #[test]
    fn entries_and_clear_can_be_scoped_to_one_fingerprint() {
        let journal = Journal::new(10);
        journal.push(record("/a", Some("aaa")));
        journal.push(record("/b", Some("bbb")));
        assert_eq!(journal.entries(Some("aaa")).len(), 1);
        assert_eq!(journal.clear(Some("aaa")), 1);
        assert_eq!(journal.entries(None)[0].path, "/b");
    }

    #[test]
    fn headers_are_journaled_without_the_api_key() {
        let journal = Journal::new(1);
        let mut r = record("/h", None);
        r.headers.insert("user-agent", "sdk/1.0".parse().unwrap());
        r.headers
            .insert("x-api-key", "dlg_test_secret".parse().unwrap());
        r.headers.append("x-many", "a".parse().unwrap());
        r.headers.append("x-many", "b".parse().unwrap());
        journal.push(r);
        let headers = &journal.entries(None)[0].headers;
        assert_eq!(headers["user-agent"], "sdk/1.0");
        assert_eq!(headers["x-many"], "a, b");
        assert!(!headers.contains_key("x-api-key"));
    }

    #[test]
    fn long_bodies_are_cut_to_64_kib() {
        let body = Bytes::from(vec![b'x'; MAX_JOURNAL_BODY + 10]);
        assert_eq!(journal_body(&body).unwrap().len(), MAX_JOURNAL_BODY);
        assert_eq!(journal_body(&Bytes::new()), None);
    }
}
