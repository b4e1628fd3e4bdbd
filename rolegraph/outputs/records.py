"""What a finished sample becomes on disk: OpenAI chat `messages` plus its provenance."""

from __future__ import annotations

from typing import Any

from agents.context import RunContext
from agents.speaker import system_prompt
from agents.state import SampleState

# the JSONL file each final status is appended to, next to the run store
STATUS_FILES = {
    "accepted": "accepted.jsonl",
    "rejected": "rejected.jsonl",
    "failed": "failed.jsonl",
}


def to_messages(state: SampleState, ctx: RunContext) -> list[dict[str, str]]:
    """OpenAI chat format: the trained speaker's system prompt, then its turns as `assistant`.

    Every other speaker is `user`; with three or more speakers each message also carries
    the speaker's `name`, so multi-party dialogues stay unambiguous.
    """
    messages = [{"role": "system", "content": system_prompt(state, ctx, ctx.assistant)}]
    named = len(state["speakers"]) > 2
    for turn in state.get("turns") or []:
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
        "personas": state["personas"],
        "conditions": state.get("conditions") or {},
        "verdict": state.get("verdict"),
        "revisions": state.get("revisions", 0),
        "turns": len(state.get("turns") or []),
        "stop_reason": state.get("stop_reason"),
        "usage": state.get("usage") or {},
    }
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
