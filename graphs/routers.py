"""Routers: pure functions from sample state to the name of the next node."""

from __future__ import annotations

from typing import Literal

from agents.state import SampleState


def route_turn(state: SampleState) -> Literal["speaker", "critic"]:
    """After a turn: another turn, or hand the finished dialogue to the critic."""
    turns = state.get("turns") or []
    if state.get("stop_reason") or len(turns) >= state["max_turns"]:
        return "critic"
    return "speaker"


def route_verdict(state: SampleState) -> Literal["accept", "reviser", "reject"]:
    """After the critic: accept, send to the reviser while budget is left, or reject."""
    decision = (state.get("verdict") or {}).get("decision")
    if decision == "accept":
        return "accept"
    if decision == "revise" and state.get("revisions", 0) < state["max_revisions"]:
        return "reviser"
    return "reject"
