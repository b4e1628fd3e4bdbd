"""How well a gate tells faithful dialogues from unfaithful ones, given labelled rows.

The positive class is *unfaithful* (a defect the gate should catch): the true-positive rate
is the share of defective rows the gate refused, the false-positive rate the share of
faithful rows it refused. Balanced accuracy is the mean of TPR and TNR, so a gate that
refuses everything (or nothing) scores 0.5 whatever the mix of labels.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

POSITIVE = {"unfaithful", "reject", "rejected", "bad", "defect"}
NEGATIVE = {"faithful", "accept", "accepted", "good", "clean"}


def label_is_defect(label: str) -> bool | None:
    """True for an unfaithful label, False for a faithful one, None for anything else."""
    word = label.strip().lower()
    if word in POSITIVE:
        return True
    if word in NEGATIVE:
        return False
    return None


@dataclass(frozen=True)
class Judged:
    """One labelled row as the gate judged it."""

    row_id: str
    defect: bool  # the label: True when the row is unfaithful
    refused: bool  # the gate's decision: True when it did not accept the row
    kind: str = ""
    reason: str = ""  # the finding or score that decided it
    line: int = 0


@dataclass
class GateStats:
    """Confusion matrix, rates and the wrong rows of one labelled judge run."""

    tp: int = 0
    fp: int = 0
    tn: int = 0
    fn: int = 0
    per_kind: dict[str, dict[str, int]] = field(default_factory=dict)
    wrong: list[Judged] = field(default_factory=list)

    @property
    def tpr(self) -> float | None:
        return _rate(self.tp, self.tp + self.fn)

    @property
    def fpr(self) -> float | None:
        return _rate(self.fp, self.fp + self.tn)

    @property
    def balanced_accuracy(self) -> float | None:
        tpr, fpr = self.tpr, self.fpr
        if tpr is None or fpr is None:
            return None
        return round((tpr + 1 - fpr) / 2, 4)

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe figures (what `judge.json` and `--json` hold)."""
        kinds = {}
        for kind, c in sorted(self.per_kind.items()):
            kinds[kind] = {
                **c,
                "tpr": _rate(c["tp"], c["tp"] + c["fn"]),
                "fpr": _rate(c["fp"], c["fp"] + c["tn"]),
            }
        return {
            "rows": self.tp + self.fp + self.tn + self.fn,
            "confusion": {"tp": self.tp, "fp": self.fp, "tn": self.tn, "fn": self.fn},
            "tpr": self.tpr,
            "fpr": self.fpr,
            "balanced_accuracy": self.balanced_accuracy,
            "per_kind": kinds,
            "wrong": [
                {
                    "id": w.row_id,
                    "line": w.line,
                    "kind": w.kind,
                    "label": "unfaithful" if w.defect else "faithful",
                    "decision": "refused" if w.refused else "accepted",
                    "reason": w.reason,
                }
                for w in self.wrong
            ],
        }


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def gate_stats(rows: Iterable[Judged]) -> GateStats:
    """Tally judged rows into a confusion matrix, overall and per `kind`."""
    stats = GateStats()
    for row in rows:
        cell = ("tp" if row.refused else "fn") if row.defect else ("fp" if row.refused else "tn")
        setattr(stats, cell, getattr(stats, cell) + 1)
        per = stats.per_kind.setdefault(row.kind or "-", {"tp": 0, "fp": 0, "tn": 0, "fn": 0})
        per[cell] += 1
        if cell in ("fp", "fn"):
            stats.wrong.append(row)
    return stats


def format_stats(stats: GateStats) -> str:
    """The figures as a few lines of plain text for the terminal."""

    def pct(x: float | None) -> str:
        return "-" if x is None else f"{x:.2f}"

    lines = [
        f"labelled rows: {stats.tp + stats.fp + stats.tn + stats.fn}",
        "                 refused  accepted",
        f"  unfaithful     {stats.tp:7d}  {stats.fn:8d}",
        f"  faithful       {stats.fp:7d}  {stats.tn:8d}",
        f"TPR {pct(stats.tpr)}  FPR {pct(stats.fpr)}  "
        f"balanced accuracy {pct(stats.balanced_accuracy)}",
        "per kind:        TPR (caught/defects)   FPR (refused/faithful)",
    ]
    for kind, c in sorted(stats.per_kind.items()):
        defects, faithful = c["tp"] + c["fn"], c["fp"] + c["tn"]
        tpr = f"{c['tp'] / defects:.2f} ({c['tp']}/{defects})" if defects else "-"
        fpr = f"{c['fp'] / faithful:.2f} ({c['fp']}/{faithful})" if faithful else "-"
        lines.append(f"  {kind:<14} {tpr:<22} {fpr}")
    if stats.wrong:
        lines.append("wrong rows:")
        for w in stats.wrong:
            what = "missed defect" if w.defect else "refused faithful"
            where = f"line {w.line}" if w.line else w.row_id
            lines.append(f"  {where} ({w.row_id}, {w.kind or '-'}): {what}: {w.reason or '-'}")
    return "\n".join(lines)
