"""OpenAICompatChat on its own, against real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from langchain_core.callbacks import AsyncCallbackHandler
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from pydantic import BaseModel

from agents.usage import metered
from bench.mock_server import MockConfig, MockServer
from rolegraph.models.openai_compat import EndpointError, OpenAICompatChat
from rolegraph.models.specs import build_model
from rolegraph.scenario.sections import ModelConfig
from tests.test_http_client import RawServer, reply


class Verdict(BaseModel):
    """A tiny structured answer."""

    score: int
    reason: str


class Recorder(AsyncCallbackHandler):
    def __init__(self) -> None:
        self.events: list[str] = []

    async def on_chat_model_start(self, *args: Any, **kwargs: Any) -> None:
        self.events.append("start")

    async def on_llm_end(self, *args: Any, **kwargs: Any) -> None:
        self.events.append("end")


async def test_plain_call_sends_the_wire_format_and_meters_usage():
    server = MockServer(MockConfig(responder=lambda req: "Hello there."))
    url = await server.start()
    model = build_model(
        ModelConfig(
            spec="openai:m",
            base_url=url,
            max_tokens=40,
            params={"top_p": 0.5, "default_headers": {"X-Team": "data"}},
        ),
        "speaker",
    )
    try:
        with metered() as usage:
            answer = await model.ainvoke(
                [
                    SystemMessage(content="Be brief."),
                    HumanMessage(content="Hi", name="ana"),
                    AIMessage(content="Hello."),
                ]
            )
    finally:
        await model.aclose()  # type: ignore[attr-defined]
        await server.stop()
    assert answer.content == "Hello there."
    assert answer.usage_metadata and answer.usage_metadata["output_tokens"] > 0
    assert usage["calls"] == 1 and usage["input_tokens"] == answer.usage_metadata["input_tokens"]
    sent = server.stats.last_requests[-1]
    assert sent["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi", "name": "ana"},
        {"role": "assistant", "content": "Hello."},
    ]
    assert sent["top_p"] == 0.5 and sent["max_tokens"] == 40  # not api.openai.com: max_tokens
    assert sent["temperature"] == 0.8  # the speaker's default


async def test_callbacks_take_langchains_path_and_usage_is_counted_once():
    from agents.usage import instrument

    server = MockServer(MockConfig(responder=lambda req: "Fine."))
    url = await server.start()
    model = instrument(build_model(ModelConfig(spec="openai:m", base_url=url), "critic"))
    recorder = Recorder()
    try:
        with metered() as usage:
            direct = await model.ainvoke([HumanMessage(content="a")])
            observed = await model.ainvoke([HumanMessage(content="b")], {"callbacks": [recorder]})
    finally:
        await model.aclose()
        await server.stop()
    assert recorder.events == ["start", "end"]  # only the observed call went through callbacks
    assert server.stats.requests_total == 2
    assert usage["calls"] == 2  # one each: the direct path meters itself, the other its callback
    assert usage["total_tokens"] == (
        direct.usage_metadata["total_tokens"] + observed.usage_metadata["total_tokens"]  # type: ignore[index]
    )


async def test_structured_output_by_tool_call_is_parsed():
    server = MockServer(MockConfig(supports_json_schema=False))
    url = await server.start()
    model = OpenAICompatChat(model="tools-only", base_url=url)
    try:
        out = await model.astructured(Verdict, [HumanMessage(content="Judge this.")])
        again = await model.with_structured_output(Verdict).ainvoke("Judge that.")
    finally:
        await model.aclose()
        await server.stop()
    assert isinstance(out["parsed"], Verdict) and out["parsing_error"] is None
    assert isinstance(again, Verdict)
    assert model.structured_method == "function_calling"
    last = server.stats.last_requests[-1]
    assert last["tool_choice"] == {"type": "function", "function": {"name": "Verdict"}}
    assert last["tools"][0]["function"]["parameters"]["required"] == ["score", "reason"]


async def test_auth_error_is_one_clear_message_and_not_retried():
    async def unauthorized(body: bytes, writer: asyncio.StreamWriter) -> bool:
        error = json.dumps({"error": {"message": "Incorrect API key provided: sk-...xyz."}})
        writer.write(reply(error.encode(), "401 Unauthorized"))
        return True

    server = RawServer(unauthorized)
    async with server as url:
        model = OpenAICompatChat(model="m", base_url=url.removesuffix("/chat/completions"))
        with pytest.raises(EndpointError) as info:
            await model.ainvoke("hi")
        await model.aclose()
    assert info.value.status_code == 401
    assert str(info.value) == (
        f"HTTP 401 from {url} (check the API key): Incorrect API key provided: sk-...xyz."
    )
    assert len(server.requests) == 1


async def test_unreadable_200_answers_are_retried():
    answers = iter([b"<html>proxy error</html>", json.dumps({"choices": []}).encode()])

    async def flaky(body: bytes, writer: asyncio.StreamWriter) -> bool:
        good = {"choices": [{"message": {"content": "ok"}, "finish_reason": "stop"}]}
        writer.write(reply(next(answers, json.dumps(good).encode())))
        return True

    server = RawServer(flaky)
    async with server as url:
        model = OpenAICompatChat(
            model="m", base_url=url.removesuffix("/chat/completions"), transport_retries=3
        )
        answer = await model.ainvoke("hi")
        await model.aclose()
    assert answer.content == "ok"
    assert len(server.requests) == 3


def test_sync_invoke_works_outside_an_event_loop():
    from bench.mock_server import serve_in_thread

    with serve_in_thread(MockConfig(responder=lambda req: "Synchronous hello.")) as server:
        model = OpenAICompatChat(model="m", base_url=server.base_url)
        assert model.invoke("hi").content == "Synchronous hello."


TOOL = {
    "type": "function",
    "function": {
        "name": "find",
        "description": "Find a booking.",
        "parameters": {
            "type": "object",
            "properties": {"ref": {"type": "string"}, "kind": {"type": "string", "enum": ["a"]}},
            "required": ["ref"],
        },
    },
}


async def test_bound_tools_go_out_with_tool_choice_auto_and_bounded_strings():
    bodies: list[dict[str, Any]] = []

    async def record(body: bytes, writer: asyncio.StreamWriter) -> bool:
        bodies.append(json.loads(body))
        good = {"choices": [{"message": {"content": "ok"}, "finish_reason": "stop"}]}
        writer.write(reply(json.dumps(good).encode()))
        return True

    async with RawServer(record) as url:
        base = url.removesuffix("/chat/completions")
        plain = OpenAICompatChat(model="m", base_url=base)
        bounded = OpenAICompatChat(model="m", base_url=base, schema_max_string=24)
        await plain.bind_tools([TOOL]).ainvoke("hi")
        await bounded.bind_tools([TOOL]).ainvoke("hi")
        await plain.bind_tools([TOOL], tool_choice="required").ainvoke("hi")
        await plain.aclose()
        await bounded.aclose()
    # OpenAI's default said out loud: some servers read a missing tool_choice as "none"
    assert [b["tool_choice"] for b in bodies] == ["auto", "auto", "required"]
    assert bodies[0]["tools"] == [TOOL]
    props = bodies[1]["tools"][0]["function"]["parameters"]["properties"]
    assert props == {
        "ref": {"type": "string", "maxLength": 24},
        "kind": TOOL["function"]["parameters"]["properties"]["kind"],
    }


async def test_a_server_refusing_null_content_beside_tool_calls_gets_an_empty_string():
    from langchain_core.messages import ToolMessage

    from rolegraph.models.wire import LEARNED

    contents: list[Any] = []

    async def strict(body: bytes, writer: asyncio.StreamWriter) -> bool:
        sent = json.loads(body)["messages"][1]
        contents.append(sent["content"])
        if sent["content"] is None:  # llama-cpp-python: a 500 holding a validation error
            error = {
                "error": {"message": "3 validation errors: ... (2, 'content') ... 'input': None"}
            }
            writer.write(reply(json.dumps(error).encode(), "500 Internal Server Error"))
        else:
            good = {"choices": [{"message": {"content": "done"}, "finish_reason": "stop"}]}
            writer.write(reply(json.dumps(good).encode()))
        return True

    history = [
        HumanMessage(content="find R1"),
        AIMessage(content="", tool_calls=[{"id": "c1", "name": "find", "args": {"ref": "R1"}}]),
        ToolMessage(content='{"ref": "R1"}', tool_call_id="c1"),
    ]
    async with RawServer(strict) as url:
        model = OpenAICompatChat(model="m", base_url=url.removesuffix("/chat/completions"))
        first = await model.ainvoke(history)
        second = await model.ainvoke(history)
        await model.aclose()
    assert (first.content, second.content) == ("done", "done")
    # refused once, learned for the server: the second call sends "" straight away
    assert contents == [None, "", ""]
    assert LEARNED[("null_content", url.removesuffix("/chat/completions"), "m")] == "refused"
