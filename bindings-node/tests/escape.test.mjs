// Escape hatches against the emulator: extra headers/query/body per call and defaults per client
// (checked in the journal), reserved headers refused before sending, the overall deadline, errors
// that carry their response, raw responses, option views and unknown options refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import DefaultDelegir, { Delegir, APITimeoutError, BadRequestError, NotFoundError } from 'delegir';
import { Emulator } from 'delegir/testing';

const AGENT = 'agt_abc123';

async function withEmulator(options, body) {
  const emulator = await Emulator.start(options);
  try {
    await body(emulator);
  } finally {
    emulator.stop();
  }
}

function clientOf(emulator, options = {}) {
  return new Delegir({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl, ...options });
}

test('the default export is the Delegir class', () => {
  assert.equal(DefaultDelegir, Delegir);
});

test('extra headers, query and body fields reach the server', () =>
  withEmulator({ rateLimit: 0 }, async (emulator) => {
    const client = clientOf(emulator);
    const error = await client.agents
      .chat(AGENT, 'hello', {
        headers: { 'X-Trace-Id': 'trace-1' },
        query: { beta: true },
        body: { priority: 'high' },
      })
      .catch((e) => e);
    // The emulator knows no `priority` field and says so: proof that it arrived.
    assert.ok(error instanceof BadRequestError, String(error));
    assert.match(error.message, /priority/);
    const sent = emulator.journal().at(-1);
    assert.equal(sent.headers['x-trace-id'], 'trace-1');
    assert.equal(sent.query, 'beta=true');
    assert.deepEqual(JSON.parse(sent.body), { message: 'hello', priority: 'high' });
  }));

test('default headers and query go with every call and a call overrides them', () =>
  withEmulator({ rateLimit: 0 }, async (emulator) => {
    const client = clientOf(emulator, { defaultHeaders: { 'X-Team': 'support' }, defaultQuery: { region: 'eu' } });
    await client.usage.get();
    await client.usage.get({ headers: { 'x-team': 'billing' } });
    const [first, second] = emulator.journal().slice(-2);
    assert.equal(first.headers['x-team'], 'support');
    assert.equal(first.query, 'region=eu');
    assert.equal(second.headers['x-team'], 'billing');
    assert.equal(second.query, 'region=eu');
  }));

test('reserved or malformed headers are refused before anything is sent', () =>
  withEmulator({ rateLimit: 0 }, async (emulator) => {
    const client = clientOf(emulator);
    for (const [name, value] of [
      ['X-API-Key', 'other'],
      ['Host', 'evil'],
      ['Transfer-Encoding', 'chunked'],
      ['X-Ok', 'a\r\nX-Evil: 1'],
    ]) {
      await assert.rejects(client.usage.get({ headers: { [name]: value } }), TypeError, name);
      assert.throws(() => clientOf(emulator, { defaultHeaders: { [name]: value } }), TypeError, name);
    }
    assert.equal(emulator.journal().length, 0);
  }));

test('unknown client or request options are a TypeError naming the key and the known ones', () =>
  withEmulator({ rateLimit: 0 }, async (emulator) => {
    assert.throws(() => clientOf(emulator, { httpAgent: {} }), /unknown key "httpAgent"; the known keys are apiKey/);
    const client = clientOf(emulator);
    await assert.rejects(client.usage.get({ timeoutMs: 5 }), /unknown key "timeoutMs".*totalTimeout/);
    assert.throws(() => client.withOptions({ fetch: () => {} }), /unknown key "fetch"/);
    assert.equal(emulator.journal().length, 0);
  }));

test('totalTimeout bounds a rate-limit wait and the ledger place is released', () =>
  withEmulator({ rateLimit: 1, rateWindow: 30_000 }, async (emulator) => {
    const client = clientOf(emulator, { timeout: 1000 });
    await client.usage.get();
    const started = performance.now();
    await assert.rejects(client.usage.get({ totalTimeout: 800 }), (e) => e instanceof APITimeoutError && /totalTimeout|total_timeout/.test(e.message));
    assert.ok(performance.now() - started < 10_000);
    await assert.rejects(client.usage.get({ totalTimeout: 300 }), APITimeoutError);
    assert.equal(emulator.journal().length, 1);
  }));

test('a client totalTimeout bounds retries and their backoff', () =>
  withEmulator({ rateLimit: 0 }, async (emulator) => {
    emulator.addFault({ method: 'GET', path: '/usage', count: 100, fault: { kind: 'delay', ms: 400 } });
    const client = clientOf(emulator, { timeout: 200, maxRetries: 50, totalTimeout: 1000 });
    const started = performance.now();
    await assert.rejects(client.usage.get(), APITimeoutError);
    assert.ok(performance.now() - started < 8000);
  }));

test('totalTimeout: Infinity in a view or a call lifts the client\'s', () =>
  withEmulator({ rateLimit: 0 }, async (emulator) => {
    const client = clientOf(emulator, { totalTimeout: 150, maxRetries: 0 });
    const delay = () => emulator.addFault({ method: 'GET', path: '/usage', fault: { kind: 'delay', ms: 400 } });
    delay();
    assert.ok((await client.withOptions({ totalTimeout: Infinity }).usage.get()).plan);
    delay();
    assert.ok((await client.usage.get({ totalTimeout: Infinity })).plan);
    delay();
    await assert.rejects(client.usage.get(), APITimeoutError);
  }));

test('timeout: Infinity means no per-attempt limit', () =>
  withEmulator({ rateLimit: 0 }, async (emulator) => {
    const client = clientOf(emulator, { timeout: 100, maxRetries: 0 });
    emulator.addFault({ method: 'GET', path: '/usage', fault: { kind: 'delay', ms: 300 } });
    assert.ok((await client.usage.get({ timeout: Infinity })).plan);
    emulator.addFault({ method: 'GET', path: '/usage', fault: { kind: 'delay', ms: 300 } });
    await assert.rejects(client.usage.get(), APITimeoutError);
  }));

test('status errors carry headers, the parsed body and the request id', () =>
  withEmulator({ rateLimit: 0 }, async (emulator) => {
    emulator.addFault({
      method: 'GET',
      path: `/agents/${AGENT}`,
      fault: { kind: 'status', status: 404, body: { error: 'gone', code: 7 }, headers: { 'X-Request-Id': 'req_42' } },
    });
    const error = await clientOf(emulator).agents.get(AGENT).catch((e) => e);
    assert.ok(error instanceof NotFoundError);
    assert.equal(error.requestId, 'req_42');
    assert.ok(error.headers instanceof Headers);
    assert.equal(error.headers.get('X-REQUEST-ID'), 'req_42');
    assert.deepEqual(error.body, { error: 'gone', code: 7 });
  }));

test('withResponse gives this call its own status, headers, rate limit and attempts', () =>
  withEmulator({ rateLimit: 60 }, async (emulator) => {
    emulator.addFault({ method: 'GET', path: `/agents/${AGENT}`, fault: { kind: 'status', status: 503 } });
    const client = clientOf(emulator);
    const { data, response, rateLimit, attempts } = await client.agents.get(AGENT).withResponse();
    assert.equal(data.id, AGENT);
    assert.ok(response instanceof Response);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type'), /application\/json/);
    assert.equal((await response.json()).data.id, AGENT);
    assert.equal(attempts, 2);
    assert.equal(rateLimit.remaining, 58);
    const raw = await client.usage.get().asResponse();
    assert.equal(raw.status, 200);
    const all = await Promise.all([1, 2, 3].map(() => client.usage.get().withResponse()));
    assert.deepEqual(all.map((r) => r.rateLimit.remaining).sort((a, b) => a - b), [54, 55, 56]);
    // Awaited first: too late to ask for the response.
    const call = client.usage.get();
    await call;
    await assert.rejects(call.withResponse(), /before it is awaited/);
  }));

test('withOptions shares the pool and ledger and adds headers', () =>
  withEmulator({ rateLimit: 60 }, async (emulator) => {
    const client = clientOf(emulator, { defaultHeaders: { 'X-A': '1' } });
    await client.usage.get();
    const view = client.withOptions({ maxRetries: 0, defaultHeaders: { 'X-B': '2' } });
    assert.ok(view instanceof Delegir);
    await view.usage.get();
    assert.deepEqual(view.rateLimit, client.rateLimit);
    const [first, second] = emulator.journal().slice(-2);
    assert.equal(first.headers['x-a'], '1');
    assert.equal(first.headers['x-b'], undefined);
    assert.equal(second.headers['x-a'], '1');
    assert.equal(second.headers['x-b'], '2');
  }));

test('Headers, Map, URLSearchParams and arrays of pairs are sent, not dropped', () =>
  withEmulator({ rateLimit: 0 }, async (emulator) => {
    const client = clientOf(emulator, {
      defaultHeaders: new Headers({ 'X-Team': 'support' }),
      defaultQuery: new URLSearchParams('region=eu'),
    });
    await client.usage.get({ headers: new Map([['X-Trace-Id', 't-1']]), query: [['beta', true]] });
    const view = client.withOptions({ defaultHeaders: [['X-View', 'v']], defaultQuery: new Map([['page', 2]]) });
    await view.usage.get();
    const [first, second] = emulator.journal().slice(-2);
    assert.equal(first.headers['x-team'], 'support');
    assert.equal(first.headers['x-trace-id'], 't-1');
    assert.equal(first.query, 'region=eu&beta=true');
    assert.equal(second.headers['x-view'], 'v');
    assert.equal(second.query, 'region=eu&page=2');
  }));

test('headers, query and body values that would be changed or dropped are a TypeError, nothing sent', () =>
  withEmulator({ rateLimit: 0 }, async (emulator) => {
    const client = clientOf(emulator);
    const refused = [
      [{ headers: { 'X-A': '1', 'x-a': '2' } }, /options\.headers has "x-a" more than once/],
      [{ query: new URLSearchParams('x=1&x=2') }, /options\.query has "x" more than once/],
      [{ query: { x: '\ud800' } }, /options\.query\["x"\] must be valid Unicode text; it has a lone surrogate/],
      [{ headers: new Date() }, /options\.headers must be .* got a Date/],
      [{ body: new Map([['foo', 1]]) }, /options\.body must be a plain object of JSON values, got a Map/],
      [{ body: { foo: NaN } }, /options\.body\.foo must be a finite number/],
      [{ body: { foo: [1, Infinity] } }, /options\.body\.foo\[1\] must be a finite number/],
      [{ body: { foo: () => 1 } }, /options\.body\.foo must be a JSON value/],
      [{ body: { foo: 10n } }, /options\.body\.foo must be a JSON value/],
      [{ foo: undefined }, /options has an unknown key "foo"/],
    ];
    for (const [options, message] of refused) {
      await assert.rejects(client.agents.chat(AGENT, 'hi', options), (e) => e instanceof TypeError && message.test(e.message));
    }
    await assert.rejects(client.agents.update(AGENT, new Map([['name', 'x']])), /update must be a plain object, got a Map/);
    await assert.rejects(client.agents.update(AGENT, { name: 'x', config: { max_tokens: undefined } }), /update\.config has an unknown key "max_tokens"/);
    assert.throws(() => clientOf(emulator, { organization: undefined }), /options has an unknown key "organization"/);
    assert.equal(emulator.journal().length, 0);
  }));

test('an aborted iteration yields no more runs, not even the rest of its page', () =>
  withEmulator({ rateLimit: 0 }, async (emulator) => {
    const client = clientOf(emulator);
    const controller = new AbortController();
    const seen = [];
    const error = await (async () => {
      for await (const run of client.agents.runs.iter(AGENT, { pageSize: 10 }, { signal: controller.signal })) {
        seen.push(run.id);
        if (seen.length === 5) controller.abort();
      }
    })().catch((e) => e);
    assert.equal(error?.name, 'APIUserAbortError', String(error));
    assert.equal(seen.length, 5);
  }));
