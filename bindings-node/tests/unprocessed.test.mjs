// A request the server provably did not process (an HTTP/2 stream it refused) is sent again on a
// fresh connection for every method, without using the caller's retries (issue 15, defect 5).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { Delegir } from 'delegir';
import { Emulator } from 'delegir/testing';

let emulator;

before(async () => {
  emulator = await Emulator.start({ rateLimit: 0 });
});
after(() => emulator.stop());

test('a refused chat and a refused GET are sent again with maxRetries 0', async () => {
  const apiKey = emulator.newApiKey();
  const client = new Delegir({
    apiKey,
    baseUrl: emulator.baseUrl,
    http2PriorKnowledge: true,
    maxRetries: 0,
  });
  await client.usage.get();
  emulator.addFault({ method: 'POST', path: '/agents/agt_abc123/chat', apiKey, fault: { kind: 'refuse_stream' } });
  emulator.addFault({ method: 'GET', path: '/usage', apiKey, fault: { kind: 'refuse_stream' } });
  const reply = await client.agents.chat('agt_abc123', 'hello');
  assert.match(reply.runId, /^run_/);
  await client.usage.get();
  const detail = await client.agents.get('agt_abc123');
  assert.equal(detail.totalRuns, 1285, 'exactly one run was created');
  const outcomes = emulator.journal(apiKey).map((e) => `${e.method} ${e.outcome}`);
  assert.deepEqual(outcomes.slice(0, 5), [
    'GET ok',
    'POST fault:refuse_stream',
    'POST ok',
    'GET fault:refuse_stream',
    'GET ok',
  ]);
});
