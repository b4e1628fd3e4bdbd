"""How an eval report reads in the terminal: rows per section, and two reports side by side."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text

from rolegraph.outputs.seed_eval import seed_rows

Row = tuple[str, str, float | None]  # metric, shown text, number for comparisons


def _num(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _stats(s: Mapping[str, float]) -> str:
    if not s.get("count"):
        return "n/a"
    return f"mean {s['mean']:.1f}, median {s['median']:g}, p90 {s['p90']:g}, range {s['min']:g}-{s['max']:g}"


def _pairs(p: Mapping[str, Any]) -> str:
    if p["sampled"]:
        return f"{p['pairs']:,} random pairs of {p['total_pairs']:,}"
    return f"all {p['pairs']:,} pairs"


def _faithfulness_rows(r: Mapping[str, Any], samples: Mapping[str, int]) -> list[Row]:
    rows: list[Row] = [
        (
            "samples",
            f"{samples['planned']} planned: {samples['accepted']} accepted, "
            f"{samples['rejected']} rejected, {samples['failed']} failed",
            samples["accepted"],
        ),
        ("acceptance rate", _pct(r["acceptance_rate"]), r["acceptance_rate"]),
        (
            "first-pass acceptance",
            _pct(r["first_pass_acceptance_rate"]),
            r["first_pass_acceptance_rate"],
        ),
        (
            "revisions per accepted",
            _num(r["revisions_per_accepted"], 2),
            r["revisions_per_accepted"],
        ),
    ]
    for criterion, s in r["scores"].items():
        text = f"{_num(s['accepted'], 2)} accepted, {_num(s['judged'], 2)} all judged"
        if s["model"] is not None:
            text += f", {_num(s['model'], 2)} model"
        rows.append((f"score {criterion}", text, s["accepted"]))
    if not r["checks"]:
        rows.append(("checks fired", "none", 0))
    for name, c in r["checks"].items():
        rows.append((f"check {name}", f"{c['findings']} in {c['samples']} samples", c["findings"]))
    return rows


def _diversity_rows(r: Mapping[str, Any]) -> list[Row]:
    sim, bleu = r["similarity"], r["self_bleu"]
    rows: list[Row] = [
        (f"distinct-{n}", f"{r[f'distinct_{n}']:.4g}", r[f"distinct_{n}"]) for n in (1, 2, 3)
    ]
    rows += [
        (
            "self-BLEU",
            f"{_num(bleu['value'])} (sample of {bleu['sample']} of {bleu['of']})",
            bleu["value"],
        ),
        ("mean Jaccard (3-grams)", f"{_num(sim['mean'])} ({_pairs(sim)})", sim["mean"]),
        (
            f"near-dup pairs (J>={sim['threshold']:g})",
            _pct(sim["near_duplicate_share"]),
            sim["near_duplicate_share"],
        ),
        ("exact duplicates", str(r["exact_duplicates"]), r["exact_duplicates"]),
        ("vocabulary", f"{r['vocabulary']:,} words", r["vocabulary"]),
        ("words per turn", _stats(r["turn_words"]), r["turn_words"].get("mean")),
        ("turns per dialogue", _stats(r["dialogue_turns"]), r["dialogue_turns"].get("mean")),
        ("words per dialogue", _stats(r["dialogue_words"]), r["dialogue_words"].get("mean")),
    ]
    if "embedding" in r:
        e = r["embedding"]
        rows.append(
            (
                "mean cosine (embeddings)",
                f"{_num(e['mean'])} ({e['sample']} dialogues, {_pairs(e)})",
                e["mean"],
            )
        )
        rows.append(
            (
                f"near-dup pairs (cos>={e['threshold']:g})",
                _pct(e["near_duplicate_share"]),
                e["near_duplicate_share"],
            )
        )
    return rows


def _coverage_rows(r: Mapping[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for key, c in r["conditions"].items():
        shown = ", ".join(f"{v} {n}" for v, n in c["counts"].items())
        target = f" (target {c['target_entropy']:.2f})" if "target_entropy" in c else ""
        rows.append(
            (f"condition {key}", f"entropy {c['entropy']:.3f}{target}: {shown}", c["entropy"])
        )
        if c["unused"]:
            rows.append((f"unused {key}", ", ".join(c["unused"]), len(c["unused"])))
    for speaker, p in r["personas"].items():
        used = sum(1 for n in p["counts"].values() if n)
        text = f"entropy {p['entropy']:.3f}: {used} of {len(p['counts'])} personas used"
        rows.append((f"personas {speaker}", text, p["entropy"]))
    combos = r["combinations"]
    if combos["possible"]:
        text = f"{combos['seen']} of {combos['possible']} condition combinations seen"
        if combos["missing"]:
            listed = "; ".join(
                ", ".join(f"{k}={v}" for k, v in m.items()) for m in combos["missing"][:5]
            )
            more = combos["missing_count"] - min(5, len(combos["missing"]))
            text += f"; missing: {listed}" + (f" (+{more} more)" if more > 0 else "")
        rows.append(("combinations", text, combos["seen"] / combos["possible"]))
    rows.append(("values from", r["values_from"], None))
    return rows


def _cost_rows(r: Mapping[str, Any]) -> list[Row]:
    rows: list[Row] = [
        ("tokens", f"{r['tokens']:,}", r["tokens"]),
        ("tokens per accepted", _num(r["tokens_per_accepted"], 1), r["tokens_per_accepted"]),
    ]
    for role, c in r["roles"].items():
        text = (
            f"{_num(c['tokens_per_accepted'], 1)} per accepted ({c['calls']:,} calls, {c['model']})"
        )
        rows.append((f"  {role}", text, c["tokens_per_accepted"]))
    if r["usd"] is None:
        text = f"unknown: give --price SPEC=IN,OUT (USD per 1M tokens) for {', '.join(r['unpriced_models'])}"
        rows.append(("cost per accepted", text, None))
    else:
        rows.append(("cost", f"${r['usd']:.4f}", r["usd"]))
        rows.append(
            ("cost per accepted", f"${_num(r['usd_per_accepted'], 6)}", r["usd_per_accepted"])
        )
    return rows


def _downstream_rows(r: Mapping[str, Any]) -> list[Row]:
    if "test_file" in r:
        return [
            (
                f"predict {r['condition']}",
                f"accuracy {r['accuracy']:.3f} vs majority {r['majority']:.3f} on {r['test_file']} "
                f"(trained on {r['train_samples']} accepted samples, tested on {r['test_samples']})",
                r["accuracy"],
            )
        ]
    return [
        (
            f"predict {r['condition']}",
            f"accuracy {r['accuracy']:.3f} ± {r['accuracy_std']:.3f} vs majority {r['majority']:.3f} "
            f"({r['folds']}-fold CV, {r['samples']} samples, {len(r['classes'])} values)",
            r["accuracy"],
        )
    ]


def report_rows(report: Mapping[str, Any]) -> dict[str, list[Row]]:
    """The report as display rows, per section."""
    sections = {
        "faithfulness": _faithfulness_rows(report["faithfulness"], report["samples"]),
        "diversity": _diversity_rows(report["diversity"]),
        "coverage": _coverage_rows(report["coverage"]),
        "cost": _cost_rows(report["cost"]),
    }
    if "seed" in report:
        sections["seed"] = seed_rows(report["seed"])
    if "tools" in report:
        from rolegraph.outputs.tool_eval import tool_rows

        sections["tools"] = tool_rows(report["tools"])
    if "downstream" in report:
        sections["downstream"] = _downstream_rows(report["downstream"])
    return sections


def render(report: Mapping[str, Any]) -> list[Table]:
    """Rich tables of one report, one per section."""
    tables = []
    for section, rows in report_rows(report).items():
        table = Table(title=section, title_justify="left", show_header=False)
        table.add_column("metric", style="bold", no_wrap=True)
        table.add_column("value")
        for metric, text, _ in rows:
            table.add_row(Text(str(metric)), Text(str(text)))  # user data: plain, never markup
        tables.append(table)
    return tables


def render_compare(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[Table]:
    """Rich tables putting two reports side by side, with the difference where both are numbers."""
    rows_a, rows_b = report_rows(a), report_rows(b)
    tables = []
    for section in dict.fromkeys([*rows_a, *rows_b]):
        left = {m: (text, n) for m, text, n in rows_a.get(section, [])}
        right = {m: (text, n) for m, text, n in rows_b.get(section, [])}
        table = Table(title=section, title_justify="left")
        table.add_column("metric", style="bold", no_wrap=True)
        table.add_column(Text(Path(a["run"]).name))
        table.add_column(Text(Path(b["run"]).name))
        table.add_column("Δ", justify="right")
        for metric in dict.fromkeys([*left, *right]):
            ta, na = left.get(metric, ("-", None))
            tb, nb = right.get(metric, ("-", None))
            delta = f"{nb - na:+.3g}" if na is not None and nb is not None else ""
            table.add_row(Text(str(metric)), Text(str(ta)), Text(str(tb)), delta)
        tables.append(table)
    return tables
