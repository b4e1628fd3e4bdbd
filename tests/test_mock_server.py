"""The mock OpenAI server behaves like a real one for the openai client: answers, faults, limits."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Literal

import openai
import pytest
from pydantic import BaseModel, Field

from bench.mock_server import MockConfig, MockServer, generate, run_in_thread, serve_in_thread

ROOT = Path(__file__).resolve().parent.parent
USER = [{"role": "user", "content": "Say something."}]


class Turn(BaseModel):
    speaker: Literal["agent", "customer"]
    text: str = Field(min_length=3, max_length=200)


class Verdict(BaseModel):
    score: float = Field(ge=0, le=1)
    rank: int = Field(ge=3, lt=10)
    accepted: bool
    note: str | None
    turns: list[Turn] = Field(min_length=1)


def _client(url: str, **kwargs: object) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=url, api_key="mock", **kwargs)  # type: ignore[arg-type]


@pytest.fixture
async def server() -> AsyncIterator[MockServer]:
    srv = MockServer(MockConfig(output_words=7))
    await srv.start()
    yield srv
    await srv.stop()


async def test_plain_completion(server: MockServer) -> None:
    async with _client(server.base_url) as client:
        out = await client.chat.completions.create(model="m", messages=USER)  # type: ignore[arg-type]
    assert out.object == "chat.completion" and out.model == "m"
    assert out.choices[0].message.role == "assistant"
    assert len((out.choices[0].message.content or "").split()) == 7
    assert out.choices[0].finish_reason == "stop"
    assert out.usage is not None and out.usage.completion_tokens == round(7 * 1.3)
    assert out.usage.total_tokens == out.usage.prompt_tokens + out.usage.completion_tokens


async def test_models_endpoint(server: MockServer) -> None:
    async with _client(server.base_url) as client:
        models = await client.models.list()
    assert [m.id for m in models.data] == ["mock-model"]


async def test_json_schema_answer_validates(server: MockServer) -> None:
    async with _client(server.base_url) as client:
        out = await client.chat.completions.parse(
            model="m",
            messages=USER,  # type: ignore[arg-type]
            response_format=Verdict,
        )
    parsed = out.choices[0].message.parsed
    assert isinstance(parsed, Verdict) and parsed.turns


def test_generator_handles_refs_anyof_and_bounds() -> None:
    schema = {
        "$defs": {
            "Leaf": {"type": "object", "properties": {"n": {"type": "integer", "maximum": -5}}}
        },
        "type": "object",
        "properties": {
            "leaf": {"$ref": "#/$defs/Leaf"},
            "either": {"anyOf": [{"type": "null"}, {"type": "string", "minLength": 40}]},
            "kind": {"enum": ["a", "b"]},
            "fixed": {"const": 3},
            "x": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 0.1},
        },
        "required": ["leaf", "either", "kind", "fixed", "x"],
    }
    value = generate(schema)
    assert value["leaf"]["n"] <= -5 and len(value["either"]) >= 40
    assert value["kind"] == "a" and value["fixed"] == 3 and 0 < value["x"] < 0.1


async def test_tool_call_arguments_validate(server: MockServer) -> None:
    tool = openai.pydantic_function_tool(Verdict)
    async with _client(server.base_url) as client:
        out = await client.chat.completions.create(
            model="m",
            messages=USER,  # type: ignore[arg-type]
            tools=[tool],
            tool_choice={"type": "function", "function": {"name": "Verdict"}},
        )
    call = (out.choices[0].message.tool_calls or [])[0]
    assert call.function.name == "Verdict"  # type: ignore[union-attr]
    Verdict.model_validate_json(call.function.arguments)  # type: ignore[union-attr]
    assert out.choices[0].finish_reason == "tool_calls"


async def test_json_object_follows_schema_in_prompt(server: MockServer) -> None:
    system = "Reply with JSON that follows this JSON Schema:\n" + json.dumps(
        Turn.model_json_schema()
    )
    async with _client(server.base_url) as client:
        with_schema = await client.chat.completions.create(
            model="m",
            messages=[{"role": "system", "content": system}, *USER],  # type: ignore[list-item]
            response_format={"type": "json_object"},
        )
        without = await client.chat.completions.create(
            model="m",
            messages=USER,  # type: ignore[arg-type]
            response_format={"type": "json_object"},
        )
    Turn.model_validate_json(with_schema.choices[0].message.content or "")
    assert json.loads(without.choices[0].message.content or "") == {}


async def test_unsupported_json_schema_is_a_400() -> None:
    async with MockServer(MockConfig(supports_json_schema=False)) as url, _client(url) as client:
        with pytest.raises(openai.BadRequestError) as info:
            await client.chat.completions.parse(
                model="m",
                messages=USER,  # type: ignore[arg-type]
                response_format=Verdict,
            )
    error = info.value.body
    assert isinstance(error, dict)
    assert error["type"] == "invalid_request_error" and error["param"] == "response_format"
    assert error["code"] is None and "json_schema" in error["message"]


async def test_max_completion_tokens_refused_when_not_accepted() -> None:
    config = MockConfig(accepts_max_completion_tokens=False, output_words=50)
    async with MockServer(config) as url, _client(url, max_retries=0) as client:
        with pytest.raises(openai.BadRequestError, match="max_completion_tokens"):
            await client.chat.completions.create(
                model="m",
                messages=USER,  # type: ignore[arg-type]
                max_completion_tokens=10,
            )
        out = await client.chat.completions.create(model="m", messages=USER, max_tokens=13)  # type: ignore[arg-type]
    assert out.choices[0].finish_reason == "length"
    assert len((out.choices[0].message.content or "").split()) == 10


async def test_429_carries_retry_after() -> None:
    server = MockServer(MockConfig(rate_429=1.0, retry_after=2))
    async with server as url, _client(url, max_retries=0) as client:
        with pytest.raises(openai.RateLimitError) as info:
            await client.chat.completions.create(model="m", messages=USER)  # type: ignore[arg-type]
    assert info.value.response.headers["retry-after"] == "2"


async def test_5xx_rate_one_gives_500s() -> None:
    server = MockServer(MockConfig(rate_5xx=1.0))
    async with server as url, _client(url, max_retries=0) as client:
        for _ in range(3):
            with pytest.raises(openai.InternalServerError):
                await client.chat.completions.create(model="m", messages=USER)  # type: ignore[arg-type]
    assert server.stats.status_counts[500] == 3


async def test_hang_makes_the_client_time_out() -> None:
    server = MockServer(MockConfig(rate_hang=1.0, hang_seconds=10))
    async with server as url, _client(url, max_retries=0, timeout=0.3) as client:
        with pytest.raises(openai.APITimeoutError):
            await client.chat.completions.create(model="m", messages=USER)  # type: ignore[arg-type]


async def test_malformed_structured_output_does_not_validate() -> None:
    fmt = {
        "type": "json_schema",
        "json_schema": {"name": "Verdict", "schema": Verdict.model_json_schema()},
    }
    async with MockServer(MockConfig(rate_malformed=1.0, seed=1)) as url, _client(url) as client:
        for _ in range(4):
            out = await client.chat.completions.create(
                model="m",
                messages=USER,  # type: ignore[arg-type]
                response_format=fmt,  # type: ignore[arg-type]
            )
            with pytest.raises(ValueError):
                Verdict.model_validate_json(out.choices[0].message.content or "")


async def test_latency_is_honoured_concurrently() -> None:
    server = MockServer(MockConfig(latency_ms=200))
    async with server as url, _client(url) as client:
        start = time.perf_counter()
        await asyncio.gather(
            *(client.chat.completions.create(model="m", messages=USER) for _ in range(10))  # type: ignore[arg-type]
        )
        elapsed = time.perf_counter() - start
    assert 0.2 <= elapsed < 1.0
    assert server.stats.max_in_flight == 10


async def test_responder_and_counters(server: MockServer) -> None:
    def responder(request: dict) -> dict | str | None:
        if request.get("response_format"):
            return {"speaker": "agent", "text": "hello there"}
        return "scripted" if request["messages"][-1]["content"] == "script me" else None

    server.config.responder = responder
    async with _client(server.base_url) as client:
        scripted = await client.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": "script me"}],
        )
        parsed = await client.chat.completions.parse(
            model="m",
            messages=USER,  # type: ignore[arg-type]
            response_format=Turn,
        )
        default = await client.chat.completions.create(model="m", messages=USER)  # type: ignore[arg-type]
    assert scripted.choices[0].message.content == "scripted"
    assert parsed.choices[0].message.parsed == Turn(speaker="agent", text="hello there")
    assert len((default.choices[0].message.content or "").split()) == 7
    stats = server.stats
    assert stats.requests_total == 3 and stats.status_counts == {200: 3}
    assert stats.last_requests[0]["messages"][-1]["content"] == "script me"
    assert stats.in_flight == 0 and stats.max_in_flight == 1


async def test_streaming_is_refused(server: MockServer) -> None:
    async with _client(server.base_url, max_retries=0) as client:
        with pytest.raises(openai.BadRequestError, match="stream"):
            await client.chat.completions.create(model="m", messages=USER, stream=True)  # type: ignore[arg-type]


def test_run_in_thread_serves_sync_clients() -> None:
    url, stop = run_in_thread(MockConfig(output_words=3))
    try:
        with openai.OpenAI(base_url=url, api_key="mock") as client:
            out = client.chat.completions.create(model="m", messages=USER)  # type: ignore[arg-type]
        assert len((out.choices[0].message.content or "").split()) == 3
    finally:
        stop()
    with (
        serve_in_thread() as server,
        openai.OpenAI(base_url=server.base_url, api_key="m") as client,
    ):
        client.models.list()
        assert server.stats.requests_total == 1


def test_cli_prints_url_and_serves() -> None:
    command = [sys.executable, "-m", "bench.mock_server", "--port", "0", "--no-supports-tools"]
    with subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        try:
            url = (proc.stdout.readline() if proc.stdout else "").strip()
            assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
            with openai.OpenAI(base_url=url, api_key="mock", max_retries=0) as client:
                assert client.models.list().data[0].id == "mock-model"
                with pytest.raises(openai.BadRequestError, match="tools"):
                    client.chat.completions.create(
                        model="m",
                        messages=USER,  # type: ignore[arg-type]
                        tools=[openai.pydantic_function_tool(Turn)],
                    )
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    assert proc.returncode == 0


async def test_concurrency_cap_answers_429_at_once_with_retry_after() -> None:
    server = MockServer(MockConfig(latency_ms=200, max_concurrent=2, retry_after=0.25))
    async with server as url, _client(url, max_retries=0) as client:
        started = time.monotonic()
        results = await asyncio.gather(
            *(client.chat.completions.create(model="m", messages=USER) for _ in range(5)),  # type: ignore[arg-type]
            return_exceptions=True,
        )
    refused = [r for r in results if isinstance(r, openai.RateLimitError)]
    assert len(refused) == 3 and len(results) - len(refused) == 2
    assert refused[0].response.headers["retry-after-ms"] == "250"
    assert refused[0].response.headers["retry-after"] == "1"  # whole seconds, rounded up
    assert "Too many concurrent requests (limit 2)" in str(refused[0])
    assert time.monotonic() - started < 1.0  # refused at once, not after the latency


async def test_request_bucket_and_its_counters() -> None:
    server = MockServer(MockConfig(rps=10, burst=3))
    async with server as url, _client(url, max_retries=0) as client:
        answers = []
        for _ in range(3):
            raw = await client.chat.completions.with_raw_response.create(model="m", messages=USER)  # type: ignore[arg-type]
            answers.append(raw.headers)
        with pytest.raises(openai.RateLimitError) as info:
            await client.chat.completions.create(model="m", messages=USER)  # type: ignore[arg-type]
        await asyncio.sleep(0.11)  # one more request earned at 10 per second
        await client.chat.completions.create(model="m", messages=USER)  # type: ignore[arg-type]
    assert [h["x-ratelimit-remaining-requests"] for h in answers] == ["2", "1", "0"]
    assert answers[0]["x-ratelimit-limit-requests"] == "3"
    assert answers[-1]["x-ratelimit-reset-requests"].endswith("ms")
    wait_ms = int(info.value.response.headers["retry-after-ms"])
    assert 1 <= wait_ms <= 100  # the time to earn the next request
    assert server.stats.status_counts == {200: 4, 429: 1}


async def test_tokens_per_minute_limit() -> None:
    server = MockServer(MockConfig(tpm=600))  # 10 tokens a second, 600 at most at once
    long = [{"role": "user", "content": "word " * 300}]  # about 390 tokens
    async with server as url, _client(url, max_retries=0) as client:
        await client.chat.completions.create(model="m", messages=long)  # type: ignore[arg-type]
        with pytest.raises(openai.RateLimitError, match="Rate limit reached for tokens") as info:
            await client.chat.completions.create(model="m", messages=long)  # type: ignore[arg-type]
    assert int(info.value.response.headers["retry-after"]) >= 10
    assert "x-ratelimit-remaining-tokens" in info.value.response.headers


def test_stats_json_counts_answers_per_second(tmp_path: Path) -> None:
    stats = tmp_path / "stats.json"
    command = [
        *(sys.executable, "-m", "bench.mock_server", "--port", "0"),
        *("--max-concurrent", "1", "--stats-json", str(stats)),
    ]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as proc:
        try:
            url = (proc.stdout.readline() if proc.stdout else "").strip()
            with openai.OpenAI(base_url=url, api_key="mock", max_retries=0) as client:
                for _ in range(3):
                    client.chat.completions.create(model="m", messages=USER)  # type: ignore[arg-type]
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    summary = json.loads(stats.read_text())
    assert summary["status_counts"] == {"200": 3}
    assert sum(summary["per_second"]["200"]) == 3 and summary["chat_seconds"] >= 0
