"""Types the roles read and write: turns, check findings, verdicts and the sample state.

The sample state is what LangGraph carries from node to node; it holds only JSON-safe
values (dicts, lists, strings, numbers) so it can be checkpointed and stored as is.
Pydantic models here describe those dicts and validate them at the edges.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, NotRequired, TypedDict

from pydantic import BaseModel, ConfigDict, Field

Decision = Literal["accept", "revise", "reject"]
Status = Literal["running", "accepted", "rejected", "failed"]


class Turn(TypedDict):
    """One utterance in the dialogue."""

    speaker: str  # the scenario's speaker name (e.g. "customer"), not the persona's name
    text: str
    calls: NotRequired[list[dict[str, Any]]]  # tool calls made before the text (agents.tools)


class CheckFinding(BaseModel):
    """One thing a deterministic check found; it does not depend on any model."""

    model_config = ConfigDict(extra="forbid")

    check: str = Field(description="Which check fired, e.g. 'unsupported_number'.")
    turn: int = Field(description="Index of the turn it fired on (0-based).")
    criterion: str = Field(default="faithfulness", description="The rubric criterion it caps.")
    severity: Literal["error", "warning"] = "error"
    message: str
    evidence: str = Field(default="", description="The exact text that fired the check.")
    source: str = Field(
        default="checks", description="'checks' (deterministic) or the role that reported it."
    )


class Verdict(BaseModel):
    """The critic's typed judgment of one dialogue attempt."""

    model_config = ConfigDict(extra="forbid")

    rationale: str
    scores: dict[str, int | float] = Field(
        description="Final per-criterion scores, 1-5, after the checks."
    )
    model_scores: dict[str, int | float] = Field(
        description="Scores as the model gave them (a G-Eval weighted mean is fractional)."
    )
    evidence: list[str] = Field(default_factory=list)
    flagged_turns: list[int] = Field(default_factory=list)
    checks: list[CheckFinding] = Field(default_factory=list)
    overall: float = Field(ge=1, le=5)
    model_overall: float = Field(ge=1, le=5)
    model_decision: Decision
    decision: Decision
    rejected_by: str | None = Field(
        default=None, description="The gate role that refused a sample the critic passed."
    )

    @property
    def fired(self) -> list[str]:
        """Names of the checks that fired, without repeats, in order."""
        return list(dict.fromkeys(f.check for f in self.checks))


class Finding(BaseModel):
    """What an extra role (fact checker, safety filter, ...) found about one dialogue draft.

    Findings travel in `SampleState.findings` (appended, never replaced): the critic sees the
    ones about the current draft, error-level ones block acceptance like a failed check, and
    all of them are kept in the sample's record.
    """

    model_config = ConfigDict(extra="forbid")

    source: str = Field(description="The role that reported it, e.g. 'fact_checker'.")
    check: str = Field(description="What was checked, e.g. 'claim_contradicted'.")
    message: str
    turn: int = Field(default=-1, description="Turn index (0-based); -1 for the whole dialogue.")
    severity: Literal["error", "warning", "info"] = "error"
    criterion: str = Field(default="faithfulness", description="The rubric criterion it caps.")
    claim: str = Field(default="", description="The claim checked, quoted from the turn.")
    status: str = Field(default="", description="e.g. supported / contradicted / unsupported.")
    evidence: str = Field(default="", description="The fact or text that decides it.")
    revision: int = Field(default=0, description="The draft it is about (0 = first draft).")

    def as_check(self) -> CheckFinding:
        """The finding as one of the verdict's checks (only error and warning findings are)."""
        return CheckFinding(
            check=self.check,
            turn=self.turn,
            criterion=self.criterion,
            severity="error" if self.severity == "error" else "warning",
            message=self.message,
            evidence=self.evidence or self.claim,
            source=self.source,
        )


def current_findings(state: SampleState) -> list[Finding]:
    """The findings about the draft now in the state (earlier drafts' findings are history)."""
    revision = state.get("revisions", 0)
    return [
        Finding.model_validate(f) for f in state.get("findings") or [] if f["revision"] == revision
    ]


def dialogue_finished(state: SampleState) -> bool:
    """True once the turn loop is over (a stop condition fired or max_turns was reached)."""
    return bool(state.get("stop_reason")) or len(state.get("turns") or []) >= state["max_turns"]


def add_usage(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    """Reducer: sum token usage per role and model, e.g. {'speaker': {'input_tokens': 10, ...}}."""
    merged: dict[str, Any] = {k: dict(v) for k, v in (left or {}).items()}
    for role, counts in (right or {}).items():
        slot = merged.setdefault(role, {})
        for key, value in counts.items():
            slot[key] = slot.get(key, 0) + value
    return merged


class SampleState(TypedDict, total=False):
    """Everything one sample's graph knows; set up by the planner, advanced by the roles."""

    sample_id: str
    seed: int
    speakers: list[str]  # speaker names in the scenario's order
    personas: dict[str, dict[str, Any]]  # speaker name -> Persona as a dict
    conditions: dict[str, Any]
    exemplars: list[list[Turn]]
    turns: list[Turn]
    next_speaker: str  # set by the speaker (round robin), a turn rule or a director role
    goals: dict[str, dict[str, Any]]  # speaker -> hidden goal (user_simulator), from the scenario
    # this sample's own grounding, from its seed record (absent: the run context's; see
    # agents.context.facts_of and friends)
    task: str
    facts: list[str]
    private_facts: dict[str, list[str]]
    seed_record: dict[str, Any] | None  # {row, values}: the seed record the sample grounds in
    train_system: str  # the system message exported for training (the training view)
    stop_reason: str | None
    min_turns: int
    max_turns: int
    max_revisions: int
    revisions: int
    verdict: dict[str, Any] | None  # the latest Verdict, as a dict
    attempts: Annotated[list[dict[str, Any]], operator.add]  # {turns, verdict} per critic pass
    findings: Annotated[list[dict[str, Any]], operator.add]  # Finding dicts from extra roles
    status: Status
    rejected_by: str | None  # the role that rejected the sample outside the critic (a gate)
    review: dict[str, Any] | None  # a person's decision on a borderline sample (human review)
    error: str | None
    usage: Annotated[dict[str, Any], add_usage]
    record: dict[str, Any] | None  # the sample's seed record, when the scenario has a seed
    env: dict[str, Any] | None  # tools' per-sample environment (agents.environment)
    tool_step: dict[str, Any] | None  # a turn in progress: its speaker and calls so far
