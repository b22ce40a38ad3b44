/**
 * From the binding's JSON to the public types.
 *
 * The binding sends camelCase JSON with timestamps as epoch milliseconds (see the crate's
 * `models.rs` for why JSON); here it is parsed once and the timestamps become `Date`s in place,
 * field by field, which is cheaper than a `JSON.parse` reviver that visits every value.
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

function runsInPlace(runs: any[]): Run[] {
  for (let i = 0; i < runs.length; i++) runs[i].createdAt = new Date(runs[i].createdAt);
  return runs as Run[];
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

/** `agents.runs.list()`. */
export function runPage(json: string): RunPage {
  const page = JSON.parse(json);
  runsInPlace(page.runs);
  return page as RunPage;
}

/** One page of the run pager: its runs, or `null` at the end. */
export function runsOrEnd(json: string): Run[] | null {
  const runs = JSON.parse(json);
  return runs === null ? null : runsInPlace(runs);
}

/** `usage.get()`. */
export function usage(json: string): Usage {
  const u = JSON.parse(json);
  u.billingPeriodStart = new Date(u.billingPeriodStart);
  u.billingPeriodEnd = new Date(u.billingPeriodEnd);
  return u as Usage;
}
