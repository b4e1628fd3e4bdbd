"""The chat-completions wire format: messages out, replies in, errors as the servers word them.

Also what each server turned out to accept (`LEARNED`), shared by every client of it, and
the errors an endpoint's answers become.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from agents.errors import RolegraphError
from rolegraph.models.http import Response

# What each server (base URL, model) turned out to accept, shared by every client of it:
# ("structured" | "tokens" | "null_content", base URL, model) -> what worked.
LEARNED: dict[tuple[str, str, str], str] = {}


def forget_servers() -> None:
    """Forget what every server was found to accept (the next call finds out again)."""
    LEARNED.clear()


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


def names_any(text: str, fields: tuple[str, ...]) -> bool:
    lowered = text.lower()
    return any(f.lower() in lowered for f in fields)


def error_message(url: str, reply: Response) -> str:
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


def wire_message(message: BaseMessage) -> dict[str, Any]:
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


def ai_message(choice: dict[str, Any], body: dict[str, Any]) -> AIMessage:
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


def null_content(payload: dict[str, Any]) -> bool:
    """Does the request hold an assistant message with tool calls and `content: null`?"""
    return any(m.get("content") is None and m.get("tool_calls") for m in payload["messages"])


def empty_content(payload: dict[str, Any]) -> dict[str, Any]:
    """The request with `content: ""` in place of each tool-calling message's null."""
    messages = [
        {**m, "content": ""} if m.get("content") is None and m.get("tool_calls") else m
        for m in payload["messages"]
    ]
    return {**payload, "messages": messages}
