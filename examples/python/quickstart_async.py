"""Delegir quickstart (asyncio client).

Reads DELEGIR_API_KEY and DELEGIR_BASE_URL from the environment; the README's main job starts the
emulator and sets both. Run: python examples/python/quickstart_async.py
"""

from __future__ import annotations

import asyncio

import delegir
from delegir import AsyncDelegir


async def main() -> None:
    async with AsyncDelegir() as client:
        agents = await client.agents.list()
        print(f"{len(agents)} agents:")
        for agent in agents:
            print(f"  {agent.id}  {agent.name:<28} {agent.status:<7} {agent.total_runs:>5} runs")

        # Independent calls run concurrently on one connection pool.
        detail, usage = await asyncio.gather(client.agents.get(agents[0].id), client.usage.get())
        print(f"\n{detail.name}: model {detail.config.model}, temperature {detail.config.temperature}, "
              f"channels {', '.join(detail.channels)}")

        reply = await client.agents.chat(detail.id, "How do I reset my password?")
        print(f"\nchat -> {reply.response}\n        (run {reply.run_id}, {reply.tokens_used} tokens)")

        page = await client.agents.runs.list(detail.id, limit=5)
        print(f"\nlatest {len(page.runs)} of {page.total} runs:")
        for run in page.runs:
            print(f"  {run.id}  {run.status:<9} {run.tokens_used:>5} tokens  ${run.cost:.4f}  {run.created_at:%Y-%m-%d %H:%M}")

        count, tokens = 0, 0
        async for run in client.agents.runs.iter(detail.id):
            count += 1
            tokens += run.tokens_used
        print(f"\npaged through {count} runs, {tokens:,} tokens in all")

        print(f"\nusage: plan {usage.plan}, {usage.runs_used:,}/{usage.runs_limit:,} runs, "
              f"{usage.tokens_this_month:,} tokens, ${usage.cost_this_month:.2f} this month")

        try:
            await client.agents.get("agt_does_not_exist")
        except delegir.NotFoundError as e:
            print(f"\nagents.get('agt_does_not_exist') -> NotFoundError: {e.message} ({e.status_code})")

        limit = client.rate_limit
        if limit is not None:
            print(f"rate limit: {limit.remaining}/{limit.limit} left, window resets at {limit.reset_at:%H:%M:%S} UTC")


if __name__ == "__main__":
    asyncio.run(main())
