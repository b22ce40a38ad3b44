// Quickstart of the Delegir Node SDK (TypeScript).
//
//   npm install delegir
//   npm install -D typescript @types/node
//   npx tsc --strict --target ES2022 --module node16 --moduleResolution node16 --types node quickstart.ts
//   DELEGIR_API_KEY=dlg_live_... node quickstart.js
//
// DELEGIR_BASE_URL points it at another server, such as the emulator.
import { Delegir, APIStatusError, type Agent, type AgentDetail, type Run, type RunPage } from 'delegir';

async function main(): Promise<void> {
  const client = new Delegir({ timeout: 30_000, maxRetries: 2 });

  // Every agent of the key's owner.
  const agents: Agent[] = await client.agents.list();
  console.log(`${agents.length} agents:`);
  for (const agent of agents) {
    console.log(`  ${agent.id}  ${agent.name.padEnd(24)} ${agent.status.padEnd(7)} ${agent.totalRuns} runs`);
  }

  // One agent in detail.
  const active: Agent = agents.find((a) => a.status === 'active') ?? agents[0];
  const detail: AgentDetail = await client.agents.get(active.id);
  console.log(`\n${detail.name}: model ${detail.config.model ?? '(default)'}, channels ${detail.channels.join(', ')}`);

  // A chat, with its own deadline: abort it if it takes longer than 10 s.
  const reply = await client.agents.chat(active.id, 'How do I reset my password?', {
    signal: AbortSignal.timeout(10_000),
  });
  console.log(`\nchat -> ${reply.response}\n  run ${reply.runId}, ${reply.tokensUsed} tokens`);

  // One page of runs, then every run, lazily.
  const page: RunPage = await client.agents.runs.list(active.id, { limit: 5, offset: 0 });
  console.log(`\nlatest ${page.runs.length} of ${page.total} runs`);
  const newest: Run | undefined = page.runs[0];
  if (newest) console.log(`  newest: ${newest.id} at ${newest.createdAt.toISOString()}`);
  let count = 0;
  for await (const run of client.agents.runs.iter(active.id, { pageSize: 100 })) {
    if (run.status === 'completed') count += 1;
  }
  console.log(`  ${count} completed runs in all`);

  // Usage and the rate limit.
  const usage = await client.usage.get();
  console.log(`\nplan ${usage.plan}: ${usage.runsUsed}/${usage.runsLimit} runs until ${usage.billingPeriodEnd.toDateString()}`);
  const limit = client.rateLimit;
  console.log(limit ? `rate limit: ${limit.remaining}/${limit.limit} left` : 'no rate-limit headers seen');

  // Errors are classes: branch with instanceof.
  try {
    await client.agents.get('agt_does_not_exist');
  } catch (error) {
    if (error instanceof APIStatusError) console.log(`\nexpected: ${error.status} ${error.message}`);
    else throw error;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
