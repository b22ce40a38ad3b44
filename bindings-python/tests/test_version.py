"""One version: ``delegir.__version__`` is the package's version (the wheel's metadata, which
maturin takes from Cargo.toml) and the User-Agent every request carries names it, with the
interpreter, the OS and the core's own version."""

from __future__ import annotations

import platform
import re
import sys
from importlib.metadata import version

import delegir
from delegir import AsyncDelegir, Delegir
from delegir.testing import Emulator

# Python's names for the OS and CPU -> Rust's (std::env::consts), which the core reports.
RUST_OS = {"linux": "linux", "darwin": "macos", "win32": "windows"}
RUST_ARCH = {"amd64": "x86_64", "x86_64": "x86_64", "arm64": "aarch64", "aarch64": "aarch64"}


def expected_user_agent() -> str:
    v = delegir.__version__
    runtime = f"{platform.python_implementation()} {sys.version.split()[0]}"
    os_name = RUST_OS.get(sys.platform, sys.platform)
    arch = RUST_ARCH.get(platform.machine().lower(), platform.machine())
    return f"delegir-python/{v} ({runtime}; {os_name}; {arch}) delegir-rust/{v}"


def test_version_is_the_installed_distributions() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", delegir.__version__)
    assert delegir.__version__ == version("delegir")


def test_the_sync_client_names_sdk_runtime_and_os(emu: Emulator, client: Delegir) -> None:
    client.agents.list()
    (entry,) = emu.journal(emu.api_key)
    assert entry["headers"]["user-agent"] == expected_user_agent()
    assert "x-api-key" not in entry["headers"]


async def test_the_async_client_sends_the_same(emu: Emulator, aclient: AsyncDelegir) -> None:
    await aclient.usage.get()
    (entry,) = emu.journal(emu.api_key)
    assert entry["headers"]["user-agent"] == expected_user_agent()


def test_and_so_does_http2(emu: Emulator) -> None:
    with Delegir(emu.api_key, base_url=emu.base_url, http2_prior_knowledge=True) as h2:
        h2.agents.get("agt_abc123")
    (entry,) = emu.journal(emu.api_key)
    assert entry["http_version"] == "HTTP/2.0"
    assert entry["headers"]["user-agent"] == expected_user_agent()
