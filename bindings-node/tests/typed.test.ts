// Type-checked with tsc --strict (CommonJS types), then run: the public types describe what
// the calls return.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import {
  Delegir,
  NotFoundError,
  RateLimitError,
  type Agent,
  type AgentDetail,
  type AgentUpdate,
  type ChatReply,
  type ClientOptions,
  type DeletedAgent,
  type RateLimit,
  type RequestOptions,
  type Run,
  type RunPage,
  type UpdatedAgent,
  type Usage,
} from 'delegir';
import { Emulator, type JournalEntry } from 'delegir/testing';

let emulator: Emulator;
let client: Delegir;

before(async () => {
  emulator = await Emulator.start({ rateLimit: 0 });
  const options: ClientOptions = { apiKey: emulator.newApiKey(), baseUrl: emulator.baseUrl, timeout: 10_000, maxRetries: 1 };
  client = new Delegir(options);
});
after(() => emulator.stop());

test('typed calls return what their types say', async () => {
  const options: RequestOptions = { timeout: 5_000 };
  const agents: Agent[] = await client.agents.list(options);
  const detail: AgentDetail = await client.agents.get(agents[0].id);
  const createdAt: Date = detail.createdAt;
  assert.ok(createdAt instanceof Date);
  const maxTokens: number | null = detail.config.maxTokens;
  assert.equal(maxTokens, 2048);
  const update: AgentUpdate = { config: { temperature: 0.2 } };
  const updated: UpdatedAgent = await client.agents.update(detail.id, update);
  assert.ok(updated.updatedAt instanceof Date);
  const reply: ChatReply = await client.agents.chat(detail.id, 'hi');
  const runId: string = reply.runId;
  const page: RunPage = await client.agents.runs.list(detail.id, { limit: 3 });
  assert.equal(page.runs[0].id, runId);
  const runs: Run[] = [];
  for await (const run of client.agents.runs.iter(detail.id, { pageSize: 100 })) runs.push(run);
  assert.equal(runs.length, page.total);
  const usage: Usage = await client.usage.get();
  assert.ok(usage.billingPeriodStart instanceof Date);
  const limit: RateLimit | null = client.rateLimit;
  assert.ok(limit === null || limit.reset instanceof Date);
  const deleted: DeletedAgent = await client.agents.delete('agt_def456');
  assert.equal(deleted.deleted, true);
  const journal: JournalEntry[] = emulator.journal();
  assert.ok(journal.length > 0);
});

test('errors narrow with instanceof', async () => {
  try {
    await client.agents.get('agt_missing');
    assert.fail('expected NotFoundError');
  } catch (error) {
    if (error instanceof NotFoundError) {
      const status: number = error.status;
      assert.equal(status, 404);
    } else if (error instanceof RateLimitError) {
      const retryAfter: number | null = error.retryAfter;
      assert.fail(`unexpected 429 (${retryAfter})`);
    } else {
      throw error;
    }
  }
});
