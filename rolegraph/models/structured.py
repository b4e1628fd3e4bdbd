"""Structured output from any OpenAI-compatible server: the methods, probing, what was learned.

Servers differ: some take `json_schema` response formats, some only tools, some only
`json_object`, some none of them. `StructuredOutput.astructured` tries the best method
first, falls back when the server refuses one, and remembers what worked per server and
model. A remembered method that the server later refuses (another server behind the same
URL, one restarted with other flags) is forgotten and the methods are tried again.
"""

from __future__ import annotations

import asyncio
import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from langchain_core.messages import BaseMessage, SystemMessage
from pydantic import BaseModel

from agents.errors import ModelOutputError
from rolegraph.models.chatmodel import bounded_schema, json_schema_of, parsed_reply
from rolegraph.models.wire import LEARNED, RequestRefused

METHODS = ("json_schema", "function_calling", "json_mode", "prompt")
# the names a scenario uses (`structured_output:`) for LangChain's method names, and the
# servers' own guided-decoding fields, which are never probed (a server that does not know
# a field ignores it, so trying one proves nothing): they are used only when named
METHOD_NAMES = {
    "json_schema": "json_schema",
    "tools": "function_calling",
    "json_object": "json_mode",
    "prompt": "prompt",
    "vllm": "vllm",  # `structured_outputs: {json: SCHEMA}` (current vLLM; replaced guided_json)
    "guided_json": "guided_json",  # `guided_json: SCHEMA` (vLLM before 0.12; later ones ignore it)
    "tgi": "tgi",  # `response_format: {type: json, value: SCHEMA}` (text-generation-inference)
}
# the request fields each method adds: a 5xx whose body names one is a refusal of the method
METHOD_FIELDS = {
    "json_schema": ("response_format", "json_schema"),
    "function_calling": ("tools", "tool_choice"),
    "json_mode": ("response_format", "json_object"),
    "prompt": (),
    "vllm": ("structured_outputs",),
    "guided_json": ("guided_json",),
    "tgi": ("response_format",),
}


@lru_cache(maxsize=256)
def _schema_instruction(schema: type[BaseModel]) -> SystemMessage:
    return SystemMessage(
        content="Reply with only a JSON object, no prose, that follows this JSON Schema:\n"
        + json.dumps(json_schema_of(schema))
    )


class StructuredOutput:
    """Mixin for `OpenAICompatChat`: `astructured` and the methods behind it.

    Expects `structured_output`, `schema_max_string`, `_server`, `_probe_locks` and
    `ainvoke` from the chat model it is mixed into.
    """

    if TYPE_CHECKING:  # what the chat model brings
        structured_output: str | None
        schema_max_string: int | None
        _probe_locks: dict[int, asyncio.Lock]
        _server: tuple[str, str]

        async def ainvoke(self, messages: list[BaseMessage], **kwargs: Any) -> Any: ...

    @property
    def structured_method(self) -> str | None:
        """The structured-output method this server accepted, once one has."""
        return LEARNED.get(("structured", *self._server))

    def _schema(self, schema: type[BaseModel]) -> dict[str, Any]:
        plain = json_schema_of(schema)
        if self.schema_max_string:
            return bounded_schema(plain, self.schema_max_string)  # type: ignore[no-any-return]
        return plain

    def _method_kwargs(self, schema: type[BaseModel], method: str) -> dict[str, Any]:
        if method == "json_schema":
            return {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": schema.__name__, "schema": self._schema(schema)},
                }
            }
        if method == "function_calling":
            function = {
                "name": schema.__name__,
                "description": (schema.__doc__ or "").strip()[:1000],
                "parameters": self._schema(schema),
            }
            return {
                "tools": [{"type": "function", "function": function}],
                "tool_choice": {"type": "function", "function": {"name": schema.__name__}},
            }
        if method == "json_mode":
            return {"response_format": {"type": "json_object"}}
        if method == "vllm":
            return {"structured_outputs": {"json": self._schema(schema)}}
        if method == "guided_json":
            return {"guided_json": self._schema(schema)}
        if method == "tgi":
            return {"response_format": {"type": "json", "value": self._schema(schema)}}
        return {}

    async def _structured_once(
        self,
        schema: type[BaseModel],
        messages: list[BaseMessage],
        method: str,
        request: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        if method in ("json_mode", "prompt"):  # the model sees the schema only in the prompt
            messages = [*messages, _schema_instruction(schema)]
        kwargs = self._method_kwargs(schema, method)
        kwargs["_method_fields"] = METHOD_FIELDS[method]  # a 5xx naming one is a refusal
        if self.structured_method != method and not self.structured_output:
            kwargs["_on_trial"] = True  # first use: a second 5xx in a row is a refusal too
        raw = await self.ainvoke(messages, **kwargs, **(request or {}))
        if method == "function_calling":
            if not raw.tool_calls:
                return parsed_reply(schema, raw)  # a model that answered in text anyway
            return parsed_reply(schema, raw, json.dumps(raw.tool_calls[0]["args"]))
        return parsed_reply(schema, raw)

    def _probe_lock(self) -> asyncio.Lock:
        """One lock per event loop: only one call probes methods; the rest wait for its answer."""
        loop = asyncio.get_running_loop()
        return self._probe_locks.setdefault(id(loop), asyncio.Lock())

    async def astructured(
        self,
        schema: type[BaseModel],
        messages: list[BaseMessage],
        method: str | None = None,
        **request: Any,
    ) -> dict[str, Any]:
        """Ask for JSON matching `schema`, by the best method this server accepts.

        `request` holds extra request fields, e.g. `logprobs=True, top_logprobs=20`.
        """
        method = method or (
            METHOD_NAMES[self.structured_output] if self.structured_output else None
        )
        if method:  # named: used as it is, never probed
            return await self._try_methods(schema, messages, [method], request)
        learned = self.structured_method
        if learned:
            try:
                return await self._structured_once(schema, messages, learned, request)
            except RequestRefused:  # another server behind this URL now: find its method again
                if LEARNED.get(("structured", *self._server)) == learned:
                    del LEARNED[("structured", *self._server)]
        async with self._probe_lock():
            if self.structured_method is None:
                order = [m for m in METHODS if m != learned]
                return await self._try_methods(schema, messages, order, request)
        return await self._try_methods(schema, messages, [self.structured_method], request)

    async def _try_methods(
        self,
        schema: type[BaseModel],
        messages: list[BaseMessage],
        order: list[Any],
        request: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        refused = []
        for method in order:
            try:
                out = await self._structured_once(schema, messages, method, request)
            except RequestRefused as exc:
                refused.append(f"{method}: {str(exc)[:120]}")
                continue
            LEARNED[("structured", *self._server)] = method
            return out
        if self.structured_output:
            raise ModelOutputError(
                f"the server refused structured_output '{self.structured_output}' set for this "
                f"model: {refused[0]}"
            )
        raise ModelOutputError(
            "the server refused every structured-output method: " + "; ".join(refused)
        )
