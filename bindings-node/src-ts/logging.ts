/**
 * Per-attempt log records: level selection and formatting.
 *
 * The core reports every attempt (method, route template, status, timings, error kind, whether it
 * retries) through the binding; nothing here ever sees the key, ids or bodies. The sink is only
 * installed when something will be logged, so a client without logging pays nothing.
 */

import type { AttemptRecord } from '../native/index.js';
import type { AttemptLog, LogLevel, Logger } from './types.js';

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, off: 100 };

/** The host's `process`, where there is one (not in workerd or browsers). */
const host = (globalThis as { process?: Partial<NodeJS.Process> }).process;

/**
 * A process warning (`process.emitWarning`, as Node libraries report trouble that does not fail
 * a call), or a console warning where there is no `process` (workerd, browsers).
 */
export function emitWarning(message: string, code: string): void {
  if (typeof host?.emitWarning === 'function') host.emitWarning(message, { code });
  else console.warn(`${code}: ${message}`);
}

/** The values of `DELEGIR_LOG` already warned about (once each, not once per client). */
const warnedLogValues = new Set<string>();

/**
 * `DELEGIR_LOG`, if it names a level. Any other non-empty value is ignored with a process
 * warning naming the accepted levels (a warning, not an exception: the variable is read when a
 * client is made, and a typo in the environment must not break the application).
 */
function envLevel(): LogLevel | undefined {
  let raw: string | undefined;
  try {
    raw = host?.env?.DELEGIR_LOG?.trim().toLowerCase();
  } catch {
    // Deno without --allow-env: unset.
  }
  if (raw === undefined || raw === '') return undefined;
  if (raw in rank) return raw as LogLevel;
  if (!warnedLogValues.has(raw)) {
    warnedLogValues.add(raw);
    emitWarning(
      `DELEGIR_LOG=${JSON.stringify(raw)} is not a level and is ignored; the levels are ` +
        `${Object.keys(rank).join(', ')}`,
      'DELEGIR_LOG',
    );
  }
  return undefined;
}

/** Writes a line to stderr, or to the console where there is no stderr. */
function writeLine(message: string): void {
  if (host?.stderr?.write) host.stderr.write(`${message}\n`);
  else console.error(message);
}

/** Writes records to stderr, for `DELEGIR_LOG` without a `logger`. */
const stderrLogger: Logger = {
  debug: writeLine,
  info: writeLine,
  warn: writeLine,
  error: writeLine,
};

/**
 * The function the binding calls once per attempt, or `undefined` when nothing would be logged.
 * Level (decided by the core): `debug` for a success, `info` for a failure that is retried or
 * that the caller caused (400, 401, 404, invalid argument), `warn` for any other final failure.
 */
export function attemptSink(
  logger: Logger | undefined,
  level: LogLevel | undefined,
): ((record: AttemptRecord) => void) | undefined {
  const threshold = rank[level ?? envLevel() ?? (logger ? 'debug' : 'off')];
  if (threshold >= rank.off) return undefined;
  const target = logger ?? stderrLogger;
  return (r) => {
    // The level and the summary come from the core, so every language logs the same thing.
    const recordLevel = r.level as 'debug' | 'info' | 'warn';
    if (rank[recordLevel] < threshold) return;
    const log: AttemptLog = {
      method: r.method,
      route: r.route,
      status: r.status ?? null,
      attempt: r.attempt,
      elapsedMs: r.elapsedMs,
      waitMs: r.waitMs,
      error: r.error ?? null,
      willRetry: r.willRetry,
    };
    const message = `delegir ${recordLevel}: ${r.summary}`;
    try {
      target[recordLevel](message, log);
    } catch {
      // A failing logger must not break the calls it observes.
    }
  };
}

/** The napi addon's hook for the rate-limit store's log lines. */
type StoreLogHook = (sink: (line: { level: string; message: string }) => void) => void;

/**
 * The rate-limit store's lines (`rateLimitStore`): Redis unreachable is a process warning (the
 * URL in it has no password), as Node libraries report trouble that does not fail a call; the
 * line saying Redis is back goes to stderr under DELEGIR_LOG=debug|info. Called by
 * `native-binding.ts` when the addon loads (a value import of the addon here would pull it into
 * the WebAssembly build and its bundles); the WebAssembly build has no store and no such hook.
 */
export function installStoreLogSink(setStoreLogSink: StoreLogHook | undefined): void {
  if (typeof setStoreLogSink !== 'function') return;
  setStoreLogSink((line) => {
    if (line.level === 'warn') {
      emitWarning(line.message, 'DELEGIR_RATE_LIMIT_STORE');
    } else if (['debug', 'info'].includes(envLevel() ?? '')) {
      process.stderr.write(`delegir ${line.level}: ${line.message}\n`);
    }
  });
}
