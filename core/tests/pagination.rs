//! Paging through every run, including while chats add new runs at the head.

mod common;

use std::collections::HashSet;

use common::{ACTIVE, PAUSED, client, emulator, journal};
use delegir::Run;
use futures::TryStreamExt;

fn assert_unique(runs: &[Run]) {
    let ids: HashSet<&str> = runs.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), runs.len(), "no duplicates");
}

#[tokio::test]
async fn runs_stream_yields_all_1284_runs_newest_first_in_pages_of_100() {
    let emu = emulator().await;
    let runs: Vec<Run> = client(&emu)
        .agents()
        .runs_stream(ACTIVE)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(runs.len(), 1284);
    assert_unique(&runs);
    assert_eq!(runs[0].id, "run_xyz789");
    assert!(runs.windows(2).all(|w| w[0].created_at >= w[1].created_at));
    let pages = journal(&emu);
    assert_eq!(pages.len(), 13, "ceil(1284 / 100) pages");
    assert!(
        pages
            .iter()
            .all(|p| p.query.as_deref().unwrap().starts_with("limit=100&"))
    );
}

#[tokio::test]
async fn the_pager_yields_every_run_once_with_a_custom_page_size() {
    let emu = emulator().await;
    let mut pager = client(&emu).agents().runs_pager(PAUSED, Some(7));
    let mut runs = Vec::new();
    while let Some(page) = pager.next_page().await.unwrap() {
        assert!(page.len() <= 7);
        runs.extend(page);
    }
    assert_eq!(runs.len(), 320);
    assert_unique(&runs);
    assert!(pager.next_page().await.unwrap().is_none());
}

/// Pages through `agt_abc123` with pages of `page_size`, making `chats_after(page)` chats after
/// each page, and checks that exactly the runs that existed at the start came out, in order.
async fn page_while_chatting(page_size: i64, chats_after: impl Fn(usize) -> usize) {
    // Rate limiting off: these tests make more than 60 requests.
    let emu = common::emulator_with(delegir_emulator::EmulatorOptions {
        rate_limit: 0,
        ..Default::default()
    })
    .await;
    let client = client(&emu);
    let before: Vec<Run> = client
        .agents()
        .runs_stream(ACTIVE)
        .try_collect()
        .await
        .unwrap();
    let mut pager = client.agents().runs_pager(ACTIVE, Some(page_size));
    let mut runs = Vec::new();
    let mut page = 0;
    while let Some(batch) = pager.next_page().await.unwrap() {
        runs.extend(batch);
        page += 1;
        for _ in 0..chats_after(page) {
            client.agents().chat(ACTIVE, "new run").await.unwrap();
        }
    }
    assert_unique(&runs);
    let ids: Vec<&str> = runs.iter().map(|r| r.id.as_str()).collect();
    let expected: Vec<&str> = before.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), 1284, "every run that existed when paging began");
    assert_eq!(ids, expected, "in order, no gaps");
}

#[tokio::test]
async fn paging_after_runs_were_added_once_at_the_head_has_no_duplicates_and_no_gaps() {
    page_while_chatting(100, |page| if page == 1 { 3 } else { 0 }).await;
}

#[tokio::test]
async fn paging_while_chats_keep_adding_runs_at_the_head_has_no_duplicates_and_no_gaps() {
    page_while_chatting(100, |page| page.min(3)).await;
}

#[tokio::test]
async fn paging_when_more_runs_than_a_page_arrive_between_pages_has_no_duplicates_and_no_gaps() {
    page_while_chatting(10, |page| if page % 5 == 1 { 12 } else { 0 }).await;
}

#[tokio::test]
async fn paging_stops_at_the_total_without_an_extra_request() {
    let emu = emulator().await;
    let client = client(&emu);
    let mut pager = client.agents().runs_pager(PAUSED, Some(100));
    let mut pages = 0;
    while pager.next_page().await.unwrap().is_some() {
        pages += 1;
    }
    assert_eq!(pages, 4);
    assert_eq!(journal(&emu).len(), 4);
}

#[tokio::test]
async fn a_failed_page_is_fetched_again_on_the_next_call() {
    let emu = emulator().await;
    let client = common::builder(&emu).max_retries(0).build().unwrap();
    let mut pager = client.agents().runs_pager(PAUSED, Some(100));
    let first = pager.next_page().await.unwrap().unwrap();
    common::fault(
        &emu,
        "GET",
        "/agents/agt_def456/runs",
        1,
        // (Not a reset before the response: on the pager's kept-alive connection that could be
        // a keep-alive close, and a GET is then sent again on a fresh connection.)
        delegir_emulator::Fault::ResetMidBody,
    );
    assert!(pager.next_page().await.is_err());
    let mut runs = first;
    while let Some(page) = pager.next_page().await.unwrap() {
        runs.extend(page);
    }
    assert_eq!(runs.len(), 320);
    assert_unique(&runs);
}
