"""JSON Schema → a valid value (and sloppy near-misses), for the mock server's structured answers."""

from __future__ import annotations

import contextlib
import json
import math
import random
import re
from typing import Any

_MAX_DEPTH = 6
_LOREM = "the quick brown fox jumps over a lazy dog while mock servers answer every call"
_WORDS = _LOREM.split()
_FORMATS = {"date-time": "2024-01-01T00:00:00Z", "date": "2024-01-01", "time": "12:00:00"}
_FORMATS |= {"email": "user@example.com", "uri": "https://example.com/"}
_SCHEMA_MARK = re.compile(r"JSON Schema", re.IGNORECASE)

# --- JSON Schema -> value -----------------------------------------------------------------


def _resolve(schema: Any, root: Any) -> Any:
    """Follow local `$ref`s (`#/$defs/X`) so generation sees the target schema."""
    for _ in range(32):
        if not (isinstance(schema, dict) and "$ref" in schema):
            break
        node = root
        for part in filter(None, str(schema["$ref"]).lstrip("#").split("/")):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        schema = node
    return schema


def _kind(schema: Any) -> str | None:
    if not isinstance(schema, dict):
        return None
    kind = schema.get("type")
    if isinstance(kind, list):
        return next((k for k in kind if k != "null"), "null")
    if kind is None and ("properties" in schema or "additionalProperties" in schema):
        return "object"
    return "array" if kind is None and ("items" in schema or "prefixItems" in schema) else kind


def _number(schema: dict[str, Any], integer: bool, index: int) -> int | float:
    names = ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum")
    lo, xlo, hi, xhi = (None if isinstance(v, bool) else v for v in map(schema.get, names))
    inf = math.inf
    if integer:
        low = max(-inf if lo is None else math.ceil(lo), -inf if xlo is None else xlo // 1 + 1)
        high = min(inf if hi is None else math.floor(hi), inf if xhi is None else -(-xhi // 1) - 1)
        return int(min(max(1 + index, low), high))
    bottom = max((b for b in (lo, xlo) if b is not None), default=None)
    top = min((t for t in (hi, xhi) if t is not None), default=None)
    value = 1.5 + index
    if bottom is not None and top is not None:
        return value if bottom < value < top else (bottom + top) / 2
    if bottom is not None and value <= bottom:
        return bottom + 1
    return top - 1 if top is not None and value >= top else value


def generate(schema: Any, root: Any = None, *, depth: int = 0, index: int = 0) -> Any:
    """A value valid for (a practical subset of) JSON Schema, so structured answers validate."""
    root = schema if root is None else root
    if not isinstance(schema, dict):
        return "x"
    deep, down = depth > _MAX_DEPTH, depth + 1
    if "const" in schema or "default" in schema:
        return schema.get("const", schema.get("default"))
    if schema.get("enum"):
        return schema["enum"][index % len(schema["enum"])]
    if "$ref" in schema:
        return generate(_resolve(schema, root), root, depth=down, index=index)
    if parts := schema.get("allOf"):
        values = [generate(p, root, depth=down, index=index) for p in parts]
        merged = all(isinstance(v, dict) for v in values)
        return {k: v for d in values for k, v in d.items()} if merged else values[0]
    if options := schema.get("anyOf") or schema.get("oneOf"):
        nulls = [s for s in options if _kind(_resolve(s, root)) == "null"]
        others = [s for s in options if s not in nulls] or options
        return generate((nulls if deep and nulls else others)[0], root, depth=down, index=index)
    kind = _kind(schema)
    if deep and isinstance(schema.get("type"), list) and "null" in schema["type"]:
        kind = "null"
    if kind == "object":
        required, props = list(schema.get("required", [])), schema.get("properties", {})
        out = {
            k: generate(v, root, depth=down) for k, v in props.items() if k in required or not deep
        }
        extra = schema.get("additionalProperties")
        extra = extra if isinstance(extra, dict) else {}
        return out | {k: generate(extra, root, depth=down) for k in required if k not in out}
    if kind == "array":
        prefix, items = schema.get("prefixItems", []), schema.get("items", {})
        count = 0 if deep else 1 if schema.get("uniqueItems") else 2
        count = max(count, schema.get("minItems", 0), len(prefix))
        count = min(count, schema.get("maxItems", count))
        picks = [prefix[i] if i < len(prefix) else items for i in range(count)]
        return [generate(s, root, depth=down, index=i) for i, s in enumerate(picks)]
    if kind in ("integer", "number"):
        return _number(schema, kind == "integer", index)
    if kind in ("boolean", "null"):
        return index % 2 == 0 if kind == "boolean" else None
    if schema.get("format") in _FORMATS:
        return _FORMATS[schema["format"]]
    text = " ".join(_WORDS[(index + i) % len(_WORDS)] for i in range(3))
    return text.ljust(schema.get("minLength", 0), "x")[: schema.get("maxLength", 10**9)]


def malformed(schema: Any, rng: random.Random) -> str:
    """Content a sloppy model might send: truncated JSON, or JSON that breaks the schema."""
    valid = json.dumps(generate(schema) if schema is not None else {})
    target = _resolve(schema, schema)
    if not target or rng.random() < 0.5:
        return valid[: len(valid) // 2] + " <truncated"
    if _kind(target) == "object" and target.get("required"):
        value = generate(target, schema)
        value.pop(target["required"][0], None)
        return json.dumps(value)
    return json.dumps(["not", "an", "object"] if _kind(target) == "object" else {"bad": True})


def _text(content: Any) -> str:
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def _tokens(text: str) -> int:
    return round(len(text.split()) * 1.3)


def prompt_schema(messages: list[Any]) -> dict[str, Any] | None:
    """The first JSON object after the words "JSON Schema" in the messages, if any."""
    text = "\n".join(_text(m.get("content")) for m in messages if isinstance(m, dict))
    decoder = json.JSONDecoder()
    for mark in _SCHEMA_MARK.finditer(text):
        start = text.find("{", mark.end())
        for _ in range(5):
            if start < 0:
                break
            with contextlib.suppress(ValueError):
                value, _end = decoder.raw_decode(text, start)
                if isinstance(value, dict):
                    return value
            start = text.find("{", start + 1)
    return None
