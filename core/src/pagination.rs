//! Paging through every run of an agent.
//!
//! The API lists runs newest first with `limit`/`offset`. While we page, new runs may be
//! created at the head, which shifts every older run down: a naive pager would see the runs at
//! a page boundary twice, and one that merely adds the growth to its next offset skips runs.
//! The pager instead counts in the positions the runs had when paging began ("originals"):
//! runs are only ever added at the head (they are never deleted one by one), so when a page
//! reports `total`, exactly `total - first_total` runs have been added since the first page, and
//! the page's first run is original number `offset - added`. The pager asks for the next
//! original at `next + added` (its best estimate), drops whatever on the page comes before
//! `next` (runs it already yielded, or runs created after paging started), and moves `next` to
//! the end of the page. Every run that existed when paging began is yielded exactly once, in
//! order, whatever number of runs arrives between pages; runs created after paging started are
//! not yielded.

use std::collections::VecDeque;

use futures::Stream;

use crate::client::Client;
use crate::error::{Error, ErrorKind, Result};
use crate::models::{Run, RunsQuery};
use crate::validate::{self, MAX_PAGE_SIZE};

/// Pulls every run of an agent page by page (see the module docs for how concurrent inserts
/// are handled). Made by [`crate::Agents::runs_pager`].
#[derive(Debug)]
pub struct RunPager {
    client: Client,
    id: String,
    page_size: u32,
    /// The next run to yield, counted in the positions runs had on the first page.
    next: u64,
    /// `total` on the first page: how many runs existed when paging began.
    first_total: Option<u64>,
    /// Runs added at the head since the first page, as of the latest page.
    added: u64,
    /// An argument error to report on the first call.
    invalid: Option<Error>,
    done: bool,
}

impl RunPager {
    pub(crate) fn new(client: Client, id: &str, page_size: Option<i64>) -> RunPager {
        let checked_id = validate::agent_id(id).map(str::to_owned);
        let checked_size = page_size
            .map(|s| validate::page_size("page_size", s))
            .transpose();
        let (invalid, page_size) = match (checked_id.as_ref(), checked_size) {
            (Err(e), _) => (Some(clone_error(e)), MAX_PAGE_SIZE),
            (_, Err(e)) => (Some(e), MAX_PAGE_SIZE),
            (Ok(_), Ok(size)) => (None, size.unwrap_or(MAX_PAGE_SIZE)),
        };
        RunPager {
            client,
            id: checked_id.unwrap_or_default(),
            page_size,
            next: 0,
            first_total: None,
            added: 0,
            invalid,
            done: false,
        }
    }

    /// The next page of runs, or `None` when every run has been yielded. After an error the
    /// same page is fetched again on the next call.
    pub async fn next_page(&mut self) -> Result<Option<Vec<Run>>> {
        if let Some(e) = self.invalid.take() {
            self.done = true;
            return Err(e);
        }
        if self.done {
            return Ok(None);
        }
        loop {
            let offset = self.next + self.added;
            let page = self
                .client
                .runs_page(
                    &self.id,
                    RunsQuery {
                        limit: Some(self.page_size),
                        offset: Some(offset),
                    },
                )
                .await?;
            // The pager counts positions: a server that pages otherwise than asked (ignores
            // `offset`, or sends more than `limit`) would make it yield runs twice or skip them.
            if page.offset != offset || page.runs.len() > self.page_size as usize {
                self.done = true;
                return Err(Error::new(
                    ErrorKind::ResponseValidation,
                    format!(
                        "the server answered a page of {} runs at offset {} to a request for at \
                         most {} at offset {offset}; paging through it would yield runs twice or \
                         skip them, so the pager stops",
                        page.runs.len(),
                        page.offset,
                        self.page_size
                    ),
                ));
            }
            let first_total = *self.first_total.get_or_insert(page.total);
            // Totals only grow (runs are added at the head); a smaller one is taken as no growth.
            self.added = page.total.saturating_sub(first_total).max(self.added);
            let fetched = page.runs.len() as u64;
            // Original position of the page's first run; below `next` means already yielded
            // (or, below zero, created after paging began).
            let first_original = offset as i128 - self.added as i128;
            let skip = (self.next as i128 - first_original).clamp(0, fetched as i128) as usize;
            let runs: Vec<Run> = page.runs.into_iter().skip(skip).collect();
            self.next = self
                .next
                .max((first_original + fetched as i128).max(0) as u64);
            if fetched == 0 || self.next >= first_total || offset + fetched >= page.total {
                self.done = true;
            }
            if !runs.is_empty() {
                return Ok(Some(runs));
            }
            if self.done {
                return Ok(None);
            }
            // Every run on this page was already yielded or is new: go on to the next one.
        }
    }
}

/// Errors are not `Clone` (they may hold a source); argument errors hold none.
fn clone_error(e: &Error) -> Error {
    match e.argument() {
        Some(argument) => Error::invalid_argument(argument, e.message().to_owned()),
        None => Error::new(e.kind(), e.message().to_owned()),
    }
}

/// Flattens a pager into a stream of runs; ends after the first error.
pub(crate) fn into_stream(pager: RunPager) -> impl Stream<Item = Result<Run>> + Send + 'static {
    futures::stream::unfold(
        (pager, VecDeque::<Run>::new(), false),
        |(mut pager, mut buffer, failed)| async move {
            if failed {
                return None;
            }
            loop {
                if let Some(run) = buffer.pop_front() {
                    return Some((Ok(run), (pager, buffer, false)));
                }
                match pager.next_page().await {
                    Ok(Some(runs)) => buffer.extend(runs),
                    Ok(None) => return None,
                    Err(e) => return Some((Err(e), (pager, buffer, true))),
                }
            }
        },
    )
}
