"""Tool calls in a sample's record, in the OpenAI chat format trainers read.

An assistant turn that called tools becomes, per round of calls, an assistant message with
`tool_calls` (arguments as a JSON string, as OpenAI's API and fine-tuning format have them)
followed by one `tool` message per call with its `tool_call_id`, then the turn's text as
the next assistant message. The record also carries:
- `tools`: the assistant's tools in the OpenAI `tools` format (what a chat template
  renders into the prompt);
- `tool_calls`: every call of every turn with its outcome (`status` ok / error / refused,
  `error`, `seconds`), for eval and the report;
- `environment`: what the tools changed in the sample's environment (rows per table);
- `outcome` (goals with `expect` only): per speaker, the expected state, whether the
  final environment `met` it and the `mismatches`.

Exports: `openai` adds `tools` next to `messages`; `sharegpt` turns calls into
`function_call` turns (`{"name", "arguments"}` as JSON, a list for parallel calls) and
results into `observation` turns, with `tools` as a JSON string (LLaMA-Factory's
convention); Parquet and `hf` give every message `tool_calls` and `tool_call_id` (null
when absent) so the column has one type, and `tools` as JSON text, since each tool's
parameter schema differs (TRL's tool-calling examples read `tools` as a list:
`json.loads` it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from agents.context import RunContext
from agents.state import SampleState
from agents.tool_checks import outcome_mismatches
from agents.tools import result_text


def call_messages(calls: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One turn's calls as assistant `tool_calls` messages and `tool` results, per round."""
    rounds: dict[int, list[Mapping[str, Any]]] = {}
    for call in calls:
        rounds.setdefault(int(call.get("round", 0)), []).append(call)
    out: list[dict[str, Any]] = []
    for r in sorted(rounds):
        batch = rounds[r]
        out.append(
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {
                        "id": c["id"],
                        "type": "function",
                        "function": {
                            "name": c["name"],
                            "arguments": json.dumps(c.get("arguments"), ensure_ascii=False),
                        },
                    }
                    for c in batch
                ],
            }
        )
        out += [
            {"role": "tool", "tool_call_id": c["id"], "content": result_text(c.get("result"))}
            for c in batch
        ]
    return out


def tool_fields(state: SampleState, ctx: RunContext) -> dict[str, Any]:
    """The record's `tools`, `tool_calls` and `environment` (nothing for a run without tools)."""
    if ctx.tools is None:
        return {}
    calls = [
        {"turn": i, **{k: v for k, v in c.items() if k != "round"}, "round": c.get("round", 0)}
        for i, turn in enumerate(state.get("turns") or [])
        for c in turn.get("calls") or []
    ]
    env = state.get("env") or {}
    fields: dict[str, Any] = {
        "tools": ctx.tools.openai_tools(ctx.assistant),
        "tool_calls": calls,
        "environment": {"tables": env.get("tables") or {}, "calls": env.get("calls", 0)},
    }
    outcome = {}
    for speaker, goal in sorted((state.get("goals") or {}).items()):
        if goal.get("expect"):
            missed = outcome_mismatches(state, ctx.tools, goal["expect"])
            outcome[speaker] = {"expect": goal["expect"], "met": not missed, "mismatches": missed}
    if outcome:
        fields["outcome"] = outcome
    return fields


def sharegpt_turn(conversations: list[dict[str, Any]], message: Mapping[str, Any]) -> None:
    """Add an assistant call message (`function_call`) or a tool result (`observation`)."""
    if message.get("tool_calls"):
        calls = [
            {"name": c["function"]["name"], "arguments": json.loads(c["function"]["arguments"])}
            for c in message["tool_calls"]
        ]
        value = calls[0] if len(calls) == 1 else calls
        conversations.append(
            {"from": "function_call", "value": json.dumps(value, ensure_ascii=False)}
        )
        return
    last = conversations[-1] if conversations else None
    if last is not None and last["from"] == "observation":  # parallel calls: one observation
        merged = json.loads(last["value"]) if last["value"].startswith("[") else [last["value"]]
        last["value"] = json.dumps([*merged, message["content"]], ensure_ascii=False)
        return
    conversations.append({"from": "observation", "value": message["content"]})


def table_message(message: Mapping[str, Any]) -> dict[str, Any]:
    """The tool fields of a message for Parquet / `datasets` (always present, null if unset)."""
    calls = message.get("tool_calls")
    return {
        "tool_calls": [
            {
                "id": c["id"],
                "type": "function",
                "function": {
                    "name": c["function"]["name"],
                    "arguments": c["function"]["arguments"],
                },
            }
            for c in calls
        ]
        if calls
        else None,
        "tool_call_id": message.get("tool_call_id"),
    }


def is_spoken(message: Mapping[str, Any]) -> bool:
    """True for a message that is a turn of the dialogue (not system, a call or a result)."""
    return message["role"] not in ("system", "tool") and not (
        message.get("tool_calls") and not message.get("content")
    )


def spoken_positions(messages: Sequence[Mapping[str, Any]]) -> list[int]:
    """Indexes of the messages that are turns: turn i of the dialogue is messages[result[i]]."""
    return [i for i, m in enumerate(messages) if is_spoken(m)]


def record_turns(record: Mapping[str, Any], speaker_of: Any) -> list[dict[str, Any]]:
    """A record's turns rebuilt from its messages (speaker_of(message) names the speaker),
    each with the calls it made (from `tool_calls`), for views of accepted-at-once samples."""
    calls: dict[int, list[dict[str, Any]]] = {}
    for call in record.get("tool_calls") or []:
        calls.setdefault(int(call["turn"]), []).append(call)
    turns = []
    for i, m in enumerate(m for m in record.get("messages") or [] if is_spoken(m)):
        turn: dict[str, Any] = {"speaker": speaker_of(m), "text": m["content"]}
        if i in calls:
            turn["calls"] = calls[i]
        turns.append(turn)
    return turns
