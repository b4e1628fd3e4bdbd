"""The run-wide context every role receives: settings and chat models, never per-sample data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:  # keep `rolegraph validate` fast: no LangChain import just for a type
    from langchain_core.language_models import BaseChatModel


class Criterion(BaseModel):
    """One named rubric criterion the critic scores from 1 to 5."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Identifier, e.g. 'faithfulness'.")
    description: str = Field(min_length=1)
    weight: float = Field(default=1.0, gt=0)


@dataclass(frozen=True)
class RunContext:
    """Run-scoped dependencies, handed to nodes through LangGraph's `Runtime[RunContext]`."""

    task: str
    facts: list[str]
    rubric: list[Criterion]
    models: Mapping[str, BaseChatModel]  # role name -> model; "default" for the rest
    output_format: str = ""
    threshold: float = 3.5
    stop_phrases: list[str] = field(default_factory=list)
    max_words: int = 80
    assistant: str = ""  # the speaker whose turns are the training target
    structured_retries: int = 2
    private_facts: Mapping[str, list[str]] = field(
        default_factory=dict
    )  # speaker -> facts only it sees
    temperature: float | None = None
    critic_mode: str = "single"  # "single" call for the rubric, or "per_criterion"
    critic_scoring: str = "stated"  # "stated" scores, or "geval" (weighted by log-probabilities)

    def model_for(self, role: str) -> BaseChatModel:
        """The chat model configured for `role`, falling back to the default."""
        model = self.models.get(role) or self.models.get("default")
        if model is None:
            raise KeyError(f"no model configured for role '{role}' and no default model")
        return model

    def facts_text(self) -> str:
        """The grounding facts as a numbered list for prompts."""
        return "\n".join(f"{i}. {fact}" for i, fact in enumerate(self.facts, 1))
