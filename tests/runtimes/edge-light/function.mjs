// A Vercel Edge Function that uses the SDK as a user's would (`import ... from 'delegir'`, which
// resolves to the WebAssembly build under the `edge-light` condition). The test driver
// (tests/runtimes/edge-light/run.mjs) calls it with the emulator's URL and a key.
import { Delegir, NotFoundError, build } from 'delegir';

export const config = { runtime: 'edge' };

/** Lists agents, pages through every run of agt_abc123, and meets a 404. */
async function quickstart(delegir) {
  const agents = await delegir.agents.list();
  let runs = 0;
  const ids = new Set();
  for await (const run of delegir.agents.runs.iter('agt_abc123')) {
    runs += 1;
    ids.add(run.id);
  }
  let notFound = null;
  try {
    await delegir.agents.get('agt_does_not_exist');
  } catch (error) {
    notFound = { isNotFoundError: error instanceof NotFoundError, name: error.name, status: error.status };
  }
  return { build: build(), agents: agents.map((a) => a.id), runs, distinctRuns: ids.size, notFound };
}

export default async function handler(request) {
  const url = new URL(request.url);
  try {
    const delegir = new Delegir({ apiKey: url.searchParams.get('key'), baseUrl: url.searchParams.get('base') });
    return Response.json(await quickstart(delegir));
  } catch (error) {
    return Response.json({ error: String(error), stack: error?.stack }, { status: 500 });
  }
}
