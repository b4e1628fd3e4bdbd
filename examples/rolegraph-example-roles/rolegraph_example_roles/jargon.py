"""A review role that flags jargon the trained speaker uses without explaining it."""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from agents import Role, RunContext, SampleState


class JargonOptions(BaseModel):
    """What a scenario may set under `options:` for this role."""

    model_config = ConfigDict(extra="forbid")

    terms: list[str] = Field(
        default_factory=lambda: ["hypertension", "renal", "titrate", "orthostatic"],
        description="Words listeners may not know.",
    )
    explained_by: list[str] = Field(
        default_factory=lambda: ["which means", "that is", "in other words"],
        description="Phrases that count as explaining a term in the same turn.",
    )
    severity: Literal["info", "warning", "error"] = "error"


class JargonChecker(Role):
    """Flags unexplained jargon in the trained speaker's turns."""

    name: ClassVar[str] = "jargon_checker"
    description: ClassVar[str] = (
        "Flags turns of the trained speaker that use a jargon term without explaining it; "
        "place it before the critic, which then asks for a revision."
    )
    Options = JargonOptions

    async def __call__(self, state: SampleState, ctx: RunContext) -> dict[str, Any]:
        options: JargonOptions = self.options
        found = []
        for index, turn in enumerate(state.get("turns") or []):
            if turn["speaker"] != ctx.assistant:
                continue
            text = turn["text"].lower()
            if any(phrase in text for phrase in options.explained_by):
                continue
            for term in options.terms:
                if re.search(rf"\b{re.escape(term.lower())}\b", text):
                    found.append(
                        self.finding(
                            state,
                            check="unexplained_jargon",
                            message=f"'{term}' is used without an explanation",
                            turn=index,
                            criterion="quality",
                            severity=options.severity,
                            evidence=term,
                        )
                    )
        return {"findings": found}
