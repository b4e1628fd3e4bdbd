"""The reviser: rewrites only the turns the critic flagged, keeping the rest of the dialogue."""

from __future__ import annotations

from typing import Any, ClassVar

from langchain_core.messages import HumanMessage, SystemMessage

from agents.base import Role, register
from agents.context import RunContext
from agents.critic import transcript
from agents.speaker import clean_turn, persona_name, system_prompt
from agents.state import SampleState, Turn


def turns_to_revise(state: SampleState, assistant: str) -> list[int]:
    """The flagged turns; when the critic flagged none, every turn of the trained speaker."""
    verdict = state.get("verdict") or {}
    turns = state.get("turns") or []
    flagged = [i for i in verdict.get("flagged_turns", []) if 0 <= i < len(turns)]
    if flagged:
        return sorted(set(flagged))
    return [i for i, t in enumerate(turns) if t["speaker"] == assistant] or list(range(len(turns)))


def critique_for(state: SampleState, index: int) -> str:
    """What the critic said that concerns one turn."""
    verdict = state.get("verdict") or {}
    notes = [f"- {c['message']}" for c in verdict.get("checks", []) if c["turn"] == index]
    if verdict.get("rationale"):
        notes.append(f"- Reviewer's overall note: {verdict['rationale']}")
    return (
        "\n".join(notes)
        or "- The reviewer found this turn weak; make it faithful and in character."
    )


@register
class Reviser(Role):
    """Repairs the flagged turns using the critique and the grounding facts."""

    name: ClassVar[str] = "reviser"
    description: ClassVar[str] = (
        "Rewrites only the turns the critic flagged, using the critique and the grounding facts, "
        "and keeps every other turn as it was."
    )

    async def __call__(self, state: SampleState, ctx: RunContext) -> dict[str, Any]:
        model = ctx.model_for(self.name)
        turns: list[Turn] = [dict(t) for t in state.get("turns") or []]  # type: ignore[misc]
        for index in turns_to_revise(state, ctx.assistant):
            speaker = turns[index]["speaker"]
            view: SampleState = {**state, "turns": turns}  # type: ignore[typeddict-item]
            prompt = (
                f"Here is a dialogue:\n{transcript(view)}\n\n"
                f"Turn [{index}] by {persona_name(state, speaker)} has problems:\n{critique_for(state, index)}\n\n"
                f"Rewrite turn [{index}] so it fixes them, stays faithful to the facts and fits the "
                f"turns around it. Reply with only the new text of turn [{index}]."
            )
            reply = await model.ainvoke(
                [
                    SystemMessage(content=system_prompt(view, ctx, speaker)),
                    HumanMessage(content=prompt),
                ]
            )
            text = clean_turn(str(reply.text), state, speaker, ctx.max_words)
            if text:
                turns[index] = Turn(
                    **{**turns[index], "speaker": speaker, "text": text}
                )  # keeps calls
        return {"turns": turns, "revisions": state.get("revisions", 0) + 1}
