// The ESM entry re-exports the CommonJS build, so `import` and `require` share one copy of every
// class: an error thrown under one entry point is `instanceof` the class of the other.
import cjs from '../dist/index.js';

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
