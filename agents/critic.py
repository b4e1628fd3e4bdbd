"""The critic: scores a finished dialogue against the rubric and decides accept / revise / reject.

The model's judgment is combined with deterministic checks (agents.checks): a check that
fires caps the score of the criterion it concerns, and any error-level finding forbids
acceptance, so a weak or flattering critic model cannot wave a contradiction through.
"""

from __future__ import annotations

from typing import Any, ClassVar

from agents.base import Role, register
from agents.checks import check_dialogue
from agents.context import Criterion, RunContext
from agents.critic_prompt import (  # re-exported: other roles show the dialogue the same way
    critic_messages,
    findings_text,
    report_schema,
    transcript,
)
from agents.critic_scoring import ModelReport, model_report
from agents.state import CheckFinding, Decision, SampleState, Verdict, current_findings

__all__ = [
    "Critic",
    "combine",
    "critic_messages",
    "findings_text",
    "model_report",
    "report_schema",
    "transcript",
]


def combine(
    report: ModelReport, findings: list[CheckFinding], rubric: list[Criterion], threshold: float
) -> Verdict:
    """Merge the model's report with the deterministic findings into the final verdict.

    The model's own `decision` is recorded (`model_decision`) but decides nothing: the final
    decision is the weighted score after the checks against the threshold, and no blocking
    finding.
    """
    model_scores = {c.name: report.scores[c.name] for c in rubric}
    names = {c.name for c in rubric}
    scores = dict(model_scores)
    for criterion in {f.criterion if f.criterion in names else "faithfulness" for f in findings}:
        if criterion not in scores:
            continue
        hits = sum(
            1
            for f in findings
            if (f.criterion if f.criterion in names else "faithfulness") == criterion
        )
        scores[criterion] = min(scores[criterion], max(1, 3 - hits))
    total_weight = sum(c.weight for c in rubric)
    overall = round(sum(scores[c.name] * c.weight for c in rubric) / total_weight, 3)
    blocking = any(f.severity == "error" for f in findings)
    decision: Decision = "accept" if overall >= threshold and not blocking else "revise"
    flagged = (
        sorted({*report.flagged_turns, *(f.turn for f in findings if f.turn >= 0)})
        if decision != "accept"
        else []
    )
    return Verdict(
        rationale=report.rationale,
        scores=scores,
        model_scores=model_scores,
        evidence=list(report.evidence),
        flagged_turns=flagged,
        checks=findings,
        overall=overall,
        model_overall=float(report.overall),
        model_decision=report.decision,
        decision=decision,
    )


@register
class Critic(Role):
    """Scores the dialogue; its decision gates the sample."""

    name: ClassVar[str] = "critic"
    description: ClassVar[str] = (
        "Scores the finished dialogue against the rubric (rationale first, per-criterion 1-5 scores, "
        "evidence, overall, decision), capped by deterministic faithfulness checks."
    )

    async def __call__(self, state: SampleState, ctx: RunContext) -> dict[str, Any]:
        turns = state.get("turns") or []
        report = await model_report(state, ctx, self.name)  # the model alone (critic_scoring)
        findings = check_dialogue(
            turns,
            facts=[*ctx.facts, *(f for facts in ctx.private_facts.values() for f in facts)],
            personas=state["personas"],
            conditions=state.get("conditions"),
        )
        # Error and warning findings of other roles count like failed checks; info is context.
        findings += [f.as_check() for f in current_findings(state) if f.severity != "info"]
        verdict = combine(report, findings, ctx.rubric, ctx.threshold)
        if verdict.decision != "accept" and state.get("revisions", 0) >= state["max_revisions"]:
            verdict = verdict.model_copy(update={"decision": "reject"})
        as_dict = verdict.model_dump(mode="json")
        return {"verdict": as_dict, "attempts": [{"turns": list(turns), "verdict": as_dict}]}
