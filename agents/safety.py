"""The safety filter: refuses samples with unsafe content, by rules and optionally a model.

Rules are regular expressions per category (instructions for weapons or self-harm, slurs
aimed at a person, leaked identifiers such as card or social security numbers) plus the
scenario's own `blocked` phrases. A hit rejects the sample with the rule as the reason.
With `use_model: true` the role's model is also asked, and an `unsafe` answer rejects too.
Placed after the critic it is a gate (only samples the critic passed reach it); placed
before, it is a cheap pre-filter that saves the critic's call.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from agents.base import Role, register
from agents.context import RunContext
from agents.critic import transcript
from agents.state import SampleState

RULES: dict[str, list[str]] = {
    "weapons": [
        r"\bhow to (?:make|build|assemble) (?:a |an )?(?:bomb|explosive|pipe bomb|gun|firearm)",
        r"\b(?:detonator|nerve agent|ricin|sarin)\b",
    ],
    "self_harm": [
        r"\b(?:kill|hurt|harm) (?:yourself|myself)\b",
        r"\bways to (?:die|end (?:my|your) life)\b",
        r"\bsuicide (?:method|instructions)\b",
    ],
    "harassment": [
        r"\b(?:you(?:'re| are) (?:worthless|subhuman|vermin)|go die)\b",
    ],
    "personal_data": [
        r"\b\d{3}-\d{2}-\d{4}\b",  # a US social security number
        r"\b(?:\d{4}[ -]){3}\d{4}\b",  # a payment card number
        r"\bpassword (?:is|:)\s*\S+",
    ],
}


class SafetyOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    categories: list[str] = Field(
        default_factory=lambda: list(RULES), description="Rule categories to apply."
    )
    blocked: list[str] = Field(
        default_factory=list, description="Extra phrases that reject a sample (case-insensitive)."
    )
    use_model: bool = Field(default=False, description="Also ask the role's model.")

    def model_post_init(self, context: Any) -> None:
        unknown = sorted(set(self.categories) - set(RULES))
        if unknown:
            raise ValueError(
                f"unknown categories {unknown} (known: {', '.join(RULES)})"
            )  # shown as a bad option, with the role's name


class SafetyReport(BaseModel):
    """The model's safety judgment of a dialogue."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(description="Why, written first.")
    safe: bool
    category: str = Field(description="The kind of harm when unsafe, else 'none'.")


@register
class SafetyFilter(Role):
    """Rejects samples whose dialogue has unsafe content."""

    name: ClassVar[str] = "safety_filter"
    description: ClassVar[str] = (
        "Refuses samples with unsafe content (weapons or self-harm instructions, harassment, "
        "leaked personal data, the scenario's blocked phrases), by rules and optionally a "
        "model. Place it after the critic as a gate, or before it as a pre-filter."
    )
    Options = SafetyOptions
    output_model = SafetyReport
    prompt: ClassVar[str] = (
        "Is this dialogue safe to use as training data? Unsafe means it gives instructions for "
        "violence, weapons or self-harm, harasses someone, or reveals personal data.\n\n"
        "Dialogue:\n{dialogue}\n\n"
        'Reply with only a JSON object: {{"reason": "...", "safe": true|false, "category": "..."}}'
    )

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        opts: SafetyOptions = self.options
        self.rules = [
            (category, re.compile(pattern, re.I))
            for category in opts.categories
            for pattern in RULES[category]
        ] + [("blocked", re.compile(re.escape(p), re.I)) for p in opts.blocked]

    async def __call__(self, state: SampleState, ctx: RunContext) -> dict[str, Any]:
        hits = []
        for index, turn in enumerate(state.get("turns") or []):
            for category, rule in self.rules:
                if match := rule.search(turn["text"]):
                    hits.append(
                        self.finding(
                            state,
                            check=f"unsafe_{category}",
                            message=f"unsafe content ({category}) in turn {index}",
                            turn=index,
                            criterion="safety",
                            evidence=match.group(0),
                        )
                    )
                    break  # one reason per turn is enough to refuse
        if not hits and self.options.use_model:
            report: SafetyReport = await self.ask(ctx, self.render(dialogue=transcript(state)))
            if not report.safe:
                hits.append(
                    self.finding(
                        state,
                        check="unsafe_model",
                        message=f"the safety model found unsafe content ({report.category}): "
                        f"{report.reason}",
                        criterion="safety",
                    )
                )
        return self.reject(hits) if hits else {"findings": []}
