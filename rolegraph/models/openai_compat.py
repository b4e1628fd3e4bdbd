"""A chat model for OpenAI's API and any OpenAI-compatible server, whatever it supports.

Servers differ: some take `json_schema` response formats, some only tools, some only
`json_object`, some none of them; some want `max_tokens` rather than
`max_completion_tokens`. `OpenAICompatChat` tries the best method first, falls back when
the server refuses one (HTTP 400/404/422), and remembers what worked per server and model.

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
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr

from agents.errors import ModelOutputError, RolegraphError, TransportError
from rolegraph.models.chatmodel import (
    LeanChatModel,
    NativeTools,
    bounded_schema,
    json_schema_of,
    parsed_reply,
)
from rolegraph.models.http import HTTPClient, Response
from rolegraph.models.limits import (
    ThrottleClock,
    backoff,
    limiter_for,
    retry_after,
    throttle_clock,
    throttle_wait,
)
from rolegraph.version import __version__

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
_METHOD_FIELDS = {
    "json_schema": ("response_format", "json_schema"),
    "function_calling": ("tools", "tool_choice"),
    "json_mode": ("response_format", "json_object"),
    "prompt": (),
    "vllm": ("structured_outputs",),
    "guided_json": ("guided_json",),
    "tgi": ("response_format",),
}
OPENAI_HOST = "api.openai.com"
# What each server (base URL, model) turned out to accept, shared by every client of it.
_LEARNED: dict[tuple[str, str, str], str] = {}
_REFUSED = {400, 404, 422}  # the server does not take this request shape: try another
_RETRIED = {408, 409, 429}  # and every 5xx


class EndpointError(RolegraphError):
    """The server answered with an HTTP error; `status_code` says which (429 and 5xx are retried)."""

    def __init__(self, status_code: int, message: str, headers: dict[str, str] | None = None):
        self.status_code = status_code
        self.headers = headers or {}
        super().__init__(message)


class RequestRefused(EndpointError):
    """HTTP 400/404/422: the server does not accept this request (a parameter, a method).

    Also a 5xx that names a request field on trial: some servers (llama-cpp-python) answer
    a parameter they do not know with a 500 holding a validation error. `named` holds the
    fields on trial that the whole answer names (the message keeps only its start).
    """

    def __init__(
        self,
        status_code: int,
        message: str,
        headers: dict[str, str] | None = None,
        named: tuple[str, ...] = (),
    ):
        self.named = named
        super().__init__(status_code, message, headers)


class RateLimited(EndpointError):
    """HTTP 429 until the call's deadline passed (429s themselves are waited out, not failed)."""


class RateLimitDeadline(RateLimited):
    """A sample was rate limited for longer than its deadline: it fails, and is not retried
    (another try would find the sample's budget spent)."""

    retryable = False  # `agents.errors.is_transport_error` reads it


def _names_any(text: str, fields: tuple[str, ...]) -> bool:
    lowered = text.lower()
    return any(f.lower() in lowered for f in fields)


def _error_message(url: str, reply: Response) -> str:
    detail = reply.text.strip()
    try:  # {"error": {"message"}} (OpenAI, Ollama), {"error": "..."} (TGI, LM Studio),
        body = reply.json()  # {"object": "error", "message"} (vLLM)
        error = body.get("error") or (body.get("message") and body)
        detail = error.get("message", detail) if isinstance(error, dict) else str(error or detail)
    except (ValueError, AttributeError):
        pass
    detail = " ".join(str(detail).split())  # one line, whatever the server's layout
    hint = ""
    if reply.status in (401, 403):
        hint = " (check the API key)"
    return f"HTTP {reply.status} from {url}{hint}: {detail[:300]}"


def _wire_message(message: BaseMessage) -> dict[str, Any]:
    if isinstance(message, SystemMessage):
        out: dict[str, Any] = {"role": "system", "content": message.content}
    elif isinstance(message, HumanMessage):
        out = {"role": "user", "content": message.content}
    elif isinstance(message, AIMessage):
        out = {"role": "assistant", "content": message.content}
        if message.tool_calls:
            out["content"] = message.content or None
            out["tool_calls"] = [
                {
                    "id": call.get("id") or f"call_{i}",
                    "type": "function",
                    "function": {"name": call["name"], "arguments": json.dumps(call["args"])},
                }
                for i, call in enumerate(message.tool_calls)
            ]
    elif isinstance(message, ToolMessage):
        out = {"role": "tool", "content": message.content, "tool_call_id": message.tool_call_id}
    elif isinstance(message, ChatMessage):
        out = {"role": message.role, "content": message.content}
    else:
        raise ValueError(f"cannot send a {type(message).__name__} to a chat-completions API")
    if message.name:
        out["name"] = message.name
    return out


def _ai_message(choice: dict[str, Any], body: dict[str, Any]) -> AIMessage:
    wire = choice.get("message") or {}
    tool_calls = []
    for call in wire.get("tool_calls") or []:
        function = call.get("function") or {}
        try:
            args = json.loads(function.get("arguments") or "{}")
        except json.JSONDecodeError:
            args = {"__unparsed__": function.get("arguments")}
        if not isinstance(args, dict):
            args = {"__unparsed__": args}
        tool_calls.append({"id": call.get("id"), "name": function.get("name", ""), "args": args})
    usage = body.get("usage") or {}
    metadata = None
    if usage:
        metadata = {
            "input_tokens": int(usage.get("prompt_tokens") or 0),
            "output_tokens": int(usage.get("completion_tokens") or 0),
            "total_tokens": int(usage.get("total_tokens") or 0),
        }
    return AIMessage(
        content=wire.get("content") or "",
        tool_calls=tool_calls,
        usage_metadata=metadata,  # type: ignore[arg-type]
        response_metadata={
            "model_name": body.get("model"),
            "finish_reason": choice.get("finish_reason"),
            # the token log-probabilities, when asked for (G-Eval scoring reads them)
            **({"logprobs": choice["logprobs"]} if choice.get("logprobs") else {}),
        },
        id=body.get("id"),
    )


def _null_content(payload: dict[str, Any]) -> bool:
    """Does the request hold an assistant message with tool calls and `content: null`?"""
    return any(m.get("content") is None and m.get("tool_calls") for m in payload["messages"])


def _empty_content(payload: dict[str, Any]) -> dict[str, Any]:
    """The request with `content: ""` in place of each tool-calling message's null."""
    messages = [
        {**m, "content": ""} if m.get("content") is None and m.get("tool_calls") else m
        for m in payload["messages"]
    ]
    return {**payload, "messages": messages}


@lru_cache(maxsize=256)
def _schema_instruction(schema: type[BaseModel]) -> SystemMessage:
    return SystemMessage(
        content="Reply with only a JSON object, no prose, that follows this JSON Schema:\n"
        + json.dumps(json_schema_of(schema))
    )


class OpenAICompatChat(NativeTools, LeanChatModel):
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
    def structured_method(self) -> str | None:
        """The structured-output method this server accepted, once one has."""
        return _LEARNED.get(("structured", *self._server))

    @property
    def _token_param(self) -> str:
        """OpenAI's API wants `max_completion_tokens`; compatible servers know `max_tokens`."""
        host = urlsplit(self.base_url).hostname or ""
        default = "max_completion_tokens" if host == OPENAI_HOST else "max_tokens"
        return _LEARNED.get(("tokens", *self._server), default)

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
            return _error_message(base, reply)
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
            "messages": [_wire_message(m) for m in messages],
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
                            error = RateLimited(429, _error_message(url, reply), reply.headers)
                        elif reply.status in _REFUSED or (
                            reply.status >= 500
                            and (_names_any(reply.text, names) or (on_trial and server_errors >= 1))
                        ):
                            # llama-cpp-python answers an unknown response_format with a 500
                            named = tuple(f for f in names if _names_any(reply.text, (f,)))
                            raise RequestRefused(
                                reply.status, _error_message(url, reply), reply.headers, named
                            )
                        elif reply.status in _RETRIED or reply.status >= 500:
                            server_errors += reply.status >= 500
                            error = EndpointError(
                                reply.status, _error_message(url, reply), reply.headers
                            )
                            wait = retry_after(reply.headers) or backoff(failures)
                            failures += 1
                        else:
                            raise EndpointError(
                                reply.status, _error_message(url, reply), reply.headers
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
        last = _error_message(url, reply)
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
        self, payload: dict[str, Any], probing: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """`_sized`, sending `content: ""` for a tool-calling message when the server wants it.

        An assistant message that only called tools has `content: null` in OpenAI's format;
        some servers refuse the null (llama-cpp-python's validation answers a 500 naming
        `content`, and many chat templates cannot join a null to a string). The first such
        refusal is learned per server and the message goes again with an empty string.
        """
        if not _null_content(payload):
            return await self._sized(payload, probing)
        key = ("null_content", *self._server)
        if _LEARNED.get(key) == "refused":
            return await self._sized(_empty_content(payload), probing)
        if key in _LEARNED:
            return await self._sized(payload, probing)
        try:
            answer = await self._sized(payload, probing, ("content",))
        except RequestRefused as exc:
            if "content" not in exc.named:
                raise
            _LEARNED[key] = "refused"
            return await self._sized(_empty_content(payload), probing)
        _LEARNED[key] = "accepted"
        return answer

    async def _sized(
        self, payload: dict[str, Any], probing: tuple[str, ...] = (), trying: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """`_post`, switching between `max_completion_tokens` and `max_tokens` as the server wants.

        `probing` are the fields of a structured-output method on trial, `trying` other fields
        whose refusal the caller handles.
        """
        name = self._token_param
        learned = ("tokens", *self._server) in _LEARNED
        trial = (name,) if name in payload and not learned else ()
        try:
            answer = await self._post(payload, (*probing, *trying, *trial), on_trial=bool(probing))
        except RequestRefused as exc:
            if not trial or name not in str(exc):
                raise
            other = "max_tokens" if name == "max_completion_tokens" else "max_completion_tokens"
            _LEARNED[("tokens", *self._server)] = other
            payload = dict(payload)
            payload[other] = payload.pop(name)
            return await self._post(payload, (*probing, *trying), on_trial=bool(probing))
        if trial:
            _LEARNED[("tokens", *self._server)] = name
        return answer

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        probing = kwargs.pop("_probing", ())
        body = await self._complete(self._payload(messages, stop, **kwargs), probing)
        message = _ai_message(body["choices"][0], body)
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

    # -- structured output ---------------------------------------------------------------

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
        if self.structured_method != method and not self.structured_output:
            kwargs["_probing"] = _METHOD_FIELDS[method]  # on trial: a 5xx may be a refusal
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
        if method or self.structured_method:
            order = [method or self.structured_method]
            return await self._try_methods(schema, messages, order, request)
        async with self._probe_lock():
            if self.structured_method is None:
                return await self._try_methods(schema, messages, list(METHODS), request)
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
            _LEARNED[("structured", *self._server)] = method
            return out
        if self.structured_output:
            raise ModelOutputError(
                f"the server refused structured_output '{self.structured_output}' set for this "
                f"model: {refused[0]}"
            )
        raise ModelOutputError(
            "the server refused every structured-output method: " + "; ".join(refused)
        )
