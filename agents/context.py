"""The run-wide context every role receives (settings and chat models), and the accessors of the
sample's own grounding (`facts_of`, ...), which come from the sample state when it has them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:  # keep `rolegraph validate` fast: no LangChain import just for a type
    from langchain_core.language_models import BaseChatModel

    from agents.tools import ToolBox


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
    tools: ToolBox | None = None  # declared tools, their tables and bounds (None: no tools)
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


# -- the sample's grounding: its own record's facts when it has them, else the run's ----------
def facts_of(state: Mapping[str, Any], ctx: RunContext) -> list[str]:
    """The shared grounding facts of this sample (a seed record's), falling back to the run's."""
    facts = state.get("facts")
    return list(ctx.facts) if facts is None else list(facts)


def private_facts_of(state: Mapping[str, Any], ctx: RunContext) -> Mapping[str, list[str]]:
    """Speaker -> facts only that speaker is told, for this sample."""
    private = state.get("private_facts")
    return ctx.private_facts if private is None else private


def all_facts_of(state: Mapping[str, Any], ctx: RunContext) -> list[str]:
    """Every fact the dialogue is judged against: shared, then each speaker's private ones."""
    return [*facts_of(state, ctx), *(f for fs in private_facts_of(state, ctx).values() for f in fs)]


def record_of(state: Mapping[str, Any]) -> dict[str, Any] | None:
    """The sample's seed record (its columns), or None for a run without a seed."""
    seed = state.get("seed_record")
    if seed is not None:
        return dict(seed.get("values") or {})
    return state.get("record")


def task_of(state: Mapping[str, Any], ctx: RunContext) -> str:
    """The task text of this sample (a template over its seed record), else the run's."""
    return state.get("task") or ctx.task


def numbered(facts: list[str]) -> str:
    """Facts as a numbered list for prompts."""
    return "\n".join(f"{i}. {fact}" for i, fact in enumerate(facts, 1))
