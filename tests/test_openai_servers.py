"""What real OpenAI-compatible servers do (mock-server quirks), the structured_output setting
and the preflight that fails a run in seconds when nothing answers."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage
from pydantic import BaseModel

from bench.mock_server import MockConfig, MockServer
from rolegraph.errors import UsageError
from rolegraph.models.openai_compat import EndpointError, OpenAICompatChat, RequestRefused
from rolegraph.models.specs import build_model, preflight
from rolegraph.run.runner import RunOptions, run_scenario
from rolegraph.scenario.schema import Scenario
from rolegraph.scenario.sections import ModelConfig
from tests.conftest import SCENARIOS
from tests.test_http_client import RawServer, reply


class Verdict(BaseModel):
    """A tiny structured answer."""

    score: int
    reason: str


async def _structured(config: MockConfig, name: str, learned: str = "", **model: object):
    server = MockServer(config)
    url = await server.start()
    if learned:  # what an earlier server behind the same URL was found to accept
        from rolegraph.models.wire import LEARNED

        LEARNED[("structured", url.rstrip("/"), name)] = learned
    chat = OpenAICompatChat(model=name, base_url=url, **model)  # type: ignore[arg-type]
    try:
        first = await chat.astructured(Verdict, [HumanMessage(content="Judge this.")])
        second = await chat.astructured(Verdict, [HumanMessage(content="And this.")])
    finally:
        await chat.aclose()
        await server.stop()
    return chat, server, first, second


@pytest.mark.parametrize(
    ("quirks", "method", "refusals"),
    [
        ("llama-cpp", "function_calling", {500: 1}),  # a 500 naming response_format
        ("tgi", "function_calling", {422: 1}),  # response_format wants a `value`
        ("lmstudio", "json_schema", {}),
        ("vllm", "json_schema", {}),
        ("ollama", "json_schema", {}),
    ],
)
async def test_each_servers_structured_output_is_found_once(quirks, method, refusals):
    chat, server, first, second = await _structured(
        MockConfig(quirks=quirks, model="mock-model"), "mock-model"
    )
    assert isinstance(first["parsed"], Verdict) and isinstance(second["parsed"], Verdict)
    assert chat.structured_method == method
    errors = {k: v for k, v in server.stats.status_counts.items() if k >= 400}
    assert errors == refusals  # each refused method tried once, the answer remembered


async def test_a_learned_method_the_server_now_refuses_is_found_again():
    """Another server behind the same URL (a restart with other flags): the remembered
    json_schema is refused once, the methods are tried again and the new answer kept."""
    chat, server, first, second = await _structured(
        MockConfig(quirks="llama-cpp", model="mock-model"), "mock-model", learned="json_schema"
    )
    assert isinstance(first["parsed"], Verdict) and isinstance(second["parsed"], Verdict)
    assert chat.structured_method == "function_calling"
    # the stale json_schema refused once (llama-cpp-python answers a 500 naming response_format:
    # is a refusal whether the method is on trial or remembered)
    assert {k: v for k, v in server.stats.status_counts.items() if k >= 400} == {500: 1}


@pytest.mark.parametrize(
    ("quirks", "setting", "sent"),
    [
        ("vllm", "vllm", lambda schema: {"structured_outputs": {"json": schema}}),
        ("vllm", "guided_json", lambda schema: {"guided_json": schema}),
        ("tgi", "tgi", lambda schema: {"response_format": {"type": "json", "value": schema}}),
    ],
)
async def test_a_servers_own_guided_decoding_is_sent_when_named(quirks, setting, sent):
    _, server, first, second = await _structured(
        MockConfig(quirks=quirks, model="mock-model"), "mock-model", structured_output=setting
    )
    # the prompt holds no schema: only the server's own field can have shaped these answers
    assert isinstance(first["parsed"], Verdict) and isinstance(second["parsed"], Verdict)
    assert not {k for k in server.stats.status_counts if k >= 400}  # no probing, no refusal
    expected = sent(Verdict.model_json_schema())
    for request in server.stats.last_requests:
        assert {k: request[k] for k in expected} == expected
        assert "tools" not in request
        assert "response_format" not in request or setting == "tgi"


def test_structured_output_names_the_servers_own_fields():
    for value in ("vllm", "guided_json", "tgi"):
        model = build_model(
            ModelConfig(spec="openai:m", base_url="http://127.0.0.1:9/v1", structured_output=value),
            "critic",
        )
        assert model.structured_output == value  # type: ignore[attr-defined]
    with pytest.raises(
        UsageError, match=r"choose one of json_schema, tools, .*, vllm, guided_json, tgi"
    ):
        build_model(
            ModelConfig(
                spec="openai:m",
                base_url="http://127.0.0.1:9/v1",
                params={"structured_output": "outlines"},
            ),
            "critic",
        )


async def test_lmstudio_refuses_json_object_in_its_own_words():
    server = MockServer(MockConfig(quirks="lmstudio"))
    url = await server.start()
    chat = OpenAICompatChat(model="m", base_url=url)
    try:
        with pytest.raises(RequestRefused) as info:
            await chat.ainvoke("hi", response_format={"type": "json_object"})
    finally:
        await chat.aclose()
        await server.stop()
    assert str(info.value).endswith("'response_format.type' must be 'json_schema' or 'text'")


@pytest.mark.parametrize(
    ("quirks", "status", "words"),
    [
        ("vllm", 400, "This model's maximum context length is 4096 tokens"),
        ("tgi", 422, "`inputs` tokens + `max_new_tokens` must be <= 4096"),
    ],
)
async def test_token_limits_beyond_the_context_are_one_clear_message(quirks, status, words):
    server = MockServer(MockConfig(quirks=quirks))
    url = await server.start()
    chat = OpenAICompatChat(model="mock-model", base_url=url, max_tokens=5000)
    try:
        with pytest.raises(RequestRefused) as info:
            await chat.ainvoke("hi")
    finally:
        await chat.aclose()
        await server.stop()
    assert info.value.status_code == status and words in str(info.value)
    assert "\n" not in str(info.value) and server.stats.requests_total == 1  # not retried


async def test_ollama_unknown_model_is_named():
    server = MockServer(MockConfig(quirks="ollama", model="qwen2.5"))
    url = await server.start()
    chat = OpenAICompatChat(model="qwen2.6", base_url=url)
    try:
        with pytest.raises(
            RequestRefused, match=r'HTTP 404 .*model "qwen2.6" not found, try pulling'
        ):
            await chat.ainvoke("hi")
    finally:
        await chat.aclose()
        await server.stop()


async def test_vllm_guided_json_in_params_is_sent_and_honoured():
    server = MockServer(MockConfig(quirks="vllm"))
    url = await server.start()
    schema = Verdict.model_json_schema()
    chat = build_model(
        ModelConfig(spec="openai:mock-model", base_url=url, params={"guided_json": schema}),
        "speaker",
    )
    try:
        answer = await chat.ainvoke("hi")
    finally:
        await chat.aclose()  # type: ignore[attr-defined]
        await server.stop()
    assert server.stats.last_requests[-1]["guided_json"] == schema
    assert Verdict.model_validate_json(str(answer.content))


async def test_a_5xx_on_a_methods_first_use_twice_refuses_it():
    """A server that fails json_schema with bare 500s (no field named) gets tools after two."""
    seen: list[str] = []

    async def handler(body: bytes, writer: asyncio.StreamWriter) -> bool:
        request = json.loads(body)
        seen.append("json_schema" if "response_format" in request else "tools")
        if "response_format" in request:
            writer.write(reply(b'{"error": "Internal Server Error"}', "500 Internal Server Error"))
            return True
        call = {"function": {"name": "Verdict", "arguments": '{"score": 4, "reason": "ok"}'}}
        answer = {"choices": [{"message": {"content": None, "tool_calls": [call]}}]}
        writer.write(reply(json.dumps(answer).encode()))
        return True

    async with RawServer(handler) as url:
        chat = OpenAICompatChat(model="m", base_url=url.removesuffix("/chat/completions"))
        out = await chat.astructured(Verdict, [HumanMessage(content="Judge.")])
        await chat.aclose()
    assert out["parsed"] == Verdict(score=4, reason="ok")
    assert seen == ["json_schema", "json_schema", "tools"]


async def test_plain_calls_keep_retrying_bare_5xx():
    server = MockServer(MockConfig(rate_5xx=0.5, seed=3))
    url = await server.start()
    chat = OpenAICompatChat(model="m", base_url=url, transport_retries=8)
    try:
        answers = await asyncio.gather(*(chat.ainvoke("hi") for _ in range(10)))
    finally:
        await chat.aclose()
        await server.stop()
    assert len(answers) == 10 and server.stats.status_counts[500] >= 3


@pytest.mark.parametrize(
    ("setting", "first"),
    [("tools", "tools"), ("json_object", "json_object"), ("prompt", None)],
)
async def test_structured_output_setting_is_used_without_probing(setting, first):
    server = MockServer(MockConfig())
    url = await server.start()
    chat = build_model(
        ModelConfig(spec="openai:m", base_url=url, structured_output=setting), "critic"
    )
    try:
        out = await chat.astructured(Verdict, [HumanMessage(content="Judge.")])  # type: ignore[attr-defined]
    finally:
        await chat.aclose()  # type: ignore[attr-defined]
        await server.stop()
    assert isinstance(out["parsed"], Verdict)
    sent = server.stats.last_requests
    assert len(sent) == 1  # json_schema (which this server takes) was never tried
    marker = {"tools": "tools" in sent[0], "json_object": "response_format" in sent[0]}
    assert marker.get(first, "tools" not in sent[0] and "response_format" not in sent[0])


async def test_structured_output_the_server_refuses_names_the_setting():
    server = MockServer(MockConfig(supports_tools=False))
    url = await server.start()
    chat = build_model(
        ModelConfig(spec="openai:m", base_url=url, params={"structured_output": "tools"}),
        "critic",
    )
    try:
        with pytest.raises(Exception, match="refused structured_output 'tools' set for this model"):
            await chat.astructured(Verdict, [HumanMessage(content="Judge.")])  # type: ignore[attr-defined]
    finally:
        await chat.aclose()  # type: ignore[attr-defined]
        await server.stop()


def test_unknown_structured_output_is_refused(make_scenario):
    with pytest.raises(UsageError, match="structured_output is 'xml'; choose one of json_schema"):
        build_model(
            ModelConfig(
                spec="openai:m",
                base_url="http://127.0.0.1:9/v1",
                params={"structured_output": "xml"},
            ),
            "critic",
        )
    path = SCENARIOS / "support_outage.yaml"
    text = path.read_text().replace(
        "default: local", "default: {spec: 'openai:m', structured_output: grammar}"
    )
    with pytest.raises(UsageError, match=r"models\.default\.structured_output"):
        Scenario.from_text(text, path)


async def _dead_port() -> int:
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    return int(port)


async def test_preflight_fails_a_dead_base_url_in_seconds(tmp_path: Path):
    port = await _dead_port()
    path = SCENARIOS / "support_outage.yaml"
    started = time.monotonic()
    with pytest.raises(UsageError) as info:
        await run_scenario(
            Scenario.from_file(path),
            RunOptions(
                out=tmp_path / "run",
                model="openai:m",
                base_url=f"http://127.0.0.1:{port}/v1",
                quiet=True,
            ),
        )
    assert time.monotonic() - started < 5
    assert str(info.value).startswith(
        f"model 'openai:m': nothing answers at http://127.0.0.1:{port}/v1: cannot connect"
    )
    assert not (tmp_path / "run").exists()  # nothing written


async def test_preflight_wrong_path_and_wrong_key():
    server = MockServer(MockConfig())
    url = await server.start()
    wrong_path = OpenAICompatChat(model="m", base_url=url + "/openai")
    ok = OpenAICompatChat(model="m", base_url=url)
    try:
        assert "check the base URL's path" in (await wrong_path.preflight() or "")
        assert await ok.preflight() is None
        with pytest.raises(UsageError, match="has no /models or /chat/completions"):
            await preflight({"speaker": wrong_path, "critic": ok})
    finally:
        await wrong_path.aclose()
        await ok.aclose()
        await server.stop()

    async def unauthorized(body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(reply(b'{"error": {"message": "Invalid API key"}}', "401 Unauthorized"))
        return True

    async with RawServer(unauthorized) as raw:
        keyed = OpenAICompatChat(model="m", base_url=raw.removesuffix("/chat/completions"))
        problem = await keyed.preflight()
        await keyed.aclose()
    assert problem is not None and "(check the API key): Invalid API key" in problem


def test_endpoint_error_shapes_all_read_as_one_line():
    from rolegraph.models.http import Response
    from rolegraph.models.wire import error_message

    shapes = {
        b'{"error": {"message": "nested"}}': "nested",
        b'{"error": "plain string", "error_type": "validation"}': "plain string",
        b'{"object": "error", "message": "vllm style", "type": "BadRequestError"}': "vllm style",
        b"<html>bad gateway</html>": "<html>bad gateway</html>",
    }
    for body, text in shapes.items():
        message = error_message("http://h/v1", Response(400, {}, body))
        assert message == f"HTTP 400 from http://h/v1: {text}"
    assert isinstance(EndpointError(500, "x"), Exception)


async def test_schema_max_string_bounds_what_the_server_is_asked_for():
    server = MockServer(MockConfig(supports_json_schema=False))
    url = await server.start()
    chat = build_model(
        ModelConfig(spec="openai:m", base_url=url, params={"schema_max_string": 120}), "critic"
    )
    try:
        out = await chat.astructured(Verdict, [HumanMessage(content="Judge.")])  # type: ignore[attr-defined]
    finally:
        await chat.aclose()  # type: ignore[attr-defined]
        await server.stop()
    assert isinstance(out["parsed"], Verdict)
    sent = server.stats.last_requests[-1]["tools"][0]["function"]["parameters"]
    assert sent["properties"]["reason"]["maxLength"] == 120
    assert "maxLength" not in sent["properties"]["score"]
