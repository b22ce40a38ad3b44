// The secrets check (tests/README.md): with a recognisable fake key, every error path runs with
// logging at debug, and the key appears nowhere: not in log records, error messages, stacks,
// `util.inspect` output or JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { spawn } from 'node:child_process';

import { Delegir, DelegirError } from 'delegir';
import { Emulator } from 'delegir/testing';

const CANARY = 'dlg_test_SECRETcanary0123456789';
const SECRET = 'SECRETcanary';

const FAULTS = [
  { kind: 'status', status: 500 },
  { kind: 'status', status: 429, resetInSecs: 600 },
  { kind: 'status', status: 418 },
  { kind: 'html', status: 502 },
  { kind: 'reset_before' },
  { kind: 'reset_mid_body' },
  { kind: 'truncated' },
  { kind: 'malformed' },
  { kind: 'not_envelope' },
  { kind: 'redirect', status: 302, location: 'http://127.0.0.1:9/elsewhere' },
  { kind: 'delay', ms: 1500 },
  { kind: 'large', megabytes: 17 },
];

function assertClean(text, what) {
  assert.ok(!String(text).includes(SECRET), `${what} shows the key: ${text}`);
}

function views(value) {
  return [
    String(value),
    inspect(value, { showHidden: true, depth: Infinity, getters: true }),
    JSON.stringify(value) ?? '',
    JSON.stringify(Object.getOwnPropertyDescriptors(value ?? {})) ?? '',
  ];
}

test('the key never leaks on any path, with logging at debug', async () => {
  const records = [];
  const logger = {};
  for (const level of ['debug', 'info', 'warn', 'error']) {
    logger[level] = (message, record) => records.push(`${level} ${message} ${inspect(record)}`);
  }
  const errors = [];
  const emulator = await Emulator.start({ rateLimit: 0 });
  try {
    const client = new Delegir({
      apiKey: CANARY,
      baseUrl: emulator.baseUrl,
      timeout: 500,
      maxRetries: 1,
      rateLimit: false,
      logger,
      logLevel: 'debug',
    });
    for (const text of views(client)) assertClean(text, 'the client');
    for (const text of views(client.agents)) assertClean(text, 'client.agents');
    await client.agents.list();
    await client.agents.chat('agt_abc123', 'hello');
    for (const fault of FAULTS) {
      emulator.addFault({ method: '*', path: '*', count: 2, fault });
      await client.usage.get().catch((e) => errors.push(e));
      emulator.clearFaults();
    }
    for (const call of [
      () => client.agents.get('agt_missing'),
      () => client.agents.chat('agt_def456', 'hi'),
      () => client.agents.get(''),
      () => client.agents.runs.list('agt_abc123', { limit: 0 }),
      () => client.agents.list({ signal: AbortSignal.abort() }),
    ]) {
      await call().catch((e) => errors.push(e));
    }
    emulator.revokeKey(CANARY);
    await client.agents.list().catch((e) => errors.push(e));
    for (const text of views(client)) assertClean(text, 'the client after use');
  } finally {
    await emulator.stop();
  }
  for (const badKey of ['dlg_test_SECRETcanary 0123', 'dlg_test_SECRETcanary\u00e9']) {
    try {
      new Delegir({ apiKey: badKey, baseUrl: 'http://127.0.0.1:9/api/v1' });
      assert.fail('a malformed key was accepted');
    } catch (e) {
      assert.ok(e instanceof DelegirError, String(e));
      errors.push(e);
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 50));

  assert.ok(errors.length >= FAULTS.length + 6, `${errors.length} errors`);
  for (const error of errors) {
    for (const text of views(error)) assertClean(text, `${error.name}`);
    assertClean(error.stack, `${error.name}.stack`);
    assertClean(inspect(error.cause), `${error.name}.cause`);
  }
  assert.ok(records.length > FAULTS.length, 'logging at debug recorded too little');
  for (const record of records) assertClean(record, 'a log record');
});

test('DELEGIR_LOG=debug output never shows the key', async () => {
  const emulator = await Emulator.start({ rateLimit: 0 });
  try {
    emulator.addFault({ method: '*', path: '*', count: 1, fault: { kind: 'status', status: 500 } });
    const source = `
      import { Delegir } from 'delegir';
      const client = new Delegir({ maxRetries: 1 });
      await client.usage.get();
      await client.agents.get('agt_missing').catch((e) => console.log(e.name, e.message));
      await new Promise((r) => setTimeout(r, 50));`;
    const { code, output } = await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', source], {
        env: { ...process.env, DELEGIR_API_KEY: CANARY, DELEGIR_BASE_URL: emulator.baseUrl, DELEGIR_LOG: 'debug' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      child.on('error', reject);
      child.on('exit', (c) => resolve({ code: c, output }));
    });
    assert.equal(code, 0, output);
    assert.match(output, /delegir info: GET \/usage -> 500/);
    assert.match(output, /NotFoundError/);
    assertClean(output, 'DELEGIR_LOG output');
  } finally {
    await emulator.stop();
  }
});
