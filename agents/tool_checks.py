"""Deterministic checks of tool use: what the critic can verify about calls without a model.

For every call in the dialogue:
- `unknown_tool`: it names no declared tool, or one its speaker may not call;
- `invalid_tool_arguments`: its arguments fail the tool's JSON Schema (jsonschema);
- `invented_tool_argument`: an argument value appears nowhere it could come from: the
  dialogue before the call, an earlier tool result, the sample's record, the facts, the
  personas or the schema itself (enum, const, default). Ids must be looked up or asked
  for, not made up;
- `tool_error` (a warning): the tool raised or timed out; the model got the error;
- `tool_budget` (a warning): a call past the per-turn or per-dialogue budget, refused.
For every turn after a result:
- `contradicts_tool_result`: the turn states a value (time, date, money, number) that
  differs from what a tool returned before it, by the same checks as the facts
  (`agents.checks.check_dialogue`): tool results are grounding for the turns after them.
For every goal with `expect`:
- `goal_outcome_not_met`: the final environment differs from the goal's expected state
  (an error when the goal is `required`, else a warning).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from agents.checks import check_dialogue
from agents.context import RunContext, all_facts_of, record_of
from agents.state import CheckFinding, SampleState
from agents.tools import ToolBox, argument_errors, result_text, results_before, turn_calls
from agents.values import values_in


def result_sources(turns: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every successful tool result of the dialogue as text: grounding for the checks."""
    return [result_text(c.get("result")) for c in results_before(turns, len(turns))]


def _scalars(value: Any) -> Iterable[Any]:
    if isinstance(value, Mapping):
        for inner in value.values():
            yield from _scalars(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _scalars(inner)
    elif value is not None and not isinstance(value, bool):
        yield value


def _schema_values(schema: Mapping[str, Any]) -> set[str]:
    values: set[str] = set()
    for prop in (schema.get("properties") or {}).values():
        if not isinstance(prop, Mapping):
            continue
        for key in ("enum", "examples"):
            values.update(str(v).lower() for v in prop.get(key) or [])
        for key in ("const", "default"):
            if key in prop:
                values.add(str(prop[key]).lower())
    return values


def _grounded(value: Any, sources: str, allowed: set[str]) -> bool:
    text = str(value).strip().lower()
    if not text or text in allowed:
        return True
    if isinstance(value, int | float) and abs(value) < 10:
        return True  # small counts (1 passenger, 2 bags) are too common to demand a source
    return text in sources


def _call_findings(
    box: ToolBox,
    index: int,
    speaker: str,
    call: Mapping[str, Any],
    sources: str,
) -> list[CheckFinding]:
    tool = box.tools.get(str(call.get("name")))
    name = call.get("name")
    if call.get("status") == "refused" and str(call.get("error", "")).startswith("over the budget"):
        return [
            CheckFinding(
                check="tool_budget",
                turn=index,
                severity="warning",
                message=f"asked for {name} past the call budget; the call was refused",
                evidence=str(name),
            )
        ]
    if tool is None or speaker not in tool.callers:
        why = "is not a declared tool" if tool is None else f"may not be called by {speaker}"
        return [
            CheckFinding(
                check="unknown_tool",
                turn=index,
                message=f"calls '{name}', which {why}",
                evidence=str(name),
            )
        ]
    arguments = call.get("arguments")
    if problems := argument_errors(tool.parameters, arguments):
        return [
            CheckFinding(
                check="invalid_tool_arguments",
                turn=index,
                message=f"calls {name} with arguments that fail its schema: {'; '.join(problems)}",
                evidence=json.dumps(arguments, ensure_ascii=False)[:200],
            )
        ]
    out = []
    allowed = _schema_values(tool.parameters)
    for key, value in (arguments or {}).items():
        for scalar in _scalars(value):
            if not _grounded(scalar, sources, allowed):
                out.append(
                    CheckFinding(
                        check="invented_tool_argument",
                        turn=index,
                        message=f"calls {name} with {key}={scalar!r}, which neither the "
                        "dialogue, an earlier tool result, the record nor the facts give",
                        evidence=f"{key}={scalar}",
                    )
                )
    if call.get("status") == "error":
        out.append(
            CheckFinding(
                check="tool_error",
                turn=index,
                severity="warning",
                message=f"{name} failed: {call.get('error')}",
                evidence=str(call.get("error"))[:200],
            )
        )
    return out


def _contradictions(
    turns: Sequence[Mapping[str, Any]],
    index: int,
    facts: Sequence[str],
    personas: Mapping[str, Mapping[str, Any]],
) -> list[CheckFinding]:
    """Values in turn `index` that differ from the tool results before it (not from facts)."""
    if not values_in(turns[index]["text"]):
        return []  # no time, date, amount or number stated: nothing to contradict
    results = [result_text(c.get("result")) for c in results_before(turns, index)]
    if not results:
        return []
    turn = {"speaker": turns[index]["speaker"], "text": turns[index]["text"]}
    against_results = check_dialogue([turn], facts=results, personas={})  # type: ignore[list-item]
    against_all = check_dialogue([turn], facts=[*facts, *results], personas=personas)  # type: ignore[list-item]
    still = {
        f.evidence for f in against_all if f.check.startswith(("contradicted_", "unsupported_"))
    }
    return [
        CheckFinding(
            check="contradicts_tool_result",
            turn=index,
            message=f"{f.message.split(', which')[0]}, but the tools returned otherwise "
            f"({f.message.partition('(')[2].rstrip(')')})",
            evidence=f.evidence,
        )
        for f in against_results
        if f.check.startswith("contradicted_") and f.evidence in still
    ]


def outcome_mismatches(state: SampleState, box: ToolBox, expect: Mapping[str, Any]) -> list[str]:
    """How the sample's final environment differs from `expect` (empty: the goal is met)."""
    env = box.view(state.get("env"))
    out = []
    for path, wanted in expect.items():
        try:
            actual = env.value(str(path))
        except KeyError:
            out.append(f"{path}: missing, expected {wanted!r}")
            continue
        if str(actual) != str(wanted):
            out.append(f"{path} is {actual!r}, expected {wanted!r}")
    return out


def tool_findings(state: SampleState, ctx: RunContext) -> list[CheckFinding]:
    """Every tool-use finding of the dialogue now in the state, in turn order."""
    box = ctx.tools
    if box is None:
        return []
    turns = state.get("turns") or []
    facts = all_facts_of(state, ctx)  # this sample's (a seed record's), else the run's
    personas = state.get("personas") or {}
    fixed = [
        *facts,
        json.dumps(record_of(state) or {}, ensure_ascii=False),
        *(json.dumps(p, ensure_ascii=False) for p in personas.values()),
    ]
    findings: list[CheckFinding] = []
    for index, turn in enumerate(turns):
        said = [t["text"] for t in turns[:index]]
        earlier = [result_text(c.get("result")) for c in results_before(turns, index - 1)]
        for call in turn_calls(turn):
            sources = "\n".join([*fixed, *said, *earlier]).lower()
            findings += _call_findings(box, index, turn["speaker"], call, sources)
            if call.get("status") == "ok":
                earlier.append(result_text(call.get("result")))
        findings += _contradictions(turns, index, facts, personas)
    for speaker, goal in sorted((state.get("goals") or {}).items()):
        if not goal.get("expect"):
            continue
        if missed := outcome_mismatches(state, box, goal["expect"]):
            findings.append(
                CheckFinding(
                    check="goal_outcome_not_met",
                    turn=-1,
                    criterion="quality",
                    severity="error" if goal.get("required") else "warning",
                    message=f"{speaker}'s goal is not met in the final state: {'; '.join(missed)}",
                    evidence="; ".join(missed)[:200],
                )
            )
    return findings


def merge_tool_findings(
    findings: list[CheckFinding], tool: list[CheckFinding]
) -> list[CheckFinding]:
    """The dialogue checks plus the tool checks, without counting one contradiction twice."""
    tool_hits = {(f.turn, f.evidence) for f in tool if f.check == "contradicts_tool_result"}
    kept = [
        f
        for f in findings
        if not (f.check.startswith("contradicted_") and (f.turn, f.evidence) in tool_hits)
    ]
    return [*kept, *tool]


# findings a rewrite of the turns' text cannot fix: the calls and the final state stay as made
UNFIXABLE = (
    "unknown_tool",
    "invalid_tool_arguments",
    "invented_tool_argument",
    "goal_outcome_not_met",
)


def unfixable(findings: list[CheckFinding]) -> bool:
    """True when an error-level finding concerns the calls or the final state, which the
    reviser (it rewrites text) cannot change: revising would only spend the budget."""
    return any(f.severity == "error" and f.check in UNFIXABLE for f in findings)
