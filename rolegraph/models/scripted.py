"""A deterministic chat model for tests and dry runs: its words come from a script function.

A script is `script(role, messages) -> str | dict | BaseModel`: the role that is asking
and the messages it sends. Dicts and models are returned as JSON, which is what the
critic's structured output expects. Raising inside a script simulates a failing call.
Without a script, `default_script` writes plausible, fact-faithful turns and accepts them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import BaseModel

from agents.speaker import is_cue
from rolegraph.models.chatmodel import LeanChatModel

Script = Callable[[str, Sequence[BaseMessage]], "str | dict[str, Any] | BaseModel"]

_YOU_ARE = re.compile(r"You are ([^,\n]+), the ([^,\n]+)")
_FACT_LINE = re.compile(r"^\d+\. (.+)$", re.M)
_TEMPLATES = [
    "{fact}",
    "Just to be clear: {fact}",
    "As I understand it, {fact_lc}",
    "Right, and {fact_lc}",
    "Let me repeat the key point: {fact}",
]


def default_script(role: str, messages: Sequence[BaseMessage]) -> str | dict[str, Any]:
    """Faithful placeholder turns for speakers and revisers; an accepting verdict for critics."""
    system = next((str(m.content) for m in messages if isinstance(m, SystemMessage)), "")
    if role == "critic":
        prompt = "\n".join(str(m.content) for m in messages)
        if "Criterion to judge: " in prompt:  # critic.mode: per_criterion
            return {
                "rationale": "Faithful and in role.",
                "evidence": [],
                "flagged_turns": [],
                "score": 4,
            }
        rubric = prompt.split("Rubric:\n", 1)[-1].split("\n\n", 1)[0]  # our critic prompt's layout
        criteria = re.findall(r"^- ([a-z][a-z0-9_]*): ", rubric, re.M)
        return {
            "rationale": "The dialogue states only the grounding facts and each speaker stays in role.",
            "scores": dict.fromkeys(criteria, 4),
            "evidence": [],
            "flagged_turns": [],
            "overall": 4,
            "decision": "accept",
        }
    facts = _FACT_LINE.findall(system) or ["I have nothing to add."]
    said = sum(1 for m in messages if m.type in ("ai", "human") and not is_cue(m))
    fact = facts[said % len(facts)]
    template = _TEMPLATES[(said // len(facts)) % len(_TEMPLATES)]
    who = _YOU_ARE.search(system)
    opener = f"{who.group(1).split()[0]} speaking. " if who and said <= 1 else ""
    return opener + template.format(fact=fact, fact_lc=fact[:1].lower() + fact[1:])


class ScriptedChatModel(LeanChatModel):
    """A LangChain chat model whose replies are computed by `script(role, messages)`."""

    role: str = "default"
    script: Script | None = None
    tokens_per_word: float = 1.3

    @property
    def _llm_type(self) -> str:
        return "rolegraph-scripted"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        out = (self.script or default_script)(self.role, messages)
        if isinstance(out, BaseModel):
            text = out.model_dump_json()
        elif isinstance(out, dict | list):
            text = json.dumps(out)
        else:
            text = str(out)
        prompt_words = sum(len(str(m.content).split()) for m in messages)
        usage = {
            "input_tokens": int(prompt_words * self.tokens_per_word),
            "output_tokens": int(len(text.split()) * self.tokens_per_word),
        }
        usage["total_tokens"] = usage["input_tokens"] + usage["output_tokens"]
        message = AIMessage(content=text, usage_metadata=usage)  # type: ignore[arg-type]
        return ChatResult(generations=[ChatGeneration(message=message)])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._generate(messages, stop, run_manager, **kwargs)  # no thread: it is instant
