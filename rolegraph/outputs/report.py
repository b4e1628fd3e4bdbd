"""`rolegraph report`: one self-contained HTML file that shows what a run produced and why.

The page needs no network: plots are SVG drawn here, the sample browser is a little inline
JavaScript over compact JSON embedded in the page. Samples are shown 50 to a page and their
attempts are built only when one is opened, so a run of 10,000 samples stays responsive.
"""

from __future__ import annotations

import html
import json
import math
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import networkx as nx

from agents.base import RoleDefinitionError
from agents.tools import call_lines
from graphs.visualize import PAGE_CSS, GraphNotes, graph_section, sample_graph
from rolegraph.errors import RolegraphError
from rolegraph.outputs.rundir import RunDir, open_run
from rolegraph.outputs.seed_eval import seed_html, seed_report
from rolegraph.outputs.tool_records import record_turns

STATUS_COLORS = {"accepted": "#3f9b4f", "rejected": "#d0493f", "failed": "#8a8a8a"}
BAR = "#6b5bd2"
PROBLEMS_SHOWN = 200  # rejected/failed rows listed as a table; the browser pages through all
esc = html.escape


def graph_notes(scenario: Any) -> GraphNotes:
    """What the agent graph's labels say about this scenario (speakers, limits, budget)."""
    return GraphNotes(
        title=f"{scenario.name}: sample graph",
        speakers=tuple(scenario.speaker_names),
        opener=scenario.opener,
        min_turns=scenario.dialogue.min_turns,
        max_turns=scenario.dialogue.max_turns,
        stop_phrases=tuple(scenario.dialogue.stop_phrases),
        threshold=scenario.critic.threshold,
        max_revisions=scenario.critic.max_revisions,
    )


@dataclass
class RunStats:
    """Everything the plots need, gathered in one pass over the records."""

    statuses: Counter[str] = field(default_factory=Counter)
    scores: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    revisions: Counter[int] = field(default_factory=Counter)
    turns: Counter[int] = field(default_factory=Counter)
    tokens: list[int] = field(default_factory=list)
    by_condition: dict[str, dict[str, Counter[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(Counter))
    )
    by_persona: dict[str, dict[str, Counter[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(Counter))
    )
    checks: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    exchanges: Counter[tuple[str, str]] = field(default_factory=Counter)
    seeds: list[dict[str, Any]] = field(default_factory=list)  # status and seed record per sample

    def add(self, record: dict[str, Any], sample: dict[str, Any], speakers: list[str]) -> None:
        """Count one record (and its compact form, whose turns are already resolved)."""
        status = str(record.get("status"))
        self.statuses[status] += 1
        if record.get("seed_record"):
            self.seeds.append({"status": status, "seed_record": record["seed_record"]})
        for key, value in (record.get("conditions") or {}).items():
            self.by_condition[key][str(value)][status] += 1
        for speaker, persona in (record.get("personas") or {}).items():
            self.by_persona[speaker][str(persona.get("name", "?"))][status] += 1
        self.tokens.append(sample["t"])
        if status == "failed":
            self.errors[str(record.get("error", "")).splitlines()[0][:160]] += 1
            return
        self.revisions[int(record.get("revisions") or 0)] += 1
        self.turns[int(sample["n"])] += 1
        for criterion, score in ((record.get("verdict") or {}).get("scores") or {}).items():
            self.scores[criterion][int(score)] += 1
        for attempt in sample["a"]:
            self.checks.update(c[0] for c in attempt["v"].get("ck", []))
        for reason in record.get("reasons") or []:
            self.reasons[str(reason)[:160]] += 1
        final = sample["a"][-1]["turns"] if sample["a"] else []
        for (a, *_), (b, *_) in pairwise(final):
            self.exchanges[speakers[a], speakers[b]] += 1


# ---------------------------------------------------------------- compact samples


VERDICT_KEYS = {"decision": "d", "model_decision": "md", "overall": "o", "scores": "sc"}
VERDICT_KEYS |= {"rationale": "ra", "evidence": "ev", "flagged_turns": "fl"}


def _verdict(v: dict[str, Any] | None) -> dict[str, Any]:
    if not v:
        return {}
    out = {short: v.get(key) for key, short in VERDICT_KEYS.items()}
    out["ck"] = [
        [c.get("check"), c.get("turn"), c.get("criterion"), c.get("message"), c.get("evidence")]
        for c in v.get("checks") or []
    ]
    if v.get("model_scores") and v.get("model_scores") != v.get("scores"):
        out["ms"] = v["model_scores"]
    return out


def _speaker_of(message: dict[str, Any], record: dict[str, Any], speakers: list[str]) -> str:
    """Which scenario speaker said a chat message (exports keep only user/assistant)."""
    if message.get("name"):
        return str(message["name"])
    personas = record.get("personas") or {}
    system = next((m["content"] for m in record.get("messages", []) if m["role"] == "system"), "")
    trained = next(
        (s for s, p in personas.items() if f"You are {p.get('name')}," in system),
        speakers[1] if len(speakers) > 1 else message["role"],
    )
    if message["role"] == "assistant":
        return trained
    others = [s for s in personas if s != trained]
    return others[0] if len(others) == 1 else message["role"]


def compact_sample(record: dict[str, Any], speakers: list[str]) -> dict[str, Any]:
    """The little the browser needs of one record; speakers become indexes into `speakers`."""

    def index(name: str) -> int:
        if name not in speakers:
            speakers.append(name)
        return speakers.index(name)

    attempts = record.get("attempts") or []
    partial = record.get("turns") if isinstance(record.get("turns"), list) else None
    if partial is not None:  # a failed sample keeps the turns it had when it failed
        attempts = [{"turns": partial, "verdict": None}]
    elif not attempts and record.get("messages"):  # accepted at once: its dialogue is the draft
        turns = record_turns(record, lambda m: _speaker_of(m, record, speakers))
        attempts = [{"turns": turns, "verdict": record.get("verdict")}]
    usage = record.get("usage") or {}
    sample = {
        "id": str(record.get("sample_id", "?")),
        "s": record.get("status"),
        "p": {k: v.get("name", "?") for k, v in (record.get("personas") or {}).items()},
        "c": record.get("conditions") or {},
        "r": record.get("revisions") or 0,
        "n": len(partial) if partial is not None else record.get("turns") or 0,
        "o": (record.get("verdict") or {}).get("overall"),
        "t": sum(int(u.get("total_tokens", 0)) for u in usage.values()),
        "stop": record.get("stop_reason"),
        "a": [
            {
                "turns": [
                    [index(t["speaker"]), t["text"], *([call_lines(t)] if t.get("calls") else [])]
                    for t in a.get("turns") or []
                ],
                "v": _verdict(a.get("verdict")),
            }
            for a in attempts
        ],
    }
    why = record.get("reasons") or ([record["error"]] if record.get("error") else [])
    if why:
        sample["why"] = why
    return sample


# ---------------------------------------------------------------- SVG plots


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


def _every(counts: Counter[int]) -> dict[str, int]:
    """Counts for every whole number from the smallest seen to the largest, gaps as zero."""
    return {str(k): counts[k] for k in range(min(counts, default=0), max(counts, default=-1) + 1)}


def _histogram(values: list[int], bins: int = 12) -> dict[str, int]:
    if not values:
        return {}
    low, high = min(values), max(values)
    if high == low:
        return {str(low): len(values)}
    size = math.ceil((high - low + 1) / bins)
    counts = Counter((v - low) // size for v in values)
    return {
        f"{low + b * size:,}": counts.get(b, 0) for b in range(math.ceil((high - low + 1) / size))
    }


def exchange_graph(stats: RunStats) -> nx.DiGraph:
    """Who spoke right after whom, over all final dialogues: edge weight = how often."""
    graph = nx.DiGraph()
    for (a, b), count in stats.exchanges.items():
        graph.add_edge(a, b, weight=count)
    return graph


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


# ---------------------------------------------------------------- the page


def _rows(pairs: Iterable[tuple[Any, ...]]) -> str:
    return "".join("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in p) + "</tr>" for p in pairs)


def _summary(manifest: dict[str, Any], stats: RunStats, seconds_read: float) -> str:
    counts = {**stats.statuses, **(manifest.get("counts") or {})}
    planned = counts.get("planned") or sum(stats.statuses.values())
    done = sum(counts.get(s, 0) for s in STATUS_COLORS)
    cards = "".join(
        f'<div class="card {s}"><b>{counts.get(s, 0):,}</b>{s}</div>' for s in STATUS_COLORS
    )
    revisions = sum(k * v for k, v in stats.revisions.items())
    judged = sum(stats.revisions.values()) or 1
    usage = manifest.get("usage") or {}
    seconds = float(manifest.get("seconds") or 0)
    rows = [
        ("scenario", manifest.get("scenario", "?")),
        ("status", manifest.get("status", "?")),
        ("samples", f"{planned:,} planned, {done:,} done"),
        ("acceptance rate", f"{counts.get('accepted', 0) / done:.1%}" if done else "-"),
        ("revisions", f"{revisions:,} ({revisions / judged:.2f} per judged sample)"),
        ("tokens", f"{sum(int(u.get('total_tokens', 0)) for u in usage.values()):,}"),
        ("time", f"{seconds:.1f} s ({done / seconds * 60:.1f} samples/min)" if seconds else "-"),
        ("seed", manifest.get("seed", "?")),
        ("scenario hash", str(manifest.get("scenario_hash", "?"))[:16]),
        ("started", manifest.get("started_at", "?")),
        ("finished", manifest.get("finished_at", "?")),
    ]
    models = ", ".join(
        f"{role}: {m.get('spec', '?') if isinstance(m, dict) else m}"
        for role, m in (manifest.get("models") or {}).items()
    )
    rows.append(("models", models or "?"))
    keys = ("calls", "input_tokens", "output_tokens", "total_tokens")
    tokens = _rows((role, *(f"{u.get(k, 0):,}" for k in keys)) for role, u in usage.items())
    return (
        f'<div class="cards">{cards}</div><table class="summary">{_rows(rows)}</table>'
        "<h3>Tokens per role</h3><table><tr><th>role</th><th>calls</th><th>input</th>"
        f"<th>output</th><th>total</th></tr>{tokens}</table>"
        f'<p class="muted">report built from the run directory in {seconds_read:.1f} s</p>'
    )


def _plots(stats: RunStats) -> str:
    parts = [
        column_chart(f"critic score: {name}", {str(s): scores[s] for s in range(1, 6)}, "score")
        for name, scores in stats.scores.items()
    ]
    parts.append(column_chart("revisions per sample", _every(stats.revisions), "revisions"))
    parts.append(column_chart("turns per dialogue", _every(stats.turns), "turns"))
    parts.append(column_chart("tokens per sample", _histogram(stats.tokens), "total tokens"))
    by_value = [
        status_bars(f"acceptance by {key}", values) for key, values in stats.by_condition.items()
    ]
    by_persona = [
        status_bars(f"acceptance by persona: {speaker}", names)
        for speaker, names in stats.by_persona.items()
    ]
    legend = "".join(
        f'<span class="dot" style="background:{c}"></span>{s} ' for s, c in STATUS_COLORS.items()
    )
    return (
        f'<div class="plots">{"".join(parts)}</div><p class="legend">{legend}</p>'
        f'<div class="plots">{"".join(by_value + by_persona)}</div>'
    )


def _coverage(stats: RunStats) -> str:
    total = sum(stats.statuses.values()) or 1
    parts, rows = [], []
    for title, groups in [
        *((f"persona for {s}", g) for s, g in stats.by_persona.items()),
        *((f"condition {k}", g) for k, g in stats.by_condition.items()),
    ]:
        used = {name: Counter(used=sum(c.values())) for name, c in groups.items()}
        counts = [c["used"] for c in used.values()]
        parts.append(status_bars(title, used, {"used": BAR}))
        rows.append(
            (title, len(used), f"{min(counts):,}", f"{max(counts):,}", f"{max(counts) / total:.0%}")
        )
    html_ = (
        "<table><tr><th>what</th><th>distinct values used</th><th>fewest uses</th>"
        f"<th>most uses</th><th>largest share</th></tr>{_rows(rows)}</table>"
        f'<div class="plots coverage">{"".join(parts)}</div>'
    )
    speakers = {s for pair in stats.exchanges for s in pair}
    if len(speakers) > 2:
        html_ += f'<h3>Who spoke after whom</h3><div class="plots">{exchange_svg(exchange_graph(stats))}</div>'
    return html_


def _problems(samples: list[dict[str, Any]], stats: RunStats) -> str:
    bad = [s for s in samples if s["s"] in ("rejected", "failed")]
    listed = "".join(
        f'<tr><td><a href="#sample-{esc(s["id"])}">{esc(s["id"])}</a></td><td>{esc(s["s"])}</td>'
        f"<td>{esc('; '.join(map(str, s.get('why', []))))}</td></tr>"
        for s in bad[:PROBLEMS_SHOWN]
    )
    rest = len(bad) - PROBLEMS_SHOWN
    more = f'<p class="muted">{rest:,} more: filter the browser by status.</p>' if rest > 0 else ""
    top = [
        ("checks fired (all attempts)", stats.checks),
        ("reasons for rejection", stats.reasons),
        ("errors of failed samples", stats.errors),
    ]
    tables = "".join(
        f"<h3>{title}</h3><table><tr><th>count</th><th>what</th></tr>"
        f"{_rows((f'{n:,}', what) for what, n in counter.most_common(20))}</table>"
        for title, counter in top
        if counter
    )
    if not bad:
        return f"<p>No rejected or failed samples.</p>{tables}"
    return (
        f'{tables}<h3>Rejected and failed samples</h3><table class="problems"><tr><th>sample</th>'
        f"<th>status</th><th>reasons</th></tr>{listed}</table>{more}"
    )


def _json_for_script(data: Any) -> str:
    """JSON that cannot close its <script> element early."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def scenario_graph(scenario: Any) -> nx.DiGraph:
    """The agent graph of a scenario: its own wiring (extra roles too) and its labels."""
    from rolegraph.scenario.wiring import graph_spec_from

    return sample_graph(graph_notes(scenario), graph_spec_from(scenario))


def _run_graph(run: RunDir, speakers: list[str]) -> nx.DiGraph:
    """From the scenario file when it is still there, else the default graph and the run's speakers."""
    from rolegraph.scenario.schema import Scenario

    file = run.manifest.get("scenario_file")
    for candidate in (Path(file), run.path / Path(file).name) if file else ():
        try:
            scenario = Scenario.from_file(candidate)
            if scenario.name == run.manifest.get("scenario"):
                return scenario_graph(scenario)
        except (RolegraphError, RoleDefinitionError, OSError, ValueError):
            continue
    name = run.manifest.get("scenario", "run")
    return sample_graph(GraphNotes(title=f"{name}: sample graph", speakers=tuple(speakers)))


def collect(run: RunDir) -> tuple[list[dict[str, Any]], RunStats, list[str]]:
    """One pass over the records: compact samples by id, the plots' numbers, the speakers."""
    speakers: list[str] = []
    samples: list[dict[str, Any]] = []
    stats = RunStats()
    for record in run.records():
        for name in record.get("personas") or {}:
            if name not in speakers:
                speakers.append(name)
        sample = compact_sample(record, speakers)
        stats.add(record, sample, speakers)
        samples.append(sample)
    samples.sort(key=lambda s: s["id"])
    return samples, stats, speakers


def build_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the HTML report of a run directory (default RUN_DIR/report.html); return its path."""
    started = time.perf_counter()
    run = open_run(run_dir)
    samples, stats, speakers = collect(run)
    seconds_read = time.perf_counter() - started
    title = f"rolegraph report: {run.manifest.get('scenario', run.path.name)}"
    sections = [
        ("summary", "Summary", _summary(run.manifest, stats, seconds_read)),
        ("plots", "Plots", _plots(stats) if samples else "<p>No samples yet.</p>"),
        ("coverage", "Persona and condition coverage", _coverage(stats)),
        *(
            [("seed", "Seed records", seed_html(seed_report(stats.seeds, None) or {}))]
            if stats.seeds
            else []
        ),
        ("graph", "Agent graph", graph_section(_run_graph(run, speakers))),
        ("samples", "Samples", SAMPLE_BROWSER),
        ("problems", "Rejected and failed", _problems(samples, stats)),
    ]
    nav = " · ".join(f'<a href="#{key}">{name}</a>' for key, name, _ in sections)
    body = "".join(f'<section id="{k}"><h2>{n}</h2>{c}</section>' for k, n, c in sections)
    data = {"speakers": speakers, "samples": samples}
    page = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{PAGE_CSS}{REPORT_CSS}</style></head><body>"
        f"<h1>{esc(title)}</h1><nav>{nav}</nav>{body}"
        f'<script type="application/json" id="rg-data">{_json_for_script(data)}</script>'
        f"<script>{BROWSER_JS}</script></body></html>\n"
    )
    target = Path(out) if out else run.path / "report.html"
    target.write_text(page, encoding="utf-8")
    return target


REPORT_CSS = """
section,#rg-detail{scroll-margin-top:44px}
nav{position:sticky;top:0;background:#fff;padding:6px 0;border-bottom:1px solid #ddd;z-index:2}
.cards{display:flex;gap:12px;margin:8px 0}.card{border-radius:8px;padding:8px 16px;color:#fff;min-width:90px}
.card b{display:block;font-size:22px}.card.accepted{background:#3f9b4f}.card.rejected{background:#d0493f}.card.failed{background:#8a8a8a}
.plots{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}.plot{background:#fafafa;border:1px solid #eee;border-radius:6px;padding:4px}
.muted{color:#777}.legend .dot{display:inline-block;width:10px;height:10px;border-radius:5px;margin:0 4px 0 10px}
.controls{display:flex;gap:10px;align-items:center;margin:8px 0}#rg-list tr{cursor:pointer}#rg-list tr:hover{background:#f2f0ff}
#rg-list tr.open{background:#e6e2ff}.badge{border-radius:4px;padding:0 6px;color:#fff;font-size:12px}
.badge.accepted{background:#3f9b4f}.badge.rejected{background:#d0493f}.badge.failed{background:#8a8a8a}
#rg-detail{border:1px solid #ddd;border-radius:8px;padding:10px 16px;margin-top:12px}#rg-detail:empty{display:none}
.attempt{border-left:4px solid #ccc;padding:4px 12px;margin:10px 0}.attempt.accept{border-color:#3f9b4f}
.attempt.reject{border-color:#d0493f}.attempt.revise{border-color:#e0a030}
.turn .call{font:12px monospace;color:#555;margin-left:8px}.turn{margin:3px 0}.turn .who{font-weight:600;margin-right:6px}.turn.flagged{background:#fff4e0}
del{background:#fde2e1;text-decoration:line-through}ins{background:#e3f5e1;text-decoration:none}
.why{color:#a33}
"""

SAMPLE_BROWSER = """
<div class="controls"><label>status <select id="rg-status"><option value="all">all</option>
<option>accepted</option><option>rejected</option><option>failed</option></select></label>
<label>search <input id="rg-search" placeholder="sample id, persona, condition, text"></label>
<button id="rg-prev">◀ previous</button><span id="rg-page"></span><button id="rg-next">next ▶</button></div>
<table><thead><tr><th>sample</th><th>status</th><th>personas</th><th>conditions</th>
<th>revisions</th><th>turns</th><th>score</th><th>tokens</th></tr></thead><tbody id="rg-list"></tbody></table>
<div id="rg-detail"></div>
"""

BROWSER_JS = r"""
(function(){
const D = JSON.parse(document.getElementById('rg-data').textContent);
const S = D.samples, SP = D.speakers, PER = 50;
let view = S, page = 0;
const $ = id => document.getElementById(id);
function h(tag, props, ...kids){ const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) { if (k === 'cls') e.className = v; else e.setAttribute(k, v); }
  for (const k of kids.flat()) e.append(k instanceof Node ? k : document.createTextNode(String(k ?? '')));
  return e; }
const kv = o => Object.entries(o || {}).map(([k, v]) => k + ': ' + v).join('; ');
const hay = s => s._q || (s._q = (s.id + ' ' + kv(s.p) + ' ' + kv(s.c) + ' ' +
  s.a.map(a => a.turns.map(t => t[1]).join(' ')).join(' ') + ' ' + (s.why || []).join(' ')).toLowerCase());
function filter(){ const st = $('rg-status').value, q = $('rg-search').value.trim().toLowerCase();
  view = S.filter(s => (st === 'all' || s.s === st) && (!q || hay(s).includes(q))); page = 0; draw(); }
function draw(){ const pages = Math.max(1, Math.ceil(view.length / PER)); page = Math.min(page, pages - 1);
  $('rg-page').textContent = ' page ' + (page + 1) + ' of ' + pages + ' (' + view.length + ' samples) ';
  $('rg-list').replaceChildren(...view.slice(page * PER, page * PER + PER).map(s => {
    const tr = h('tr', {'data-id': s.id}, h('td', {}, s.id), h('td', {}, h('span', {cls: 'badge ' + s.s}, s.s)),
      h('td', {}, kv(s.p)), h('td', {}, kv(s.c)), h('td', {}, s.r), h('td', {}, s.n),
      h('td', {}, s.o == null ? '' : (+s.o).toFixed(2)), h('td', {}, s.t));
    tr.addEventListener('click', () => show(s)); return tr; })); }
function words(a, b){ // word-level diff by longest common subsequence
  const x = a.split(/(\s+)/), y = b.split(/(\s+)/), n = x.length, m = y.length;
  const L = Array.from({length: n + 1}, () => new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--)
    L[i][j] = x[i] === y[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
  const ops = []; let i = 0, j = 0;
  const put = (op, w) => { const last = ops[ops.length - 1]; if (last && last[0] === op) last[1] += w; else ops.push([op, w]); };
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) { put('', x[i]); i++; j++; }
    else if (j < m && (i >= n || L[i][j + 1] >= L[i + 1][j])) put('ins', y[j++]);
    else put('del', x[i++]); }
  return ops.map(([op, w]) => op ? h(op, {}, w) : w); }
function verdict(v){ if (!v || !v.d) return h('p', {cls: 'muted'}, 'no verdict');
  const crit = Object.keys(v.sc || {});
  const scores = h('table', {cls: 'scores'}, h('tr', {}, h('th', {}, 'criterion'), h('th', {}, 'score'), h('th', {}, 'model said')),
    crit.map(c => h('tr', {}, h('td', {}, c), h('td', {}, v.sc[c]), h('td', {}, v.ms ? v.ms[c] : v.sc[c]))));
  const checks = (v.ck || []).length ? h('table', {cls: 'checks'},
    h('tr', {}, ['check', 'turn', 'criterion', 'message', 'evidence'].map(x => h('th', {}, x))),
    v.ck.map(c => h('tr', {}, c.map(x => h('td', {}, x))))) : h('p', {cls: 'muted'}, 'no check fired');
  return h('div', {cls: 'verdict'},
    h('p', {}, h('b', {}, 'decision: ' + v.d), ' (model said ' + v.md + ') · overall ' + v.o),
    h('p', {}, 'rationale: ', v.ra), (v.ev || []).length ? h('ul', {}, v.ev.map(e => h('li', {}, '“' + e + '”'))) : '',
    scores, h('h4', {}, 'checks'), checks); }
function show(s){ document.querySelectorAll('#rg-list tr.open').forEach(r => r.classList.remove('open'));
  const row = document.querySelector('#rg-list tr[data-id="' + s.id + '"]'); if (row) row.classList.add('open');
  const parts = [h('h3', {}, 'Sample ' + s.id + ' · ' + s.s),
    h('p', {}, kv(s.p), ' · ', kv(s.c), ' · stop: ' + (s.stop || '-') + ' · tokens: ' + s.t)];
  if (s.why) parts.push(h('p', {cls: 'why'}, 'reasons: ' + s.why.join('; ')));
  s.a.forEach((a, k) => { const prev = k ? s.a[k - 1].turns : null, fl = new Set(a.v.fl || []);
    const turns = a.turns.map((t, i) => { const old = prev && prev[i] ? prev[i][1] : null;
      const text = old !== null && old !== t[1] ? words(old, t[1]) : [t[1]];
      const calls = (t[2] || []).map(c => h('div', {cls: 'call'}, c.trim()));
      return h('div', {cls: 'turn' + (fl.has(i) ? ' flagged' : '')}, ...calls, h('span', {cls: 'who'}, (SP[t[0]] ?? t[0]) + ':'), ...text); });
    parts.push(h('div', {cls: 'attempt ' + (a.v.d || '')}, h('h4', {}, a.v.d ? 'Attempt ' + (k + 1) + (k ? ' (revision ' + k + ', changes marked)' : ' (draft)') : 'Turns before it failed'),
      turns, verdict(a.v))); });
  if (!s.a.length) parts.push(h('p', {cls: 'muted'}, 'no attempt: the sample failed before the critic'));
  $('rg-detail').replaceChildren(...parts); }
function open(id){ const i = S.findIndex(s => s.id === id); if (i < 0) return;
  $('rg-status').value = 'all'; $('rg-search').value = ''; view = S; page = Math.floor(i / PER); draw(); show(S[i]);
  $('rg-detail').scrollIntoView(); }
$('rg-status').addEventListener('change', filter);
$('rg-search').addEventListener('input', filter);
$('rg-prev').addEventListener('click', () => { if (page > 0) { page--; draw(); } });
$('rg-next').addEventListener('click', () => { if ((page + 1) * PER < view.length) { page++; draw(); } });
window.addEventListener('hashchange', () => { const m = location.hash.match(/^#sample-(.+)$/); if (m) open(decodeURIComponent(m[1])); });
draw();
const m = location.hash.match(/^#sample-(.+)$/); if (m) open(decodeURIComponent(m[1]));
})();
"""
