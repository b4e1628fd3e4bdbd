"""The sample graph as text: Mermaid, an ASCII tree, Graphviz DOT and GraphML.

Each takes the labelled DiGraph of `graphs.visualize.agent_graph` (node `label`, `detail`,
`description`, `kind`; edge `label`, `condition`, `conditional`) and needs nothing else.
"""

from __future__ import annotations

import html
import json
import re

import networkx as nx


def _roots(graph: nx.DiGraph) -> list[str]:
    starts = [n for n, d in graph.nodes(data=True) if d.get("kind") == "start"]
    return starts + [n for n in graph.nodes if n not in starts]


def back_edges(graph: nx.DiGraph) -> set[tuple[str, str]]:
    """Edges closing a cycle in a depth-first walk from the start: loops drawn on the side."""
    back: set[tuple[str, str]] = set()
    seen: set[str] = set()
    stack: list[str] = []

    def visit(node: str) -> None:
        seen.add(node)
        stack.append(node)
        for succ in graph.successors(node):
            if succ in stack:
                back.add((node, succ))
            elif succ not in seen:
                visit(succ)
        stack.pop()

    for root in _roots(graph):
        if root not in seen:
            visit(root)
    return back


def _mermaid_text(text: str) -> str:
    """Label text for inside Mermaid's quotes: HTML-escaped, '#' and quotes as entity codes."""
    escaped = html.escape(" ".join(str(text).split()), quote=True)  # no line breaks either
    return escaped.replace("#", "#35;").replace("&quot;", "#quot;").replace("&#x27;", "#39;")


# words Mermaid reads as syntax when used as a node id ("end" closes a subgraph)
_MERMAID_WORDS = {"end", "graph", "subgraph", "flowchart", "style", "class", "classdef"}
_MERMAID_WORDS |= {"click", "linkstyle", "direction", "default", "call", "href"}


def _mermaid_ids(graph: nx.DiGraph) -> dict[str, str]:
    """A Mermaid-safe id per node: the name when it is a plain word, else a made-up one.

    Node names come from scenario files; labels show them, ids only have to be unique and
    inert (no spaces, arrows, brackets, keywords).
    """
    ids: dict[str, str] = {}
    for i, node in enumerate(graph.nodes):
        name = str(node)
        plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) and name.lower() not in _MERMAID_WORDS
        ids[node] = name if plain else f"node_{i}"
    return ids


def to_mermaid(graph: nx.DiGraph) -> str:
    """Mermaid flowchart source; conditional edges dotted, every edge labelled."""
    title = json.dumps(" ".join(str(graph.graph.get("name", "graph")).split()))
    lines = ["---", f"title: {title}", "---", "flowchart TD"]
    ids = _mermaid_ids(graph)
    for node, data in graph.nodes(data=True):
        text = _mermaid_text(data["label"])
        if data.get("detail"):
            text += f"<br/><small>{_mermaid_text(data['detail'])}</small>"
        shape = '(["{}"])' if data["kind"] in ("start", "end") else '["{}"]'
        lines.append(f"    {ids[node]}{shape.format(text)}")
    for source, target, data in graph.edges(data=True):
        arrow = "-.->" if data["conditional"] else "-->"
        label = f'|"{_mermaid_text(data["label"])}"|' if data["label"] else ""
        lines.append(f"    {ids[source]} {arrow}{label} {ids[target]}")
    lines.append("    classDef role fill:#f2f0ff,stroke:#6b5bd2")
    roles = [ids[n] for n, d in graph.nodes(data=True) if d["kind"] == "node"]
    if roles:
        lines.append(f"    class {','.join(roles)} role")
    return "\n".join(lines) + "\n"


def to_ascii(graph: nx.DiGraph) -> str:
    """A text tree from the start: each edge with its label, loops marked, conditions listed."""

    def name(node: str) -> str:
        data = graph.nodes[node]
        shown = f"({data['label']})" if data["kind"] in ("start", "end") else data["label"]
        return shown + (f"  [{data['detail']}]" if data.get("detail") else "")

    lines = [str(graph.graph.get("name", "graph"))]
    drawn: set[str] = set()

    def walk(node: str, prefix: str, path: list[str]) -> None:
        succs = list(graph.successors(node))
        for i, succ in enumerate(succs):
            last = i == len(succs) - 1
            label = graph.edges[node, succ]["label"]
            head = f" {label} ─▶ " if label else "▶ "
            if succ in path or succ == node:
                lines.append(
                    f"{prefix}{'└─' if last else '├─'}{head}{graph.nodes[succ]['label']} ↺"
                )
                continue
            again = succ in drawn and any(True for _ in graph.successors(succ))
            lines.append(
                f"{prefix}{'└─' if last else '├─'}{head}{name(succ)}{' (see above)' if again else ''}"
            )
            if not again:
                drawn.add(succ)
                walk(succ, prefix + ("   " if last else "│  "), [*path, succ])

    for root in _roots(graph):
        if root in drawn:
            continue
        drawn.add(root)
        lines.append(name(root))
        walk(root, "", [root])
    lines += ["", "conditions:"]
    for source, target, data in graph.edges(data=True):
        if data["condition"]:
            lines.append(f"  {source} → {target}  {data['label']}: {data['condition']}")
    described = [(n, d) for n, d in graph.nodes(data=True) if d.get("description")]
    if described:
        lines += ["", "nodes:"]
        lines += [f"  {n}: {d['description']}" for n, d in described]
    return "\n".join(lines) + "\n"


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(graph: nx.DiGraph) -> str:
    """Graphviz DOT source (render with `dot -Tsvg` when Graphviz is installed)."""
    lines = [
        f"digraph {_dot_quote(str(graph.graph.get('name', 'graph')))} {{",
        "  rankdir=TB;",
        '  node [shape=box, style="rounded,filled", fillcolor="#f2f0ff", fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    for node, data in graph.nodes(data=True):
        label = data["label"] + (f"\\n{data['detail']}" if data.get("detail") else "")
        attrs = [f"label={_dot_quote(label)}".replace("\\\\n", "\\n")]
        if data["kind"] in ("start", "end"):
            attrs += ["shape=oval", 'fillcolor="#ffffff"']
        if data.get("description"):
            attrs.append(f"tooltip={_dot_quote(data['description'])}")
        lines.append(f"  {_dot_quote(node)} [{', '.join(attrs)}];")
    for source, target, data in graph.edges(data=True):
        attrs = [f"label={_dot_quote(data['label'])}"] if data["label"] else []
        if data["conditional"]:
            attrs.append("style=dashed")
        if data["condition"]:
            attrs.append(f"tooltip={_dot_quote(data['condition'])}")
        lines.append(f"  {_dot_quote(source)} -> {_dot_quote(target)} [{', '.join(attrs)}];")
    return "\n".join([*lines, "}"]) + "\n"


def to_graphml(graph: nx.DiGraph) -> str:
    """GraphML (for Gephi, yEd, Cytoscape), through networkx."""
    return "\n".join(nx.generate_graphml(graph)) + "\n"
