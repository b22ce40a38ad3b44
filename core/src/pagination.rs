//! Paging through every run of an agent.
//!
//! The API lists runs newest first with `limit`/`offset`. While we page, new runs may be
//! created at the head, which shifts every later run down: a naive pager would see the runs at
//! the page boundary twice. Each page reports `total`; when it has grown by `d` since the page
//! before, exactly `d` runs were added at the head (runs are never deleted one by one), so the
//! next offset moves `d` further and the `d` runs that slid onto this page from the previous
//! one are skipped by id. Runs created after paging started are not yielded: the pager lists
//! the runs that existed when it began, each exactly once.

use std::collections::{HashSet, VecDeque};

use futures::Stream;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::models::{Run, RunsQuery};
use crate::validate::{self, MAX_PAGE_SIZE};

/// Pulls every run of an agent page by page (see the module docs for how concurrent inserts
/// are handled). Made by [`crate::Agents::runs_pager`].
#[derive(Debug)]
pub struct RunPager {
    client: Client,
    id: String,
    page_size: u32,
    /// Where the next page starts.
    offset: u64,
    /// `total` seen on the previous page.
    last_total: Option<u64>,
    /// Ids of the previous page, to drop runs that slid down onto the next one.
    previous_ids: HashSet<String>,
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
            offset: 0,
            last_total: None,
            previous_ids: HashSet::new(),
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
        let page = self
            .client
            .runs_page(
                &self.id,
                RunsQuery {
                    limit: Some(self.page_size),
                    offset: Some(self.offset),
                },
            )
            .await?;
        let fetched = page.runs.len() as u64;
        let inserted = match self.last_total {
            Some(before) => page.total.saturating_sub(before),
            None => 0,
        };
        let runs: Vec<Run> = page
            .runs
            .into_iter()
            .filter(|run| !self.previous_ids.contains(&run.id))
            .collect();
        self.previous_ids = runs.iter().map(|r| r.id.clone()).collect();
        self.offset += fetched + inserted;
        self.last_total = Some(page.total);
        if fetched == 0 || self.offset >= page.total {
            self.done = true;
        }
        Ok(Some(runs))
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
