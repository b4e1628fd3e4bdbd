"""Tools the speakers may call: declarations, the three implementation kinds, and one call.

A tool is declared with a name, a description and JSON-Schema `parameters` (the OpenAI
function format) and implemented by one of:
- `table`: a lookup, search, update or insert over a keyed table (a file of the scenario or
  the sample's record); the operation reads and writes the sample's environment;
- `python`: a function `fn(**arguments, env=Environment)` (sync or async; `env` only if the
  function takes it); what it returns is the result, what it raises an error result;
- `simulated`: a model plays the tool, instructed by the facts and the tool's own
  instructions; its answer to the same arguments is cached per sample, so a repeated call
  gets the same result.

`ToolBox` holds the run's tools, tables and bounds (it travels in `RunContext.tools`);
`ToolBox.run(call, ...)` validates one call against its schema and runs it with a timeout.
The runtime builds the ToolBox from the scenario (rolegraph/scenario/tools.py); agents/
never imports rolegraph/.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agents.environment import Environment, Table, new_environment

# the run context (agents.context.RunContext) is passed in untyped: context imports ToolBox
RunContext = Any

TABLE_OPS = ("lookup", "search", "update", "insert")


@dataclass(frozen=True)
class Tool:
    """One declared tool and how it is implemented (kind: table, python or simulated)."""

    name: str
    description: str
    parameters: Mapping[str, Any]
    kind: str
    callers: tuple[str, ...] = ()
    table: str | None = None  # table tools: the table's name
    op: str = "lookup"  # table tools: lookup | search | update | insert
    where: Mapping[str, Any] = field(default_factory=dict)  # search: fixed column filters
    set: Mapping[str, Any] = field(default_factory=dict)  # update: fixed values written too
    limit: int = 5  # search: most rows returned
    function: Callable[..., Any] | None = None  # python tools
    instructions: str = ""  # simulated tools: how the tool behaves

    def openai(self) -> dict[str, Any]:
        """The tool in the OpenAI `tools` format (what `bind_tools` and trainers read)."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": dict(self.parameters),
            },
        }


class ToolError(Exception):
    """A tool refused or failed the call; the message goes back to the model as the result."""


_VALIDATORS: dict[int, tuple[Mapping[str, Any], Any]] = {}


def _validator(parameters: Mapping[str, Any]) -> Any:
    """A jsonschema validator per schema object, built once (building one costs ~50 us)."""
    import jsonschema

    known = _VALIDATORS.get(id(parameters))
    if known is None or known[0] is not parameters:
        known = (parameters, jsonschema.Draft202012Validator(dict(parameters)))
        _VALIDATORS[id(parameters)] = known
    return known[1]


def argument_errors(parameters: Mapping[str, Any], arguments: Any) -> list[str]:
    """Why `arguments` do not validate against the JSON Schema `parameters` (empty: valid)."""
    if not isinstance(arguments, dict):
        return [f"arguments must be a JSON object, not {type(arguments).__name__}"]
    validator = _validator(parameters)
    if validator.is_valid(arguments):
        return []
    problems = []
    for error in sorted(validator.iter_errors(arguments), key=lambda e: list(e.path)):
        where = ".".join(str(p) for p in error.path)
        problems.append(f"{where}: {error.message}" if where else error.message)
    return problems


def schema_problems(parameters: Mapping[str, Any]) -> list[str]:
    """Why `parameters` is not a usable JSON Schema for a tool's arguments (empty: fine)."""
    import jsonschema

    try:
        jsonschema.Draft202012Validator.check_schema(dict(parameters))
    except jsonschema.SchemaError as exc:
        return [exc.message]
    if parameters.get("type", "object") != "object":
        return ["a tool's parameters must be a JSON Schema of type 'object'"]
    return []


def result_text(result: Any) -> str:
    """A tool result as the text a model (and the `tool` message) gets."""
    return result if isinstance(result, str) else json.dumps(result, ensure_ascii=False)


def call_key(name: str, arguments: Mapping[str, Any]) -> str:
    """The cache key of a call: the tool and its arguments in canonical JSON."""
    return f"{name}:{json.dumps(arguments, sort_keys=True, ensure_ascii=False)}"


@dataclass(frozen=True)
class ToolBox:
    """A run's tools, their tables and the bounds on calling them."""

    tools: Mapping[str, Tool]
    tables: Mapping[str, Table] = field(default_factory=dict)
    max_calls_per_turn: int = 4
    max_calls_per_dialogue: int = 16
    timeout: float = 10.0
    calling: str = "auto"  # auto: native tool calling when the model has it; json; native

    def for_speaker(self, speaker: str) -> list[Tool]:
        """The tools `speaker` may call, in declaration order."""
        return [t for t in self.tools.values() if speaker in t.callers]

    @property
    def callers(self) -> list[str]:
        """Every speaker that may call at least one tool."""
        return list(dict.fromkeys(s for t in self.tools.values() for s in t.callers))

    def openai_tools(self, speaker: str) -> list[dict[str, Any]]:
        """`speaker`'s tools in the OpenAI format (the `tools` list of a record)."""
        return [t.openai() for t in self.for_speaker(speaker)]

    def new_environment(self, record: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """A sample's starting environment (from its record, when it has one)."""
        return new_environment(self.tables, record)

    def view(self, env: Mapping[str, Any] | None) -> Environment:
        """An Environment over a sample's env dict (a copy: changes need `.data` kept)."""
        return Environment(env or self.new_environment(), self.tables)

    async def run(
        self,
        call: Mapping[str, Any],
        speaker: str,
        env: Mapping[str, Any] | None,
        ctx: RunContext | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Run one call; returns (the call with its outcome, the environment after it).

        The call's `status` becomes "ok", "error" (the tool raised or timed out: the model
        gets the error as the result, as from a real API) or "refused" (unknown tool, a
        tool this speaker may not call, arguments that fail the schema). Only an "ok" call
        changes the environment.
        """
        started = time.perf_counter()
        done = dict(call)
        view = self.view(env)
        tool = self.tools.get(str(call.get("name")))
        arguments = call.get("arguments")
        status, result, error = "ok", None, None
        if tool is None:
            status = "refused"
            error = f"unknown tool '{call.get('name')}' (tools: {', '.join(self.tools)})"
        elif speaker not in tool.callers:
            status, error = "refused", f"{speaker} may not call '{tool.name}'"
        elif problems := argument_errors(tool.parameters, arguments):
            status, error = "refused", f"invalid arguments for {tool.name}: " + "; ".join(problems)
        else:
            try:
                result = await asyncio.wait_for(
                    self._invoke(tool, dict(arguments), view, ctx),  # type: ignore[arg-type]
                    timeout=self.timeout,
                )
            except TimeoutError:
                status, error = "error", f"{tool.name} timed out after {self.timeout:g} s"
            except Exception as exc:  # a tool that raises answers the model with the error
                status, error = "error", f"{type(exc).__name__}: {exc}"
            if status == "ok":
                result = _json_safe(result)
        after = dict(env or self.new_environment()) if status != "ok" else view.data
        after["calls"] = int(after.get("calls", 0)) + 1
        done.update(
            status=status,
            result=result if status == "ok" else {"error": error},
            error=error,
            seconds=round(time.perf_counter() - started, 6),
        )
        return done, after

    async def _invoke(
        self, tool: Tool, arguments: dict[str, Any], env: Environment, ctx: RunContext | None
    ) -> Any:
        if tool.kind == "table":
            return table_call(tool, arguments, env)
        if tool.kind == "python":
            assert tool.function is not None
            return await python_call(tool.function, arguments, env)
        if tool.kind == "simulated":
            return await simulated_call(tool, arguments, env, ctx)
        raise ToolError(f"tool '{tool.name}' has no implementation kind '{tool.kind}'")


def _json_safe(value: Any) -> Any:
    try:
        return json.loads(json.dumps(value, ensure_ascii=False))
    except (TypeError, ValueError):
        return str(value)


def table_call(tool: Tool, arguments: dict[str, Any], env: Environment) -> Any:
    """A table tool: lookup / update by the key column, search by columns, insert a row."""
    assert tool.table is not None
    key_column = env._table(tool.table).key
    if tool.op == "search":
        rows = env.find(tool.table, **{**arguments, **tool.where})
        return rows[: tool.limit]
    if tool.op == "insert":
        return env.insert(tool.table, arguments)
    if key_column not in arguments:
        raise ToolError(f"{tool.name} needs the argument '{key_column}'")
    key = arguments[key_column]
    if tool.op == "update":
        values = {**{k: v for k, v in arguments.items() if k != key_column}, **tool.set}
        try:
            return env.update(tool.table, key, **values)
        except KeyError as exc:
            raise ToolError(str(exc.args[0])) from None
    row = env.get(tool.table, key)
    if row is None:
        raise ToolError(f"no {tool.table} with {key_column} {key!r}")
    return row


async def python_call(
    function: Callable[..., Any], arguments: dict[str, Any], env: Environment
) -> Any:
    """Call a Python tool; sync functions run in a thread so a slow one can time out."""
    kwargs = dict(arguments)
    if "env" in inspect.signature(function).parameters:
        kwargs["env"] = env
    if inspect.iscoroutinefunction(function):
        return await function(**kwargs)
    return await asyncio.to_thread(function, **kwargs)


SIMULATED_PROMPT = (
    "You simulate the tool `{name}`: {description}\n{instructions}\n"
    "Stay consistent with these facts:\n{facts}\n"
    "Answer the call with only the tool's result as one JSON value, no prose."
)


async def simulated_call(
    tool: Tool, arguments: dict[str, Any], env: Environment, ctx: RunContext | None
) -> Any:
    """A model plays the tool; the same arguments get the same (cached) answer per sample."""
    from langchain_core.messages import HumanMessage, SystemMessage

    key = call_key(tool.name, arguments)
    if key in env.data["cache"]:
        return env.data["cache"][key]
    if ctx is None:
        raise ToolError(f"simulated tool '{tool.name}' needs a model (no run context)")
    system = SIMULATED_PROMPT.format(
        name=tool.name,
        description=tool.description,
        instructions=tool.instructions,
        facts=(ctx.facts_text() or "(none)")
        + (
            f"\nThe sample's record: {json.dumps(env.record, ensure_ascii=False)}"
            if env.record
            else ""
        ),
    )
    call = f"{tool.name}({json.dumps(arguments, ensure_ascii=False)})"
    reply = await ctx.model_for("tools").ainvoke(
        [SystemMessage(content=system), HumanMessage(content=call)]
    )
    text = str(reply.text).strip()
    try:
        result: Any = json.loads(text.removeprefix("```json").strip("`\n "))
    except ValueError:
        result = text
    env.data["cache"][key] = result
    return result


def turn_calls(turn: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The tool calls a turn made before its text (empty for a turn without tools)."""
    return list(turn.get("calls") or [])


def call_lines(turn: Mapping[str, Any], width: int = 300) -> list[str]:
    """A turn's calls and results as transcript lines (for the critic, reviser and report)."""
    lines = []
    for call in turn_calls(turn):
        args = json.dumps(call.get("arguments"), ensure_ascii=False)
        outcome = result_text(call.get("result"))
        if len(outcome) > width:
            outcome = outcome[: width - 3] + "..."
        status = "" if call.get("status") == "ok" else f" [{call.get('status')}]"
        lines.append(f"    tool call {call.get('name')}({args}){status} -> {outcome}")
    return lines


def results_before(turns: Sequence[Mapping[str, Any]], index: int) -> list[dict[str, Any]]:
    """Every successful call made up to and including turn `index` (before its text)."""
    return [c for turn in turns[: index + 1] for c in turn_calls(turn) if c.get("status") == "ok"]
