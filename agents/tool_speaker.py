"""A speaker that may call tools before it speaks (the default player of a tool caller).

One turn can take several graph steps: the speaker's model asks for tools, the tool node
runs each call (one call per step, checkpointed), and the speaker is asked again with the
results, until it answers in words or its call budget is spent. The turn in progress lives
in `state["tool_step"]`; the finished turn keeps its calls in `turn["calls"]`.

Two ways to ask for tools:
- **native**: the model's `bind_tools` (OpenAI-compatible servers, LangChain providers,
  the scripted model): calls come back as `AIMessage.tool_calls`, results go back as
  `ToolMessage`s with the call's id;
- **JSON fallback** (models without tool calling, such as `local`, or a server that
  refuses `tools`): the tools are described in the system prompt and the model replies
  with `{"tool_calls": [{"name": ..., "arguments": {...}}]}`; results come back as text.
`tool_use.calling` in the scenario picks one (default `auto`: native when the model has it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, ClassVar

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from agents.base import register
from agents.checks import is_repeat
from agents.context import RunContext
from agents.speaker import NUDGE_CUE, Speaker, clean_turn, next_in_order, stop_reason_after
from agents.state import SampleState, Turn
from agents.tools import Tool, result_text

NATIVE_NOTE = (
    "You can call tools to look things up and to act. Use them instead of guessing; never "
    "invent ids, numbers or results, and tell the others only what the tools returned."
)
JSON_PROTOCOL = (
    "To call tools, reply with only a JSON object and nothing else, like this:\n"
    '{"tool_calls": [{"name": "TOOL_NAME", "arguments": {...}}]}\n'
    "The results come back to you; then write your next line as plain text."
)
_NO_NATIVE: set[int] = set()  # models whose server refused `tools`: they use the JSON fallback


def tools_prompt(tools: Sequence[Tool], native: bool) -> str:
    """What the system prompt says about tools (the JSON fallback lists them in full)."""
    if native:
        return NATIVE_NOTE
    listed = "\n".join(
        f"- {t.name}: {t.description} Arguments (JSON Schema): {json.dumps(dict(t.parameters))}"
        for t in tools
    )
    return f"{NATIVE_NOTE}\nTools:\n{listed}\n{JSON_PROTOCOL}"


def parse_json_calls(text: str) -> list[dict[str, Any]]:
    """Tool calls written as JSON text (the fallback protocol); empty when the text is prose."""
    body = text.strip()
    body = re.sub(r"^```(?:json)?\s*|\s*```$", "", body)
    if not body.startswith("{"):
        return []
    try:
        data = json.loads(body)
    except ValueError:
        return []
    if isinstance(data, dict) and isinstance(data.get("tool_calls"), list):
        items = data["tool_calls"]
    elif isinstance(data, dict) and "name" in data and "arguments" in data:
        items = [data]
    else:
        return []
    calls = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        arguments = item.get("arguments", {})
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments)
            except ValueError:
                arguments = {"__unparsed__": arguments}
        calls.append({"name": item["name"], "arguments": arguments})
    return calls


def _rounds(calls: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    rounds: dict[int, list[dict[str, Any]]] = {}
    for call in calls:
        rounds.setdefault(int(call.get("round", 0)), []).append(call)
    return [rounds[r] for r in sorted(rounds)]


def call_messages(calls: Sequence[dict[str, Any]], native: bool) -> list[BaseMessage]:
    """Calls and their results as the model saw them: per round, the ask then the answers."""
    out: list[BaseMessage] = []
    for batch in _rounds(calls):
        if native:
            out.append(
                AIMessage(
                    content="",
                    tool_calls=[
                        {"id": c["id"], "name": c["name"], "args": c.get("arguments") or {}}
                        for c in batch
                    ],
                )
            )
            out += [
                ToolMessage(content=result_text(c.get("result")), tool_call_id=c["id"])
                for c in batch
            ]
        else:
            asked = [{"name": c["name"], "arguments": c.get("arguments")} for c in batch]
            out.append(AIMessage(content=json.dumps({"tool_calls": asked})))
            results = "\n".join(
                f"- {c['name']}({json.dumps(c.get('arguments'))}) -> {result_text(c.get('result'))}"
                for c in batch
            )
            out.append(HumanMessage(content=f"Tool results:\n{results}"))
    return out


def _bound(model: Any, tools: Sequence[Tool], calling: str) -> tuple[Any, bool]:
    """(the model to ask, is it native tool calling)."""
    if calling == "json" or id(model) in _NO_NATIVE:
        return model, False
    try:
        return model.bind_tools([t.openai() for t in tools]), True
    except NotImplementedError:
        if calling == "native":
            raise
        return model, False


def _refused_tools(exc: Exception) -> bool:
    """A server's 400/404/422 that refuses the `tools` parameter (not a transport error)."""
    return getattr(exc, "status_code", None) in (400, 404, 422) and "tool" in str(exc).lower()


@register
class ToolSpeaker(Speaker):
    """Writes one turn, calling the speaker's tools first when its model asks for them."""

    name: ClassVar[str] = "tool_speaker"
    description: ClassVar[str] = (
        "A speaker that may call tools: its model asks for calls (native tool calling or a "
        "JSON fallback), the tool node runs them against the sample's environment, and it "
        "answers with the results; bounded by calls per turn and per dialogue."
    )
    places: ClassVar[tuple[str, ...]] = ("player",)

    def turn_messages(
        self, state: SampleState, ctx: RunContext, speaker: str, native: bool, offer: bool
    ) -> list[BaseMessage]:
        """The speaker's prompt: its view of the dialogue with its own earlier calls."""
        base = self.messages(state, ctx, speaker)
        system = str(base[0].content)
        tools = ctx.tools.for_speaker(speaker) if ctx.tools else []
        note = (
            tools_prompt(tools, native)
            if offer
            else ("You have used all your tool calls for now: answer with what the tools returned.")
        )
        head, sep, tail = system.rpartition("\nReply with only")
        messages: list[BaseMessage] = [
            SystemMessage(content=f"{head}\n{note}{sep}{tail}" if sep else f"{system}\n{note}")
        ]
        own = iter([t for t in state.get("turns") or [] if t["speaker"] == speaker])
        for message in base[1:]:
            if isinstance(message, AIMessage):
                turn = next(own, None)
                if turn is not None and turn.get("calls"):
                    messages += call_messages(turn["calls"], native)
            messages.append(message)
        step = state.get("tool_step") or {}
        messages += call_messages(step.get("calls") or [], native)
        return messages

    async def __call__(self, state: SampleState, ctx: RunContext) -> dict[str, Any]:
        speaker = state["next_speaker"]
        box = ctx.tools
        tools = box.for_speaker(speaker) if box else []
        if box is None or not tools:
            return await super().__call__(state, ctx)
        model = ctx.models.get(self.name) or ctx.model_for("speaker")
        step = state.get("tool_step") or {"speaker": speaker, "calls": []}
        done = list(step.get("calls") or [])
        used = int((state.get("env") or {}).get("calls", 0))
        left = min(box.max_calls_per_turn - len(done), box.max_calls_per_dialogue - used)
        if left > 0:
            asking, native = _bound(model, tools, box.calling)
            try:
                reply = await asking.ainvoke(self.turn_messages(state, ctx, speaker, native, True))
            except Exception as exc:
                if not (native and _refused_tools(exc)) or box.calling == "native":
                    raise
                _NO_NATIVE.add(id(model))  # this server has no tool calling: JSON from now on
                native = False
                reply = await model.ainvoke(self.turn_messages(state, ctx, speaker, False, True))
            calls = (
                [
                    {"id": c.get("id"), "name": c["name"], "arguments": c["args"]}
                    for c in reply.tool_calls
                ]
                if native
                else parse_json_calls(str(reply.text))
            )
            if calls:
                rnd = 1 + max((int(c.get("round", 0)) for c in done), default=-1)
                over = "over the budget of tool calls per turn or per dialogue; answer now"
                new = [
                    {
                        "id": c.get("id") or f"call_{state.get('sample_id', '')}_{used + i + 1}",
                        "name": c["name"],
                        "arguments": c["arguments"],
                        "round": rnd,
                        # calls past the budget are kept, refused, so the model and the
                        # record both see them
                        **(
                            {"status": "pending"}
                            if i < left
                            else {"status": "refused", "error": over, "result": {"error": over}}
                        ),
                    }
                    for i, c in enumerate(calls)
                ]
                return {"tool_step": {"speaker": speaker, "calls": [*done, *new]}}
            text = str(reply.text)
            messages = None
        else:
            native = id(model) not in _NO_NATIVE and box.calling != "json"
            messages = self.turn_messages(state, ctx, speaker, native, False)
            text = str((await model.ainvoke(messages)).text)
        return await self._finish(state, ctx, speaker, text, done, model, messages)

    async def _finish(
        self,
        state: SampleState,
        ctx: RunContext,
        speaker: str,
        text: str,
        calls: list[dict[str, Any]],
        model: Any,
        messages: list[BaseMessage] | None,
    ) -> dict[str, Any]:
        earlier = [t["text"] for t in state.get("turns") or []]
        cleaned = clean_turn(text, state, speaker, ctx.max_words)
        for _attempt in range(self.resamples):
            if cleaned and not is_repeat(cleaned, earlier) and not parse_json_calls(cleaned):
                break
            if messages is None:
                messages = self.turn_messages(state, ctx, speaker, False, False)
            messages = [*messages, HumanMessage(content=NUDGE_CUE)]
            cleaned = clean_turn(
                str((await model.ainvoke(messages)).text), state, speaker, ctx.max_words
            )
        turn = Turn(speaker=speaker, text=cleaned)
        if calls:
            turn["calls"] = calls
        turns = [*state.get("turns", []), turn]
        return {
            "turns": turns,
            "tool_step": None,
            "next_speaker": next_in_order(state["speakers"], speaker),
            "stop_reason": stop_reason_after(state, ctx, turns),
        }
