"""Faults from a real HTTP endpoint: 5xx, 429 with Retry-After, hangs, malformed output; AIMD."""

from __future__ import annotations

import asyncio
import email.utils
import json
import time
from pathlib import Path

import pytest

from bench.mock_server import MockConfig, MockServer
from rolegraph.models.limits import AIMDLimiter, Ticket, backoff, limiter_for, retry_after
from rolegraph.run.runner import RunOptions, run_scenario
from rolegraph.scenario.schema import Scenario
from tests.conftest import SCENARIOS

OUTAGE = SCENARIOS / "support_outage.yaml"


def scenario_for(timeout: float = 5.0) -> Scenario:
    text = OUTAGE.read_text().replace(
        "default: local", f"default: {{spec: 'openai:m', timeout: {timeout}}}"
    )
    return Scenario.from_text(text, OUTAGE)


async def run_against(
    config: MockConfig, tmp_path: Path, samples: int, timeout: float = 5.0, concurrency: int = 4
):
    server = MockServer(config)
    url = await server.start()
    try:
        summary = await run_scenario(
            scenario_for(timeout),
            RunOptions(
                out=tmp_path / "run",
                samples=samples,
                base_url=url,
                concurrency=concurrency,
                quiet=True,
                critic_check=False,  # the faults are drawn per request: count samples' only
            ),
        )
    finally:
        await server.stop()
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    ids = [
        json.loads(line)["sample_id"]
        for name in ("accepted", "rejected", "failed")
        if (tmp_path / "run" / f"{name}.jsonl").exists()
        for line in (tmp_path / "run" / f"{name}.jsonl").read_text().splitlines()
    ]
    c = manifest["counts"]
    assert (
        c["planned"]
        == samples
        == c["accepted"] + c["rejected"] + c["failed"]
        == len(ids)
        == len(set(ids))
    )
    return summary, server, url


async def test_server_errors_are_retried(tmp_path: Path):
    summary, server, _ = await run_against(MockConfig(rate_5xx=0.3, seed=1), tmp_path, samples=6)
    assert server.stats.status_counts[500] >= 5
    assert summary.counts["failed"] == 0


async def test_429_honours_retry_after_and_backs_off(tmp_path: Path):
    started = time.monotonic()
    summary, server, url = await run_against(
        MockConfig(rate_429=0.4, retry_after=0.2, seed=2), tmp_path, samples=4
    )
    elapsed = time.monotonic() - started
    throttled = server.stats.status_counts[429]
    assert throttled >= 5 and summary.counts["failed"] == 0
    # every 429 asked for 0.2 s; with 4 samples in flight at least throttled/4 waits were serial
    assert elapsed >= 0.2 * throttled / 4
    limiter = limiter_for(url, "m", None)
    assert limiter.throttles >= 1 and limiter.limit < limiter.ceiling


async def test_hung_calls_time_out_and_are_retried(tmp_path: Path):
    started = time.monotonic()
    summary, _server, _ = await run_against(
        MockConfig(rate_hang=0.15, hang_seconds=30, seed=3), tmp_path, samples=4, timeout=0.5
    )
    assert summary.counts["failed"] == 0
    assert time.monotonic() - started < 25, "hangs were cut by the timeout, not waited out"


async def test_malformed_critic_output_is_fed_back(tmp_path: Path):
    summary, server, _ = await run_against(
        MockConfig(rate_malformed=0.3, seed=4), tmp_path, samples=6
    )
    critic_calls = [
        r for r in server.stats.last_requests if "strict reviewer" in r["messages"][0]["content"]
    ]
    re_asks = [r for r in critic_calls if "That reply was invalid" in r["messages"][-1]["content"]]
    assert re_asks, "a malformed verdict was sent back with its error"
    assert summary.counts["accepted"] + summary.counts["rejected"] >= 5


async def test_all_faults_together_lose_nothing(tmp_path: Path):
    config = MockConfig(
        rate_5xx=0.10,
        rate_429=0.05,
        retry_after=0.05,
        rate_hang=0.05,
        hang_seconds=30,
        rate_malformed=0.10,
        seed=5,
    )
    summary, server, _ = await run_against(config, tmp_path, samples=16, timeout=0.5, concurrency=8)
    assert {500, 429} <= set(server.stats.status_counts)
    assert summary.counts["failed"] <= 1


async def test_aimd_cuts_by_the_requests_that_were_too_many_and_grows_additively():
    limiter = AIMDLimiter(ceiling=64, limit=64)
    limiter.in_flight = 40  # the cut starts from what is in flight, not from the ceiling
    early = Ticket(sent=time.monotonic())
    limiter.throttled(early)
    assert limiter.limit == pytest.approx(39)  # 40 were in flight and one was too many
    limiter.throttled(early)  # sent before that cut: the same window, one more too many
    assert limiter.limit == pytest.approx(38) and (limiter.throttles, limiter.cuts) == (2, 1)
    for _ in range(30):  # a whole burst refused: a window cuts to half at most
        limiter.throttled(early)
    assert limiter.limit == pytest.approx(20) and limiter.cuts == 1
    limiter.in_flight = 20
    limiter.throttled(Ticket(sent=limiter._last_cut + 0.001))  # sent after it: a new window
    assert limiter.limit == pytest.approx(19) and limiter.cuts == 2
    limiter.in_flight = 0
    level = limiter.limit
    for _ in range(round(level)):  # a round trip of successes near the 429 level: +1/2
        limiter.succeeded()
    assert level + 0.45 < limiter.limit < level + 0.55
    fresh = AIMDLimiter(ceiling=64, limit=10)
    for _ in range(10):
        fresh.succeeded()
    assert fresh.limit == 20  # no 429 seen yet: slow start, doubling per round trip
    far = AIMDLimiter(ceiling=64, limit=10, cuts=1, _cut_from=40)
    for _ in range(10):
        far.succeeded()
    assert 10.9 < far.limit < 11.0  # far below the 429 level: +1 per round trip


async def test_aimd_caps_requests_in_flight():
    limiter = AIMDLimiter(ceiling=16)
    limiter.limit = 3
    peak = {"now": 0, "max": 0}

    async def call():
        async with limiter.slot():
            peak["now"] += 1
            peak["max"] = max(peak["max"], peak["now"])
            await asyncio.sleep(0.01)
            peak["now"] -= 1

    await asyncio.gather(*(call() for _ in range(20)))
    assert peak["max"] == 3 and limiter.in_flight == 0


def test_retry_after_forms():
    assert retry_after({"retry-after": "2"}) == 2.0
    assert retry_after({"retry-after-ms": "150"}) == 0.15
    date = email.utils.formatdate(time.time() + 3, usegmt=True)
    assert 1.5 < retry_after({"retry-after": date}) <= 3.0
    assert retry_after({}) is None
    assert all(0 <= backoff(a) <= min(30, 0.5 * 2**a) for a in range(10))
