"""A deterministic chat model for tests and dry runs: its words come from a script function.

A script is `script(role, messages) -> str | dict | BaseModel | AIMessage`: the role that
is asking and the messages it sends. Dicts and models are returned as JSON, which is what
the critic's structured output expects; an AIMessage is returned as it is (a test scripts
tool calls that way). Raising inside a script simulates a failing call. Without a script,
`default_script` writes plausible, fact-faithful turns (the customer's side asks after a
fact, the other side states one) and accepts them, and when tools
are bound (`bind_tools`) calls them by `rolegraph.models.tool_script`'s policy.
`native_tools=False` makes a model without tool calling (the JSON fallback path).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, SystemMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import BaseModel

from agents.roles import served
from agents.speaker import is_cue
from rolegraph.models.chatmodel import LeanChatModel, NativeTools
from rolegraph.models.tool_script import next_tool_call

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

_QUESTIONS = [
    "Could you confirm that {fact_lc}?",
    "Is it right that {fact_lc}?",
    "Just checking, {fact_lc}?",
    "So {fact_lc}, correct?",
    "Can you tell me again whether {fact_lc}?",
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
    said = sum(  # a tool call is not a turn: the rotation stays that of a dialogue without tools
        1
        for m in messages
        if m.type in ("ai", "human") and not is_cue(m) and not getattr(m, "tool_calls", None)
    )
    fact = facts[said % len(facts)]
    template = _TEMPLATES[(said // len(facts)) % len(_TEMPLATES)]
    who = _YOU_ARE.search(system)
    opener = f"{who.group(1).split()[0]} speaking. " if who and said <= 1 else ""
    if who and served(who.group(2)):  # the customer asks after the facts; the staff state them
        asked = _QUESTIONS[said % len(_QUESTIONS)]
        return opener + asked.format(fact_lc=fact[:1].lower() + fact[1:].rstrip("."))
    return opener + template.format(fact=fact, fact_lc=fact[:1].lower() + fact[1:])


class ScriptedChatModel(NativeTools, LeanChatModel):
    """A LangChain chat model whose replies are computed by `script(role, messages)`."""

    role: str = "default"
    script: Script | None = None
    tokens_per_word: float = 1.3
    native_tools: bool = True  # False: no bind_tools, as for models without tool calling

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
        tools = kwargs.get("tools")
        call = next_tool_call(tools, wire(messages)) if tools and self.script is None else None
        if call is not None:
            n = sum(len(m.tool_calls) for m in messages if isinstance(m, AIMessage)) + 1
            out: Any = AIMessage(
                content="",
                tool_calls=[{"id": f"call_{n}", "name": call["name"], "args": call["arguments"]}],
            )
        else:
            out = (self.script or default_script)(self.role, messages)
        if isinstance(out, AIMessage):
            text = str(out.content)
        elif isinstance(out, BaseModel):
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
        if isinstance(out, AIMessage):
            message = out.model_copy(update={"usage_metadata": usage})
            return ChatResult(generations=[ChatGeneration(message=message)])
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

    def tool_calling_refused(self) -> str | None:
        """`native_tools=False` plays a model without tool calling: `bind_tools` raises."""
        return None if self.native_tools else "this scripted model plays one without tool calling"


def wire(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    """LangChain messages as OpenAI wire dicts (what the tool-calling policy reads)."""
    roles = {"system": "system", "human": "user", "ai": "assistant", "tool": "tool"}
    out = []
    for m in messages:
        item: dict[str, Any] = {"role": roles.get(m.type, m.type), "content": str(m.content)}
        if isinstance(m, AIMessage) and m.tool_calls:
            item["tool_calls"] = [
                {
                    "id": c.get("id"),
                    "type": "function",
                    "function": {"name": c["name"], "arguments": json.dumps(c["args"])},
                }
                for c in m.tool_calls
            ]
        if isinstance(m, ToolMessage):
            item["tool_call_id"] = m.tool_call_id
        out.append(item)
    return out
