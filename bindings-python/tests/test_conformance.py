"""The cross-language conformance scenarios (``tests/conformance/*.json``), run with AsyncDelegir.

The format is documented in ``tests/README.md``; the Rust and Node runners execute the same files.
A scenario this runner cannot run (an unknown call, argument, option or setup key) fails.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import urllib.parse
from collections import Counter
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Optional, Set

import delegir
import pytest
from delegir import AsyncDelegir
from delegir.testing import Emulator
from pydantic import BaseModel

SCENARIO_DIR = Path(
    os.environ.get("DELEGIR_CONFORMANCE_DIR")
    or Path(__file__).resolve().parents[2] / "tests" / "conformance"
)


def _load() -> List[Dict[str, Any]]:
    scenarios: List[Dict[str, Any]] = []
    for path in sorted(SCENARIO_DIR.glob("*.json")):
        scenarios.extend(json.loads(path.read_text())["scenarios"])
    return scenarios


SCENARIOS = _load()

KNOWN = {
    "scenario": {"name", "about", "setup", "call", "args", "options", "expect"},
    "setup": {"rate_limit", "client", "before", "revoke_key", "second_emulator", "faults"},
    "client": {"timeout", "max_retries", "rate_limit", "total_timeout", "default_headers", "default_query"},
    "options": {"timeout", "max_retries", "total_timeout", "extra_headers", "extra_query", "extra_body"},
    "expect": {
        "result", "length", "first", "error", "journal", "journal_total", "journal_outcomes",
        "second_journal_total", "elapsed", "last_request",
    },
    "error": {"class", "status", "retry_after", "may_have_reached_server", "message_contains"},
}
ARGS: Dict[str, Set[str]] = {
    "agents.list": set(),
    "agents.get": {"id"},
    "agents.update": {"id", "name", "status", "config"},
    "agents.delete": {"id"},
    "agents.chat": {"id", "message"},
    "agents.runs.list": {"id", "limit", "offset"},
    "agents.runs.iter": {"id", "page_size"},
    "usage.get": set(),
    "compound.concurrent": {"call", "args", "count"},
    "compound.paginate_while_chatting": {"id", "page_size", "message"},
}


def _check_keys(kind: str, value: Dict[str, Any]) -> None:
    unknown = set(value) - KNOWN[kind]
    if unknown:
        pytest.fail(f"this runner does not know {kind} keys {sorted(unknown)}")


def _dump(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, list):
        return [_dump(v) for v in value]  # pyright: ignore[reportUnknownVariableType]
    return value


async def _invoke(client: AsyncDelegir, call: str, args: Dict[str, Any], options: Dict[str, Any]) -> Any:
    if call not in ARGS:
        pytest.fail(f"this runner does not know the call {call!r}")
    unknown = set(args) - ARGS[call]
    if unknown:
        pytest.fail(f"this runner does not know {call} arguments {sorted(unknown)}")
    agents = client.agents
    if call == "agents.list":
        return await agents.list(**options)
    if call == "agents.get":
        return await agents.get(args["id"], **options)
    if call == "agents.update":
        return await agents.update(
            args["id"], name=args.get("name"), status=args.get("status"), config=args.get("config"), **options
        )
    if call == "agents.delete":
        return await agents.delete(args["id"], **options)
    if call == "agents.chat":
        return await agents.chat(args["id"], args["message"], **options)
    if call == "agents.runs.list":
        return await agents.runs.list(args["id"], limit=args.get("limit"), offset=args.get("offset"), **options)
    if call == "agents.runs.iter":
        return [run async for run in agents.runs.iter(args["id"], page_size=args.get("page_size"), **options)]
    if call == "usage.get":
        return await client.usage.get(**options)
    if call == "compound.concurrent":
        results = await asyncio.gather(
            *(_invoke(client, args["call"], args.get("args", {}), options) for _ in range(args["count"])),
            return_exceptions=True,
        )
        errors = Counter(_class_name(r) for r in results if isinstance(r, BaseException))
        failed = sum(errors.values())
        return {"succeeded": len(results) - failed, "failed": failed, "errors": dict(errors)}
    return await _paginate_while_chatting(client, args["id"], args["page_size"], args["message"])


async def _paginate_while_chatting(client: AsyncDelegir, agent_id: str, page_size: int, message: str) -> Dict[str, int]:
    total = (await client.agents.runs.list(agent_id, limit=1)).total
    yielded: List[str] = []
    chat_ids: List[str] = []
    async for run in client.agents.runs.iter(agent_id, page_size=page_size):
        yielded.append(run.id)
        if len(yielded) % page_size == 0:
            chat_ids.append((await client.agents.chat(agent_id, message)).run_id)
    fresh = [run.id async for run in client.agents.runs.iter(agent_id)]
    seen = set(yielded)
    created = set(chat_ids)
    return {
        "initial_total": total,
        "yielded": len(yielded),
        "duplicates": len(yielded) - len(seen),
        "missing": len([i for i in fresh if i not in seen and i not in created]),
        "chats": len(chat_ids),
        "yielded_new": len(created & seen),
    }


def _class_name(error: BaseException) -> str:
    if isinstance(error, (ValueError, TypeError)):
        return "ArgumentError"
    return type(error).__name__


def _instant(text: str) -> Optional[datetime]:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _matches(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and _matches(v, actual[k]) for k, v in expected.items()  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)  # pyright: ignore[reportUnknownArgumentType]
            and all(_matches(e, a) for e, a in zip(expected, actual))  # pyright: ignore[reportUnknownArgumentType, reportUnknownVariableType]
        )
    if expected is None:
        return actual is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, (int, float)):
        return isinstance(actual, (int, float)) and float(actual) == float(expected)
    if isinstance(expected, str):
        if actual == expected:
            return True
        when = _instant(expected)
        if when is None:
            return False
        if isinstance(actual, datetime):
            return actual == when
        return isinstance(actual, str) and _instant(actual) == when
    return bool(expected == actual)


def _journal_problems(expect: Dict[str, Any], emu: Emulator, second: Optional[Emulator], prefix: str) -> List[str]:
    problems: List[str] = []
    entries = emu.journal(emu.api_key)
    for route, count in expect.get("journal", {}).items():
        method, path = route.split(" ", 1)
        got = sum(1 for e in entries if e["method"] == method and e["path"] == prefix + path)
        if got != count:
            problems.append(f"journal {route}: {got} requests, expected {count}")
    if "journal_total" in expect and len(entries) != expect["journal_total"]:
        problems.append(f"journal_total: {len(entries)}, expected {expect['journal_total']}")
    for outcome, count in expect.get("journal_outcomes", {}).items():
        got = sum(1 for e in entries if e["outcome"] == outcome)
        if got != count:
            problems.append(f"journal outcome {outcome}: {got}, expected {count}")
    if "last_request" in expect:
        problems.extend(_last_request_problems(expect["last_request"], entries))
    if "second_journal_total" in expect:
        got = len(second.journal()) if second is not None else 0
        if got != expect["second_journal_total"]:
            problems.append(f"second_journal_total: {got}, expected {expect['second_journal_total']}")
    return problems


def _last_request_problems(want: Dict[str, Any], entries: List[Dict[str, Any]]) -> List[str]:
    """``last_request``: headers (subset), query parameters (as a dict) and JSON body (subset) of
    the key's last request."""
    if not entries:
        return ["last_request: nothing was sent"]
    last = entries[-1]
    problems: List[str] = []
    for key, value in want.items():
        if key == "headers":
            if not _matches(value, last.get("headers", {})):
                problems.append(f"last_request.headers {last.get('headers')!r} do not match {value!r}")
        elif key == "query":
            got = dict(urllib.parse.parse_qsl(last.get("query") or ""))
            if got != value:
                problems.append(f"last_request.query {got!r}, expected {value!r}")
        elif key == "body":
            body = json.loads(last["body"]) if last.get("body") else None
            if not _matches(value, body):
                problems.append(f"last_request.body {body!r} does not match {value!r}")
        else:
            problems.append(f"this runner does not know last_request key {key!r}")
    return problems


def _substitute(value: Any, second_base_url: str) -> Any:
    text = json.dumps(value).replace("{{second_base_url}}", second_base_url)
    return json.loads(text)


async def _run(scenario: Dict[str, Any]) -> None:
    _check_keys("scenario", scenario)
    setup: Dict[str, Any] = scenario.get("setup", {})
    _check_keys("setup", setup)
    client_options: Dict[str, Any] = setup.get("client", {})
    _check_keys("client", client_options)
    options: Dict[str, Any] = scenario.get("options", {})
    _check_keys("options", options)
    expect: Dict[str, Any] = scenario["expect"]
    _check_keys("expect", expect)
    rate_limit: Dict[str, Any] = setup.get("rate_limit", {})
    with ExitStack() as stack:
        emu = stack.enter_context(
            Emulator(rate_limit=rate_limit.get("limit", 0), rate_window=rate_limit.get("window_ms", 60_000) / 1000)
        )
        second = stack.enter_context(Emulator(rate_limit=0)) if setup.get("second_emulator") else None
        prefix = "/" + emu.base_url.split("/", 3)[3]
        async with emu.async_client(**client_options) as client:
            for before in setup.get("before", []):
                await _invoke(client, before["call"], before.get("args", {}), {})
            if setup.get("revoke_key"):
                emu.revoke_key()
            emu.clear_journal()
            for fault in setup.get("faults", []):
                emu.add_fault(
                    fault["method"],
                    fault["path"],
                    _substitute(fault["fault"], second.base_url if second is not None else ""),
                    fault.get("count", 1),
                )
            started = time.monotonic()
            error: Optional[BaseException] = None
            result: Any = None
            try:
                result = _dump(await _invoke(client, scenario["call"], scenario.get("args", {}), options))
            except delegir.DelegirError as e:
                error = e
            except (ValueError, TypeError) as e:
                error = e
            elapsed = time.monotonic() - started

        problems: List[str] = []
        if "error" in expect:
            want: Dict[str, Any] = expect["error"]
            _check_keys("error", want)
            if error is None:
                problems.append(f"expected {want.get('class', 'an error')}, the call returned {result!r}")
            else:
                if "class" in want and _class_name(error) != want["class"]:
                    problems.append(f"error class {_class_name(error)} ({error}), expected {want['class']}")
                if "status" in want and getattr(error, "status_code", None) != want["status"]:
                    problems.append(f"status {getattr(error, 'status_code', None)}, expected {want['status']}")
                if "retry_after" in want:
                    got = getattr(error, "retry_after", None)
                    low, high = want["retry_after"].get("min", 0), want["retry_after"].get("max", float("inf"))
                    if got is None or not low <= got <= high:
                        problems.append(f"retry_after {got}, expected within [{low}, {high}]")
                if "may_have_reached_server" in want:
                    got = getattr(error, "may_have_reached_server", None)
                    if got is not want["may_have_reached_server"]:
                        problems.append(f"may_have_reached_server {got}, expected {want['may_have_reached_server']}")
                if "message_contains" in want:
                    text = getattr(error, "message", str(error))
                    if want["message_contains"] not in text:
                        problems.append(f"message {text!r} lacks {want['message_contains']!r}")
        elif error is not None:
            problems.append(f"the call failed: {_class_name(error)}: {error}")
        else:
            if "result" in expect and not _matches(expect["result"], result):
                problems.append(f"result {result!r} does not match {expect['result']!r}")
            if "length" in expect and (not isinstance(result, list) or len(result) != expect["length"]):  # pyright: ignore[reportUnknownArgumentType]
                problems.append(f"length {len(result) if isinstance(result, list) else None}, expected {expect['length']}")  # pyright: ignore[reportUnknownArgumentType]
            if "first" in expect and (not isinstance(result, list) or not result or not _matches(expect["first"], result[0])):
                problems.append(f"first element does not match {expect['first']!r}")
        if "elapsed" in expect:
            low, high = expect["elapsed"].get("min", 0), expect["elapsed"].get("max", float("inf"))
            if not low <= elapsed <= high:
                problems.append(f"elapsed {elapsed:.2f} s, expected within [{low}, {high}]")

        # The emulator journals a request when it finishes: poll for up to 5 s.
        deadline = time.monotonic() + 5
        journal = _journal_problems(expect, emu, second, prefix)
        while journal and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            journal = _journal_problems(expect, emu, second, prefix)
        problems.extend(journal)
        if problems:
            pytest.fail(f"{scenario['name']}: " + "; ".join(problems))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
async def test_conformance_scenario(scenario: Dict[str, Any]) -> None:
    await _run(scenario)


def test_the_conformance_scenarios_are_found() -> None:
    assert SCENARIOS, f"no scenarios in {SCENARIO_DIR}"
