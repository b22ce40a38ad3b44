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
//! them (u64 and i64 rounded to the nearest double). No napi or wasm-bindgen types here: the
//! WebAssembly build can include this file as it includes `json.rs`.

use delegir::{Extra, Run, RunPage};
use serde::{Serialize, Serializer};
use time::OffsetDateTime;

/// Numbers per run in [`RunColumns::numbers`].
pub(crate) const RUN_NUMBERS: usize = 6;

/// Runs as the columns the TypeScript layer reads (see the module's documentation).
pub struct RunColumns {
    /// Every run's id then status.
    pub(crate) text: String,
    /// Whether `text` is ASCII (its bytes are then its Latin-1 and UTF-16 code units).
    pub(crate) ascii: bool,
    /// Per run: id end, status end, tokensUsed, cost, durationMs, createdAt; then the page's.
    pub(crate) numbers: Vec<f64>,
    /// The unknown fields, as JSON, when there are any.
    pub(crate) extras: Option<String>,
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
