"""Ask a chat model for a typed object, feeding validation errors back until it complies."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import BaseModel, ValidationError

from agents.errors import ModelOutputError

T = TypeVar("T", bound=BaseModel)


def _raw_text(raw: Any) -> str:
    if isinstance(raw, AIMessage):
        if raw.tool_calls:
            return json.dumps(raw.tool_calls[0].get("args", {}))
        return raw.text if isinstance(raw.content, list) else str(raw.content)
    return str(raw)


def describe(error: Any) -> str:
    """One line saying what was wrong with a reply, precise enough for the model to fix it."""
    cause = error
    while cause is not None and not isinstance(cause, ValidationError):
        cause = cause.__cause__
    if isinstance(cause, ValidationError):
        parts = []
        for e in cause.errors(include_url=False)[:3]:
            where = ".".join(str(p) for p in e["loc"]) or "(root)"
            parts.append(
                f"{where}: {e['msg']} (got {json.dumps(e.get('input'), default=str)[:60]})"
            )
        return "; ".join(parts)
    text = str(error).strip()
    return text.splitlines()[0][:500] if text else repr(error)


async def ask_structured(
    model: BaseChatModel,
    schema: type[T],
    messages: Sequence[BaseMessage],
    *,
    retries: int = 2,
    validate: Callable[[T], str | None] | None = None,
) -> T:
    """Return `schema` parsed from the model's answer.

    An unparseable answer, a schema violation or a problem reported by `validate` is sent
    back to the model with the error, up to `retries` more times; then ModelOutputError.
    """
    parsed, _raw = await ask_structured_reply(
        model, schema, messages, retries=retries, validate=validate
    )
    return parsed


async def ask_structured_reply(
    model: BaseChatModel,
    schema: type[T],
    messages: Sequence[BaseMessage],
    *,
    retries: int = 2,
    validate: Callable[[T], str | None] | None = None,
    request: Mapping[str, Any] | None = None,
) -> tuple[T, Any]:
    """`ask_structured`, also returning the raw reply (its metadata carries logprobs).

    `request` holds extra request fields (e.g. `logprobs`) for rolegraph's own models; other
    LangChain models take such fields in their own configuration.
    """
    # rolegraph's own models answer directly; any other LangChain model through its runnable
    direct = getattr(model, "astructured", None)
    runnable = None if direct else model.with_structured_output(schema, include_raw=True)
    extra = dict(request or {})
    convo = list(messages)
    problem = ""
    for _ in range(retries + 1):
        try:
            out = await (direct(schema, convo, **extra) if direct else runnable.ainvoke(convo))  # type: ignore[union-attr]
        except (ValidationError, OutputParserException, json.JSONDecodeError) as exc:
            # some parsers raise instead of reporting through include_raw
            out = {"raw": "(a reply that did not parse)", "parsed": None, "parsing_error": exc}
        parsed, error = out.get("parsed"), out.get("parsing_error")
        if error is None and parsed is None:
            error = "the reply held no JSON object"
        if error is None and validate is not None:
            error = validate(parsed)
        if error is None:
            return parsed, out.get("raw")
        problem = describe(error)
        convo += [
            AIMessage(content=_raw_text(out.get("raw")) or "(empty)"),
            HumanMessage(
                content=f"That reply was invalid: {problem}\nReply again with only a JSON object "
                "that follows the schema exactly."
            ),
        ]
    raise ModelOutputError(
        f"{schema.__name__}: invalid output after {retries + 1} tries: {problem}"
    )
