"""Acceptance and coverage per seed record and column, for `rolegraph eval` on a seeded run."""

from __future__ import annotations

import html
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

MAX_VALUES = 20  # a column with more distinct values is summarised, not listed value by value


def seed_report(
    records: Iterable[Mapping[str, Any]], rows_total: int | None
) -> dict[str, Any] | None:
    """Rows used and accepted, and per column the acceptance by value; None without seed records."""
    used: set[int] = set()
    accepted_rows: set[int] = set()
    finished: dict[str, Counter[str]] = defaultdict(Counter)
    accepted: dict[str, Counter[str]] = defaultdict(Counter)
    seen = False
    for record in records:
        source = record.get("seed_record")
        if not source or record.get("status") not in ("accepted", "rejected"):
            continue
        seen = True
        used.add(int(source["row"]))
        ok = record["status"] == "accepted"
        if ok:
            accepted_rows.add(int(source["row"]))
        for column, value in (source.get("values") or {}).items():
            if isinstance(value, list | dict):
                continue  # a list of facts is no category
            finished[column][str(value)] += 1
            if ok:
                accepted[column][str(value)] += 1
    if not seen:
        return None
    columns: dict[str, Any] = {}
    for column, counts in finished.items():
        entry: dict[str, Any] = {
            "distinct": len(counts),
            "entropy": _entropy(accepted[column], len(counts)),
        }
        if len(counts) <= MAX_VALUES and len(counts) < sum(counts.values()):  # categorical
            entry["acceptance"] = {
                v: round(accepted[column][v] / n, 4) for v, n in counts.most_common()
            }
            entry["accepted"] = {v: accepted[column][v] for v, _ in counts.most_common()}
        columns[column] = entry
    return {
        "rows_total": rows_total,
        "rows_used": len(used),
        "rows_accepted": len(accepted_rows),
        "row_coverage": round(len(accepted_rows) / rows_total, 4) if rows_total else None,
        "columns": columns,
    }


def _entropy(counts: Counter[str], k: int) -> float:
    """Normalised entropy of the accepted samples over the column's values (1: even)."""
    total = sum(counts.values())
    if total == 0 or k <= 1:
        return 0.0 if total == 0 else 1.0
    h = -sum(n / total * math.log(n / total) for n in counts.values() if n)
    return round(h / math.log(k), 4)


def seed_rows(report: Mapping[str, Any]) -> list[tuple[str, str, float | None]]:
    """Display rows of the seed section."""
    total = report["rows_total"]
    rows: list[tuple[str, str, float | None]] = [
        (
            "records",
            f"{report['rows_accepted']} accepted of {report['rows_used']} used"
            + (f" ({report['row_coverage']:.1%} of {total} rows)" if total else ""),
            report["row_coverage"],
        )
    ]
    for column, c in report["columns"].items():
        if "acceptance" in c:
            shown = ", ".join(
                f"{_short(v)} {c['accepted'][v]} ({rate:.0%})"
                for v, rate in c["acceptance"].items()
            )
            text = f"entropy {c['entropy']:.3f}: {shown}"
        else:
            text = f"{c['distinct']} distinct values; entropy {c['entropy']:.3f}"
        rows.append((f"column {column}", text, c["entropy"]))
    return rows


def _short(text: str, width: int = 32) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def seed_html(report: Mapping[str, Any]) -> str:
    """The seed section of the HTML report: one table row per display row."""
    cells = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{html.escape(text)}</td></tr>"
        for name, text, _ in seed_rows(report)
    )
    return f"<table><tr><th>what</th><th>acceptance and coverage</th></tr>{cells}</table>"
