"""rolegraph against a real OpenAI-compatible server: llama-cpp-python's, on 127.0.0.1.

The server answers `response_format: json_schema` with HTTP 500 (a validation error in the
body); the critic must fall back to tool calling, learn it once, and judge every sample.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from rolegraph.run.runner import RunOptions, run_scenario
from rolegraph.scenario.schema import Scenario
from tests.conftest import SCENARIOS

pytest.importorskip("uvicorn", reason="needs llama-cpp-python[server] (the dev extra)")


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the test process dies, so no server outlives a killed run."""
    import ctypes
    import signal

    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from rolegraph.models.local import embedded_model_path

    port = _free_port()
    log_path = tmp_path_factory.mktemp("llama") / "server.log"
    log = log_path.open("w")  # a file, not a pipe: the server logs a lot and must never block
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "llama_cpp.server", "--model", embedded_model_path()),
            *("--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096"),
            # one thread: llama.cpp threads spin at barriers, which a busy machine punishes
            *("--n_threads", "1", "--n_threads_batch", "1", "--seed", "7"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
    )
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    try:
        while True:
            try:
                with urllib.request.urlopen(base + "/models", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"llama_cpp.server exited: {log_path.read_text()[-2000:]}")
                if time.monotonic() > deadline:
                    pytest.fail("llama_cpp.server did not start within 120 s")
                time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


async def test_a_scenario_runs_end_to_end_through_llama_cpp_server(
    llama_server: str, tmp_path: Path
) -> None:
    from rolegraph.models.openai_compat import _LEARNED

    path = SCENARIOS / "support_outage.yaml"
    text = (
        path.read_text()
        .replace(
            "default: local",
            "default: {spec: 'openai:smollm2', max_tokens: 32, timeout: 300}\n"
            "  critic: {spec: 'openai:smollm2', max_tokens: 600, timeout: 300,\n"
            "           params: {schema_max_string: 160}}",
        )
        .replace("min_turns: 4", "min_turns: 2")
        .replace("max_turns: 6", "max_turns: 2")
        .replace("max_revisions: 1", "max_revisions: 0")
    )
    out = tmp_path / "run"
    summary = await run_scenario(
        Scenario.from_text(text, path),
        RunOptions(out=out, samples=1, concurrency=1, base_url=llama_server, quiet=True),
    )
    assert summary.counts["failed"] == 0, (out / "failed.jsonl").read_text()
    judged = [
        json.loads(line)
        for name in ("accepted", "rejected")
        if (out / f"{name}.jsonl").exists()
        for line in (out / f"{name}.jsonl").read_text().splitlines()
    ]
    assert len(judged) == 1
    assert all(r["verdict"]["scores"] and r["verdict"]["decision"] for r in judged)
    # json_schema came back as a 500 naming response_format: refused, tool calling learned
    assert _LEARNED[("structured", llama_server, "smollm2")] == "function_calling"
