"""The review part of the sample graph alone: a finished dialogue in, a decision out.

`rolegraph judge` runs it over dialogues that already exist. It is the sample graph without
the speaker and the reviser: the review nodes before the critic (checkers), the critic, and
the gates after an accepting critic, wired exactly as the scenario's `GraphSpec` says. A
verdict other than accept ends in `reject` (nothing is revised: the dialogue is judged as
it is), and a human-review band is not used (judge decides; people review runs).
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph

from agents.base import resolve_role
from agents.context import RunContext
from agents.state import SampleState
from graphs.builder import (
    GraphSpec,
    WiringError,
    _follow,
    accept_node,
    check_wiring,
    make_role,
    next_router,
    reject_node,
    role_node,
)


def start_node(state: SampleState) -> dict[str, Any]:
    """A dialogue to judge: the turns are given, the bookkeeping starts fresh."""
    return {
        "stop_reason": state.get("stop_reason") or "given",
        "verdict": None,
        "status": "running",
        "error": None,
        "revisions": 0,
    }


def route_judged(state: SampleState) -> str:
    """After the critic: accept, or reject (a judged dialogue is never revised)."""
    return "accept" if (state.get("verdict") or {}).get("decision") == "accept" else "reject"


def build_review_graph(spec: GraphSpec | None = None) -> StateGraph:
    """The uncompiled review graph of `spec`; WiringError if `spec` is unsound."""
    spec = spec or GraphSpec()
    if problems := check_wiring(spec):
        raise WiringError(problems)
    graph = StateGraph(SampleState, context_schema=RunContext)
    graph.add_node("plan", start_node)
    graph.add_node("critic", role_node(resolve_role(spec.critic)()), retry_policy=spec.retry)
    graph.add_node("accept", accept_node)
    graph.add_node("reject", reject_node)
    nexts = {n.name: n.next for n in spec.nodes}
    used = {*_follow(spec.entry, nexts)[0], *_follow(spec.on_accept, nexts)[0]}
    for node in spec.nodes:
        if node.name not in used:
            continue  # only on the reviser's path: a judged dialogue is never revised
        role = make_role(node.role, node.options, place="review")
        graph.add_node(node.name, role_node(role), retry_policy=spec.retry)
        graph.add_conditional_edges(
            node.name, next_router(node.next), {node.next: node.next, "reject": "reject"}
        )
    graph.add_edge(START, "plan")
    graph.add_edge("plan", spec.entry)
    graph.add_conditional_edges(
        "critic", route_judged, {"accept": spec.on_accept, "reject": "reject"}
    )
    graph.add_edge("accept", END)
    graph.add_edge("reject", END)
    return graph
