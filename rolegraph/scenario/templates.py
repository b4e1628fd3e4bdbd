"""Templates over a seed record: Jinja2, sandboxed, with undefined names as errors.

Facts, the task, inline persona fields, private speaker facts, condition values and the
training system prompt may be written as templates over the columns of the sample's seed
record, e.g. `facts: ["Ticket {{ ticket_id }} was opened on {{ opened }}."]`. A fact that is
only `{{ column }}` over a column holding a list becomes one fact per item.

`template_problems` checks, at validate time, that every name a template uses is a column
of the seed (with "did you mean"), so a typo never reaches a run.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any, Protocol

from jinja2 import StrictUndefined, TemplateError, meta
from jinja2.sandbox import SandboxedEnvironment

ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
_WHOLE = re.compile(r"^\s*\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}\s*$")
TRAIN_NAMES = (
    "facts",
    "task",
    "persona",
    "speaker",
)  # what the training template sees besides columns

Loc = tuple[str | int, ...]


def is_template(text: Any) -> bool:
    return isinstance(text, str) and ("{{" in text or "{%" in text)


@lru_cache(maxsize=4096)
def _compiled(text: str) -> Any:
    return ENV.from_string(text)


@lru_cache(maxsize=4096)
def names_in(text: str) -> frozenset[str]:
    """The names a template reads (raises jinja2.TemplateError on a syntax error)."""
    return frozenset(meta.find_undeclared_variables(ENV.parse(text)))


class FactList(list):
    """Facts as a list for `{% for %}`, and as numbered lines for `{{ facts }}`."""

    def __str__(self) -> str:
        return "\n".join(f"{i}. {f}" for i, f in enumerate(self, 1))


def render(text: str, values: Mapping[str, Any]) -> str:
    """The template filled from `values` (text without template markers is returned as is)."""
    if not is_template(text):
        return text
    return _compiled(text).render(**values).strip()


def render_facts(items: list[str], values: Mapping[str, Any]) -> list[str]:
    """Facts from templates; `{{ column }}` over a list column gives one fact per item."""
    out: list[str] = []
    for item in items:
        whole = _WHOLE.match(item)
        value = values.get(whole.group(1)) if whole else None
        if isinstance(value, list):
            out += [str(v).strip() for v in value if str(v).strip()]
        elif text := render(item, values):
            out.append(text)
    return out


def render_value(value: Any, values: Mapping[str, Any]) -> Any:
    """Strings inside `value` (dicts and lists walked) rendered as templates."""
    if isinstance(value, str):
        return render(value, values)
    if isinstance(value, list):
        return [render_value(v, values) for v in value]
    if isinstance(value, dict):
        return {k: render_value(v, values) for k, v in value.items()}
    return value


def strings_in(value: Any, loc: Loc) -> Iterator[tuple[Loc, str]]:
    """Every string inside `value` with its location."""
    if isinstance(value, str):
        yield loc, value
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from strings_in(v, (*loc, i))
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from strings_in(v, (*loc, k))


class Templated(Protocol):
    """What the checks read of a scenario (the schema's Scenario, without importing it)."""

    facts: list[str]
    task: Any
    speakers: list[Any]
    conditions: dict[str, Any]
    train: Any


def templated_fields(scenario: Templated) -> Iterator[tuple[Loc, str]]:
    """Every field that may hold a template, with its location in the scenario file."""
    for i, fact in enumerate(scenario.facts):
        yield ("facts", i), fact
    yield ("task", "description"), scenario.task.description
    for i, speaker in enumerate(scenario.speakers):
        if speaker.persona is not None:
            yield from strings_in(
                speaker.persona.model_dump(exclude_defaults=True), ("speakers", i, "persona")
            )
        for j, fact in enumerate(speaker.facts):
            yield ("speakers", i, "facts", j), fact
    for key, cond in scenario.conditions.items():
        for j, value in enumerate(cond.values):
            yield ("conditions", key, "values", j), value


def template_problems(
    scenario: Templated, columns: list[str] | None, seed_path: str
) -> list[tuple[Loc, str]]:
    """Templates that do not parse or name what the seed lacks; `columns` None: no seed."""
    problems: list[tuple[Loc, str]] = []
    fields = list(templated_fields(scenario))
    if scenario.train is not None and scenario.train.system:
        fields.append((("train", "system"), scenario.train.system))
    for loc, text in fields:
        if not is_template(text):
            continue
        try:
            names = names_in(text)
        except TemplateError as exc:
            problems.append((loc, f"template does not parse: {exc}"))
            continue
        allowed = set(TRAIN_NAMES) if loc[0] == "train" else set()
        missing = sorted(names - allowed - set(columns or []))
        if columns is None and missing:
            problems.append(
                (
                    loc,
                    f"the template names {', '.join(map(repr, missing))}, but the scenario has no seed: section",
                )
            )
            continue
        for name in missing:
            problems.append((loc, _not_a_column(name, columns or [], seed_path)))
    for key, cond in scenario.conditions.items():
        if cond.column is None:
            continue
        if columns is None:
            problems.append(
                (("conditions", key, "column"), "a condition from a column needs a seed: section")
            )
        elif cond.column not in columns:
            problems.append(
                (("conditions", key, "column"), _not_a_column(cond.column, columns, seed_path))
            )
    return problems


def _not_a_column(name: str, columns: list[str], seed_path: str) -> str:
    close = difflib.get_close_matches(name, columns, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"columns: {', '.join(columns)}"
    return f"'{name}' is not a column of {seed_path} ({hint})"


def referenced_columns(scenario: Templated, columns: list[str]) -> list[str]:
    """The seed columns the scenario's templates and column conditions read, in seed order."""
    used: set[str] = set()
    fields = list(templated_fields(scenario))
    if scenario.train is not None and scenario.train.system:
        fields.append((("train", "system"), scenario.train.system))
    for _, text in fields:
        if is_template(text):
            used |= names_in(text)
    used |= {c.column for c in scenario.conditions.values() if c.column}
    return [c for c in columns if c in used]


__all__ = [
    "FactList",
    "TemplateError",
    "names_in",
    "referenced_columns",
    "render",
    "render_facts",
    "render_value",
    "template_problems",
]
