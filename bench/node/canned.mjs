// What wasm-overhead.mjs and wasm-ab.mjs share: a canned `fetch` made from one real response of
// the emulator, and the CPU per call of a call run at concurrency 64.
//
// The canned fetch does what undici's fetch does with its arguments before any I/O: it builds a
// `Request` from them (undici's cost of the caller's `init`: headers, `redirect`, the AbortSignal),
// and it answers on a later macrotask, as a socket's data arrives. A fetch that ignored `init` and
// resolved at once measured a warm loop (bench/README.md, "The WebAssembly build").
import { setImmediate as macrotask } from 'node:timers/promises';

/** A fetch that answers every request with the emulator's response to `GET base + path`. */
export async function cannedFetch(base, path, key) {
  const res = await fetch(`${base}${path}`, { headers: { 'x-api-key': key } });
  const body = new Uint8Array(await res.arrayBuffer());
  const headers = {
    'content-type': res.headers.get('content-type'),
    'content-length': String(body.length),
    date: res.headers.get('date'),
  };
  return async (url, init) => {
    new Request(url, init);
    await macrotask();
    return new Response(body, { status: 200, headers });
  };
}

/** Client CPU µs per call over `n` calls of `call`, 64 at a time. */
export async function cpuPerCall(call, n) {
  let started = 0;
  const cpu0 = process.cpuUsage();
  await Promise.all(Array.from({ length: 64 }, async () => {
    while (started < n) {
      started += 1;
      await call();
    }
  }));
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / n;
}
