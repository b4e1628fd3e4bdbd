"""The scenario's `tools:` and `tool_use:` sections: declarations, checks and the ToolBox.

```yaml
tools:
  - name: find_reservation
    description: Look up a reservation by its booking reference.
    parameters:                       # JSON Schema of the arguments (OpenAI function format)
      type: object
      properties: {reservation_id: {type: string, pattern: "^R[0-9]{3}$"}}
      required: [reservation_id]
    table: {path: data/reservations.jsonl, key: reservation_id, name: reservation}
    callers: [agent]                  # who may call it (default: the dialogue's assistant)
  - name: issue_voucher
    python: airline_tools:issue_voucher   # module:function (a module of the scenario folder
                                          # too), or an entry point of group rolegraph.tools
  - name: weather
    simulated: Answer with the weather at the airport, consistent with the facts.
tool_use: {max_calls_per_turn: 4, max_calls_per_dialogue: 16, timeout: 10, calling: auto}
```

A table tool's `op` is `lookup` (by the key column, the default), `search` (rows whose
columns equal the arguments, plus fixed `where` filters, at most `limit`), `update` (the
row picked by the key column gets every other argument as a column value, plus the fixed
values of `set`) or `insert`.
Tables come from a JSONL, JSON or CSV file inside the scenario's folder (`path`) or from
each sample's seed record (`source: record` or `record.FIELD`); tools that name the same
table share it. Record-sourced tables need a seed: until the seed section lands, a sample
carries its record in `state["record"]` (see agents/environment.py, `new_environment`).

Every reference is checked at `rolegraph validate`, reported as `file:line: path: message`:
unknown callers, duplicate names, schemas that are not JSON Schema, table files outside the
folder or without the key column, update/lookup tools whose parameters lack the key,
unimportable functions, and a goal's `expect` naming a table no tool has.
"""

from __future__ import annotations

import csv
import importlib
import importlib.util
import inspect
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

if TYPE_CHECKING:
    from agents.tools import ToolBox

Loc = tuple[str | int, ...]
TABLE_SUFFIXES = (".jsonl", ".json", ".csv")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TableRef(_Strict):
    """The table a `table` tool reads or changes, and what it does with it."""

    path: str | None = Field(
        default=None, description="A JSONL, JSON or CSV file inside the scenario's folder."
    )
    source: str | None = Field(
        default=None,
        pattern=r"^record(\.[A-Za-z0-9_]+)?$",
        description="'record' (the sample's seed record is the one row) or 'record.FIELD' "
        "(a list of rows in that field of the record), instead of a file.",
    )
    key: str = Field(min_length=1, description="The key column (unique per row).")
    name: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z][A-Za-z0-9_]*$",
        description="The table's name, shared by the tools that use it, and the first part "
        "of a goal's expect paths (default: the file's stem or the record field).",
    )
    op: Literal["lookup", "search", "update", "insert"] = Field(
        default="lookup",
        description="lookup by the key column, search by columns, update a row, insert a row.",
    )
    where: dict[str, Any] = Field(
        default_factory=dict, description="search: fixed column values every row must have."
    )
    limit: int = Field(default=5, ge=1, le=100, description="search: most rows returned.")
    set: dict[str, Any] = Field(
        default_factory=dict,
        description="update: fixed column values written with the arguments, e.g. "
        "{status: confirmed}.",
    )

    @property
    def table_name(self) -> str:
        if self.name:
            return self.name
        if self.path:
            return Path(self.path).stem
        return (self.source or "record").partition(".")[2] or "record"


class SimulatedSpec(_Strict):
    """A tool played by a model (models: {tools: ...}, else the default model)."""

    instructions: str = Field(default="", description="How the tool behaves and answers.")


def _simulated(value: Any) -> Any:
    if value is True:
        return {}
    return {"instructions": value} if isinstance(value, str) else value


def _object_schema() -> dict[str, Any]:
    return {"type": "object", "properties": {}}


class ToolSpec(_Strict):
    """One tool: name, description, JSON-Schema parameters and exactly one implementation."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
    description: str = Field(min_length=1)
    parameters: dict[str, Any] = Field(
        default_factory=_object_schema, description="JSON Schema (type: object) of the arguments."
    )
    table: TableRef | None = Field(default=None, description="A lookup or update over a table.")
    python: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z_][\w.]*(:[A-Za-z_]\w*)?$",
        description="'module:function' or an entry point's name (group rolegraph.tools), "
        "called with the arguments (and env=, if it takes it).",
    )
    simulated: Annotated[SimulatedSpec | None, BeforeValidator(_simulated)] = Field(
        default=None, description="A model plays the tool (text: its instructions)."
    )
    callers: list[str] | None = Field(
        default=None, description="Speakers who may call it (default: the assistant)."
    )


class ToolUse(_Strict):
    """Bounds and the calling protocol for every tool."""

    max_calls_per_turn: int = Field(default=4, ge=1, le=50)
    max_calls_per_dialogue: int = Field(default=16, ge=1, le=500)
    timeout: float = Field(default=10.0, gt=0, le=600, description="Seconds per call.")
    calling: Literal["auto", "native", "json"] = Field(
        default="auto",
        description="auto: native tool calling when the model supports it, else a JSON "
        "protocol in the prompt; native or json: always that one.",
    )


# --- tables ---------------------------------------------------------------------------


def load_rows(file: Path) -> list[dict[str, Any]]:
    """Rows of a JSONL, JSON (a list of objects) or CSV file; ValueError says what is wrong."""
    text = file.read_text(encoding="utf-8")
    if file.suffix == ".csv":
        return [dict(row) for row in csv.DictReader(text.splitlines())]
    if file.suffix == ".json":
        data = json.loads(text)
        rows = data if isinstance(data, list) else None
    else:
        rows = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except ValueError as exc:
                    raise ValueError(f"line {n}: not JSON ({exc})") from None
    if rows is None or not all(isinstance(r, dict) for r in rows):
        raise ValueError("every row must be a JSON object")
    return rows


def _table_file(base: Path, path: str) -> Path | str:
    """The table file, or why it cannot be used (it must lie inside the scenario folder)."""
    file = (base / path).resolve()
    try:
        file.relative_to(base.resolve())
    except ValueError:
        return f"{path}: a table file must be inside the scenario's folder"
    if file.suffix not in TABLE_SUFFIXES:
        return f"{path}: a table file is {', '.join(TABLE_SUFFIXES)}"
    if not file.is_file():
        return f"table file not found: {base / path}"
    return file


# --- python functions -----------------------------------------------------------------


TOOL_ENTRY_POINTS = "rolegraph.tools"


def _entry_point(name: str) -> Callable[..., Any] | str:
    from importlib.metadata import entry_points

    found = [ep for ep in entry_points(group=TOOL_ENTRY_POINTS) if ep.name == name]
    if not found:
        known = ", ".join(sorted(ep.name for ep in entry_points(group=TOOL_ENTRY_POINTS)))
        return (
            f"no tool entry point '{name}' in group '{TOOL_ENTRY_POINTS}' "
            f"(installed: {known or 'none'}); or give 'module:function'"
        )
    try:
        function = found[0].load()
    except Exception as exc:  # a broken plugin must name itself
        return f"tool entry point '{name}' ({found[0].value}) failed to load: {exc}"
    return function if callable(function) else f"tool entry point '{name}' is not a function"


def load_function(ref: str, base: Path) -> Callable[..., Any] | str:
    """The function `module:function` (a module of the scenario folder first) or an entry
    point's name (group `rolegraph.tools`), or an error message."""
    if ":" not in ref:
        return _entry_point(ref)
    module_name, _, attr = ref.partition(":")
    local = base / (module_name.replace(".", "/") + ".py")
    try:
        if local.is_file():
            unique = (
                f"rolegraph_tools_{abs(hash(str(local.resolve())))}_{module_name.replace('.', '_')}"
            )
            module = sys.modules.get(unique)
            if module is None:
                spec = importlib.util.spec_from_file_location(unique, local)
                assert spec is not None and spec.loader is not None
                module = importlib.util.module_from_spec(spec)
                sys.modules[unique] = module
                spec.loader.exec_module(module)
        else:
            module = importlib.import_module(module_name)
    except ImportError as exc:
        return f"cannot import module '{module_name}': {exc}"
    except Exception as exc:  # a broken tool module must name itself
        return f"importing module '{module_name}' failed: {type(exc).__name__}: {exc}"
    function = getattr(module, attr, None)
    if function is None:
        return f"module '{module_name}' has no '{attr}'"
    if not callable(function) or inspect.isclass(function):
        return f"'{ref}' is not a function"
    return function  # type: ignore[no-any-return]


# --- checks and the ToolBox ---------------------------------------------------------------


def _callers(tool: ToolSpec, assistant: str) -> list[str]:
    return list(tool.callers) if tool.callers is not None else [assistant]


def tool_problems(
    tools: list[ToolSpec], speakers: list[str], assistant: str, base: Path, goals: dict[str, Any]
) -> list[tuple[Loc, str]]:
    """Every problem with the tools, as (location in the file, message) pairs.

    `goals` maps a speaker's index in `speakers` to its goal (for `expect` paths).
    """
    from agents.tools import schema_problems

    problems: list[tuple[Loc, str]] = []
    names = [t.name for t in tools]
    tables: dict[str, tuple[str | None, str | None, str]] = {}
    for i, tool in enumerate(tools):
        loc: Loc = ("tools", i)
        if names.index(tool.name) != i:
            problems.append(((*loc, "name"), f"tool name '{tool.name}' is used twice"))
        kinds = [k for k in ("table", "python", "simulated") if getattr(tool, k) is not None]
        if len(kinds) != 1:
            problems.append(
                (
                    loc,
                    "give exactly one implementation: 'table', 'python' or 'simulated'"
                    + (f" (got: {', '.join(kinds)})" if kinds else ""),
                )
            )
        for j, who in enumerate(_callers(tool, assistant)):
            if who not in speakers:
                problems.append(
                    (
                        (*loc, "callers", j),
                        f"'{who}' is not a speaker (speakers: {', '.join(speakers)})",
                    )
                )
        for message in schema_problems(tool.parameters):
            problems.append(((*loc, "parameters"), f"not a valid JSON Schema: {message}"))
        properties = tool.parameters.get("properties") or {}
        if tool.table is not None:
            ref = tool.table
            if (ref.path is None) == (ref.source is None):
                problems.append(
                    (
                        (*loc, "table"),
                        "give exactly one of 'path' (a file) or 'source' (the record)",
                    )
                )
                continue
            seen = tables.setdefault(ref.table_name, (ref.path, ref.source, ref.key))
            if seen != (ref.path, ref.source, ref.key):
                problems.append(
                    (
                        (*loc, "table"),
                        f"table '{ref.table_name}' is declared twice with a different path, source or key",
                    )
                )
            if ref.op in ("lookup", "update") and ref.key not in properties:
                problems.append(
                    (
                        (*loc, "parameters"),
                        f"a {ref.op} tool needs the key column '{ref.key}' among its parameters' properties",
                    )
                )
            if ref.path is not None:
                file = _table_file(base, ref.path)
                if isinstance(file, str):
                    problems.append(((*loc, "table", "path"), file))
                    continue
                try:
                    rows = load_rows(file)
                except (ValueError, UnicodeDecodeError, OSError) as exc:
                    problems.append(((*loc, "table", "path"), f"cannot read {ref.path}: {exc}"))
                    continue
                missing = [n for n, row in enumerate(rows, 1) if ref.key not in row]
                if missing:
                    problems.append(
                        (
                            (*loc, "table", "key"),
                            f"row {missing[0]} of {ref.path} has no key column '{ref.key}'",
                        )
                    )
                columns = set().union(*(row.keys() for row in rows)) if rows else set()
                unknown = [
                    c
                    for c in [*(properties if ref.op != "lookup" else ()), *ref.where, *ref.set]
                    if columns and c not in columns
                ]
                if unknown:
                    problems.append(
                        (
                            (*loc, "table"),
                            f"{ref.path} has no column {', '.join(repr(c) for c in unknown)} (columns: {', '.join(sorted(columns))})",
                        )
                    )
        if tool.python is not None:
            function = load_function(tool.python, base)
            if isinstance(function, str):
                problems.append(((*loc, "python"), function))
    known_tables = set(tables) | {"record"}
    for index, goal in goals.items():
        for path in getattr(goal, "expect", None) or {}:
            head = str(path).partition(".")[0]
            if head not in known_tables:
                problems.append(
                    (
                        ("speakers", index, "goal", "expect", path),
                        f"'{head}' is not a table of the tools (tables: {', '.join(sorted(known_tables))})",
                    )
                )
            elif head != "record" and str(path).count(".") < 2:
                problems.append(
                    (
                        ("speakers", index, "goal", "expect", path),
                        "give TABLE.KEY.COLUMN, e.g. reservation.R123.flight",
                    )
                )
    return problems


def toolbox_from(tools: list[ToolSpec], use: ToolUse, assistant: str, base: Path) -> ToolBox | None:
    """The run's ToolBox (None without tools); call it on a validated scenario only."""
    if not tools:
        return None
    from agents.environment import Table
    from agents.tools import Tool, ToolBox

    tables: dict[str, Table] = {}
    built: dict[str, Tool] = {}
    for spec in tools:
        kind = "table" if spec.table else "python" if spec.python else "simulated"
        table_name = None
        if spec.table is not None:
            ref = spec.table
            table_name = ref.table_name
            if table_name not in tables:
                rows: dict[str, Any] = {}
                if ref.path is not None:
                    rows = {str(r[ref.key]): r for r in load_rows(base / ref.path)}
                tables[table_name] = Table(
                    table_name, ref.key, rows, "file" if ref.path else str(ref.source)
                )
        function = load_function(spec.python, base) if spec.python else None
        assert not isinstance(function, str), function
        built[spec.name] = Tool(
            name=spec.name,
            description=spec.description,
            parameters=spec.parameters,
            kind=kind,
            callers=tuple(_callers(spec, assistant)),
            table=table_name,
            op=spec.table.op if spec.table else "lookup",
            where=dict(spec.table.where) if spec.table else {},
            set=dict(spec.table.set) if spec.table else {},
            limit=spec.table.limit if spec.table else 5,
            function=function,
            instructions=spec.simulated.instructions if spec.simulated else "",
        )
    return ToolBox(
        tools=built,
        tables=tables,
        max_calls_per_turn=use.max_calls_per_turn,
        max_calls_per_dialogue=use.max_calls_per_dialogue,
        timeout=use.timeout,
        calling=use.calling,
    )


def tool_callers(tools: list[ToolSpec], assistant: str) -> tuple[str, ...]:
    """The speakers that may call any tool, in first-declared order."""
    return tuple(dict.fromkeys(s for t in tools for s in _callers(t, assistant)))
