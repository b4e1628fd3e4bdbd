"""The Python API: `rolegraph.run/arun/load_scenario/RunResult`, and its runs read by every command."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.tracers.context import register_configure_hook

import rolegraph
from rolegraph.cli import main
from rolegraph.errors import ScenarioError, UsageError
from rolegraph.models.scripted import ScriptedChatModel
from tests.conftest import SCENARIOS, scripted_models
from tests.test_engine import BASE, good_speaker, verdict
from tests.test_review import BAND, critic_scoring


def models(**scripts) -> dict:
    return scripted_models(speaker=good_speaker, critic=lambda r, m: verdict(5), **scripts)


def test_load_scenario_from_a_path_text_or_string(tmp_path: Path) -> None:
    by_path = rolegraph.load_scenario(SCENARIOS / "support_outage.yaml")
    by_str = rolegraph.load_scenario(str(SCENARIOS / "support_outage.yaml"))
    by_text = rolegraph.load_scenario(BASE)
    assert by_path.name == by_str.name == "support-outage"
    assert by_text.name == "mini" and len(by_text.speakers) == 2
    with pytest.raises(ScenarioError) as exc:
        rolegraph.load_scenario(BASE.replace("samples: 3", "samples: zero"))
    assert any("run.samples" in p for p in exc.value.problems)
    with pytest.raises(UsageError, match="no such scenario file"):
        rolegraph.load_scenario("missing.yaml")


def test_run_returns_counts_records_and_a_dataset(tmp_path: Path) -> None:
    out = tmp_path / "api-run"
    result = rolegraph.run(BASE, out=out, models=models())
    assert isinstance(result, rolegraph.RunResult)
    assert (result.accepted, result.rejected, result.failed, result.planned) == (3, 0, 0, 3)
    assert result.run_dir == out
    accepted = list(result.records(status="accepted"))
    assert sorted(r["sample_id"] for r in accepted) == ["000000", "000001", "000002"]
    assert list(result.records(status="failed")) == []
    assert len(list(result.records())) == 3
    with pytest.raises(UsageError, match="unknown status"):
        list(result.records(status="acepted"))
    ds = result.to_dataset()
    assert ds.num_rows == 3
    assert ds[0]["messages"][0]["role"] == "system"


def test_one_model_serves_every_role_and_option_names_are_checked(tmp_path: Path) -> None:
    def script(role, messages):  # one model: the critic's prompt is told apart by its words
        return (
            verdict(5)
            if "rubric" in str(messages[0].content).lower()
            else good_speaker(role, messages)
        )

    one = ScriptedChatModel(role="default", script=script)
    result = rolegraph.run(BASE, out=tmp_path / "one", models=one, n=2)
    assert result.accepted == 2 and result.planned == 2
    with pytest.raises(UsageError, match="unknown run option"):
        rolegraph.run(BASE, out=tmp_path / "x", sampels=2)
    with pytest.raises(UsageError, match="LangChain chat models"):
        rolegraph.run(BASE, out=tmp_path / "y", models="scripted")


async def test_run_works_inside_a_running_event_loop(tmp_path: Path) -> None:
    # as in Jupyter: a loop is running in this thread, and the synchronous call still works
    asyncio.get_running_loop()
    result = rolegraph.run(BASE, out=tmp_path / "in-loop", models=models())
    assert result.accepted == 3
    again = await rolegraph.arun(BASE, out=tmp_path / "awaited", models=models())
    assert again.accepted == 3


def test_errors_inside_a_running_loop_reach_the_caller(tmp_path: Path) -> None:
    async def inside() -> None:
        with pytest.raises(UsageError, match="unknown run option"):
            rolegraph.run(BASE, out=tmp_path / "z", nope=1)

    asyncio.run(inside())


def test_every_command_that_reads_a_run_directory_works_on_an_api_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario_file = tmp_path / "mini.yaml"
    scenario_file.write_text(BASE, encoding="utf-8")
    out = tmp_path / "api-run"
    rolegraph.run(scenario_file, out=out, models=models())
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["models"]["speaker"]["spec"] == "object:ScriptedChatModel"
    assert manifest["models"]["speaker"]["class"].endswith("ScriptedChatModel")

    assert main(["eval", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["samples"]["accepted"] == 3
    assert main(["report", str(out), "-o", str(tmp_path / "r.html")]) == 0
    assert "mini" in (tmp_path / "r.html").read_text(encoding="utf-8")
    for fmt in ("openai", "sharegpt", "parquet", "hf"):
        assert main(["export", str(out), "--format", fmt, "-o", str(tmp_path / f"x-{fmt}")]) == 0
    capsys.readouterr()
    lines = (tmp_path / "x-openai").read_text().splitlines()
    assert len(lines) == 3 and "messages" in json.loads(lines[0])


def test_preference_export_and_review_work_on_an_api_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a draft refused once, then accepted: a preference pair
    calls = {"n": 0}

    def critic(role, messages):
        calls["n"] += 1
        return verdict(2, "revise", [1]) if calls["n"] == 1 else verdict(5)

    out = tmp_path / "pref"
    rolegraph.run(
        BASE,
        out=out,
        n=1,
        models=scripted_models(
            speaker=good_speaker, critic=critic, reviser=lambda r, m: "It is on March 3."
        ),
    )
    assert main(["export", str(out), "--format", "preference", "-o", str(tmp_path / "p")]) == 0
    assert (tmp_path / "p").read_text().strip()

    # review: samples in the review band wait; `rolegraph review` decides them
    scenario_file = tmp_path / "band.yaml"
    scenario_file.write_text(BAND.replace("concurrency: 2", "concurrency: 1"), encoding="utf-8")
    band_out = tmp_path / "band"
    result = rolegraph.run(
        scenario_file,
        out=band_out,
        models=scripted_models(speaker=good_speaker, critic=critic_scoring({"0": 3})),
    )
    assert result.counts.get("review") == 1
    from rolegraph.run.review import review_run

    decided = asyncio.run(
        review_run(band_out, lambda payload: {"action": "accept"}, models=scripted_models())
    )
    assert decided == {"accepted": 1}


def test_thread_ids_are_unique_per_run_and_traces_are_named(tmp_path: Path) -> None:
    from rolegraph.run.sample import SampleRunner, Trace

    ids = []
    for name in ("a", "b"):
        out = tmp_path / name
        rolegraph.run(BASE, out=out, n=1, models=models(), checkpoint="step")
        with sqlite3.connect(out / "run.sqlite") as db:
            ids.append(db.execute("SELECT value FROM meta WHERE key = 'run_id'").fetchone()[0])
    assert ids[0] != ids[1] and all(len(i) == 12 for i in ids)

    trace = Trace(scenario="mini", run_dir="runs/x", run_id=ids[0])
    assert trace.thread("000000") == f"{ids[0]}-000000"
    assert trace.sample_id(trace.thread("000007")) == "000007"
    runner = SampleRunner.__new__(SampleRunner)  # only the config is under test
    runner.trace, runner.limit = trace, 50
    runner.scenario = rolegraph.load_scenario(BASE)
    config = runner._config("000003")
    assert config["run_name"] == "mini"
    assert config["configurable"]["thread_id"] == f"{ids[0]}-000003"
    assert "scenario:mini" in config["tags"] and "run_dir:runs/x" in config["tags"]
    assert config["metadata"] == {
        "sample_id": "000003",
        "scenario": "mini",
        "run_dir": "runs/x",
        "run_id": ids[0],
    }


class _Recorder(BaseCallbackHandler):
    """Sees every run LangChain starts, as a tracer such as LangSmith's would."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, str, Any, dict, list]] = []

    def on_chain_start(self, serialized, inputs, *, run_id, parent_run_id=None, **kw) -> None:
        self.runs.append(
            (
                "chain",
                kw.get("name") or "",
                parent_run_id,
                kw.get("metadata") or {},
                kw.get("tags") or [],
            )
        )

    def on_chat_model_start(self, serialized, messages, *, run_id, parent_run_id=None, **kw):
        self.runs.append(("llm", kw.get("name") or "", parent_run_id, kw.get("metadata") or {}, []))


_recorder: ContextVar[_Recorder | None] = ContextVar("rolegraph_test_recorder", default=None)
register_configure_hook(_recorder, inheritable=True)


async def test_a_tracer_sees_named_sample_runs_and_their_model_calls(tmp_path: Path) -> None:
    recorder = _Recorder()
    token = _recorder.set(recorder)
    try:
        await rolegraph.arun(BASE, out=tmp_path / "traced", n=2, models=models())
    finally:
        _recorder.reset(token)
    roots = [r for r in recorder.runs if r[2] is None]
    assert {r[1] for r in roots} == {"mini"}
    assert sorted(r[3]["sample_id"] for r in roots) == ["000000", "000001"]
    assert all("scenario:mini" in r[4] for r in roots)
    nodes = {r[1] for r in recorder.runs if r[0] == "chain"}
    assert {"critic", "speaker"} <= nodes  # the graph's nodes are in the trace
    calls = [r for r in recorder.runs if r[0] == "llm"]
    assert calls and all(r[2] is not None for r in calls)  # model calls sit inside a node
    assert {r[3].get("sample_id") for r in calls} == {"000000", "000001"}
