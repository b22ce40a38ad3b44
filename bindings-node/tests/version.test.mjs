// One version: the package's `VERSION` export is its package.json version, and every request's
// User-Agent names it with the runtime, the OS and the core's own version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Delegir, VERSION } from 'delegir';
import { Delegir as WasmDelegir } from 'delegir/wasm';
import { Emulator } from 'delegir/testing';

const require = createRequire(import.meta.url);

// Node's names for the OS and CPU -> Rust's (std::env::consts), which the core reports.
const rustOs = { linux: 'linux', darwin: 'macos', win32: 'windows' }[process.platform] ?? process.platform;
const rustArch = { x64: 'x86_64', arm64: 'aarch64' }[process.arch] ?? process.arch;
const expected = `delegir-node/${VERSION} (Node.js ${process.versions.node}; ${rustOs}; ${rustArch}) delegir-rust/${VERSION}`;

test('VERSION is the installed package.json version, in ESM and CommonJS', () => {
  assert.equal(VERSION, require('delegir/package.json').version);
  assert.equal(require('delegir').VERSION, VERSION);
  assert.match(VERSION, /^\d+\.\d+\.\d+/);
});

test('the User-Agent names the SDK, its version, the runtime and the OS', async (t) => {
  const emulator = await Emulator.start({ rateLimit: 0 });
  t.after(() => emulator.stop());
  for (const http2PriorKnowledge of [false, true]) {
    const client = new Delegir({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl, http2PriorKnowledge });
    await client.agents.list();
  }
  const entries = emulator.journal(emulator.apiKey);
  assert.deepEqual(
    entries.map((e) => [e.httpVersion, e.headers['user-agent']]),
    [
      ['HTTP/1.1', expected],
      ['HTTP/2.0', expected],
    ],
  );
  assert.equal(entries[0].headers['x-api-key'], undefined);
});

test('the WebAssembly build names the SDK and the runtime the same way, its platform wasm32', async (t) => {
  const emulator = await Emulator.start({ rateLimit: 0 });
  t.after(() => emulator.stop());
  await new WasmDelegir({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl }).agents.list();
  const [entry] = emulator.journal(emulator.apiKey);
  assert.equal(
    entry.headers['user-agent'],
    `delegir-node/${VERSION} (Node.js ${process.versions.node}; wasm32) delegir-rust/${VERSION}`,
  );
});
