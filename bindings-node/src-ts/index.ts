/**
 * `delegir`: the Node.js and TypeScript client of the Delegir API.
 *
 * @example
 * import { Delegir, NotFoundError } from 'delegir';
 *
 * const client = new Delegir(); // reads DELEGIR_API_KEY
 * for (const agent of await client.agents.list()) console.log(agent.name, agent.status);
 */

export { Delegir, Agents, Runs, UsageResource } from './client.js';
export {
  DelegirError,
  APIStatusError,
  BadRequestError,
  AuthenticationError,
  NotFoundError,
  RateLimitError,
  InternalServerError,
  APIConnectionError,
  APITimeoutError,
  APIResponseValidationError,
  APIUserAbortError,
} from './errors.js';
export type {
  Agent,
  AgentConfig,
  AgentConfigUpdate,
  AgentDetail,
  AgentStatus,
  AgentUpdate,
  AttemptLog,
  ChatReply,
  ClientOptions,
  DeletedAgent,
  LogLevel,
  Logger,
  RateLimit,
  RequestOptions,
  Run,
  RunIterParams,
  RunListParams,
  RunPage,
  UpdatedAgent,
  Usage,
} from './types.js';
