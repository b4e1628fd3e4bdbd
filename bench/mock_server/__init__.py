"""OpenAI-compatible mock chat-completions server for tests and throughput benchmarks.

A small asyncio HTTP/1.1 keep-alive handler (no thread per request) serving
`POST /v1/chat/completions` and `GET /v1/models` on 127.0.0.1, with per-call latency,
injected faults (5xx, 429 with Retry-After, hangs, malformed structured output) and
capability switches that mimic servers lacking json_schema, json_object, tools or
`max_completion_tokens`.

    async with MockServer(MockConfig(latency_ms=50)) as base_url:
        client = openai.AsyncOpenAI(base_url=base_url, api_key="mock")

    python -m bench.mock_server --port 8000 --latency-ms 100 --rate-429 0.1
"""

from bench.mock_schema import generate
from bench.mock_server.server import (
    Answer,
    MockConfig,
    MockServer,
    MockStats,
    Responder,
    TooManyRequests,
    agent_tool_call,
)
from bench.mock_server.threads import run_in_thread, serve_in_thread

__all__ = [
    "Answer",
    "MockConfig",
    "MockServer",
    "MockStats",
    "Responder",
    "TooManyRequests",
    "agent_tool_call",
    "generate",
    "run_in_thread",
    "serve_in_thread",
]
