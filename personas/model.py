"""The persona: typed data describing one role-player."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Persona(BaseModel):
    """A role-playing character; everything a speaker needs to stay in voice."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        min_length=1, description="The character's name, as it is said in the dialogue."
    )
    role: str = Field(
        min_length=1, description="What the character is in the scene, e.g. 'customer'."
    )
    traits: list[str] = Field(default_factory=list, description="Personality traits.")
    background: str = Field(default="", description="Relevant history and situation.")
    speaking_style: str = Field(default="", description="How the character talks.")
    goals: list[str] = Field(
        default_factory=list, description="What the character wants from the conversation."
    )
    attributes: dict[str, Any] = Field(
        default_factory=dict, description="Free-form extra facts (age, plan, location, ...)."
    )

    def describe(self) -> str:
        """A compact prose description for prompts."""
        lines = [f"You are {self.name}, the {self.role}."]
        if self.traits:
            lines.append("Traits: " + ", ".join(self.traits) + ".")
        if self.background:
            lines.append("Background: " + self.background)
        if self.speaking_style:
            lines.append("Speaking style: " + self.speaking_style)
        if self.goals:
            lines.append("Goals: " + "; ".join(self.goals) + ".")
        for key, value in self.attributes.items():
            lines.append(f"{key}: {value}")
        return "\n".join(lines)

    def known_text(self) -> str:
        """Every fact this persona may legitimately mention (for the faithfulness checks)."""
        parts = [self.name, self.role, self.background, *self.traits, *self.goals]
        parts += [f"{k} {v}" for k, v in self.attributes.items()]
        return "\n".join(parts)
