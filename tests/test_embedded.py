"""End to end on the embedded model: SmolLM2-135M in-process through llama.cpp, no network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rolegraph.run.runner import RunOptions, run_scenario
from rolegraph.scenario.schema import Scenario
from tests.conftest import SCENARIOS

pytestmark = pytest.mark.embedded


async def test_two_short_samples_on_the_embedded_model(tmp_path: Path):
    text = (SCENARIOS / "support_outage.yaml").read_text()
    text = text.replace("max_turns: 6", "max_turns: 4").replace(
        "max_revisions: 1", "max_revisions: 0"
    )
    scenario = Scenario.from_text(text, SCENARIOS / "support_outage.yaml")
    out = tmp_path / "run"
    # the critic check on canaries costs ~4 more embedded calls; bench/critic_canaries.py measures it
    options = RunOptions(out=out, samples=2, quiet=True, critic_check=False)
    summary = await run_scenario(scenario, options)
    assert summary.counts["failed"] == 0, (out / "failed.jsonl").read_text()
    records = [
        json.loads(line)
        for name in ("accepted.jsonl", "rejected.jsonl")
        if (out / name).exists()
        for line in (out / name).read_text().splitlines()
    ]
    assert sorted(r["sample_id"] for r in records) == ["000000", "000001"]
    for record in records:
        turns = record["messages"][1:]
        assert len(turns) == 4  # min_turns is 4 and max_turns is 4
        assert [m["role"] for m in turns] == ["user", "assistant", "user", "assistant"]
        assert sum(1 for m in turns if m["content"].strip()) >= 3, "the model wrote the turns"
        verdict = record["verdict"]
        assert set(verdict["model_scores"]) == {"faithfulness", "persona", "quality"}
        assert all(
            1 <= s <= 5 for s in verdict["model_scores"].values()
        )  # grammar-constrained JSON
        usage = record["usage"]
        assert usage["speaker"]["calls"] >= 4 and usage["speaker"]["output_tokens"] > 0
        assert usage["critic"]["calls"] == 1  # the grammar makes the verdict parse first time
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["models"]["speaker"] == {"spec": "local"}
    assert manifest["counts"]["planned"] == 2


async def test_the_seeded_scenario_runs_on_the_embedded_model(tmp_path: Path):
    text = (SCENARIOS / "support_tickets.yaml").read_text()
    text = text.replace("max_turns: 6", "max_turns: 4").replace(
        "max_revisions: 1", "max_revisions: 0"
    )
    scenario = Scenario.from_text(text, SCENARIOS / "support_tickets.yaml")
    out = tmp_path / "run"
    summary = await run_scenario(scenario, RunOptions(out=out, samples=2, quiet=True))
    assert summary.counts["failed"] == 0, (out / "failed.jsonl").read_text()
    records = [
        json.loads(line)
        for name in ("accepted.jsonl", "rejected.jsonl")
        if (out / name).exists()
        for line in (out / name).read_text().splitlines()
    ]
    tickets = [
        json.loads(x) for x in (SCENARIOS / "data" / "tickets.jsonl").read_text().splitlines()
    ]
    assert len(records) == 2
    for record in records:
        row = tickets[record["seed_record"]["row"]]
        assert record["personas"]["customer"]["name"] == row["customer"]
        assert record["messages"][0]["content"].startswith(
            f"You are Sam, a support agent at Lumen Fiber. Answer from the customer's ticket only.\nTicket {row['ticket_id']}"
        )
        assert f"Policy: {row['policy']}" in record["generation_prompt"]
        assert sum(1 for m in record["messages"][1:] if m["content"].strip()) >= 3
