"""The user simulator: plays a speaker with a hidden goal, then checks whether it was met.

A scenario gives a speaker a `goal` (what it wants, never said outright, and optionally
`success_when`: phrases that show the goal was met). As a player the role writes that
speaker's turns like the speaker role, with the goal added to its private instructions.
In the review pipeline (wired automatically when a speaker has a goal) it checks each goal
once the dialogue is finished: by the phrases when given, else by asking its model. The
result is a finding (`goal_met` / `goal_not_met`); a `required` goal that is not met
blocks acceptance.
"""

from __future__ import annotations

from typing import Any, ClassVar

from langchain_core.messages import BaseMessage, SystemMessage

from agents.base import register
from agents.context import RunContext
from agents.critic import transcript
from agents.speaker import Speaker, persona_name
from agents.state import SampleState, dialogue_finished


@register
class UserSimulator(Speaker):
    """A speaker that pursues a hidden goal; in review, it checks the goal was met."""

    name: ClassVar[str] = "user_simulator"
    description: ClassVar[str] = (
        "Plays a speaker (typically the user) who pursues a hidden goal without stating it, "
        "and after the dialogue checks whether the goal was met (by success phrases or its "
        "model); a required goal that is not met blocks acceptance."
    )
    places: ClassVar[tuple[str, ...]] = ("player", "review")
    prompt: ClassVar[str] = (
        "Dialogue:\n{dialogue}\n\n{name}'s goal was: {goal}\n"
        "Did {name} achieve this goal in the dialogue? Answer yes or no first, then say why "
        "in one sentence."
    )

    def messages(self, state: SampleState, ctx: RunContext, speaker: str) -> list[BaseMessage]:
        messages = super().messages(state, ctx, speaker)
        goal = (state.get("goals") or {}).get(speaker)
        if goal:
            system = str(messages[0].content)
            hidden = (
                f"Your hidden goal: {goal['description']} Pursue it turn by turn; do not say "
                "it outright and do not give up until it is met."
            )
            # before the final reply instruction, which small models follow most closely
            head, sep, tail = system.rpartition("\nReply with only")
            messages[0] = SystemMessage(content=f"{head}\n{hidden}{sep}{tail}" if sep else system)
        return messages

    async def __call__(self, state: SampleState, ctx: RunContext) -> dict[str, Any]:
        if not dialogue_finished(state):
            return await super().__call__(state, ctx)
        return {"findings": [await self.check(state, ctx, s, g) for s, g in self._goals(state)]}

    def _goals(self, state: SampleState) -> list[tuple[str, dict[str, Any]]]:
        return sorted((state.get("goals") or {}).items())

    async def check(
        self, state: SampleState, ctx: RunContext, speaker: str, goal: dict[str, Any]
    ) -> dict[str, Any]:
        """One goal's success check, as a finding."""
        text = " ".join(t["text"] for t in state.get("turns") or []).lower()
        phrases = goal.get("success_when") or []
        if goal.get("expect") and not phrases and ctx.tools is not None:
            # an expected final state decides the goal; the critic's outcome check gates it
            from agents.tool_checks import outcome_mismatches

            missed = outcome_mismatches(state, ctx.tools, goal["expect"])
            met = not missed
            evidence = "; ".join(missed) or f"final state has {goal['expect']}"
        elif phrases:
            missing = [p for p in phrases if p.lower() not in text]
            met = not missing
            evidence = f"found: {', '.join(phrases)}" if met else f"missing: {', '.join(missing)}"
        else:
            answer = await self.ask(
                ctx,
                self.render(
                    dialogue=transcript(state),
                    name=persona_name(state, speaker),
                    goal=goal["description"],
                ),
            )
            met = answer.strip().lower().lstrip("\"'*").startswith("yes")
            evidence = answer.strip()[:200]
        severity = "info" if met or not goal.get("required") else "error"
        if goal.get("expect") and not phrases and ctx.tools is not None:
            severity = "info"  # blocking is the critic's (goal_outcome_not_met, every pass)
        return self.finding(
            state,
            check="goal_met" if met else "goal_not_met",
            message=f"{speaker}'s goal {'was met' if met else 'was not met'}: "
            f"{goal['description']}",
            severity=severity,
            criterion="quality",
            status="met" if met else "not_met",
            evidence=evidence,
        )
