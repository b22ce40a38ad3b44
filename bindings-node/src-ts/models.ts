/**
 * From what the binding sends to the public types.
 *
 * The binding sends camelCase JSON with timestamps as epoch milliseconds (see
 * `bindings-js/src/json.rs` for why JSON); here it is parsed once and the timestamps become
 * `Date`s in place, field by field, which is cheaper than a `JSON.parse` reviver that visits
 * every value.
 *
 * Pages of runs, the API's largest bodies, come as columns instead, from both builds
 * (`bindings-js/src/run_columns.rs` has the layout and the measurements): the runs are object
 * literals of one shape filled from a string and a `Float64Array`, about a sixth of what
 * `JSON.parse` of the same page costs V8.
 */

import type {
  Agent,
  AgentDetail,
  ChatReply,
  DeletedAgent,
  Run,
  RunPage,
  UpdatedAgent,
  Usage,
} from './types.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

function agentInPlace(a: any): Agent {
  a.createdAt = new Date(a.createdAt);
  if (a.lastActive !== null && a.lastActive !== undefined) a.lastActive = new Date(a.lastActive);
  return a as Agent;
}

/** `agents.list()`. */
export function agents(json: string): Agent[] {
  const list = JSON.parse(json);
  for (let i = 0; i < list.length; i++) agentInPlace(list[i]);
  return list as Agent[];
}

/** `agents.get()`. */
export function agentDetail(json: string): AgentDetail {
  return agentInPlace(JSON.parse(json)) as AgentDetail;
}

/** `agents.update()`. */
export function updatedAgent(json: string): UpdatedAgent {
  const u = JSON.parse(json);
  u.updatedAt = new Date(u.updatedAt);
  return u as UpdatedAgent;
}

/** `agents.delete()`. */
export function deletedAgent(json: string): DeletedAgent {
  return JSON.parse(json) as DeletedAgent;
}

/** `agents.chat()`. */
export function chatReply(json: string): ChatReply {
  return JSON.parse(json) as ChatReply;
}

/**
 * Runs as the addon's columns (`run_columns.rs`): every run's id then status in `text`; per run
 * six numbers (id end, status end, tokensUsed, cost, durationMs, createdAt in epoch ms), then
 * the page's total, limit and offset; the unknown fields, when any, as JSON
 * `[pageExtra, runIndex, runExtra, ...]`.
 */
export type RunColumns = [text: string, numbers: Float64Array, extras?: string];

/** Numbers per run in {@link RunColumns}. */
const RUN_NUMBERS = 6;

function runsFromColumns(text: string, numbers: Float64Array, count: number): Run[] {
  const runs = new Array<Run>(count);
  let start = 0;
  for (let i = 0, k = 0; i < count; i++, k += RUN_NUMBERS) {
    const idEnd = numbers[k];
    const statusEnd = numbers[k + 1];
    // One literal, so that every run has the same hidden class (the order of `json.rs`). A slice
    // of 13 characters or more shares `text` (V8's sliced strings): a kept id keeps its page's
    // text alive, a few KiB at most, as the price of not copying every string once more.
    runs[i] = {
      id: text.slice(start, idEnd),
      status: text.slice(idEnd, statusEnd),
      tokensUsed: numbers[k + 2],
      cost: numbers[k + 3],
      durationMs: numbers[k + 4],
      createdAt: new Date(numbers[k + 5]),
    };
    start = statusEnd;
  }
  return runs;
}

/** Adds the fields the SDK does not know, after the known ones, as `JSON.parse` would. */
function addExtra(target: Record<string, unknown>, extra: Record<string, unknown> | null): void {
  if (extra === null) return;
  for (const key of Object.keys(extra)) {
    // Not `target[key] = ...`: a key `__proto__` must stay a plain field, as in `JSON.parse`.
    Object.defineProperty(target, key, {
      value: extra[key],
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
}

function addExtras(extras: string | undefined, page: RunPage | null, runs: Run[]): void {
  if (extras === undefined) return;
  const parsed = JSON.parse(extras) as unknown[];
  if (page !== null) addExtra(page, parsed[0] as Record<string, unknown> | null);
  for (let i = 1; i < parsed.length; i += 2) {
    addExtra(runs[parsed[i] as number] as Run, parsed[i + 1] as Record<string, unknown>);
  }
}

/** `agents.runs.list()`. */
export function runPage(payload: RunColumns): RunPage {
  const [text, numbers, extras] = payload;
  const count = (numbers.length - 3) / RUN_NUMBERS;
  const base = count * RUN_NUMBERS;
  const runs = runsFromColumns(text, numbers, count);
  const page: RunPage = { runs, total: numbers[base], limit: numbers[base + 1], offset: numbers[base + 2] };
  addExtras(extras, page, runs);
  return page;
}

/** One page of the run pager: its runs, or `null` at the end (the JSON `"null"`). */
export function runsOrEnd(payload: RunColumns | string): Run[] | null {
  if (typeof payload === 'string') return JSON.parse(payload) as null;
  const [text, numbers, extras] = payload;
  const runs = runsFromColumns(text, numbers, numbers.length / RUN_NUMBERS);
  addExtras(extras, null, runs);
  return runs;
}

/** `usage.get()`. */
export function usage(json: string): Usage {
  const u = JSON.parse(json);
  u.billingPeriodStart = new Date(u.billingPeriodStart);
  u.billingPeriodEnd = new Date(u.billingPeriodEnd);
  return u as Usage;
}
