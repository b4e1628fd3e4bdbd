"""rolegraph against a real OpenAI-compatible HTTP server on 127.0.0.1, whatever it supports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.mock_server import MockConfig, MockServer, serve_in_thread
from rolegraph.models.openai_compat import METHODS
from rolegraph.run.runner import RunOptions, run_scenario
from rolegraph.scenario.schema import Scenario
from tests.conftest import SCENARIOS

FACT_LINES = [
    "My internet is down, what happened?",
    "A cut fiber cable at a construction site caused the outage.",
    "When will it be back?",
    "Repair crews expect service back by 3:00 pm.",
    "Will I get anything for the trouble?",
    "Affected customers get a credit of $15 on their next bill automatically.",
]


def responder(request: dict) -> dict | str:
    """Plays every role: faithful turns for speakers, an accepting verdict for the critic."""
    system = request["messages"][0]["content"]
    if "strict reviewer" in system:
        return {
            "rationale": "Every statement matches the facts.",
            "scores": {"faithfulness": 5, "persona": 4, "quality": 4},
            "evidence": ["Repair crews expect service back by 3:00 pm."],
            "flagged_turns": [],
            "overall": 5,
            "decision": "accept",
        }
    said = [
        m
        for m in request["messages"][1:]
        if m["content"] != "Go on." and not m["content"].startswith("Start the")
    ]
    return FACT_LINES[len(said) % len(FACT_LINES)]


def outage(default_model: str | None = None) -> Scenario:
    """support_outage, with its default model replaced when given (a YAML flow mapping)."""
    path = SCENARIOS / "support_outage.yaml"
    if default_model is None:
        return Scenario.from_file(path)
    return Scenario.from_text(
        path.read_text().replace("default: local", f"default: {default_model}"), path
    )


async def run_against(config: MockConfig, scenario: Scenario, out: Path, **options):
    """Run `scenario` against a MockServer on 127.0.0.1; returns (summary, server).

    The critic check is off: these tests count the calls of samples (test_critic_check.py
    tests the check against this server).
    """
    options.setdefault("critic_check", False)
    server = MockServer(config)
    url = await server.start()
    try:
        summary = await run_scenario(
            scenario, RunOptions(out=out, base_url=url, quiet=True, **options)
        )
    finally:
        await server.stop()
    return summary, server


@pytest.mark.parametrize(
    ("capabilities", "method"),
    [
        ({}, "json_schema"),
        ({"supports_json_schema": False}, "function_calling"),
        ({"supports_json_schema": False, "supports_tools": False}, "json_mode"),
        (
            {"supports_json_schema": False, "supports_tools": False, "supports_json_object": False},
            "prompt",
        ),
    ],
)
async def test_critic_works_whatever_structured_output_the_server_supports(
    tmp_path: Path, capabilities, method
):
    summary, server = await run_against(
        MockConfig(responder=responder, **capabilities),
        outage(),
        tmp_path / "run",
        samples=2,
        model="openai:mock-model",
    )
    assert summary.counts["accepted"] == 2, summary.counts
    critic_requests = [
        r for r in server.stats.last_requests if "strict reviewer" in r["messages"][0]["content"]
    ]
    expected_marker = {
        "json_schema": lambda r: r.get("response_format", {}).get("type") == "json_schema",
        "function_calling": lambda r: bool(r.get("tools")),
        "json_mode": lambda r: r.get("response_format", {}).get("type") == "json_object",
        "prompt": lambda r: "response_format" not in r and "tools" not in r,
    }[method]
    assert critic_requests and expected_marker(critic_requests[-1])
    # each refused method is tried once (even with samples in flight), then the working one is remembered
    assert server.stats.status_counts.get(400, 0) == METHODS.index(method)
    record = json.loads((tmp_path / "run" / "accepted.jsonl").read_text().splitlines()[0])
    assert [m["content"] for m in record["messages"][1:3]] == FACT_LINES[:2]
    assert record["usage"]["critic"]["input_tokens"] > 0


@pytest.mark.parametrize(
    ("refuses", "first", "then"),
    [
        ({"accepts_max_completion_tokens": False}, "max_tokens", "max_tokens"),
        ({"accepts_max_tokens": False}, "max_tokens", "max_completion_tokens"),
    ],
)
async def test_token_limit_name_follows_the_server(tmp_path: Path, refuses, first, then):
    """Compatible servers get `max_tokens` first; one that refuses it gets the other name."""
    summary, server = await run_against(
        MockConfig(responder=responder, **refuses),
        outage("{spec: 'openai:m', max_tokens: 64}"),
        tmp_path / "run",
        samples=1,
    )
    assert summary.counts["accepted"] == 1
    bodies = list(server.stats.last_requests)
    assert first in bodies[0]
    other = "max_tokens" if then == "max_completion_tokens" else "max_completion_tokens"
    assert all(then in b and other not in b for b in bodies[2:])
    assert server.stats.status_counts.get(400, 0) == (first != then)


def test_openai_api_gets_max_completion_tokens():
    from rolegraph.models.openai_compat import OpenAICompatChat

    assert OpenAICompatChat(model="m")._token_param == "max_completion_tokens"
    assert (
        OpenAICompatChat(model="m", base_url="http://127.0.0.1:1/v1")._token_param == "max_tokens"
    )


async def test_critic_output_out_of_range_is_retried_then_recorded(tmp_path: Path):
    def bad_critic(request: dict) -> dict | str:
        if "strict reviewer" in request["messages"][0]["content"]:
            return {**responder(request), "overall": 11}  # type: ignore[dict-item]
        return responder(request)

    summary, server = await run_against(
        MockConfig(responder=bad_critic), outage(), tmp_path / "run", samples=1, model="openai:m"
    )
    assert summary.counts["failed"] == 1
    failed = json.loads((tmp_path / "run" / "failed.jsonl").read_text())
    assert "ModelOutputError" in failed["error"] and "overall" in failed["error"]
    critic_calls = [
        r for r in server.stats.last_requests if "strict reviewer" in r["messages"][0]["content"]
    ]
    assert len(critic_calls) == 3  # the first answer and critic.retries (2) re-asks with the error
    assert "That reply was invalid" in critic_calls[-1]["messages"][-1]["content"]


def test_cli_run_against_a_local_server(tmp_path: Path):
    with serve_in_thread(MockConfig(responder=responder)) as server:
        out = tmp_path / "run"
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "rolegraph",
                "run",
                str(SCENARIOS / "support_outage.yaml"),
                "-n",
                "2",
                "--model",
                "openai:mock-model",
                "--base-url",
                server.base_url,
                "--out",
                str(out),
                "-q",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        )
    assert proc.returncode == 0, proc.stderr
    assert f"data written to {out}/accepted.jsonl" in proc.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"] == {"planned": 2, "accepted": 2, "rejected": 0, "failed": 0}
    assert manifest["models"]["speaker"]["spec"] == "openai:mock-model"
    assert "not-needed" not in (out / "manifest.json").read_text()


def test_missing_api_key_is_one_clear_line(tmp_path: Path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "rolegraph",
            "run",
            str(SCENARIOS / "support_outage.yaml"),
            "--model",
            "openai:gpt-4o-mini",
            "--out",
            str(tmp_path / "run"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: model 'openai:gpt-4o-mini' needs an API key: set the OPENAI_API_KEY environment variable "
        "(or give base_url for a local OpenAI-compatible server)"
    ]
    assert not (tmp_path / "run").exists()


async def test_langchain_chatopenai_on_request(tmp_path: Path):
    """`params: {client: langchain}` runs the same scenario through LangChain's ChatOpenAI."""
    summary, server = await run_against(
        MockConfig(responder=responder),
        outage("{spec: 'openai:m', params: {client: langchain}}"),
        tmp_path / "run",
        samples=2,
    )
    assert summary.counts["accepted"] == 2
    assert summary.usage["critic"]["calls"] == 2 and summary.usage["speaker"]["calls"] >= 8
    # ChatOpenAI's requests, not rolegraph's client: it always sends `stream: false`
    assert all(r.get("stream") is False for r in server.stats.last_requests)


def test_unknown_client_is_a_usage_error():
    from rolegraph.errors import UsageError
    from rolegraph.models.specs import build_model
    from rolegraph.scenario.sections import ModelConfig

    config = ModelConfig(
        spec="openai:m", base_url="http://127.0.0.1:9/v1", params={"client": "sdk"}
    )
    with pytest.raises(
        UsageError, match=r"params\.client is 'sdk'; choose 'rolegraph' or 'langchain'"
    ):
        build_model(config, "speaker")
