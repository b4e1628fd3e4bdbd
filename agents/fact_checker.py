"""The fact checker: checks the dialogue claim by claim against the grounding facts.

Each statement that states a checkable value (a number, date, time, money amount) or restates
a fact is a claim. A claim is `supported` (evidence: the fact that states it), `contradicted`
(evidence: the fact it disagrees with) or `unsupported` (no fact says so). Contradictions
are errors that block acceptance; the critic sees every result. With `use_model: true` the
role's model is also asked to judge the claims, which catches paraphrased contradictions
that carry no number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from agents.base import Role, register
from agents.checks import _known_values, mentions
from agents.context import RunContext, all_facts_of
from agents.critic import transcript
from agents.state import SampleState

_SENTENCE = re.compile(r"(?<=[.!?;])\s+")
_WORD = re.compile(r"[a-z0-9']+")
_STOP_WORDS = """
the a an and or but if of to in on at by for with from is are was were be been being it its
this that these those there here you your we our they their he she his her i me my mine
will would can could should shall may might must do does did have has had not no yes so
just also very about what when where which who how all any some more most than then as
get got up out into over please thanks thank okay ok right well sure let
"""
_STOP = frozenset(_STOP_WORDS.split())

Status = Literal["supported", "contradicted", "unsupported"]


def content_words(text: str) -> set[str]:
    """The words that carry meaning: no stop words, nothing shorter than three letters."""
    return {w for w in _WORD.findall(text.lower()) if len(w) >= 3 and w not in _STOP}


def claims_of(text: str) -> list[str]:
    """The statements in a turn; questions ask, they do not claim."""
    return [s.strip() for s in _SENTENCE.split(text) if s.strip() and not s.strip().endswith("?")]


def _overlap(claim: str, fact: str) -> float:
    words = content_words(claim)
    return len(words & content_words(fact)) / len(words) if words else 0.0


def judge_claim(
    claim: str, facts: Sequence[str], known: set[str], min_overlap: float
) -> tuple[Status, str] | None:
    """(status, evidence fact) for one claim, or None when it states nothing checkable."""
    stated = mentions(claim)
    ranked = sorted(facts, key=lambda f: _overlap(claim, f), reverse=True)
    if stated:
        unknown = [m for m in stated if not ({m.value, *m.alternatives, f"n:{m.value}"} & known)]
        if not unknown:
            values = {m.value for m in stated}
            stating = [f for f in ranked if values & {m.value for m in mentions(f)}]
            return "supported", (stating or ranked or [""])[0]
        kinds = {m.kind for m in unknown}
        rivals = [f for f in ranked if kinds & {m.kind for m in mentions(f)}]
        if rivals and _overlap(claim, rivals[0]) > 0:
            return "contradicted", rivals[0]
        return "unsupported", ""
    if ranked and _overlap(claim, ranked[0]) >= min_overlap and len(content_words(claim)) >= 2:
        return "supported", ranked[0]
    return None


class ClaimCheck(BaseModel):
    """One claim as the model judged it."""

    model_config = ConfigDict(extra="forbid")

    turn: int = Field(description="Index of the turn that makes the claim.")
    claim: str = Field(description="The claim, quoted from the turn.")
    status: Status
    fact: int = Field(description="Number of the fact that decides it; 0 when none does.")


class ClaimReport(BaseModel):
    """The model's claim-by-claim check of a dialogue."""

    model_config = ConfigDict(extra="forbid")

    claims: list[ClaimCheck]


class FactCheckerOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    use_model: bool = Field(default=False, description="Also ask the role's model.")
    unsupported: Literal["info", "warning", "error"] = Field(
        default="info", description="Severity of a claim no fact supports or contradicts."
    )
    min_overlap: float = Field(
        default=0.6, gt=0, le=1, description="Share of a claim's words a fact must contain."
    )


@register
class FactChecker(Role):
    """Checks each claim of the dialogue against the grounding facts, with evidence."""

    name: ClassVar[str] = "fact_checker"
    description: ClassVar[str] = (
        "Checks the dialogue claim by claim against the grounding facts: supported, "
        "contradicted or unsupported, each with the deciding fact as evidence. Place it "
        "before the critic; contradictions block acceptance."
    )
    Options = FactCheckerOptions
    output_model = ClaimReport
    prompt: ClassVar[str] = (
        "Grounding facts:\n{facts}\n\nDialogue:\n{dialogue}\n\n"
        "List every factual claim in the dialogue. For each give the turn index, the claim "
        "quoted exactly, its status (supported, contradicted or unsupported by the facts) and "
        "the number of the deciding fact (0 if none). Reply with only a JSON object: "
        '{{"claims": [{{"turn": 0, "claim": "...", "status": "supported", "fact": 1}}]}}'
    )

    async def __call__(self, state: SampleState, ctx: RunContext) -> dict[str, Any]:
        options: FactCheckerOptions = self.options
        facts = all_facts_of(state, ctx)
        known = _known_values(
            [*facts, *(f"{k} {v}" for k, v in (state.get("conditions") or {}).items())]
        )
        found: list[dict[str, Any]] = []
        for index, turn in enumerate(state.get("turns") or []):
            for claim in claims_of(turn["text"]):
                judged = judge_claim(claim, facts, known, options.min_overlap)
                if judged is not None:
                    found.append(self._result(state, index, claim, *judged, options))
        if options.use_model and facts:
            found += await self._model_claims(state, ctx, facts, found, options)
        return {"findings": found}

    def _result(
        self,
        state: SampleState,
        turn: int,
        claim: str,
        status: Status,
        evidence: str,
        options: FactCheckerOptions,
    ) -> dict[str, Any]:
        severity = {"supported": "info", "contradicted": "error"}.get(status, options.unsupported)
        message = {
            "supported": "the claim agrees with the grounding facts",
            "contradicted": "the claim contradicts a grounding fact",
            "unsupported": "no grounding fact supports the claim",
        }[status]
        return self.finding(
            state,
            check=f"claim_{status}",
            message=f"{message}: '{claim}'",
            turn=turn,
            severity=severity,
            claim=claim,
            status=status,
            evidence=evidence,
        )

    async def _model_claims(
        self,
        state: SampleState,
        ctx: RunContext,
        facts: list[str],
        found: list[dict[str, Any]],
        options: FactCheckerOptions,
    ) -> list[dict[str, Any]]:
        numbered = "\n".join(f"{i}. {f}" for i, f in enumerate(facts, 1))
        report: ClaimReport = await self.ask(
            ctx, self.render(facts=numbered, dialogue=transcript(state))
        )
        seen = {(f["turn"], f["claim"].lower()) for f in found}
        n_turns = len(state.get("turns") or [])
        out = []
        for c in report.claims:
            if not 0 <= c.turn < n_turns or (c.turn, c.claim.lower()) in seen:
                continue  # out-of-range turns are model noise; repeats add nothing
            evidence = facts[c.fact - 1] if 1 <= c.fact <= len(facts) else ""
            out.append(self._result(state, c.turn, c.claim, c.status, evidence, options))
        return out
