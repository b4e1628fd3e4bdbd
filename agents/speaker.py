"""The generator: writes the next turn of the dialogue in the voice of the current persona."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from agents.base import Role, register
from agents.checks import is_repeat
from agents.context import RunContext, facts_of, numbered, private_facts_of, task_of
from agents.state import SampleState, Turn


def persona_name(state: SampleState, speaker: str) -> str:
    """The persona's name for a speaker, or the speaker label when the persona has none."""
    return str(state["personas"].get(speaker, {}).get("name") or speaker)


def system_prompt(state: SampleState, ctx: RunContext, speaker: str) -> str:
    """What a speaker knows: the task, the facts, the conditions, exemplars, then its persona.

    Shared text comes first and the speaker's own text last, so local models can reuse the
    evaluated prefix across speakers and samples (llama.cpp keeps the longest common prefix).
    """
    persona = state["personas"][speaker]
    lines = [f"Situation: {task_of(state, ctx)}"]
    if ctx.output_format:
        lines.append(f"Format: {ctx.output_format}")
    if facts := facts_of(state, ctx):
        lines.append(
            "Facts (never contradict them, never invent numbers, dates or names):\n"
            + numbered(facts)
        )
    if state.get("conditions"):
        lines.append(
            "Conditions: " + "; ".join(f"{k}: {v}" for k, v in state["conditions"].items())
        )
    for example in state.get("exemplars") or []:
        shown = "\n".join(f"{t['speaker']}: {t['text']}" for t in example)
        lines.append(f"Example of the style wanted:\n{shown}")
    others = [f"{persona_name(state, s)} (the {s})" for s in state["speakers"] if s != speaker]
    lines.append(
        f"\nYou are {persona['name']}, the {persona.get('role') or speaker}, talking with {', '.join(others)}."
    )
    for key, label in (("traits", "Traits"), ("goals", "Your goals")):
        if persona.get(key):
            lines.append(f"{label}: " + "; ".join(map(str, persona[key])) + ".")
    for key, label in (("background", "Background"), ("speaking_style", "How you talk")):
        if persona.get(key):
            lines.append(f"{label}: {persona[key]}")
    for key, value in (persona.get("attributes") or {}).items():
        lines.append(f"{key}: {value}")
    private = private_facts_of(state, ctx).get(speaker)
    if private:
        lines.append("Only you know: " + " ".join(private))
    lines.append(
        f"Reply with only {persona['name']}'s next line, in character, at most {ctx.max_words} words. "
        "Never write lines for anyone else."
    )
    return "\n".join(lines)


OPENING_CUE = "Start the conversation now with"
CONTINUE_CUE = "Go on."
NUDGE_CUE = "Say something new that moves the conversation on."


def is_cue(message: BaseMessage) -> bool:
    """True for the prompts the speaker adds that are not turns of the dialogue."""
    text = str(message.content)
    return message.type == "human" and (
        text.startswith(OPENING_CUE) or text in {CONTINUE_CUE, NUDGE_CUE}
    )


def speaker_messages(state: SampleState, ctx: RunContext, speaker: str) -> list[BaseMessage]:
    """The dialogue from the speaker's point of view: its own turns are 'assistant'."""
    messages: list[BaseMessage] = [SystemMessage(content=system_prompt(state, ctx, speaker))]
    for turn in state.get("turns") or []:
        if turn["speaker"] == speaker:
            messages.append(AIMessage(content=turn["text"]))
        else:
            messages.append(HumanMessage(content=turn["text"]))
    # Cues are plain sentences: small models imitate a parenthesised cue with stage directions.
    if not state.get("turns"):
        messages.append(
            HumanMessage(content=f"{OPENING_CUE} {persona_name(state, speaker)}'s first message.")
        )
    elif isinstance(messages[-1], AIMessage):
        messages.append(HumanMessage(content=CONTINUE_CUE))
    return messages


_STAGE_DIRECTION = re.compile(r"^\s*(?:\([^)]*\)\s*|\*[^*]*\*\s*)+")
_TRANSCRIPT_PREFIX = re.compile(r"^\s*\[\d+\]\s*[\w-]+(?:\s*\([^)]*\))?\s*:\s*")


def clean_turn(text: str, state: SampleState, speaker: str, max_words: int) -> str:
    """Trim what models add around a turn: own-name prefixes, other speakers' lines, overruns.

    Models echo the transcript format ('[2] agent (Sam): ...'); a leading echo is dropped and
    a later one ends the turn, as does any line labelled with another speaker's name.
    """
    text = _STAGE_DIRECTION.sub("", _TRANSCRIPT_PREFIX.sub("", text.strip()))
    text = re.split(r"\s*\[\d+\]\s*[\w-]+\s*(?:\([^)]*\))?\s*:", text, maxsplit=1)[0]
    labels = {s.lower() for s in state["speakers"]} | {
        persona_name(state, s).lower() for s in state["speakers"]
    }
    labels |= {persona_name(state, s).split()[0].lower() for s in state["speakers"]}
    text = text.strip().strip('"').strip()
    own = {
        speaker.lower(),
        persona_name(state, speaker).lower(),
        persona_name(state, speaker).split()[0].lower(),
    }
    first, sep, rest = text.partition(":")
    if sep and first.strip().lower() in own:
        text = rest.strip()
    kept = []
    for line in text.splitlines():
        label = line.split(":", 1)[0].strip().lower() if ":" in line else ""
        if label in labels:
            break  # the model started writing someone else's line
        kept.append(line)
    text = " ".join(x.strip() for x in kept if x.strip())
    if text.rstrip(",.:;!? ").lower() in labels:
        return ""  # only a name: nothing was said
    words = text.split()
    if len(words) > max_words:
        cut = " ".join(words[:max_words])
        end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
        text = cut[: end + 1] if end > len(cut) // 2 else cut
    return text.strip()


def next_in_order(speakers: list[str], current: str) -> str:
    """Round robin: the speaker after `current`."""
    return speakers[(speakers.index(current) + 1) % len(speakers)]


def stop_reason_after(state: SampleState, ctx: RunContext, turns: list[Turn]) -> str | None:
    """Why the dialogue should end after these turns, or None to go on."""
    last = turns[-1]["text"]
    if len(turns) >= state["min_turns"]:
        lowered = last.lower()
        if any(phrase.lower() in lowered for phrase in ctx.stop_phrases):
            return "stop_phrase"
    if len(turns) >= state["min_turns"] and is_repeat(last, [t["text"] for t in turns[:-1]]):
        return "repetition"  # before min_turns a repeat is kept: the checks flag it for revision
    if len(turns) >= state["max_turns"]:
        return "max_turns"
    return None


@register
class Speaker(Role):
    """Writes one turn as the persona whose turn it is."""

    name: ClassVar[str] = "speaker"
    description: ClassVar[str] = (
        "The generator: writes the next turn in the voice of the current persona, seeing the task, "
        "grounding facts, its persona, the conditions and the dialogue so far."
    )
    resamples: ClassVar[int] = 2  # extra draws when a turn comes out empty or repeated

    places: ClassVar[tuple[str, ...]] = ("player",)

    def messages(self, state: SampleState, ctx: RunContext, speaker: str) -> list[BaseMessage]:
        """The prompt for `speaker`'s next turn; subclasses add to it (see UserSimulator)."""
        return speaker_messages(state, ctx, speaker)

    async def __call__(self, state: SampleState, ctx: RunContext) -> dict[str, Any]:
        speaker = state["next_speaker"]
        # roles that speak (e.g. user_simulator) use the speaker's model unless given their own
        model = ctx.models.get(self.name) or ctx.model_for("speaker")
        messages = self.messages(state, ctx, speaker)
        earlier = [t["text"] for t in state.get("turns") or []]
        for _attempt in range(self.resamples + 1):
            reply = await model.ainvoke(messages)
            text = clean_turn(str(reply.text), state, speaker, ctx.max_words)
            if text and not is_repeat(text, earlier):
                break
            # Small models loop; asking again with a nudge changes the prompt, hence the draw.
            messages = [*messages, HumanMessage(content=NUDGE_CUE)]
        turns = [*state.get("turns", []), Turn(speaker=speaker, text=text)]
        return {
            "turns": turns,
            "next_speaker": next_in_order(state["speakers"], speaker),
            "stop_reason": stop_reason_after(state, ctx, turns),
        }
