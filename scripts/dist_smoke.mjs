// Smoke test of an installed `delegir` npm package on the machine it runs on (the release
// workflow runs it on every platform it builds): against the emulator the addon ships, list,
// chat, page and a typed 404, and the User-Agent names the package's VERSION.
//
//   node dist_smoke.mjs        (from a project where `delegir` is installed)
import assert from 'node:assert/strict';
import { Delegir, NotFoundError, VERSION } from 'delegir';
import { Emulator } from 'delegir/testing';

const emulator = await Emulator.start({ rateLimit: 0 });
try {
  const client = new Delegir({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl });
  const agents = await client.agents.list();
  assert.deepEqual(agents.map((a) => a.id), ['agt_abc123', 'agt_def456']);
  const reply = await client.agents.chat('agt_abc123', 'How do I reset my password?');
  assert.ok(reply.response.length > 0 && reply.runId.startsWith('run_'));
  let runs = 0;
  for await (const _ of client.agents.runs.iter('agt_def456')) runs += 1;
  assert.equal(runs, 320);
  await assert.rejects(client.agents.get('agt_missing'), (e) => e instanceof NotFoundError && e.status === 404);
  const userAgent = emulator.journal(emulator.apiKey)[0].headers['user-agent'];
  assert.ok(userAgent.startsWith(`delegir-node/${VERSION} (Node.js ${process.versions.node}; `), userAgent);
  console.log(`dist_smoke: delegir ${VERSION} on Node.js ${process.versions.node} ${process.platform}-${process.arch}: ok (${userAgent})`);
} finally {
  await emulator.stop();
}
