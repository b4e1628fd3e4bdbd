"""Real rate limits for the mock server: concurrency cap, request token bucket, tokens per minute.

Each limit answers an over-limit call at once with HTTP 429, `Retry-After` (whole seconds,
rounded up) and `retry-after-ms`, as OpenAI does; with `headers`, every answer carries
OpenAI's `x-ratelimit-limit/remaining/reset-requests` and `-tokens` counters.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field


@dataclass
class _Bucket:
    rate: float  # per second
    capacity: float
    level: float = 0.0
    stamp: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.level = self.capacity

    def refill(self) -> None:
        now = time.monotonic()
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
        self.stamp = now

    def until(self, amount: float) -> float:
        """Seconds until `amount` is there (0 when it is)."""
        return max(0.0, (min(amount, self.capacity) - self.level) / self.rate)

    def reset(self) -> float:
        return (self.capacity - self.level) / self.rate


def _ms(seconds: float) -> str:
    return f"{max(1, round(seconds * 1000))}ms"


@dataclass
class ServerLimits:
    """What the server admits; `admit` says why not (status, message, headers) or None."""

    max_concurrent: int = 0
    rps: float = 0.0
    burst: int = 0  # bucket size for rps (default: a tenth of a second's worth, at least 1)
    tpm: int = 0
    retry_after: float = 0.05  # what a concurrency refusal asks for
    headers: bool = True
    in_flight: int = 0
    _requests: _Bucket | None = None
    _tokens: _Bucket | None = None

    def __post_init__(self) -> None:
        if self.rps > 0:
            self._requests = _Bucket(self.rps, float(self.burst or max(1, round(self.rps / 10))))
        if self.tpm > 0:
            self._tokens = _Bucket(self.tpm / 60, float(self.tpm))

    @property
    def active(self) -> bool:
        return bool(self.max_concurrent or self._requests or self._tokens)

    def counters(self) -> dict[str, str]:
        """OpenAI's x-ratelimit headers for the current state."""
        out: dict[str, str] = {}
        if not self.headers:
            return out
        for kind, bucket in (("requests", self._requests), ("tokens", self._tokens)):
            if bucket is not None:
                out[f"x-ratelimit-limit-{kind}"] = f"{bucket.capacity:g}"
                out[f"x-ratelimit-remaining-{kind}"] = str(math.floor(bucket.level))
                out[f"x-ratelimit-reset-{kind}"] = _ms(bucket.reset())
        return out

    def admit(self, tokens: int) -> tuple[str, float] | None:
        """Take what one call needs, or say which limit refused it and how long to wait."""
        if self.max_concurrent and self.in_flight >= self.max_concurrent:
            return f"Too many concurrent requests (limit {self.max_concurrent})", self.retry_after
        for bucket in (self._requests, self._tokens):
            if bucket is not None:
                bucket.refill()
        if self._requests is not None and (wait := self._requests.until(1)) > 0:
            return f"Rate limit reached for requests (limit {self.rps:g}/s)", wait
        if self._tokens is not None and (wait := self._tokens.until(tokens)) > 0:
            return f"Rate limit reached for tokens (limit {self.tpm}/min)", wait
        if self._requests is not None:
            self._requests.level -= 1
        if self._tokens is not None:
            self._tokens.level -= min(tokens, self._tokens.capacity)
        return None

    def refusal_headers(self, wait: float) -> dict[str, str]:
        return {
            "retry-after": str(max(1, math.ceil(wait))),
            "retry-after-ms": str(max(1, round(wait * 1000))),
            **self.counters(),
        }
