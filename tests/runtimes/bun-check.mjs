// Bun (tests/runtimes/run.sh step 3): the native addon's User-Agent names Bun, not the Node.js
// version Bun reports to napi. Needs DELEGIR_BASE_URL / DELEGIR_ADMIN_URL (the emulator).
import { Delegir, build } from 'delegir';

const base = process.env.DELEGIR_BASE_URL;
const admin = process.env.DELEGIR_ADMIN_URL;
const fail = (message) => {
  console.error(`bun-check: ${message}`);
  process.exit(1);
};

if (build() !== 'native') fail(`expected the native build, got ${build()}`);
const key = (await (await fetch(`${admin}/keys`, { method: 'POST' })).json()).data.api_key;
await new Delegir({ apiKey: key, baseUrl: base }).agents.list();
const journal = (await (await fetch(`${admin}/journal`, { headers: { 'X-API-Key': key } })).json()).data;
const headers = journal[0]?.headers ?? {};
const userAgent = Object.entries(headers).find(([name]) => name.toLowerCase() === 'user-agent')?.[1] ?? '';
if (!userAgent.startsWith('delegir-node/') || !userAgent.includes(`(Bun ${Bun.version};`)) {
  fail(`the User-Agent should name Bun ${Bun.version}: ${JSON.stringify(userAgent)}`);
}
console.log(`bun: the addon's User-Agent is ${userAgent}`);
