"""CPU per call of each client layer, side by side against the same mock server.

    python -m bench.client_overhead [--calls 600] [--concurrency 32]

Shows where the CPU of one model call goes: the HTTP clients alone (httpx, aiohttp,
rolegraph's lean client), the OpenAI SDK, LangChain's ChatOpenAI, and rolegraph's
OpenAICompatChat (plain text, structured output through a JSON Schema, and plain text over
aiohttp in place of the lean client), alternated twice because the machine is noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable

import aiohttp
import httpx
import openai
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from pydantic import BaseModel

from bench.throughput import start_server
from rolegraph.models.http import HTTPClient
from rolegraph.models.specs import build_model
from rolegraph.scenario.sections import ModelConfig

SYSTEM = "You are a helpful support agent. " * 40
USER = "My internet is down since this morning. " * 10


async def measure(
    name: str, call: Callable[[], Awaitable[object]], calls: int, concurrency: int
) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            await call()

    cpu, wall = time.process_time(), time.monotonic()
    await asyncio.gather(*(one() for _ in range(calls)))
    cpu_ms = 1000 * (time.process_time() - cpu) / calls
    print(
        f"{name:<28} cpu ms/call {cpu_ms:5.2f}   calls/s {calls / (time.monotonic() - wall):6.0f}"
    )


class AiohttpClient:
    """rolegraph's HTTPClient interface over an aiohttp session (what issue 12 part 9 weighed).

    Tuned as far as aiohttp allows: no cookie jar, the URL and timeout built once, proxies
    not looked up per request (`trust_env` costs two thread-pool hops per call).
    """

    def __init__(self) -> None:
        self.session: aiohttp.ClientSession | None = None
        self.timeout = aiohttp.ClientTimeout(total=60)
        self.urls: dict[str, object] = {}

    async def post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> object:
        from yarl import URL

        from rolegraph.models.http import Response

        if self.session is None:
            self.session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0), cookie_jar=aiohttp.DummyCookieJar()
            )
        target = self.urls.setdefault(url, URL(url))
        async with self.session.post(target, data=body, headers=headers, timeout=self.timeout) as r:
            data = await r.read()
            return Response(r.status, {k.lower(): v for k, v in r.headers.items()}, data)

    async def aclose(self) -> None:
        if self.session is not None:
            await self.session.close()


class Report(BaseModel):
    """A small structured answer, like the critic's."""

    rationale: str
    score: int
    flagged_turns: list[int]


async def run(url: str, calls: int, concurrency: int) -> None:
    raw = openai.AsyncOpenAI(base_url=url, api_key="x", max_retries=0)
    plain = ChatOpenAI(model="m", base_url=url, api_key="x", max_retries=0)
    lean = build_model(ModelConfig(spec="openai:m", base_url=url), "speaker")
    pool = httpx.AsyncClient(limits=httpx.Limits(max_connections=1024))
    http = HTTPClient()
    payload = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": USER}]
    body = json.dumps({"model": "m", "messages": payload}).encode()
    headers = {"Content-Type": "application/json", "Authorization": "Bearer x"}
    messages = [SystemMessage(content=SYSTEM), HumanMessage(content=USER)]
    await measure(
        "httpx post",
        lambda: pool.post(url + "/chat/completions", content=body, headers=headers),
        calls,
        concurrency,
    )
    over_aiohttp = build_model(ModelConfig(spec="openai:m", base_url=url), "speaker")
    session = over_aiohttp._http = AiohttpClient()  # type: ignore[attr-defined]
    for _round in range(2):
        await measure(
            "rolegraph HTTPClient post",
            lambda: http.post(url + "/chat/completions", body, headers, 60),
            calls,
            concurrency,
        )
        await measure(
            "aiohttp session post",
            lambda: session.post(url + "/chat/completions", body, headers, 60),
            calls,
            concurrency,
        )
    for _round in range(2):
        await measure(
            "OpenAICompatChat (lean HTTP)", lambda: lean.ainvoke(messages), calls, concurrency
        )
        await measure(
            "OpenAICompatChat (aiohttp)",
            lambda: over_aiohttp.ainvoke(messages),
            calls,
            concurrency,
        )
    await measure(
        "raw openai SDK",
        lambda: raw.chat.completions.create(model="m", messages=payload),
        calls,
        concurrency,
    )
    await measure("langchain ChatOpenAI", lambda: plain.ainvoke(messages), calls, concurrency)
    await measure(
        "  ... structured (schema)",
        lambda: lean.astructured(Report, messages),  # type: ignore[attr-defined]
        calls,
        concurrency,
    )
    await raw.close()
    await pool.aclose()
    await http.aclose()
    await lean.aclose()  # type: ignore[attr-defined]
    await session.aclose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency-ms", type=float, default=20)
    args = parser.parse_args(argv)
    server_args = argparse.Namespace(
        latency_ms=args.latency_ms, rate_5xx=0, rate_429=0, rate_hang=0, rate_malformed=0
    )
    server, url = start_server(server_args)
    try:
        asyncio.run(run(url, args.calls, args.concurrency))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
