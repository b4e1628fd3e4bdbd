"""The sample graph: plan → speaker turns → critic → accept, or reviser → critic, or reject.

`build_sample_graph` returns an uncompiled StateGraph; the caller compiles it with the
checkpointer it wants. Run-wide settings arrive through `Runtime[RunContext]`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import RetryPolicy

from agents.base import Role, resolve_role
from agents.context import RunContext
from agents.errors import is_transport_error
from agents.state import SampleState
from agents.usage import metered
from graphs.routers import route_turn, route_verdict


@dataclass(frozen=True)
class GraphSpec:
    """Which role plays each part of the sample graph (by registry name or dotted path)."""

    speaker: str = "speaker"
    critic: str = "critic"
    reviser: str = "reviser"
    retry: RetryPolicy = field(
        default_factory=lambda: RetryPolicy(
            max_attempts=4,
            initial_interval=0.5,
            backoff_factor=2.0,
            max_interval=30.0,
            jitter=True,
            retry_on=is_transport_error,
        )
    )


def plan_node(state: SampleState) -> dict[str, Any]:
    """Start a sample: fill the bookkeeping fields the roles rely on."""
    return {
        "turns": state.get("turns") or [],
        "next_speaker": state.get("next_speaker") or state["speakers"][0],
        "stop_reason": None,
        "revisions": state.get("revisions", 0),
        "verdict": None,
        "status": "running",
        "error": None,
    }


def accept_node(state: SampleState) -> dict[str, Any]:
    """The critic passed the dialogue."""
    return {"status": "accepted"}


def reject_node(state: SampleState) -> dict[str, Any]:
    """The dialogue failed the critic and the revision budget is spent."""
    return {"status": "rejected"}


def role_node(role: Role):
    """Wrap a role as a graph node that also records the role's token usage."""

    async def node(state: SampleState, runtime: Runtime[RunContext]) -> dict[str, Any]:
        with metered() as usage:
            update = await role(state, runtime.context)
        if usage:
            update = {**update, "usage": {role.name: usage}}
        return update

    node.__name__ = f"{role.name}_node"
    node.__doc__ = role.description
    return node


def build_sample_graph(spec: GraphSpec | None = None) -> StateGraph:
    """The uncompiled LangGraph for one sample."""
    spec = spec or GraphSpec()
    speaker, critic, reviser = (
        resolve_role(r)() for r in (spec.speaker, spec.critic, spec.reviser)
    )
    graph = StateGraph(SampleState, context_schema=RunContext)
    graph.add_node("plan", plan_node)
    graph.add_node("speaker", role_node(speaker), retry_policy=spec.retry)
    graph.add_node("critic", role_node(critic), retry_policy=spec.retry)
    graph.add_node("reviser", role_node(reviser), retry_policy=spec.retry)
    graph.add_node("accept", accept_node)
    graph.add_node("reject", reject_node)
    graph.add_edge(START, "plan")
    graph.add_edge("plan", "speaker")
    graph.add_conditional_edges("speaker", route_turn, {"speaker": "speaker", "critic": "critic"})
    graph.add_conditional_edges(
        "critic", route_verdict, {"accept": "accept", "reviser": "reviser", "reject": "reject"}
    )
    graph.add_edge("reviser", "critic")
    graph.add_edge("accept", END)
    graph.add_edge("reject", END)
    return graph


def recursion_limit(max_turns: int, max_revisions: int) -> int:
    """A backstop above the longest legal path, so counters, not the limit, end loops."""
    return 2 * (3 + max_turns + 2 * (max_revisions + 1)) + 10
