"""A chat model for OpenAI's API and any OpenAI-compatible server, whatever it supports.

Servers differ: some want `max_tokens` rather than `max_completion_tokens`, some refuse
`content: null` beside tool calls, and they take structured output in different ways
(`rolegraph.models.structured`). `OpenAICompatChat` tries the best request first, falls
back when the server refuses it (HTTP 400/404/422, or a 5xx naming the field), and
remembers what worked per server and model (`rolegraph.models.wire.LEARNED`). Here: the
request loop, with the endpoint's limiter, retries and rate-limit waits.

It speaks the chat-completions wire format itself over `rolegraph.models.http` rather than
through the OpenAI SDK and `langchain_openai.ChatOpenAI`: side by side, those cost 7-10 ms
of CPU per call, this costs well under one (`bench/client_overhead.py`), and at hundreds
of calls per second that CPU is the run's ceiling. It is still a LangChain chat model, so
it works anywhere one does, with tracing and callbacks when they are configured.
"""

from __future__ import annotations

import asyncio
import functools
import json
from typing import Any
from urllib.parse import urlsplit

from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, Field, PrivateAttr, SecretStr

from agents.errors import TransportError
from rolegraph.models.chatmodel import LeanChatModel, NativeTools, bounded_schema
from rolegraph.models.http import HTTPClient, Response
from rolegraph.models.limits import (
    ThrottleClock,
    backoff,
    limiter_for,
    retry_after,
    throttle_clock,
    throttle_wait,
)
from rolegraph.models.structured import METHOD_NAMES, METHODS, StructuredOutput
from rolegraph.models.wire import (
    LEARNED,
    EndpointError,
    RateLimitDeadline,
    RateLimited,
    RequestRefused,
    ai_message,
    empty_content,
    error_message,
    names_any,
    null_content,
    wire_message,
)
from rolegraph.version import __version__

__all__ = [
    "METHODS",
    "METHOD_NAMES",
    "EndpointError",
    "OpenAICompatChat",
    "RateLimitDeadline",
    "RateLimited",
    "RequestRefused",
]

OPENAI_HOST = "api.openai.com"
_REFUSED = {400, 404, 422}  # the server does not take this request shape: try another
_RETRIED = {408, 409, 429}  # and every 5xx


class OpenAICompatChat(StructuredOutput, NativeTools, LeanChatModel):
    """OpenAI chat completions over lean HTTP, adapting to what each server supports."""

    model_config = ConfigDict(populate_by_name=True)

    model_name: str = Field(alias="model")
    base_url: str = "https://api.openai.com/v1"
    api_key: SecretStr = SecretStr("not-needed")
    temperature: float | None = None
    max_tokens: int | None = None
    timeout: float = 120.0
    max_in_flight: int | None = None  # ceiling of the endpoint's AIMD limit
    transport_retries: int = 6  # timeouts, lost connections, 5xx (429s do not count)
    rate_limit_deadline: float = 600.0  # seconds a sample (or a lone call) may be rate limited
    rpm: int | None = None  # client-side requests per minute
    tpm: int | None = None  # client-side tokens per minute (prompt bytes / 4 + max tokens)
    structured_output: str | None = None  # json_schema | tools | json_object | prompt: no probing
    # bound every string (and array: 3 items) in schemas sent to the server (structured output
    # and tool parameters), for small models behind a grammar (llama.cpp) that would otherwise
    # ramble past max_tokens
    schema_max_string: int | None = None
    default_headers: dict[str, str] = Field(default_factory=dict)
    label: str = ""  # the scenario's name for this model (`models.LABEL`), for messages
    extra_body: dict[str, Any] = Field(default_factory=dict)  # top_p, seed, ... sent as given
    _http: HTTPClient = PrivateAttr(
        default_factory=lambda: HTTPClient(user_agent=f"rolegraph/{__version__}")
    )
    _probe_locks: dict[int, asyncio.Lock] = PrivateAttr(default_factory=dict)

    @property
    def _llm_type(self) -> str:
        return "rolegraph-openai-compatible"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model_name, "base_url": self.base_url}

    @property
    def _server(self) -> tuple[str, str]:
        return (self.base_url.rstrip("/"), self.model_name)

    @property
    def _token_param(self) -> str:
        """OpenAI's API wants `max_completion_tokens`; compatible servers know `max_tokens`."""
        host = urlsplit(self.base_url).hostname or ""
        default = "max_completion_tokens" if host == OPENAI_HOST else "max_tokens"
        return LEARNED.get(("tokens", *self._server), default)

    async def aclose(self) -> None:
        """Close this client's HTTP connections (the runner calls it when a run ends)."""
        await self._http.aclose()

    async def preflight(self, timeout: float = 10.0) -> str | None:
        """Why nothing usable answers at `base_url` (one line), or None when a server does.

        `GET /models` first; a server without that route (404) gets a one-token chat call.
        Dead ports, unknown hosts and timeouts fail, and so do 401/403 (the key) and a 404
        on both (a wrong path); 429 and 5xx mean a server is there and the run goes ahead.
        """
        base = self._server[0]
        auth = {"Authorization": f"Bearer {self.api_key.get_secret_value()}"}
        try:
            reply = await self._http.get(
                base + "/models", {**auth, **self.default_headers}, timeout
            )
            if reply.status == 404:
                probe = {"model": self.model_name, "messages": [{"role": "user", "content": "hi"}]}
                probe[self._token_param] = 1
                reply = await self._http.post(
                    base + "/chat/completions",
                    json.dumps(probe).encode(),
                    {"Content-Type": "application/json", **auth, **self.default_headers},
                    timeout,
                )
        except (TransportError, TimeoutError, OSError) as exc:
            return f"nothing answers at {base}: {exc}"
        if reply.status in (401, 403):
            return error_message(base, reply)
        if reply.status == 404:
            return (
                f"{base} answers, but has no /models or /chat/completions (HTTP 404): "
                "check the base URL's path (it usually ends in /v1)"
            )
        return None

    # -- one request -------------------------------------------------------------------

    def _payload(
        self, messages: list[BaseMessage], stop: list[str] | None, **kwargs: Any
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self.model_name,
            "messages": [wire_message(m) for m in messages],
        }
        if self.temperature is not None:
            payload["temperature"] = self.temperature
        if self.max_tokens is not None:
            payload[self._token_param] = self.max_tokens
        if stop:
            payload["stop"] = stop
        payload.update(self.extra_body)
        payload.update(kwargs)
        return payload

    def _estimate_tokens(self, payload: dict[str, Any], body: bytes) -> int:
        """Tokens a request will count against a tokens-per-minute limit (about 4 bytes each)."""
        if self.tpm is None:
            return 0
        out = payload.get("max_completion_tokens") or payload.get("max_tokens") or 0
        return len(body) // 4 + int(out)

    async def _post(
        self, payload: dict[str, Any], names: tuple[str, ...] = (), on_trial: bool = False
    ) -> dict[str, Any]:
        """POST under the endpoint's limiter; transport errors and 5xx are retried, 429s waited.

        A 429 never spends `transport_retries`: the call waits (Retry-After, floor, jitter)
        and tries again until its sample has been rate limited for `rate_limit_deadline`
        seconds (outside a sample: until the call has; see `limits.ThrottleClock`).
        `names` are request fields the server may not know (a structured-output method's,
        the token-limit name): a 5xx whose body names one is the server refusing it; so is
        a second 5xx in a row for a structured-output method on its first use
        (`on_trial`), while one 5xx may be a blip.
        """
        url = self._server[0] + "/chat/completions"
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {self.api_key.get_secret_value()}",
            **self.default_headers,
        }
        body = json.dumps(payload).encode()
        limiter = limiter_for(*self._server, self.max_in_flight)
        limiter.configure(self.rpm, self.tpm)
        tokens = self._estimate_tokens(payload, body)
        failures = throttles = server_errors = 0
        clock = throttle_clock()  # the sample's, shared by all its calls; else this call's
        try:
            while True:
                launch = functools.partial(self._http.start, url, body, headers)
                async with limiter.slot(tokens, launch) as ticket:
                    try:
                        if ticket.started is not None:  # sent when the slot was handed over
                            reply = await self._http.finish(ticket.started, self.timeout)
                        else:
                            reply = await self._http.post(url, body, headers, self.timeout)
                    except (TransportError, TimeoutError, OSError) as exc:
                        error: Exception = exc
                        wait, failures = backoff(failures), failures + 1
                    else:
                        limiter.observe(reply.headers)
                        if reply.status == 200:
                            try:
                                answer = reply.json()
                                answer["choices"][0]
                            except (ValueError, KeyError, IndexError, TypeError):
                                error = EndpointError(
                                    502, f"unreadable answer from {url}: {reply.text[:200]!r}"
                                )
                                wait, failures = backoff(failures), failures + 1
                            else:
                                limiter.succeeded()
                                return answer  # type: ignore[no-any-return]
                        elif reply.status == 429:
                            limiter.throttled(ticket)
                            if not throttles:
                                clock.start()  # stopped in `finally`, whatever ends the call
                            throttles += 1
                            wait = throttle_wait(reply.headers, throttles)
                            if clock.used() + wait > self.rate_limit_deadline:
                                raise self._deadline_error(clock, throttles, url, reply)
                            error = RateLimited(429, error_message(url, reply), reply.headers)
                        elif reply.status in _REFUSED or (
                            reply.status >= 500
                            and (names_any(reply.text, names) or (on_trial and server_errors >= 1))
                        ):
                            # llama-cpp-python answers an unknown response_format with a 500
                            named = tuple(f for f in names if names_any(reply.text, (f,)))
                            raise RequestRefused(
                                reply.status, error_message(url, reply), reply.headers, named
                            )
                        elif reply.status in _RETRIED or reply.status >= 500:
                            server_errors += reply.status >= 500
                            error = EndpointError(
                                reply.status, error_message(url, reply), reply.headers
                            )
                            wait = retry_after(reply.headers) or backoff(failures)
                            failures += 1
                        else:
                            raise EndpointError(
                                reply.status, error_message(url, reply), reply.headers
                            )
                if failures > self.transport_retries:
                    raise error
                await asyncio.sleep(wait)  # outside the slot: waiting must not hold capacity
        finally:
            if throttles:
                clock.stop()

    def _deadline_error(
        self, clock: ThrottleClock, throttles: int, url: str, reply: Response
    ) -> RateLimited:
        """The error of a call whose deadline (its sample's, or its own) is spent."""
        last = error_message(url, reply)
        if not clock.per_sample:
            return RateLimited(
                429,
                f"still rate limited after {throttles} tries "
                f"({self.rate_limit_deadline:g} s deadline): {last}",
                reply.headers,
            )
        setting = f"models.{self.label}.params" if self.label else "this model's params"
        used = clock.used()
        seconds = f"{used:.0f}" if used >= 10 else f"{used:.1f}"
        return RateLimitDeadline(
            429,
            f"rate limited for {seconds} s, per-sample deadline reached; raise {setting}.rate_limit_deadline "
            f"(now {self.rate_limit_deadline:g} s) or lower --concurrency (last answer: {last})",
            reply.headers,
        )

    async def _complete(
        self, payload: dict[str, Any], method: tuple[str, ...] = (), on_trial: bool = False
    ) -> dict[str, Any]:
        """`_sized`, sending `content: ""` for a tool-calling message when the server wants it.

        An assistant message that only called tools has `content: null` in OpenAI's format;
        some servers refuse the null (llama-cpp-python's validation answers a 500 naming
        `content`, and many chat templates cannot join a null to a string). The first such
        refusal is learned per server and the message goes again with an empty string.
        """
        if not null_content(payload):
            return await self._sized(payload, method, on_trial=on_trial)
        key = ("null_content", *self._server)
        if LEARNED.get(key) == "refused":
            return await self._sized(empty_content(payload), method, on_trial=on_trial)
        if key in LEARNED:
            return await self._sized(payload, method, on_trial=on_trial)
        try:
            answer = await self._sized(payload, method, ("content",), on_trial)
        except RequestRefused as exc:
            if "content" not in exc.named:
                raise
            LEARNED[key] = "refused"
            return await self._sized(empty_content(payload), method, on_trial=on_trial)
        LEARNED[key] = "accepted"
        return answer

    async def _sized(
        self,
        payload: dict[str, Any],
        method: tuple[str, ...] = (),
        trying: tuple[str, ...] = (),
        on_trial: bool = False,
    ) -> dict[str, Any]:
        """`_post`, switching between `max_completion_tokens` and `max_tokens` as the server wants.

        `method` are the fields of the structured-output method the request uses (`on_trial`
        on its first use), `trying` other fields whose refusal the caller handles.
        """
        name = self._token_param
        learned = ("tokens", *self._server) in LEARNED
        trial = (name,) if name in payload and not learned else ()
        try:
            answer = await self._post(payload, (*method, *trying, *trial), on_trial)
        except RequestRefused as exc:
            if not trial or name not in str(exc):
                raise
            other = "max_tokens" if name == "max_completion_tokens" else "max_completion_tokens"
            LEARNED[("tokens", *self._server)] = other
            payload = dict(payload)
            payload[other] = payload.pop(name)
            return await self._post(payload, (*method, *trying), on_trial)
        if trial:
            LEARNED[("tokens", *self._server)] = name
        return answer

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        method = kwargs.pop("_method_fields", ())  # a 5xx naming one refuses the method
        on_trial = kwargs.pop("_on_trial", False)  # its first use: a second 5xx refuses it too
        body = await self._complete(self._payload(messages, stop, **kwargs), method, on_trial)
        message = ai_message(body["choices"][0], body)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        """Synchronous calls run on a private event loop and connection pool."""
        twin = self.model_copy()
        twin._http = HTTPClient(user_agent=self._http.user_agent)

        async def once() -> ChatResult:
            try:
                return await twin._agenerate(messages, stop, **kwargs)
            finally:
                await twin.aclose()

        return asyncio.run(once())

    def offered_tool(self, tool: dict[str, Any]) -> dict[str, Any]:
        """The tool with its parameters bounded by `schema_max_string`, when that is set."""
        if not self.schema_max_string or "function" not in tool:
            return tool
        function = dict(tool["function"])
        if "parameters" in function:
            function["parameters"] = bounded_schema(function["parameters"], self.schema_max_string)
        return {**tool, "function": function}
