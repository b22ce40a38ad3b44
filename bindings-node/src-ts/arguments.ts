/**
 * Type checks of arguments: the one kind of check this layer makes. A value of the wrong
 * JavaScript type is a `TypeError` here; whether a value of the right type is acceptable (an empty
 * id, a limit of 500) is the core's to decide, so the three SDKs agree.
 */

import type { RequestOptions } from './types.js';

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
}

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

/** An optional whole number (range is checked later). */
export function optionalInteger(name: string, value: unknown): asserts value is number | undefined {
  if (value !== undefined && !(typeof value === 'number' && Number.isInteger(value))) {
    throw new TypeError(`${name} must be a whole number, got ${describe(value)}`);
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

/** An optional plain object (not null, not an array). */
export function optionalObject(name: string, value: unknown): asserts value is object | undefined {
  if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw new TypeError(`${name} must be an object, got ${describe(value)}`);
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
}
