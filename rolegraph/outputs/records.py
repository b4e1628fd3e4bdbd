"""What a finished sample becomes on disk: OpenAI chat `messages` plus its provenance.

`messages` is the *training view*: its system message is the sample's `train_system` (the
scenario's `train.system` template, or the trained speaker's name, role and the task), not
the prompt the speaker was generated with; that one is kept in `generation_prompt`.
"""

from __future__ import annotations

from typing import Any

from agents.context import RunContext, task_of
from agents.speaker import system_prompt
from agents.state import SampleState
from rolegraph.outputs.tool_records import call_messages, tool_fields
from rolegraph.scenario.trainview import default_system

# the JSONL file each final status is appended to, next to the run store
STATUS_FILES = {
    "accepted": "accepted.jsonl",
    "rejected": "rejected.jsonl",
    "failed": "failed.jsonl",
}


def training_system(state: SampleState, ctx: RunContext) -> str:
    """The exported system message: the plan's training view (or its default, for old plans)."""
    if "train_system" in state:
        return state["train_system"]
    return default_system(state["personas"].get(ctx.assistant) or {}, task_of(state, ctx))


def to_messages(state: SampleState, ctx: RunContext) -> list[dict[str, Any]]:
    """OpenAI chat format: the training system message, then the trained speaker's turns as
    `assistant`.

    Every other speaker is `user`; with three or more speakers each message also carries
    the speaker's `name`, so multi-party dialogues stay unambiguous. An empty training
    system message (`train.system: ""`) leaves the system message out. An assistant turn
    that called tools is preceded by its `tool_calls` and `tool` messages (outputs.tool_records).
    """
    system = training_system(state, ctx)
    messages = [{"role": "system", "content": system}] if system else []
    named = len(state["speakers"]) > 2
    for turn in state.get("turns") or []:
        if turn.get("calls") and turn["speaker"] == ctx.assistant:
            messages += call_messages(turn["calls"])
        message = {
            "role": "assistant" if turn["speaker"] == ctx.assistant else "user",
            "content": turn["text"],
        }
        if named:
            message["name"] = turn["speaker"]
        messages.append(message)
    return messages


def sample_record(state: SampleState, ctx: RunContext) -> dict[str, Any]:
    """One line of accepted.jsonl / rejected.jsonl."""
    record: dict[str, Any] = {
        "sample_id": state["sample_id"],
        "status": state.get("status"),
        "messages": to_messages(state, ctx),
        "generation_prompt": system_prompt(state, ctx, ctx.assistant),
        "personas": state["personas"],
        "conditions": state.get("conditions") or {},
        "verdict": state.get("verdict"),
        "revisions": state.get("revisions", 0),
        "turns": len(state.get("turns") or []),
        "stop_reason": state.get("stop_reason"),
        "usage": state.get("usage") or {},
    }
    if state.get("seed_record") is not None:
        record["seed_record"] = state["seed_record"]  # which record of the seed: {row, values}
        record["facts"] = state.get("facts") or []  # the facts this sample was judged against
    record.update(tool_fields(state, ctx))
    if state.get("review"):
        record["review"] = state["review"]  # a person's decision (rolegraph review)
    if state.get("findings"):
        record["findings"] = state["findings"]  # every extra role's results, every draft
    if state.get("status") != "accepted":
        verdict = state.get("verdict") or {}
        checks = verdict.get("checks", [])
        if verdict.get("rejected_by"):  # a gate refused it: its reasons, not the critic's
            checks = [c for c in checks if c.get("source") == verdict["rejected_by"]]
        else:  # what blocked it; unsupported values (warnings) are evidence, not reasons
            checks = [c for c in checks if c.get("severity", "error") == "error"]
        record["reasons"] = [c["message"] for c in checks] or [verdict.get("rationale", "")]
        if (state.get("review") or {}).get("decision") == "reject":
            note = state["review"]["note"]
            record["reasons"] = [f"rejected in review{': ' + note if note else ''}"]
    if state.get("status") != "accepted" or state.get("revisions"):
        record["attempts"] = state.get("attempts") or []  # drafts and verdicts: audit, DPO pairs
    return record


def failed_record(
    sample_id: str, plan: dict[str, Any], error: str, usage: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One line of failed.jsonl: a sample whose model calls failed after retries."""
    return {
        "sample_id": sample_id,
        "status": "failed",
        "error": error,
        **plan,
        "usage": usage or {},
    }
