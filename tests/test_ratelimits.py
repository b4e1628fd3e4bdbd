"""Rate limits as a first-class case: 429s waited out (not failed), pacing, client-side limits."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage

from bench.mock_server import MockConfig, MockServer, TooManyRequests
from rolegraph.models import limits
from rolegraph.models.limits import (
    WAIT_FLOOR,
    Bucket,
    EndpointLimiter,
    ThrottleClock,
    duration,
    throttle_wait,
)
from rolegraph.models.openai_compat import OpenAICompatChat, RateLimited
from rolegraph.run.runner import RunOptions, run_scenario
from rolegraph.scenario.schema import Scenario


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


# -- the per-sample deadline ---------------------------------------------------------------

OUTAGE = Path(__file__).resolve().parent.parent / "scenarios" / "support_outage.yaml"


def _outage(model: str) -> Scenario:
    text = OUTAGE.read_text().replace("default: local", f"default: {model}")
    text = text.replace("mood: {calm: 2, frustrated: 2, furious: 1}", "mood: [frustrated, furious]")
    return Scenario.from_text(text, OUTAGE)


def _records(run: Path, name: str) -> list[dict]:
    path = run / f"{name}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def test_a_throttled_sample_fails_at_its_deadline_and_the_others_finish(tmp_path: Path):
    deadline = 1.0
    throttled_at: list[float] = []

    def responder(req: dict) -> None:
        # every call of a furious sample is throttled (its speakers' prompts name the mood)
        if any("mood: furious" in str(m.get("content")) for m in req["messages"]):
            throttled_at.append(time.monotonic())
            raise TooManyRequests(retry_after=0.01)
        return None

    server = MockServer(MockConfig(responder=responder))
    url = await server.start()
    model = f"{{spec: 'openai:m', timeout: 5, params: {{rate_limit_deadline: {deadline}}}}}"
    try:
        summary = await run_scenario(
            _outage(model),
            RunOptions(
                out=tmp_path / "run",
                samples=6,
                concurrency=6,  # all at once: every furious sample is throttled from the start
                base_url=url,
                quiet=True,
                critic_check=False,
                max_failures=0,
            ),
        )
    finally:
        await server.stop()
    failed = _records(tmp_path / "run", "failed")
    done = _records(tmp_path / "run", "accepted") + _records(tmp_path / "run", "rejected")
    assert failed and done, (summary.counts, len(throttled_at))
    assert len(failed) + len(done) == 6 == summary.counts["failed"] + len(done)
    assert all(r["conditions"]["mood"] == "furious" for r in failed)
    assert all(r["conditions"]["mood"] == "frustrated" for r in done)
    for record in failed:
        assert re.search(
            r"RateLimitDeadline: rate limited for \d\.\d s, per-sample deadline reached; "
            r"raise models\.default\.params\.rate_limit_deadline \(now 1 s\) or lower "
            r"--concurrency \(last answer: HTTP 429 ",
            record["error"],
        ), record["error"]
    # each furious sample gave up after about the deadline: not once per call, nor once per
    # retry of its graph node (the node's retry policy would have run it 4 times)
    span = throttled_at[-1] - throttled_at[0]
    assert 0.7 * deadline <= span < 2 * deadline, span
    assert len(throttled_at) >= 3 * len(failed)  # waited and tried again, many times


async def test_429s_then_success_leave_the_sample_and_its_transport_budget_alone(tmp_path: Path):
    server = MockServer(MockConfig(first_429=12, retry_after=0.01))
    url = await server.start()
    # no transport retries at all: a 429 that spent one would fail the sample
    model = OpenAICompatChat(model="m", base_url=url, transport_retries=0, rate_limit_deadline=30)
    try:
        summary = await run_scenario(
            _outage("local"),
            RunOptions(
                out=tmp_path / "run",
                samples=1,
                models={"default": model},
                quiet=True,
                critic_check=False,
            ),
        )
    finally:
        await model.aclose()
        await server.stop()
    assert summary.counts["failed"] == 0
    assert summary.counts["accepted"] + summary.counts["rejected"] == 1
    assert server.stats.status_counts[429] == 12 and server.stats.status_counts[200] >= 3


async def test_calls_outside_a_sample_keep_a_deadline_each():
    server = MockServer(MockConfig(rate_429=1.0, retry_after=0.01))
    url = await server.start()
    model = OpenAICompatChat(model="lone", base_url=url, rate_limit_deadline=0.3)
    started = time.monotonic()
    try:
        for _ in range(2):  # the second call has its own 0.3 s, not what the first left
            with pytest.raises(RateLimited, match=r"still rate limited after \d+ tries"):
                await model.ainvoke("hi")
    finally:
        await model.aclose()
        await server.stop()
    assert 0.4 <= time.monotonic() - started < 2
    assert server.stats.status_counts[429] >= 6


async def test_a_sample_clock_counts_overlapping_throttling_once():
    clock = ThrottleClock(per_sample=True)
    clock.start()
    clock.start()  # a second call throttled at the same time
    await asyncio.sleep(0.1)
    clock.stop()
    clock.stop()
    await asyncio.sleep(0.05)  # not throttled: the clock stands still
    assert 0.09 <= clock.used() < 0.14


async def test_a_freed_slot_sends_the_next_request_at_once():
    limiter = EndpointLimiter(ceiling=1)
    launched: list[str] = []
    seen: list[object] = []

    async def second() -> None:
        async with limiter.slot(launch=lambda: launched.append("sent") or "handle") as ticket:
            seen.append(ticket.started)

    async with limiter.slot():
        waiter = asyncio.create_task(second())
        await asyncio.sleep(0)
        assert not launched
    # handed over as the first slot closed, before the waiter's own task has run again
    assert launched == ["sent"] and not seen
    await waiter
    assert seen == ["handle"] and limiter.in_flight == 0


async def test_a_paced_limiter_leaves_the_send_to_the_waiter():
    limiter = EndpointLimiter(ceiling=1)
    limiter.configure(rpm=6000, tpm=None)  # a client-side bucket: the send must wait its turn
    launched: list[str] = []
    async with limiter.slot():
        waiter = asyncio.create_task(
            limiter.slot(launch=lambda: launched.append("sent")).__aenter__()
        )
        await asyncio.sleep(0)
    ticket = await waiter
    assert not launched and ticket.started is None


async def test_a_waiter_cancelled_after_its_request_was_sent_drops_it():
    limiter = EndpointLimiter(ceiling=1)

    class Handle:
        aborted = False

        def abort(self) -> None:
            self.aborted = True

    handle = Handle()
    async with limiter.slot():
        waiter = asyncio.create_task(limiter.slot(launch=lambda: handle).__aenter__())
        await asyncio.sleep(0)
    waiter.cancel()  # handed its slot and sent, but cancelled before it ran
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert handle.aborted and limiter.in_flight == 0


def test_each_event_loop_has_its_own_limiters_and_they_go_with_it():
    """Synchronous calls run each on a fresh loop: a loop that ends takes its limiters along,
    and one that reuses a dead loop's id starts with an empty limiter, not the old waiters."""
    import gc

    async def limiter() -> limits.EndpointLimiter:
        return limits.limiter_for("http://127.0.0.1:9/v1", "m", None)

    first, second = asyncio.run(limiter()), asyncio.run(limiter())
    gc.collect()
    assert first is not second
    assert len(limits._LIMITERS) == 0


def test_worker_processes_sharing_an_endpoint_probe_together_as_one_would():
    """After a 429, one process grows its cap ~1 request a round trip; each of N worker
    processes on the same endpoint grows 1/N of that, so their probes add up to one's."""

    def growth(sharers: int) -> float:
        limits.share_endpoints(sharers)
        try:
            limiter = EndpointLimiter()
            limiter.limit, limiter.in_flight = 20.0, 20
            limiter.throttled()  # cut to 19, the level of the 429 window: 20
            limiter._cut_from = 0.0  # far from that level, so no halving near it
            before = limiter.limit
            for _ in range(19):  # one round trip of successes at a cap of 19
                limiter.succeeded()
            return limiter.limit - before
        finally:
            limits.share_endpoints(1)

    alone, shared = growth(1), growth(2)
    assert alone == pytest.approx(1.0, abs=0.05)
    assert shared == pytest.approx(alone / 2, abs=0.03)
    assert limits._SHARERS == 1


def test_a_worker_is_told_how_many_processes_share_its_endpoints():
    from rolegraph.run.workers import SampleWorker
    from rolegraph.scenario.schema import Scenario

    scenario = Scenario.from_text(
        (Path(__file__).resolve().parent.parent / "scenarios" / "support_outage.yaml").read_text()
    )
    try:
        SampleWorker(scenario, {}, 1, "/nonexistent/checkpoints.sqlite", "async", None, 3)
        assert limits._SHARERS == 3
    finally:
        limits.share_endpoints(1)
