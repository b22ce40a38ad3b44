// One attempt of the fetch wire (mod.rs) in JavaScript: the call of `fetch`, the headers the SDK
// reads and the body up to the size cap, settled once with one `Exchange`.
//
// Why here and not in Rust through web-sys: driven from Rust, an attempt crossed into JavaScript
// about 30 times (the RequestInit's fields, the signal, `instanceof`, `status`, `headers()`, six
// `headers.get` whose strings were copied into wasm memory one by one, `arrayBuffer`, the
// Uint8Array) and awaited two promises, each `then` making two wasm-bindgen closures registered
// with a FinalizationRegistry. Measured under Node over real sockets (bench/wasm.sh), that cost
// was several times what it is in a warm loop. This does the same steps in one call.
//
// Errors keep their meaning for the Rust side: a fetch function that throws throws here (nothing
// was sent), a rejected fetch or a network error Response (`Response.error()`) settles as a
// rejection (classified by errors.rs), a value that is not a Response settles as `null`, and a
// body that fails to read settles as an Exchange with `failure` set.

import { guarded, inFlight } from '../../runtime/host.js';

/// The headers `Relevant` (wire/headers.rs) reads; the others stay in the `Headers` object.
const RELEVANT = ['date', 'retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'];

/// What one attempt received.
export class Exchange {
  constructor(response, meta) {
    /** The Response's status. */
    this.status = response.status;
    /** The response's `Headers`, kept for errors and raw responses. */
    this.headers = response.headers;
    /** The relevant headers that are present, as `name:value` lines. */
    this.meta = meta;
    /** The body (at most the cap's bytes), or undefined when it failed. */
    this.body = undefined;
    /** Whether the body was larger than the cap (`body` is then its first cap bytes). */
    this.tooLarge = false;
    /** Why the body could not be read (a thrown value), with `failedAt` naming the step. */
    this.failure = undefined;
    this.failedAt = '';
  }
}

/**
 * Sends the request and reads its response whole. `fetchFn`: the user's fetch function, or
 * undefined for the host's global `fetch` (looked up now, so a mock installed after the client
 * was built is used). `body`: a Uint8Array or undefined. `max`: the body cap in bytes. The
 * outcome goes to `settled(slot, value, ok)`, a callback into Rust made once (settle.rs), rather
 * than a returned promise, which Rust would await with two closures made per call; it is called
 * through host.js's `guarded`, like every callback into the module.
 */
export function send(fetchFn, url, method, headers, body, controller, max, slot, settled) {
  const init = { method, redirect: 'manual', signal: controller.signal, headers };
  if (body !== undefined) init.body = body;
  if (fetchFn === undefined && method === 'POST') {
    const client = unpooled();
    if (client !== undefined) init.client = client;
  }
  const returned = fetchFn === undefined ? fetch(url, init) : fetchFn.call(undefined, url, init);
  // Known to host.js until settled, which aborts it if the module traps meanwhile.
  inFlight.add(controller);
  Promise.resolve(returned)
    .then((response) => receive(response, max))
    .then(
      (exchange) => {
        inFlight.delete(controller);
        guarded(settled, slot, exchange, true);
      },
      (error) => {
        inFlight.delete(controller);
        guarded(settled, slot, error, false);
      },
    );
}

/**
 * Deno's `fetch` sends a request again, on its own, when a pooled connection it reused turns
 * out to be closed, even after the server has read it: a chat (a billed run) would be created
 * twice while the SDK saw one attempt. So POSTs go through an HTTP client of Deno's that keeps no
 * idle connection: each gets a connection of its own, which Deno does not retry. Undefined on
 * every other host (and on a Deno without `Deno.createHttpClient`).
 */
let denoClient;
function unpooled() {
  if (denoClient === undefined) {
    const deno = globalThis.Deno;
    try {
      denoClient =
        deno !== undefined && typeof deno.createHttpClient === 'function'
          ? deno.createHttpClient({ poolMaxIdlePerHost: 0 })
          : null;
    } catch {
      denoClient = null;
    }
  }
  return denoClient ?? undefined;
}

function receive(response, max) {
  if (!(response instanceof Response)) return null;
  // A network error (`Response.error()`, status 0): what a fetch mock or a service worker
  // returns for a failed connection. Not an answer from the server: settled as a rejection of
  // fetch, which errors.rs classifies like any failure that does not prove nothing was sent.
  if (response.type === 'error') {
    throw new TypeError('fetch returned a network error (a Response of type "error", status 0)');
  }
  const headers = response.headers;
  let meta = '';
  for (let i = 0; i < RELEVANT.length; i++) {
    const value = headers.get(RELEVANT[i]);
    if (value !== null) meta += RELEVANT[i] + ':' + value + '\n';
  }
  const exchange = new Exchange(response, meta);
  const length = contentLength(headers.get('content-length'));
  // The fast path: the whole body in one call, when its size is known not to pass the cap. Not
  // for an encoded body: the host decodes it (gzip, deflate, br), so Content-Length is the size
  // sent, not the size `arrayBuffer()` would hold (a 1 MiB gzip bomb is 1 GiB decoded); those
  // are streamed, which stops at the cap.
  const encoding = headers.get('content-encoding');
  const plain = encoding === null || encoding.trim().toLowerCase() === 'identity' || encoding.trim() === '';
  if (plain && length !== undefined && length <= max) {
    let reading;
    try {
      reading = response.arrayBuffer();
    } catch (error) {
      return failed(exchange, 'arrayBuffer', error);
    }
    return reading.then(
      (buffer) => {
        const bytes = new Uint8Array(buffer);
        // Longer than its Content-Length only if the host did not check it; cut at the cap.
        if (bytes.length > max) {
          exchange.tooLarge = true;
          exchange.body = bytes.subarray(0, max);
        } else {
          exchange.body = bytes;
        }
        return exchange;
      },
      (error) => failed(exchange, 'reading the body', error),
    );
  }
  return stream(response, exchange, max);
}

/** `Content-Length` as Rust's `str::trim` then `u64::from_str` reads it, else undefined. */
function contentLength(value) {
  if (value === null) return undefined;
  const digits = value.trim();
  return /^\+?[0-9]+$/.test(digits) ? Number(digits) : undefined;
}

function failed(exchange, what, error) {
  exchange.failure = error;
  exchange.failedAt = what;
  return exchange;
}

/** The body chunk by chunk, cut off at the cap (no Content-Length, or one above the cap). */
async function stream(response, exchange, max) {
  const body = response.body;
  if (body === null) {
    exchange.body = new Uint8Array(0);
    return exchange;
  }
  const chunks = [];
  let size = 0;
  try {
    const reader = body.getReader();
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      const value = chunk.value;
      if (size + value.length > max) {
        // Stop the download; what was read so far is the error's excerpt.
        reader.cancel().catch(() => {});
        chunks.push(value.subarray(0, max - size));
        size = max;
        exchange.tooLarge = true;
        break;
      }
      chunks.push(value);
      size += value.length;
    }
  } catch (error) {
    return failed(exchange, 'reading the body', error);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  exchange.body = out;
  return exchange;
}
