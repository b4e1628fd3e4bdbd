"""The coverage-steered planner: fewer samples to full coverage, quotas, rejections, resume."""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from rolegraph.curate.plan import SamplePlan, plan_sample
from rolegraph.curate.planner import CoveragePlanner, features
from rolegraph.errors import ScenarioError
from rolegraph.run.runner import RunOptions, run_scenario
from rolegraph.run.store import RunStore
from rolegraph.scenario.schema import Scenario
from rolegraph.scenario.sections import PlannerSpec
from tests.conftest import SCENARIOS, scripted_models

OUTAGE = SCENARIOS / "support_outage.yaml"


def target_pairs(scenario: Scenario) -> set:
    """Every pair of (condition value, condition value or customer persona) across keys."""
    singles = [
        ("condition", k, str(v)) for k, c in sorted(scenario.conditions.items()) for v in c.values
    ]
    library = scenario.library_for(scenario.speakers[0])
    assert library is not None
    singles += [("persona", "customer", p.name) for p in library.personas]
    return {p for p in itertools.combinations(singles, 2) if p[0][:2] != p[1][:2]}


def simulate(
    scenario: Scenario,
    seed: int,
    steer: bool,
    samples: int = 2000,
    judge: Callable[[SamplePlan], str] = lambda plan: "accepted",
    spec: PlannerSpec | None = None,
) -> tuple[int | None, list[tuple[SamplePlan, str]]]:
    """Plan and 'run' samples one by one; (samples until every target pair is accepted, history)."""
    planner = CoveragePlanner(scenario, seed, spec or PlannerSpec(strategy="coverage"))
    target, seen = target_pairs(scenario), set()
    reached, history = None, []
    for i in range(samples):
        plan = planner.choose(i) if steer else plan_sample(scenario, i, seed)
        planner.started(plan)
        status = judge(plan)
        planner.finished(plan, status)
        history.append((plan, status))
        if status == "accepted":
            seen |= set(features(plan, planner.varied)) & target
        if reached is None and seen >= target:
            reached = i + 1
            if samples == 2000:
                break
    return reached, history


def test_steering_reaches_full_pairwise_coverage_with_far_fewer_samples(outage):
    # 57 pairs: mood x urgency, mood x customer, urgency x customer (3, 3 and 8 values)
    assert len(target_pairs(outage)) == 57
    independent = [simulate(outage, seed, steer=False)[0] for seed in range(10)]
    steered = [simulate(outage, seed, steer=True)[0] for seed in range(10)]
    assert None not in independent and None not in steered
    # each sample covers one of the 24 mood x customer pairs: 24 is the least possible
    assert min(steered) >= 24 and max(steered) <= 30
    assert statistics.mean(steered) * 3 < statistics.mean(independent)
    print(f"independent {statistics.mean(independent):.1f}, steered {statistics.mean(steered):.1f}")


def test_quota_is_honoured(outage):
    spec = PlannerSpec(strategy="coverage", quotas={"mood": {"furious": 0.4}})
    _, history = simulate(outage, 1, steer=True, samples=60, spec=spec)
    furious = [plan.conditions["mood"] == "furious" for plan, _ in history]
    assert sum(furious) / len(furious) >= 0.4  # its weight alone gives 20%
    for n in (20, 40):  # and along the way, not only at the end
        assert sum(furious[:n]) / n >= 0.4 - 1 / n


def test_quota_counts_accepted_samples_only(outage):
    """Furious samples that get rejected do not count towards the furious quota."""
    spec = PlannerSpec(strategy="coverage", quotas={"mood": {"furious": 0.2}})

    def judge(plan: SamplePlan) -> str:  # every other furious sample is rejected
        judge.n += plan.conditions["mood"] == "furious"  # type: ignore[attr-defined]
        return "rejected" if plan.conditions["mood"] == "furious" and judge.n % 2 else "accepted"  # type: ignore[attr-defined]

    judge.n = 0  # type: ignore[attr-defined]
    _, history = simulate(outage, 2, steer=True, samples=80, judge=judge, spec=spec)
    accepted = [p for p, s in history if s == "accepted"]
    share = sum(p.conditions["mood"] == "furious" for p in accepted) / len(accepted)
    assert share >= 0.2


def test_combinations_that_keep_being_rejected_are_avoided(outage):
    library = outage.library_for(outage.speakers[0])
    assert library is not None
    doomed = library.personas[0].name

    def judge(plan: SamplePlan) -> str:
        return "rejected" if plan.personas["customer"].name == doomed else "accepted"

    def share_of_doomed(steer: bool) -> float:
        _, history = simulate(outage, 3, steer=steer, samples=400, judge=judge)
        later = [p for p, _ in history[40:]]
        return sum(p.personas["customer"].name == doomed for p in later) / len(later)

    assert share_of_doomed(False) > 0.08  # about 1 in 8 when drawn independently
    assert share_of_doomed(True) < 0.02


def test_independent_planning_is_the_default_and_unchanged(outage):
    assert outage.run.planner is None
    planner = CoveragePlanner(outage, 7, PlannerSpec(strategy="coverage", candidates=1))
    # with one candidate the coverage planner can only take the independent plan
    assert planner.choose(4) == plan_sample(outage, 4, 7)


def _coverage(text: str, concurrency: int = 1) -> Scenario:
    return Scenario.from_text(
        text.replace(
            "  concurrency: 2\n",
            f"  concurrency: {concurrency}\n  planner:\n    strategy: coverage\n"
            "    quotas: {mood: {furious: 0.3}}\n",
        ),
        OUTAGE,
    )


async def test_a_coverage_run_plans_on_pickup_and_honours_its_quota(tmp_path: Path):
    scenario = _coverage(OUTAGE.read_text(), concurrency=3)
    out = tmp_path / "run"
    summary = await run_scenario(
        scenario, RunOptions(out=out, samples=20, model="scripted", quiet=True)
    )
    assert summary.counts["accepted"] == 20
    records = [json.loads(x) for x in (out / "accepted.jsonl").read_text().splitlines()]
    moods = Counter(r["conditions"]["mood"] for r in records)
    assert moods["furious"] / 20 >= 0.3
    customers = {r["personas"]["customer"]["name"] for r in records}
    assert len(customers) == 8  # every customer of the library, within 20 samples
    store = RunStore(out)
    try:
        rows = store.db.execute("SELECT sample_id, seed, plan FROM samples ORDER BY idx").fetchall()
    finally:
        store.close()
    by_id = {r["sample_id"]: r for r in records}
    for sample_id, seed, plan_json in rows:  # each stored plan is the one the sample ran with
        plan = json.loads(plan_json)
        assert plan["seed"] == seed
        assert plan["conditions"] == by_id[sample_id]["conditions"]


async def test_a_coverage_run_resumes_with_the_plans_it_would_have_made(tmp_path: Path):
    scenario = _coverage(OUTAGE.read_text())
    reference = tmp_path / "reference"
    await run_scenario(scenario, RunOptions(out=reference, samples=8, model="scripted", quiet=True))

    out = tmp_path / "run"
    stalled = asyncio.Event()
    loop = asyncio.get_running_loop()
    calls = {"n": 0}

    def speaker(role, messages):
        from rolegraph.models.scripted import default_script

        calls["n"] += 1
        if calls["n"] == 20:  # inside the fourth sample
            loop.call_soon_threadsafe(stalled.set)
            time.sleep(0.3)
        return default_script(role, messages)

    task = asyncio.create_task(
        run_scenario(
            scenario,
            RunOptions(out=out, samples=8, quiet=True, models=scripted_models(speaker=speaker)),
        )
    )
    await stalled.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    store = RunStore(out)
    try:
        planned_rows = store.db.execute(
            "SELECT COUNT(*) FROM samples WHERE plan != 'null'"
        ).fetchone()
        assert planned_rows[0] == 4  # three finished and the one interrupted; the rest wait
    finally:
        store.close()
    await run_scenario(scenario, RunOptions(out=out, resume=True, model="scripted", quiet=True))

    def plans_of(run: Path) -> list:
        store = RunStore(run)
        try:
            return store.db.execute("SELECT plan FROM samples ORDER BY idx").fetchall()
        finally:
            store.close()

    assert plans_of(out) == plans_of(reference)
    counts = json.loads((out / "manifest.json").read_text())["counts"]
    assert counts == {"planned": 8, "accepted": 8, "rejected": 0, "failed": 0}


def test_planner_settings_are_checked(make_scenario):
    text = OUTAGE.read_text()
    with pytest.raises(ScenarioError, match="'angry' is not a value of condition 'mood'"):
        make_scenario(
            text.replace(
                "  concurrency: 2\n",
                "  planner: {strategy: coverage, quotas: {mood: {angry: 0.2}}}\n",
            )
        )
    with pytest.raises(ScenarioError, match="quotas need the coverage planner"):
        make_scenario(
            text.replace("  concurrency: 2\n", "  planner: {quotas: {mood: {calm: 0.2}}}\n")
        )
    with pytest.raises(ScenarioError, match="add up to more than 1"):
        make_scenario(
            text.replace(
                "  concurrency: 2\n",
                "  planner: {strategy: coverage, quotas: {mood: {calm: 0.6, furious: 0.6}}}\n",
            )
        )
    assert make_scenario(
        text.replace("  concurrency: 2\n", "  planner: coverage\n")
    ).run.planner == PlannerSpec(strategy="coverage")
