"""Smoke test of an installed `delegir` (the sdist's build, run by scripts/check-dist-sdist.sh):
against the emulator the package ships, list, get, chat and page, and check that
`delegir.__version__` is the version the request's User-Agent names."""

import platform
import sys

import delegir
from delegir.testing import Emulator

with Emulator(rate_limit=0) as emu:
    client = emu.client()
    agents = client.agents.list()
    assert [a.id for a in agents] == ["agt_abc123", "agt_def456"], agents
    reply = client.agents.chat("agt_abc123", "How do I reset my password?")
    assert reply.response and reply.run_id.startswith("run_"), reply
    runs = list(client.agents.runs.iter("agt_def456"))
    assert len(runs) == 320, len(runs)
    try:
        client.agents.get("agt_missing")
        raise AssertionError("no NotFoundError")
    except delegir.NotFoundError as error:
        assert error.status_code == 404
    user_agent = emu.journal(emu.api_key)[0]["headers"]["user-agent"]
    expected = f"delegir-python/{delegir.__version__} ({platform.python_implementation()} "
    assert user_agent.startswith(expected), (user_agent, expected)
    assert f"delegir-rust/{delegir.__version__}" in user_agent, user_agent
    client.close()
print(f"dist_smoke: delegir {delegir.__version__} on Python {sys.version.split()[0]}: ok ({user_agent})")
