"""The Python contenders of ``bench/run.sh``, one measurement per process.

    python contender.py throughput CONTENDER WORKLOAD CONCURRENCY SECONDS BASE_URL KEY
    python contender.py memory CONTENDER CALLS BASE_URL KEY
    python contender.py ratelimit CONTENDER SECONDS TASKS BASE_URL KEY

Contenders: ``delegir-async`` (``AsyncDelegir``), ``delegir-async-h2`` (the same with
``http2_prior_knowledge=True``), ``delegir-sync`` (``Delegir`` from CONCURRENCY
threads), ``aiohttp`` (+ Pydantic ``model_validate_json``), ``httpx-async`` (``httpx.AsyncClient`` +
Pydantic), ``httpx-sync`` (``httpx.Client`` from CONCURRENCY threads); for ``ratelimit`` also
``naive`` (aiohttp that backs off on 429 only). Every one does the same work per call: send,
check the status, parse the ``{"data": ...}`` envelope into the same Pydantic models
(``delegir.types``). Prints one JSON line; CPU time and peak RSS come from this process's own
``getrusage``, measured after a warm-up.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from delegir import AsyncDelegir, Delegir
from delegir.types import AgentDetail, ChatReply, RunPage
from pydantic import BaseModel

AGENT = "agt_abc123"
MESSAGE = "How do I reset my password?"
CHAT_BODY = json.dumps({"message": MESSAGE}).encode()
WARMUP = 0.3
RAMP_STEP, RAMP_PAUSE = 250, 0.025


class AgentEnvelope(BaseModel):
    data: AgentDetail


class PageEnvelope(BaseModel):
    data: RunPage


class ChatEnvelope(BaseModel):
    data: ChatReply


ENVELOPES = {"small": AgentEnvelope, "large": PageEnvelope, "chat": ChatEnvelope}


def paths(base: str, workload: str) -> tuple[str, str]:
    """(method, url) of a workload."""
    if workload == "small":
        return "GET", f"{base}/agents/{AGENT}"
    if workload == "large":
        return "GET", f"{base}/agents/{AGENT}/runs?limit=100"
    return "POST", f"{base}/agents/{AGENT}/chat"


def rusage() -> tuple[float, int]:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, r.ru_maxrss


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[round((len(sorted_values) - 1) * q)]


def report(latencies: list[float], errors: int, last_error: str | None, seconds: float, cpu: float) -> dict[str, Any]:
    latencies.sort()
    _, maxrss = rusage()
    return {
        "calls": len(latencies),
        "errors": errors,
        "last_error": last_error,
        "seconds": seconds,
        "p50_us": percentile(latencies, 0.5) * 1e6,
        "p99_us": percentile(latencies, 0.99) * 1e6,
        "cpu_s": cpu,
        "maxrss_kib": maxrss,
    }


# ------------------------------------------------------------------------------------------------
# async contenders: a coroutine function per call


async def async_caller(
    name: str, workload: str, base: str, key: str, limit: int
) -> tuple[Callable[[], Any], Callable[[], Any]]:
    """(call, close) for an async contender."""
    if name in ("delegir-async", "delegir-async-h2"):
        client = AsyncDelegir(
            key, base_url=base, rate_limit=False, http2_prior_knowledge=name == "delegir-async-h2"
        )
        agents = client.agents
        if workload == "small":
            return (lambda: agents.get(AGENT)), client.close
        if workload == "large":
            return (lambda: agents.runs.list(AGENT, limit=100)), client.close
        return (lambda: agents.chat(AGENT, MESSAGE)), client.close
    method, url = paths(base, workload)
    model = ENVELOPES[workload]
    headers = {"X-API-Key": key, "Accept": "application/json"}
    body = CHAT_BODY if method == "POST" else None
    if method == "POST":
        headers["Content-Type"] = "application/json"
    if name == "aiohttp":
        import aiohttp

        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=limit))

        async def call_aiohttp() -> Any:
            async with session.request(method, url, headers=headers, data=body) as r:
                raw = await r.read()
                if r.status != 200:
                    raise RuntimeError(f"HTTP {r.status}")
                return model.model_validate_json(raw).data

        return call_aiohttp, session.close
    if name == "httpx-async":
        import httpx

        client_x = httpx.AsyncClient(limits=httpx.Limits(max_connections=limit, max_keepalive_connections=limit))

        async def call_httpx() -> Any:
            r = await client_x.request(method, url, headers=headers, content=body)
            if r.status_code != 200:
                raise RuntimeError(f"HTTP {r.status_code}")
            return model.model_validate_json(r.content).data

        return call_httpx, client_x.aclose
    raise SystemExit(f"unknown async contender {name}")


async def throughput_async(
    name: str, workload: str, concurrency: int, seconds: float, base: str, key: str
) -> dict[str, Any]:
    call, close = await async_caller(name, workload, base, key, concurrency)

    async def worker(until: float, latencies: list[float] | None, errors: list[str]) -> None:
        clock = time.perf_counter
        while True:
            t0 = clock()
            if t0 >= until:
                return
            try:
                await call()
            except Exception as e:
                errors.append(repr(e))
                continue
            if latencies is not None:
                latencies.append(clock() - t0)

    warm_errors: list[str] = []
    until = time.perf_counter() + WARMUP
    await asyncio.gather(*(worker(until, None, warm_errors) for _ in range(concurrency)))
    latencies: list[float] = []
    errors: list[str] = []
    cpu0, _ = rusage()
    start = time.perf_counter()
    await asyncio.gather(*(worker(start + seconds, latencies, errors) for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    cpu1, _ = rusage()
    result = report(latencies, len(errors), errors[-1] if errors else None, elapsed, cpu1 - cpu0)
    await close()
    return result


# ------------------------------------------------------------------------------------------------
# threaded contenders


def sync_caller(name: str, workload: str, base: str, key: str, limit: int) -> Callable[[], Any]:
    if name == "delegir-sync":
        client = Delegir(key, base_url=base, rate_limit=False)
        agents = client.agents
        if workload == "small":
            return lambda: agents.get(AGENT)
        if workload == "large":
            return lambda: agents.runs.list(AGENT, limit=100)
        return lambda: agents.chat(AGENT, MESSAGE)
    if name == "httpx-sync":
        import httpx

        method, url = paths(base, workload)
        model = ENVELOPES[workload]
        headers = {"X-API-Key": key, "Accept": "application/json"}
        body = CHAT_BODY if method == "POST" else None
        if method == "POST":
            headers["Content-Type"] = "application/json"
        client_x = httpx.Client(limits=httpx.Limits(max_connections=limit, max_keepalive_connections=limit))

        def call() -> Any:
            r = client_x.request(method, url, headers=headers, content=body)
            if r.status_code != 200:
                raise RuntimeError(f"HTTP {r.status_code}")
            return model.model_validate_json(r.content).data

        return call
    raise SystemExit(f"unknown threaded contender {name}")


def throughput_threads(name: str, workload: str, threads: int, seconds: float, base: str, key: str) -> dict[str, Any]:
    call = sync_caller(name, workload, base, key, threads)

    def worker(until: float, latencies: list[float] | None, errors: list[str]) -> None:
        clock = time.perf_counter
        while True:
            t0 = clock()
            if t0 >= until:
                return
            try:
                call()
            except Exception as e:
                errors.append(repr(e))
                continue
            if latencies is not None:
                latencies.append(clock() - t0)

    def run(until: float, latencies: list[float] | None, errors: list[str]) -> None:
        pool = [threading.Thread(target=worker, args=(until, latencies, errors)) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()

    run(time.perf_counter() + WARMUP, None, [])
    latencies: list[float] = []
    errors: list[str] = []
    cpu0, _ = rusage()
    start = time.perf_counter()
    run(start + seconds, latencies, errors)
    elapsed = time.perf_counter() - start
    cpu1, _ = rusage()
    return report(latencies, len(errors), errors[-1] if errors else None, elapsed, cpu1 - cpu0)


# ------------------------------------------------------------------------------------------------
# memory: N calls in flight at once (the emulator delays each response)


async def memory(name: str, calls: int, base: str, key: str) -> dict[str, Any]:
    call, close = await async_caller(name, "small", base, key, 0)
    start = time.perf_counter()
    # Started over ~1 s in steps (the emulator's listen backlog drops a burst of 10,000 SYNs,
    # and the SYN retries would measure the kernel); with a 2 s delay all of them are in flight
    # together at the end of the ramp.
    tasks = []
    for i in range(0, calls, RAMP_STEP):
        tasks += [asyncio.ensure_future(call()) for _ in range(min(RAMP_STEP, calls - i))]
        await asyncio.sleep(RAMP_PAUSE)
    results = await asyncio.gather(*tasks, return_exceptions=True)
    elapsed = time.perf_counter() - start
    errors = [r for r in results if isinstance(r, BaseException)]
    cpu, maxrss = rusage()
    await close()
    return {
        "calls": calls - len(errors),
        "errors": len(errors),
        "last_error": repr(errors[-1]) if errors else None,
        "seconds": elapsed,
        "cpu_s": cpu,
        "maxrss_kib": maxrss,
    }


# ------------------------------------------------------------------------------------------------
# rate limit: TASKS tasks on one key for SECONDS


async def ratelimit(name: str, seconds: float, tasks: int, base: str, key: str) -> dict[str, Any]:
    counts = {"ok": 0, "client_429": 0, "errors": 0}
    deadline = time.monotonic() + seconds
    if name == "delegir-async":
        from delegir import RateLimitError

        client = AsyncDelegir(key, base_url=base)

        async def one() -> None:
            try:
                await client.agents.get(AGENT)
                counts["ok"] += 1
            except RateLimitError:
                counts["client_429"] += 1

        async def worker() -> None:
            while (left := deadline - time.monotonic()) > 0:
                try:
                    await asyncio.wait_for(one(), left)
                except TimeoutError:
                    return
                except Exception:
                    counts["errors"] += 1

        await asyncio.gather(*(worker() for _ in range(tasks)))
        await client.close()
        return counts
    if name == "naive":
        import random

        import aiohttp

        url = f"{base}/agents/{AGENT}"
        headers = {"X-API-Key": key}
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))

        async def naive_worker() -> None:
            attempt = 0
            while time.monotonic() < deadline:
                async with session.get(url, headers=headers) as r:
                    raw = await r.read()
                    status = r.status
                    retry_after = r.headers.get("Retry-After")
                if status == 200:
                    AgentEnvelope.model_validate_json(raw)
                    counts["ok"] += 1
                    attempt = 0
                elif status == 429:
                    # The usual hand-written client: back off only once refused (Retry-After if
                    # given, else exponential), with jitter.
                    counts["client_429"] += 1
                    wait = float(retry_after) if retry_after else min(8.0, 0.5 * 2**attempt)
                    attempt += 1
                    await asyncio.sleep(min(wait * random.uniform(1.0, 1.2), max(0.0, deadline - time.monotonic())))
                else:
                    counts["errors"] += 1

        await asyncio.gather(*(naive_worker() for _ in range(tasks)))
        await session.close()
        return counts
    raise SystemExit(f"unknown ratelimit contender {name}")


def main() -> None:
    args = sys.argv[1:]
    mode = args[0]
    if mode == "throughput":
        name, workload, concurrency, seconds, base, key = args[1:]
        if name in ("delegir-sync", "httpx-sync"):
            out = throughput_threads(name, workload, int(concurrency), float(seconds), base, key)
        else:
            out = asyncio.run(throughput_async(name, workload, int(concurrency), float(seconds), base, key))
    elif mode == "memory":
        name, calls, base, key = args[1:]
        out = asyncio.run(memory(name, int(calls), base, key))
    elif mode == "ratelimit":
        name, seconds, tasks, base, key = args[1:]
        out = asyncio.run(ratelimit(name, float(seconds), int(tasks), base, key))
    else:
        raise SystemExit(__doc__)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
