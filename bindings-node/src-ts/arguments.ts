/**
 * Type checks of arguments: the one kind of check this layer makes. A value of the wrong
 * JavaScript type is a `TypeError` here; whether a value of the right type is acceptable (an empty
 * id, a limit of 500) is the core's to decide, so the three SDKs agree.
 */

import type { AgentUpdate, RequestOptions } from './types.js';

function describe(value: unknown): string {
  if (value === null) return 'null';
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
  stringRecord('options.headers', o.headers);
  queryRecord('options.query', o.query);
  optionalObject('options.body', o.body);
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
 * from another SDK such as `httpAgent`) is an error and not a silent no-op. A key whose value
 * is `undefined` counts as absent. `hint` ends the message (what to do instead).
 */
export function knownKeys(name: string, value: object, known: readonly string[], hint = ''): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key) && (value as Record<string, unknown>)[key] !== undefined) {
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
  optionalObject('update', update);
  optionalString('update.name', update.name);
  optionalString('update.status', update.status);
  optionalObject('update.config', update.config);
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

/** An optional object of string values (headers). */
export function stringRecord(
  name: string,
  value: unknown,
): asserts value is Record<string, string> | undefined {
  optionalObject(name, value);
  if (value === undefined) return;
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new TypeError(`${name}[${JSON.stringify(key)}] must be a string, got ${describe(v)}`);
  }
}

/** An optional object of query values (strings, finite numbers, booleans). */
export function queryRecord(
  name: string,
  value: unknown,
): asserts value is Record<string, string | number | boolean> | undefined {
  optionalObject(name, value);
  if (value === undefined) return;
  for (const [key, v] of Object.entries(value)) {
    if (!(typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)))) {
      throw new TypeError(
        `${name}[${JSON.stringify(key)}] must be a string, a finite number or a boolean, got ${describe(v)}`,
      );
    }
  }
}
