//! Timestamp formats used on the wire: RFC 3339 UTC (`2026-03-15T08:30:00Z`) for API fields,
//! with milliseconds for the journal, and the HTTP `Date` header.

use http::HeaderValue;
use std::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};
use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

const SECONDS: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
const MILLIS: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// `2026-03-15T08:30:00Z` for a Unix time in seconds.
pub(crate) fn rfc3339_secs(unix_secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix_secs)
        .ok()
        .and_then(|t| t.format(SECONDS).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

/// The current time as `2026-03-15T08:30:00Z`.
pub(crate) fn now_rfc3339() -> String {
    rfc3339_secs(unix_secs(SystemTime::now()))
}

/// `2026-03-15T08:30:00.123Z`.
pub(crate) fn rfc3339_millis(time: SystemTime) -> String {
    OffsetDateTime::from(time)
        .format(MILLIS)
        .unwrap_or_else(|_| "1970-01-01T00:00:00.000Z".into())
}

/// Whole seconds since the Unix epoch.
pub(crate) fn unix_secs(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// Milliseconds since the Unix epoch.
pub(crate) fn unix_millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

thread_local! {
    static DATE: RefCell<(i64, HeaderValue)> =
        const { RefCell::new((-1, HeaderValue::from_static(""))) };
}

/// The `Date` header for now, formatted once per second per thread.
pub(crate) fn date_header() -> HeaderValue {
    let now = SystemTime::now();
    let secs = unix_secs(now);
    DATE.with(|cell| {
        let mut cached = cell.borrow_mut();
        if cached.0 != secs {
            let value = HeaderValue::from_str(&httpdate::fmt_http_date(now))
                .unwrap_or_else(|_| HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"));
            *cached = (secs, value);
        }
        cached.1.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_match_the_reference() {
        assert_eq!(rfc3339_secs(1_773_563_400), "2026-03-15T08:30:00Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_773_563_400_123);
        assert_eq!(rfc3339_millis(t), "2026-03-15T08:30:00.123Z");
    }

    #[test]
    fn date_header_is_an_http_date() {
        let value = date_header();
        assert!(httpdate::parse_http_date(value.to_str().unwrap()).is_ok());
    }
}
