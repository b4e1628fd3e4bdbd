"""The critic: scores a finished dialogue against the rubric and decides accept / revise / reject.

The model's judgment is combined with deterministic checks (agents.checks): a contradiction
caps the score of the criterion it concerns and forbids acceptance, so a weak or flattering
critic model cannot wave it through; an unsupported value only lowers the score a little.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, ClassVar, Literal

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field, create_model

from agents.base import Role, register
from agents.checks import check_dialogue
from agents.context import (
    Criterion,
    RunContext,
    all_facts_of,
    facts_of,
    numbered,
    private_facts_of,
    task_of,
)
from agents.speaker import persona_name
from agents.state import CheckFinding, Decision, Finding, SampleState, Verdict, current_findings
from agents.structured import ask_structured
from agents.tool_checks import merge_tool_findings, result_sources, tool_findings, unfixable
from agents.tools import call_lines

Score = Literal[1, 2, 3, 4, 5]
UNSUPPORTED_PENALTY = 0.25  # overall score lost per unsupported value (evidence, not a block)
UNSUPPORTED_MAX = 0.5


@lru_cache(maxsize=256)
def report_schema(criteria: tuple[str, ...], n_turns: int) -> type[BaseModel]:
    """The JSON shape the critic model must fill: rationale first, then scores, then decision.

    Turn indexes are an enum of the real ones, so a grammar-constrained model cannot flag a
    turn that does not exist and any other model's out-of-range index fails validation.
    """
    turn_index = Literal[tuple(range(max(1, n_turns)))]  # type: ignore[valid-type]
    scores = create_model(  # type: ignore[call-overload]
        "Scores",
        __config__=ConfigDict(extra="forbid"),
        **{name: (Score, Field(description=f"1-5 score for {name}")) for name in criteria},
    )
    return create_model(  # type: ignore[call-overload]
        "CriticReport",
        __config__=ConfigDict(extra="forbid"),
        __doc__="A critique of one dialogue.",
        rationale=(str, Field(description="Reasoning about the dialogue, written before scoring.")),
        scores=(scores, Field(description="Per-criterion scores from 1 (bad) to 5 (excellent).")),
        evidence=(
            list[str],
            Field(description="Short exact quotes from the dialogue that support the scores."),
        ),
        flagged_turns=(
            list[turn_index],
            Field(description="Indexes of turns that must be rewritten."),
        ),
        overall=(Score, Field(description="Overall quality from 1 to 5.")),
        decision=(
            Literal["accept", "revise", "reject"],
            Field(description="accept, revise or reject."),
        ),
    )


def transcript(state: SampleState) -> str:
    """The dialogue with turn indexes, as the critic and reviser see it.

    A turn that called tools lists its calls and their results first (indented), so the
    critic model sees what the speaker knew when it spoke.
    """
    lines = []
    for i, t in enumerate(state.get("turns") or []):
        lines += call_lines(t)
        lines.append(f"[{i}] {t['speaker']} ({persona_name(state, t['speaker'])}): {t['text']}")
    return "\n".join(lines)


def schema_outline(criteria: list[str], n_turns: int) -> str:
    """A one-line picture of the JSON wanted: short for small models, exact enough for any."""
    scores = ", ".join(f'"{c}": 1|2|3|4|5' for c in criteria)
    return (
        '{"rationale": "...", "scores": {' + scores + '}, "evidence": ["..."], '
        f'"flagged_turns": [indexes from 0 to {max(0, n_turns - 1)}], "overall": 1|2|3|4|5, '
        '"decision": "accept"|"revise"|"reject"}'
    )


def critic_messages(state: SampleState, ctx: RunContext) -> list[Any]:
    """The critic's prompt: fixed instructions and rubric first, this sample's dialogue last."""
    rubric = "\n".join(f"- {c.name}: {c.description}" for c in ctx.rubric)
    conditions = (
        "; ".join(f"{k}: {v}" for k, v in (state.get("conditions") or {}).items()) or "none"
    )
    turns = state.get("turns") or []
    system = (
        "You are a strict reviewer of synthetic training dialogues. Judge the dialogue only "
        "against the grounding facts, the personas and the rubric. Score each criterion from 1 "
        "(bad) to 5 (excellent). Quote evidence exactly. List the indexes of turns that must be "
        "rewritten in flagged_turns. Reply with only a JSON object."
    )
    personas = "\n".join(
        f"- {s}: {persona_name(state, s)}, {state['personas'][s].get('role', s)}"
        for s in state["speakers"]
    )
    private = "".join(
        f"\nOnly {s} knows: {' '.join(facts)}"
        for s, facts in private_facts_of(state, ctx).items()
        if facts
    )
    user = (
        f"Task: {task_of(state, ctx)}\n\nGrounding facts:\n{numbered(facts_of(state, ctx)) or '(none)'}{private}\n\nRubric:\n{rubric}\n\n"
        f"Speakers:\n{personas}\n\nConditions: {conditions}\n\nDialogue:\n{transcript(state)}\n\n"
        f"{findings_text(current_findings(state))}"
        f"Reply as JSON: {schema_outline([c.name for c in ctx.rubric], len(turns))}"
    )
    return [SystemMessage(content=system), HumanMessage(content=user)]


def findings_text(findings: list[Finding]) -> str:
    """What other roles (fact checker, ...) found, for the critic's prompt; empty when none."""
    if not findings:
        return ""
    lines = []
    for f in findings:
        where = f"turn [{f.turn}]" if f.turn >= 0 else "dialogue"
        status = f" {f.status}:" if f.status else ""
        evidence = f" (evidence: {f.evidence})" if f.evidence else ""
        lines.append(f"- {f.source}, {where},{status} {f.message}{evidence}")
    return "Findings of other reviewers:\n" + "\n".join(lines) + "\n\n"


def combine(
    report: BaseModel, findings: list[CheckFinding], rubric: list[Criterion], threshold: float
) -> Verdict:
    """Merge the model's report with the deterministic findings into the final verdict.

    Contradictions (error findings) cap the score of their criterion and block acceptance.
    Unsupported values (warning findings) are evidence: each lowers the overall score by
    `UNSUPPORTED_PENALTY` (at most `UNSUPPORTED_MAX` in all), never below the threshold when
    the score was above it, so they never block on their own.
    """
    model_scores = {c.name: int(getattr(report.scores, c.name)) for c in rubric}
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
        schema = report_schema(tuple(c.name for c in ctx.rubric), len(turns))
        report = await ask_structured(
            ctx.model_for(self.name),
            schema,
            critic_messages(state, ctx),
            retries=ctx.structured_retries,
        )
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
        verdict = combine(report, findings, ctx.rubric, ctx.threshold)
        if verdict.decision != "accept" and (
            state.get("revisions", 0) >= state["max_revisions"] or unfixable(findings)
        ):
            verdict = verdict.model_copy(update={"decision": "reject"})
        as_dict = verdict.model_dump(mode="json")
        return {"verdict": as_dict, "attempts": [{"turns": list(turns), "verdict": as_dict}]}
