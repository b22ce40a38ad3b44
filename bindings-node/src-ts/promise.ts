/**
 * `APIPromise`: what every method returns. A promise of the model (`await` it, `.then` it, pass
 * it to `Promise.all`) with two more ways to read the call:
 *
 * - `.withResponse()` resolves to `{ data, response }`, where `response` is a standard `Response`
 *   (status, `Headers`, the body's text) of this very call, plus its `rateLimit`, `attempts` and
 *   `elapsedMs`;
 * - `.asResponse()` resolves to the `Response` alone.
 *
 * The call starts in a microtask after the method returns (so `.withResponse()` chained on the
 * method call can ask the core to keep the response first), or at once when awaited: the same
 * moment a plain promise's work would start. Calls that never ask for the response keep nothing.
 */

import type { NativeClient, NativeResponseInfo } from '../native/index.js';
import { DelegirError, toRateLimit } from './errors.js';
import type { RateLimit } from './types.js';

/** Where a call made for `withResponse()` leaves the view whose response it reads. */
export interface Capture {
  view?: NativeClient;
}

/** Starts the call; with a capture, through a capturing view it stores there. */
export type Runner<T> = (capture: Capture | null) => Promise<T>;

/** A call's result with the response it came from. */
export interface WithResponse<T> {
  /** The model, as `await` gives it. */
  data: T;
  /** This call's response: status, headers and the body as received. */
  response: Response;
  /** This call's rate-limit headers (not the client's latest). */
  rateLimit: RateLimit | null;
  /** Attempts made (1 when the first succeeded). */
  attempts: number;
  /** Milliseconds from the call's start to its response, waits and retries included. */
  elapsedMs: number;
}

/** Statuses whose `Response` may not have a body. */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

function toResponse(info: NativeResponseInfo): Response {
  const headers = new Headers();
  for (const [name, value] of info.headers) {
    if (name !== undefined && value !== undefined) headers.append(name, value);
  }
  return new Response(NULL_BODY.has(info.status) ? null : info.body, { status: info.status, headers });
}

/** A promise of a call's model that can also give the call's response. */
export class APIPromise<T> implements Promise<T> {
  readonly #run: Runner<T>;
  #capture: Capture | null = null;
  #started: Promise<T> | null = null;

  /** @internal */
  constructor(run: Runner<T>) {
    this.#run = run;
    queueMicrotask(() => {
      // Started as a plain promise would be; a rejection nobody handles is reported as for one.
      void this.#start();
    });
  }

  #start(): Promise<T> {
    if (this.#started === null) {
      try {
        this.#started = this.#run(this.#capture);
      } catch (error) {
        this.#started = Promise.reject(error);
      }
    }
    return this.#started;
  }

  /** The model with this call's response (see the module's documentation). */
  withResponse(): Promise<WithResponse<T>> {
    if (this.#started !== null && this.#capture === null) {
      return Promise.reject(
        new DelegirError(
          'withResponse() and asResponse() must be called on the call itself, before it is ' +
            'awaited (e.g. `await client.usage.get().withResponse()`)',
        ),
      );
    }
    const capture: Capture = this.#capture ?? (this.#capture = {});
    return this.#start().then((data) => {
      const info = capture.view?.takeResponse();
      if (info == null) throw new DelegirError('the call completed without a response to show');
      return {
        data,
        response: toResponse(info),
        rateLimit: info.rateLimit == null ? null : toRateLimit(info.rateLimit),
        attempts: info.attempts,
        elapsedMs: info.elapsedMs,
      };
    });
  }

  /** This call's `Response` (the model is decoded too, so a bad body still fails the call). */
  asResponse(): Promise<Response> {
    return this.withResponse().then((r) => r.response);
  }

  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#start().then(onfulfilled, onrejected);
  }

  catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.#start().catch(onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<T> {
    return this.#start().finally(onfinally);
  }

  readonly [Symbol.toStringTag] = 'Promise';
}
