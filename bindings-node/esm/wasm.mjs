// `delegir/wasm` as ESM: re-exports the CommonJS build (see index.mjs for why).
import cjs from '../dist/wasm.js';

export const {
  Delegir,
  build,
  Agents,
  Runs,
  UsageResource,
  VERSION,
  APIPromise,
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
} = cjs;

export default cjs.Delegir;
