"""Structured output for models we drive ourselves: send a JSON Schema, parse and validate."""

from __future__ import annotations

import json
import re
from typing import Any

from langchain_core.exceptions import OutputParserException
from langchain_core.messages import AIMessage
from pydantic import BaseModel, ValidationError

_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.M)


def extract_json(text: str) -> Any:
    """The first JSON object in `text`, tolerating code fences and chatter around it."""
    cleaned = _FENCE.sub("", text.strip())
    try:
        return json.loads(cleaned, strict=False)  # strict=False: allow raw tabs/newlines in strings
    except json.JSONDecodeError:
        pass
    start = cleaned.find("{")
    if start < 0:
        raise OutputParserException(f"no JSON object in the reply: {text[:200]!r}")
    decoder = json.JSONDecoder(strict=False)
    try:
        value, _ = decoder.raw_decode(cleaned[start:])
    except json.JSONDecodeError as exc:
        raise OutputParserException(
            f"invalid JSON ({exc.msg} at char {exc.pos}): {text[:200]!r}"
        ) from exc
    return value


def parse_into(schema: type[BaseModel], message: AIMessage) -> BaseModel:
    """Validate the JSON in a reply against `schema`, as an OutputParserException on failure."""
    data = extract_json(str(message.content))
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "(root)"
        raise OutputParserException(
            f"{exc.error_count()} problem(s) with the JSON; first: {where}: {first['msg']}"
        ) from exc
