"""The sample graph as a picture: a layered layout drawn as SVG, PNG or a self-contained page.

The layout is computed here in pure Python (layers from the start, loops on the side), so SVG
and the HTML page need no extra package; PNG draws the same layout with matplotlib (the `viz`
extra). Nothing is sent to a web service.
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import networkx as nx

from agents.errors import missing_extra
from graphs.textformats import back_edges, to_mermaid

CHAR_W = 7.0  # average width of a 12-13 px sans-serif character, for sizing boxes and labels
NODE_H = 38
LAYER_GAP = 96
MARGIN = 24


@dataclass(frozen=True)
class Box:
    """A node's rectangle, by its centre."""

    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class Curve:
    """An edge as cubic Bézier pieces (start, then two controls and an end per piece) and its label."""

    points: tuple[tuple[float, float], ...]
    label_at: tuple[float, float]
    anchor: str  # "middle" or "start"


@dataclass(frozen=True)
class Layout:
    """Where everything is drawn, in pixels, y growing downwards."""

    boxes: dict[str, Box]
    curves: dict[tuple[str, str], Curve]
    width: float
    height: float


def _text_w(text: str, size: float = 12) -> float:
    return len(text) * CHAR_W * size / 13


def _bezier(points: tuple[tuple[float, float], ...], t: float) -> tuple[float, float]:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points
    a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
    return a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3


def _segments(points: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    """Cubic pieces through `points`, leaving and entering each point vertically."""
    out = [points[0]]
    for (x0, y0), (x1, y1) in pairwise(points):
        out += [(x0, y0 + (y1 - y0) / 2), (x1, y1 - (y1 - y0) / 2), (x1, y1)]
    return tuple(out)


def layout(graph: nx.DiGraph) -> Layout:
    """A layered top-down layout (Sugiyama-style, simplified).

    Layers by longest path; an edge that skips layers runs through a placeholder in each
    layer it crosses (so it never cuts through a box); loops and back edges go on the right.
    """
    back = back_edges(graph)
    dag = nx.DiGraph((u, v) for u, v in graph.edges if (u, v) not in back and u != v)
    dag.add_nodes_from(graph.nodes)
    layer: dict[str, int] = {}
    for node in nx.topological_sort(dag):
        layer[node] = max((layer[p] + 1 for p in dag.predecessors(node)), default=0)
    chains: dict[tuple[str, str], list[str]] = {}
    ranked = nx.DiGraph()
    ranked.add_nodes_from(graph.nodes)
    for u, v in dag.edges:
        chains[u, v] = [f"\0{u}\0{v}\0{k}" for k in range(1, layer[v] - layer[u])]
        for k, dummy in enumerate(chains[u, v], 1):
            layer[dummy] = layer[u] + k
        nx.add_path(ranked, [u, *chains[u, v], v])
    label_of = {c[0]: graph.edges[e]["label"] for e, c in chains.items() if c}
    order = {n: i for i, n in enumerate(ranked.nodes)}
    boxes: dict[str, Box] = {}
    for depth in range(max(layer.values(), default=-1) + 1):
        nodes = [n for n in ranked.nodes if layer[n] == depth]
        nodes.sort(  # sources of back edges go right, where their loop is drawn
            key=lambda n: (
                any(u == n for u, _ in back),
                sum(boxes[p].x for p in ranked.predecessors(n)) / max(1, ranked.in_degree(n)),
                order[n],
            )
        )
        slots = []
        for n in nodes:
            if n not in graph:  # a placeholder: room for the line and, first in a chain, its label
                slots.append((n, 0.0, 0.0, _text_w(label_of.get(n, ""), 11) + 24))
                continue
            data = graph.nodes[n]
            w = max(_text_w(data["label"], 13), _text_w(data.get("detail", ""), 11)) + 28
            labels = [
                _text_w(graph.edges[p, n]["label"], 11)
                for p in ranked.predecessors(n)
                if p in graph
            ]
            h = NODE_H + (12 if data.get("detail") else 0)
            slots.append((n, w, h, max([w, *labels]) + 36))
        x = -sum(slot for *_, slot in slots) / 2
        for n, w, h, slot in slots:
            boxes[n] = Box(x + slot / 2, depth * LAYER_GAP, w, h)
            x += slot
    curves: dict[tuple[str, str], Curve] = {}
    for u, v in graph.edges:
        a, b = boxes[u], boxes[v]
        if u == v:
            x0 = a.x + a.w / 2
            pts = ((x0, a.y - 8), (x0 + 60, a.y - 40), (x0 + 60, a.y + 40), (x0, a.y + 8))
            curves[u, v] = Curve(pts, (x0 + 52, a.y + 4), "start")
        elif (u, v) in back:
            spanned = [
                bx.x + bx.w / 2 for n, bx in boxes.items() if layer[v] <= layer[n] <= layer[u]
            ]
            bulge = max(spanned) + 70
            pts = ((a.x + a.w / 2, a.y), (bulge, a.y), (bulge, b.y), (b.x + b.w / 2, b.y))
            mid = _bezier(pts, 0.5)
            curves[u, v] = Curve(pts, (mid[0] + 6, mid[1] + 4), "start")
        else:
            via = [(boxes[d].x, boxes[d].y) for d in chains[u, v]]
            aim = via[0][0] if via else b.x
            p0 = (a.x + max(-a.w / 3, min(a.w / 3, (aim - a.x) * 0.25)), a.y + a.h / 2)
            pts = _segments([p0, *via, (b.x, b.y - b.h / 2)])
            straight = abs(pts[-1][0] - p0[0]) < 1
            at = via[0] if via else _bezier(pts[:4], 0.5 if straight else 0.72)
            curves[u, v] = Curve(pts, (at[0], at[1] + 4), "middle")
    real = {n: b for n, b in boxes.items() if n in graph}
    xs = [x for c in curves.values() for x, _ in c.points] + [b.x - b.w / 2 for b in real.values()]
    xs += [b.x + b.w / 2 for b in real.values()]
    ys = [y for c in curves.values() for _, y in c.points] + [b.y - b.h / 2 for b in real.values()]
    ys += [b.y + b.h / 2 for b in real.values()]
    for key, c in curves.items():
        w = _text_w(graph.edges[key]["label"], 11)
        xs += [c.label_at[0] - (0 if c.anchor == "start" else w / 2), c.label_at[0] + w]
    dx, dy = MARGIN - min(xs), MARGIN - min(ys)
    return Layout(
        {n: Box(b.x + dx, b.y + dy, b.w, b.h) for n, b in real.items()},
        {
            k: Curve(
                tuple((x + dx, y + dy) for x, y in c.points),
                (c.label_at[0] + dx, c.label_at[1] + dy),
                c.anchor,
            )
            for k, c in curves.items()
        },
        max(xs) - min(xs) + 2 * MARGIN,
        max(ys) - min(ys) + 2 * MARGIN,
    )


FILLS = {"start": "#ffffff", "end": "#ffffff", "accept": "#e3f5e1", "reject": "#fde2e1"}


def _fill(node: str, data: dict[str, Any]) -> str:
    return FILLS.get(data["kind"]) or FILLS.get(node) or "#f2f0ff"


def to_svg(graph: nx.DiGraph) -> str:
    """A standalone SVG drawing (pure Python), with each condition as a hover title."""
    lay = layout(graph)
    esc = html.escape
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="agent-graph" role="img" '
        f'width="{lay.width:.0f}" height="{lay.height:.0f}" '
        f'viewBox="0 0 {lay.width:.0f} {lay.height:.0f}" font-family="sans-serif">',
        f"<title>{esc(str(graph.graph.get('name', 'graph')))}</title>",
        '<defs><marker id="rg-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#555"/></marker></defs>',
    ]
    for (u, v), curve in lay.curves.items():
        data = graph.edges[u, v]
        (x0, y0), *rest = curve.points
        path = f"M{x0:.1f},{y0:.1f} " + " ".join(
            "C" + " ".join(f"{x:.1f},{y:.1f}" for x, y in rest[i : i + 3])
            for i in range(0, len(rest), 3)
        )
        dash = ' stroke-dasharray="5 4"' if data["conditional"] else ""
        out.append(
            f'<g class="edge" data-source="{esc(u)}" data-target="{esc(v)}">'
            f"<title>{esc(u)} → {esc(v)}: {esc(data['condition'] or data['label'])}</title>"
            f'<path d="{path}" '
            f'fill="none" stroke="#555" stroke-width="1.4"{dash} marker-end="url(#rg-arrow)"/>'
        )
        if data["label"]:
            lx, ly = curve.label_at
            out.append(
                f'<text x="{lx:.1f}" y="{ly:.1f}" font-size="11" text-anchor="{curve.anchor}" '
                f'fill="#333" stroke="#fff" stroke-width="4" paint-order="stroke">'
                f"{esc(data['label'])}</text>"
            )
        out.append("</g>")
    for node, box in lay.boxes.items():
        data = graph.nodes[node]
        rx = box.h / 2 if data["kind"] in ("start", "end") else 8
        out.append(
            f'<g class="node" data-node="{esc(node)}"><title>{esc(data["description"] or node)}</title>'
            f'<rect x="{box.x - box.w / 2:.1f}" y="{box.y - box.h / 2:.1f}" width="{box.w:.1f}" '
            f'height="{box.h:.1f}" rx="{rx:.0f}" fill="{_fill(node, data)}" stroke="#6b5bd2" '
            f'stroke-width="1.4"/>'
        )
        ty = box.y + (0 if data.get("detail") else 4.5)
        out.append(
            f'<text x="{box.x:.1f}" y="{ty:.1f}" font-size="13" text-anchor="middle" '
            f'font-weight="600" fill="#222">{esc(data["label"])}</text>'
        )
        if data.get("detail"):
            out.append(
                f'<text x="{box.x:.1f}" y="{box.y + 15:.1f}" font-size="11" '
                f'text-anchor="middle" fill="#555">{esc(data["detail"])}</text>'
            )
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def to_png(graph: nx.DiGraph) -> bytes:
    """A PNG picture drawn with matplotlib from the same layout as the SVG."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
        from matplotlib.path import Path as MplPath
    except ImportError:
        raise missing_extra("matplotlib", "viz") from None
    lay = layout(graph)
    dpi = 100
    fig = Figure(figsize=(lay.width / dpi, lay.height / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, lay.width)
    ax.set_ylim(lay.height, 0)
    ax.axis("off")
    pt = 72 / dpi  # pixels to points, so text matches the SVG
    for (u, v), curve in lay.curves.items():
        data = graph.edges[u, v]
        codes = [MplPath.MOVETO] + [MplPath.CURVE4] * (len(curve.points) - 1)
        style = "--" if data["conditional"] else "-"
        arrow = {"arrowstyle": "-|>", "mutation_scale": 12, "color": "#555", "linewidth": 1.2}
        ax.add_patch(FancyArrowPatch(path=MplPath(curve.points, codes), linestyle=style, **arrow))
        if data["label"]:
            ha = "center" if curve.anchor == "middle" else "left"
            white = {"facecolor": "white", "edgecolor": "none", "pad": 1}
            ax.text(*curve.label_at, data["label"], fontsize=11 * pt, ha=ha, c="#333", bbox=white)
    for node, box in lay.boxes.items():
        data = graph.nodes[node]
        rounding = box.h / 2 if data["kind"] in ("start", "end") else 8
        ax.add_patch(
            FancyBboxPatch(
                (box.x - box.w / 2, box.y - box.h / 2),
                box.w,
                box.h,
                boxstyle=f"round,pad=0,rounding_size={rounding}",
                facecolor=_fill(node, data),
                edgecolor="#6b5bd2",
                linewidth=1.2,
            )
        )
        centred = {"ha": "center", "va": "center"}
        ty = box.y - (6 if data.get("detail") else 0)
        ax.text(box.x, ty, data["label"], fontsize=13 * pt, weight="bold", c="#222", **centred)
        if data.get("detail"):
            ax.text(box.x, box.y + 11, data["detail"], fontsize=11 * pt, c="#555", **centred)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi * 2)
    return buffer.getvalue()


PAGE_CSS = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0}td,th{border-bottom:1px solid #e3e3e3;padding:4px 10px;text-align:left;vertical-align:top}
th{background:#f6f6f8}figure{margin:12px 0;overflow-x:auto}pre{background:#f6f6f8;padding:10px;overflow-x:auto}
"""


def graph_section(graph: nx.DiGraph) -> str:
    """An HTML fragment: the inline SVG, then a table of edges with conditions and the nodes."""
    esc = html.escape
    rows = "".join(
        f"<tr><td>{esc(u)} → {esc(v)}</td><td>{esc(d['label'])}</td><td>{esc(d['condition'])}</td></tr>"
        for u, v, d in graph.edges(data=True)
        if d["label"] or d["condition"]
    )
    nodes = "".join(
        f"<tr><td>{esc(n)}</td><td>{esc(d.get('detail', ''))}</td><td>{esc(d['description'])}</td></tr>"
        for n, d in graph.nodes(data=True)
        if d["kind"] == "node"
    )
    return (
        f'<figure id="agent-graph">{to_svg(graph)}</figure>'
        '<table class="graph-edges"><tr><th>edge</th><th>label</th><th>condition</th></tr>'
        f"{rows}</table>"
        '<table class="graph-nodes"><tr><th>node</th><th>here</th><th>what it does</th></tr>'
        f"{nodes}</table>"
    )


def to_html(graph: nx.DiGraph) -> str:
    """A self-contained page: inline SVG, conditions, nodes and the Mermaid source; no requests."""
    title = html.escape(str(graph.graph.get("name", "graph")))
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{PAGE_CSS}</style></head><body>"
        f"<h1>{title}</h1>{graph_section(graph)}"
        "<details><summary>Mermaid source</summary>"
        f"<pre>{html.escape(to_mermaid(graph))}</pre></details></body></html>\n"
    )
