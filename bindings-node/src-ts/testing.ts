/**
 * `delegir/testing`: the Delegir API emulator, in-process, for your tests.
 *
 * The emulator is the same Rust server the SDK's own tests use: stateful, namespaced by API key
 * (each key sees its own copy of the reference's agents and runs), rate-limited like the real API,
 * with a journal of the requests it received and injectable faults. It runs on its own thread and
 * never keeps the process alive.
 *
 * @example
 * import { Delegir } from 'delegir';
 * import { Emulator } from 'delegir/testing';
 *
 * const emulator = await Emulator.start({ rateLimit: 0 });
 * const client = new Delegir({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl });
 * await client.agents.list();
 * console.log(emulator.journal().length); // 1
 * await emulator.stop();
 */

import { startEmulator, type NativeEmulator } from '../native/index.js';
import * as check from './arguments.js';

/** Options of `Emulator.start`. */
export interface EmulatorStartOptions {
  /** Requests allowed per key per window; `0` turns rate limiting off (default 60). */
  rateLimit?: number;
  /** Length of the rate-limit window in milliseconds (default 60 000). */
  rateWindow?: number;
  /** The port on 127.0.0.1 (default 0: a free one, which `baseUrl` then names). */
  port?: number;
}

/** One request the emulator received. Never holds the key, only its fingerprint. */
export interface JournalEntry {
  /** Position in the order requests completed, from 1. */
  seq: number;
  /** When the request arrived. */
  time: Date;
  /** HTTP method, e.g. `GET`. */
  method: string;
  /** Full path including the prefix (`/api/v1/agents`), without the query. */
  path: string;
  /** `HTTP/1.1` or `HTTP/2.0`, as the request arrived. */
  httpVersion: string;
  /** The raw query string, if any. */
  query: string | null;
  /** The raw request body, if any. */
  body: string | null;
  /** Status sent, or `null` when no response was started. */
  status: number | null;
  /** `ok`, `rate_limited`, `unauthorized`, `fault:<kind>` or `client_disconnected`. */
  outcome: string;
  /** First 12 hex characters of the SHA-256 of the key sent. */
  keyFingerprint: string | null;
  /** Time from arrival to the response head, in milliseconds. */
  elapsedMs: number;
  /** Request headers (lower-case names; `x-api-key` left out), e.g. `headers['user-agent']`. */
  headers: Record<string, string>;
}

/**
 * What an injected fault does (the emulator's fault kinds; field names in camelCase):
 * `status` answers `status` with a JSON `body` (default `{"error":"Injected fault"}`), optional
 * `headers` (a `null` value removes one) and `resetInSecs`; `html` answers an HTML page; `delay`
 * waits `ms` then answers normally; `reset_before` resets the connection before answering;
 * `refuse_stream` refuses an HTTP/2 stream unprocessed (`REFUSED_STREAM`; HTTP/1.1: closes the connection);
 * `reset_mid_body` after half the body; `truncated` sends half the JSON; `malformed` invalid JSON;
 * `not_envelope` JSON without `data`; `redirect` a 3xx to `location`; `large` a body of `megabytes`.
 * Statuses are 200–599 (3xx for `redirect`; not 204 or 304 for `large`); unknown fields are refused.
 */
export type Fault =
  | {
      kind: 'status';
      status: number;
      body?: unknown;
      headers?: Record<string, string | null>;
      resetInSecs?: number;
    }
  | { kind: 'html'; status: number; body?: string }
  | { kind: 'delay'; ms: number }
  | { kind: 'reset_before' }
  | { kind: 'refuse_stream' }
  | { kind: 'reset_mid_body' }
  | { kind: 'truncated' }
  | { kind: 'malformed' }
  | { kind: 'not_envelope'; body?: unknown }
  | { kind: 'redirect'; status: number; location: string }
  | { kind: 'large'; megabytes: number; status?: number };

/** "The next `count` requests matching `method` and `path` (and `apiKey`) get `fault`." */
export interface FaultRule {
  /** `GET`, `POST`, ... or `*` (default `*`). */
  method?: string;
  /**
   * Path of the request, e.g. `/agents/agt_abc123` or `agents/agt_abc123` (the `/api/v1` prefix
   * is added when missing), or `*` (default).
   */
  path?: string;
  /** The fault. */
  fault: Fault;
  /** How many matching requests get it (default 1). */
  count?: number;
  /** Only requests with this key (default: any key). */
  apiKey?: string;
}

const DEFAULT_RATE_WINDOW_MS = 60_000;

/**
 * Calls the native half, throwing its argument errors as the usual JavaScript classes: the
 * emulator's checks (the same as its admin API's) decide, this only picks the class.
 */
function callNative<T>(call: () => T): T {
  try {
    return call();
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code;
    if (code === 'InvalidArg') throw new RangeError((e as Error).message);
    if (code === 'ObjectExpected') throw new TypeError((e as Error).message);
    throw e;
  }
}

function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** A running emulator. */
export class Emulator {
  readonly #native: NativeEmulator;
  /** The API's base URL, e.g. `http://127.0.0.1:PORT/api/v1`: pass it as `baseUrl`. */
  readonly baseUrl: string;
  /** The admin API's base URL, e.g. `http://127.0.0.1:PORT/__emulator`. */
  readonly adminUrl: string;
  /** A key made for this emulator: pass it as `apiKey`. */
  readonly apiKey: string;

  /** The rate-limit window in milliseconds, kept by `setRateLimit(limit)`. */
  #rateWindow: number;

  private constructor(native: NativeEmulator, rateWindow: number) {
    this.#native = native;
    this.baseUrl = native.baseUrl;
    this.adminUrl = native.adminUrl;
    this.apiKey = native.apiKey;
    this.#rateWindow = rateWindow;
  }

  /**
   * Starts an emulator on 127.0.0.1, on a free port unless `port` names one.
   *
   * @throws {TypeError} for an option of the wrong type; {RangeError} for `rateLimit` outside
   * 0–4294967295, `rateWindow` outside 1 ms – one day (86 400 000 ms) or `port` outside
   * 0–65535; {Error} when the port cannot be bound (e.g. it is taken).
   */
  static async start(options: EmulatorStartOptions = {}): Promise<Emulator> {
    check.optionalObject('options', options);
    check.optionalInteger('rateLimit', options.rateLimit);
    check.optionalNumber('rateWindow', options.rateWindow);
    check.optionalInteger('port', options.port);
    check.knownKeys('options', options, ['rateLimit', 'rateWindow', 'port']);
    const native = callNative(() => startEmulator(options.rateLimit, options.rateWindow, options.port));
    return new Emulator(native, options.rateWindow ?? DEFAULT_RATE_WINDOW_MS);
  }

  /** Another fresh key, with its own copy of the data and its own rate-limit window. */
  newApiKey(): string {
    return this.#native.newApiKey();
  }

  /** Requests received, oldest first; with a key, only that key's. */
  journal(apiKey?: string): JournalEntry[] {
    check.optionalString('apiKey', apiKey);
    const raw = JSON.parse(this.#native.journal(apiKey)) as Array<Record<string, unknown>>;
    return raw.map((e) => ({
      seq: e.seq as number,
      time: new Date(e.time as string),
      method: e.method as string,
      path: e.path as string,
      httpVersion: e.http_version as string,
      query: (e.query as string | null) ?? null,
      body: (e.body as string | null) ?? null,
      status: (e.status as number | null) ?? null,
      outcome: e.outcome as string,
      keyFingerprint: (e.key_fingerprint as string | null) ?? null,
      elapsedMs: e.elapsed_ms as number,
      headers: (e.headers as Record<string, string> | undefined) ?? {},
    }));
  }

  /** Empties the journal. */
  clearJournal(): void {
    this.#native.clearJournal();
  }

  /**
   * Queues a fault: the next `count` matching requests get it.
   *
   * @example
   * emulator.addFault({ method: 'GET', path: '/usage', fault: { kind: 'status', status: 500 } });
   */
  addFault(rule: FaultRule): void {
    check.optionalObject('rule', rule);
    if (rule === undefined) throw new TypeError('rule must be an object, got undefined');
    check.optionalObject('rule.fault', rule.fault);
    // A rule's keys are checked here (`times` for `count` would otherwise inject the fault once
    // instead of failing); the fault's own keys by the emulator, after the camelCase names
    // become snake_case, so a misspelt one (`header` for `headers`) is refused there.
    check.knownKeys('rule', rule, ['method', 'path', 'fault', 'count', 'apiKey']);
    check.optionalString('rule.path', rule.path);
    // `/usage`, `usage` and `/api/v1/usage` all mean the same path: the emulator adds the prefix.
    const path = rule.path ?? '*';
    const fault: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(rule.fault)) fault[snakeCase(key)] = value;
    const native = this.#native;
    callNative(() =>
      native.pushFault(
      JSON.stringify({
          method: rule.method ?? '*',
          path,
          count: rule.count ?? 1,
          api_key: rule.apiKey ?? null,
          fault,
        }),
      ),
    );
  }

  /** Removes every queued fault. */
  clearFaults(): void {
    this.#native.clearFaults();
  }

  /** Resets every key's data, windows and revocations, the faults and the journal (or one key's). */
  reset(apiKey?: string): void {
    check.optionalString('apiKey', apiKey);
    this.#native.reset(apiKey);
  }

  /** Revokes a key (default: this emulator's `apiKey`): its requests get 401 until a reset. */
  revokeKey(apiKey: string = this.apiKey): void {
    check.string('apiKey', apiKey);
    this.#native.revokeKey(apiKey);
  }

  /**
   * Sets the rate limit (0 = off) and its window in milliseconds (default: the current window).
   * If either changes, every key starts a fresh window.
   *
   * @throws {TypeError} for a limit that is not a whole number; {RangeError} for a limit outside
   * 0–4294967295 or a window outside 1 ms – one day (86 400 000 ms).
   */
  setRateLimit(limit: number, windowMs: number = this.#rateWindow): void {
    if (limit === undefined) throw new TypeError('limit must be a whole number, got undefined');
    check.optionalInteger('limit', limit);
    check.optionalNumber('windowMs', windowMs);
    callNative(() => this.#native.setRateLimit(limit, windowMs));
    this.#rateWindow = windowMs;
  }

  /** Stops the server; resolves once it no longer listens. Stopping twice does nothing. */
  async stop(): Promise<void> {
    await this.#native.stop();
  }
}
