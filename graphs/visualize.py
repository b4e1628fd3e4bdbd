"""The sample graph as a picture: compiled LangGraph → labelled networkx DiGraph → a format.

`agent_graph` reads the topology from the compiled graph (`get_graph()`), so what is drawn is
what runs; the edge labels and conditions mirror `graphs.routers`. Every format is rendered
offline: Mermaid, a text tree, Graphviz DOT and GraphML (`graphs.textformats`), SVG and a
self-contained HTML page in pure Python, PNG with matplotlib (the `viz` extra;
`graphs.picture`). Nothing is sent to a web service (LangGraph's `draw_mermaid_png` would).
This module reads the graph and picks the format.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import networkx as nx

from agents.errors import UsageError
from graphs.builder import GraphSpec, build_sample_graph
from graphs.picture import PAGE_CSS, graph_section, layout, to_html, to_png, to_svg
from graphs.textformats import to_ascii, to_dot, to_graphml, to_mermaid

__all__ = [  # the drawing functions live in graphs.textformats and graphs.picture
    "FORMATS",
    "PAGE_CSS",
    "GraphNotes",
    "agent_graph",
    "graph_section",
    "layout",
    "render",
    "sample_graph",
    "to_ascii",
    "to_dot",
    "to_graphml",
    "to_html",
    "to_mermaid",
    "to_png",
    "to_svg",
]

FORMATS = ("mermaid", "ascii", "dot", "png", "svg", "html", "graphml")


@dataclass(frozen=True)
class GraphNotes:
    """What the scenario says about the graph, for labels; the runtime fills it in."""

    title: str = "sample graph"
    speakers: tuple[str, ...] = ()
    opener: str | None = None
    min_turns: int | None = None
    max_turns: int | None = None
    stop_phrases: tuple[str, ...] = ()
    threshold: float | None = None
    max_revisions: int | None = None


# (source, router branch) -> (label, condition), saying in words what graphs.routers decide;
# {fields} are filled from GraphNotes, or stay named (e.g. "max_turns") when unknown.
EDGE_TEXT = {
    ("plan", "speaker"): ("first turn", "the opener ({opener}) speaks first"),
    ("speaker", "speaker"): (
        "next turn",
        "fewer than {max_turns} turns, no stop phrase{phrases} and no repetition loop",
    ),
    ("speaker", "critic"): (
        "done: max turns / stop phrase / repetition",
        "{max_turns} turns reached, or after {min_turns} turns a stop phrase{phrases} or a "
        "repeated turn",
    ),
    ("critic", "accept"): ("accept", "weighted score >= {threshold} and no check fired"),
    ("critic", "reviser"): (
        "revise (budget left)",
        "decision revise and fewer than {max_revisions} revisions so far",
    ),
    ("critic", "reject"): (
        "reject",
        "decision reject, or revise with the budget of {max_revisions} revisions spent",
    ),
    ("critic", "human_review"): (
        "borderline: a person decides",
        "overall score inside critic.review_band; the sample pauses until `rolegraph review`",
    ),
    ("speaker", "tools"): ("tool calls", "the speaker's model asked for tools: one call a step"),
    ("tools", "tools"): ("next call", "another call of the same turn is pending"),
    ("tools", "speaker"): ("results", "every call ran; the same speaker goes on with the results"),
    ("human_review", "accept"): ("person accepts", "the reviewer accepted (edits applied)"),
    ("human_review", "reject"): ("person rejects", "the reviewer rejected the sample"),
}
_EDGE_ORDER = {key: i for i, key in enumerate(EDGE_TEXT)}


def _edge_text(
    source: str, target: str, branch: str, conditional: bool, n: GraphNotes
) -> tuple[str, str]:
    """The label and condition of one edge; extra roles (checkers, gates, turn routers) too."""
    if (source, branch) in EDGE_TEXT:
        values = {k: k if v is None else v for k, v in vars(n).items()}
        values["opener"] = n.opener or "first speaker"
        values["phrases"] = f" ({', '.join(n.stop_phrases)})" if n.stop_phrases else ""
        label, condition = EDGE_TEXT[source, branch]
        return label, condition.format(**values)
    if source == "reviser":
        return "re-check", f"the flagged turns were rewritten; the dialogue goes to {target}"
    if target == "speaker" and not conditional:
        return "next speaker", f"{source} chose who speaks next"
    if conditional and target == "reject":
        return "reject (refused)", f"{source} set the sample's status to rejected"
    if conditional:
        return "pass", f"{source} did not reject the sample"
    return "", ""


def _node_detail(name: str, n: GraphNotes) -> str:
    if name == "speaker" and n.speakers:
        return (" ↔ " if len(n.speakers) == 2 else ", ").join(n.speakers)
    if name == "critic" and n.threshold is not None:
        return f"accepts at {n.threshold:g}"
    if name == "tools":
        return "one call per step"
    if name == "reviser" and n.max_revisions is not None:
        return f"up to {n.max_revisions} revision{'' if n.max_revisions == 1 else 's'}"
    return ""


def _description(data: Any) -> str:
    for attr in ("afunc", "func"):
        doc = getattr(getattr(data, attr, None), "__doc__", None)
        if doc:
            return " ".join(doc.split())
    return ""


def agent_graph(compiled: Any, notes: GraphNotes | None = None) -> nx.DiGraph:
    """A compiled LangGraph as a DiGraph whose nodes and edges carry display labels."""
    notes = notes or GraphNotes()
    drawable = compiled.get_graph()
    graph = nx.DiGraph(name=notes.title)
    for node_id, node in drawable.nodes.items():
        kind = {"__start__": "start", "__end__": "end"}.get(node_id, "node")
        label = {"start": "start", "end": "end"}.get(kind, node.name)
        graph.add_node(
            node_id,
            label=label,
            kind=kind,
            detail=_node_detail(node_id, notes),
            description=_description(node.data),
        )
    edges = sorted(
        drawable.edges, key=lambda e: _EDGE_ORDER.get((e.source, str(e.data or e.target)), 99)
    )
    for edge in edges:
        branch = str(edge.data or edge.target)
        label, condition = _edge_text(edge.source, edge.target, branch, edge.conditional, notes)
        graph.add_edge(
            edge.source,
            edge.target,
            label=label,
            condition=condition,
            conditional=bool(edge.conditional),
        )
    return graph


def sample_graph(notes: GraphNotes | None = None, spec: GraphSpec | None = None) -> nx.DiGraph:
    """The labelled DiGraph of the sample graph rolegraph runs for `spec` (default: built-in)."""
    return agent_graph(build_sample_graph(spec).compile(), notes)


def render(graph: nx.DiGraph, fmt: str) -> str | bytes:
    """The graph in one of FORMATS: text for all but PNG, which is bytes."""
    renderers: dict[str, Callable[[nx.DiGraph], str | bytes]] = {
        "mermaid": to_mermaid,
        "ascii": to_ascii,
        "dot": to_dot,
        "png": to_png,
        "svg": to_svg,
        "html": to_html,
        "graphml": to_graphml,
    }
    if fmt not in renderers:
        raise UsageError(f"unknown graph format '{fmt}' (known: {', '.join(FORMATS)})")
    return renderers[fmt](graph)
