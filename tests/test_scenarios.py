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
        roles = {"user", "assistant"} | ({"tool"} if scenario.tools else set())
        assert {m["role"] for m in record["messages"][1:]} <= roles
        assert any(m["role"] == "assistant" for m in record["messages"])
        assert len(record["messages"]) - 1 >= scenario.dialogue.min_turns


async def test_airline_rebooking_reaches_its_goal_through_tools(tmp_path: Path):
    """The shipped tool scenario: four checked calls per dialogue and the expected final state."""
    scenario = Scenario.from_file(SCENARIOS / "airline_rebooking.yaml")
    out = tmp_path / "run"
    summary = await run_scenario(
        scenario, RunOptions(out=out, samples=2, model="scripted", quiet=True)
    )
    assert summary.counts["accepted"] == 2, summary.counts
    for line in (out / "accepted.jsonl").read_text().splitlines():
        record = json.loads(line)
        assert [c["name"] for c in record["tool_calls"]] == [
            "find_reservation",
            "search_flights",
            "rebook",
            "issue_voucher",
        ]
        assert all(c["status"] == "ok" for c in record["tool_calls"])
        booking = record["environment"]["tables"]["reservation"]["R123"]
        assert (booking["flight"], booking["voucher"]) == ("LX318", "V-R123-150")
        assert {t["function"]["name"] for t in record["tools"]} == {
            "find_reservation",
            "search_flights",
            "rebook",
            "issue_voucher",
        }
        calls = [m for m in record["messages"] if m.get("tool_calls")]
        results = [m for m in record["messages"] if m["role"] == "tool"]
        assert [m["tool_call_id"] for m in results] == [m["tool_calls"][0]["id"] for m in calls]
