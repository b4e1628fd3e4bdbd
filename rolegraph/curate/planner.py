"""Dataset-wise decomposition: which plan each sample gets, independent or coverage-steered.

**independent** (the default): every sample's plan is drawn on its own from the seed
(`plan.plan_sample`) and the whole plan is stored when the run starts.

**coverage** (scenario `run.planner: coverage`): a sample is planned when a worker picks it
up, from what the run has produced so far. `candidates` plans are drawn for the sample
(variant 0 is its independent plan) and the one with the best score is kept. The score adds,
over the plan's *features* (each condition value, each drawn persona, and every pair of
them):
- coverage: `(1 - r) / (1 + n)`, where `n` counts accepted samples with the feature plus
  samples in flight weighted by the acceptance rate so far, and `r` is the feature's smoothed
  rejection rate `rejected / (accepted + rejected + 1)`;
- rejection: `- reject_weight * r`, so a combination that keeps being rejected is avoided;
- quotas: for `quotas: {mood: {furious: 0.2}}`, a plan with `mood: furious` gets
  `10 * deficit` while furious samples are short of 20% of the expected accepted total.

The chosen plan is written to the run store at once (its row exists from the start with a
null plan), so a resumed run keeps the plans of samples already started and rebuilds the
counts from the store. With more than one worker the choice also depends on which samples
finished first, so a coverage run is reproducible with `concurrency: 1` only.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from rolegraph.curate.plan import SamplePlan, plan_sample
from rolegraph.scenario.schema import Scenario
from rolegraph.scenario.sections import PlannerSpec

Feature = tuple[Any, ...]
QUOTA_WEIGHT = 10.0


def features(plan: SamplePlan, varied: Iterable[str]) -> list[Feature]:
    """The plan's condition values and varied personas, and every pair of them."""
    singles: list[Feature] = [("condition", k, str(v)) for k, v in sorted(plan.conditions.items())]
    singles += [("persona", s, plan.personas[s].name) for s in varied if s in plan.personas]
    return [*singles, *itertools.combinations(singles, 2)]


class CoveragePlanner:
    """Chooses each plan toward under-covered features, away from rejected ones, within quotas."""

    def __init__(self, scenario: Scenario, run_seed: int, spec: PlannerSpec) -> None:
        self.scenario = scenario
        self.run_seed = run_seed
        self.spec = spec
        # speakers drawn from a library without `pick`: the personas a plan can vary
        self.varied = [s.name for s in scenario.speakers if s.persona is None and not s.pick]
        self.accepted: Counter[Feature] = Counter()
        self.rejected: Counter[Feature] = Counter()
        self.pending: Counter[Feature] = Counter()
        self.totals: Counter[str] = Counter()

    def features(self, plan: SamplePlan) -> list[Feature]:
        return features(plan, self.varied)

    # -- bookkeeping -----------------------------------------------------------------------
    def started(self, plan: SamplePlan) -> None:
        self.pending.update(self.features(plan))
        self.totals["pending"] += 1

    def finished(self, plan: SamplePlan, status: str, *, was_pending: bool = True) -> None:
        """Count a finished sample (failed ones count for nothing: they say nothing about content)."""
        feats = self.features(plan)
        if was_pending:
            self.pending.subtract(feats)
            self.totals["pending"] -= 1
        if status in ("accepted", "rejected"):
            (self.accepted if status == "accepted" else self.rejected).update(feats)
            self.totals[status] += 1

    # -- choosing --------------------------------------------------------------------------
    def _acceptance(self) -> float:
        return (self.totals["accepted"] + 1) / (
            self.totals["accepted"] + self.totals["rejected"] + 2
        )

    def score(self, plan: SamplePlan) -> float:
        """How much the plan adds to the accepted data set's coverage (higher is better)."""
        p = self._acceptance()
        total = 0.0
        for f in self.features(plan):
            acc, rej = self.accepted[f], self.rejected[f]
            rate = rej / (acc + rej + 1)
            expected = acc + self.pending[f] * p
            total += (1 - rate) / (1 + expected) - self.spec.reject_weight * rate
        expected_total = self.totals["accepted"] + self.totals["pending"] * p
        for key, shares in self.spec.quotas.items():
            value = str(plan.conditions.get(key))
            if value in shares:
                f = ("condition", key, value)
                have = self.accepted[f] + self.pending[f] * p
                deficit = shares[value] * (expected_total + 1) - have
                total += QUOTA_WEIGHT * max(0.0, deficit)
        return total

    def choose(self, index: int) -> SamplePlan:
        """The best of the sample's candidate plans (ties: the lowest variant, so variant 0)."""
        best: tuple[float, SamplePlan] | None = None
        for variant in range(self.spec.candidates):
            plan = plan_sample(self.scenario, index, self.run_seed, variant)
            score = self.score(plan)
            if best is None or score > best[0] + 1e-12:
                best = (score, plan)
        assert best is not None
        return best[1]


def initial_plans(
    scenario: Scenario, planned: int, run_seed: int
) -> Iterator[tuple[str, int, int, dict[str, Any] | None]]:
    """The plan rows a new run starts with: full plans, or (coverage) rows planned later.

    A run over a seed stores none (a lazy plan: see rolegraph.run.store): each sample is
    planned from its record as it starts, so a million-row seed costs nothing up front.
    """
    if scenario.seed is not None:
        return
    coverage = scenario.run.planner is not None and scenario.run.planner.strategy == "coverage"
    for i in range(planned):
        if coverage:
            yield f"{i:06d}", i, plan_sample(scenario, i, run_seed).seed, None
        else:
            p = plan_sample(scenario, i, run_seed)
            yield p.sample_id, p.index, p.seed, p.model_dump(mode="json")


__all__ = ["CoveragePlanner", "features", "initial_plans"]
