"""The critic model's prompt and reply shapes, built so that the layout gives nothing to copy.

A small model shown `"faithfulness": 1|2|3|4|5` copies the first option and scores every
dialogue 1 (reverse the outline and it scores 5). So the prompt never shows a filled-in
example or an enumerated list of values: the scale is described in words, its anchors come
in an order drawn per call from a seed, and the JSON Schema's enums (which servers without
`json_schema` support show in the prompt) are shuffled the same way. The rationale comes
before the scores, so a score is read after the reasoning it rests on.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Literal

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field, create_model

from agents.context import Criterion, RunContext, facts_of, numbered, private_facts_of, task_of
from agents.speaker import persona_name
from agents.state import CheckFinding, Finding, SampleState, current_findings
from agents.tools import call_lines

SCORES = (1, 2, 3, 4, 5)
DECISIONS = ("accept", "revise", "reject")

# What each end and the middle of the scale mean; told in words, in a drawn order.
_ANCHORS = (
    "5 means the criterion is fully met and nothing in the dialogue goes against it",
    "1 means it is clearly broken, for faithfulness a statement that contradicts a fact",
    "3 means it is partly met, with one real problem",
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


def call_rng(state: SampleState, criterion: str = "") -> random.Random:
    """The seeded RNG of one critic call: the same sample, draft and criterion draw the same order."""
    return random.Random(f"{state.get('seed', 0)}:{state.get('revisions', 0)}:{criterion}")


def shuffled(values: tuple[Any, ...], rng: random.Random) -> tuple[Any, ...]:
    """`values` in an order drawn from `rng`: a rotation, read either way.

    Any value can come first, which is what defeats copying the first option; keeping to
    2n orders (not n!) keeps the schemas built from them few enough to stay cached (building
    one and its JSON Schema costs about 3 ms of CPU).
    """
    k = rng.randrange(len(values))
    out = values[k:] + values[:k]
    return out[::-1] if rng.random() < 0.5 else out


def scale_words(rng: random.Random) -> str:
    """The 1-5 scale in words, its anchors in a drawn order (no list of values to copy)."""
    anchors = shuffled(_ANCHORS, rng)
    between = "4 and 2" if rng.random() < 0.5 else "2 and 4"
    return (
        "Each score is one whole number on a five-point scale, where "
        + "; ".join(anchors)
        + f"; {between} lie in between."
    )


def either(words: tuple[str, ...]) -> str:
    """'a, b or c' in the order given."""
    return ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else words[0]


@lru_cache(maxsize=512)
def report_schema(
    criteria: tuple[str, ...],
    n_turns: int,
    scores: tuple[int, ...] = SCORES,
    decisions: tuple[str, ...] = DECISIONS,
) -> type[BaseModel]:
    """The JSON the critic model fills for all criteria at once: rationale first, then scores.

    `scores` and `decisions` give the order of the enums (shuffled per call by the critic).
    Turn indexes are an enum of the real ones, so a grammar-constrained model cannot flag a
    turn that does not exist and any other model's out-of-range index fails validation.
    """
    score = Literal[scores]  # type: ignore[valid-type]
    turn_index = Literal[tuple(range(max(1, n_turns)))]  # type: ignore[valid-type]
    score_fields = create_model(  # type: ignore[call-overload]
        "Scores",
        __config__=ConfigDict(extra="forbid"),
        **{name: (score, Field(description=f"whole-number score for {name}")) for name in criteria},
    )
    return create_model(  # type: ignore[call-overload]
        "CriticReport",
        __config__=ConfigDict(extra="forbid"),
        __doc__="A critique of one dialogue.",
        rationale=(str, Field(description="Reasoning about the dialogue, written before scoring.")),
        scores=(score_fields, Field(description="One whole-number score per criterion.")),
        evidence=(
            list[str],
            Field(description="Short exact quotes from the dialogue that support the scores."),
        ),
        flagged_turns=(
            list[turn_index],
            Field(description="Indexes of turns that must be rewritten."),
        ),
        overall=(score, Field(description="Whole-number score of the dialogue as a whole.")),
        decision=(
            Literal[decisions],  # type: ignore[valid-type]
            Field(description="The reviewer's recommendation."),
        ),
    )


@lru_cache(maxsize=512)
def criterion_schema(n_turns: int, scores: tuple[int, ...] = SCORES) -> type[BaseModel]:
    """The JSON of one criterion's judgment (`critic.mode: per_criterion`)."""
    turn_index = Literal[tuple(range(max(1, n_turns)))]  # type: ignore[valid-type]
    return create_model(  # type: ignore[call-overload]
        "CriterionReport",
        __config__=ConfigDict(extra="forbid"),
        __doc__="A judgment of one dialogue on one criterion.",
        rationale=(str, Field(description="Reasoning about this criterion, written first.")),
        evidence=(list[str], Field(description="Short exact quotes that support the score.")),
        flagged_turns=(
            list[turn_index],
            Field(description="Indexes of turns that break this criterion."),
        ),
        score=(Literal[scores], Field(description="Whole-number score for this criterion.")),  # type: ignore[valid-type]
    )


def checks_text(checks: Sequence[CheckFinding]) -> str:
    """What the deterministic checks found, for the critic's prompt; empty when nothing."""
    if not checks:
        return ""
    lines = []
    for f in checks:
        kind = "contradiction" if f.severity == "error" else "unsupported"
        where = f"turn [{f.turn}]" if f.turn >= 0 else "dialogue"
        evidence = f' ("{f.evidence}")' if f.evidence else ""
        lines.append(f"- {kind}, {where}: {f.message}{evidence}")
    return (
        "Automatic checks found (a contradiction blocks the dialogue whatever you score; "
        "an unsupported value is for you to weigh):\n" + "\n".join(lines) + "\n\n"
    )


def _context(
    state: SampleState,
    ctx: RunContext,
    rubric: list[Criterion],
    checks: Sequence[CheckFinding] = (),
) -> str:
    """What every critic prompt shows: task, facts, rubric, speakers, conditions, dialogue,
    and what the checks and other roles found."""
    conditions = (
        "; ".join(f"{k}: {v}" for k, v in (state.get("conditions") or {}).items()) or "none"
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
    rubric_text = "\n".join(f"- {c.name}: {c.description}" for c in rubric)
    return (
        f"Task: {task_of(state, ctx)}\n\nGrounding facts:\n"
        f"{numbered(facts_of(state, ctx)) or '(none)'}{private}\n\n"
        f"Rubric:\n{rubric_text}\n\n"
        f"Speakers:\n{personas}\n\nConditions: {conditions}\n\nDialogue:\n{transcript(state)}\n\n"
        f"{checks_text(checks)}{findings_text(current_findings(state))}"
    )


SYSTEM = (
    "You are a strict reviewer of synthetic training dialogues. Judge the dialogue only "
    "against the grounding facts, the personas and the rubric. Read the whole dialogue, write "
    "your reasoning first and only then score. Quote evidence exactly. Reply with only a JSON "
    "object."
)


def critic_messages(
    state: SampleState,
    ctx: RunContext,
    *,
    rng: random.Random | None = None,
    decisions: tuple[str, ...] = DECISIONS,
    checks: Sequence[CheckFinding] = (),
) -> list[Any]:
    """The prompt for all criteria at once: fixed instructions first, this sample's dialogue last.

    The reply's keys are described in words; the scale's anchors and the decision words come
    in the order `rng` draws (by default the call's own seeded RNG).
    """
    rng = rng or call_rng(state)
    names = ", ".join(c.name for c in ctx.rubric)
    last = max(0, len(state.get("turns") or []) - 1)
    reply = (
        "Reply with a JSON object whose keys come in this order:\n"
        "- rationale: your reasoning about the dialogue, criterion by criterion;\n"
        f"- scores: an object with one score for each criterion ({names});\n"
        "- evidence: short exact quotes from the dialogue behind the scores;\n"
        f"- flagged_turns: indexes (0 to {last}) of turns that must be rewritten, or none;\n"
        "- overall: one score for the dialogue as a whole;\n"
        f"- decision: {either(decisions)}.\n"
        f"{scale_words(rng)}"
    )
    user = _context(state, ctx, ctx.rubric, checks) + reply
    return [SystemMessage(content=SYSTEM), HumanMessage(content=user)]


def criterion_messages(
    state: SampleState,
    ctx: RunContext,
    criterion: Criterion,
    *,
    rng: random.Random | None = None,
    checks: Sequence[CheckFinding] = (),
) -> list[Any]:
    """The prompt for one criterion (`critic.mode: per_criterion`): one question, one score."""
    rng = rng or call_rng(state, criterion.name)
    last = max(0, len(state.get("turns") or []) - 1)
    reply = (
        f"Criterion to judge: {criterion.name}: {criterion.description}\n"
        "Judge only this criterion. Reply with a JSON object whose keys come in this order:\n"
        f"- rationale: your reasoning about {criterion.name};\n"
        "- evidence: short exact quotes from the dialogue behind the score;\n"
        f"- flagged_turns: indexes (0 to {last}) of turns that break it, or none;\n"
        f"- score: one score for {criterion.name}.\n"
        f"{scale_words(rng)}"
    )
    user = _context(state, ctx, [criterion], checks) + reply
    return [SystemMessage(content=SYSTEM), HumanMessage(content=user)]
