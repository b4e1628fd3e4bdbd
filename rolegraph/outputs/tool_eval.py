"""`rolegraph eval` for runs with tools: calls per dialogue, valid calls, goal success.

- **calls per dialogue**: tool calls in each finished (accepted or rejected) dialogue;
- **valid calls**: the share of calls that ran (`status` ok) and that no tool check flagged
  (unknown tool, arguments failing the schema, invented argument values);
- **goal success**: for goals that `expect` a final state, the share of finished dialogues
  whose final environment matched it (the record's `outcome`);
- per tool: calls, errors (the tool raised or timed out) and refusals.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from rolegraph.outputs.rundir import RunDir

CALL_CHECKS = ("unknown_tool", "invalid_tool_arguments", "invented_tool_argument")


def _flagged(record: Mapping[str, Any]) -> set[tuple[int, str]]:
    """(turn, tool name) pairs a call-level check fired on in the final verdict."""
    out = set()
    for check in (record.get("verdict") or {}).get("checks") or []:
        if check.get("check") in CALL_CHECKS:
            words = str(check.get("message", "")).split()
            name = words[1].strip("'") if len(words) > 1 else ""
            out.add((int(check.get("turn", -1)), name))
    return out


def tool_use(run: RunDir) -> dict[str, Any] | None:
    """The tool-use section of the eval report; None for a run without tools."""
    records = [r for r in run.records("accepted", "rejected") if "tools" in r]
    if not records:
        return None
    per_dialogue, statuses, per_tool = [], Counter(), {}
    valid = total = 0
    goals = met = 0
    for record in records:
        calls = record.get("tool_calls") or []
        per_dialogue.append(len(calls))
        flagged = _flagged(record)
        for call in calls:
            total += 1
            statuses[call.get("status")] += 1
            slot = per_tool.setdefault(call["name"], Counter())
            slot["calls"] += 1
            slot[call.get("status") or "unknown"] += 1
            if call.get("status") == "ok" and (call["turn"], call["name"]) not in flagged:
                valid += 1
        for goal in (record.get("outcome") or {}).values():
            goals += 1
            met += bool(goal["met"])
    n = len(records)
    return {
        "dialogues": n,
        "calls": total,
        "calls_per_dialogue": round(total / n, 3),
        "calls_per_dialogue_max": max(per_dialogue),
        "valid_call_share": round(valid / total, 4) if total else None,
        "statuses": dict(statuses),
        "goal_dialogues": goals,
        "goal_success_rate": round(met / goals, 4) if goals else None,
        "per_tool": {name: dict(c) for name, c in sorted(per_tool.items())},
    }


def tool_rows(r: Mapping[str, Any]) -> list[tuple[str, str, float | None]]:
    """The section as display rows (metric, text, number) for `rolegraph eval`."""
    share = r["valid_call_share"]
    rows: list[tuple[str, str, float | None]] = [
        ("calls per dialogue", f"{r['calls_per_dialogue']:.2f} (max {r['calls_per_dialogue_max']}, "
         f"{r['calls']} calls in {r['dialogues']} dialogues)", r["calls_per_dialogue"]),
        ("valid calls", "-" if share is None else f"{share:.1%}", share),
    ]  # fmt: skip
    if r["goal_success_rate"] is not None:
        rows.append(
            (
                "goal success",
                f"{r['goal_success_rate']:.1%} of {r['goal_dialogues']} dialogues",
                r["goal_success_rate"],
            )
        )
    for name, c in r["per_tool"].items():
        text = f"{c['calls']} calls, {c.get('error', 0)} errors, {c.get('refused', 0)} refused"
        rows.append((f"tool {name}", text, float(c["calls"])))
    return rows
