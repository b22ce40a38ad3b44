// One Node process of the multi-process rate-limit run (tests/redis/multiprocess.py): TASKS
// concurrent loops call usage.get on one key until SECONDS have passed, then one JSON line with
// the calls that succeeded, failed with RateLimitError, or failed otherwise. The store comes
// from DELEGIR_RATE_LIMIT_STORE when the run sets it (the core reads it).
import { Delegir, RateLimitError } from 'delegir';

const tasks = Number(process.env.TASKS ?? '10');
const deadline = performance.now() + Number(process.env.SECONDS) * 1000;
const counts = { ok: 0, rate_limited: 0, other: 0 };
const errors = [];
const client = new Delegir();

async function task() {
  while (performance.now() < deadline) {
    try {
      await client.usage.get();
      counts.ok += 1;
    } catch (e) {
      if (e instanceof RateLimitError) {
        counts.rate_limited += 1;
      } else {
        counts.other += 1;
        if (errors.length < 5) errors.push(`${e?.name}: ${e?.message}`);
      }
    }
  }
}

await Promise.all(Array.from({ length: tasks }, task));
console.log(JSON.stringify({ lang: 'node', pid: process.pid, ...counts, errors }));
