// Runs the esbuild browser bundle (tests/runtimes/run.sh) in a fresh context whose globals look
// like a browser page (`window` with a `document`, `navigator`): constructing a client must throw
// unless `dangerouslyAllowBrowser: true`, and with it the client must work (over this Node's
// fetch, against the emulator). Argument: the bundle's path.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import vm from 'node:vm';

const bundle = readFileSync(process.argv[2], 'utf8');
const page = {
  fetch, Request, Response, Headers, AbortController, AbortSignal, URL, TextEncoder, TextDecoder,
  WebAssembly, atob, setTimeout, clearTimeout, queueMicrotask, performance, console, crypto,
  navigator: { userAgent: 'Mozilla/5.0 (test)' },
};
page.window = page;
page.document = { title: 'a page' };
page.globalThis = page;
const context = vm.createContext(page);
vm.runInContext(bundle, context);
const { Delegir, DelegirError, NotFoundError, build } = context.delegirBundle;
assert.equal(build(), 'wasm');

const options = { apiKey: process.env.DELEGIR_API_KEY, baseUrl: process.env.DELEGIR_BASE_URL };
assert.throws(
  () => new Delegir(options),
  (error) => error instanceof DelegirError && /browser/.test(error.message) && /dangerouslyAllowBrowser/.test(error.message),
);
const client = new Delegir({ ...options, dangerouslyAllowBrowser: true });
const agents = await client.agents.list();
assert.ok(agents.length > 0);
await assert.rejects(client.agents.get('agt_missing'), (e) => e instanceof NotFoundError && e.status === 404);
console.log('browser bundle: refused in a page without dangerouslyAllowBrowser; with it, listed', agents.length, 'agents and got a 404');
