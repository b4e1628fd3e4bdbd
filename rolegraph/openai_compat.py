"""ChatOpenAI for any OpenAI-compatible server, whatever it supports.

Servers differ: some take `json_schema` response formats, some only tools, some only
`json_object`, some none of them; some want `max_tokens` rather than
`max_completion_tokens`. This class tries the best method first, falls back when the
server refuses one (HTTP 400/404/422), and remembers what worked.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import openai
from langchain_core.messages import BaseMessage, SystemMessage
from langchain_core.prompt_values import PromptValue
from langchain_core.runnables import Runnable, RunnableLambda
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, PrivateAttr

from agents.errors import ModelOutputError
from rolegraph.jsonout import parse_into
from rolegraph.limits import backoff, limiter_for, retry_after

METHODS = ("json_schema", "function_calling", "json_mode", "prompt")
# What each server (base URL, model) turned out to accept, shared by every client of it.
_LEARNED: dict[tuple[str, str, str], str] = {}
_REFUSALS = (openai.BadRequestError, openai.UnprocessableEntityError, openai.NotFoundError)
_TRANSIENT = (
    openai.APITimeoutError,
    openai.APIConnectionError,
    openai.InternalServerError,
    openai.APIStatusError,
)


def _is_token_param_refusal(exc: Exception) -> bool:
    return "max_completion_tokens" in str(exc)


def _as_messages(value: Any) -> list[BaseMessage]:
    if isinstance(value, PromptValue):
        return value.to_messages()
    return list(value)


class CompatChatOpenAI(ChatOpenAI):
    """ChatOpenAI that adapts to the structured-output methods and token parameter a server takes."""

    transport_retries: int = 6
    max_in_flight: int | None = None
    _probe_locks: dict[int, asyncio.Lock] = PrivateAttr(default_factory=dict)

    async def aclose(self) -> None:
        """Close this client's HTTP connections (the runner calls it when a run ends)."""
        client = self.http_async_client
        if client is not None and not client.is_closed:
            await client.aclose()

    @property
    def _server(self) -> tuple[str, str]:
        return (str(self.openai_api_base or "https://api.openai.com/v1"), str(self.model_name))

    @property
    def _token_param(self) -> str:
        return _LEARNED.get(("tokens", *self._server), "max_completion_tokens")

    @_token_param.setter
    def _token_param(self, value: str) -> None:
        _LEARNED[("tokens", *self._server)] = value

    @property
    def _structured_method(self) -> str | None:
        return _LEARNED.get(("structured", *self._server))

    @_structured_method.setter
    def _structured_method(self, value: str) -> None:
        _LEARNED[("structured", *self._server)] = value

    def _probe_lock(self) -> asyncio.Lock:
        """One lock per event loop: only one call probes methods; the rest wait for its answer."""
        loop = asyncio.get_running_loop()
        return self._probe_locks.setdefault(id(loop), asyncio.Lock())

    @property
    def structured_method(self) -> str | None:
        """The structured-output method this server accepted, once one has."""
        return self._structured_method

    def _get_request_payload(
        self, input_: Any, *, stop: list[str] | None = None, **kwargs: Any
    ) -> dict:
        payload = super()._get_request_payload(input_, stop=stop, **kwargs)
        if self._token_param == "max_tokens" and "max_completion_tokens" in payload:
            payload["max_tokens"] = payload.pop("max_completion_tokens")
        return payload

    async def _agenerate(self, *args: Any, **kwargs: Any) -> Any:
        """One call, under the endpoint's AIMD limit, retried on transport errors."""
        limiter = limiter_for(*self._server, self.max_in_flight)
        for attempt in range(self.transport_retries + 1):
            wait = None
            async with limiter.slot():
                try:
                    result = await self._agenerate_once(*args, **kwargs)
                except openai.RateLimitError as exc:
                    limiter.throttled()
                    if attempt == self.transport_retries:
                        raise
                    wait = retry_after(exc.response.headers) or backoff(attempt)
                except _TRANSIENT as exc:
                    if attempt == self.transport_retries or (
                        isinstance(exc, openai.APIStatusError)
                        and exc.status_code < 500
                        and exc.status_code not in (408, 409)
                    ):
                        raise
                    wait = backoff(attempt)
                else:
                    limiter.succeeded()
                    return result
            await asyncio.sleep(wait)  # outside the slot: waiting must not hold capacity
        raise AssertionError("unreachable")  # pragma: no cover

    async def _agenerate_once(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super()._agenerate(*args, **kwargs)
        except openai.BadRequestError as exc:
            if self._token_param == "max_tokens" or not _is_token_param_refusal(exc):
                raise
            self._token_param = "max_tokens"  # an older server: send the legacy name from now on
            return await super()._agenerate(*args, **kwargs)

    def _generate(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super()._generate(*args, **kwargs)
        except openai.BadRequestError as exc:
            if self._token_param == "max_tokens" or not _is_token_param_refusal(exc):
                raise
            self._token_param = "max_tokens"
            return super()._generate(*args, **kwargs)

    def _method_runnable(self, schema: type[BaseModel], method: str) -> Runnable:
        if method != "prompt":
            return ChatOpenAI.with_structured_output(self, schema, method=method, include_raw=True)  # type: ignore[arg-type]
        instruction = SystemMessage(
            content="Reply with only a JSON object, no prose, that follows this JSON Schema:\n"
            + json.dumps(schema.model_json_schema())
        )

        async def call(value: Any) -> dict[str, Any]:
            raw = await self.ainvoke([*_as_messages(value), instruction])
            try:
                return {"raw": raw, "parsed": parse_into(schema, raw), "parsing_error": None}
            except Exception as exc:  # parse failures are data for the caller's retry loop
                return {"raw": raw, "parsed": None, "parsing_error": exc}

        return RunnableLambda(call)

    def with_structured_output(  # type: ignore[override]
        self,
        schema: type[BaseModel],
        *,
        include_raw: bool = False,
        method: str | None = None,
        **kwargs: Any,
    ) -> Runnable:
        async def run(value: Any) -> Any:
            if method or self._structured_method:
                return await attempt(value, [method or self._structured_method])
            async with self._probe_lock():
                if self._structured_method is None:
                    return await attempt(value, list(METHODS))
            return await attempt(value, [self._structured_method])

        async def attempt(value: Any, order: list[Any]) -> Any:
            tried = []
            for name in order:
                try:
                    out = await self._method_runnable(schema, name).ainvoke(value)
                except _REFUSALS as exc:
                    tried.append(f"{name}: {str(exc)[:120]}")
                    continue
                self._structured_method = name
                if include_raw:
                    return out
                if out["parsing_error"] is not None:
                    raise out["parsing_error"]
                return out["parsed"]
            raise ModelOutputError(
                "the server refused every structured-output method: " + "; ".join(tried)
            )

        return RunnableLambda(run)
