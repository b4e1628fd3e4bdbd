"""Real servers' documented quirks, as mock-server switches (`--quirks NAME`).

What each switch reproduces, from the servers' docs and issue trackers:

- `llama-cpp` (llama-cpp-python's server): `response_format: json_schema` fails pydantic
  validation and comes back as **HTTP 500** with the validation error in the body;
  `max_completion_tokens` is ignored (only `max_tokens` limits a reply); tools work.
- `vllm`: guided decoding by `guided_json` (or `structured_outputs: {json: ...}`) in the
  request body (`extra_body` in the OpenAI SDK) as well as `response_format`; errors are
  top-level `{"object": "error", "message", "type", "param", "code"}`; a prompt plus
  `max_tokens` beyond the context (`context_tokens`, default 4096) is a 400 "This
  model's maximum context length is ...".
- `ollama`: an unknown model is a 404 `model "X" not found, try pulling it first`;
  `format` (its native name: `"json"` or a schema) constrains the reply too. (The real
  server reads `format` only on its own `/api/chat`; its `/v1/chat/completions` turns
  `response_format: json_schema` into `format` and ignores a `format` field.)
- `tgi` (text-generation-inference): `response_format` wants a `value` field holding the
  schema (`{type: json, value: SCHEMA}`, `json_object` an alias, or `{type: json_schema,
  value: {name, schema}}`: its router's `GrammarType`), so OpenAI's `json_schema` /
  `json_object` shapes are a **422** "Failed to deserialize the JSON body ... missing field
  `value`"; `grammar: {type: json, value}` on top-level works too; prompt + `max_tokens` above the context is a 422 "Input validation
  error: `inputs` tokens + `max_new_tokens` must be <= N"; errors are
  `{"error": "...", "error_type": "..."}`.
- `lmstudio`: `response_format: json_object` is a 400 `'response_format.type' must be
  'json_schema' or 'text'`; errors are `{"error": "..."}` (a string).
"""

from __future__ import annotations

from typing import Any

QUIRKS = ("llama-cpp", "vllm", "ollama", "tgi", "lmstudio")
DEFAULT_CONTEXT = 4096


class Refusal(Exception):
    """A refusal in the server's own words; the mock server turns it into an HTTP reply."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _words(req: dict[str, Any]) -> int:
    text = " ".join(
        str(m.get("content") or "") for m in req.get("messages") or [] if isinstance(m, dict)
    )
    return round(len(text.split()) * 1.3)


def constrained_schema(quirks: str, req: dict[str, Any]) -> Any:
    """The schema a server-specific field asks the reply to follow (None when there is none)."""
    if quirks == "vllm":
        return req.get("guided_json") or (req.get("structured_outputs") or {}).get("json")
    if quirks == "ollama" and req.get("format") is not None:
        return req["format"] if isinstance(req["format"], dict) else {"type": "object"}
    if quirks == "tgi" and isinstance(req.get("grammar"), dict):
        return req["grammar"].get("value")
    fmt = req.get("response_format")
    if quirks == "tgi" and isinstance(fmt, dict) and "value" in fmt:
        # TGI's own chat shape: {type: json | json_object, value: SCHEMA}, or
        # {type: json_schema, value: {name, schema}}
        value = fmt["value"]
        return value.get("schema") if fmt.get("type") == "json_schema" else value
    return None


def native_format(quirks: str, fmt: Any) -> bool:
    """True for a `response_format` in the named server's own shape (TGI's `type` + `value`)."""
    return quirks == "tgi" and isinstance(fmt, dict) and "value" in fmt


def apply_quirks(quirks: str, req: dict[str, Any], config: Any) -> None:
    """Refuse what the named server refuses, in its words (a `Refusal`), or return."""
    if quirks not in QUIRKS:
        raise Refusal(500, f"mock server: unknown quirks '{quirks}' (known: {', '.join(QUIRKS)})")
    fmt = req.get("response_format")
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    limit = req.get("max_tokens")
    context = config.context_tokens or DEFAULT_CONTEXT
    prompt = _words(req)
    if quirks == "llama-cpp" and kind == "json_schema":
        raise Refusal(
            500,
            "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', "
            "'type'), 'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema'}",
        )
    if quirks == "vllm" and isinstance(limit, int) and prompt + limit > context:
        raise Refusal(
            400,
            f"This model's maximum context length is {context} tokens. However, you requested "
            f"{prompt + limit} tokens ({prompt} in the messages, {limit} in the completion). "
            "Please reduce the length of the messages or completion.",
        )
    if quirks == "ollama" and req.get("model") != config.model:
        raise Refusal(404, f'model "{req.get("model")}" not found, try pulling it first')
    if quirks == "tgi":
        if kind in ("json_schema", "json_object") and "value" not in fmt:  # type: ignore[operator]
            raise Refusal(
                422,
                "Failed to deserialize the JSON body into the target type: response_format: "
                "missing field `value` at line 1 column 120",
            )
        if isinstance(limit, int) and prompt + limit > context:
            raise Refusal(
                422,
                f"Input validation error: `inputs` tokens + `max_new_tokens` must be <= {context}. "
                f"Given: {prompt} `inputs` tokens and {limit} `max_new_tokens`",
            )
    if quirks == "lmstudio" and kind == "json_object":
        raise Refusal(400, "'response_format.type' must be 'json_schema' or 'text'")


def quirk_error(quirks: str, status: int, message: str) -> dict[str, Any]:
    """An error body in the named server's shape."""
    if quirks == "vllm":
        return {"object": "error", "message": message, "type": "BadRequestError", "param": None,
                "code": status}  # fmt: skip
    if quirks == "tgi":
        return {"error": message, "error_type": "validation" if status == 422 else "generation"}
    if quirks == "lmstudio":
        return {"error": message}
    kind = "internal_server_error" if status >= 500 else "invalid_request_error"
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}
