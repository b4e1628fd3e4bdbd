"""Rate limits as a first-class case: 429s waited out (not failed), pacing, client-side limits."""

from __future__ import annotations

import asyncio
import time

import pytest
from langchain_core.messages import HumanMessage

from bench.mock_server import MockConfig, MockServer
from rolegraph.models.limits import (
    WAIT_FLOOR,
    Bucket,
    EndpointLimiter,
    duration,
    throttle_wait,
)
from rolegraph.models.openai_compat import OpenAICompatChat, RateLimited


async def _calls(model: OpenAICompatChat, n: int) -> list[str]:
    answers = await asyncio.gather(*(model.ainvoke([HumanMessage(content="hi")]) for _ in range(n)))
    return [str(a.content) for a in answers]


async def test_429s_never_spend_the_transport_retry_budget():
    server = MockServer(MockConfig(latency_ms=30, max_concurrent=2, retry_after=0.01))
    url = await server.start()
    model = OpenAICompatChat(model="m", base_url=url, transport_retries=0)
    try:
        answers = await _calls(model, 24)
    finally:
        await model.aclose()
        await server.stop()
    assert len(answers) == 24 and all(answers)  # none failed, with no transport retries at all
    assert server.stats.max_in_flight <= 24
    assert server.limits.in_flight == 0


async def test_the_in_flight_limit_settles_at_a_concurrency_cap():
    server = MockServer(MockConfig(latency_ms=40, max_concurrent=4, retry_after=0.01))
    url = await server.start()
    model = OpenAICompatChat(model="cap4", base_url=url)
    try:
        await _calls(model, 120)
    finally:
        await model.aclose()
        await server.stop()
    statuses = server.stats.status_counts
    # 120 calls at once against 4 slots: a few 429 windows, then the limiter holds them back
    assert statuses[200] == 120
    assert statuses[429] < 40, statuses


async def test_a_call_throttled_past_its_deadline_fails_with_one_message():
    server = MockServer(MockConfig(rate_429=1.0, retry_after=0.05))
    url = await server.start()
    model = OpenAICompatChat(model="m", base_url=url, rate_limit_deadline=0.4)
    started = time.monotonic()
    try:
        with pytest.raises(
            RateLimited, match=r"still rate limited after \d+ tries \(0\.4 s deadline\)"
        ):
            await model.ainvoke("hi")
    finally:
        await model.aclose()
        await server.stop()
    assert time.monotonic() - started < 2
    assert server.stats.status_counts[429] >= 3  # tried again and again, never "failed" early


def test_throttle_waits_honour_retry_after_with_a_floor_and_jitter():
    waits = [throttle_wait({"retry-after-ms": "10"}, 1) for _ in range(200)]
    assert all(WAIT_FLOOR <= w <= WAIT_FLOOR * 1.5 for w in waits)  # 10 ms asked: the floor
    assert len({round(w, 4) for w in waits}) > 50  # jittered, not all at once
    slow = [throttle_wait({"retry-after": "2"}, 1) for _ in range(50)]
    assert all(2.0 <= w <= 3.0 for w in slow)
    assert 0.25 <= throttle_wait({}, 1) <= 0.375 and 2.0 <= throttle_wait({}, 4) <= 3.0


def test_reset_durations_in_openai_form():
    assert duration("1s") == 1.0 and duration("20ms") == 0.02 and duration("6m0s") == 360.0
    assert duration("1h2m3.5s") == pytest.approx(3723.5) and duration("0.5") == 0.5
    assert duration("soon") is None and duration(None) is None


async def test_client_side_rpm_paces_requests_without_a_429():
    server = MockServer(MockConfig(rps=12, burst=12))  # the server allows a little more
    url = await server.start()
    model = OpenAICompatChat(model="rpm", base_url=url, rpm=600)  # 10/s, one second of burst
    started = time.monotonic()
    try:
        await _calls(model, 16)
    finally:
        await model.aclose()
        await server.stop()
    assert time.monotonic() - started >= 0.5  # 10 at once, then 6 more at 10 per second
    assert server.stats.status_counts.get(429, 0) == 0


async def test_client_side_tpm_waits_for_tokens():
    bucket = Bucket(rate=100.0)  # 6,000 tokens per minute: 100 per second, 100 at once
    assert bucket.wait_for(80) == 0.0
    assert bucket.wait_for(80) == pytest.approx(0.6, abs=0.05)  # 20 left, 60 more to earn
    limiter = EndpointLimiter()
    limiter.configure(rpm=None, tpm=6000)
    started = time.monotonic()
    async with limiter.slot(tokens=90):
        pass
    async with limiter.slot(tokens=90):
        pass
    assert 0.7 <= time.monotonic() - started < 1.5


@pytest.mark.parametrize("headers", [True, False])
async def test_ratelimit_headers_pace_before_the_server_must_refuse(headers: bool):
    server = MockServer(
        MockConfig(latency_ms=20, rps=40, burst=4, ratelimit_headers=headers, retry_after=0.02)
    )
    url = await server.start()
    model = OpenAICompatChat(model=f"paced-{headers}", base_url=url)
    try:
        await _calls(model, 60)
    finally:
        await model.aclose()
        await server.stop()
    throttled = server.stats.status_counts.get(429, 0)
    if headers:
        assert throttled <= 20, server.stats.status_counts  # spaced by the refill time
    assert server.stats.status_counts[200] == 60


async def test_limiter_hands_slots_out_first_come_first_served():
    limiter = EndpointLimiter(ceiling=1)
    order: list[int] = []

    async def call(i: int) -> None:
        async with limiter.slot():
            order.append(i)
            await asyncio.sleep(0.001)

    await asyncio.gather(*(call(i) for i in range(10)))
    assert order == list(range(10)) and limiter.in_flight == 0


async def test_a_cancelled_waiter_gives_its_slot_back():
    limiter = EndpointLimiter(ceiling=1)
    async with limiter.slot():
        waiter = asyncio.create_task(limiter.slot().__aenter__())
        await asyncio.sleep(0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
    assert limiter.in_flight == 0 and not limiter._waiters
    async with limiter.slot():
        assert limiter.in_flight == 1
