// Each error class from a real response of the emulator.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import {
  Delegir,
  DelegirError,
  APIStatusError,
  BadRequestError,
  AuthenticationError,
  NotFoundError,
  RateLimitError,
  InternalServerError,
  APIConnectionError,
  APITimeoutError,
  APIResponseValidationError,
} from 'delegir';
import * as wasm from 'delegir/wasm';
import { Emulator } from 'delegir/testing';

let emulator;

before(async () => {
  emulator = await Emulator.start({ rateLimit: 0 });
});
after(() => emulator.stop());

function fresh(options = {}) {
  const apiKey = emulator.newApiKey();
  return { apiKey, client: new Delegir({ apiKey, baseUrl: emulator.baseUrl, ...options }) };
}

test('400: chatting with a paused agent is a BadRequestError with the envelope message', async () => {
  const { client } = fresh();
  const error = await client.agents.chat('agt_def456', 'hello').catch((e) => e);
  assert.ok(error instanceof BadRequestError);
  assert.ok(error instanceof APIStatusError);
  assert.ok(error instanceof DelegirError);
  assert.ok(error instanceof Error);
  assert.equal(error.status, 400);
  assert.equal(error.name, 'BadRequestError');
  assert.match(error.message, /paused|active/i);
  assert.equal(error.retryAfter, null);
});

test('401: a revoked key is an AuthenticationError', async () => {
  const { apiKey, client } = fresh();
  emulator.revokeKey(apiKey);
  const error = await client.agents.list().catch((e) => e);
  assert.ok(error instanceof AuthenticationError);
  assert.equal(error.status, 401);
  assert.equal(typeof error.message, 'string');
  assert.ok(!error.message.includes(apiKey));
  assert.ok(!String(error.stack).includes(apiKey));
});

test('404: an unknown agent is a NotFoundError', async () => {
  const { client } = fresh();
  const error = await client.agents.get('agt_missing').catch((e) => e);
  assert.ok(error instanceof NotFoundError);
  assert.equal(error.status, 404);
  assert.equal(error.message, 'Agent not found');
});

test('429 with a window reset beyond maxRateLimitWait is a RateLimitError at once, with retryAfter in ms', async () => {
  const { apiKey, client } = fresh();
  emulator.addFault({
    method: 'GET',
    path: '/usage',
    apiKey,
    fault: { kind: 'status', status: 429, body: { error: 'Rate limit exceeded' }, resetInSecs: 3600 },
  });
  const started = performance.now();
  const error = await client.usage.get().catch((e) => e);
  assert.ok(performance.now() - started < 2000, 'does not wait for the window');
  assert.ok(error instanceof RateLimitError, String(error));
  assert.equal(error.status, 429);
  assert.equal(error.message, 'Rate limit exceeded');
  assert.equal(typeof error.retryAfter, 'number');
  assert.ok(error.retryAfter > 60_000 && error.retryAfter <= 3_601_000, `retryAfter ${error.retryAfter}`);
  assert.equal(error.rateLimit.remaining, 0);
  assert.ok(error.rateLimit.reset instanceof Date);
  assert.equal(emulator.journal(apiKey).length, 1);
});

test("the client's own errors name this package's options, and retryAfter is whole milliseconds", async () => {
  // The ledger refusing to wait (the window is known to reset later than maxRateLimitWait).
  const limited = await Emulator.start({ rateLimit: 1, rateWindow: 60_000 });
  try {
    const client = new Delegir({ apiKey: limited.apiKey, baseUrl: limited.baseUrl, maxRateLimitWait: 500 });
    await client.usage.get();
    const error = await client.usage.get().catch((e) => e);
    assert.ok(error instanceof RateLimitError, String(error));
    assert.match(error.message, /maxRateLimitWait/);
    assert.doesNotMatch(error.message, /max_rate_limit_wait/);
    assert.ok(Number.isInteger(error.retryAfter) && error.retryAfter > 500, `retryAfter ${error.retryAfter}`);
  } finally {
    await limited.stop();
  }
  const { apiKey, client } = fresh();
  emulator.addFault({ method: 'GET', path: '/usage', apiKey, fault: { kind: 'delay', ms: 3000 } });
  const timeout = await client.usage.get({ totalTimeout: 300 }).catch((e) => e);
  assert.ok(timeout instanceof APITimeoutError, String(timeout));
  assert.match(timeout.message, /totalTimeout/);
  assert.doesNotMatch(timeout.message, /total_timeout/);
});

test('500: InternalServerError after the retries are spent', async () => {
  const { apiKey, client } = fresh();
  emulator.addFault({ method: 'GET', path: '/usage', apiKey, count: 3, fault: { kind: 'status', status: 500 } });
  const error = await client.usage.get().catch((e) => e);
  assert.ok(error instanceof InternalServerError);
  assert.equal(error.status, 500);
  assert.equal(error.message, 'Injected fault');
  assert.equal(emulator.journal(apiKey).length, 3, 'first attempt + 2 retries');
});

test('a 500 followed by success is retried transparently', async () => {
  const { apiKey, client } = fresh();
  emulator.addFault({ method: 'GET', path: '/usage', apiKey, fault: { kind: 'status', status: 503 } });
  const usage = await client.usage.get();
  assert.equal(usage.plan, 'PRO');
  assert.equal(emulator.journal(apiKey).length, 2);
});

test('maxRetries per call overrides the client', async () => {
  const { apiKey, client } = fresh();
  emulator.addFault({ method: 'GET', path: '/usage', apiKey, count: 5, fault: { kind: 'status', status: 500 } });
  await assert.rejects(client.usage.get({ maxRetries: 0 }), InternalServerError);
  assert.equal(emulator.journal(apiKey).length, 1);
  emulator.clearFaults();
});

test('other statuses stay APIStatusError', async () => {
  const { apiKey, client } = fresh();
  emulator.addFault({ method: 'GET', path: '/usage', apiKey, fault: { kind: 'status', status: 403, body: { error: 'Forbidden' } } });
  const error = await client.usage.get().catch((e) => e);
  assert.equal(error.constructor, APIStatusError);
  assert.equal(error.status, 403);
  assert.equal(error.message, 'Forbidden');
});

for (const fault of [{ kind: 'malformed' }, { kind: 'truncated' }, { kind: 'not_envelope' }, { kind: 'html', status: 200 }]) {
  test(`a ${fault.kind} response is an APIResponseValidationError`, async () => {
    const { apiKey, client } = fresh();
    emulator.addFault({ method: 'GET', path: '/usage', apiKey, count: 3, fault });
    const error = await client.usage.get({ maxRetries: 0 }).catch((e) => e);
    assert.ok(error instanceof APIResponseValidationError, `${fault.kind}: ${error}`);
    assert.ok(error instanceof DelegirError);
    emulator.reset(apiKey);
  });
}

test('an oversized body is an APIResponseValidationError', async () => {
  const { apiKey, client } = fresh();
  emulator.addFault({ method: 'GET', path: '/usage', apiKey, fault: { kind: 'large', megabytes: 17 } });
  const error = await client.usage.get({ maxRetries: 0 }).catch((e) => e);
  assert.ok(error instanceof APIResponseValidationError, String(error));
});

test('a reset connection is an APIConnectionError', async () => {
  const { apiKey, client } = fresh();
  emulator.addFault({ method: 'GET', path: '/usage', apiKey, count: 3, fault: { kind: 'reset_before' } });
  const error = await client.usage.get({ maxRetries: 0 }).catch((e) => e);
  assert.ok(error instanceof APIConnectionError, String(error));
  assert.ok(!(error instanceof APITimeoutError));
  emulator.reset(apiKey);
});

test('a redirect is refused, not followed', async () => {
  const { apiKey, client } = fresh();
  emulator.addFault({ method: 'GET', path: '/usage', apiKey, fault: { kind: 'redirect', status: 302, location: 'http://127.0.0.1:9/x' } });
  const error = await client.usage.get({ maxRetries: 0 }).catch((e) => e);
  // The core reports the refused redirect with its status (kind ApiStatus).
  assert.ok(error instanceof APIStatusError || error instanceof APIConnectionError, String(error));
  assert.ok(error instanceof DelegirError);
  assert.match(error.message, /redirect/);
  assert.equal(emulator.journal(apiKey).length, 1);
});

test('an attempt slower than timeout is an APITimeoutError (an APIConnectionError)', async () => {
  const { apiKey, client } = fresh();
  emulator.addFault({ method: 'GET', path: '/usage', apiKey, fault: { kind: 'delay', ms: 2000 } });
  const started = performance.now();
  const error = await client.usage.get({ timeout: 200, maxRetries: 0 }).catch((e) => e);
  assert.ok(error instanceof APITimeoutError, String(error));
  assert.ok(error instanceof APIConnectionError);
  assert.ok(performance.now() - started < 1500);
});

test('a chat whose connection drops mid-body is not resent and may have reached the server', async () => {
  const { apiKey, client } = fresh();
  emulator.addFault({ method: 'POST', path: '/agents/agt_abc123/chat', apiKey, fault: { kind: 'reset_mid_body' } });
  const error = await client.agents.chat('agt_abc123', 'hello').catch((e) => e);
  assert.ok(error instanceof APIConnectionError || error instanceof APIResponseValidationError, String(error));
  assert.equal(error.mayHaveReachedServer ?? true, true);
  assert.equal(emulator.journal(apiKey).filter((e) => e.method === 'POST').length, 1);
});

test('a connection refused is an APIConnectionError', async () => {
  const dead = await Emulator.start({ rateLimit: 0 });
  const client = new Delegir({ apiKey: dead.apiKey, baseUrl: dead.baseUrl, maxRetries: 0 });
  await dead.stop();
  await assert.rejects(client.usage.get(), APIConnectionError);
});

test('a missing API key fails at construction, naming the environment variable', () => {
  const saved = process.env.DELEGIR_API_KEY;
  delete process.env.DELEGIR_API_KEY;
  try {
    assert.throws(() => new Delegir({ baseUrl: emulator.baseUrl }), (e) => {
      assert.ok(e instanceof DelegirError);
      assert.match(e.message, /DELEGIR_API_KEY/);
      return true;
    });
  } finally {
    if (saved !== undefined) process.env.DELEGIR_API_KEY = saved;
  }
});

test('the key and base URL fall back to DELEGIR_API_KEY and DELEGIR_BASE_URL', async () => {
  const saved = [process.env.DELEGIR_API_KEY, process.env.DELEGIR_BASE_URL];
  process.env.DELEGIR_API_KEY = emulator.newApiKey();
  process.env.DELEGIR_BASE_URL = emulator.baseUrl;
  try {
    const client = new Delegir();
    assert.equal(client.baseUrl, emulator.baseUrl);
    assert.equal((await client.agents.list()).length, 2);
  } finally {
    for (const [name, value] of [['DELEGIR_API_KEY', saved[0]], ['DELEGIR_BASE_URL', saved[1]]]) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
});

test('plain http to a remote host is refused at construction', () => {
  assert.throws(
    () => new Delegir({ apiKey: 'dlg_test_x', baseUrl: 'http://example.com/api/v1' }),
    DelegirError,
  );
});

test("a gateway's HTML 502 is an InternalServerError quoting the page", async () => {
  const { apiKey, client } = fresh();
  emulator.addFault({ method: 'GET', path: '/usage', apiKey, count: 3, fault: { kind: 'html', status: 502 } });
  const error = await client.usage.get().catch((e) => e);
  assert.ok(error instanceof InternalServerError, String(error));
  assert.ok(error instanceof APIStatusError);
  assert.equal(error.status, 502);
  assert.match(error.message, /<center><h1>502 Bad Gateway<\/h1><\/center>/);
  assert.match(String(error.body), /502 Bad Gateway/);
  assert.equal(emulator.journal(apiKey).length, 3, 'retried like any 502');
});

for (const [status, cls] of [
  [400, BadRequestError],
  [401, AuthenticationError],
  [404, NotFoundError],
  [503, InternalServerError],
  [403, APIStatusError],
]) {
  test(`a gateway's ${status} page is the status error of its status`, async () => {
    const { apiKey, client } = fresh();
    const page = `<html><body><h1>${status} from the gateway</h1></body></html>`;
    emulator.addFault({
      method: 'POST',
      path: '/agents/agt_abc123/chat',
      apiKey,
      fault: { kind: 'html', status, body: page },
    });
    const error = await client.agents.chat('agt_abc123', 'hi').catch((e) => e);
    assert.equal(error.constructor, cls, String(error));
    assert.equal(error.status, status);
    assert.ok(error.message.includes(page), error.message);
    assert.equal(error.body, page);
  });
}

test('a base URL with any userinfo is refused without showing the password', () => {
  for (const baseUrl of [
    'http://:hunter2@127.0.0.1:4010/api/v1',
    'http://user:hunter2@127.0.0.1:4010/api/v1',
    'http://user@127.0.0.1:4010/api/v1',
  ]) {
    let error;
    try {
      new Delegir({ apiKey: 'dlg_test_userinfo0123456789', baseUrl });
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof DelegirError, `${baseUrl}: ${error}`);
    assert.match(error.message, /credentials/);
    for (const shown of [error.message, String(error), error.stack ?? '']) {
      assert.ok(!shown.includes('hunter2'), shown);
    }
  }
});

// Both builds give the same error objects (`delegir/wasm` is the WebAssembly build).
const builds = { native: { Delegir, BadRequestError, RateLimitError }, wasm };

for (const [build, sdk] of Object.entries(builds)) {
  test(`${build}: a status error has the response's headers, its whole body parsed and the request id`, async () => {
    const apiKey = emulator.newApiKey();
    const body = { error: 'bad', details: 'y'.repeat(300) };
    emulator.addFault({
      method: 'GET',
      path: '/usage',
      apiKey,
      fault: { kind: 'status', status: 400, body, headers: { 'X-Request-Id': 'req_123' } },
    });
    const client = new sdk.Delegir({ apiKey, baseUrl: emulator.baseUrl });
    const error = await client.usage.get().catch((e) => e);
    assert.ok(error instanceof sdk.BadRequestError, String(error));
    assert.equal(error.requestId, 'req_123');
    assert.match(error.headers.get('content-type'), /json/);
    assert.deepEqual(error.body, body);
  });

  test(`${build}: the ledger's own RateLimitError (nothing sent) has status 429`, async () => {
    const limited = await Emulator.start({ rateLimit: 1, rateWindow: 3_600_000 });
    try {
      const client = new sdk.Delegir({ apiKey: limited.apiKey, baseUrl: limited.baseUrl });
      await client.usage.get();
      const error = await client.usage.get().catch((e) => e);
      assert.ok(error instanceof sdk.RateLimitError, String(error));
      assert.equal(error.status, 429);
      assert.ok(error.retryAfter > 60_000, `retryAfter ${error.retryAfter}`);
      assert.equal(error.mayHaveReachedServer, false);
      assert.deepEqual([...error.headers], []);
      assert.equal(limited.journal().length, 1, 'the second call was not sent');
    } finally {
      await limited.stop();
    }
  });
}

test('wasm: a fetch that returns a network error (Response.error()) is an APIConnectionError', async () => {
  let calls = 0;
  const client = new wasm.Delegir({
    apiKey: emulator.newApiKey(),
    baseUrl: emulator.baseUrl,
    maxRetries: 1,
    fetch: async () => {
      calls += 1;
      return Response.error();
    },
  });
  const error = await client.usage.get().catch((e) => e);
  assert.ok(error instanceof wasm.APIConnectionError, String(error));
  assert.ok(!(error instanceof wasm.APIStatusError));
  assert.match(error.message, /network error/);
  assert.equal(calls, 2, 'a GET is retried like after a rejected fetch');
  // A chat is not sent again: the network error does not say whether it left.
  calls = 0;
  const chat = await client.agents.chat('agt_abc123', 'once').catch((e) => e);
  assert.ok(chat instanceof wasm.APIConnectionError && chat.mayHaveReachedServer, String(chat));
  assert.equal(calls, 1);
});
