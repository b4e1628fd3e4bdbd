"""The training view: what an exported dialogue's system message says, apart from generation.

A speaker is *generated* with everything that steers it: the conditions, the style
exemplars, "Reply with only Sam's next line ...". A deployed model sees none of that, so
the data trains on a system message of its own: the scenario's `train.system` template, or
by default the trained speaker's name, role and the task.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from rolegraph.scenario.templates import FactList, render


class TrainSpec(BaseModel):
    """The scenario's `train:` section: the view of each sample that is exported for training."""

    model_config = ConfigDict(extra="forbid")

    system: str | None = Field(
        default=None,
        description="The exported system message, a template over the seed record's columns plus "
        "`facts` (the sample's facts; `{{ facts }}` gives them as numbered lines), `task`, "
        "`persona` (the trained speaker's persona) and `speaker`. Default: 'You are NAME, "
        "the ROLE.' and the task. Empty text: no system message.",
    )


def default_system(persona: Mapping[str, Any], task: str) -> str:
    """The default training system message: who the trained speaker is, and the task."""
    name, role = persona.get("name") or "the assistant", persona.get("role")
    who = f"You are {name}, the {role}." if role else f"You are {name}."
    return f"{who}\n{task}".strip()


def train_system(
    spec: TrainSpec | None,
    *,
    persona: Mapping[str, Any],
    speaker: str,
    task: str,
    facts: list[str],
    record: Mapping[str, Any] | None = None,
) -> str:
    """The training system message of one sample."""
    if spec is None or spec.system is None:
        return default_system(persona, task)
    values = {
        **(record or {}),
        "facts": FactList(facts),
        "task": task,
        "persona": dict(persona),
        "speaker": speaker,
    }
    return render(spec.system, values)
