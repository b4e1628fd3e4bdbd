"""The director: picks who speaks next in a multi-party dialogue, from the dialogue so far.

Wired as the turn router (`graph.turns: director`), it runs after every turn that does not
end the dialogue and sets `next_speaker`. Its model is asked who should speak; when the
reply names no eligible speaker (weak models ramble), a rule decides instead: a speaker
addressed by name in the last turn answers, else whoever has been silent longest.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from agents.base import Role, register
from agents.checks import first_name
from agents.context import RunContext, task_of
from agents.critic import transcript
from agents.speaker import persona_name
from agents.state import SampleState, Turn


def _names(state: SampleState, speaker: str) -> list[str]:
    full = persona_name(state, speaker)
    return [n for n in dict.fromkeys([speaker, full, first_name(full)]) if len(n) >= 2]


def named_speaker(text: str, choices: Sequence[str], state: SampleState) -> str | None:
    """The eligible speaker named first in `text` (by label, full or first name), if any."""
    best: tuple[int, str] | None = None
    for speaker in choices:
        for name in _names(state, speaker):
            match = re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.I)
            if match and (best is None or match.start() < best[0]):
                best = (match.start(), speaker)
    return best[1] if best else None


def rule_choice(choices: Sequence[str], turns: Sequence[Turn], state: SampleState) -> str:
    """Who speaks next by rule: the one addressed in the last turn, else the longest silent."""
    if turns:
        addressed = named_speaker(turns[-1]["text"], choices, state)
        if addressed is not None:
            return addressed
    last_spoke = {
        s: max((i for i, t in enumerate(turns) if t["speaker"] == s), default=-1) for s in choices
    }
    return min(choices, key=lambda s: (last_spoke[s], choices.index(s)))


class DirectorOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    use_model: bool = Field(default=True, description="Ask the model; else only the rule.")
    allow_repeat: bool = Field(default=False, description="May a speaker speak twice in a row?")


@register
class Director(Role):
    """Chooses the next speaker from the dialogue so far."""

    name: ClassVar[str] = "director"
    description: ClassVar[str] = (
        "The turn router for three or more speakers: reads the dialogue so far and picks who "
        "speaks next (its model, with a rule as fallback: the addressed speaker, else the "
        "longest silent)."
    )
    places: ClassVar[tuple[str, ...]] = ("turns",)
    Options = DirectorOptions
    prompt: ClassVar[str] = (
        "Situation: {task}\n\nSpeakers:\n{speakers}\n\nDialogue so far:\n{dialogue}\n\n"
        "Who should speak next so the conversation goes on naturally? Choose one of: "
        "{choices}. Reply with only the name of the next speaker."
    )

    async def __call__(self, state: SampleState, ctx: RunContext) -> dict[str, Any]:
        options: DirectorOptions = self.options
        turns = state.get("turns") or []
        last = turns[-1]["speaker"] if turns else None
        choices = [s for s in state["speakers"] if options.allow_repeat or s != last]
        choices = choices or list(state["speakers"])
        pick = None
        if options.use_model and len(choices) > 1:
            speakers = "\n".join(
                f"- {s}: {persona_name(state, s)}, {state['personas'].get(s, {}).get('role') or s}"
                for s in state["speakers"]
            )
            reply = await self.ask(
                ctx,
                self.render(
                    task=task_of(state, ctx),
                    speakers=speakers,
                    dialogue=transcript(state),
                    choices=", ".join(choices),
                ),
            )
            pick = named_speaker(reply, choices, state)
        return {"next_speaker": pick or rule_choice(choices, turns, state)}
