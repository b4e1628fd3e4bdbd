"""`rolegraph report`: one self-contained HTML file that shows what a run produced and why.

The page needs no network: plots are SVG drawn here, the sample browser is a little inline
JavaScript over compact JSON embedded in the page. Samples are shown 50 to a page and their
attempts are built only when one is opened, so a run of 10,000 samples stays responsive.
This module reads the run and assembles the page; `report_plots.py` draws the plots and
`report_browser.py` holds the sample browser (its compact samples, markup, script and CSS).
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
from graphs.visualize import PAGE_CSS, GraphNotes, graph_section, sample_graph
from rolegraph.errors import RolegraphError
from rolegraph.outputs.report_browser import BROWSER_JS, REPORT_CSS, SAMPLE_BROWSER, compact_sample
from rolegraph.outputs.report_plots import (
    BAR,
    STATUS_COLORS,
    column_chart,
    exchange_svg,
    status_bars,
)
from rolegraph.outputs.rundir import RunDir, open_run
from rolegraph.outputs.seed_eval import seed_html, seed_report

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
