// Every method of the client against the emulator, through the ESM entry point.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { Delegir } from 'delegir';
import { Emulator } from 'delegir/testing';

let emulator;
let client;

before(async () => {
  emulator = await Emulator.start({ rateLimit: 0 });
  client = new Delegir({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl });
});
after(() => emulator.stop());

test('agents.list returns camelCase agents with Date timestamps', async () => {
  const agents = await client.agents.list();
  assert.equal(agents.length, 2);
  const [support, sales] = agents;
  assert.equal(support.id, 'agt_abc123');
  assert.equal(support.name, 'Customer Support Agent');
  assert.equal(support.status, 'active');
  assert.equal(support.safetyMode, true);
  assert.equal(support.template, 'customer-support');
  assert.equal(typeof support.totalRuns, 'number');
  assert.ok(support.createdAt instanceof Date);
  assert.equal(support.createdAt.toISOString(), '2026-01-10T14:00:00.000Z');
  assert.ok(support.lastActive instanceof Date);
  assert.equal(sales.status, 'paused');
  assert.equal(sales.template, null);
  assert.equal(sales.safetyMode, false);
});

test('agents.get returns the agent with its config and channels', async () => {
  const agent = await client.agents.get('agt_abc123');
  assert.equal(agent.id, 'agt_abc123');
  assert.ok(agent.createdAt instanceof Date);
  assert.equal(agent.config.model, 'claude-sonnet-4-5-20250514');
  assert.equal(typeof agent.config.systemPrompt, 'string');
  assert.equal(agent.config.temperature, 0.7);
  assert.equal(agent.config.maxTokens, 2048);
  assert.deepEqual(agent.channels, ['webchat', 'email']);
});

test('agents.update sends only the given fields and returns the updated agent', async () => {
  const key = emulator.newApiKey();
  const own = new Delegir({ apiKey: key, baseUrl: emulator.baseUrl });
  const updated = await own.agents.update('agt_abc123', {
    name: 'Updated Support Agent',
    config: { temperature: 0.5, maxTokens: 4096 },
  });
  assert.equal(updated.id, 'agt_abc123');
  assert.equal(updated.name, 'Updated Support Agent');
  assert.equal(updated.status, 'active');
  assert.ok(updated.updatedAt instanceof Date);
  const [put] = emulator.journal(key);
  assert.equal(put.method, 'PUT');
  assert.deepEqual(JSON.parse(put.body), {
    name: 'Updated Support Agent',
    config: { temperature: 0.5, max_tokens: 4096 },
  });
  const detail = await own.agents.get('agt_abc123');
  assert.equal(detail.name, 'Updated Support Agent');
  assert.equal(detail.config.temperature, 0.5);
  assert.equal(detail.config.maxTokens, 4096);
});

test('agents.update can pause an agent', async () => {
  const own = new Delegir({ apiKey: emulator.newApiKey(), baseUrl: emulator.baseUrl });
  const updated = await own.agents.update('agt_abc123', { status: 'paused' });
  assert.equal(updated.status, 'paused');
});

test('agents.delete deletes the agent', async () => {
  const own = new Delegir({ apiKey: emulator.newApiKey(), baseUrl: emulator.baseUrl });
  const deleted = await own.agents.delete('agt_def456');
  assert.deepEqual({ ...deleted }, { deleted: true, id: 'agt_def456' });
  const agents = await own.agents.list();
  assert.deepEqual(agents.map((a) => a.id), ['agt_abc123']);
});

test('agents.chat returns the reply and creates a run', async () => {
  const own = new Delegir({ apiKey: emulator.newApiKey(), baseUrl: emulator.baseUrl });
  const before = (await own.agents.runs.list('agt_abc123', { limit: 1 })).total;
  const reply = await own.agents.chat('agt_abc123', 'How do I reset my password?');
  assert.equal(typeof reply.response, 'string');
  assert.ok(reply.response.length > 0);
  assert.match(reply.runId, /^run_/);
  assert.equal(typeof reply.tokensUsed, 'number');
  const page = await own.agents.runs.list('agt_abc123', { limit: 1 });
  assert.equal(page.total, before + 1);
  assert.equal(page.runs[0].id, reply.runId);
});

test('agents.runs.list returns one page with limit and offset applied', async () => {
  const page = await client.agents.runs.list('agt_abc123', { limit: 10, offset: 5 });
  assert.equal(page.runs.length, 10);
  assert.equal(page.limit, 10);
  assert.equal(page.offset, 5);
  assert.equal(page.total, 1284);
  const run = page.runs[0];
  assert.match(run.id, /^run_/);
  assert.equal(typeof run.status, 'string');
  assert.equal(typeof run.tokensUsed, 'number');
  assert.equal(typeof run.cost, 'number');
  assert.equal(typeof run.durationMs, 'number');
  assert.ok(run.createdAt instanceof Date);
  const entries = emulator.journal(emulator.apiKey).filter((e) => e.path.endsWith('/runs'));
  assert.equal(entries.at(-1).query, 'limit=10&offset=5');
});

test('agents.runs.list without parameters uses the server defaults', async () => {
  const page = await client.agents.runs.list('agt_abc123');
  assert.equal(page.limit, 20);
  assert.equal(page.offset, 0);
  assert.equal(page.runs.length, 20);
});

test('usage.get returns usage with Date billing period', async () => {
  const usage = await client.usage.get();
  assert.equal(usage.plan, 'PRO');
  assert.equal(typeof usage.runsUsed, 'number');
  assert.equal(typeof usage.runsLimit, 'number');
  assert.equal(typeof usage.tokensThisMonth, 'number');
  assert.equal(typeof usage.costThisMonth, 'number');
  assert.ok(usage.billingPeriodStart instanceof Date);
  assert.ok(usage.billingPeriodEnd instanceof Date);
  assert.ok(usage.billingPeriodEnd > usage.billingPeriodStart);
});

test('rateLimit is null before the first response and reflects the last response after', async () => {
  const limited = await Emulator.start({ rateLimit: 60 });
  try {
    const own = new Delegir({ apiKey: limited.apiKey, baseUrl: limited.baseUrl });
    assert.equal(own.rateLimit, null);
    await own.agents.list();
    const first = own.rateLimit;
    assert.equal(first.limit, 60);
    assert.equal(first.remaining, 59);
    assert.ok(first.reset instanceof Date);
    await own.usage.get();
    assert.equal(own.rateLimit.remaining, 58);
  } finally {
    await limited.stop();
  }
});

test('fields the SDK does not know are kept', async () => {
  const own = new Delegir({ apiKey: emulator.newApiKey(), baseUrl: emulator.baseUrl });
  emulator.addFault({
    method: 'GET',
    path: '/usage',
    fault: {
      kind: 'status',
      status: 200,
      body: {
        data: {
          plan: 'PRO',
          runs_used: 1,
          runs_limit: 2,
          tokens_this_month: 3,
          cost_this_month: 4.5,
          billing_period_start: '2026-03-01T00:00:00Z',
          billing_period_end: '2026-03-31T23:59:59Z',
          seats: 5,
          region: { name: 'eu' },
        },
      },
    },
  });
  const usage = await own.usage.get();
  assert.equal(usage.runsUsed, 1);
  assert.equal(usage.seats, 5);
  assert.deepEqual(usage.region, { name: 'eu' });
});

test('per-call options are accepted by every method', async () => {
  const options = { timeout: 5_000, maxRetries: 0, signal: new AbortController().signal };
  await client.agents.list(options);
  await client.agents.get('agt_abc123', options);
  await client.agents.runs.list('agt_abc123', { limit: 1 }, options);
  await client.usage.get(options);
  let n = 0;
  for await (const _run of client.agents.runs.iter('agt_abc123', { pageSize: 100 }, options)) n += 1;
  assert.equal(n, 1284);
});

test('concurrent calls on one client all succeed', async () => {
  const results = await Promise.all(Array.from({ length: 50 }, () => client.agents.get('agt_abc123')));
  assert.equal(results.length, 50);
  assert.ok(results.every((a) => a.id === 'agt_abc123'));
});
