// Deno (tests/runtimes/run.sh step 3): what its fetch does differently from Node's.
//
// A chat whose connection is reset after the server read it: Deno's fetch sent a POST again on
// its own when the pooled connection it reused was reset, so the run was created twice while
// the SDK saw one attempt. The SDK's POSTs now go on connections of their own there.
// Needs --allow-net --allow-env and DELEGIR_BASE_URL / DELEGIR_ADMIN_URL (the emulator).
import { Delegir, APIConnectionError } from 'delegir';

const base = Deno.env.get('DELEGIR_BASE_URL');
const admin = Deno.env.get('DELEGIR_ADMIN_URL');
const fail = (message) => {
  console.error(`deno-check: ${message}`);
  Deno.exit(1);
};

const key = (await (await fetch(`${admin}/keys`, { method: 'POST' })).json()).data.api_key;
const client = new Delegir({ apiKey: key, baseUrl: base, maxRetries: 2 });
// A pooled connection to the API, which the chat would reuse.
await client.agents.list();
const fault = { method: 'POST', path: `${new URL(base).pathname}/agents/agt_abc123/chat`, fault: { kind: 'reset_before' }, count: 1 };
await (await fetch(`${admin}/faults`, { method: 'POST', headers: { 'X-API-Key': key }, body: JSON.stringify(fault) })).text();
const error = await client.agents.chat('agt_abc123', 'bill me once').then(() => null, (e) => e);
const journal = (await (await fetch(`${admin}/journal`, { headers: { 'X-API-Key': key } })).json()).data;
const chats = journal.filter((e) => e.method === 'POST').map((e) => e.outcome);
if (!(error instanceof APIConnectionError) || !error.mayHaveReachedServer) {
  fail(`the chat should fail as possibly sent, got ${error}`);
}
if (chats.length !== 1) fail(`the chat reached the server ${chats.length} times: ${chats.join(', ')}`);
// The next chat works on a fresh connection.
const reply = await client.agents.chat('agt_abc123', 'again');
if (!/^run_/.test(reply.runId)) fail(`unexpected reply ${JSON.stringify(reply)}`);
console.log('deno: a chat reset after the server read it was sent once (APIConnectionError), the next one ok');
