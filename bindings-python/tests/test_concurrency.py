"""Async done right (cancellation, one runtime, quiet exit), sync done right (GIL released,
Ctrl-C), and fork()."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from conftest import AGENT, wait_for_journal
from delegir import AsyncDelegir, Delegir
from delegir.testing import Emulator


def _disconnected(journal: list[dict[str, object]]) -> bool:
    return any(e["outcome"] == "client_disconnected" for e in journal)


async def test_cancelling_a_task_abandons_the_request_and_the_next_call_succeeds(
    aclient: AsyncDelegir, emu: Emulator
) -> None:
    emu.add_fault("GET", f"/agents/{AGENT}", {"kind": "delay", "ms": 3000})
    task = asyncio.ensure_future(aclient.agents.get(AGENT))
    await asyncio.sleep(0.3)
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 0.5
    journal = await asyncio.to_thread(wait_for_journal, emu, _disconnected)
    assert [e["outcome"] for e in journal] == ["client_disconnected"]
    assert (await aclient.agents.get(AGENT)).id == AGENT


async def test_wait_for_timing_out_abandons_the_request_and_frees_its_ledger_place() -> None:
    with Emulator(rate_limit=3, rate_window=60) as emu:
        async with emu.async_client() as client:
            await client.usage.get()  # the ledger now knows: 2 requests left in this window
            emu.add_fault("GET", "/usage", {"kind": "delay", "ms": 3000})
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(client.usage.get(), timeout=0.3)
            journal = await asyncio.to_thread(wait_for_journal, emu, _disconnected)
            assert journal[-1]["outcome"] == "client_disconnected"
            # The abandoned request counts as spent (the server may have counted it), leaving 1.
            # Had it also kept its in-flight place, the next call would wait for the window.
            started = time.monotonic()
            assert (await client.usage.get()).plan == "PRO"
            assert time.monotonic() - started < 2


async def test_a_call_awaited_after_its_loop_finished_others_still_works(emu: Emulator) -> None:
    async with emu.async_client() as client:
        a, b = await asyncio.gather(client.usage.get(), client.agents.list())
        assert a.plan == "PRO" and len(b) == 2


def _run_script(
    script: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_interpreter_exit_after_async_calls_is_quiet() -> None:
    result = _run_script(
        """
        import asyncio
        from delegir.testing import Emulator

        emu = Emulator(rate_limit=0)
        emu.add_fault("GET", "/usage", {"kind": "delay", "ms": 2000})

        async def main():
            client = emu.async_client()
            await client.agents.list()
            pending = asyncio.ensure_future(client.usage.get())   # still in flight at the end
            await asyncio.sleep(0.1)
            print("done")

        asyncio.run(main())
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "done"
    assert "Event loop is closed" not in result.stderr
    assert "Traceback" not in result.stderr, result.stderr


def test_the_extension_first_imported_in_a_thread_that_exits_works_in_later_threads() -> None:
    # A lazy `import delegir` in a thread pool's task: the thread that loaded the extension
    # exits, then new threads allocate through it. With mimalloc 3.x as the extension's
    # allocator, the first of them died with SIGSEGV (exit -11), without a message.
    result = _run_script(
        """
        import threading
        from concurrent.futures import ThreadPoolExecutor

        started = []

        def first():
            from delegir.testing import Emulator
            started.append(Emulator(rate_limit=0))

        thread = threading.Thread(target=first)
        thread.start()
        thread.join()

        import delegir

        emu = started[0]
        def call(i):
            with delegir.Delegir(api_key=emu.api_key, base_url=emu.base_url) as client:
                return len(client.agents.list())

        for batch in range(3):
            with ThreadPoolExecutor(4) as pool:
                counts = list(pool.map(call, range(8)))
            assert all(n > 0 for n in counts), counts
        print("done")
        """
    )
    assert result.returncode == 0, (result.returncode, result.stderr)
    assert result.stdout.strip() == "done"


def test_eight_threads_on_the_sync_client_run_in_parallel(client: Delegir, emu: Emulator) -> None:
    emu.add_fault("GET", "/usage", {"kind": "delay", "ms": 300}, count=9)
    started = time.monotonic()
    client.usage.get()
    one_call = time.monotonic() - started
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            client.usage.get()
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    assert not errors
    assert elapsed < 3 * one_call, (elapsed, one_call)


def test_ctrl_c_interrupts_a_blocking_call_promptly() -> None:
    script = """
        import signal
        import time
        from delegir.testing import Emulator

        # A process started in the background (`make test &`, nohup, some CI runners) inherits
        # SIGINT ignored, and Python then installs no KeyboardInterrupt handler: the call would
        # run to its end. Install it, as an interactive Python has it.
        signal.signal(signal.SIGINT, signal.default_int_handler)

        with Emulator(rate_limit=0) as emu, emu.client() as client:
            emu.add_fault("GET", "/usage", {"kind": "delay", "ms": 10000})
            print("calling", flush=True)
            started = time.monotonic()
            try:
                # No retries: an attempt that failed early would otherwise be retried without
                # the delay and return normally, which would look like a lost interrupt.
                client.usage.get(max_retries=0)
                print("returned", flush=True)
            except KeyboardInterrupt:
                print(f"interrupted {time.monotonic() - started:.2f}", flush=True)
            except Exception as e:
                print(f"raised {type(e).__name__}: {e}", flush=True)
    """
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "calling"
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=20)
    assert out.startswith("interrupted"), (process.returncode, out, err)
    assert float(out.split()[1]) < 2.0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_client_used_before_fork_works_in_the_child_and_the_parent(client: Delegir, emu: Emulator) -> None:
    assert len(client.agents.list()) == 2
    aclient = emu.async_client()
    asyncio.run(aclient.usage.get())
    pid = os.fork()
    if pid == 0:
        # The child. SIGALRM's default action bounds it (faulthandler's watchdog cannot: under
        # pytest's faulthandler_timeout it waits for a thread that did not survive the fork).
        signal.alarm(20)
        code = 1
        try:
            assert client.agents.get(AGENT).id == AGENT
            assert asyncio.run(aclient.usage.get()).plan == "PRO"
            assert Delegir(emu.api_key, base_url=emu.base_url).usage.get().plan == "PRO"
            code = 0
        finally:
            os._exit(code)
    deadline = time.monotonic() + 30
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            pytest.fail("the forked child hung")
        time.sleep(0.05)
    assert os.waitstatus_to_exitcode(status) == 0
    assert client.agents.get(AGENT).id == AGENT
    assert asyncio.run(aclient.usage.get()).plan == "PRO"
    assert len(emu.journal()) == 7


_COUNT_RUNTIME_THREADS = """
    import os
    from delegir.testing import Emulator

    import time

    def runtime_threads():
        names = []
        for t in os.listdir("/proc/self/task"):
            try:
                names.append(open(f"/proc/self/task/{t}/comm").read().strip())
            except FileNotFoundError:  # a thread that ended meanwhile
                pass
        return names.count("delegir-runtime")

    with Emulator(rate_limit=0) as emu, emu.client() as client:
        client.usage.get()
        # A worker names itself once it runs: on a loaded machine the last one may not have
        # yet. Counted until it reaches the number expected, else until it holds still for
        # half a second (5 s at most).
        expected = int(os.environ.get("EXPECTED_THREADS") or 0)
        count, since, deadline = runtime_threads(), time.monotonic(), time.monotonic() + 5
        while count != expected and time.monotonic() < min(deadline, since + (5 if expected else 0.5)):
            time.sleep(0.05)
            now = runtime_threads()
            if now != count:
                count, since = now, time.monotonic()
        print(count)
    """


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts threads through /proc")
def test_the_runtime_leaves_a_core_to_the_interpreter_unless_told_otherwise() -> None:
    # An empty value counts as unset.
    default = _run_script(_COUNT_RUNTIME_THREADS, env={"TOKIO_WORKER_THREADS": ""})
    assert default.returncode == 0, default.stderr
    cores = os.cpu_count() or 1
    assert 1 <= int(default.stdout) <= max(1, cores - 1)
    explicit = _run_script(_COUNT_RUNTIME_THREADS, env={"TOKIO_WORKER_THREADS": "3", "EXPECTED_THREADS": "3"})
    assert explicit.returncode == 0, explicit.stderr
    assert int(explicit.stdout) == 3
