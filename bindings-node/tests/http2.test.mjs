// HTTP/2 with prior knowledge: many calls of one client multiplexed on one connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Delegir, APIConnectionError } from 'delegir';
import { Emulator } from 'delegir/testing';

async function withEmulator(body) {
  const emulator = await Emulator.start({ rateLimit: 0 });
  try {
    await body(emulator);
  } finally {
    await emulator.stop();
  }
}

test('concurrent calls arrive as HTTP/2 and all succeed', () =>
  withEmulator(async (emulator) => {
    const client = new Delegir({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl, http2PriorKnowledge: true });
    // Held in flight together by the delay: 100 streams on the connection at once.
    emulator.addFault({ method: 'GET', path: '/agents/agt_abc123', count: 100, fault: { kind: 'delay', ms: 200 } });
    const agents = await Promise.all(Array.from({ length: 100 }, () => client.agents.get('agt_abc123')));
    assert.deepEqual(new Set(agents.map((a) => a.id)), new Set(['agt_abc123']));
    const journal = emulator.journal();
    assert.equal(journal.length, 100);
    assert.deepEqual(new Set(journal.map((e) => e.httpVersion)), new Set(['HTTP/2.0']));
  }));

test('the default is HTTP/1.1', () =>
  withEmulator(async (emulator) => {
    const client = new Delegir({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl });
    await client.usage.get();
    assert.equal(emulator.journal()[0].httpVersion, 'HTTP/1.1');
  }));

test('a chat is not resent when its HTTP/2 connection is reset', () =>
  withEmulator(async (emulator) => {
    const client = new Delegir({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl, http2PriorKnowledge: true });
    emulator.addFault({ method: 'POST', path: '/agents/agt_abc123/chat', fault: { kind: 'reset_before' } });
    await assert.rejects(client.agents.chat('agt_abc123', 'hello'), (e) => {
      assert.ok(e instanceof APIConnectionError);
      assert.equal(e.mayHaveReachedServer, true);
      return true;
    });
    assert.equal(emulator.journal().filter((e) => e.method === 'POST').length, 1);
    // The client reconnects for the next call.
    assert.equal((await client.usage.get()).plan, 'PRO');
  }));
