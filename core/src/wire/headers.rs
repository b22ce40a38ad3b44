//! Reading the rate-limit headers, `Retry-After` and `Date` of a response.
//!
//! Headers come from the network: garbage, negative, enormous or past values parse to `None`
//! or to a bounded, non-negative duration, and never panic (a proptest in this module and the
//! conformance fuzz run check that).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::{self, HeaderMap, HeaderName, HeaderValue};

use crate::models::RateLimit;

/// What a response's headers say about the rate limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ResponseMeta {
    /// All three `X-RateLimit-*` headers, when all three parse.
    pub rate_limit: Option<RateLimit>,
    /// `Retry-After` (seconds, or an HTTP date measured against `Date`), when present and valid.
    pub retry_after: Option<Duration>,
    /// The server's `Date`.
    pub server_date: Option<SystemTime>,
    /// `X-RateLimit-Reset` minus `Date`: how long until the window resets by the server's own
    /// clock (zero when the reset lies in the past), so the client's clock skew does not matter.
    /// Without `Date`, measured against the local clock.
    pub reset_in: Option<Duration>,
    /// How the body is encoded (`Content-Encoding`).
    pub content_encoding: ContentEncoding,
}

/// A response body's `Content-Encoding`: the SDK asks for gzip (see `wire/native/encoding.rs`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum ContentEncoding {
    /// None, or `identity`.
    #[default]
    Identity,
    /// `gzip` (or its old alias `x-gzip`).
    Gzip,
    /// Anything else: an encoding the SDK did not ask for and cannot read.
    Unsupported,
}

impl ContentEncoding {
    fn parse(value: Option<&str>) -> ContentEncoding {
        match value {
            None => ContentEncoding::Identity,
            Some(v) if v.is_empty() || v.eq_ignore_ascii_case("identity") => {
                ContentEncoding::Identity
            }
            Some(v) if v.eq_ignore_ascii_case("gzip") || v.eq_ignore_ascii_case("x-gzip") => {
                ContentEncoding::Gzip
            }
            Some(_) => ContentEncoding::Unsupported,
        }
    }
}

/// Upper bound for any wait derived from headers (a day): a garbage value never means
/// "wait forever".
pub(crate) const MAX_HEADER_WAIT: Duration = Duration::from_secs(24 * 60 * 60);

// Names as constants: looking a `&str` up in a `HeaderMap` parses it into a name on every call.
// The map form is HTTP/2's (native wire only); the fetch wire uses `Relevant`.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
const RATE_LIMIT_LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
const RATE_LIMIT_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
const RATE_LIMIT_RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// Parses the headers that matter to the ledger and the retry logic.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) fn parse(headers: &HeaderMap) -> ResponseMeta {
    parse_at(headers, crate::runtime::system_now())
}

/// [`parse`] with the local wall-clock time given, for tests.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) fn parse_at(headers: &HeaderMap, local_now: SystemTime) -> ResponseMeta {
    let text = |name: &HeaderName| headers.get(name).map(HeaderValue::as_bytes);
    Relevant {
        date: text(&header::DATE),
        retry_after: text(&header::RETRY_AFTER),
        limit: text(&RATE_LIMIT_LIMIT),
        remaining: text(&RATE_LIMIT_REMAINING),
        reset: text(&RATE_LIMIT_RESET),
        content_encoding: text(&header::CONTENT_ENCODING),
    }
    .parse_at(local_now)
}

/// The values of the headers that matter, collected from a `HeaderMap` (HTTP/2) or straight
/// from the parser's list (HTTP/1.1, which then builds no map at all).
#[derive(Default)]
pub(crate) struct Relevant<'a> {
    date: Option<&'a [u8]>,
    retry_after: Option<&'a [u8]>,
    limit: Option<&'a [u8]>,
    remaining: Option<&'a [u8]>,
    reset: Option<&'a [u8]>,
    content_encoding: Option<&'a [u8]>,
}

impl<'a> Relevant<'a> {
    /// Keeps `value` if `name` (any case) is one of the headers that matter; the first of
    /// repeated headers wins, as `HeaderMap::get` does.
    pub(crate) fn offer(&mut self, name: &str, value: &'a [u8]) {
        let slot = match name.len() {
            4 if name.eq_ignore_ascii_case("date") => &mut self.date,
            11 if name.eq_ignore_ascii_case("retry-after") => &mut self.retry_after,
            16 if name.eq_ignore_ascii_case("content-encoding") => &mut self.content_encoding,
            17 if name.eq_ignore_ascii_case("x-ratelimit-limit") => &mut self.limit,
            17 if name.eq_ignore_ascii_case("x-ratelimit-reset") => &mut self.reset,
            21 if name.eq_ignore_ascii_case("x-ratelimit-remaining") => &mut self.remaining,
            _ => return,
        };
        slot.get_or_insert(value);
    }

    pub(crate) fn parse(&self) -> ResponseMeta {
        self.parse_at(crate::runtime::system_now())
    }

    fn parse_at(&self, local_now: SystemTime) -> ResponseMeta {
        let text = |value: Option<&'a [u8]>| {
            value
                .and_then(|v| std::str::from_utf8(v).ok())
                .map(str::trim)
        };
        let date = text(self.date).and_then(|d| httpdate::parse_http_date(d).ok());
        let rate_limit = parse_rate_limit(text(self.limit), text(self.remaining), text(self.reset));
        // The instant the response itself names (its reset, else a Retry-After date), to judge
        // the `Date` by.
        let named = rate_limit
            .and_then(|rl| u64::try_from(rl.reset).ok())
            .map(|reset| UNIX_EPOCH + Duration::from_secs(reset))
            .or_else(|| text(self.retry_after).and_then(retry_after_date));
        let server_date =
            date.filter(|date| !named.is_some_and(|at| wrong_date(*date, at, local_now)));
        let now = server_date.unwrap_or(local_now);
        let retry_after = text(self.retry_after).and_then(|v| parse_retry_after(v, now));
        let reset_in = rate_limit.map(|rl| seconds_until(rl.reset, now));
        ResponseMeta {
            rate_limit,
            retry_after,
            server_date,
            reset_in,
            content_encoding: ContentEncoding::parse(text(self.content_encoding)),
        }
    }
}

/// Whether a response's `Date` is wrong rather than the local clock: more than a day from the
/// local clock, and from the instant the response itself names (`named`: its reset), which agrees
/// with the local clock. The classic case is a gateway or device with an unset clock (`Thu, 01
/// Jan 1970`): measured against it, a reset 2 s away was a 56-year wait, cut to a day, and the
/// ledger refused every call of the key (and of every process sharing it through Redis) for that
/// day. A local clock that is off (the reason `Date` is used at all) still defers to `Date`,
/// which then agrees with the reset.
fn wrong_date(date: SystemTime, named: SystemTime, local_now: SystemTime) -> bool {
    let far = |a: SystemTime, b: SystemTime| {
        a.duration_since(b)
            .or_else(|_| b.duration_since(a))
            .is_ok_and(|gap| gap > MAX_HEADER_WAIT)
    };
    far(date, local_now) && far(named, date) && !far(named, local_now)
}

/// A `Retry-After` that is an HTTP date, as that date.
fn retry_after_date(value: &str) -> Option<SystemTime> {
    let first = value.find(" GMT,").map_or(value, |end| &value[..end + 4]);
    httpdate::parse_http_date(first.trim()).ok()
}

/// How long a 429 asks to wait: `Retry-After` if present, else until `X-RateLimit-Reset`.
pub(crate) fn rate_limit_wait(meta: &ResponseMeta) -> Option<Duration> {
    meta.retry_after.or(meta.reset_in)
}

fn parse_rate_limit(
    limit: Option<&str>,
    remaining: Option<&str>,
    reset: Option<&str>,
) -> Option<RateLimit> {
    let limit: u64 = limit?.parse().ok()?;
    let remaining: u64 = remaining?.parse().ok()?;
    let reset: i64 = reset?.parse().ok()?;
    // A reset before 2001 or after 2286 is not an epoch-seconds timestamp.
    if !(1_000_000_000..=9_999_999_999).contains(&reset) {
        return None;
    }
    Some(RateLimit {
        limit,
        remaining,
        reset,
    })
}

/// `Retry-After`: delta-seconds (fractions tolerated) or an HTTP date. A header sent twice
/// counts by its first value, as the native wire reads it: `fetch` joins the values with ", "
/// (`1, 100`), and an HTTP date holds ", " itself (`Wed, 21 Oct 2026 07:28:00 GMT`).
fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let first = match value.split_once(',') {
        Some((first, _)) if decimal_seconds(first.trim()).is_some() => first.trim(),
        _ => value.find(" GMT,").map_or(value, |end| &value[..end + 4]),
    };
    if let Some(wait) = decimal_seconds(first) {
        return Some(wait.min(MAX_HEADER_WAIT));
    }
    let at = httpdate::parse_http_date(first).ok()?;
    Some(
        at.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(MAX_HEADER_WAIT),
    )
}

/// Seconds written as decimal digits with an optional fraction (`120`, `1.5`, `+2`, `.5`),
/// at most [`MAX_HEADER_WAIT`] and one more second; `None` for anything else (negative numbers
/// included). By hand rather than with `f64`'s parser, whose tables are ~14 KiB of the
/// WebAssembly module, for a header that is nearly always an integer.
fn decimal_seconds(value: &str) -> Option<Duration> {
    let unsigned = value.strip_prefix('+').unwrap_or(value);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) {
        return None;
    }
    let cap = MAX_HEADER_WAIT.as_secs() + 1;
    let secs = whole
        .bytes()
        .fold(0u64, |secs, d| (secs * 10 + u64::from(d - b'0')).min(cap));
    let nanos = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(9)
        .fold(0u32, |nanos, d| nanos * 10 + u32::from(d - b'0'));
    Some(Duration::new(secs, nanos))
}

/// Time from `now` until `epoch_seconds`, zero if it has passed, at most [`MAX_HEADER_WAIT`].
fn seconds_until(epoch_seconds: i64, now: SystemTime) -> Duration {
    let Ok(target) = u64::try_from(epoch_seconds) else {
        return Duration::ZERO;
    };
    let target = UNIX_EPOCH + Duration::from_secs(target);
    target
        .duration_since(now)
        .unwrap_or(Duration::ZERO)
        .min(MAX_HEADER_WAIT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::{HeaderName, HeaderValue};
    use proptest::prelude::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    const DATE: &str = "Sun, 15 Mar 2026 08:30:00 GMT";
    const DATE_EPOCH: i64 = 1_773_563_400;

    #[test]
    fn raw_http1_headers_parse_as_the_same_headers_in_a_map() {
        let pairs = [
            ("Date", "Mon, 30 Nov 2026 12:00:00 GMT"),
            ("X-RateLimit-Limit", "60"),
            ("x-ratelimit-remaining", "0"),
            ("X-RATELIMIT-RESET", "1796040030"),
            ("Retry-After", "7"),
            ("Retry-After", "99"),
            ("content-type", "application/json"),
        ];
        let mut raw = Relevant::default();
        for (name, value) in pairs {
            raw.offer(name, value.as_bytes());
        }
        let now = SystemTime::now();
        let from_raw = raw.parse_at(now);
        assert_eq!(from_raw, parse_at(&headers(&pairs), now));
        assert_eq!(from_raw.retry_after, Some(Duration::from_secs(7)));
        assert_eq!(from_raw.rate_limit.map(|r| r.remaining), Some(0));
    }

    #[test]
    fn reset_is_measured_against_the_servers_date_not_the_local_clock() {
        let h = headers(&[
            ("date", DATE),
            ("x-ratelimit-limit", "60"),
            ("x-ratelimit-remaining", "54"),
            ("x-ratelimit-reset", &(DATE_EPOCH + 42).to_string()),
        ]);
        // The local clock is a year off; the wait still comes out as 42 s.
        let skewed = UNIX_EPOCH + Duration::from_secs(2_000_000_000);
        let meta = parse_at(&h, skewed);
        assert_eq!(meta.reset_in, Some(Duration::from_secs(42)));
        assert_eq!(
            meta.rate_limit,
            Some(RateLimit {
                limit: 60,
                remaining: 54,
                reset: DATE_EPOCH + 42
            })
        );
        assert_eq!(rate_limit_wait(&meta), Some(Duration::from_secs(42)));
    }

    #[test]
    fn a_date_decades_off_that_the_reset_contradicts_is_not_trusted() {
        let local = UNIX_EPOCH + Duration::from_secs(DATE_EPOCH as u64);
        // An unset clock's Date, and a reset 2 s away by the local clock.
        let h = headers(&[
            ("date", "Thu, 01 Jan 1970 00:00:00 GMT"),
            ("x-ratelimit-limit", "60"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &(DATE_EPOCH + 2).to_string()),
        ]);
        let meta = parse_at(&h, local);
        assert_eq!(
            meta.server_date, None,
            "not learned by the server clock either"
        );
        assert_eq!(meta.reset_in, Some(Duration::from_secs(2)));
        // A Retry-After date 2 s ahead, with the same Date.
        let h = headers(&[
            ("date", "Thu, 01 Jan 1970 00:00:00 GMT"),
            ("retry-after", "Sun, 15 Mar 2026 08:30:02 GMT"),
        ]);
        let meta = parse_at(&h, local);
        assert_eq!(meta.retry_after, Some(Duration::from_secs(2)));
        // Without an instant of its own to judge by, the Date is kept.
        let h = headers(&[("date", "Thu, 01 Jan 1970 00:00:00 GMT")]);
        assert!(parse_at(&h, local).server_date.is_some());
    }

    #[test]
    fn retry_after_wins_over_reset_and_accepts_http_dates() {
        let h = headers(&[
            ("date", DATE),
            ("retry-after", "3"),
            ("x-ratelimit-limit", "60"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &(DATE_EPOCH + 42).to_string()),
        ]);
        assert_eq!(
            rate_limit_wait(&parse_at(&h, SystemTime::now())),
            Some(Duration::from_secs(3))
        );
        let h = headers(&[
            ("date", DATE),
            ("retry-after", "Sun, 15 Mar 2026 08:30:07 GMT"),
        ]);
        assert_eq!(
            parse_at(&h, SystemTime::now()).retry_after,
            Some(Duration::from_secs(7))
        );
    }

    #[test]
    fn a_retry_after_sent_twice_and_joined_by_fetch_counts_by_its_first_value() {
        let now = UNIX_EPOCH + Duration::from_secs(DATE_EPOCH as u64);
        let wait = |value: &str| parse_retry_after(value, now);
        assert_eq!(wait("1, 100000"), Some(Duration::from_secs(1)));
        assert_eq!(wait("2.5 , 9"), Some(Duration::from_millis(2500)));
        let date = "Sun, 15 Mar 2026 08:30:07 GMT";
        assert_eq!(wait(date), Some(Duration::from_secs(7)));
        assert_eq!(
            wait(&format!("{date}, Sun, 15 Mar 2026 09:30:00 GMT")),
            Some(Duration::from_secs(7))
        );
        assert_eq!(wait("soon, 5"), None);
    }

    #[test]
    fn past_garbage_and_negative_values_never_mean_a_negative_or_endless_wait() {
        let h = headers(&[
            ("date", DATE),
            ("retry-after", "-5"),
            ("x-ratelimit-limit", "sixty"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1"),
        ]);
        let meta = parse_at(&h, SystemTime::now());
        assert_eq!(meta.retry_after, None);
        assert_eq!(meta.rate_limit, None);
        let h = headers(&[
            ("date", DATE),
            ("x-ratelimit-limit", "60"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &(DATE_EPOCH - 100).to_string()),
            ("retry-after", "99999999999"),
        ]);
        let meta = parse_at(&h, SystemTime::now());
        assert_eq!(meta.reset_in, Some(Duration::ZERO));
        assert_eq!(meta.retry_after, Some(MAX_HEADER_WAIT));
    }

    #[test]
    fn decimal_retry_after_reads_as_f64_did_without_exponents() {
        for (value, wait) in [
            ("7", Some(Duration::from_secs(7))),
            ("0", Some(Duration::ZERO)),
            ("1.5", Some(Duration::from_millis(1500))),
            ("+2", Some(Duration::from_secs(2))),
            (".25", Some(Duration::from_millis(250))),
            ("3.", Some(Duration::from_secs(3))),
            ("0.000000001999", Some(Duration::from_nanos(1))),
            ("99999999999999999999999", Some(MAX_HEADER_WAIT)),
            ("-5", None),
            ("", None),
            (".", None),
            ("+", None),
            ("1.2.3", None),
            ("1 2", None),
            ("inf", None),
            ("NaN", None),
            ("٣", None),
        ] {
            let h = headers(&[("date", DATE), ("retry-after", value)]);
            assert_eq!(
                parse_at(&h, SystemTime::now()).retry_after,
                wait,
                "{value:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn decimal_retry_after_agrees_with_f64(whole in 0u64..200_000, fraction in "[0-9]{0,6}") {
            let value = if fraction.is_empty() { whole.to_string() } else { format!("{whole}.{fraction}") };
            let expected = Duration::from_secs_f64(value.parse::<f64>().unwrap()).min(MAX_HEADER_WAIT);
            let got = decimal_seconds(&value).unwrap().min(MAX_HEADER_WAIT);
            prop_assert!(got.abs_diff(expected) <= Duration::from_micros(1), "{} {:?} {:?}", value, got, expected);
        }

        #[test]
        fn arbitrary_header_values_parse_to_bounded_waits(
            retry in ".{0,40}",
            limit in ".{0,12}",
            remaining in ".{0,12}",
            reset in prop_oneof![".{0,20}", any::<i64>().prop_map(|v| v.to_string())],
            date in prop_oneof![".{0,40}", Just(DATE.to_owned())],
            local in 0u64..8_000_000_000,
        ) {
            let mut map = HeaderMap::new();
            for (name, value) in [
                ("retry-after", &retry), ("x-ratelimit-limit", &limit),
                ("x-ratelimit-remaining", &remaining), ("x-ratelimit-reset", &reset), ("date", &date),
            ] {
                if let Ok(v) = HeaderValue::from_str(value) {
                    map.insert(name, v);
                }
            }
            let meta = parse_at(&map, UNIX_EPOCH + Duration::from_secs(local));
            for wait in [meta.retry_after, meta.reset_in, rate_limit_wait(&meta)].into_iter().flatten() {
                prop_assert!(wait <= MAX_HEADER_WAIT);
            }
        }
    }
}
