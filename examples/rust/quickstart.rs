//! Quickstart: list agents, get one, chat, page through its runs, read usage and the rate limit.
//!
//! ```sh
//! export DELEGIR_API_KEY=dlg_live_...            # or a dlg_test_... key for the emulator
//! export DELEGIR_BASE_URL=http://127.0.0.1:4010/api/v1   # optional: the emulator
//! cargo run -p delegir --example quickstart
//! ```

use std::process::ExitCode;

use futures::TryStreamExt;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error ({:?}): {e}", e.kind());
            ExitCode::FAILURE
        }
    }
}

async fn run() -> delegir::Result<()> {
    let client = delegir::Client::from_env()?;
    println!("Delegir at {}", client.config().base_url());

    let agents = client.agents().list().await?;
    println!("\n{} agents:", agents.len());
    for agent in &agents {
        println!(
            "  {:<12} {:<26} {:<7} {:>5} runs  template: {}",
            agent.id,
            agent.name,
            agent.status.as_str(),
            agent.total_runs,
            agent.template.as_deref().unwrap_or("-"),
        );
    }
    let Some(first) = agents
        .iter()
        .find(|a| a.status == delegir::AgentStatus::Active)
    else {
        println!("no active agent to chat with");
        return Ok(());
    };

    let detail = client.agents().get(&first.id).await?;
    println!(
        "\n{}: model {}, temperature {}, channels {}",
        detail.agent.name,
        detail.config.model.as_deref().unwrap_or("?"),
        detail
            .config
            .temperature
            .map_or("?".to_owned(), |t| t.to_string()),
        detail.channels.join(", "),
    );

    let question = "How do I reset my password?";
    let reply = client.agents().chat(&first.id, question).await?;
    println!("\n> {question}\n{}", reply.response);
    println!("(run {}, {} tokens)", reply.run_id, reply.tokens_used);

    let runs: Vec<delegir::Run> = client.agents().runs_stream(&first.id).try_collect().await?;
    let tokens: u64 = runs.iter().map(|r| r.tokens_used).sum();
    println!(
        "\n{} runs of {} (paged 100 at a time), {tokens} tokens in all; newest {}",
        runs.len(),
        first.id,
        runs.first().map_or("-", |r| r.id.as_str()),
    );

    let usage = client.usage().get().await?;
    println!(
        "\nusage ({} plan): {} of {} runs, {} tokens, ${:.2} this month",
        usage.plan,
        usage.runs_used,
        usage.runs_limit,
        usage.tokens_this_month,
        usage.cost_this_month,
    );
    match client.rate_limit() {
        Some(rl) => println!(
            "rate limit: {} of {} requests left, window resets at {} (epoch seconds)",
            rl.remaining, rl.limit, rl.reset
        ),
        None => println!("rate limit: not reported by the server"),
    }
    Ok(())
}
