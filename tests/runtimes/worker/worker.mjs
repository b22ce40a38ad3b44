// A Cloudflare Worker that uses the SDK as a user's Worker would (`import ... from 'delegir'`,
// which resolves to the WebAssembly build under wrangler's `workerd` condition). The test driver
// (tests/runtimes/workerd.sh) calls its routes with the emulator's URL and a key.
import { Delegir, NotFoundError, build } from 'delegir';

function client(url) {
  return new Delegir({
    apiKey: url.searchParams.get('key'),
    baseUrl: url.searchParams.get('base'),
    // The burst below waits for windows of 2 s.
    maxRateLimitWait: 30_000,
  });
}

/** Lists agents, pages through every run of agt_abc123, chats, and meets a 404. */
async function quickstart(delegir) {
  const agents = await delegir.agents.list();
  let runs = 0;
  const ids = new Set();
  for await (const run of delegir.agents.runs.iter('agt_abc123')) {
    runs += 1;
    ids.add(run.id);
  }
  const reply = await delegir.agents.chat('agt_abc123', 'How do I reset my password?');
  let notFound = null;
  try {
    await delegir.agents.get('agt_does_not_exist');
  } catch (error) {
    notFound = {
      isNotFoundError: error instanceof NotFoundError,
      name: error.name,
      status: error.status,
      message: error.message,
    };
  }
  return {
    build: build(),
    agents: agents.map((a) => a.id),
    runs,
    distinctRuns: ids.size,
    chat: { runId: reply.runId, tokensUsed: reply.tokensUsed },
    notFound,
  };
}

/** `count` calls at once on one key: the ledger paces them under the emulator's limit. */
async function burst(delegir, count) {
  const started = Date.now();
  const outcomes = await Promise.allSettled(
    Array.from({ length: count }, () => delegir.usage.get()),
  );
  const failures = outcomes.filter((o) => o.status === 'rejected').map((o) => String(o.reason));
  return { calls: count, ok: count - failures.length, failures, ms: Date.now() - started };
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    try {
      const delegir = client(url);
      if (url.pathname === '/construct') return Response.json({ build: build(), baseUrl: delegir.baseUrl });
      if (url.pathname === '/leftRunning') {
        // A call this request does not wait for (its attempt's timeout is still armed when the
        // request ends): later requests' sleeps must not depend on this request's timers.
        delegir.usage.get({ timeout: 20_000 }).catch(() => {});
        return Response.json({ started: true });
      }
      if (url.pathname === '/usage') {
        const usage = await delegir.usage.get();
        return Response.json({ totalRuns: usage.totalRuns });
      }
      const body =
        url.pathname === '/burst'
          ? await burst(delegir, Number(url.searchParams.get('count') ?? '50'))
          : await quickstart(delegir);
      return Response.json(body);
    } catch (error) {
      return Response.json({ error: String(error), stack: error?.stack }, { status: 500 });
    }
  },
};
