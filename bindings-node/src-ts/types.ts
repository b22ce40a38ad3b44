/**
 * The shapes the API returns and accepts, in camelCase, with timestamps as `Date`.
 *
 * Every result type keeps fields the server sent that this version of the SDK does not know
 * (under the server's own spelling), so a server that adds a field never breaks a client: hence
 * the index signature on each interface.
 */

/** Whether an agent accepts chats; an unknown status is kept as the server spells it. */
export type AgentStatus = 'active' | 'paused' | (string & {});

/** An agent as `agents.list()` returns it. */
export interface Agent {
  /** Unique id, such as `agt_abc123`. */
  id: string;
  /** Display name. */
  name: string;
  /** `active` or `paused`. */
  status: AgentStatus;
  /** Whether safety mode is on. */
  safetyMode: boolean;
  /** The template the agent was created from, if any. */
  template: string | null;
  /** Number of runs so far. */
  totalRuns: number;
  /** When the agent last ran, if ever. */
  lastActive: Date | null;
  /** When the agent was created. */
  createdAt: Date;
  /** Fields this SDK version does not know. */
  [field: string]: unknown;
}

/** Model settings of an agent. */
export interface AgentConfig {
  /** Model name. */
  model: string | null;
  /** System prompt. */
  systemPrompt: string | null;
  /** Sampling temperature, 0–2. */
  temperature: number | null;
  /** Maximum tokens per reply. */
  maxTokens: number | null;
  /** Fields this SDK version does not know. */
  [field: string]: unknown;
}

/** An agent with its configuration and channels, as `agents.get(id)` returns it. */
export interface AgentDetail extends Agent {
  /** Model settings. */
  config: AgentConfig;
  /** Channels the agent is connected to (`webchat`, `email`, ...). */
  channels: string[];
}

/** The fields `agents.update(id, update)` changes; only the fields given are sent. */
export interface AgentUpdate {
  /** New display name (not empty). */
  name?: string;
  /** New status. */
  status?: 'active' | 'paused';
  /** Configuration fields to change. */
  config?: AgentConfigUpdate;
}

/** The configuration fields to change; only the fields given are sent. */
export interface AgentConfigUpdate {
  /** Model name. */
  model?: string;
  /** System prompt. */
  systemPrompt?: string;
  /** Sampling temperature, 0–2. */
  temperature?: number;
  /** Maximum tokens per reply, at least 1. */
  maxTokens?: number;
}

/** The answer to `agents.update()`. */
export interface UpdatedAgent {
  /** The agent's id. */
  id: string;
  /** Its name after the update. */
  name: string;
  /** Its status after the update. */
  status: AgentStatus;
  /** When the update was applied. */
  updatedAt: Date;
  /** Fields this SDK version does not know. */
  [field: string]: unknown;
}

/** The answer to `agents.delete()`. */
export interface DeletedAgent {
  /** Always `true` on success. */
  deleted: boolean;
  /** The deleted agent's id. */
  id: string;
  /** Fields this SDK version does not know. */
  [field: string]: unknown;
}

/** The answer to `agents.chat()`. */
export interface ChatReply {
  /** The agent's reply. */
  response: string;
  /** The id of the run this chat created. */
  runId: string;
  /** Tokens the run used. */
  tokensUsed: number;
  /** Fields this SDK version does not know. */
  [field: string]: unknown;
}

/** One execution of an agent. */
export interface Run {
  /** Unique id, such as `run_xyz789`. */
  id: string;
  /** `completed`, `failed`, ... (kept as the server spells it). */
  status: string;
  /** Tokens used. */
  tokensUsed: number;
  /** Cost in US dollars. */
  cost: number;
  /** Wall time of the run in milliseconds. */
  durationMs: number;
  /** When the run started. */
  createdAt: Date;
  /** Fields this SDK version does not know. */
  [field: string]: unknown;
}

/** One page of `agents.runs.list()`, newest first. */
export interface RunPage {
  /** The runs on this page. */
  runs: Run[];
  /** The number of runs the agent has in all. */
  total: number;
  /** The page size the server applied. */
  limit: number;
  /** The offset the server applied. */
  offset: number;
  /** Fields this SDK version does not know. */
  [field: string]: unknown;
}

/** Usage of the current billing period. */
export interface Usage {
  /** Plan name, such as `PRO`. */
  plan: string;
  /** Runs used this period. */
  runsUsed: number;
  /** Runs allowed this period. */
  runsLimit: number;
  /** Tokens used this month. */
  tokensThisMonth: number;
  /** Cost this month in US dollars. */
  costThisMonth: number;
  /** Start of the billing period. */
  billingPeriodStart: Date;
  /** End of the billing period. */
  billingPeriodEnd: Date;
  /** Fields this SDK version does not know. */
  [field: string]: unknown;
}

/**
 * Headers: a plain object, or any iterable of `[name, value]` pairs (`Headers`, `Map`, an array).
 * A name given twice, in any case, is a `TypeError`.
 */
export type HeadersInput = Record<string, string> | Iterable<readonly [string, string]>;

/**
 * Query parameters: a plain object (strings, finite numbers, booleans), or any iterable of
 * `[name, value]` pairs (`URLSearchParams`, `Map`, an array). A name given twice is a `TypeError`.
 */
export type QueryInput = Record<string, string | number | boolean> | Iterable<readonly [string, string | number | boolean]>;

/** The `X-RateLimit-*` headers of a response. */
export interface RateLimit {
  /** Requests allowed per window (`X-RateLimit-Limit`). */
  limit: number;
  /** Requests left in the current window (`X-RateLimit-Remaining`). */
  remaining: number;
  /** When the window resets (`X-RateLimit-Reset`). */
  reset: Date;
}

/** Options every call takes as its last argument. */
export interface RequestOptions {
  /** Cancels the call: it rejects with `APIUserAbortError` at once and its request is dropped. */
  signal?: AbortSignal;
  /** Timeout of each attempt of this call, in milliseconds (`Infinity`: no per-attempt limit). */
  timeout?: number;
  /** Retries after the first attempt of this call. */
  maxRetries?: number;
  /**
   * Bound on everything this call does, in milliseconds: attempts, backoff and rate-limit waits.
   * When it runs out the call rejects with `APITimeoutError` and its ledger place is released.
   */
  totalTimeout?: number;
  /**
   * Extra headers (over the client's `defaultHeaders`). `X-API-Key`, `Host`, `Content-Length`,
   * `Transfer-Encoding` and `Connection` cannot be set; names and values with line breaks or
   * NUL are refused (`TypeError`) before anything is sent.
   */
  headers?: HeadersInput;
  /** Extra query parameters (over the client's `defaultQuery` and the call's own). */
  query?: QueryInput;
  /**
   * Extra top-level fields of the JSON body, for fields the API added before this SDK knew
   * them (calls that send a body only: `agents.update`, `agents.chat`).
   */
  body?: Record<string, unknown>;
}

/** What `client.withOptions()` takes: per-client settings a view may change. */
export interface ClientViewOptions {
  /** Timeout of each attempt, in milliseconds (`Infinity`: none). */
  timeout?: number;
  /** Retries after the first attempt. */
  maxRetries?: number;
  /** Bound on everything one call does, in milliseconds. */
  totalTimeout?: number;
  /** Headers added to every call of the view (over the client's). */
  defaultHeaders?: HeadersInput;
  /** Query parameters added to every call of the view (over the client's). */
  defaultQuery?: QueryInput;
}

/** Which page `agents.runs.list()` fetches. */
export interface RunListParams {
  /** Page size, 1–100 (the server's default is 20). */
  limit?: number;
  /** Runs to skip (default 0). */
  offset?: number;
}

/** How `agents.runs.iter()` pages. */
export interface RunIterParams {
  /** Runs per request, 1–100 (default 100, which spends the least of the rate limit). */
  pageSize?: number;
}

/** A log level, from the most to the least verbose. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'off';

/** What one attempt of a call did, as passed to a `logger`. Never holds the key, ids or bodies. */
export interface AttemptLog {
  /** `GET`, `PUT`, `DELETE` or `POST`. */
  method: string;
  /** The route template, e.g. `/agents/:id/chat`. */
  route: string;
  /** The response status, if one came back. */
  status: number | null;
  /** 1 for the first attempt, 2 for the first retry, ... */
  attempt: number;
  /** Milliseconds from sending to the end of the attempt. */
  elapsedMs: number;
  /** Milliseconds waited before the attempt (rate-limit ledger and backoff). */
  waitMs: number;
  /** The failure's kind (`timeout`, `internal_server`, ...), if the attempt failed. */
  error: string | null;
  /** Whether another attempt follows. */
  willRetry: boolean;
}

/** Where log records go: any object with console-like methods (`console` itself works). */
export interface Logger {
  debug(message: string, ...rest: unknown[]): void;
  info(message: string, ...rest: unknown[]): void;
  warn(message: string, ...rest: unknown[]): void;
  error(message: string, ...rest: unknown[]): void;
}

/** Settings of a `Delegir` client. */
export interface ClientOptions {
  /** The API key; default `process.env.DELEGIR_API_KEY`. */
  apiKey?: string;
  /** The base URL; default `process.env.DELEGIR_BASE_URL`, else `https://delegir.com/api/v1`. */
  baseUrl?: string;
  /** Timeout of each attempt, in milliseconds (default 60 000; `Infinity`: no per-attempt limit). */
  timeout?: number;
  /**
   * Bound on everything one call does, in milliseconds: attempts, backoff and rate-limit waits
   * (default: none). When it runs out the call rejects with `APITimeoutError`.
   */
  totalTimeout?: number;
  /** Headers every call sends (reserved ones such as `X-API-Key` cannot be set). */
  defaultHeaders?: HeadersInput;
  /** Query parameters every call sends. */
  defaultQuery?: QueryInput;
  /** Retries after the first attempt (default 2). */
  maxRetries?: number;
  /**
   * Longest wait, in milliseconds, for a rate-limit window to reset before failing with
   * `RateLimitError` (default 60 000).
   */
  maxRateLimitWait?: number;
  /**
   * Whether requests are paced by the rate-limit ledger shared by every client of the same key
   * in the process, so they do not meet 429s (default `true`).
   */
  rateLimit?: boolean;
  /**
   * Shares the rate-limit ledger through Redis (or Valkey), so that every process and machine
   * using this key keeps to one quota: `'redis://host:6379/0'`, or `'rediss://…'` for TLS, with
   * an optional password (`'redis://:password@host:6379/0'`) that is never logged or shown.
   * Default `process.env.DELEGIR_RATE_LIMIT_STORE`, else this process's ledger only. While Redis
   * is unreachable, calls go on under this process's ledger and the shared one resumes when it
   * is back.
   */
  rateLimitStore?: string;
  /** Allows plain `http://` to hosts other than loopback (default `false`: the key would travel in clear text). */
  allowInsecureHttp?: boolean;
  /**
   * Speaks HTTP/2 from the first byte instead of HTTP/1.1 (default `false`). Over `https`,
   * HTTP/2 is negotiated anyway when the server offers it; this is for a plain `http` server that
   * speaks HTTP/2, such as the emulator. Every call then shares one connection, so thousands of
   * concurrent calls cost a stream each instead of a socket each.
   */
  http2PriorKnowledge?: boolean;
  /**
   * Sends every request through this HTTP proxy: `'http://proxy.example:3128'`, or
   * `'http://user:password@proxy.example:3128'` for `Proxy-Authorization: Basic` (never logged
   * or shown in errors). `https` requests go through a `CONNECT` tunnel. Default: the
   * `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` / `NO_PROXY` environment variables (either case).
   */
  proxy?: string;
  /** `false` ignores the proxy variables and `NODE_EXTRA_CA_CERTS` (default `true`). */
  trustEnv?: boolean;
  /**
   * A PEM file of certificate authorities trusted in addition to the platform's (as is
   * `NODE_EXTRA_CA_CERTS`). A missing file, or one without a certificate, throws.
   */
  extraCaCerts?: string;
  /**
   * Longest time spent opening a connection, in milliseconds (default 10 000, never more than
   * `timeout`): DNS, TCP over every address of the host (tried 250 ms apart), a proxy's tunnel,
   * TLS. Running out throws `APITimeoutError`; nothing was sent, so it is retried for every call.
   */
  connectTimeout?: number;
  /**
   * Receives one record per attempt. Records go to `logger[level]` with `level` per record:
   * `debug` for a success, `info` for a failure that is retried, `warn` for a final failure.
   */
  logger?: Logger;
  /** The least severe level logged; default `process.env.DELEGIR_LOG`, else `debug` with a `logger` and `off` without. */
  logLevel?: LogLevel;
  /**
   * The `fetch` function requests go through (same signature as the global `fetch`): a mock
   * such as msw's, or undici's `fetch` with a proxy dispatcher. WebAssembly build only
   * (`delegir/wasm`, and Workers, Deno and browsers by default); the native addon sends requests
   * itself and throws a `TypeError` when given one. Default: the host's global `fetch`.
   */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  /**
   * Allows the client in a browser page, where anyone who opens the page can read the API key.
   * Without it, constructing a client in a page throws. (Workers, Deno, Bun and Node are not
   * browser pages.)
   */
  dangerouslyAllowBrowser?: boolean;
}
