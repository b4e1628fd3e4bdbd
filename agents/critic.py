"""The critic: scores a finished dialogue against the rubric and decides accept / revise / reject.

The model's judgment is combined with deterministic checks (agents.checks): a contradiction
caps the score of the criterion it concerns and forbids acceptance, so a weak or flattering
critic model cannot wave it through; an unsupported value only lowers the score a little.
"""

from __future__ import annotations

from typing import Any, ClassVar

from agents.base import Role, register
from agents.checks import check_dialogue
from agents.context import Criterion, RunContext, all_facts_of
from agents.critic_prompt import (  # re-exported: other roles show the dialogue the same way
    critic_messages,
    findings_text,
    report_schema,
    transcript,
)
from agents.critic_scoring import ModelReport, model_report
from agents.state import CheckFinding, Decision, SampleState, Verdict, current_findings
from agents.tool_checks import merge_tool_findings, result_sources, tool_findings, unfixable

__all__ = [
    "Critic",
    "combine",
    "critic_messages",
    "findings_text",
    "model_report",
    "report_schema",
    "transcript",
]

UNSUPPORTED_PENALTY = 0.25  # overall score lost per unsupported value (evidence, not a block)
UNSUPPORTED_MAX = 0.5


def combine(
    report: ModelReport, findings: list[CheckFinding], rubric: list[Criterion], threshold: float
) -> Verdict:
    """Merge the model's report with the deterministic findings into the final verdict.

    Contradictions (error findings) cap the score of their criterion and block acceptance.
    Unsupported values (warning findings) are evidence: each lowers the overall score by
    `UNSUPPORTED_PENALTY` (at most `UNSUPPORTED_MAX` in all), never below the threshold when
    the score was above it, so they never block on their own. The model's own `decision` is
    recorded (`model_decision`) but decides nothing: the final decision is the weighted score
    after the checks against the threshold, and no blocking finding.
    """
    model_scores = {c.name: report.scores[c.name] for c in rubric}
    names = {c.name for c in rubric}
    scores = dict(model_scores)
    blocking = [f for f in findings if f.severity == "error"]
    for criterion in {f.criterion if f.criterion in names else "faithfulness" for f in blocking}:
        if criterion not in scores:
            continue
        hits = sum(
            1
            for f in blocking
            if (f.criterion if f.criterion in names else "faithfulness") == criterion
        )
        scores[criterion] = min(scores[criterion], max(1, 3 - hits))
    total_weight = sum(c.weight for c in rubric)
    overall = round(sum(scores[c.name] * c.weight for c in rubric) / total_weight, 3)
    unsupported = sum(1 for f in findings if f.severity != "error")
    if unsupported:
        lowered = overall - min(UNSUPPORTED_MAX, UNSUPPORTED_PENALTY * unsupported)
        overall = round(max(lowered, threshold) if overall >= threshold else max(1.0, lowered), 3)
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
        findings = check_dialogue(
            turns,
            facts=all_facts_of(state, ctx),
            personas=state["personas"],
            conditions=state.get("conditions"),
            extra_sources=result_sources(turns),  # tool results ground the turns after them
        )
        findings = merge_tool_findings(findings, tool_findings(state, ctx))
        # Other roles' errors block like contradictions, their warnings are evidence like
        # unsupported values; info findings are context only.
        findings += [f.as_check() for f in current_findings(state) if f.severity != "info"]
        # the checks run first (milliseconds) so that the model sees them as evidence
        report = await model_report(state, ctx, self.name, checks=findings)
        verdict = combine(report, findings, ctx.rubric, ctx.threshold)
        if verdict.decision != "accept" and (
            state.get("revisions", 0) >= state["max_revisions"] or unfixable(findings)
        ):
            verdict = verdict.model_copy(update={"decision": "reject"})
        as_dict = verdict.model_dump(mode="json")
        return {"verdict": as_dict, "attempts": [{"turns": list(turns), "verdict": as_dict}]}
