"""Live counters of what the sample graphs are doing right now, for progress displays.

The graph bumps them around every role call (graphs.builder) and the usage meter on every
finished model call (agents.usage); a display reads them a few times a second. They are
plain integers in this process (a few additions per call, no locks: one event loop), so a
run shows activity before its first sample finishes. Executors with workers in other
processes do not see them; their displays count samples in flight instead.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Activity:
    """Turns written, model calls finished, and role calls in flight (by role)."""

    turns: int = 0
    calls: int = 0
    running: Counter[str] = field(default_factory=Counter)

    def enter(self, role: str) -> None:
        self.running[role] += 1

    def leave(self, role: str) -> None:
        self.running[role] -= 1
        if self.running[role] <= 0:
            del self.running[role]

    def snapshot(self) -> tuple[int, int, dict[str, int]]:
        """(turns, calls, running by role), for differences between two moments."""
        return self.turns, self.calls, dict(self.running)


ACTIVITY = Activity()  # this process's; displays subtract what they saw at their start
