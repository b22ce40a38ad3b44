// Type-checked with tsc --strict through the ESM ("import") types of the package, then run.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Delegir, APIUserAbortError, type Agent } from 'delegir';
import { Emulator, type FaultRule } from 'delegir/testing';

test('the ESM types resolve and describe the API', async () => {
  const emulator = await Emulator.start({ rateLimit: 0 });
  try {
    const client = new Delegir({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl });
    const agents: Agent[] = await client.agents.list({ signal: new AbortController().signal });
    assert.equal(agents.length, 2);
    const rule: FaultRule = { method: 'GET', path: '/usage', fault: { kind: 'delay', ms: 2000 } };
    emulator.addFault(rule);
    await assert.rejects(client.usage.get({ signal: AbortSignal.timeout(50) }), APIUserAbortError);
  } finally {
    await emulator.stop();
  }
});
