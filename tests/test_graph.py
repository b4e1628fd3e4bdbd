"""The sample graph's shape, its routers as plain functions, and one node through the compiled graph."""

from __future__ import annotations

from agents.context import RunContext
from graphs import build_sample_graph, route_turn, route_verdict
from rolegraph.curate.plan import initial_state, plan_sample
from rolegraph.run.runner import build_context
from tests.conftest import scripted_models


def test_graph_has_the_roles_and_edges():
    graph = build_sample_graph().compile().get_graph()
    assert set(graph.nodes) == {
        "__start__",
        "plan",
        "speaker",
        "critic",
        "reviser",
        "accept",
        "reject",
        "__end__",
    }
    edges = {(e.source, e.target) for e in graph.edges}
    assert {
        ("speaker", "speaker"),
        ("speaker", "critic"),
        ("critic", "accept"),
        ("critic", "reviser"),
        ("critic", "reject"),
        ("reviser", "critic"),
    } <= edges


def test_route_turn():
    state = {"turns": [{"speaker": "a", "text": "x"}] * 3, "max_turns": 4, "stop_reason": None}
    assert route_turn(state) == "speaker"
    assert route_turn({**state, "stop_reason": "stop_phrase"}) == "critic"
    assert route_turn({**state, "turns": state["turns"] * 2}) == "critic"


def test_route_verdict():
    base = {"max_revisions": 2, "revisions": 0}
    assert route_verdict({**base, "verdict": {"decision": "accept"}}) == "accept"
    assert route_verdict({**base, "verdict": {"decision": "revise"}}) == "reviser"
    assert route_verdict({**base, "revisions": 2, "verdict": {"decision": "revise"}}) == "reject"
    assert route_verdict({**base, "verdict": {"decision": "reject"}}) == "reject"


async def test_critic_node_through_the_compiled_graph(outage):
    """One node, called as LangGraph calls it, with a runtime context."""
    from langgraph.runtime import Runtime

    ctx: RunContext = build_context(outage, scripted_models())
    state = initial_state(outage, plan_sample(outage, 0, 7))
    state["turns"] = [
        {"speaker": "customer", "text": "Do I get a credit?"},
        {"speaker": "agent", "text": "Affected customers get a credit of $25 on their next bill."},
    ]
    node = build_sample_graph().compile().nodes["critic"]
    config = {"configurable": {"__pregel_runtime": Runtime(context=ctx)}}
    update = await node.ainvoke(state, config=config)
    verdict = update["verdict"]
    assert verdict["model_decision"] == "accept"  # the scripted critic approves everything...
    assert verdict["decision"] == "revise"  # ...but the $25 contradiction blocks acceptance
    assert [c["check"] for c in verdict["checks"]] == ["contradicted_money"]
    assert verdict["flagged_turns"] == [1]
    assert update["usage"]["critic"]["calls"] == 1
