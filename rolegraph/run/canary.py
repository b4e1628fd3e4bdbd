"""The critic sanity check: can the configured critic model tell canaries apart?

Before a run (and with `rolegraph check-critic`), canaries built from the scenario itself
(`agents.canaries`: a faithful exchange and copies with a planted contradiction, a negated
fact and a persona break) are judged by the critic *model* alone, without the deterministic
checks, so the result measures the model. When the faithful canary does not score above
every planted one, the model's judgment carries no signal for this scenario: only the
deterministic checks are gating. The run says so in one line and records it in the
manifest (`critic_check`); it does not stop.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from agents.canaries import Canary, build_canaries
from agents.critic_scoring import model_report
from agents.usage import metered
from rolegraph.curate.plan import initial_state, plan_sample
from rolegraph.run.options import build_context
from rolegraph.scenario.schema import Scenario

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

Status = Literal["ok", "no_signal", "skipped", "failed"]
MEANING = "only the deterministic checks are gating"
# how far above every planted canary the faithful one must score: one point on one of three
# criteria (1/3) passes; G-Eval's fractional scores must differ by more than noise
MIN_GAP = 0.25


@dataclass
class CriticCheck:
    """What the check found; `as_manifest()` is what `manifest.json` records."""

    status: Status
    message: str
    model: str = ""
    mode: str = "single"
    scoring: str = "stated"
    scores: dict[str, float] = field(default_factory=dict)  # kind -> weighted model score
    criteria: dict[str, dict[str, float]] = field(
        default_factory=dict
    )  # kind -> criterion -> score
    planted: dict[str, str] = field(default_factory=dict)  # kind -> what was changed
    geval_applied: bool = False
    usage: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def warns(self) -> bool:
        """True when the user must hear about it: no signal, or the check could not run."""
        return self.status in ("no_signal", "failed")

    def line(self) -> str:
        """The one line a run prints."""
        prefix = "warning: " if self.warns else ""
        return f"{prefix}critic check: {self.message}"

    def as_manifest(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in ({}, "")}


def is_scripted(model: Any) -> bool:
    """The scripted model (any script): a check of it measures the script, not a judge."""
    from rolegraph.models.scripted import ScriptedChatModel

    return isinstance(model, ScriptedChatModel)


def skip_reason(model: Any, wanted: bool | None) -> str | None:
    """Why the check does not run: turned off, or (unless forced) the scripted model."""
    if wanted is False:
        return "skipped (--no-critic-check); whether the critic model discriminates is unknown"
    if wanted is None and is_scripted(model):
        return (
            "skipped for the scripted model: its critic is a fixed script, there is no judgment "
            "to check"
        )
    return None


def judge_outcome(scores: dict[str, float]) -> tuple[Status, str]:
    """ok when the faithful canary scores MIN_GAP above every planted one, else no_signal."""
    faithful = scores["faithful"]
    planted = {k: v for k, v in scores.items() if k != "faithful"}
    shown = ", ".join(f"{k} {v:g}" for k, v in scores.items())
    if not planted:
        return "skipped", f"no canary could be planted from the scenario's facts ({shown})"
    if len(set(scores.values())) == 1:
        return "no_signal", (
            f"the critic model gives every canary the same score ({shown}): its judgment "
            f"carries no signal; {MEANING}"
        )
    missed = [k for k, v in planted.items() if faithful - v < MIN_GAP]
    if missed:
        return "no_signal", (
            f"the critic model does not score the faithful canary clearly above "
            f"{', '.join(missed)} "
            f"({shown}); {MEANING}"
        )
    return "ok", f"the critic model scores the faithful canary above every planted one ({shown})"


def _weighted(scores: dict[str, float], scenario: Scenario) -> float:
    rubric = scenario.critic.rubric
    total = sum(c.weight for c in rubric)
    return round(sum(float(scores[c.name]) * c.weight for c in rubric) / total, 3)


async def check_critic(
    scenario: Scenario,
    models: dict[str, BaseChatModel],
    *,
    seed: int | None = None,
    model_label: str = "",
) -> CriticCheck:
    """Judge the scenario's canaries with its critic model (model only) and say what that shows."""
    started = time.monotonic()
    ctx = build_context(scenario, models)
    run_seed = scenario.run.seed if seed is None else seed
    state = initial_state(scenario, plan_sample(scenario, 0, run_seed))
    canaries = build_canaries(
        scenario.all_facts(), state["speakers"], state["personas"], scenario.assistant
    )
    check = CriticCheck(
        status="ok",
        message="",
        model=model_label,
        mode=scenario.critic.mode,
        scoring=scenario.critic.scoring,
        planted={c.kind: c.planted for c in canaries if c.planted},
    )

    async def judge(canary: Canary) -> tuple[str, Any]:
        return canary.kind, await model_report({**state, "turns": canary.turns}, ctx)

    with metered() as usage:
        try:
            reports = dict(await asyncio.gather(*(judge(c) for c in canaries)))
        except (
            Exception
        ) as exc:  # invalid output, transport, a broken script: reported, never fatal
            check.status, check.message = (
                "failed",
                f"the critic model could not judge the canaries ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0][:200] if str(exc) else exc!r}); whether it "
                f"discriminates is unknown",
            )
            reports = {}
    check.usage, check.seconds = dict(usage), round(time.monotonic() - started, 2)
    if not reports:
        return check
    check.criteria = {k: dict(r.scores) for k, r in reports.items()}
    check.scores = {k: _weighted(r.scores, scenario) for k, r in reports.items()}
    check.geval_applied = any(r.scoring == "geval" for r in reports.values())
    check.status, check.message = judge_outcome(check.scores)
    if check.scoring == "geval" and not check.geval_applied:
        check.message += "; the server returned no log-probabilities, so scores are the stated ones"
    return check


async def check_before_run(
    scenario: Scenario,
    models: dict[str, BaseChatModel],
    wanted: bool | None,
    *,
    seed: int | None = None,
    model_label: str = "",
) -> CriticCheck:
    """The run's check: skipped when turned off or for the scripted model, else `check_critic`."""
    critic = models.get("critic") or models.get("default")
    reason = skip_reason(critic, wanted)
    if reason is not None:
        return CriticCheck(status="skipped", message=reason, model=model_label)
    return await check_critic(scenario, models, seed=seed, model_label=model_label)
