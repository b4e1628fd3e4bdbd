"""Types the roles read and write: turns, check findings, verdicts and the sample state.

The sample state is what LangGraph carries from node to node; it holds only JSON-safe
values (dicts, lists, strings, numbers) so it can be checkpointed and stored as is.
Pydantic models here describe those dicts and validate them at the edges.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field

Decision = Literal["accept", "revise", "reject"]
Status = Literal["running", "accepted", "rejected", "failed"]


class Turn(TypedDict):
    """One utterance in the dialogue."""

    speaker: str  # the scenario's speaker name (e.g. "customer"), not the persona's name
    text: str


class CheckFinding(BaseModel):
    """One thing a deterministic check found; it does not depend on any model."""

    model_config = ConfigDict(extra="forbid")

    check: str = Field(description="Which check fired, e.g. 'unsupported_number'.")
    turn: int = Field(description="Index of the turn it fired on (0-based).")
    criterion: str = Field(default="faithfulness", description="The rubric criterion it caps.")
    severity: Literal["error", "warning"] = "error"
    message: str
    evidence: str = Field(default="", description="The exact text that fired the check.")


class Verdict(BaseModel):
    """The critic's typed judgment of one dialogue attempt."""

    model_config = ConfigDict(extra="forbid")

    rationale: str
    scores: dict[str, int] = Field(description="Final per-criterion scores, 1-5, after the checks.")
    model_scores: dict[str, int] = Field(description="Scores as the model gave them.")
    evidence: list[str] = Field(default_factory=list)
    flagged_turns: list[int] = Field(default_factory=list)
    checks: list[CheckFinding] = Field(default_factory=list)
    overall: float = Field(ge=1, le=5)
    model_overall: float = Field(ge=1, le=5)
    model_decision: Decision
    decision: Decision

    @property
    def fired(self) -> list[str]:
        """Names of the checks that fired, without repeats, in order."""
        return list(dict.fromkeys(f.check for f in self.checks))


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
    next_speaker: str
    stop_reason: str | None
    min_turns: int
    max_turns: int
    max_revisions: int
    revisions: int
    verdict: dict[str, Any] | None  # the latest Verdict, as a dict
    attempts: Annotated[list[dict[str, Any]], operator.add]  # {turns, verdict} per critic pass
    status: Status
    error: str | None
    usage: Annotated[dict[str, Any], add_usage]
