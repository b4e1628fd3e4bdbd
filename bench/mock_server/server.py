"""The mock server itself: its configuration, counters, the HTTP handling and every reply.

A small asyncio HTTP/1.1 keep-alive handler (no thread per request) serving
`POST /v1/chat/completions` and `GET /v1/models` on 127.0.0.1, with per-call latency,
injected faults (5xx, 429 with Retry-After, hangs, malformed structured output) and
capability switches that mimic servers lacking json_schema, json_object, tools or
`max_completion_tokens`. Import it from `bench.mock_server`.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import json
import random
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from bench.mock_limits import ServerLimits
from bench.mock_logprobs import parse_digits, token_logprobs
from bench.mock_quirks import (
    QUIRKS,
    Refusal,
    apply_quirks,
    constrained_schema,
    native_format,
    quirk_error,
)
from bench.mock_schema import _WORDS, _text, _tokens, generate, malformed, prompt_schema

Answer = dict[str, Any] | str | None
Responder = Callable[[dict[str, Any]], Answer | Awaitable[Answer]]

# lowercase made-up words (no digits, no capitals): text that never repeats and that the
# deterministic checks see as plain speech, neither names nor numbers
_VOCABULARY = [
    a + b + c
    for a in ("ba", "ko", "ri", "tu", "me", "sa", "lo", "ne")
    for b in ("la", "ri", "mo", "ta", "ke", "su", "no", "vi")
    for c in ("n", "s", "r", "l", "")
]
_REASONS = {s.value: s.phrase for s in HTTPStatus}
_GONE = (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError)


def _opt(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass
class MockConfig:
    """How a MockServer behaves: latency, answer size, fault rates and supported features."""

    latency_ms: float = _opt(0.0, "delay added to every chat call, in milliseconds")
    output_words: int = _opt(20, "words in a plain-text answer")
    varied_text: bool = _opt(
        False, "plain-text answers drawn at random from 320 words (no repeats)"
    )
    rate_5xx: float = _opt(0.0, "probability of a server error")
    status_5xx: int = _opt(500, "status code used for server errors")
    rate_429: float = _opt(0.0, "probability of HTTP 429 with a Retry-After header")
    retry_after: float = _opt(0.05, "Retry-After seconds sent with 429s")
    first_429: int = _opt(0, "answer the first N chat calls at once with 429 and Retry-After")
    rate_hang: float = _opt(0.0, "probability of sleeping hang_seconds, then answering")
    hang_seconds: float = _opt(30.0, "how long a hanging call sleeps")
    rate_malformed: float = _opt(0.0, "probability of invalid or schema-violating JSON output")
    seed: int | None = _opt(None, "seed of the fault RNG")
    model: str = _opt("mock-model", "model id listed by /v1/models")
    supports_json_schema: bool = _opt(True, "accept response_format json_schema")
    supports_json_object: bool = _opt(True, "accept response_format json_object")
    supports_tools: bool = _opt(True, "accept tools / tool_choice")
    accepts_max_completion_tokens: bool = _opt(True, "accept max_completion_tokens")
    accepts_max_tokens: bool = _opt(True, "accept max_tokens (OpenAI's reasoning models do not)")
    max_concurrent: int = _opt(0, "limit: chat calls served at once; more get 429 (0: none)")
    rps: float = _opt(0.0, "limit: requests per second, a token bucket (0: none)")
    burst: int = _opt(0, "bucket size for --rps (default: a tenth of a second's requests)")
    tpm: int = _opt(0, "limit: prompt + completion tokens per minute (0: none)")
    ratelimit_headers: bool = _opt(True, "send x-ratelimit-* counters when a limit is set")
    quirks: str = _opt("", f"behave like a real server: {', '.join(QUIRKS)}")
    context_tokens: int = _opt(0, "context window: prompt + max tokens above it are refused")
    schema_in_prompt: bool = _opt(True, "answer JSON to plain calls whose prompt has a JSON Schema")
    agent_tools: bool = _opt(
        False, "answer calls offering tools like an agent (see agent_tool_call): call, then talk"
    )
    logprobs: bool = _opt(False, "return token log-probabilities when a call asks for logprobs")
    digit_logprobs: str = _opt("", "with --logprobs: digit distribution, e.g. '2:0.5,4:0.5'")
    responder: Responder | None = None


@dataclass
class MockStats:
    """Counters tests read: HTTP requests, statuses, recent chat bodies, peak concurrency."""

    requests_total: int = 0
    status_counts: Counter[int] = field(default_factory=Counter)
    last_requests: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=100))
    in_flight: int = 0
    max_in_flight: int = 0
    started: float = field(default_factory=time.monotonic)
    per_second: Counter[tuple[int, int]] = field(default_factory=Counter)  # (second, status)
    chat_seconds: float = 0.0  # chat calls in progress, integrated over time (busy slot-seconds)
    _busy_since: float = 0.0
    _chats: int = 0

    def reset(self) -> None:
        """Zero every counter so one test phase does not see the previous one."""
        self.requests_total = self.max_in_flight = 0
        self.status_counts.clear()
        self.last_requests.clear()
        self.per_second.clear()
        self.started = time.monotonic()

    def chat_change(self, delta: int) -> None:
        """Account the busy time of chat calls being served (for mean concurrency)."""
        now = time.monotonic()
        self.chat_seconds += self._chats * (now - self._busy_since)
        self._busy_since, self._chats = now, self._chats + delta

    def summary(self) -> dict[str, Any]:
        """Counts, and answers per second by status, for benchmarks."""
        seconds = max((sec for sec, _ in self.per_second), default=-1) + 1
        timeline = {
            str(status): [self.per_second.get((sec, status), 0) for sec in range(seconds)]
            for status in sorted(self.status_counts)
        }
        return {
            "requests": self.requests_total,
            "status_counts": {str(k): v for k, v in self.status_counts.items()},
            "max_in_flight": self.max_in_flight,
            "chat_seconds": self.chat_seconds,
            "per_second": timeline,
        }


# --- HTTP plumbing --------------------------------------------------------------------------


@dataclass
class _Reply:
    status: int
    payload: Any
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self, keep_alive: bool) -> bytes:
        body = json.dumps(self.payload).encode()
        head = [
            f"HTTP/1.1 {self.status} {_REASONS.get(self.status, 'Unknown')}",
            "content-type: application/json",
            f"content-length: {len(body)}",
            f"connection: {'keep-alive' if keep_alive else 'close'}",
            *(f"{k}: {v}" for k, v in self.headers.items()),
        ]
        return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


class _Reject(Exception):
    """An OpenAI-style error reply, raised from deep inside request handling."""

    def __init__(self, status: int, message: str, param: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        error = {"message": message, "type": "invalid_request_error", "param": param, "code": None}
        error.update({k: v for k, v in extra.items() if k in ("type", "code")})
        self.reply = _Reply(status, {"error": error}, extra.get("headers", {}))


class TooManyRequests(_Reject):
    """HTTP 429 with Retry-After; a `responder` may raise it to throttle the calls it picks."""

    def __init__(self, retry_after: float = 0.05) -> None:
        super().__init__(
            429,
            "Rate limit reached for requests (mock). Please try again later.",
            type="requests",
            code="rate_limit_exceeded",
            headers={"retry-after": f"{retry_after:g}", "retry-after-ms": f"{retry_after * 1e3:g}"},
        )


# --- the server -----------------------------------------------------------------------------


class MockServer:
    """An OpenAI-compatible server on asyncio streams; `async with` yields its base URL."""

    def __init__(
        self, config: MockConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.config = config or MockConfig()
        self.host, self.port = host, port
        self.stats = MockStats()
        self.base_url = ""
        self._rng = random.Random(self.config.seed)
        c = self.config
        self.limits = ServerLimits(
            max_concurrent=c.max_concurrent,
            rps=c.rps,
            burst=c.burst,
            tpm=c.tpm,
            retry_after=c.retry_after,
            headers=c.ratelimit_headers,
        )
        self._ids = itertools.count(1)
        self._first_429 = c.first_429
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    async def start(self) -> str:
        """Bind host:port (0 picks a free port); return the base URL `http://HOST:PORT/v1`."""
        self._server = await asyncio.start_server(
            self._connection, self.host, self.port, backlog=4096
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self.base_url = f"http://{self.host}:{self.port}/v1"
        return self.base_url

    async def stop(self) -> None:
        """Stop listening and drop every open connection, hanging calls included."""
        if self._server is None:
            return
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> str:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve HTTP/1.1 requests on one connection until the client closes it or asks to."""
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while True:
                lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                method, target, version = lines[0].split(" ")
                pairs = (line.partition(":") for line in lines[1:])
                headers = {k.strip().lower(): v.strip() for k, sep, v in pairs if sep}
                length = int(headers.get("content-length") or 0)
                body = await reader.readexactly(length) if length else b""
                conn = headers.get("connection", "").lower()
                keep = conn == "keep-alive" or (version == "HTTP/1.1" and conn != "close")
                reply = await self._dispatch(method, target.split("?", 1)[0], body)
                writer.write(reply.encode(keep))
                await writer.drain()
                if not keep:
                    break
        except (*_GONE, asyncio.CancelledError):
            pass  # the client went away, sent something that is not HTTP/1.1, or stop() was called
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await writer.wait_closed()

    async def _dispatch(self, method: str, path: str, body: bytes) -> _Reply:
        """Route one request and keep the counters; unexpected errors become 500s."""
        stats = self.stats
        stats.requests_total += 1
        stats.in_flight += 1
        stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        try:
            if path.removeprefix("/v1") == "/chat/completions" and method == "POST":
                reply = await self._chat(body)
            elif path.removeprefix("/v1") == "/models" and method == "GET":
                model = {"id": self.config.model, "object": "model", "owned_by": "mock"}
                reply = _Reply(200, {"object": "list", "data": [model | {"created": 0}]})
            elif path == "/health":
                reply = _Reply(200, {"status": "ok"})
            else:
                raise _Reject(404, f"Unknown request URL: {method} {path}.", code="unknown_url")
        except _Reject as exc:
            reply = exc.reply
        except Exception as exc:
            reply = _Reject(500, f"mock server error: {exc!r}", type="server_error").reply
        finally:
            stats.in_flight -= 1  # a call cancelled by stop() is counted in no status
        if self.config.quirks and reply.status >= 400:  # errors in the named server's shape
            message = reply.payload["error"]["message"]
            shaped = quirk_error(self.config.quirks, reply.status, message)
            reply = _Reply(reply.status, shaped, reply.headers)
        stats.status_counts[reply.status] += 1
        stats.per_second[(int(time.monotonic() - stats.started), reply.status)] += 1
        return reply

    def _check(self, req: dict[str, Any]) -> None:
        """Refuse malformed requests and the features this server is configured to lack."""
        c, fmt = self.config, req.get("response_format")
        kind = fmt.get("type") if isinstance(fmt, dict) else None
        refusals = [
            (not isinstance(req.get("messages"), list) or not req["messages"], "messages",
             "'messages' must be a non-empty array."),
            (fmt is not None and kind not in ("text", "json_object", "json_schema")
             and not native_format(c.quirks, fmt), "response_format",
             f"Invalid value for 'response_format': {fmt!r}."),
            (kind == "json_schema" and not c.supports_json_schema, "response_format",
             "response_format type 'json_schema' is not supported by this server."),
            (kind == "json_schema" and not isinstance(fmt.get("json_schema"), dict)  # type: ignore[union-attr]
             and not native_format(c.quirks, fmt),
             "response_format.json_schema", "Missing required parameter: 'response_format.json_schema'."),
            (kind == "json_object" and not c.supports_json_object, "response_format",
             "response_format type 'json_object' is not supported by this server."),
            (not c.supports_tools and (req.get("tools") or req.get("tool_choice")) is not None, "tools",
             "'tools' is not supported by this server."),
            (bool(req.get("stream")), "stream", "This mock server does not stream; send stream=false."),
            (not c.accepts_max_completion_tokens and "max_completion_tokens" in req,
             "max_completion_tokens", "Unrecognized request argument supplied: max_completion_tokens"),
            (not c.accepts_max_tokens and "max_tokens" in req, "max_tokens",
             "Unsupported parameter: 'max_tokens' is not supported with this model. "
             "Use 'max_completion_tokens' instead."),
        ]  # fmt: skip
        if c.quirks:
            try:
                apply_quirks(c.quirks, req, c)
            except Refusal as exc:
                raise _Reject(exc.status, str(exc)) from None
        for refused, param, message in refusals:
            if refused:
                raise _Reject(400, message, param)

    @staticmethod
    def _forced_tool(req: dict[str, Any]) -> dict[str, Any] | None:
        """The function to call: named by tool_choice, the only tool, or the first if required."""
        tools = [t["function"] for t in req.get("tools") or [] if "function" in t]
        choice = req.get("tool_choice")
        if not tools or choice == "none":
            return None
        if isinstance(choice, dict):
            name = (choice.get("function") or {}).get("name")
            if (found := next((t for t in tools if t.get("name") == name), None)) is None:
                raise _Reject(400, f"Tool choice '{name}' is not in 'tools'.", "tool_choice")
            return found
        return tools[0] if len(tools) == 1 or choice == "required" else None

    async def _chat(self, raw: bytes) -> _Reply:
        """Answer one chat-completions call: limits, then latency, checks, faults and the answer."""
        try:
            req = json.loads(raw)
        except ValueError:
            raise _Reject(400, "We could not parse the JSON body of your request.") from None
        if not isinstance(req, dict):
            raise _Reject(400, "The request body must be a JSON object.")
        self.stats.last_requests.append(req)
        if self._first_429 > 0:
            self._first_429 -= 1
            raise TooManyRequests(self.config.retry_after)
        if self.limits.active:
            texts = [
                _text(m.get("content")) for m in req.get("messages") or [] if isinstance(m, dict)
            ]
            limit = req.get("max_completion_tokens") or req.get("max_tokens") or 0
            tokens = _tokens(" ".join(texts)) + (limit if isinstance(limit, int) else 0)
            refused = self.limits.admit(tokens)
            if refused is not None:
                message, wait = refused
                raise _Reject(
                    429,
                    message + " (mock). Please try again later.",
                    type="requests",
                    code="rate_limit_exceeded",
                    headers=self.limits.refusal_headers(wait),
                )
        self.limits.in_flight += 1
        self.stats.chat_change(+1)
        try:
            return await self._served(req)
        finally:
            self.limits.in_flight -= 1
            self.stats.chat_change(-1)

    async def _served(self, req: dict[str, Any]) -> _Reply:
        """A call the limits admitted: latency, checks, faults, then the answer."""
        c = self.config
        if c.latency_ms > 0:
            await asyncio.sleep(c.latency_ms / 1000)
        self._check(req)
        roll = self._rng.random()
        if roll < c.rate_hang:
            await asyncio.sleep(c.hang_seconds)
        elif roll < c.rate_hang + c.rate_429:
            raise TooManyRequests(c.retry_after)
        elif roll < c.rate_hang + c.rate_429 + c.rate_5xx:
            message = "The server had an error while processing your request (mock)."
            raise _Reject(c.status_5xx, message, type="server_error")
        return _Reply(200, await self._complete(req), self.limits.counters())

    async def _content(
        self, req: dict[str, Any], schema: Any, structured: bool
    ) -> tuple[str, str, bool]:
        """(content, finish reason, is it prose): the responder's, malformed, schema-valid or words."""
        c = self.config
        answer = c.responder(req) if c.responder else None
        if inspect.isawaitable(answer):
            answer = await answer
        if isinstance(answer, str):
            return answer, "stop", True
        if answer is not None:
            return json.dumps(answer), "stop", False
        if structured and self._rng.random() < c.rate_malformed:
            return malformed(schema, self._rng), "stop", False
        if structured:
            try:
                return json.dumps(generate(schema) if schema is not None else {}), "stop", False
            except (KeyError, TypeError, IndexError, AttributeError) as exc:
                raise _Reject(400, f"Invalid schema: {exc!r}", "response_format") from exc
        words, limit = c.output_words, req.get("max_completion_tokens") or req.get("max_tokens")
        finish = "stop"
        if isinstance(limit, int) and words > int(limit / 1.3):
            words, finish = int(limit / 1.3), "length"
        if c.varied_text:
            return " ".join(self._rng.choices(_VOCABULARY, k=words)) + ".", finish, True
        start = self.stats.requests_total
        return " ".join(_WORDS[(start + i) % len(_WORDS)] for i in range(words)), finish, True

    async def _complete(self, req: dict[str, Any]) -> dict[str, Any]:
        """Build the chat.completion object for a request that passed the checks."""
        fmt, tool, n = req.get("response_format") or {}, self._forced_tool(req), next(self._ids)
        schema: Any = constrained_schema(self.config.quirks, req) if self.config.quirks else None
        if schema is not None:
            tool = None  # the server-specific field decides: the answer is content
        elif tool is not None:
            schema = tool.get("parameters") or {"type": "object", "properties": {}}
        elif fmt.get("type") == "json_schema":
            schema = fmt["json_schema"].get("schema", {})
        elif fmt.get("type") == "json_object" or self.config.schema_in_prompt:
            schema = prompt_schema(req["messages"])
        structured = tool is not None or schema is not None or "json" in str(fmt.get("type"))
        if self.config.agent_tools and tool is None and (agent := agent_tool_call(req, n)):
            return agent  # --- agent tool calling (a separate switch; see agent_tool_call)
        content, finish, prose = await self._content(req, schema, structured)
        message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
        if tool is not None and not prose:
            function = {"name": tool.get("name", ""), "arguments": content}
            call = {"id": f"call_mock{n}", "type": "function", "function": function}
            message.update(content=None, tool_calls=[call])
            finish = "tool_calls"
        texts = [_text(m.get("content")) for m in req["messages"] if isinstance(m, dict)]
        prompt, completion = _tokens(" ".join(texts)), _tokens(content)
        usage = {"prompt_tokens": prompt, "completion_tokens": completion}
        choice = {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
        if self.config.logprobs and req.get("logprobs") and content:
            top, digits = (
                int(req.get("top_logprobs") or 0),
                parse_digits(self.config.digit_logprobs),
            )
            choice["logprobs"] = token_logprobs(content, top, digits)
        return {
            "id": f"chatcmpl-mock{n}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": req.get("model") or self.config.model,
            "system_fingerprint": "mock",
            "choices": [choice],
            "usage": usage | {"total_tokens": prompt + completion},
        }


# --- agent tool calling (switch: agent_tools / --agent-tools) ---------------------------------


def agent_tool_call(req: dict[str, Any], n: int) -> dict[str, Any] | None:
    """A chat.completion with one tool call, when an agent would call a tool now; else None.

    For requests that offer `tools` with `tool_choice` absent or "auto": the policy of
    `rolegraph.models.tool_script` (each offered tool once, arguments from earlier results,
    the dialogue's pattern matches or the schema), so runs against the mock exercise
    native tool calling end to end: `tool_calls` out, `tool` messages back.
    """
    if not req.get("tools") or req.get("tool_choice") not in (None, "auto"):
        return None
    from rolegraph.models.tool_script import next_tool_call

    call = next_tool_call(
        req["tools"], [m for m in req.get("messages") or [] if isinstance(m, dict)]
    )
    if call is None:
        return None
    function = {"name": call["name"], "arguments": json.dumps(call["arguments"])}
    message = {
        "role": "assistant",
        "content": None,
        "refusal": None,
        "tool_calls": [{"id": f"call_mock{n}", "type": "function", "function": function}],
    }
    prompt = _tokens(
        " ".join(_text(m.get("content")) for m in req["messages"] if isinstance(m, dict))
    )
    completion = _tokens(function["arguments"])
    return {
        "id": f"chatcmpl-mock{n}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": req.get("model") or "mock-model",
        "system_fingerprint": "mock",
        "choices": [
            {"index": 0, "message": message, "finish_reason": "tool_calls", "logprobs": None}
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }
