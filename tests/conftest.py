"""Shared fixtures: a guard against real network calls and scripted models for every role."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rolegraph.models.scripted import Script, ScriptedChatModel
from rolegraph.models.specs import CORE_ROLES
from rolegraph.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


def _is_local(address: object) -> bool:
    if not isinstance(address, tuple) or not address:
        return True  # unix sockets and the like
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_remote_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests may talk to servers they start on 127.0.0.1, never to anything else."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded(sock: socket.socket, address: object) -> object:
        if not _is_local(address):
            raise RuntimeError(f"test tried to reach {address!r}: tests must not use the network")
        return real_connect(sock, address)

    def guarded_ex(sock: socket.socket, address: object) -> int:
        if not _is_local(address):
            raise RuntimeError(f"test tried to reach {address!r}: tests must not use the network")
        return real_connect_ex(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_ex)


@pytest.fixture(autouse=True)
def servers_forgotten() -> None:
    """Each test finds out afresh what its servers accept: a port reused by the next test's
    server must not inherit what the last one learned."""
    from rolegraph.models.wire import forget_servers

    forget_servers()


def scripted_models(
    script: Script | None = None, **per_role: Script
) -> dict[str, ScriptedChatModel]:
    """A scripted model per role: `script` for all, or a script per role name."""
    return {
        role: ScriptedChatModel(role=role, script=per_role.get(role, script))
        for role in dict.fromkeys(("default", *CORE_ROLES, *per_role))  # extra roles by name
    }


async def run_wired(scenario: Scenario, options: Any) -> Any:
    """`run_scenario`: the runner wires the scenario's graph section itself."""
    from rolegraph.run.runner import run_scenario

    return await run_scenario(scenario, options)


@pytest.fixture
def outage() -> Scenario:
    return Scenario.from_file(SCENARIOS / "support_outage.yaml")


@pytest.fixture
def make_scenario(tmp_path: Path) -> Callable[[str], Scenario]:
    """Write YAML text to a file and load it as a scenario."""

    def make(text: str) -> Scenario:
        path = tmp_path / "scenario.yaml"
        path.write_text(text, encoding="utf-8")
        return Scenario.from_file(path)

    return make


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """llama-cpp-python opens /dev/null at import and never closes it; close it so exit is quiet."""
    import sys

    utils = sys.modules.get("llama_cpp._utils")
    for name in ("outnull_file", "errnull_file"):
        handle = getattr(utils, name, None)
        if handle is not None:
            handle.close()
