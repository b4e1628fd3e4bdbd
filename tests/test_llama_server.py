"""rolegraph against a real OpenAI-compatible server: llama-cpp-python's, on 127.0.0.1.

The server answers `response_format: json_schema` with HTTP 500 (a validation error in the
body); the critic must fall back to tool calling, learn it once, and judge every sample.

A tool scenario runs through the same server started with `--chat_format
chatml-function-calling` (its grammar-driven `tool_choice: auto`): native tool calling made
by a server nobody on the team wrote. That server refuses an assistant message with
`content: null` (a 500 naming `content`); rolegraph learns to send `""` instead.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

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


def judged_records(counts: Mapping[str, int], out: Path) -> list[dict[str, Any]]:
    """The run's accepted and rejected records, after checking none failed and each has a verdict."""
    assert counts["failed"] == 0, (out / "failed.jsonl").read_text()
    judged = [
        json.loads(line)
        for name in ("accepted", "rejected")
        if (out / f"{name}.jsonl").exists()
        for line in (out / f"{name}.jsonl").read_text().splitlines()
    ]
    assert all(r["verdict"]["scores"] and r["verdict"]["decision"] for r in judged)
    return judged


def _serve(tmp_path_factory: pytest.TempPathFactory, *extra: str) -> Iterator[str]:
    """Start `python -m llama_cpp.server` with the embedded GGUF; yield its base URL."""
    from rolegraph.models.local import embedded_model_path

    port = _free_port()
    log_path = tmp_path_factory.mktemp("llama") / "server.log"
    log = log_path.open("w")  # a file, not a pipe: the server logs a lot and must never block
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "llama_cpp.server", "--model", embedded_model_path()),
            *("--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096"),
            # one thread: llama.cpp threads spin at barriers, which a busy machine punishes
            *("--n_threads", "1", "--n_threads_batch", "1", "--seed", "7", *extra),
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


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The server with the GGUF's own chat template (its default)."""
    yield from _serve(tmp_path_factory)


@pytest.fixture(scope="module")
def llama_tools_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The server with its function-calling chat format: `tool_choice: auto` by grammar."""
    yield from _serve(tmp_path_factory, "--chat_format", "chatml-function-calling")


async def test_a_scenario_runs_end_to_end_through_llama_cpp_server(
    llama_server: str, tmp_path: Path
) -> None:
    from rolegraph.models.wire import LEARNED

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
    judged = judged_records(summary.counts, out)
    assert len(judged) == 1
    # json_schema came back as a 500 naming response_format: refused, tool calling learned
    assert LEARNED[("structured", llama_server, "smollm2")] == "function_calling"


# A small tool scenario: the host must look a table up before booking it, and the party is
# larger than a table seats. The guest is scripted (deterministic lines stating the facts);
# the host, the one who calls tools, and the critic are on the server, at temperature 0.
BOOKING = """
name: table-booking
task:
  description: >-
    A guest asks the booking assistant of Trattoria Lina for a table tonight. The assistant
    looks up free tables with the tools and books one.
  format: Plain conversational text, one short sentence per turn.
facts:
  - The guest wants a table for 6 people at 19:00 tonight.
  - A table at Trattoria Lina seats at most 4 guests.
speakers:
  - name: guest
    persona: {name: Ada, role: guest, traits: [hungry, direct]}
    goal:
      description: Get a table for the whole party at 19:00.
      expect: {tables.T2.status: booked}
  - name: host
    persona: {name: Luca, role: booking assistant, traits: [polite]}
tools:
  - name: find_tables
    description: Free tables at a time of day, with their seats.
    parameters:
      type: object
      properties:
        time: {type: string, pattern: "^[0-2][0-9]:[0-5][0-9]$", description: "e.g. 19:00"}
      required: [time]
      additionalProperties: false
    table: {path: tables.csv, key: table, name: tables, op: search, where: {status: free}}
  - name: book_table
    description: Book a table for a party of guests.
    parameters:
      type: object
      properties:
        table: {type: string, pattern: "^T[0-9]$"}
        party_size: {type: integer, minimum: 1, maximum: 4}
      required: [table, party_size]
      additionalProperties: false
    table: {path: tables.csv, key: table, name: tables, op: update, set: {status: booked}}
tool_use: {max_calls_per_turn: 2, max_calls_per_dialogue: 4, timeout: 5}
dialogue: {opener: guest, assistant: host, min_turns: 2, max_turns: 2, max_words: 30}
critic: {threshold: 3.5, max_revisions: 0}
run: {seed: 3}
models:
  user_simulator: scripted
  default: {spec: 'openai:smollm2', max_tokens: 32, timeout: 300, temperature: 0,
            params: {schema_max_string: 24}}
  critic: {spec: 'openai:smollm2', max_tokens: 600, timeout: 300, temperature: 0,
           params: {schema_max_string: 160}}
"""
TABLES = (
    "table,seats,time,status,party_size\nT1,2,19:00,free,\nT2,4,19:00,free,\nT3,4,20:30,free,\n"
)
CALL_CHECKS = {"unknown_tool", "invalid_tool_arguments", "invented_tool_argument"}


async def test_a_tool_scenario_calls_tools_natively_through_llama_cpp_server(
    llama_tools_server: str, tmp_path: Path
) -> None:
    from agents.tools import argument_errors
    from rolegraph.models.wire import LEARNED
    from rolegraph.run.store import RunStore

    (tmp_path / "tables.csv").write_text(TABLES)
    path = tmp_path / "booking.yaml"
    path.write_text(BOOKING)
    scenario = Scenario.from_file(path)
    schemas = {t.name: dict(t.parameters) for t in scenario.tools}
    out = tmp_path / "run"
    summary = await run_scenario(
        scenario,
        RunOptions(
            out=out,
            samples=2,
            concurrency=1,
            base_url=llama_tools_server,
            quiet=True,
            critic_check=False,
        ),
    )
    judged = judged_records(summary.counts, out)
    assert len(judged) == 2

    calls = [c for r in judged for c in r["tool_calls"]]
    assert calls, "the server made no tool call: is tool_choice 'auto' sent?"
    flagged = 0
    for record in judged:
        assert {t["function"]["name"] for t in record["tools"]} == set(schemas)
        asked = {
            c["id"]: c
            for m in record["messages"]
            if m["role"] == "assistant"
            for c in m.get("tool_calls") or []
        }
        answered = {m["tool_call_id"] for m in record["messages"] if m["role"] == "tool"}
        findings = {(f["check"], f["turn"]) for f in record["verdict"]["checks"]}
        for call in record["tool_calls"]:
            # the server's own call id, in the record and in the trainer-facing messages
            assert call["id"] in asked and call["id"] in answered, call
            sent = asked[call["id"]]["function"]
            assert (sent["name"], json.loads(sent["arguments"])) == (
                call["name"],
                call["arguments"],
            )
            invalid = call["name"] not in schemas or argument_errors(
                schemas[call["name"]], call["arguments"]
            )
            if invalid:  # unknown tools and schema violations are refused, with the reason
                assert call["status"] == "refused" and call["error"], call
                assert {
                    ("unknown_tool", call["turn"]),
                    ("invalid_tool_arguments", call["turn"]),
                } & findings, (call, findings)
            else:
                assert call["status"] in ("ok", "error", "refused"), call
                if call["status"] == "refused":  # only past the call budget
                    assert "budget" in call["error"], call
            checks = {c for c, turn in findings if turn == call["turn"]} & CALL_CHECKS
            flagged += bool(invalid or call["status"] != "ok" or checks)
        # the environment the calls left is stored with the sample
        env = record["environment"]
        assert env["calls"] == len(record["tool_calls"])
        for call in record["tool_calls"]:
            if call["name"] == "book_table" and call["status"] == "ok":
                row = env["tables"]["tables"][call["arguments"]["table"]]
                assert (row["status"], row["party_size"]) == (
                    "booked",
                    call["arguments"]["party_size"],
                )
        assert record["outcome"]["guest"]["met"] == (
            env["tables"].get("tables", {}).get("T2", {}).get("status") == "booked"
        )
    # a 135M model does not use tools cleanly: the checks caught at least one call
    assert flagged, calls
    store = RunStore(out)
    try:
        stored = [
            json.loads(r)
            for status in ("accepted", "rejected")
            for _, r in store.finished_records(status)
        ]
    finally:
        store.close()
    assert sorted(json.dumps(r["environment"], sort_keys=True) for r in stored) == sorted(
        json.dumps(r["environment"], sort_keys=True) for r in judged
    )
    # the server refused `content: null` beside tool calls once; rolegraph learned to send ""
    assert LEARNED[("null_content", llama_tools_server, "smollm2")] == "refused"
