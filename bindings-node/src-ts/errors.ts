/**
 * The error classes of the SDK: one root (`DelegirError`), the design's taxonomy under it, and the
 * mapping from the native binding's failure objects (`NativeError`, keyed by a stable `code`, never
 * by message) to those classes.
 *
 * Invalid arguments are not `DelegirError`s: they are the built-in `TypeError` (wrong type, or a
 * value the core rejects as malformed) and `RangeError` (right type, out of range), thrown before
 * anything is sent.
 */

import type { NativeError, NativeRateLimit } from '../native/index.js';
import type { RateLimit } from './types.js';

/**
 * The root of every error this SDK raises for a failed call (arguments aside). Thrown as such
 * for configuration problems and for an internal error of the SDK (a bug, caught where the call
 * runs, so that the call fails instead of staying pending).
 */
export class DelegirError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    Object.defineProperty(this, 'name', {
      value: new.target.name,
      enumerable: false,
      configurable: true,
      writable: true,
    });
  }
}

/** Fields shared by the errors that describe a response or a request. */
interface ErrorFields {
  rateLimit?: RateLimit | null;
  mayHaveReachedServer?: boolean;
}

/**
 * The server answered with a status that is not a success, whatever its body: a gateway's HTML
 * 502 is an `InternalServerError` whose message quotes the page.
 */
export class APIStatusError extends DelegirError {
  /** The HTTP status. */
  readonly status: number;
  /** The rate-limit headers of the failing response, if it had them. */
  readonly rateLimit: RateLimit | null;
  /**
   * Milliseconds to wait before the rate-limit window resets (set on `RateLimitError`), else
   * `null`.
   */
  readonly retryAfter: number | null;
  /** Whether the server may have acted on the request before failing. */
  readonly mayHaveReachedServer: boolean;
  /**
   * The failing response's body: parsed JSON when it is JSON (the API's `{ error }` envelope),
   * else its text, such as a gateway's HTML error page (which the message quotes too); `null`
   * when it was empty.
   */
  readonly body: unknown;
  /** The failing response's headers (empty when none came back whole). */
  readonly headers: Headers;
  /** The server's `X-Request-Id`, when it sent one: quote it when reporting a problem. */
  readonly requestId: string | null;

  constructor(
    status: number,
    message: string,
    fields: ErrorFields & { retryAfter?: number | null; body?: unknown; headers?: Headers } = {},
  ) {
    super(message);
    this.status = status;
    this.rateLimit = fields.rateLimit ?? null;
    this.retryAfter = fields.retryAfter ?? null;
    this.mayHaveReachedServer = fields.mayHaveReachedServer ?? true;
    this.body = fields.body ?? null;
    this.headers = fields.headers ?? new Headers();
    this.requestId = this.headers.get('x-request-id');
  }
}

/** A body's text as JSON when it is JSON, else the text itself. */
function parsedBody(text: string | null | undefined): unknown {
  if (text == null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** 400: the request was invalid (parameters or body). */
export class BadRequestError extends APIStatusError {}
/** 401: the API key is missing, malformed, revoked or unknown. */
export class AuthenticationError extends APIStatusError {}
/** 404: no such resource (e.g. an unknown agent id). */
export class NotFoundError extends APIStatusError {}
/**
 * 429: the rate limit was exceeded and waiting for the window would take longer than
 * `maxRateLimitWait` (or retries ran out). `retryAfter` says how many milliseconds to wait.
 * When the client's own rate-limit ledger refuses to wait, nothing is sent: `status` is still
 * 429, `headers` are empty and `mayHaveReachedServer` is `false`.
 */
export class RateLimitError extends APIStatusError {}
/** 5xx: the server failed. */
export class InternalServerError extends APIStatusError {}

/**
 * Nothing usable came back: DNS failure, refused or reset connection, TLS failure. (A redirect is
 * never followed; it is an `APIStatusError` with its 3xx status.) `mayHaveReachedServer` says
 * whether a chat may have created a run anyway.
 */
export class APIConnectionError extends DelegirError {
  /** Whether the server may have acted on the request before the connection failed. */
  readonly mayHaveReachedServer: boolean;

  constructor(message = 'Connection error.', fields: ErrorFields = {}) {
    super(message);
    this.mayHaveReachedServer = fields.mayHaveReachedServer ?? true;
  }
}

/** An attempt took longer than the `timeout`. */
export class APITimeoutError extends APIConnectionError {
  constructor(message = 'Request timed out.', fields: ErrorFields = {}) {
    super(message, fields);
  }
}

/** A successful (2xx) response came back but is not the documented envelope or shape, or is too large. */
export class APIResponseValidationError extends DelegirError {
  /** The HTTP status of the offending response, if one came back. */
  readonly status: number | null;
  /** The first characters of the offending body, to help diagnose proxies and gateways. */
  readonly bodyExcerpt: string | null;
  /** Whether the server may have acted on the request (after a chat: a run may exist). */
  readonly mayHaveReachedServer: boolean;

  constructor(
    message: string,
    fields: { status?: number | null; bodyExcerpt?: string | null; mayHaveReachedServer?: boolean } = {},
  ) {
    super(message);
    this.status = fields.status ?? null;
    this.bodyExcerpt = fields.bodyExcerpt ?? null;
    this.mayHaveReachedServer = fields.mayHaveReachedServer ?? true;
  }
}

/** The call's `AbortSignal` fired; the request was cancelled. */
export class APIUserAbortError extends DelegirError {
  /**
   * Whether the request may have been on its way when it was cancelled: `false` when the signal
   * had fired before the call began (nothing was sent), else assumed `true`.
   */
  readonly mayHaveReachedServer: boolean;

  constructor(message = 'Request was aborted.', fields: { mayHaveReachedServer?: boolean } = {}) {
    super(message);
    this.mayHaveReachedServer = fields.mayHaveReachedServer ?? true;
  }
}

// Each class's `name` (and so each error's, taken from `new.target.name`) set in so many words:
// bundlers rename classes, esbuild to avoid a clash in the bundle (`NotFoundError2`, seen in the
// edge-light test) and minifiers to shorten them, and `error.name` must stay the documented one.
for (const [cls, name] of [
  [DelegirError, 'DelegirError'],
  [APIStatusError, 'APIStatusError'],
  [BadRequestError, 'BadRequestError'],
  [AuthenticationError, 'AuthenticationError'],
  [NotFoundError, 'NotFoundError'],
  [RateLimitError, 'RateLimitError'],
  [InternalServerError, 'InternalServerError'],
  [APIConnectionError, 'APIConnectionError'],
  [APITimeoutError, 'APITimeoutError'],
  [APIResponseValidationError, 'APIResponseValidationError'],
  [APIUserAbortError, 'APIUserAbortError'],
] as const) {
  Object.defineProperty(cls, 'name', { value: name, configurable: true });
}

/** A standard `Headers` from the binding's `[name, value]` pairs. */
function toHeaders(pairs: string[][] | null | undefined): Headers {
  const headers = new Headers();
  for (const [name, value] of pairs ?? []) {
    if (name !== undefined && value !== undefined) headers.append(name, value);
  }
  return headers;
}

/** Converts the binding's rate-limit object (`reset` in epoch seconds). */
export function toRateLimit(r: NativeRateLimit): RateLimit {
  return { limit: r.limit, remaining: r.remaining, reset: new Date(r.reset * 1000) };
}

const statusClasses: Record<string, typeof APIStatusError> = {
  bad_request: BadRequestError,
  authentication: AuthenticationError,
  not_found: NotFoundError,
  rate_limited: RateLimitError,
  internal_server: InternalServerError,
  api_status: APIStatusError,
};

/** The core's option names (Rust's and Python's) as this package spells them. */
const optionNames: ReadonlyArray<[RegExp, string]> = [
  ['max_rate_limit_wait', 'maxRateLimitWait'],
  ['total_timeout', 'totalTimeout'],
  ['max_retries', 'maxRetries'],
  ['allow_insecure_http', 'allowInsecureHttp'],
  ['http2_prior_knowledge', 'http2PriorKnowledge'],
  ['connect_timeout', 'connectTimeout'],
  ['extra_ca_certs', 'extraCaCerts'],
  ['rate_limit_store', 'rateLimitStore'],
  ['trust_env', 'trustEnv'],
  ['api_key', 'apiKey'],
  ['base_url', 'baseUrl'],
  ['page_size', 'pageSize'],
  ['max_tokens', 'maxTokens'],
  ['system_prompt', 'systemPrompt'],
].map(([core, node]): [RegExp, string] => [new RegExp(`\\b${core}\\b`, 'g'), node as string]);

/** Rust's spellings in messages that read otherwise in JavaScript. */
const jsSpellings: ReadonlyArray<[RegExp, string]> = [
  // `max_response_bytes` is an option of the Rust crate only.
  [/ \(max_response_bytes\)/g, " (the SDK's limit on a response's size)"],
  // Rust's float formatting of an infinite number.
  [/\bgot (-?)inf\b/g, 'got $1Infinity'],
];

/**
 * The core's own message with the options it names spelled as in this package ("raise
 * max_rate_limit_wait" read as an option a Node user does not have). Not for messages that
 * carry the server's text (status errors), which are left as the server wrote them.
 */
function withNodeNames(message: string): string {
  let out = message;
  for (const [core, node] of optionNames) out = out.replace(core, node);
  for (const [rust, js] of jsSpellings) out = out.replace(rust, js);
  return out;
}

/** An argument's name as this package spells it (`page_size` is `pageSize` here). */
function nodeArgument(name: string): string {
  return name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The error to throw for a failure the binding reports. */
export function toError(e: NativeError): Error {
  const rateLimit = e.rateLimit ? toRateLimit(e.rateLimit) : null;
  const cls = statusClasses[e.code];
  if (cls !== undefined) {
    // A status error without a response is the client's own rate-limit ledger refusing to wait
    // (nothing was sent): its status is the one its class stands for, 429, and its message is
    // the core's own.
    const local = e.status == null;
    const status = e.status ?? (cls === RateLimitError ? 429 : 0);
    return new cls(status, local ? withNodeNames(e.message) : e.message, {
      rateLimit,
      // Whole milliseconds, as every duration of this package.
      retryAfter: e.retryAfterMs == null ? null : Math.ceil(e.retryAfterMs),
      mayHaveReachedServer: e.mayHaveReachedServer,
      // The whole body when the core kept it (status errors), else its excerpt.
      body: parsedBody(e.body ?? e.bodyExcerpt),
      headers: toHeaders(e.headers),
    });
  }
  switch (e.code) {
    case 'invalid_argument': {
      const message = withNodeNames(e.message);
      const error = e.outOfRange ? new RangeError(message) : new TypeError(message);
      if (e.argument != null) {
        Object.defineProperty(error, 'argument', { value: nodeArgument(e.argument), enumerable: false });
      }
      return error;
    }
    case 'connection':
      return new APIConnectionError(withNodeNames(e.message), { mayHaveReachedServer: e.mayHaveReachedServer });
    case 'timeout':
      return new APITimeoutError(withNodeNames(e.message), { mayHaveReachedServer: e.mayHaveReachedServer });
    case 'response_validation':
      return new APIResponseValidationError(e.message, {
        status: e.status ?? null,
        bodyExcerpt: e.bodyExcerpt ?? null,
        mayHaveReachedServer: e.mayHaveReachedServer,
      });
    case 'aborted':
      return new APIUserAbortError(e.message);
    default:
      // `configuration`, `internal` (a panic inside the SDK, caught where the call runs: the
      // message says an internal error happened) and codes newer than this layer.
      return new DelegirError(withNodeNames(e.message));
  }
}
