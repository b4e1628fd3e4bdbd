"""The fact checker: checks the dialogue claim by claim against the grounding facts.

Each statement that states a checkable value (a number, date, time, money amount) or restates
a fact is a claim. A claim is `supported` (evidence: the fact that states it), `contradicted`
(evidence: the fact it disagrees with) or `unsupported` (no fact says so). Contradictions
are errors that block acceptance; the critic sees every result. With `use_model: true` the
role's model is also asked to judge the claims, which catches paraphrased contradictions
that carry no number.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from agents.base import Role, register
from agents.claims import align, check_sentence
from agents.context import RunContext, all_facts_of
from agents.critic import transcript
from agents.grounding import Grounding, grounding, is_question, sentences, stems
from agents.polarity import check_polarity
from agents.state import SampleState
from agents.value_compare import same
from agents.values import Value, values_in

Status = Literal["supported", "contradicted", "unsupported"]


def claims_of(text: str) -> list[str]:
    """The statements in a turn; questions ask, they do not claim."""
    return [s for s in sentences(text) if not is_question(s)]


def judge_claim(
    claim: str, ground: Grounding, context: str, said: dict[str, list[Value]], min_overlap: float
) -> tuple[Status, str] | None:
    """(status, evidence fact) for one claim, or None when it states nothing checkable.

    The same alignment and comparison as the critic's checks (agents.claims): a claim
    is contradicted when one of its values conflicts with the fact it speaks about, or it
    asserts the opposite of a negated fact; unsupported when a value has no counterpart.
    """
    if clause := check_polarity(claim, ground):
        return "contradicted", clause.fact
    results = check_sentence(claim, context, ground, said)
    if contradiction := next((r for r in results if r.contradiction and r.clause), None):
        return "contradicted", contradiction.clause.fact  # type: ignore[union-attr]
    if results:
        return "unsupported", ""
    stated = values_in(claim, ground.today)
    stating = [c for c in ground.clauses if any(same(v, w) for v in stated for w in c.values)]
    if stated:
        return "supported", (stating[0].fact if stating else "")
    own = stems(claim)
    plain = [c for c in ground.clauses if not c.is_reference]
    clause, score = align(own, frozenset(), plain)
    if clause is not None and len(own) >= 2 and score / len(own) >= min_overlap:
        return "supported", clause.fact
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
        facts = all_facts_of(state, ctx)  # this sample's (a seed record's), else the run's
        conditions = [f"{k} {v}" for k, v in (state.get("conditions") or {}).items()]
        ground = grounding(tuple(facts), tuple(conditions))
        found: list[dict[str, Any]] = []
        said: dict[str, list[Value]] = {}
        previous = ""
        for index, turn in enumerate(state.get("turns") or []):
            for claim in claims_of(turn["text"]):
                judged = judge_claim(claim, ground, previous, said, options.min_overlap)
                if judged is not None:
                    found.append(self._result(state, index, claim, *judged, options))
            previous = turn["text"]
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
