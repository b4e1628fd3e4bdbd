"""Rate limits per endpoint: an AIMD cap on requests in flight, pacing, and 429 waits.

Each endpoint (base URL and model) gets one `EndpointLimiter`, shared by every client of it
within the running event loop, so generator and critic on different endpoints each settle
at their own limit.

- **In flight (AIMD).** The cap starts at 8 and doubles each round trip until the first
  429 (slow start, as TCP does), so an opening burst cannot be a storm. A 429 sets the cap
  to the requests that were in flight when it came back, less one; each further 429 of
  the same window (every request sent before that cut) takes one more off, to at most
  half, and the next window cuts again. So the cap lands where the server stopped
  admitting, not a fixed share below it. Each success grows the cap by about one request
  per round trip (half that near the level where 429s began), up to `ceiling`.
  Slots are handed out first come, first served. When N worker processes share one
  endpoint (`--executor processes` / `ray`), each grows at 1/N of that speed
  (`share_endpoints`), so together they probe the server's limit as one process would,
  not N times as often.
- **Client-side limits.** Optional `rpm` and `tpm` per model: token buckets (one second of
  burst) that a request waits on before it is sent.
- **The server's own counters.** `x-ratelimit-remaining-requests/-tokens` with their
  `x-ratelimit-reset-*` (OpenAI's headers): when a counter runs dry, sends are spaced by
  the server's refill time (or wait for the reset) instead of running into a 429.
- **429 waits** honour `retry-after-ms` / `Retry-After`, with a floor and jitter so that a
  crowd of throttled requests does not come back at the same instant, and they never spend
  the transport-error retry budget: a throttled call retries until the deadline
  (`rate_limit_deadline`, 600 s by default) of the sample it belongs to.
- **The deadline is per sample.** The run sets a `ThrottleClock` around each sample's graph
  (`sample_clock`, a context variable, so every call the sample's nodes make finds it);
  the clock runs while any of the sample's calls is rate limited (from its first 429 until
  it is answered), and every call's 429 loop draws on what the sample has left. A wall-clock
  deadline from the sample's start would instead fail a long but healthy sample (one whose
  calls queue behind a concurrency cap) at its first 429. A call outside a sample (the
  preflight, critic canaries, `rolegraph judge`) has a clock of its own: a per-call deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import random
import re
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

MAX_CUT = 0.5  # a window of 429s cuts the in-flight cap to no less than this share
SLOW_START = 8  # requests in flight at first, doubled every round trip until a 429
_SHARERS = 1  # processes that share this process's endpoints (see share_endpoints)
WAIT_FLOOR = 0.05  # seconds: never retry a 429 sooner, whatever Retry-After says


@dataclass
class Bucket:
    """A token bucket: `rate` per second, holding at most `capacity` (one second's worth)."""

    rate: float
    capacity: float = 0.0
    level: float = 0.0
    stamp: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.capacity = self.capacity or max(1.0, self.rate)
        self.level = self.capacity

    def wait_for(self, amount: float) -> float:
        """Take `amount` now if it is there (0.0), else the seconds until it will be."""
        now = time.monotonic()
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
        self.stamp = now
        amount = min(amount, self.capacity)  # a request larger than the bucket waits for a full one
        if self.level >= amount:
            self.level -= amount
            return 0.0
        return (amount - self.level) / self.rate


@dataclass
class Ticket:
    """One request's slot: when it was sent, so a 429 knows which window it belongs to.

    `started` is what the slot's `launch` returned when the request was sent at handover.
    """

    sent: float
    started: Any = None


@dataclass
class _Waiter:
    """A request waiting for a slot, and how to send it the moment one is handed to it."""

    future: asyncio.Future[None]
    launch: Callable[[], Any] | None = None
    started: Any = None
    sent: float = 0.0


@dataclass
class EndpointLimiter:
    """Requests in flight (AIMD), client-side rpm/tpm and header pacing for one endpoint."""

    ceiling: int = 1024
    floor: int = 1
    limit: float = 0.0  # current cap; starts at SLOW_START
    in_flight: int = 0
    throttles: int = 0  # 429s seen
    cuts: int = 0  # windows of 429s, each one cut
    rpm: Bucket | None = None
    tpm: Bucket | None = None
    paused_until: float = 0.0  # the server said its counters are spent until then
    gap: float = 0.0  # while the server's counters run dry: seconds between two sends
    gap_until: float = 0.0  # ... until then (refreshed by every answer that says so)
    _next_send: float = 0.0
    _last_cut: float = -1.0
    _cut_from: float = 0.0  # requests in flight when the last 429 window began
    _waiters: deque[_Waiter] = field(default_factory=deque, repr=False)

    def __post_init__(self) -> None:
        # slow start: a few requests first, doubling each round trip until the first 429,
        # so a run's opening burst cannot be a storm of 429s
        self.limit = self.limit or float(min(self.ceiling, SLOW_START))

    def configure(self, rpm: int | None, tpm: int | None) -> None:
        """Client-side limits of the model (the first client of an endpoint to say wins)."""
        if rpm and self.rpm is None:
            self.rpm = Bucket(rpm / 60)
        if tpm and self.tpm is None:
            self.tpm = Bucket(tpm / 60)

    def _cap(self) -> int:
        return max(self.floor, int(self.limit))

    async def _pace(self, tokens: int) -> None:
        """Wait out the server's reset and the client-side buckets before sending."""
        if self.gap and time.monotonic() < self.gap_until:
            now = time.monotonic()
            start = max(now, self._next_send)
            self._next_send = start + self.gap  # each send takes its turn, one gap apart
            if start > now:
                await asyncio.sleep(start - now)
        while True:
            wait = self.paused_until - time.monotonic()
            if wait <= 0 and self.rpm is not None:
                wait = self.rpm.wait_for(1)
            if wait <= 0 and self.tpm is not None and tokens:
                wait = self.tpm.wait_for(tokens)
                if wait > 0 and self.rpm is not None:
                    self.rpm.level += 1  # give the request back: it was not sent
            if wait <= 0:
                return
            await asyncio.sleep(wait)

    @contextlib.asynccontextmanager
    async def slot(
        self, tokens: int = 0, launch: Callable[[], Any] | None = None
    ) -> AsyncIterator[Ticket]:
        """Hold one request slot (first come, first served) for the duration of the block.

        A waiter handed its slot by a finishing request is sent right then, by `launch`
        (a synchronous call that writes the request and returns a handle, or None when it
        cannot), when nothing needs pacing; `Ticket.started` has the handle. Otherwise the
        request waits for its own task to run, a step of the event loop later, which on a
        busy loop is milliseconds of every slot's time.
        """
        started = None
        if self._waiters or self.in_flight >= self._cap():
            waiter = _Waiter(asyncio.get_running_loop().create_future(), launch)
            self._waiters.append(waiter)
            try:
                await waiter.future  # `_wake` counts the slot as ours before it resolves this
            except BaseException:
                if waiter.future.done() and not waiter.future.cancelled():
                    self.in_flight -= 1  # handed a slot while being cancelled: pass it on
                    if waiter.started is not None and hasattr(waiter.started, "abort"):
                        waiter.started.abort()  # sent, but nobody will read the answer
                    self._wake()
                else:
                    with contextlib.suppress(ValueError):
                        self._waiters.remove(waiter)
                raise
            started = waiter.started
        else:
            self.in_flight += 1
        try:
            if started is None:
                await self._pace(tokens)
                yield Ticket(time.monotonic())
            else:
                yield Ticket(waiter.sent, started)
        finally:
            self.in_flight -= 1
            self._wake()

    def _unpaced(self) -> bool:
        """Nothing to wait for before a send: no client-side bucket, no server pause or gap."""
        now = time.monotonic()
        return (
            self.rpm is None
            and self.tpm is None
            and self.paused_until <= now
            and not (self.gap and now < self.gap_until)
        )

    def _wake(self) -> None:
        """Hand free slots to the longest waiters (each counted in flight as it is handed),
        sending each one's request at once when it can be (see `slot`)."""
        while self._waiters and self.in_flight < self._cap():
            waiter = self._waiters.popleft()
            if waiter.future.done():
                continue  # cancelled while waiting
            self.in_flight += 1
            if waiter.launch is not None and self._unpaced():
                try:
                    waiter.started = waiter.launch()
                except Exception:  # its own task sends it instead, and meets the error there
                    waiter.started = None
                waiter.sent = time.monotonic()
            waiter.future.set_result(None)

    def succeeded(self) -> None:
        """Additive increase: +1 per round trip (`limit` successes), half of that near
        the level of the last 429 window, where the server's limit probably is."""
        if self.limit < self.ceiling:
            step = 1.0 if not self.cuts else 1.0 / max(1.0, self.limit) / _SHARERS
            if self._cut_from and 0.85 * self._cut_from <= self.limit <= 1.15 * self._cut_from:
                step /= 2
            self.limit = min(float(self.ceiling), self.limit + step)
            self._wake()

    def throttled(self, ticket: Ticket | None = None) -> None:
        """Decrease on a 429 by what was too many: one request per 429 of a window.

        The first 429 of a window (a request sent after the last cut) sets the cap to the
        requests in flight less this one; each further 429 of the same window (sent before
        that cut) takes one more off, down to half of where the window began. Against a
        concurrency cap K the cap lands on K, where a fixed 0.9 cut would hold 0.9 K; an
        opening burst far above the limit comes down in one window, one request per 429.
        """
        self.throttles += 1
        if ticket is not None and ticket.sent <= self._last_cut:
            # sent under the cap already cut for: one more of that window was too many
            self.limit = max(float(self.floor), self._cut_from * MAX_CUT, self.limit - 1)
            return
        # cut from what was really in flight, not from a ceiling never reached
        self._cut_from = min(self.limit, max(1, self.in_flight))
        self.limit = max(float(self.floor), self._cut_from * MAX_CUT, self._cut_from - 1)
        self._last_cut = time.monotonic()
        self.cuts += 1

    def observe(self, headers: Mapping[str, str]) -> None:
        """Pace on `x-ratelimit-remaining-*` / `-reset-*` before the server has to say 429.

        When a counter runs dry (less than one request's worth left), sends are spaced by
        the time the server needs to earn one more (`reset / (limit - remaining)`); with
        no `x-ratelimit-limit-*` to tell that, new sends wait for the whole reset.
        """
        for kind in ("requests", "tokens"):
            remaining = _number(headers.get(f"x-ratelimit-remaining-{kind}"))
            reset = duration(headers.get(f"x-ratelimit-reset-{kind}"))
            if remaining is None or reset is None or remaining >= 1:
                continue
            limit = _number(headers.get(f"x-ratelimit-limit-{kind}"))
            now = time.monotonic()
            if kind == "requests" and limit and limit > remaining:
                # a little faster than the refill: a late send wastes a token, an early one a 429
                self.gap = min(0.9 * reset / (limit - remaining), 60.0)
                self.gap_until = now + max(1.0, 10 * self.gap)
            else:
                self.paused_until = max(self.paused_until, now + min(reset, 60.0))


# Back-compatible name: the limiter started as the AIMD cap alone.
AIMDLimiter = EndpointLimiter

# per event loop (weakly: a loop that ends takes its limiters along, and a new loop that
# happens to get a dead one's id does not inherit its waiters), then per endpoint
_Endpoints = dict[tuple[str, str], "EndpointLimiter"]
_LIMITERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Endpoints] = (
    weakref.WeakKeyDictionary()
)


def share_endpoints(processes: int) -> None:
    """This process is one of `processes` worker processes calling the same endpoints: after
    the first 429 each grows its cap 1/`processes` as fast, so their probes together come as
    often as one process's would (two workers at full speed doubled the 429s: 0.054 of all
    calls against a 16-call cap, one process 0.029)."""
    global _SHARERS
    _SHARERS = max(1, int(processes))


def limiter_for(base_url: str, model: str, ceiling: int | None) -> EndpointLimiter:
    """The shared limiter of an endpoint, within the running event loop."""
    loop = asyncio.get_running_loop()
    limiters = _LIMITERS.get(loop)
    if limiters is None:
        limiters = _LIMITERS[loop] = {}
    key = (base_url, model)
    if key not in limiters:
        limiters[key] = EndpointLimiter(ceiling=ceiling or 1024)
    return limiters[key]


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")


def duration(value: str | None) -> float | None:
    """Seconds in an OpenAI reset header: `1s`, `6m0s`, `20ms`, `1h2m3.5s`, or a bare number."""
    if value is None:
        return None
    value = value.strip()
    if (plain := _number(value)) is not None:
        return max(0.0, plain)
    parts = _PART.findall(value)
    if not parts or "".join(a + b for a, b in parts) != value:
        return None
    return sum(float(amount) * _UNITS[unit] for amount, unit in parts)


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


def throttle_wait(headers: object, throttles: int) -> float:
    """How long to wait after the `throttles`-th 429 in a row of one call.

    The server's Retry-After (or, without one, exponential backoff from 0.25 s up to 30 s),
    at least `WAIT_FLOOR`, stretched by up to +50% jitter.
    """
    asked = retry_after(headers)
    base = asked if asked is not None else min(30.0, 0.25 * 2 ** max(0, throttles - 1))
    base = max(WAIT_FLOOR, base)
    return base * random.uniform(1.0, 1.5)


def backoff(attempt: int, base: float = 0.5, cap: float = 30.0) -> float:
    """Exponential backoff with full jitter: random in [0, min(cap, base * 2**attempt)]."""
    return random.uniform(0, min(cap, base * 2**attempt))


@dataclass
class ThrottleClock:
    """Seconds spent rate limited: by one sample (all its calls), or by one call outside one.

    Calls throttled at the same time count once (the clock runs while any of them waits).
    """

    per_sample: bool = False
    spent: float = 0.0  # closed stretches of throttling
    _open: int = 0  # calls throttled right now
    _since: float = 0.0

    def start(self) -> None:
        """A call got its first 429."""
        if self._open == 0:
            self._since = time.monotonic()
        self._open += 1

    def stop(self) -> None:
        """A throttled call ended (answered, failed or gave up)."""
        self._open -= 1
        if self._open == 0:
            self.spent += time.monotonic() - self._since

    def used(self) -> float:
        """Seconds rate limited so far."""
        return self.spent + (time.monotonic() - self._since if self._open else 0.0)


_SAMPLE_CLOCK: ContextVar[ThrottleClock | None] = ContextVar("rolegraph_sample_clock", default=None)


@contextlib.contextmanager
def sample_clock() -> Iterator[ThrottleClock]:
    """Give the calls made inside the block (one sample's graph run) one shared 429 budget."""
    clock = ThrottleClock(per_sample=True)
    token = _SAMPLE_CLOCK.set(clock)
    try:
        yield clock
    finally:
        _SAMPLE_CLOCK.reset(token)


def throttle_clock() -> ThrottleClock:
    """The running sample's clock, or a new one for a call made outside any sample."""
    return _SAMPLE_CLOCK.get() or ThrottleClock()
