/**
 * `Delegir`: the client users construct, with `agents`, `agents.runs` and `usage` resources.
 *
 * Each method checks its arguments' JavaScript types, hands them to the native client (which
 * validates, paces, sends, retries and decodes, all in the Rust core), and turns the result into
 * the public types or the failure into an error class. The API key goes straight to the native
 * side and is never stored on a JavaScript object, so nothing can print it.
 */

import type { Binding, CancelToken, NativeClient, NativeError } from './binding.js';
import * as check from './arguments.js';
import { APIPromise, type Capture } from './promise.js';
import { APIUserAbortError, DelegirError, toError, toRateLimit } from './errors.js';
import { attemptSink } from './logging.js';
import * as models from './models.js';
import type {
  Agent,
  AgentDetail,
  AgentUpdate,
  ChatReply,
  ClientOptions,
  ClientViewOptions,
  DeletedAgent,
  RateLimit,
  RequestOptions,
  Run,
  RunIterParams,
  RunListParams,
  RunPage,
  UpdatedAgent,
  Usage,
} from './types.js';

/** What a native call resolves to: JSON, or a page's columns (`models.ts`); else a failure. */
type Payload = string | models.RunColumns;
type Start<P extends Payload> = (
  native: NativeClient,
  timeout: number | undefined,
  maxRetries: number | undefined,
  token: CancelToken | undefined,
) => Promise<P | NativeError>;

function settle<P extends Payload, T>(outcome: P | NativeError, convert: (payload: P) => T): T {
  if (typeof outcome === 'string' || Array.isArray(outcome)) return convert(outcome as P);
  throw toError(outcome as NativeError);
}

/** Views (option views, raw responses) need the native client's `withOptions`. */
function requireViews(native: NativeClient): void {
  if (typeof (native as Partial<NativeClient>).withOptions !== 'function') {
    throw new DelegirError(
      'per-call headers, query, body, totalTimeout, withOptions() and withResponse() need a ' +
        'native module as recent as this package; this one is older (reinstall delegir)',
    );
  }
}

/**
 * The native client a call goes through: `native` itself (the usual case: nothing is made), or a
 * view of it with the call's extra headers, query, body fields and overall deadline (the core
 * checks them), capturing its response for `withResponse()` when asked.
 */
function viewFor(native: NativeClient, options: RequestOptions | undefined, capture: Capture | null): NativeClient {
  let target = native;
  if (
    options !== undefined &&
    (options.headers !== undefined ||
      options.query !== undefined ||
      options.body !== undefined ||
      options.totalTimeout !== undefined)
  ) {
    requireViews(native);
    const view = native.withOptions({
      totalTimeout: options.totalTimeout,
      headers: check.headerRecord('options.headers', options.headers),
      query: check.queryRecord('options.query', options.query),
      body: check.bodyJson('options.body', options.body),
    });
    if (isNativeError(view)) throw toError(view);
    target = view;
  }
  if (capture !== null) {
    requireViews(target);
    target = target.capturing();
    capture.view = target;
  }
  return target;
}

/**
 * Starts a native call with the per-call options. With a signal, aborting rejects at once with
 * `APIUserAbortError` and fires the call's `CancelToken`, which drops the Rust request.
 */
function invoke<P extends Payload, T>(
  binding: Binding,
  native: NativeClient,
  capture: Capture | null,
  options: RequestOptions | undefined,
  begin: Start<P>,
  convert: (payload: P) => T,
): Promise<T> {
  const target = viewFor(native, options, capture);
  const start: Start<P> = loggedByAddon.has(native)
    ? (n, t, r, c) => begin(n, t, r, c).then(afterLogRecords)
    : begin;
  if (options === undefined) {
    return start(target, undefined, undefined, undefined).then((o) => settle(o, convert));
  }
  const { signal, timeout, maxRetries } = options;
  if (signal === undefined) {
    return start(target, timeout, maxRetries, undefined).then((o) => settle(o, convert));
  }
  if (signal.aborted) {
    return Promise.reject(new APIUserAbortError('Request was aborted before it began.', { mayHaveReachedServer: false }));
  }
  const token = new binding.CancelToken();
  return new Promise<T>((resolve, reject) => {
    const stopWatching = onAbort(signal, () => {
      token.cancel();
      reject(new APIUserAbortError());
    });
    start(target, timeout, maxRetries, token).then(
      (outcome) => {
        stopWatching();
        try {
          resolve(settle(outcome, convert));
        } catch (error) {
          reject(error);
        }
      },
      (error: unknown) => {
        stopWatching();
        reject(error);
      },
    );
  });
}

/**
 * Native clients (and their views) of the addon whose attempts are logged. The addon delivers
 * an attempt's log record and the call's outcome through two threadsafe functions, which Node
 * may run in either order: the record of the attempt that failed a call could come after the
 * caller's `await` resumed, and be lost by a script that then exits. Such calls settle one
 * macrotask later, once the event loop has run every callback already signalled, the record's
 * among them (it is signalled first). Calls without logging do not wait.
 */
const loggedByAddon = new WeakSet<NativeClient>();

const nextMacrotask: (run: () => void) => void =
  typeof setImmediate === 'function' ? (run) => setImmediate(run) : (run) => setTimeout(run, 0);

function afterLogRecords<P>(outcome: P): Promise<P> {
  return new Promise((resolve) => nextMacrotask(() => resolve(outcome)));
}

/** The calls watching a signal, and the one listener that tells them (see {@link onAbort}). */
interface Watchers {
  callbacks: Set<() => void>;
  listener: () => void;
}

const watchers = new WeakMap<AbortSignal, Watchers>();

/**
 * Runs `callback` when `signal` aborts; returns what stops watching. One listener per signal,
 * whatever the number of calls that share it, removed with the last call: one `abort` listener
 * per call made Node warn (`MaxListenersExceededWarning`) once eleven calls shared a signal, the
 * usual way to cancel a batch or to stop on shutdown.
 */
function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let watching = watchers.get(signal);
  if (watching === undefined) {
    const callbacks = new Set<() => void>();
    const listener = (): void => {
      watchers.delete(signal);
      for (const watcher of callbacks) watcher();
    };
    watching = { callbacks, listener };
    watchers.set(signal, watching);
    signal.addEventListener('abort', listener, { once: true });
  }
  const { callbacks, listener } = watching;
  callbacks.add(callback);
  return () => {
    callbacks.delete(callback);
    if (callbacks.size === 0 && watchers.get(signal) === watching) {
      watchers.delete(signal);
      signal.removeEventListener('abort', listener);
    }
  };
}

/** `client.agents.runs`: the execution history of an agent. */
export class Runs {
  readonly #native: NativeClient;
  readonly #binding: Binding;

  /** @internal */
  constructor(native: NativeClient, binding: Binding) {
    this.#native = native;
    this.#binding = binding;
  }

  /**
   * `GET /agents/:id/runs`: one page of runs, newest first.
   *
   * @example
   * const page = await client.agents.runs.list('agt_abc123', { limit: 10, offset: 0 });
   * console.log(`${page.runs.length} of ${page.total} runs`);
   */
  list(id: string, params?: RunListParams, options?: RequestOptions): APIPromise<RunPage> {
    return new APIPromise((capture) => {
      check.string('id', id);
      check.optionalObject('params', params);
      const limit = params?.limit;
      const offset = params?.offset;
      check.optionalInteger('limit', limit);
      check.optionalInteger('offset', offset);
      if (params !== undefined) check.knownKeys('params', params, ['limit', 'offset']);
      check.requestOptions(options);
      return invoke(
        this.#binding,
        this.#native,
        capture,
        options,
        (n, t, r, c) => n.runs(id, limit, offset, t, r, c),
        models.runPage,
      );
    });
  }

  /**
   * Every run of an agent, newest first, fetched lazily page by page (100 runs per request
   * unless `pageSize` says otherwise). Runs created while paging are not yielded; none is
   * yielded twice. The options apply to every page; the signal stops the iteration.
   *
   * @example
   * for await (const run of client.agents.runs.iter('agt_abc123')) {
   *   console.log(run.id, run.status, run.createdAt.toISOString());
   * }
   */
  async *iter(
    id: string,
    params?: RunIterParams,
    options?: RequestOptions,
  ): AsyncGenerator<Run, void, undefined> {
    check.string('id', id);
    check.optionalObject('params', params);
    const pageSize = params?.pageSize;
    check.optionalInteger('pageSize', pageSize);
    if (params !== undefined) check.knownKeys('params', params, ['pageSize']);
    check.requestOptions(options);
    const pager = viewFor(this.#native, options, null).runsPager(id, pageSize, options?.timeout, options?.maxRetries);
    if (isNativeError(pager)) throw toError(pager);
    const signal = options?.signal;
    const pageOptions = signal ? { signal } : undefined;
    for (;;) {
      const runs = await invoke(this.#binding, this.#native, null, pageOptions, (_n, _t, _r, c) => pager.nextPage(c), models.runsOrEnd);
      if (runs === null) return;
      for (const run of runs) {
        // Aborted while the caller handled a run: the rest of the page is not yielded either.
        if (signal?.aborted) throw new APIUserAbortError('The iteration was aborted.', { mayHaveReachedServer: false });
        yield run;
      }
    }
  }
}

/** `client.agents`: list, get, update, delete and chat with agents. */
export class Agents {
  readonly #native: NativeClient;
  readonly #binding: Binding;
  /** The execution history of agents. */
  readonly runs: Runs;

  /** @internal */
  constructor(native: NativeClient, binding: Binding) {
    this.#native = native;
    this.#binding = binding;
    this.runs = new Runs(native, binding);
  }

  /** `GET /agents`: every agent of the key's owner. */
  list(options?: RequestOptions): APIPromise<Agent[]> {
    return new APIPromise((capture) => {
      check.requestOptions(options);
      return invoke(this.#binding, this.#native, capture, options, (n, t, r, c) => n.list(t, r, c), models.agents);
    });
  }

  /** `GET /agents/:id`: one agent with its configuration and channels. */
  get(id: string, options?: RequestOptions): APIPromise<AgentDetail> {
    return new APIPromise((capture) => {
      check.string('id', id);
      check.requestOptions(options);
      return invoke(this.#binding, this.#native, capture, options, (n, t, r, c) => n.get(id, t, r, c), models.agentDetail);
    });
  }

  /**
   * `PUT /agents/:id`: changes only the fields given.
   *
   * @example
   * await client.agents.update('agt_abc123', { name: 'Support', config: { temperature: 0.5 } });
   */
  update(id: string, update: AgentUpdate, options?: RequestOptions): APIPromise<UpdatedAgent> {
    return new APIPromise((capture) => {
      check.string('id', id);
      if (update === undefined) throw new TypeError('update must be an object, got undefined');
      check.agentUpdate(update);
      const config = update.config;
      check.requestOptions(options);
      const payload = {
        name: update.name,
        status: update.status,
        config:
          config === undefined
            ? undefined
            : {
                model: config.model,
                systemPrompt: config.systemPrompt,
                temperature: config.temperature,
                maxTokens: config.maxTokens,
              },
      };
      return invoke(
        this.#binding,
        this.#native,
        capture,
        options,
        (n, t, r, c) => n.update(id, payload, t, r, c),
        models.updatedAgent,
      );
    });
  }

  /** `DELETE /agents/:id`: deletes the agent with its runs and channels. */
  delete(id: string, options?: RequestOptions): APIPromise<DeletedAgent> {
    return new APIPromise((capture) => {
      check.string('id', id);
      check.requestOptions(options);
      return invoke(this.#binding, this.#native, capture, options, (n, t, r, c) => n.delete(id, t, r, c), models.deletedAgent);
    });
  }

  /**
   * `POST /agents/:id/chat`: sends a message and returns the reply. Each chat is a billed run,
   * so it is never resent once it may have reached the server: after a timeout or a dropped
   * connection the error's `mayHaveReachedServer` is `true`.
   */
  chat(id: string, message: string, options?: RequestOptions): APIPromise<ChatReply> {
    return new APIPromise((capture) => {
      check.string('id', id);
      check.string('message', message);
      check.requestOptions(options);
      return invoke(this.#binding, this.#native, capture, options, (n, t, r, c) => n.chat(id, message, t, r, c), models.chatReply);
    });
  }
}

/** `client.usage`: usage of the current billing period. */
export class UsageResource {
  readonly #native: NativeClient;
  readonly #binding: Binding;

  /** @internal */
  constructor(native: NativeClient, binding: Binding) {
    this.#native = native;
    this.#binding = binding;
  }

  /** `GET /usage`: usage and limits of the current billing period. */
  get(options?: RequestOptions): APIPromise<Usage> {
    return new APIPromise((capture) => {
      check.requestOptions(options);
      return invoke(this.#binding, this.#native, capture, options, (n, t, r, c) => n.usage(t, r, c), models.usage);
    });
  }
}

const logLevels: readonly string[] = ['debug', 'info', 'warn', 'error', 'off'];

/** Every key of the client's options (anything else is a `TypeError`, never ignored). */
const clientOptionKeys: readonly string[] = [
  'apiKey',
  'baseUrl',
  'timeout',
  'totalTimeout',
  'maxRetries',
  'maxRateLimitWait',
  'rateLimit',
  'rateLimitStore',
  'allowInsecureHttp',
  'http2PriorKnowledge',
  'proxy',
  'trustEnv',
  'extraCaCerts',
  'connectTimeout',
  'defaultHeaders',
  'defaultQuery',
  'logger',
  'logLevel',
  'fetch',
  'dangerouslyAllowBrowser',
];

/** Every key `withOptions` takes. */
const viewOptionKeys: readonly string[] = ['timeout', 'maxRetries', 'totalTimeout', 'defaultHeaders', 'defaultQuery'];

/** The constructor's hidden way to make a view (`withOptions`); a symbol, so no option clashes. */
const viewOf = Symbol('delegir.viewOf');

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/**
 * A client of the Delegir API.
 *
 * Every call validates its arguments before sending, paces itself with a rate-limit ledger shared
 * by every client of the same key in the process, retries what is safe to retry, and never sends a
 * chat twice. Every method takes a last `{ signal?, timeout?, maxRetries? }` argument.
 *
 * @example
 * import { Delegir } from 'delegir';
 * const client = new Delegir(); // DELEGIR_API_KEY from the environment
 * const agents = await client.agents.list();
 * const reply = await client.agents.chat(agents[0].id, 'How do I reset my password?');
 */
export class Delegir {
  /**
   * The native module this class runs on: the napi addon or the WebAssembly build, chosen by
   * the entry point (`delegir` or `delegir/wasm`), each of which exports a subclass.
   *
   * @internal
   */
  static binding: () => Binding = () => {
    throw new TypeError("import Delegir from 'delegir' or 'delegir/wasm'");
  };

  /** Agents and their runs. */
  readonly agents: Agents;
  /** Usage of the current billing period. */
  readonly usage: UsageResource;
  readonly #native: NativeClient;
  readonly #binding: Binding;

  /**
   * @throws {DelegirError} when no key is given or set in `DELEGIR_API_KEY`, or the base URL is
   * invalid.
   * @throws {TypeError} / {RangeError} for an option of the wrong type or out of range.
   */
  constructor(options: ClientOptions = {}) {
    // Before reading the view's key: `null` is refused like any other non-object (`undefined`
    // is the default `{}`).
    check.optionalObject('options', options);
    const view = (options as { [viewOf]?: [NativeClient, Binding] })[viewOf];
    if (view !== undefined) {
      // `withOptions`: a view over another client's native client.
      const [native, binding] = view;
      this.#native = native;
      this.#binding = binding;
      this.agents = new Agents(native, binding);
      this.usage = new UsageResource(native, binding);
      return;
    }
    check.knownKeys('options', options, clientOptionKeys);
    check.optionalNumber('totalTimeout', options.totalTimeout);
    const defaultHeaders = check.headerRecord('defaultHeaders', options.defaultHeaders);
    const defaultQuery = check.queryRecord('defaultQuery', options.defaultQuery);
    check.optionalString('apiKey', options.apiKey);
    check.optionalString('baseUrl', options.baseUrl);
    check.optionalNumber('timeout', options.timeout);
    check.optionalInteger('maxRetries', options.maxRetries);
    check.optionalNumber('maxRateLimitWait', options.maxRateLimitWait);
    check.optionalBoolean('rateLimit', options.rateLimit);
    check.optionalString('rateLimitStore', options.rateLimitStore);
    check.optionalBoolean('allowInsecureHttp', options.allowInsecureHttp);
    check.optionalBoolean('http2PriorKnowledge', options.http2PriorKnowledge);
    check.optionalString('proxy', options.proxy);
    check.optionalBoolean('trustEnv', options.trustEnv);
    check.optionalString('extraCaCerts', options.extraCaCerts);
    check.optionalNumber('connectTimeout', options.connectTimeout);
    check.optionalLogger('logger', options.logger);
    check.optionalString('logLevel', options.logLevel);
    if (options.logLevel !== undefined && !logLevels.includes(options.logLevel)) {
      throw new TypeError(`logLevel must be one of ${logLevels.join(', ')}, got ${options.logLevel}`);
    }
    check.optionalFunction('fetch', options.fetch);
    check.optionalBoolean('dangerouslyAllowBrowser', options.dangerouslyAllowBrowser);
    if (isBrowserPage() && options.dangerouslyAllowBrowser !== true) {
      throw new DelegirError(
        'It looks like you are running in a browser page, where the API key would be exposed to ' +
          'anyone who opens it. Call the API from a server instead, or pass ' +
          '`dangerouslyAllowBrowser: true` if you understand the risk (e.g. a key scoped to a ' +
          'demo).',
      );
    }
    const binding = (new.target as typeof Delegir).binding();
    if (options.fetch !== undefined && binding.kind !== 'wasm') {
      throw new TypeError(
        'the fetch option is only supported by the WebAssembly build of delegir (import it from ' +
          "'delegir/wasm'); the native addon sends requests itself",
      );
    }
    const sink = attemptSink(options.logger, options.logLevel);
    const native = binding.createClient(
      {
        fetch: options.fetch,
        apiKey: options.apiKey,
        baseUrl: options.baseUrl,
        timeout: options.timeout,
        totalTimeout: options.totalTimeout,
        defaultHeaders,
        defaultQuery,
        maxRetries: options.maxRetries,
        maxRateLimitWait: options.maxRateLimitWait,
        rateLimit: options.rateLimit,
        rateLimitStore: options.rateLimitStore,
        allowInsecureHttp: options.allowInsecureHttp,
        http2PriorKnowledge: options.http2PriorKnowledge,
        proxy: options.proxy,
        trustEnv: options.trustEnv,
        extraCaCerts: options.extraCaCerts,
        connectTimeout: options.connectTimeout,
      },
      sink,
    );
    if (!isNativeClient(native)) throw toError(native);
    if (sink !== undefined && binding.kind === 'native') loggedByAddon.add(native);
    this.#native = native;
    this.#binding = binding;
    this.agents = new Agents(native, binding);
    this.usage = new UsageResource(native, binding);
  }

  /**
   * A client with these options over this one's, sharing its connection pool and rate-limit
   * ledger. `defaultHeaders` and `defaultQuery` are added to this client's.
   *
   * @example
   * const patient = client.withOptions({ timeout: 120_000, maxRetries: 5 });
   */
  withOptions(options: ClientViewOptions): Delegir {
    // Required: a view without options would be this client again, so a missing (or
    // `undefined`) argument is more likely a mistake than a request for a copy.
    check.object('options', options);
    check.knownKeys('options', options, viewOptionKeys);
    check.optionalNumber('timeout', options.timeout);
    check.optionalInteger('maxRetries', options.maxRetries);
    check.optionalNumber('totalTimeout', options.totalTimeout);
    const headers = check.headerRecord('defaultHeaders', options.defaultHeaders);
    const query = check.queryRecord('defaultQuery', options.defaultQuery);
    requireViews(this.#native);
    const native = this.#native.withOptions({
      timeout: options.timeout,
      maxRetries: options.maxRetries,
      totalTimeout: options.totalTimeout,
      headers,
      query,
    });
    if (isNativeError(native)) throw toError(native);
    if (loggedByAddon.has(this.#native)) loggedByAddon.add(native);
    const Class = this.constructor as new (options: ClientOptions) => Delegir;
    return new Class({ [viewOf]: [native, this.#binding] } as ClientOptions);
  }

  /** The base URL requests go to. */
  get baseUrl(): string {
    return this.#native.baseUrl;
  }

  /**
   * The rate-limit headers of the last response any client of this key received, or `null`
   * before the first response.
   */
  get rateLimit(): RateLimit | null {
    const r = this.#native.rateLimit;
    return r == null ? null : toRateLimit(r);
  }

  /** What `JSON.stringify(client)` shows: never the key. */
  toJSON(): { baseUrl: string } {
    return { baseUrl: this.baseUrl };
  }

  /** What `util.inspect(client)` and `console.log(client)` show: never the key. */
  [inspectSymbol](): string {
    return `Delegir { baseUrl: ${JSON.stringify(this.baseUrl)}, apiKey: '***' }`;
  }
}

/**
 * Whether this is a browser page (a `window` with a `document`), where a key would be exposed.
 * Workers (no `window`), Deno, Bun and Node are not.
 */
function isBrowserPage(): boolean {
  const g = globalThis as { window?: { document?: unknown } };
  return typeof g.window === 'object' && g.window !== null && typeof g.window.document !== 'undefined';
}

function isNativeError(value: object): value is NativeError {
  return typeof (value as NativeError).code === 'string';
}

function isNativeClient(value: NativeClient | NativeError): value is NativeClient {
  return typeof (value as NativeError).code !== 'string';
}

export { DelegirError };
