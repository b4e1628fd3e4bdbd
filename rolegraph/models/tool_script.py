"""A deterministic tool-calling policy for the scripted model and the mock server.

`next_tool_call(tools, messages)` plays an agent that calls each offered tool once per
conversation, in the order offered, one call per turn, with arguments it can justify:
a value of the same name in an earlier tool result (latest first), else a value in the
dialogue matching the parameter's JSON-Schema `pattern`, else the parameter's `const`,
`enum` or `default`. A tool whose required arguments cannot all be filled is skipped.
So a scripted run is reproducible and makes only calls the critic's checks accept; a
test that wants other calls scripts them itself.

It reads OpenAI wire-format messages (dicts with role, content, tool_calls), so the mock
server uses it as it is; it imports nothing heavier than `re` and `json`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any


def _parsed(content: Any) -> Any:
    if not isinstance(content, str):
        return content
    try:
        return json.loads(content)
    except ValueError:
        return content


def _find(value: Any, name: str, depth: int = 0) -> Iterator[Any]:
    """Values under key `name` in a JSON value (a dict, or rows of a list), first hits first."""
    if depth > 3:
        return
    if isinstance(value, Mapping):
        if name in value and not isinstance(value[name], dict | list):
            yield value[name]
        for inner in value.values():
            if isinstance(inner, dict | list):
                yield from _find(inner, name, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _find(item, name, depth + 1)


def _text(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    return content if isinstance(content, str) else ""


def fill(name: str, schema: Mapping[str, Any], results: Sequence[Any], texts: Sequence[str]) -> Any:
    """A justified value for one parameter, or None when there is none."""
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and len(enum) == 1:
        return enum[0]
    for result in reversed(results):
        for value in _find(result, name):
            return value
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        bare = pattern.removeprefix("^").removesuffix("$")
        for text in texts:
            if hit := re.search(rf"(?<![\w-]){bare}(?![\w-])", text):
                return hit.group(0)
    if isinstance(enum, list) and enum:
        return enum[0]
    return schema.get("default")


def next_tool_call(
    tools: Sequence[Mapping[str, Any]], messages: Sequence[Mapping[str, Any]]
) -> dict[str, Any] | None:
    """The next call as `{"name", "arguments"}`, or None: answer in words now."""
    if not tools or (messages and messages[-1].get("role") == "tool"):
        return None  # a result just came back: say what it means first
    called = {
        (call.get("function") or {}).get("name")
        for m in messages
        if m.get("role") == "assistant"
        for call in m.get("tool_calls") or []
    }
    results = [_parsed(m.get("content")) for m in messages if m.get("role") == "tool"]
    dialogue = [_text(m) for m in messages if m.get("role") in ("user", "assistant")]
    system = [_text(m) for m in messages if m.get("role") == "system"]
    texts = [*reversed(dialogue), *system]
    for tool in tools:
        function = tool.get("function") or tool
        if function.get("name") in called:
            continue
        parameters = function.get("parameters") or {}
        properties = parameters.get("properties") or {}
        required = parameters.get("required") or []
        arguments = {}
        for pname, pschema in properties.items():
            value = fill(pname, pschema or {}, results, texts)
            if value is not None:
                arguments[pname] = value
        if all(r in arguments for r in required):
            return {"name": function.get("name"), "arguments": arguments}
    return None
