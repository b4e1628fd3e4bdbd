"""The report's plots: SVG drawn here (no library, no network), one function per kind of chart."""

from __future__ import annotations

import math
from collections import Counter
from html import escape as esc

import networkx as nx

STATUS_COLORS = {"accepted": "#3f9b4f", "rejected": "#d0493f", "failed": "#8a8a8a"}
BAR = "#6b5bd2"


def _svg(width: float, height: float, body: list[str], label: str) -> str:
    return (
        f'<svg class="plot" role="img" aria-label="{esc(label)}" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" font-size="11" '
        f'font-family="sans-serif">{"".join(body)}</svg>'
    )


def column_chart(title: str, counts: dict[str, int], xlabel: str) -> str:
    """Vertical bars, one per category (a histogram when the categories are bins)."""
    width, height, left, bottom = max(220, 34 * len(counts) + 60), 190, 40, 40
    top = max(counts.values(), default=0) or 1
    step = (width - left - 10) / max(1, len(counts))
    body = [f'<text x="{left}" y="14" font-weight="600" font-size="12">{esc(title)}</text>']
    body.append(
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 8}" y2="{height - bottom}" stroke="#999"/>'
    )
    for tick in (0, top):
        y = height - bottom - (height - bottom - 30) * tick / top
        body.append(
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" fill="#666">{tick}</text>'
        )
    for i, (name, count) in enumerate(counts.items()):
        h = (height - bottom - 30) * count / top
        x = left + i * step + 3
        body.append(
            f'<rect class="bar" x="{x:.1f}" y="{height - bottom - h:.1f}" width="{step - 6:.1f}" '
            f'height="{h:.1f}" fill="{BAR}"><title>{esc(name)}: {count}</title></rect>'
            f'<text x="{x + (step - 6) / 2:.1f}" y="{height - bottom + 14}" text-anchor="middle" '
            f'fill="#444">{esc(name)}</text>'
        )
    body.append(
        f'<text x="{(left + width) / 2:.0f}" y="{height - 6}" text-anchor="middle" fill="#666">{esc(xlabel)}</text>'
    )
    return _svg(width, height, body, title)


def status_bars(
    title: str, groups: dict[str, Counter[str]], colors: dict[str, str] = STATUS_COLORS
) -> str:
    """Horizontal bars, one per value, split by status, with the acceptance rate at the end."""
    names = sorted(groups, key=lambda n: -sum(groups[n].values()))
    label_w = min(260, max((len(n) for n in names), default=4) * 6.5 + 10)
    width, row, bar_w = label_w + 360, 20, 260
    height = 24 + row * len(names) + 6
    top = max((sum(c.values()) for c in groups.values()), default=0) or 1
    body = [f'<text x="0" y="14" font-weight="600" font-size="12">{esc(title)}</text>']
    for i, name in enumerate(names):
        y, x = 24 + i * row, label_w
        shown = name if len(name) <= 40 else name[:39] + "…"
        body.append(f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">{esc(shown)}</text>')
        total = sum(groups[name].values())
        for status, color in colors.items():
            w = bar_w * groups[name][status] / top
            if w:
                body.append(
                    f'<rect class="bar" x="{x:.1f}" y="{y + 2}" width="{w:.1f}" height="{row - 5}" '
                    f'fill="{color}"><title>{esc(name)}: {groups[name][status]} {status}</title></rect>'
                )
                x += w
        rate = f"{groups[name]['accepted'] / total:.0%} of " if "accepted" in colors else ""
        note = f"{rate}{total:,}"
        body.append(f'<text x="{x + 6:.1f}" y="{y + 13}" fill="#444">{note}</text>')
    return _svg(width, height, body, title)


def exchange_svg(graph: nx.DiGraph) -> str:
    """The who-spoke-to-whom graph on a circle, line width by how often."""
    size, radius = 360, 120
    turn = [2 * math.pi * i / graph.number_of_nodes() - math.pi / 2 for i in range(len(graph))]
    at = {
        n: (size / 2 + radius * math.cos(a), size / 2 + radius * math.sin(a))
        for n, a in zip(graph.nodes, turn, strict=True)
    }
    top = max((d["weight"] for *_, d in graph.edges(data=True)), default=1)
    body = [
        '<defs><marker id="rg-ex" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="10" '
        'markerHeight="10" markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#777"/></marker></defs>'
    ]
    for a, b, d in graph.edges(data=True):
        (x1, y1), (x2, y2) = at[a], at[b]
        length = math.hypot(x2 - x1, y2 - y1) or 1
        nx_, ny = (y2 - y1) / length * 10, (x1 - x2) / length * 10  # offset: a→b and b→a apart
        sx, sy = x1 + (x2 - x1) * 30 / length + nx_, y1 + (y2 - y1) * 30 / length + ny
        ex, ey = x2 - (x2 - x1) * 34 / length + nx_, y2 - (y2 - y1) * 34 / length + ny
        body.append(
            f'<g><title>{esc(a)} → {esc(b)}: {d["weight"]}</title><line x1="{sx:.1f}" y1="{sy:.1f}" '
            f'x2="{ex:.1f}" y2="{ey:.1f}" stroke="#777" stroke-width="{1 + 4 * d["weight"] / top:.1f}" '
            f'marker-end="url(#rg-ex)"/><text x="{(sx + ex) / 2 + nx_:.1f}" '
            f'y="{(sy + ey) / 2 + ny:.1f}" fill="#333">{d["weight"]}</text></g>'
        )
    for n, (x, y) in at.items():
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="28" fill="#f2f0ff" stroke="{BAR}"/>'
            f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" font-weight="600">{esc(n)}</text>'
        )
    return _svg(size, size, body, "who spoke after whom")
