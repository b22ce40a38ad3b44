// Quickstart of the Delegir Node SDK (ESM).
//
//   npm install delegir
//   DELEGIR_API_KEY=dlg_live_... node quickstart.mjs
//
// DELEGIR_BASE_URL points it at another server, such as the emulator.
import { Delegir, DelegirError } from 'delegir';

const client = new Delegir(); // DELEGIR_API_KEY and DELEGIR_BASE_URL from the environment

try {
  // Every agent of the key's owner.
  const agents = await client.agents.list();
  console.log(`${agents.length} agents:`);
  for (const agent of agents) {
    console.log(`  ${agent.id}  ${agent.name.padEnd(24)} ${agent.status.padEnd(7)} ${agent.totalRuns} runs`);
  }

  // One agent in detail.
  const active = agents.find((a) => a.status === 'active') ?? agents[0];
  const detail = await client.agents.get(active.id);
  console.log(`\n${detail.name}: model ${detail.config.model}, temperature ${detail.config.temperature},`);
  console.log(`  channels ${detail.channels.join(', ')}, created ${detail.createdAt.toISOString()}`);

  // A chat (a billed run).
  const reply = await client.agents.chat(active.id, 'How do I reset my password?');
  console.log(`\nchat -> ${reply.response}`);
  console.log(`  run ${reply.runId}, ${reply.tokensUsed} tokens`);

  // One page of runs, then all of them, lazily.
  const page = await client.agents.runs.list(active.id, { limit: 5 });
  console.log(`\nlatest ${page.runs.length} of ${page.total} runs:`);
  for (const run of page.runs) {
    console.log(`  ${run.id}  ${run.status.padEnd(9)} ${String(run.tokensUsed).padStart(5)} tokens  $${run.cost.toFixed(4)}`);
  }
  let count = 0;
  let tokens = 0;
  for await (const run of client.agents.runs.iter(active.id)) {
    count += 1;
    tokens += run.tokensUsed;
  }
  console.log(`all ${count} runs: ${tokens} tokens`);

  // Usage of the billing period.
  const usage = await client.usage.get();
  console.log(`\nplan ${usage.plan}: ${usage.runsUsed}/${usage.runsLimit} runs, ${usage.tokensThisMonth} tokens, $${usage.costThisMonth.toFixed(2)} this month`);

  // The rate limit as of the last response.
  const limit = client.rateLimit;
  if (limit) {
    console.log(`rate limit: ${limit.remaining}/${limit.limit} left until ${limit.reset.toISOString()}`);
  }
} catch (error) {
  if (error instanceof DelegirError) {
    console.error(`Delegir API call failed: ${error.name}: ${error.message}`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
