"""Every shipped scenario runs as it is (with the scripted model) and produces valid records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rolegraph.run.runner import RunOptions, run_scenario
from rolegraph.scenario.schema import Scenario
from tests.conftest import SCENARIOS

SHIPPED = sorted(SCENARIOS.glob("*.yaml"))


def test_at_least_four_scenarios_ship():
    assert len(SHIPPED) >= 4


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
async def test_scenario_runs_with_scripted_model(path: Path, tmp_path: Path):
    scenario = Scenario.from_file(path)
    assert path.read_text().startswith("# yaml-language-server: $schema=./scenario.schema.json")
    out = tmp_path / "run"
    summary = await run_scenario(
        scenario, RunOptions(out=out, samples=3, model="scripted", quiet=True)
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["planned"] == 3
    assert summary.counts["accepted"] + summary.counts["rejected"] == 3, summary.counts
    assert summary.counts["accepted"] >= 2, "the faithful scripted dialogue should pass the critic"
    for line in (out / "accepted.jsonl").read_text().splitlines():
        record = json.loads(line)
        assert record["messages"][0]["role"] == "system"
        assert {m["role"] for m in record["messages"][1:]} <= {"user", "assistant"}
        assert any(m["role"] == "assistant" for m in record["messages"])
        assert len(record["messages"]) - 1 >= scenario.dialogue.min_turns
