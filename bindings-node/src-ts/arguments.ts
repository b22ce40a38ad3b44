/**
 * Type checks of arguments: the one kind of check this layer makes. A value of the wrong
 * JavaScript type is a `TypeError` here; whether a value of the right type is acceptable (an empty
 * id, a limit of 500) is the core's to decide, so the three SDKs agree.
 */

import type { AgentUpdate, RequestOptions } from './types.js';

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/** A required string. */
export function string(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') {
    throw new TypeError(`${name} must be a string, got ${describe(value)}`);
  }
  // A lone surrogate has no UTF-8 form: the string would be sent with U+FFFD in its place (a
  // chat's text changed, and billed). Refused, as Python refuses it.
  const lone = LONE_SURROGATE.exec(value);
  if (lone !== null) {
    throw new TypeError(`${name} must be valid Unicode text; it has a lone surrogate at index ${lone.index}`);
  }
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** An optional string (`undefined` means absent). */
export function optionalString(name: string, value: unknown): asserts value is string | undefined {
  if (value !== undefined) string(name, value);
}

/** An optional number, any value (range is checked later). */
export function optionalNumber(name: string, value: unknown): asserts value is number | undefined {
  if (value !== undefined && typeof value !== 'number') {
    throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  }
}

/**
 * An optional whole number. Its range is the core's to check, except that it must be a safe
 * integer: beyond `Number.MAX_SAFE_INTEGER` a number no longer stands for one whole number, and
 * the bindings' conversion to a Rust integer would saturate it (`1e20` sent as i64::MAX).
 */
export function optionalInteger(name: string, value: unknown): asserts value is number | undefined {
  if (value === undefined) return;
  if (!(typeof value === 'number' && Number.isInteger(value))) {
    throw new TypeError(`${name} must be a whole number, got ${describe(value)}`);
  }
  if (!Number.isSafeInteger(value)) {
    const error = new RangeError(
      `${name} must be a whole number from -${Number.MAX_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER} ` +
        `(Number.MAX_SAFE_INTEGER), got ${value}`,
    );
    // Named like the core's argument errors (errors.ts `toError`).
    Object.defineProperty(error, 'argument', { value: name, enumerable: false });
    throw error;
  }
}

/** An optional boolean. */
export function optionalBoolean(name: string, value: unknown): asserts value is boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new TypeError(`${name} must be a boolean, got ${describe(value)}`);
  }
}

/** An optional function. */
export function optionalFunction(name: string, value: unknown): asserts value is Function | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`${name} must be a function, got ${describe(value)}`);
  }
}

/** A required plain object (not null, not an array). */
export function object(name: string, value: unknown): asserts value is object {
  if (value === undefined) throw new TypeError(`${name} must be an object, got undefined`);
  optionalObject(name, value);
}

/** An optional plain object (not null, not an array). */
export function optionalObject(name: string, value: unknown): asserts value is object | undefined {
  if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw new TypeError(`${name} must be an object, got ${describe(value)}`);
  }
}

/** The methods a `logger` must have (`Logger` in types.ts; `console` has them). */
const loggerMethods = ['debug', 'info', 'warn', 'error'] as const;

/**
 * An optional logger: an object with every method of `Logger`, so that records are not lost
 * to a logger that lacks the one a record goes to (`{}` or a misspelt method).
 */
export function optionalLogger(name: string, value: unknown): void {
  optionalObject(name, value);
  if (value === undefined) return;
  const missing = loggerMethods.filter((m) => typeof (value as Record<string, unknown>)[m] !== 'function');
  if (missing.length > 0) {
    throw new TypeError(
      `${name} must have the methods ${loggerMethods.join(', ')} (console has them); ` +
        `missing: ${missing.join(', ')}`,
    );
  }
}

/** The last argument of every call. */
export function requestOptions(value: unknown): asserts value is RequestOptions | undefined {
  optionalObject('options', value);
  if (value === undefined) return;
  const o = value as Record<string, unknown>;
  const signal = o.signal;
  if (
    signal !== undefined &&
    !(
      typeof signal === 'object' &&
      signal !== null &&
      typeof (signal as AbortSignal).addEventListener === 'function' &&
      typeof (signal as AbortSignal).aborted === 'boolean'
    )
  ) {
    throw new TypeError(`options.signal must be an AbortSignal, got ${describe(signal)}`);
  }
  optionalNumber('options.timeout', o.timeout);
  optionalInteger('options.maxRetries', o.maxRetries);
  optionalNumber('options.totalTimeout', o.totalTimeout);
  headerRecord('options.headers', o.headers);
  queryRecord('options.query', o.query);
  bodyJson('options.body', o.body);
  knownKeys('options', o, requestOptionKeys);
}

/** Every key a call's options may have. */
export const requestOptionKeys: readonly string[] = [
  'signal',
  'timeout',
  'maxRetries',
  'totalTimeout',
  'headers',
  'query',
  'body',
];

/**
 * Refuses keys this SDK does not know, so that an option it would ignore (a misspelling, or one
 * from another SDK such as `httpAgent`) is an error and not a silent no-op. Whatever the value:
 * `{ max_tokens: process.env.MAX_TOKENS }` is the same misspelling when the variable is unset.
 * `hint` ends the message (what to do instead).
 */
export function knownKeys(name: string, value: object, known: readonly string[], hint = ''): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new TypeError(
        `${name} has an unknown key ${JSON.stringify(key)}; the known keys are ${known.join(', ')}${hint}`,
      );
    }
  }
}

/** A body field the SDK has no argument for is sent with the call's `options.body`. */
const extraBodyHint =
  ' (a field this SDK does not know yet can be sent with options.body: { field: value })';

/** The fields of `agents.update()`'s argument. */
export function agentUpdate(update: AgentUpdate): void {
  plainObject('update', update);
  optionalString('update.name', update.name);
  optionalString('update.status', update.status);
  if (update.config !== undefined) plainObject('update.config', update.config);
  knownKeys('update', update, ['name', 'status', 'config'], extraBodyHint);
  const config = update.config;
  if (config !== undefined) {
    optionalString('update.config.model', config.model);
    optionalString('update.config.systemPrompt', config.systemPrompt);
    optionalNumber('update.config.temperature', config.temperature);
    optionalInteger('update.config.maxTokens', config.maxTokens);
    knownKeys('update.config', config, ['model', 'systemPrompt', 'temperature', 'maxTokens']);
  }
}

/** A plain object: a `Map` or class instance would have its entries ignored. */
function plainObject(name: string, value: unknown): void {
  optionalObject(name, value);
  if (!isPlainObject(value)) throw new TypeError(`${name} must be a plain object, got ${describeInstance(value)}`);
}

/** `a Map`, `a Headers`, ...: what a non-plain object is, for messages. */
function describeInstance(value: unknown): string {
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? `a ${name}` : describe(value);
}

/** Whether `value` is a plain object (`{...}` or `Object.create(null)`), not a class instance. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * The `[name, value]` pairs of a header or query argument: a plain object's own entries, or what
 * an iterable of pairs yields (`Headers`, `Map`, `URLSearchParams`, an array of pairs), so that
 * none of the usual forms is dropped. Anything else is a `TypeError` naming the argument.
 */
function pairs(name: string, value: unknown, forms: string): Array<[string, unknown]> {
  if (isPlainObject(value)) return Object.entries(value);
  const iterable = value as { [Symbol.iterator]?: unknown } | null;
  if (typeof value === 'object' && iterable !== null && typeof iterable[Symbol.iterator] === 'function') {
    const out: Array<[string, unknown]> = [];
    for (const pair of value as Iterable<unknown>) {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string') {
        throw new TypeError(`${name} must be ${forms}; one of its entries is ${describe(pair)}`);
      }
      out.push([pair[0], pair[1]]);
    }
    return out;
  }
  throw new TypeError(`${name} must be ${forms}, got ${describeInstance(value)}`);
}

/** The names of `pairs`, refusing one given twice (in any case): which value would win? */
function distinct(name: string, entries: Array<[string, unknown]>, caseless: boolean): void {
  const seen = new Set<string>();
  for (const [key] of entries) {
    const folded = caseless ? key.toLowerCase() : key;
    if (seen.has(folded)) {
      throw new TypeError(`${name} has ${JSON.stringify(key)} more than once; give each name one value`);
    }
    seen.add(folded);
  }
}

/**
 * Optional headers (a plain object, `Headers`, `Map` or array of `[name, value]` pairs) as the
 * plain object of strings the binding takes.
 */
export function headerRecord(name: string, value: unknown): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  const entries = pairs(name, value, 'an object of header values, a Headers, a Map or an array of [name, value] pairs');
  distinct(name, entries, true);
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, v] of entries) {
    string(`${name}[${JSON.stringify(key)}]`, v);
    out[key] = v;
  }
  return out;
}

/**
 * Optional query parameters (a plain object, `URLSearchParams`, `Map` or array of pairs; values
 * strings, finite numbers or booleans) as the plain object of strings the binding takes.
 */
export function queryRecord(name: string, value: unknown): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  const entries = pairs(name, value, 'an object of query values, a URLSearchParams, a Map or an array of [name, value] pairs');
  distinct(name, entries, false);
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, v] of entries) {
    const field = `${name}[${JSON.stringify(key)}]`;
    if (typeof v === 'string') {
      string(field, v);
    } else if (!(typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)))) {
      throw new TypeError(`${field} must be a string, a finite number or a boolean, got ${describe(v)}`);
    }
    out[key] = String(v);
  }
  return out;
}

/**
 * Optional extra body fields (a plain object of JSON values) as the JSON text the binding
 * takes. What `JSON.stringify` would change or drop without a word (`NaN` and `Infinity` sent as
 * `null`, a function or a `Map` left out, a `BigInt` thrown as its own error) is a `TypeError`
 * naming the field; a field set to `undefined` is absent, as in `JSON.stringify`.
 */
export function bodyJson(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) {
    throw new TypeError(`${name} must be a plain object of JSON values, got ${describeInstance(value)}`);
  }
  jsonValue(name, value);
  return JSON.stringify(value);
}

function jsonValue(path: string, value: unknown): void {
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'string') return string(path, value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${path} must be a finite number to be sent as JSON, got ${value}`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item: unknown, i) => jsonValue(`${path}[${i}]`, item));
    return;
  }
  if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) jsonValue(`${path}.${key}`, item);
    }
    return;
  }
  throw new TypeError(
    `${path} must be a JSON value (a string, finite number, boolean, null, array or plain object), got ${describeInstance(value)}`,
  );
}
