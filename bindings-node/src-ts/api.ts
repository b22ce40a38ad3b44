/**
 * What both entry points export besides `Delegir` (resources, errors, types, version): the layer
 * shared by the napi addon (`delegir`) and the WebAssembly build (`delegir/wasm`).
 */

export { Agents, Runs, UsageResource } from './client.js';
export { VERSION } from './version.js';
export { APIPromise } from './promise.js';
export type { WithResponse } from './promise.js';
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
  ClientViewOptions,
  DeletedAgent,
  HeadersInput,
  LogLevel,
  Logger,
  QueryInput,
  RateLimit,
  RequestOptions,
  Run,
  RunIterParams,
  RunListParams,
  RunPage,
  UpdatedAgent,
  Usage,
} from './types.js';
