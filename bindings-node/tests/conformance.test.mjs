// The Node runner of the cross-language conformance suite: every scenario of
// tests/conformance/*.json (format in tests/README.md) against a fresh emulator, through the
// installed `delegir` package. A scenario this runner cannot run fails; none is skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

import { Delegir, DelegirError } from 'delegir';
import { Emulator } from 'delegir/testing';

const PREFIX = '/api/v1';

/** DELEGIR_CONFORMANCE_DIR, else tests/conformance of the first ancestor that has one. */
function scenarioDir() {
  if (process.env.DELEGIR_CONFORMANCE_DIR) return process.env.DELEGIR_CONFORMANCE_DIR;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'tests', 'conformance');
    if (existsSync(candidate)) return candidate;
    const parent = resolve(dir, '..');
    if (parent === dir) throw new Error('tests/conformance not found; set DELEGIR_CONFORMANCE_DIR');
    dir = parent;
  }
}

function load() {
  const dir = scenarioDir();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')).scenarios);
}

const SCENARIOS = load();

/** The scenario asks for something this runner cannot do: the scenario fails. */
class RunnerError extends Error {}

const camel = (key) => key.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

function only(args, allowed) {
  for (const key of Object.keys(args)) {
    if (!allowed.includes(key)) throw new RunnerError(`unknown argument ${key}`);
  }
}

/** The Node spelling of the neutral option names that are not just camelCase. */
const RENAMED = { extra_headers: 'headers', extra_query: 'query', extra_body: 'body' };
const SECONDS = ['timeout', 'total_timeout'];

/** Per-call or client options: seconds become milliseconds, names become Node's. */
function options(given, allowed, what) {
  const out = {};
  for (const [key, value] of Object.entries(given ?? {})) {
    if (!allowed.includes(key)) throw new RunnerError(`${what} not supported by the Node SDK: ${key}`);
    out[RENAMED[key] ?? camel(key)] = SECONDS.includes(key) ? value * 1000 : value;
  }
  return out;
}

/** Whether every key of `want` is in `got` with an equal value (recursively). */
function subset(want, got) {
  if (want !== null && typeof want === 'object' && !Array.isArray(want)) {
    return got !== null && typeof got === 'object' && Object.entries(want).every(([k, v]) => subset(v, got[k]));
  }
  return JSON.stringify(want) === JSON.stringify(got);
}

/** `last_request`: headers (subset), query parameters (as an object) and JSON body (subset). */
function lastRequestMismatch(emulator, want) {
  const entries = emulator.journal(emulator.apiKey);
  const last = entries.at(-1);
  if (last === undefined) return 'last_request: nothing was sent';
  for (const [key, value] of Object.entries(want)) {
    if (key === 'headers') {
      if (!subset(value, last.headers)) return `last_request.headers: ${JSON.stringify(last.headers)} lack ${JSON.stringify(value)}`;
    } else if (key === 'query') {
      const got = Object.fromEntries(new URLSearchParams(last.query ?? ''));
      if (JSON.stringify(Object.entries(got).sort()) !== JSON.stringify(Object.entries(value).sort())) {
        return `last_request.query: expected ${JSON.stringify(value)}, got ${JSON.stringify(got)}`;
      }
    } else if (key === 'body') {
      const got = last.body === null ? null : JSON.parse(last.body);
      if (!subset(value, got)) return `last_request.body: ${last.body} lacks ${JSON.stringify(value)}`;
    } else {
      throw new RunnerError(`unknown last_request expectation ${key}`);
    }
  }
  return null;
}

async function drain(iterable) {
  const out = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function callApi(client, call, args, opts) {
  const { agents } = client;
  switch (call) {
    case 'agents.list':
      only(args, []);
      return agents.list(opts);
    case 'agents.get':
      only(args, ['id']);
      return agents.get(args.id, opts);
    case 'agents.update': {
      only(args, ['id', 'name', 'status', 'config']);
      const update = {};
      if ('name' in args) update.name = args.name;
      if ('status' in args) update.status = args.status;
      if ('config' in args) {
        update.config = {};
        for (const [key, value] of Object.entries(args.config)) update.config[camel(key)] = value;
      }
      return agents.update(args.id, update, opts);
    }
    case 'agents.delete':
      only(args, ['id']);
      return agents.delete(args.id, opts);
    case 'agents.chat':
      only(args, ['id', 'message']);
      return agents.chat(args.id, args.message, opts);
    case 'agents.runs.list':
      only(args, ['id', 'limit', 'offset']);
      return agents.runs.list(args.id, { limit: args.limit ?? undefined, offset: args.offset ?? undefined }, opts);
    case 'agents.runs.iter':
      only(args, ['id', 'page_size']);
      return drain(agents.runs.iter(args.id, { pageSize: args.page_size ?? undefined }, opts));
    case 'usage.get':
      only(args, []);
      return client.usage.get(opts);
    case 'compound.concurrent':
      return concurrent(client, args, opts);
    case 'compound.paginate_while_chatting':
      return paginateWhileChatting(client, args);
    default:
      throw new RunnerError(`unknown call ${call}`);
  }
}

async function concurrent(client, args, opts) {
  only(args, ['call', 'args', 'count']);
  const outcomes = await Promise.allSettled(
    Array.from({ length: args.count }, () => callApi(client, args.call, args.args ?? {}, opts)),
  );
  const errors = {};
  for (const o of outcomes) {
    if (o.status === 'rejected') {
      if (o.reason instanceof RunnerError) throw o.reason;
      const name = classOf(o.reason);
      errors[name] = (errors[name] ?? 0) + 1;
    }
  }
  const failed = Object.values(errors).reduce((a, b) => a + b, 0);
  return { succeeded: outcomes.length - failed, failed, errors };
}

async function paginateWhileChatting(client, args) {
  only(args, ['id', 'page_size', 'message']);
  const { id, page_size: pageSize, message } = args;
  const initialTotal = (await client.agents.runs.list(id, { limit: 1 })).total;
  const yielded = [];
  const created = new Set();
  for await (const run of client.agents.runs.iter(id, { pageSize })) {
    yielded.push(run.id);
    if (yielded.length % pageSize === 0) created.add((await client.agents.chat(id, message)).runId);
  }
  const everything = (await drain(client.agents.runs.iter(id))).map((r) => r.id);
  const seen = new Set(yielded);
  return {
    initial_total: initialTotal,
    yielded: yielded.length,
    duplicates: yielded.length - seen.size,
    missing: everything.filter((r) => !seen.has(r) && !created.has(r)).length,
    chats: created.size,
    yielded_new: yielded.filter((r) => created.has(r)).length,
  };
}

// ---------------------------------------------------------------------------------------------
// Expectations

function classOf(e) {
  if ((e instanceof TypeError || e instanceof RangeError) && !(e instanceof DelegirError)) return 'ArgumentError';
  return e?.constructor?.name ?? String(e);
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function show(value) {
  return (JSON.stringify(value) ?? String(value)).slice(0, 300);
}

function match(want, got, path) {
  if (Array.isArray(want)) {
    assert.ok(Array.isArray(got) && got.length === want.length, `${path}: expected ${show(want)}, got ${show(got)}`);
    want.forEach((w, i) => match(w, got[i], `${path}[${i}]`));
  } else if (want !== null && typeof want === 'object') {
    assert.ok(got !== null && typeof got === 'object', `${path}: expected an object, got ${show(got)}`);
    for (const [key, value] of Object.entries(want)) {
      // Known fields are camelCase in Node; unknown fields keep the server's (one-word) spelling.
      const name = camel(key) in got ? camel(key) : key;
      assert.ok(name in got, `${path}.${key}: missing in ${show(got)}`);
      match(value, got[name], `${path}.${key}`);
    }
  } else if (typeof want === 'string' && RFC3339.test(want) && (got instanceof Date || typeof got === 'string')) {
    const instant = got instanceof Date ? got.getTime() : Date.parse(got);
    assert.equal(instant, Date.parse(want), `${path}: expected ${want}, got ${show(got)}`);
  } else {
    assert.equal(got, want, `${path}: expected ${show(want)}, got ${show(got)}`);
  }
}

function within(bounds, got, what) {
  const min = bounds.min ?? got;
  const max = bounds.max ?? got;
  assert.ok(min <= got && got <= max, `${what}: ${got.toFixed(3)} s not within ${JSON.stringify(bounds)}`);
}

function checkError(want, e) {
  for (const [key, value] of Object.entries(want)) {
    switch (key) {
      case 'class':
        assert.equal(classOf(e), value, `class: expected ${value}, got ${classOf(e)} (${e})`);
        break;
      case 'status':
        assert.equal(e.status, value, `status: expected ${value}, got ${e.status} (${e})`);
        break;
      case 'retry_after':
        assert.equal(typeof e.retryAfter, 'number', `retry_after: expected ${JSON.stringify(value)}, got ${e.retryAfter} (${e})`);
        within(value, e.retryAfter / 1000, 'retry_after');
        break;
      case 'may_have_reached_server':
        assert.equal(e.mayHaveReachedServer, value, `may_have_reached_server: expected ${value}, got ${e.mayHaveReachedServer} (${e})`);
        break;
      case 'message_contains':
        assert.ok(String(e.message).includes(value), `message ${show(e.message)} lacks ${show(value)}`);
        break;
      default:
        throw new RunnerError(`unknown error expectation ${key}`);
    }
  }
}

function journalMismatch(emulator, second, expect) {
  const entries = emulator.journal(emulator.apiKey);
  const routes = {};
  for (const e of entries) {
    const route = `${e.method} ${e.path.slice(PREFIX.length)}`;
    routes[route] = (routes[route] ?? 0) + 1;
  }
  for (const [route, n] of Object.entries(expect.journal ?? {})) {
    if ((routes[route] ?? 0) !== n) return `journal ${route}: expected ${n}, got ${routes[route] ?? 0} (${JSON.stringify(routes)})`;
  }
  if ('journal_total' in expect && entries.length !== expect.journal_total) {
    return `journal_total: expected ${expect.journal_total}, got ${entries.length} (${JSON.stringify(routes)})`;
  }
  const outcomes = {};
  for (const e of entries) outcomes[e.outcome] = (outcomes[e.outcome] ?? 0) + 1;
  for (const [outcome, n] of Object.entries(expect.journal_outcomes ?? {})) {
    if ((outcomes[outcome] ?? 0) !== n) return `journal outcome ${outcome}: expected ${n}, got ${outcomes[outcome] ?? 0}`;
  }
  if ('last_request' in expect) {
    const mismatch = lastRequestMismatch(emulator, expect.last_request);
    if (mismatch !== null) return mismatch;
  }
  if ('second_journal_total' in expect) {
    const got = second ? second.journal().length : 0;
    if (got !== expect.second_journal_total) return `second_journal_total: expected ${expect.second_journal_total}, got ${got}`;
  }
  return null;
}

async function checkJournal(emulator, second, expect) {
  const deadline = performance.now() + 5000;
  for (;;) {
    const mismatch = journalMismatch(emulator, second, expect);
    if (mismatch === null) return;
    assert.ok(performance.now() < deadline, mismatch);
    await sleep(50);
  }
}

// ---------------------------------------------------------------------------------------------
// One scenario

const SETUP = ['rate_limit', 'client', 'before', 'revoke_key', 'second_emulator', 'faults'];
const EXPECT = ['result', 'length', 'first', 'error', 'journal', 'journal_total', 'journal_outcomes', 'second_journal_total', 'elapsed', 'last_request'];

async function run(scenario) {
  const setup = scenario.setup ?? {};
  for (const key of Object.keys(setup)) assert.ok(SETUP.includes(key), `unknown setup key ${key}`);
  const expect = scenario.expect;
  for (const key of Object.keys(expect)) assert.ok(EXPECT.includes(key), `unknown expect key ${key}`);
  const rate = setup.rate_limit ?? {};
  const emulator = await Emulator.start({ rateLimit: rate.limit ?? 0, rateWindow: rate.window_ms ?? 60_000 });
  const second = setup.second_emulator ? await Emulator.start({ rateLimit: 0 }) : null;
  try {
    const client = new Delegir({
      apiKey: emulator.apiKey,
      baseUrl: emulator.baseUrl,
      ...options(
        setup.client,
        ['max_retries', 'timeout', 'rate_limit', 'total_timeout', 'default_headers', 'default_query'],
        'client options',
      ),
    });
    for (const before of setup.before ?? []) await callApi(client, before.call, before.args ?? {}, undefined);
    if (setup.revoke_key) emulator.revokeKey();
    emulator.clearJournal();
    for (const rule of setup.faults ?? []) {
      let text = JSON.stringify(rule.fault);
      if (second) text = text.replaceAll('{{second_base_url}}', second.baseUrl);
      emulator.addFault({ method: rule.method, path: rule.path, count: rule.count ?? 1, fault: JSON.parse(text) });
    }
    const opts = scenario.options
      ? options(
          scenario.options,
          ['max_retries', 'timeout', 'total_timeout', 'extra_headers', 'extra_query', 'extra_body'],
          'call options',
        )
      : undefined;
    const started = performance.now();
    let error = null;
    let result;
    try {
      result = await callApi(client, scenario.call, scenario.args ?? {}, opts);
    } catch (e) {
      if (e instanceof RunnerError) throw e;
      error = e ?? new Error('rejected with nothing');
    }
    const elapsed = (performance.now() - started) / 1000;

    if ('error' in expect) {
      assert.ok(error !== null, `expected an error, got a result: ${show(result)}`);
      checkError(expect.error, error);
    } else {
      assert.equal(error, null, `expected a result, got ${error}`);
      if ('result' in expect) match(expect.result, result, 'result');
      if ('length' in expect) {
        assert.ok(Array.isArray(result) && result.length === expect.length, `length: expected ${expect.length}, got ${Array.isArray(result) ? result.length : show(result)}`);
      }
      if ('first' in expect) {
        assert.ok(Array.isArray(result) && result.length > 0, 'first: the result is not a non-empty list');
        match(expect.first, result[0], 'first');
      }
    }
    await checkJournal(emulator, second, expect);
    if ('elapsed' in expect) within(expect.elapsed, elapsed, 'elapsed');
  } finally {
    await emulator.stop();
    if (second) await second.stop();
  }
}

test('the scenarios are found', () => {
  assert.ok(SCENARIOS.length >= 50, `${SCENARIOS.length} scenarios`);
});

for (const scenario of SCENARIOS) {
  test(scenario.name, () => run(scenario));
}
