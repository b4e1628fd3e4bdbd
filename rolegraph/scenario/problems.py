"""Pydantic's validation errors, told as a scenario author needs them: line, field, plain words."""

from __future__ import annotations

import difflib
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from rolegraph.scenario.yamlsource import Located, format_path


def pydantic_problems(
    exc: ValidationError, located: Located, root: type[BaseModel]
) -> list[tuple[int, str, str]]:
    """Pydantic's errors as (line, field path, message), in words a scenario author reads."""
    errors = exc.errors(include_url=False)
    # A misspelled required key shows up twice: as an unknown key and as a missing one. Say it once.
    meant: set[tuple[tuple[str | int, ...], str]] = set()
    out: list[tuple[int, str, str, Any]] = []
    for error in errors:
        loc = tuple(error["loc"])
        msg = error["msg"]
        if error["type"] == "extra_forbidden":
            parent = located.data_path(loc[:-1])
            present = located.data_at(parent)
            allowed = _keys_at(root, parent)
            unused = [k for k in allowed if not (isinstance(present, dict) and k in present)]
            close = difflib.get_close_matches(str(loc[-1]), unused, n=1)
            msg = f"unknown key '{loc[-1]}'"
            if close:
                msg += f" (did you mean '{close[0]}'?)"
                meant.add((parent, close[0]))
            elif allowed:
                msg += f" (expected one of: {', '.join(allowed)})"
        elif error["type"] == "missing":
            msg = f"required key '{loc[-1]}' is missing"
        elif error["type"] in ("model_type", "model_attributes_type"):
            msg = f"should be a mapping of keys, not {_kind(error['input'])}"
        elif error["type"] == "too_short":
            msg = msg.replace(" after validation", "")
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        loc, msg = _condition_loc(loc, msg, located)
        out.append((located.line_of(loc), format_path(located.data_path(loc)), msg, error))
    return [
        (line, where, msg)
        for line, where, msg, error in out
        if error["type"] != "missing"
        or (located.data_path(tuple(error["loc"][:-1])), error["loc"][-1]) not in meant
    ]


def _condition_loc(loc: tuple[Any, ...], msg: str, located: Located) -> tuple[tuple[Any, ...], str]:
    """Point errors in a condition's shorthand form at what was written, not at the expanded form."""
    if len(loc) < 4 or loc[0] != "conditions" or not isinstance(loc[3], int):
        return loc, msg
    written = located.data_at(loc[:2])
    if (
        isinstance(written, dict)
        and "values" not in written
        and loc[2] == "weights"
        and loc[3] < len(written)
    ):
        return (*loc[:2], list(written)[loc[3]]), msg.replace("Input", "the weight", 1)
    if isinstance(written, list) and loc[2] == "values":
        return (*loc[:2], *loc[3:]), msg
    return loc, msg


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"text ('{value}')" if len(value) <= 40 else "text"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _keys_at(root: type[BaseModel], path: tuple[str | int, ...]) -> list[str]:
    """The keys allowed in the mapping at `path` of a scenario (empty if it is not a fixed model)."""
    tp: Any = root
    for part in (*path, None):
        while True:  # strip Annotated[...] and `X | None`
            if get_origin(tp) is Annotated:
                tp = get_args(tp)[0]
            elif get_origin(tp) in (Union, types.UnionType):
                options = [a for a in get_args(tp) if a is not type(None)]
                if len(options) != 1:
                    return []
                tp = options[0]
            else:
                break
        if part is None:
            break
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(part) if isinstance(part, str) else None
            if field is None:
                return []
            tp = field.annotation
        elif get_origin(tp) is list and isinstance(part, int):
            tp = get_args(tp)[0]
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        else:
            return []
    return list(tp.model_fields) if isinstance(tp, type) and issubclass(tp, BaseModel) else []
