// Bad arguments throw TypeError / RangeError before anything is sent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { Delegir, DelegirError } from 'delegir';
import { Delegir as WasmDelegir } from 'delegir/wasm';
import { Emulator } from 'delegir/testing';

let emulator;
let apiKey;
let client;

before(async () => {
  emulator = await Emulator.start({ rateLimit: 0 });
  apiKey = emulator.newApiKey();
  client = new Delegir({ apiKey, baseUrl: emulator.baseUrl });
});
after(() => emulator.stop());

const typeErrors = {
  'get(123)': () => client.agents.get(123),
  'get()': () => client.agents.get(),
  'get(null)': () => client.agents.get(null),
  "get('')": () => client.agents.get(''),
  "get('../usage')": () => client.agents.get('../usage'),
  "get('a/b?x')": () => client.agents.get('a/b?x'),
  "chat('agt_abc123', 42)": () => client.agents.chat('agt_abc123', 42),
  "chat('agt_abc123', '')": () => client.agents.chat('agt_abc123', ''),
  "chat('agt_abc123', '   ')": () => client.agents.chat('agt_abc123', '   '),
  'update with nothing to change': () => client.agents.update('agt_abc123', {}),
  'update with an empty config': () => client.agents.update('agt_abc123', { config: {} }),
  'update without an update': () => client.agents.update('agt_abc123'),
  'update with a numeric name': () => client.agents.update('agt_abc123', { name: 5 }),
  'update with an empty name': () => client.agents.update('agt_abc123', { name: ' ' }),
  'update with an unknown status': () => client.agents.update('agt_abc123', { status: 'archived' }),
  'update with a string temperature': () => client.agents.update('agt_abc123', { config: { temperature: '0.5' } }),
  'update with a fractional maxTokens': () => client.agents.update('agt_abc123', { config: { maxTokens: 1.5 } }),
  'runs.list with a string limit': () => client.agents.runs.list('agt_abc123', { limit: '10' }),
  'runs.list with a fractional offset': () => client.agents.runs.list('agt_abc123', { offset: 1.5 }),
  'options that are not an object': () => client.agents.list('fast'),
  'a signal that is not an AbortSignal': () => client.agents.list({ signal: {} }),
  'a string timeout': () => client.agents.list({ timeout: '100' }),
  'a fractional maxRetries': () => client.agents.list({ maxRetries: 0.5 }),
  'delete({})': () => client.agents.delete({}),
  // Unknown keys are refused, never dropped: a misspelling or Python's spelling would otherwise
  // send an update without the field, or a page of the default size.
  'an update with an unknown key': () => client.agents.update('agt_abc123', { name: 'x', nmae: 'y' }),
  'a config with a snake_case key': () =>
    client.agents.update('agt_abc123', { config: { temperature: 1, max_tokens: 5 } }),
  'runs.list with an unknown key': () => client.agents.runs.list('agt_abc123', { limt: 5 }),
  'runs.iter with an unknown key': () => client.agents.runs.iter('agt_abc123', { page_size: 5 }).next(),
};

for (const [name, call] of Object.entries(typeErrors)) {
  test(`TypeError for ${name}, nothing sent`, async () => {
    await assert.rejects(call(), (e) => e instanceof TypeError && !(e instanceof DelegirError));
    assert.equal(emulator.journal(apiKey).length, 0);
  });
}

const rangeErrors = {
  'runs.list limit 0': () => client.agents.runs.list('agt_abc123', { limit: 0 }),
  'runs.list limit 101': () => client.agents.runs.list('agt_abc123', { limit: 101 }),
  'runs.list offset -1': () => client.agents.runs.list('agt_abc123', { offset: -1 }),
  'update temperature 3': () => client.agents.update('agt_abc123', { config: { temperature: 3 } }),
  'update temperature NaN': () => client.agents.update('agt_abc123', { config: { temperature: NaN } }),
  'update maxTokens 0': () => client.agents.update('agt_abc123', { config: { maxTokens: 0 } }),
  'update maxTokens -5': () => client.agents.update('agt_abc123', { config: { maxTokens: -5 } }),
  'timeout 0': () => client.agents.list({ timeout: 0 }),
  'timeout -1': () => client.agents.list({ timeout: -1 }),
  'timeout NaN': () => client.agents.list({ timeout: NaN }),
  // Positive, but under a nanosecond: a zero Duration in the core, refused like 0.
  'timeout 1e-7': () => client.agents.list({ timeout: 1e-7 }),
  'withOptions timeout 1e-7': async () => client.withOptions({ timeout: 1e-7 }).agents.list(),
  'maxRetries -1': () => client.agents.list({ maxRetries: -1 }),
};

for (const [name, call] of Object.entries(rangeErrors)) {
  test(`RangeError for ${name}, nothing sent`, async () => {
    await assert.rejects(call(), RangeError);
    assert.equal(emulator.journal(apiKey).length, 0);
  });
}

test('an unknown key is named, with the known ones and the escape hatch', async () => {
  const error = await client.agents.update('agt_abc123', { name: 'x', nmae: 'y' }).catch((e) => e);
  assert.match(error.message, /^update has an unknown key "nmae"; the known keys are name, status, config/);
  assert.match(error.message, /options\.body/);
  const config = await client.agents.update('agt_abc123', { config: { max_tokens: 5 } }).catch((e) => e);
  assert.match(config.message, /^update\.config has an unknown key "max_tokens".*maxTokens/);
});

test('the core names the offending argument', async () => {
  const error = await client.agents.runs.list('agt_abc123', { limit: 500 }).catch((e) => e);
  assert.equal(error.message, 'limit must be between 1 and 100, got 500');
  assert.equal(error.argument, 'limit');
});

test('bad client options throw at construction', () => {
  assert.throws(() => new Delegir({ apiKey: 42 }), TypeError);
  assert.throws(() => new Delegir({ apiKey, timeout: '5s' }), TypeError);
  assert.throws(() => new Delegir({ apiKey, maxRetries: 1.5 }), TypeError);
  assert.throws(() => new Delegir({ apiKey, rateLimit: 'yes' }), TypeError);
  assert.throws(() => new Delegir({ apiKey, http2PriorKnowledge: 1 }), TypeError);
  assert.throws(() => new Delegir({ apiKey, logLevel: 'verbose' }), TypeError);
  assert.throws(() => new Delegir({ apiKey, timeout: 0 }), RangeError);
  assert.throws(() => new Delegir({ apiKey, timeout: -5 }), RangeError);
  assert.throws(() => new Delegir({ apiKey, timeout: 1e-7 }), RangeError);
  assert.throws(() => new Delegir({ apiKey, maxRetries: -1 }), RangeError);
  assert.throws(() => new Delegir({ apiKey: '' }), DelegirError);
  assert.throws(() => new Delegir({ apiKey: 'dlg live with spaces' }), DelegirError);
  assert.throws(() => new Delegir({ apiKey, baseUrl: 'not a url' }), DelegirError);
});

// Both builds: the checks below are made by the TypeScript layer both share, before the native
// side converts anything.
const builds = { native: Delegir, wasm: WasmDelegir };

// Whole numbers beyond Number.MAX_SAFE_INTEGER no longer stand for one number, and the bindings'
// conversion to Rust integers saturated them (an offset of 1e20 was sent as i64::MAX).
const unsafeIntegers = {
  'runs.list offset 1e20': ['offset', (c) => c.agents.runs.list('agt_abc123', { offset: 1e20 })],
  'runs.list offset -1e20': ['offset', (c) => c.agents.runs.list('agt_abc123', { offset: -1e20 })],
  'runs.list limit 2**53': ['limit', (c) => c.agents.runs.list('agt_abc123', { limit: 2 ** 53 })],
  'runs.iter pageSize 1e20': ['pageSize', (c) => c.agents.runs.iter('agt_abc123', { pageSize: 1e20 }).next()],
  'update maxTokens 1e20': [
    'update.config.maxTokens',
    (c) => c.agents.update('agt_abc123', { config: { maxTokens: 1e20 } }),
  ],
  'call maxRetries 1e20': ['options.maxRetries', (c) => c.agents.list({ maxRetries: 1e20 })],
  'withOptions maxRetries 1e20': ['maxRetries', async (c) => c.withOptions({ maxRetries: 1e20 })],
  'client maxRetries 1e20': ['maxRetries', async (c, D) => new D({ apiKey, baseUrl: emulator.baseUrl, maxRetries: 1e20 })],
};

for (const [build, D] of Object.entries(builds)) {
  for (const [name, [argument, call]] of Object.entries(unsafeIntegers)) {
    test(`${build}: RangeError naming the argument for ${name}, nothing sent`, async () => {
      const c = new D({ apiKey, baseUrl: emulator.baseUrl });
      await assert.rejects(
        call(c, D),
        (e) =>
          e instanceof RangeError &&
          e.argument === argument &&
          e.message.startsWith(`${argument} must be a whole number`) &&
          e.message.includes('MAX_SAFE_INTEGER'),
      );
      assert.equal(emulator.journal(apiKey).length, 0);
    });
  }

  test(`${build}: null or undefined options are a TypeError that says so`, () => {
    assert.throws(() => new D(null), { name: 'TypeError', message: 'options must be an object, got null' });
    const c = new D({ apiKey, baseUrl: emulator.baseUrl });
    // withOptions takes its options as a required argument: without them it would be this client.
    for (const [given, shown] of [[[undefined], 'undefined'], [[], 'undefined'], [[null], 'null']]) {
      assert.throws(() => c.withOptions(...given), { name: 'TypeError', message: `options must be an object, got ${shown}` });
    }
    // Passing nothing still means the defaults (the key and base URL from the environment).
    const saved = [process.env.DELEGIR_API_KEY, process.env.DELEGIR_BASE_URL];
    process.env.DELEGIR_API_KEY = apiKey;
    process.env.DELEGIR_BASE_URL = emulator.baseUrl;
    try {
      assert.equal(new D().baseUrl, emulator.baseUrl);
      assert.equal(new D(undefined).baseUrl, emulator.baseUrl);
    } finally {
      for (const [name, value] of [['DELEGIR_API_KEY', saved[0]], ['DELEGIR_BASE_URL', saved[1]]]) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
}

for (const [build, D] of Object.entries(builds)) {
  test(`${build}: a lone surrogate is a TypeError naming the argument, and nothing is sent`, async () => {
    const key = emulator.newApiKey();
    const c = new D({ apiKey: key, baseUrl: emulator.baseUrl });
    // It was sent with U+FFFD in its place: a billed chat with other text.
    await assert.rejects(c.agents.chat('agt_abc123', 'a\ud800b'), (e) =>
      e instanceof TypeError && /^message must be valid Unicode text; it has a lone surrogate at index 1/.test(e.message));
    await assert.rejects(c.agents.update('agt_abc123', { name: '\udc00' }), TypeError);
    assert.equal(emulator.journal(key).length, 0);
    // A pair is fine.
    assert.match((await c.agents.chat('agt_abc123', 'ok \ud83d\ude00')).runId, /^run_/);
  });

  test(`${build}: the core's argument errors use this package's names`, async () => {
    const c = new D({ apiKey, baseUrl: emulator.baseUrl });
    const pageSize = await c.agents.runs.iter('agt_abc123', { pageSize: 0 }).next().catch((e) => e);
    assert.ok(pageSize instanceof RangeError, String(pageSize));
    assert.match(pageSize.message, /^pageSize must be between 1 and 100/);
    assert.equal(pageSize.argument, 'pageSize');
    const infinite = (() => {
      try {
        return new D({ apiKey, baseUrl: emulator.baseUrl, maxRateLimitWait: Infinity });
      } catch (e) {
        return e;
      }
    })();
    assert.ok(infinite instanceof RangeError, String(infinite));
    assert.match(infinite.message, /got Infinity/);
  });

  test(`${build}: an update whose only change is an options.body field is sent`, async () => {
    const key = emulator.newApiKey();
    const c = new D({ apiKey: key, baseUrl: emulator.baseUrl });
    const updated = await c.agents.update('agt_abc123', {}, { body: { name: 'Renamed' } });
    assert.equal(updated.name, 'Renamed');
    assert.equal(emulator.journal(key).length, 1);
  });
}
