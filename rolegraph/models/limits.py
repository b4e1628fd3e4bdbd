"""Requests in flight per endpoint, found by AIMD, and retries that honour Retry-After.

Each endpoint (base URL and model) gets one limiter: a 429 halves its limit
(multiplicatively, at most once per second so a burst of 429s counts once), and every
success grows it by about one request per round trip (additively), up to `ceiling`.
Generator and critic on different endpoints therefore each settle at their own limit.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class AIMDLimiter:
    """An adaptive cap on concurrent requests to one endpoint."""

    ceiling: int = 1024
    floor: int = 1
    limit: float = 0.0  # current cap; starts at the ceiling
    in_flight: int = 0
    throttles: int = 0
    _last_cut: float = 0.0
    _changed: asyncio.Condition | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.limit = self.limit or float(self.ceiling)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[AIMDLimiter]:
        """Hold one request slot for the duration of the block."""
        if self._changed is None:
            self._changed = asyncio.Condition()
        async with self._changed:
            await self._changed.wait_for(lambda: self.in_flight < max(self.floor, int(self.limit)))
            self.in_flight += 1
        try:
            yield self
        finally:
            async with self._changed:
                self.in_flight -= 1
                self._changed.notify_all()

    def succeeded(self) -> None:
        """Additive increase: about +1 per `limit` successes, i.e. +1 per round trip."""
        self.limit = min(float(self.ceiling), self.limit + 1.0 / max(1.0, self.limit))

    def throttled(self) -> None:
        """Multiplicative decrease on a 429; one cut per second, however many 429s arrive together."""
        now = time.monotonic()
        if now - self._last_cut >= 1.0:
            self.limit = max(float(self.floor), self.limit / 2)
            self._last_cut = now
            self.throttles += 1


_LIMITERS: dict[tuple[int, str, str], AIMDLimiter] = {}


def limiter_for(base_url: str, model: str, ceiling: int | None) -> AIMDLimiter:
    """The shared limiter of an endpoint, within the running event loop."""
    key = (id(asyncio.get_running_loop()), base_url, model)
    if key not in _LIMITERS:
        _LIMITERS[key] = AIMDLimiter(ceiling=ceiling or 1024)
    return _LIMITERS[key]


def retry_after(headers: object) -> float | None:
    """Seconds a server asked us to wait (`retry-after-ms`, `retry-after` seconds or HTTP date)."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    if (ms := get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def backoff(attempt: int, base: float = 0.5, cap: float = 30.0) -> float:
    """Exponential backoff with full jitter: random in [0, min(cap, base * 2**attempt)]."""
    return random.uniform(0, min(cap, base * 2**attempt))
