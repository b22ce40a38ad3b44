//! A page of runs as columns: the runs' strings in one text, their numbers in one array, and
//! their unknown fields (rare) as JSON. The TypeScript layer (`models.ts`) builds the `Run`
//! objects from these with object literals.
//!
//! Why not JSON like the other models (`json.rs`): the runs page is the API's largest body (100
//! runs, ~13 KB). Profiled under `bench/` at concurrency 64, writing it as JSON in Rust and
//! `JSON.parse` in V8 were ~40% of the SDK's CPU per call: a second and a third pass over a
//! body the core had already decoded. Object literals of a fixed shape filled from a
//! `Float64Array` and two `slice`s of one string cost V8 about a sixth of the `JSON.parse`.
//! The core still decodes and validates the body (`RunPage`); this only moves the result.
//!
//! The layout (read by `models.ts`, which must change with it):
//! - `text`: every run's `id` then `status`, back to back;
//! - `numbers`: per run [`RUN_NUMBERS`] values: where its id ends and where its status ends in
//!   `text` (in UTF-16 code units, JavaScript's string indices), `tokensUsed`, `cost`,
//!   `durationMs`, `createdAt` (epoch milliseconds); then, for a page, `total`, `limit`, `offset`;
//! - `extras`: `None` when nothing unknown was sent; else the JSON array
//!   `[pageExtra, runIndex, runExtra, runIndex, runExtra, ...]` (the page's `extra` object, or
//!   `null` for the pager's pages, then each run with unknown fields), keys as the server spelled
//!   them, as `json.rs` keeps them.
//!
//! Numbers become JavaScript numbers exactly as `JSON.parse` of `json.rs`'s output would make
//! them (u64 and i64 rounded to the nearest double).

use delegir::{Extra, Run, RunPage};
use serde::{Serialize, Serializer};
use time::OffsetDateTime;

/// Numbers per run in [`RunColumns::numbers`].
pub(crate) const RUN_NUMBERS: usize = 6;

/// Runs as the columns the TypeScript layer reads (see the module's documentation).
pub struct RunColumns {
    /// Every run's id then status.
    pub text: String,
    /// Whether `text` is ASCII (its bytes are then its Latin-1 and UTF-16 code units: the napi
    /// addon hands V8 Latin-1, which it copies without decoding).
    pub ascii: bool,
    /// Per run: id end, status end, tokensUsed, cost, durationMs, createdAt; then the page's.
    pub numbers: Vec<f64>,
    /// The unknown fields, as JSON, when there are any.
    pub extras: Option<String>,
}

/// Epoch milliseconds, as `json.rs` writes timestamps (`unix_timestamp_nanos() / 1_000_000`,
/// truncated towards zero), without its 128-bit division.
fn millis(at: &OffsetDateTime) -> f64 {
    let seconds = at.unix_timestamp();
    let nanos = i64::from(at.nanosecond());
    // `seconds` is rounded down, so `seconds * 1000 + nanos / 10^6` is the floor; before 1970 a
    // remainder makes the truncation one more.
    let towards_zero = i64::from(seconds < 0 && nanos % 1_000_000 != 0);
    (seconds * 1000 + nanos / 1_000_000 + towards_zero) as f64
}

/// The unknown fields of a page and its runs, in the `extras` layout.
struct Extras<'a> {
    page: Option<&'a Extra>,
    runs: &'a [Run],
}

impl Serialize for Extras<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(None)?;
        seq.serialize_element(&self.page)?;
        for (i, run) in self.runs.iter().enumerate() {
            if !run.extra.is_empty() {
                seq.serialize_element(&i)?;
                seq.serialize_element(&run.extra)?;
            }
        }
        seq.end()
    }
}

impl RunColumns {
    /// The columns of `runs`, with the page's trailer when `page` is given.
    fn of(runs: &[Run], page: Option<&RunPage>) -> serde_json::Result<RunColumns> {
        let text_len: usize = runs.iter().map(|r| r.id.len() + r.status.len()).sum();
        let mut text = String::with_capacity(text_len);
        let mut numbers = Vec::with_capacity(runs.len() * RUN_NUMBERS + 3);
        let mut ascii = true;
        // The end of the text so far, in UTF-16 code units.
        let mut end = 0usize;
        for run in runs {
            for s in [&run.id, &run.status] {
                text.push_str(s);
                end += if s.is_ascii() {
                    s.len()
                } else {
                    ascii = false;
                    s.encode_utf16().count()
                };
                numbers.push(end as f64);
            }
            numbers.extend_from_slice(&[
                run.tokens_used as f64,
                run.cost,
                run.duration_ms as f64,
                millis(&run.created_at),
            ]);
        }
        if let Some(page) = page {
            numbers.extend_from_slice(&[
                page.total as f64,
                f64::from(page.limit),
                page.offset as f64,
            ]);
        }
        let page_extra = page.map(|p| &p.extra).filter(|e| !e.is_empty());
        let extras = if page_extra.is_some() || runs.iter().any(|r| !r.extra.is_empty()) {
            Some(serde_json::to_string(&Extras {
                page: page_extra,
                runs,
            })?)
        } else {
            None
        };
        Ok(RunColumns {
            text,
            ascii,
            numbers,
            extras,
        })
    }

    /// A page of `runs.list()`.
    pub(crate) fn page(page: &RunPage) -> serde_json::Result<RunColumns> {
        RunColumns::of(&page.runs, Some(page))
    }

    /// One page of the run pager.
    pub(crate) fn runs(runs: &[Run]) -> serde_json::Result<RunColumns> {
        RunColumns::of(runs, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn run(id: &str, status: &str, created_at: OffsetDateTime) -> Run {
        Run {
            id: id.to_owned(),
            status: status.to_owned(),
            tokens_used: 7,
            cost: 0.25,
            duration_ms: 1200,
            created_at,
            extra: Extra::new(),
        }
    }

    /// The columns' timestamps must be what `JSON.parse` of `json.rs`'s output gives: its 128-bit
    /// division truncates towards zero, which before 1970 is not the floor.
    #[test]
    fn millis_truncate_towards_zero_as_the_json_views_do() {
        for at in [
            datetime!(2026-12-07 05:00:00.123_456_789 UTC),
            datetime!(1970-01-01 00:00:00 UTC),
            datetime!(1969-12-31 23:59:59.999_999 UTC),
            datetime!(1969-12-31 23:59:59.5 UTC),
            datetime!(1900-06-01 12:00:00.000_000_001 UTC),
        ] {
            let expected = (at.unix_timestamp_nanos() / 1_000_000) as f64;
            assert_eq!(millis(&at), expected, "{at}");
        }
    }

    /// Ends are UTF-16 offsets (JavaScript's string indices), and `ascii` says whether the text
    /// may cross as Latin-1.
    #[test]
    fn ends_count_utf16_code_units() {
        let at = datetime!(2026-01-01 00:00 UTC);
        let ascii = RunColumns::runs(&[run("run_a", "completed", at)]).unwrap();
        assert!(ascii.ascii);
        assert_eq!(ascii.text, "run_acompleted");
        assert_eq!(ascii.numbers[..2], [5.0, 14.0]);

        // "é" is 2 bytes and 1 code unit; "😀" 4 bytes and 2 code units.
        let page = RunColumns::runs(&[run("run_é", "😀", at), run("r2", "ok", at)]).unwrap();
        assert!(!page.ascii);
        assert_eq!(page.text, "run_é😀r2ok");
        assert_eq!(page.numbers.len(), 2 * RUN_NUMBERS);
        assert_eq!(page.numbers[..2], [5.0, 7.0]);
        assert_eq!(page.numbers[RUN_NUMBERS..RUN_NUMBERS + 2], [9.0, 11.0]);
        assert_eq!(page.extras, None);
    }

    /// A page adds total, limit and offset; unknown fields come as `[page, index, run, ...]`.
    #[test]
    fn page_trailer_and_extras() {
        let at = datetime!(2026-01-01 00:00 UTC);
        let mut second = run("r2", "ok", at);
        second.extra.insert("region".to_owned(), "eu".into());
        let mut page = RunPage {
            runs: vec![run("r1", "ok", at), second],
            total: 1284,
            limit: 2,
            offset: 10,
            extra: Extra::new(),
        };
        let columns = RunColumns::page(&page).unwrap();
        assert_eq!(columns.numbers[2 * RUN_NUMBERS..], [1284.0, 2.0, 10.0]);
        assert_eq!(
            columns.extras.as_deref(),
            Some(r#"[null,1,{"region":"eu"}]"#)
        );

        page.runs[1].extra.clear();
        page.extra.insert("cursor".to_owned(), "c1".into());
        let columns = RunColumns::page(&page).unwrap();
        assert_eq!(columns.extras.as_deref(), Some(r#"[{"cursor":"c1"}]"#));
    }
}
