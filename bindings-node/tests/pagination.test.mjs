// agents.runs.iter: lazy, complete, no duplicates, one request per page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { Delegir } from 'delegir';
import { Emulator } from 'delegir/testing';

let emulator;

before(async () => {
  emulator = await Emulator.start({ rateLimit: 0 });
});
after(() => emulator.stop());

function fresh() {
  const apiKey = emulator.newApiKey();
  return { apiKey, client: new Delegir({ apiKey, baseUrl: emulator.baseUrl }) };
}

test('iter yields all 1,284 runs newest first with no duplicates, in pages of 100', async () => {
  const { apiKey, client } = fresh();
  const ids = [];
  let previous = null;
  for await (const run of client.agents.runs.iter('agt_abc123')) {
    ids.push(run.id);
    assert.ok(run.createdAt instanceof Date);
    if (previous) assert.ok(run.createdAt <= previous, 'newest first');
    previous = run.createdAt;
  }
  assert.equal(ids.length, 1284);
  assert.equal(new Set(ids).size, 1284);
  const requests = emulator.journal(apiKey);
  assert.equal(requests.length, 13); // ceil(1284 / 100)
  assert.ok(requests.every((e) => e.query.startsWith('limit=100&')));
});

test('iter with pageSize pages accordingly', async () => {
  const { apiKey, client } = fresh();
  let n = 0;
  for await (const _run of client.agents.runs.iter('agt_def456', { pageSize: 50 })) n += 1;
  assert.equal(n, 320);
  assert.equal(emulator.journal(apiKey).length, 7); // ceil(320 / 50)
});

test('iter is lazy: breaking out early stops fetching', async () => {
  const { apiKey, client } = fresh();
  let n = 0;
  for await (const _run of client.agents.runs.iter('agt_abc123', { pageSize: 10 })) {
    n += 1;
    if (n === 15) break;
  }
  assert.equal(emulator.journal(apiKey).length, 2);
});

test('runs created while iterating are not yielded and none is yielded twice', async () => {
  const { client } = fresh();
  const ids = [];
  let chats = 0;
  for await (const run of client.agents.runs.iter('agt_abc123', { pageSize: 100 })) {
    ids.push(run.id);
    if (ids.length % 100 === 50 && chats < 3) {
      chats += 1;
      await client.agents.chat('agt_abc123', `inserted while paging ${chats}`);
    }
  }
  assert.equal(chats, 3);
  assert.equal(ids.length, 1284);
  assert.equal(new Set(ids).size, 1284);
});

test('iter with a bad page size rejects with RangeError on the first step and sends nothing', async () => {
  const { apiKey, client } = fresh();
  await assert.rejects(async () => {
    for await (const _run of client.agents.runs.iter('agt_abc123', { pageSize: 0 })) {
      // never reached
    }
  }, RangeError);
  assert.equal(emulator.journal(apiKey).length, 0);
});

test('two iterators over the same agent are independent', async () => {
  const { client } = fresh();
  const a = client.agents.runs.iter('agt_def456', { pageSize: 100 });
  const b = client.agents.runs.iter('agt_def456', { pageSize: 100 });
  const first = await a.next();
  const second = await b.next();
  assert.equal(first.value.id, second.value.id);
});
