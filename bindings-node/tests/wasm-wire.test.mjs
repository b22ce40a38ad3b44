// The WebAssembly build's wire (the host's fetch) against a raw server that answers with chosen
// bytes: what undici refuses is named as the native wire names it, and an encoded body is held
// to the size cap as it is decoded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { gzipSync } from 'node:zlib';

import * as wasm from 'delegir/wasm';

/** Responses by the first path segment below /api/v1; `requests` counts what arrived. */
const responses = new Map();
const requests = new Map();
const sockets = new Set();
let server;
let base;

before(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let head = '';
    socket.on('data', (chunk) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const name = head.split(' ')[1].split('/')[3];
      head = '';
      requests.set(name, (requests.get(name) ?? 0) + 1);
      const { bytes, close } = responses.get(name);
      socket.write(bytes);
      if (close) socket.end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});
after(() => {
  for (const socket of sockets) socket.destroy();
  server.close();
});

/** A client whose calls go to the case `name` (its response is the agent list's). */
function client(name, bytes, { close = true, ...options } = {}) {
  responses.set(name, { bytes: Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, 'latin1'), close });
  requests.set(name, 0);
  return new wasm.Delegir({ apiKey: 'dlg_test_wasmwire00000001', baseUrl: `${base}/api/v1/${name}`, rateLimit: false, ...options });
}

test('a gzip body that decodes past the cap stops at the cap, not when the whole body has come', async () => {
  // 40 MiB of zeros in 40 KiB of gzip (1 MiB of it would be 1 GiB), and a body that never ends
  // (Content-Length promises more). The wire's fast path used to read an encoded body whole
  // with arrayBuffer(), its memory unbounded, so this call waited for the end until its timeout.
  const bomb = gzipSync(Buffer.alloc(40 << 20), { level: 1 });
  const head = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: ${bomb.length + 1000}\r\n\r\n`;
  const c = client('bomb', Buffer.concat([Buffer.from(head, 'latin1'), bomb]), { close: false, timeout: 20_000, maxRetries: 0 });
  const error = await c.agents.list().catch((e) => e);
  assert.ok(error instanceof wasm.APIResponseValidationError, String(error));
  assert.match(error.message, /exceeds 16777216 bytes/);
});

test('a response undici refuses as HTTP is called malformed, a protocol error, not a lost connection', async () => {
  const chunked = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n';
  const status = 'HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\n{}';
  for (const [name, bytes] of [['badchunk', chunked], ['badstatus', status]]) {
    const get = await client(name, bytes, { maxRetries: 1 }).agents.list().catch((e) => e);
    assert.ok(get instanceof wasm.APIConnectionError, `${name}: ${get}`);
    assert.match(get.message, /malformed.*a protocol error, not a lost connection/, name);
    // Retried like the native wire's malformed responses: a GET once more, a chat never.
    assert.equal(requests.get(name), 2, name);
    const chat = await client(name, bytes, { maxRetries: 2 }).agents.chat('agt_abc123', 'hi').catch((e) => e);
    assert.ok(chat instanceof wasm.APIConnectionError, `${name}: ${chat}`);
    assert.match(chat.message, /may have been created/, name);
    assert.equal(requests.get(name), 1, name);
  }
});

test('a body labelled gzip that is not gzip cannot be read, and is not fetched again', async () => {
  const bytes = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: 11\r\n\r\n{"data":[]}';
  const error = await client('notgzip', bytes, { maxRetries: 2 }).agents.list().catch((e) => e);
  assert.ok(error instanceof wasm.APIResponseValidationError, String(error));
  assert.match(error.message, /cannot be read: the host's fetch could not decode it/);
  assert.equal(requests.get('notgzip'), 1);
});
