// A panic inside a call's task settles its promise with a DelegirError (defect 8 of issue 15):
// never a promise that stays pending. The call comes from the native module's test hook, whose
// task panics on a runtime thread after its first await, through the path every call takes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const pkg = path.dirname(require.resolve('delegir/package.json'));
const native = require(path.join(pkg, 'native', 'index.js'));
const { toError } = require(path.join(pkg, 'dist', 'errors.js'));
const { DelegirError, APIStatusError } = require('delegir');

function within(promise, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function assertInternal(outcome) {
  assert.equal(typeof outcome, 'object', `resolved to ${String(outcome)}`);
  assert.equal(outcome.code, 'internal');
  assert.match(outcome.message, /internal error/);
  assert.match(outcome.message, /deliberate panic/);
  const error = toError(outcome);
  assert.ok(error instanceof DelegirError);
  assert.ok(!(error instanceof APIStatusError));
  assert.equal(error.name, 'DelegirError');
}

test('a panic in a call settles it with an internal DelegirError', async () => {
  assertInternal(await within(native._callThatPanics(), 10_000));
});

test('many panicking calls in flight all settle, and the runtime keeps serving calls', async () => {
  const outcomes = await within(
    Promise.all(Array.from({ length: 50 }, () => native._callThatPanics())),
    10_000,
  );
  assert.equal(outcomes.length, 50);
  outcomes.forEach(assertInternal);
  assertInternal(await within(native._callThatPanics(), 10_000));
});
