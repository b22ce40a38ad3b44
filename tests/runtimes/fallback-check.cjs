// The native-missing fallback, through `require`: in a copy of the package without its addon,
// `require('delegir')` still works, on the WebAssembly build (tests/runtimes/run.sh).
const assert = require('node:assert/strict');
const { Delegir, NotFoundError, build } = require('delegir');

(async () => {
  assert.equal(build(), 'wasm');
  const client = new Delegir();
  const agents = await client.agents.list();
  const reply = await client.agents.chat(agents[0].id, 'How do I reset my password?');
  let runs = 0;
  for await (const _run of client.agents.runs.iter(agents[0].id)) runs += 1;
  await assert.rejects(client.agents.get('agt_missing'), (e) => e instanceof NotFoundError && e.status === 404);
  console.log(`fallback (require): ${agents.length} agents, chat ${reply.runId}, ${runs} runs, on ${build()}`);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
