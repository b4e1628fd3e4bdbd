"""Token accounting that role authors never have to think about.

The graph wraps every role call in `metered()`; a callback handler attached to each chat
model (`instrument`) adds every call's usage to the meter of the role that made it, and
rolegraph's own models, when they skip LangChain's callbacks, call `record_usage` directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import LLMResult

from agents.activity import ACTIVITY

_meter: ContextVar[dict[str, int] | None] = ContextVar("rolegraph_usage_meter", default=None)


@contextmanager
def metered():
    """Collect the usage of every model call made inside the block into a fresh dict."""
    totals: dict[str, int] = {}
    token = _meter.set(totals)
    try:
        yield totals
    finally:
        _meter.reset(token)


def record_usage(usage: Mapping[str, Any] | None) -> None:
    """Add one finished call's `usage_metadata` to the active meter (if a role is metered)."""
    ACTIVITY.calls += 1
    totals = _meter.get()
    if totals is None:
        return
    totals["calls"] = totals.get("calls", 0) + 1
    for key in ("input_tokens", "output_tokens", "total_tokens"):
        totals[key] = totals.get(key, 0) + int((usage or {}).get(key, 0) or 0)


class UsageCallback(BaseCallbackHandler):
    """Adds `usage_metadata` of each finished chat-model call to the active meter."""

    run_inline = True  # keep the caller's context, where the meter lives

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        first = (
            response.generations[0][0] if response.generations and response.generations[0] else None
        )
        record_usage(getattr(getattr(first, "message", None), "usage_metadata", None))


def instrument(model: Any) -> Any:
    """Attach the usage handler to a chat model (once), so every call it makes is metered."""
    callbacks = model.callbacks
    if callbacks is None:
        model.callbacks = [UsageCallback()]
    elif isinstance(callbacks, list):
        if not any(isinstance(c, UsageCallback) for c in callbacks):
            callbacks.append(UsageCallback())
    else:  # a callback manager
        if not any(isinstance(c, UsageCallback) for c in callbacks.handlers):
            callbacks.add_handler(UsageCallback(), inherit=False)
    return model
