// What both ESM entry points export besides `Delegir` and `build` (src-ts/api.ts: resources,
// errors, version), re-exported from the CommonJS build as index.mjs says why. One list for
// both entries: `delegir` and `delegir/wasm` share these very classes.
import cjs from '../dist/api.js';

export const {
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
