// Pages of runs cross from the addon as columns (bindings-js/src/run_columns.rs -> models.ts),
// not JSON: the runs must come out exactly as JSON.parse of the body would make them (renamed
// keys, Dates), whatever their strings hold, with unknown fields kept.
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

// The SDK's milliseconds of the timestamps below that JavaScript's Date.parse reads otherwise
// (it rounds a fraction below the millisecond down; the SDK truncates towards 1970).
const SUB_MILLISECOND = {
  '1969-12-31T23:59:59.9995Z': 0,
  '0001-01-01T00:00:00.0005Z': -62135596799999,
  '9999-12-31T23:59:59.999999999Z': 253402300799999,
};

// What a hand-written client makes of the body: JSON.parse, then the SDK's names and Dates.
function expected(run) {
  const { id, status, tokens_used, cost, duration_ms, created_at, ...extra } = run;
  return {
    id,
    status,
    tokensUsed: tokens_used,
    cost,
    durationMs: duration_ms,
    createdAt: new Date(SUB_MILLISECOND[created_at] ?? Date.parse(created_at)),
    ...extra,
  };
}

// The next runs page of `apiKey` is `text`, byte for byte (the `html` fault sends its body as
// given: numbers beyond a double's precision and `__proto__` keys reach the SDK as written).
function answerOnce(apiKey, text) {
  emulator.addFault({
    method: 'GET',
    path: '/agents/agt_abc123/runs',
    apiKey,
    count: 1,
    fault: { kind: 'html', status: 200, body: text },
  });
}

// Strings outside ASCII (their UTF-16 lengths differ from their UTF-8 ones) before ASCII ones,
// numbers that JSON.parse rounds, fractional and pre-1970 timestamps, unknown fields including
// one named `__proto__` (JSON.parse makes it a plain field; so must the SDK).
const RUNS_TEXT = `[
  {"id": "run_é☃😀", "status": "réussi ✓", "tokens_used": 9007199254740993, "cost": 0.1,
   "duration_ms": 0, "created_at": "2026-03-15T08:30:00.123Z", "tags": ["a", "ü"],
   "__proto__": {"polluted": true}},
  {"id": "run_ascii", "status": "completed", "tokens_used": 18446744073709551615,
   "cost": 1e-300, "duration_ms": 4294967296, "created_at": "1969-12-31T23:59:59.250Z"},
  {"id": "", "status": "", "tokens_used": 0, "cost": 0, "duration_ms": 1,
   "created_at": "2026-03-15T08:30:00+02:00", "note": null},
  {"id": "r4", "status": "s", "tokens_used": 1, "cost": 2, "duration_ms": 3,
   "created_at": "1969-12-31T23:59:59.9995Z"},
  {"id": "r5", "status": "s", "tokens_used": 1, "cost": 2, "duration_ms": 3,
   "created_at": "0001-01-01T00:00:00.0005Z"},
  {"id": "r6", "status": "s", "tokens_used": 1, "cost": 2, "duration_ms": 3,
   "created_at": "9999-12-31T23:59:59.999999999Z"}
]`;

test('a page with non-ASCII strings, rounded numbers and unknown fields', async () => {
  const { apiKey, client } = fresh();
  const runs = JSON.parse(RUNS_TEXT);
  answerOnce(apiKey, `{"data": {"runs": ${RUNS_TEXT}, "total": 6, "limit": 100, "offset": 0,
    "cursor": "c1", "__proto__": {"also": 1}}}`);
  const page = await client.agents.runs.list('agt_abc123');
  assert.deepEqual(page.runs, runs.map(expected));
  assert.equal(page.runs[0].tokensUsed, 9007199254740992);
  assert.equal(page.runs[1].tokensUsed, 18446744073709551615);
  assert.equal(page.runs[1].createdAt.getTime(), -750);
  assert.equal(page.runs[3].createdAt.getTime(), 0);
  // The known fields in the SDK's order, then the unknown ones (in the core's order: sorted).
  assert.deepEqual(Object.keys(page.runs[0]), [
    'id', 'status', 'tokensUsed', 'cost', 'durationMs', 'createdAt', '__proto__', 'tags',
  ]);
  assert.equal(Object.getPrototypeOf(page.runs[0]), Object.prototype);
  assert.deepEqual(page.runs[0].__proto__, { polluted: true });
  assert.equal(page.runs[0].polluted, undefined);
  assert.equal(page.runs[2].note, null);
  assert.deepEqual(Object.keys(page), ['runs', 'total', 'limit', 'offset', '__proto__', 'cursor']);
  assert.equal(Object.getPrototypeOf(page), Object.prototype);
  assert.deepEqual([page.total, page.limit, page.offset, page.cursor], [6, 100, 0, 'c1']);
});

test('the pager reads the same columns, unknown fields included', async () => {
  const { apiKey, client } = fresh();
  const runs = JSON.parse(RUNS_TEXT);
  answerOnce(apiKey, `{"data": {"runs": ${RUNS_TEXT}, "total": 6, "limit": 10, "offset": 0}}`);
  const seen = [];
  for await (const run of client.agents.runs.iter('agt_abc123', { pageSize: 10 })) seen.push(run);
  assert.deepEqual(seen, runs.map(expected));
});

test('a full page of 100 runs equals JSON.parse of the body', async () => {
  const { apiKey, client } = fresh();
  const page = await client.agents.runs.list('agt_abc123', { limit: 100, offset: 7 });
  const response = await fetch(`${emulator.baseUrl}/agents/agt_abc123/runs?limit=100&offset=7`, {
    headers: { 'x-api-key': apiKey },
  });
  const { data } = await response.json();
  assert.equal(page.runs.length, 100);
  assert.deepEqual(page, {
    runs: data.runs.map(expected),
    total: data.total,
    limit: data.limit,
    offset: data.offset,
  });
});

test('an empty page, and a pager page without runs', async () => {
  const { apiKey, client } = fresh();
  const page = await client.agents.runs.list('agt_abc123', { limit: 5, offset: 5000 });
  assert.deepEqual(page, { runs: [], total: 1284, limit: 5, offset: 5000 });
  answerOnce(apiKey, '{"data": {"runs": [], "total": 0, "limit": 10, "offset": 0, "note": "none"}}');
  const seen = [];
  for await (const run of client.agents.runs.iter('agt_abc123', { pageSize: 10 })) seen.push(run);
  assert.deepEqual(seen, []);
});
