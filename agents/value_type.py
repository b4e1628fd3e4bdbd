"""A value as the checks compare it, and the helpers every parser of values shares."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agents.value_words import HEDGES, PER, PER_ADVERB, RATE


@dataclass(frozen=True)
class Value:
    """A checkable value as stated: its class, what it is, and how exactly it was said.

    `cls` says what it can be compared with: "money", "time", "date", "q:<dimension>"
    (quantities, converted to the dimension's base unit), "count:<noun>" or "nth:<noun>".
    """

    cls: str
    text: str
    amounts: tuple[float, ...] = ()  # alternatives (5:00 may be 5:00 or 17:00, in minutes)
    unit: str = ""  # currency code; the unit as written for quantities
    per: float = 0.0  # a rate's period in seconds ("per day"); 0 when not a rate
    approx: bool = False  # hedged ("about", "just under") or rounded
    dates: tuple[tuple[int | None, int | None, int | None], ...] = ()  # (year, month, day)
    weekday: int | None = None
    start: int = 0
    end: int = 0
    relative: bool = False
    number: float | None = None  # the number as written, before any unit conversion

    @property
    def kind(self) -> str:
        """The kind a finding reports: money, time, date, unit, number."""
        if self.cls.startswith("q:"):
            return "unit" if self.cls not in ("q:percent", "q:duration") else "number"
        if self.cls.startswith(("count:", "nth:")):
            return "number"
        return self.cls


@dataclass
class Found:
    values: list[Value] = field(default_factory=list)
    taken: list[tuple[int, int]] = field(default_factory=list)

    def free(self, start: int, end: int) -> bool:
        return not any(start < e and s < end for s, e in self.taken)

    def add(self, value: Value) -> None:
        self.values.append(value)
        self.taken.append((value.start, value.end))


def to_float(text: str) -> float:
    return float(text.replace(",", ""))


_RANGE_END = re.compile(r"\b(?:somewhere )?between\s+[^,;]{1,30}?\s+and\s*$", re.I)


def hedged(text: str, start: int) -> bool:
    """A hedge before the value, or the end of a hedged range ("somewhere between one week
    and a week and a half")."""
    before = text[max(0, start - 45) : start]
    return bool(HEDGES.search(before[-22:])) or bool(
        _RANGE_END.search(before) and "somewhere" in before.lower()
    )


def rate_after(text: str, end: int) -> tuple[float, int]:
    match = RATE.match(text[end : end + 36])
    if not match:
        return 0.0, end
    word = (match.group(1) or match.group(2)).lower()
    return (PER.get(word) or PER_ADVERB[word]), end + match.end()
