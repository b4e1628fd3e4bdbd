"""Tool-use runs end to end: a real OpenAI-compatible server speaking tool calling, SIGKILL +
resume mid-dialogue, and the exports trainers read, loaded back."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from bench.mock_server import MockConfig, MockServer, serve_in_thread
from rolegraph.outputs.export import export
from rolegraph.outputs.rundir import RunDir, open_run
from rolegraph.run.runner import RunOptions, run_scenario
from rolegraph.scenario.schema import Scenario
from tests.conftest import SCENARIOS

AIRLINE = SCENARIOS / "airline_rebooking.yaml"
EXPECTED_CALLS = ["find_reservation", "search_flights", "rebook", "issue_voucher"]


def responder(request: dict[str, Any]) -> dict[str, Any] | None:
    """The critic accepts; speakers get the mock's varied words (tool calls: agent_tools)."""
    if "strict reviewer" in request["messages"][0]["content"]:
        return {
            "rationale": "The agent states what the tools returned.",
            "scores": {"faithfulness": 5, "persona": 4, "quality": 4},
            "evidence": [],
            "flagged_turns": [],
            "overall": 5,
            "decision": "accept",
        }
    return None


def accepted(out: Path) -> list[dict[str, Any]]:
    path = out / "accepted.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def assert_goal_reached(record: dict[str, Any]) -> None:
    assert [c["name"] for c in record["tool_calls"]] == EXPECTED_CALLS
    assert [c["status"] for c in record["tool_calls"]] == ["ok"] * 4, record["tool_calls"]
    booking = record["environment"]["tables"]["reservation"]["R123"]
    assert (booking["flight"], booking["voucher"]) == ("LX318", "V-R123-150")


async def test_run_against_a_server_speaking_tool_calling(tmp_path: Path):
    server = MockServer(MockConfig(responder=responder, agent_tools=True, varied_text=True))
    url = await server.start()
    try:
        scenario = Scenario.from_file(AIRLINE)
        out = tmp_path / "run"
        summary = await run_scenario(
            scenario,
            RunOptions(out=out, samples=2, model="openai:mock", base_url=url, quiet=True),
        )
    finally:
        await server.stop()
    assert summary.counts["accepted"] == 2, summary.counts
    for record in accepted(out):
        assert_goal_reached(record)
    bodies = list(server.stats.last_requests)
    offered = [b for b in bodies if b.get("tools")]
    assert offered and {t["function"]["name"] for t in offered[0]["tools"]} == set(EXPECTED_CALLS)
    answered = [m for b in offered for m in b["messages"] if m["role"] == "tool"]
    assert answered and all(m["tool_call_id"].startswith("call_mock") for m in answered)
    asked = [m for b in offered for m in b["messages"] if m.get("tool_calls")]
    assert all(isinstance(c["function"]["arguments"], str) for m in asked for c in m["tool_calls"])
    assert not any(
        "tool_calls" in json.dumps(b["messages"][0]) for b in offered
    )  # native: no JSON protocol


async def test_a_server_without_tools_gets_the_json_protocol(tmp_path: Path):
    def json_agent(request: dict[str, Any]) -> dict[str, Any] | str | None:
        system = request["messages"][0]["content"]
        if "You are Noah" in system and '"tool_calls"' in system:
            last = request["messages"][-1]["content"] or ""
            if not last.startswith("Tool results:") and not any(
                '"tool_calls"' in (m.get("content") or "") for m in request["messages"][1:]
            ):
                return '{"tool_calls": [{"name": "find_reservation", "arguments": {"reservation_id": "R123"}}]}'
        return responder(request)

    server = MockServer(MockConfig(responder=json_agent, supports_tools=False, varied_text=True))
    url = await server.start()
    try:
        out = tmp_path / "run"
        await run_scenario(
            Scenario.from_file(AIRLINE),
            RunOptions(out=out, samples=1, model="openai:mock", base_url=url, quiet=True),
        )
    finally:
        await server.stop()
    (record,) = [
        json.loads(x)
        for n in ("accepted", "rejected")
        for x in (out / f"{n}.jsonl").read_text().splitlines()
    ]
    assert [(c["name"], c["status"]) for c in record["tool_calls"]] == [("find_reservation", "ok")]
    assert record["tool_calls"][0]["result"]["flight"] == "LX316"


def _start(out: Path, url: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "rolegraph", "run", str(AIRLINE), "--model", "openai:m",
         "--base-url", url, "--out", str(out), "-q", "--concurrency", "3", "-n", "6",
         "--no-critic-check", *extra],  # the canary check's calls would blur the count
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(out.parent)},
    )  # fmt: skip


def _tool_results_sent(server: Any) -> int:
    """Requests that carried a tool result back to the model (a dialogue past a tool step)."""
    bodies = list(server.stats.last_requests)
    return sum(1 for b in bodies if any(m.get("role") == "tool" for m in b.get("messages") or []))


def test_sigkill_mid_dialogue_then_resume_keeps_the_environment(tmp_path: Path):
    with serve_in_thread(
        MockConfig(responder=responder, agent_tools=True, varied_text=True, latency_ms=40)
    ) as server:
        out = tmp_path / "run"
        proc = _start(out, server.base_url)
        deadline = time.monotonic() + 60
        while _tool_results_sent(server) < 3 and proc.poll() is None:
            assert time.monotonic() < deadline, "no tool step was checkpointed"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        done_before = len(accepted(out))
        assert done_before < 6, "the kill came too late to interrupt a dialogue"
        server.stats.reset()
        resumed = _start(out, server.base_url, "--resume")
        _, stderr = resumed.communicate(timeout=180)
        assert resumed.returncode == 0, stderr
        # a sample is 13 model calls (8 turns, 4 continuations after a result, the critic):
        # fewer after the resume means interrupted samples continued from their checkpoints
        assert server.stats.requests_total < 13 * (6 - done_before)
    records = accepted(out)
    assert sorted(r["sample_id"] for r in records) == [f"{i:06d}" for i in range(6)]
    for record in records:
        # a call re-run after the resume would fail (issue_voucher refuses a second voucher)
        # or show twice; every sample has each call once, all ok, and the goal state
        assert_goal_reached(record)
        assert record["environment"]["calls"] == 4


# --- exports --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tool_run(tmp_path_factory: pytest.TempPathFactory) -> RunDir:
    import asyncio

    out = tmp_path_factory.mktemp("tools") / "run"
    summary = asyncio.run(
        run_scenario(
            Scenario.from_file(AIRLINE),
            RunOptions(out=out, samples=2, model="scripted", quiet=True),
        )
    )
    assert summary.counts["accepted"] == 2
    return open_run(out)


def check_openai_chat(row: dict[str, Any]) -> None:
    """The OpenAI chat fine-tuning format's rules for tool calls, as its docs state them."""
    messages, tools = row["messages"], row["tools"]
    names = {t["function"]["name"] for t in tools}
    assert all(
        t["type"] == "function" and t["function"]["parameters"]["type"] == "object" for t in tools
    )
    open_ids: list[str] = []
    for m in messages:
        assert m["role"] in {"system", "user", "assistant", "tool"}
        if m["role"] == "tool":
            assert m["tool_call_id"] == open_ids.pop(0), (
                "a tool message answers the oldest open call"
            )
            assert isinstance(m["content"], str)
            continue
        assert not open_ids, "every call is answered before the next message"
        for call in m.get("tool_calls") or []:
            assert m["role"] == "assistant" and call["type"] == "function"
            assert call["function"]["name"] in names
            assert isinstance(json.loads(call["function"]["arguments"]), dict)
            open_ids.append(call["id"])
    assert not open_ids and messages[-1]["role"] == "assistant" and messages[-1]["content"]


def test_openai_export_follows_the_tool_call_rules(tool_run: RunDir, tmp_path: Path):
    result = export(tool_run, "openai", tmp_path / "o.jsonl")
    rows = [json.loads(x) for x in result.path.read_text().splitlines()]
    assert len(rows) == 2
    for row in rows:
        assert set(row) == {"messages", "tools"}
        check_openai_chat(row)
        assert sum(1 for m in row["messages"] if m["role"] == "tool") == 4


def test_sharegpt_export_uses_function_call_and_observation(tool_run: RunDir, tmp_path: Path):
    row = json.loads(
        export(tool_run, "sharegpt", tmp_path / "s.jsonl").path.read_text().splitlines()[0]
    )
    froms = [c["from"] for c in row["conversations"]]
    assert froms.count("function_call") == froms.count("observation") == 4
    first = froms.index("function_call")
    assert froms[first - 1 : first + 3] == ["human", "function_call", "observation", "gpt"]
    call = json.loads(row["conversations"][first]["value"])
    assert call == {"name": "find_reservation", "arguments": {"reservation_id": "R123"}}
    assert {t["name"] for t in json.loads(row["tools"])} == set(EXPECTED_CALLS)


def test_hf_and_parquet_exports_load_back_with_tool_calls(tool_run: RunDir, tmp_path: Path):
    datasets = pytest.importorskip("datasets")  # the `export` extra, installed by `make test`
    import pyarrow.parquet as pq

    table = pq.read_table(export(tool_run, "parquet", tmp_path / "a.parquet").path)
    assert table.num_rows == 2 and "tools" in table.column_names
    ds = datasets.load_dataset(
        str(export(tool_run, "hf", tmp_path / "hf").path),
        split="train",
        cache_dir=str(tmp_path / "c"),
    )
    row = ds[0]
    calls = [m for m in row["messages"] if m["tool_calls"]]
    assert [m["tool_calls"][0]["function"]["name"] for m in calls] == EXPECTED_CALLS
    results = [m for m in row["messages"] if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in results] == [m["tool_calls"][0]["id"] for m in calls]
    # TRL's conversational format with tools (docs: dataset_formats, "Tool calling"): the
    # `tools` column a list of function schemas, calls as {type: function, function: {name,
    # arguments}}, results as role "tool"; a row round-trips into it and passes its checks.
    trl_row = {
        "messages": [{k: v for k, v in m.items() if v is not None} for m in row["messages"]],
        "tools": json.loads(row["tools"]),
    }
    check_openai_chat(trl_row)
    assert all(set(m) >= {"role", "content"} for m in trl_row["messages"])


# --- views: eval, report, graph ---------------------------------------------------------------


def test_eval_reports_calls_valid_share_and_goal_success(tool_run: RunDir):
    from rolegraph.outputs.evaluate import evaluate

    tools = evaluate(tool_run)["tools"]
    assert (tools["dialogues"], tools["calls"], tools["calls_per_dialogue"]) == (2, 8, 4.0)
    assert tools["valid_call_share"] == 1.0 and tools["statuses"] == {"ok": 8}
    assert (tools["goal_dialogues"], tools["goal_success_rate"]) == (2, 1.0)
    assert tools["per_tool"]["rebook"] == {"calls": 2, "ok": 2}


def test_report_shows_calls_inside_their_turn(tool_run: RunDir, tmp_path: Path):
    from rolegraph.outputs.report import build_report, compact_sample

    record = next(tool_run.records("accepted"))
    sample = compact_sample(record, ["passenger", "agent"])
    turns = sample["a"][-1]["turns"]
    assert len(turns) == 8 and [t[0] for t in turns] == [0, 1] * 4
    (call,) = turns[1][2]
    assert call.strip().startswith('tool call find_reservation({"reservation_id": "R123"}) -> {')
    html = build_report(tool_run.path, tmp_path / "r.html").read_text()
    assert "tool call issue_voucher(" in html


def test_the_graph_drawing_has_the_tool_node():
    from graphs.visualize import agent_graph
    from rolegraph.outputs.report import graph_notes
    from rolegraph.scenario.wiring import graph_spec_from

    scenario = Scenario.from_file(AIRLINE)
    from graphs import build_sample_graph

    graph = agent_graph(
        build_sample_graph(graph_spec_from(scenario)).compile(), graph_notes(scenario)
    )
    labels = {(a, b): d["label"] for a, b, d in graph.edges(data=True)}
    assert labels[("speaker", "tools")] == "tool calls"
    assert labels[("tools", "tools")] == "next call"
    assert labels[("tools", "speaker")] == "results"


def test_trl_data_utilities_take_the_exports(tool_run: RunDir, tmp_path: Path):
    # TRL's own data utilities, installed by `make test` without torch (`--no-deps`: 153 MB
    # where TRL with torch is 5.9 GB); transformers runs in its no-torch mode for them.
    data_utils = pytest.importorskip("trl.data_utils")
    openai_rows = [
        json.loads(x)
        for x in export(tool_run, "openai", tmp_path / "o.jsonl").path.read_text().splitlines()
    ]
    assert openai_rows and all(data_utils.is_conversational(r) for r in openai_rows)
    share_rows = [
        json.loads(x)
        for x in export(tool_run, "sharegpt", tmp_path / "s.jsonl").path.read_text().splitlines()
    ]
    for row in share_rows:
        assert data_utils.is_conversational_from_value(row)
        chatml = data_utils.maybe_convert_to_chatml(dict(row))
        assert data_utils.is_conversational(chatml)
        roles = [m["role"] for m in chatml["messages"]]
        assert roles.count("function_call") == roles.count("observation") == 4
