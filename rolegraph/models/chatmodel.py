"""The base of rolegraph's own chat models: LangChain models with a direct path when unobserved.

`BaseChatModel.ainvoke` builds a callback manager, run ids and tracing hooks on every call;
at thousands of calls per second that machinery costs more CPU than the call itself. When
nobody is listening (no callbacks besides rolegraph's usage meter, no tracing, no cache, no
rate limiter) `LeanChatModel.ainvoke` calls `_agenerate` directly and meters usage itself.
With a tracer, a callback or a cache configured, every call takes LangChain's full path.

`astructured(schema, messages)` is the structured-output entry point `ask_structured`
prefers: it returns `{"raw", "parsed", "parsing_error"}` without building a runnable chain.
`NativeTools` gives a model LangChain's `bind_tools` in the OpenAI wire format.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import BaseCallbackManager
from langchain_core.exceptions import OutputParserException
from langchain_core.globals import get_llm_cache
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda
from langchain_core.runnables.config import var_child_runnable_config
from pydantic import BaseModel

from agents.usage import UsageCallback, record_usage
from rolegraph.models.jsonout import parse_into

try:
    from langchain_core.tracers.context import _tracing_v2_is_enabled
except ImportError:  # pragma: no cover - a future langchain-core moved it: always trace-safe

    def _tracing_v2_is_enabled() -> bool:
        return True


def _only_meters(callbacks: Any) -> bool:
    if not callbacks:
        return True
    if isinstance(callbacks, BaseCallbackManager):
        handlers = [*callbacks.handlers, *callbacks.inheritable_handlers]
    else:
        handlers = list(callbacks)
    return all(isinstance(h, UsageCallback) for h in handlers)


_SCHEMAS: dict[type[BaseModel], dict[str, Any]] = {}


def json_schema_of(schema: type[BaseModel]) -> dict[str, Any]:
    """`schema.model_json_schema()`, computed once per class (it costs about a millisecond)."""
    if schema not in _SCHEMAS:
        _SCHEMAS[schema] = schema.model_json_schema()
    return _SCHEMAS[schema]


def bounded_schema(schema: Any, max_string: int = 300, max_items: int = 3) -> Any:
    """Bound strings and arrays so a small model cannot ramble past its token budget."""
    if isinstance(schema, dict):
        out = {k: bounded_schema(v, max_string, max_items) for k, v in schema.items()}
        if out.get("type") == "string" and "enum" not in out:
            out.setdefault("maxLength", max_string)
        if out.get("type") == "array":
            out.setdefault("maxItems", max_items)
        return out
    if isinstance(schema, list):
        return [bounded_schema(v, max_string, max_items) for v in schema]
    return schema


def parsed_reply(
    schema: type[BaseModel], raw: AIMessage, text: str | None = None
) -> dict[str, Any]:
    """`{"raw", "parsed", "parsing_error"}` for a reply holding JSON (in `text` or its content)."""
    message = raw if text is None else AIMessage(content=text)
    try:
        return {"raw": raw, "parsed": parse_into(schema, message), "parsing_error": None}
    except OutputParserException as exc:
        return {"raw": raw, "parsed": None, "parsing_error": exc}


class NativeTools:
    """`bind_tools` for a chat model whose `_agenerate` takes OpenAI `tools` and `tool_choice`.

    The tools (OpenAI dicts, functions or pydantic models) go out as `tools` on every call of
    the bound model, with `tool_choice: "auto"` unless one is given: OpenAI's default when
    tools are sent, said out loud because some servers (llama-cpp-python's
    `chatml-function-calling`) take a missing `tool_choice` as "none" and ignore the tools.
    """

    def offered_tool(self, tool: dict[str, Any]) -> dict[str, Any]:
        """A tool as this model sends it (a hook: a server may want its schema bounded)."""
        return tool

    def tool_calling_refused(self) -> str | None:
        """Why this model has no tool calling, or None when it has (a hook for test doubles)."""
        return None

    def bind_tools(
        self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any
    ) -> Runnable:
        """Offer `tools` on each call of the returned runnable; calls come back in `tool_calls`."""
        from langchain_core.utils.function_calling import convert_to_openai_tool

        refused = self.tool_calling_refused()
        if refused is not None:
            raise ToolCallingRefused(refused)
        offered = [self.offered_tool(convert_to_openai_tool(t)) for t in tools]
        bind = self.bind  # type: ignore[attr-defined]  # BaseChatModel's, next in the MRO
        return bind(tools=offered, tool_choice=tool_choice or "auto", **kwargs)  # type: ignore[no-any-return]


class ToolCallingRefused(NotImplementedError):
    """This model has no native tool calling. LangChain's own `bind_tools` raises
    NotImplementedError for such models, so callers (agents.tool_speaker) catch that and fall
    back to tool calls asked for as JSON in the prompt: a refusal, not an unfinished method."""


class LeanChatModel(BaseChatModel):
    """A BaseChatModel whose `ainvoke` skips LangChain's callback machinery when unobserved."""

    def _direct(self, config: RunnableConfig | None) -> bool:
        if self.rate_limiter is not None or self.cache is True:
            return False
        if self.cache is None and get_llm_cache() is not None:
            return False
        if not _only_meters(self.callbacks) or _tracing_v2_is_enabled():
            return False
        # callbacks of the graph or chain this call runs in (LangGraph passes them this way)
        inherited = var_child_runnable_config.get() or {}
        return _only_meters((config or {}).get("callbacks")) and _only_meters(
            inherited.get("callbacks")
        )

    async def ainvoke(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AIMessage:
        if not self._direct(config):
            return await super().ainvoke(input, config, stop=stop, **kwargs)
        messages = self._convert_input(input).to_messages()
        result = await self._agenerate(messages, stop=stop, **kwargs)
        message = result.generations[0].message
        record_usage(getattr(message, "usage_metadata", None))
        return message  # type: ignore[return-value]

    def response_format(self, schema: type[BaseModel]) -> dict[str, Any]:
        """The `response_format` this model's `_agenerate` understands for `schema`."""
        return {"type": "json_object", "schema": json_schema_of(schema)}

    async def astructured(
        self, schema: type[BaseModel], messages: list[BaseMessage], **request: Any
    ) -> dict[str, Any]:
        """Ask for JSON matching `schema`: `{"raw", "parsed", "parsing_error"}`.

        `request` holds extra request fields, e.g. `logprobs=True, top_logprobs=20`.
        """
        raw = await self.ainvoke(messages, response_format=self.response_format(schema), **request)
        return parsed_reply(schema, raw)

    def with_structured_output(  # type: ignore[override]
        self, schema: type[BaseModel], *, include_raw: bool = False, **kwargs: Any
    ) -> Runnable:
        async def run(value: Any) -> Any:
            out = await self.astructured(schema, self._convert_input(value).to_messages())
            if include_raw:
                return out
            if out["parsing_error"] is not None:
                raise out["parsing_error"]
            return out["parsed"]

        return RunnableLambda(run)
