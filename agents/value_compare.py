"""When two values of one kind say the same thing: within rounding, a hedge, a currency's
spelling ("$" for the grounding's dollar), a weekday or the calendar."""

from __future__ import annotations

import re
from datetime import date

from agents.value_words import WEEKDAYS
from agents.values import Value


def same(a: Value, b: Value) -> bool:
    """True when two values of one class say the same thing (within rounding or a hedge)."""
    if a.cls != b.cls:
        return False
    if a.cls == "date":
        return _same_date(a, b)
    if a.cls == "time":
        slack = 15 if (a.approx or b.approx) else 0
        return any(
            min(abs(x - y), 1440 - abs(x - y)) <= slack for x in a.amounts for y in b.amounts
        )
    if (
        a.cls == "money"
        and a.unit
        and b.unit
        and a.unit != b.unit
        and not (
            (_bare_dollar(a) and b.unit in _DOLLARS) or (_bare_dollar(b) and a.unit in _DOLLARS)
        )
    ):
        return False  # "$3,780" may be Australian dollars; "€" is no dollar
    for x in a.amounts:
        for y in b.amounts:
            if a.per and b.per:
                x, y = x / a.per, y / b.per
            if _close(x, y, a.approx or b.approx, exact=a.cls == "money"):
                return True
    return False


_DOLLARS = frozenset({"USD", "AUD", "CAD", "NZD", "SGD", "HKD"})


def _bare_dollar(v: Value) -> bool:
    """A dollar written "$" or "dollars", not "US$" or "AUD": whichever dollar the grounding uses."""
    text = v.text.lower()
    return (
        v.unit == "USD" and ("$" in text or "dollar" in text or "buck" in text) and "us" not in text
    )


def _close(x: float, y: float, approx: bool, exact: bool = False) -> bool:
    """Equal within a hedge's 15%, a conversion's rounding (1.5%), or for money 0.1%."""
    if x == y:
        return True
    scale = max(abs(x), abs(y))
    if abs(x - y) <= scale * (0.15 if approx else 0.001 if exact else 0.015):
        return True
    # a round figure for a precise one ("€12" for €12.40): within 4% and half a unit
    return x == round(x) and abs(x - y) < 0.5 and abs(x - y) <= scale * 0.04


_QUALIFIED = re.compile(r"^\s*(?:this|next|coming|this coming)\s", re.I)


def weekday_only(v: Value) -> bool:
    """ "Saturday", "this Friday": a weekday without a day number, whose week is a guess."""
    text = v.text.lower()
    return v.relative and v.weekday is not None and any(w in text for w in WEEKDAYS)


def loose(v: Value) -> bool:
    """A weekday whose week is open ("Saturday"); "this Saturday", "this coming Monday" and
    "next Friday" name their week (next: this one's or the one after)."""
    return weekday_only(v) and not _QUALIFIED.match(v.text)


def _same_date(a: Value, b: Value) -> bool:
    if (loose(a) or loose(b)) and a.dates and b.dates:
        wa = a.weekday if a.weekday is not None else _weekday(a)
        wb = b.weekday if b.weekday is not None else _weekday(b)
        if wa is not None and wb is not None:
            return wa == wb  # "pickup Saturday" of Saturday the 18th, whichever week
    if not a.dates or not b.dates:
        wa, wb = a.weekday, b.weekday
        if wa is None:
            wa = _weekday(a)
        if wb is None:
            wb = _weekday(b)
        return wa is None or wb is None or wa == wb
    for x in a.dates:
        for y in b.dates:
            if all(p is None or q is None or p == q for p, q in zip(x, y, strict=True)):
                # "Thursday, 7 November" is not "Friday, 7 November 2025"
                wa = a.weekday if a.weekday is not None else _weekday(a)
                wb = b.weekday if b.weekday is not None else _weekday(b)
                return wa is None or wb is None or wa == wb
    return False


def _weekday(v: Value) -> int | None:
    for y, m, d in v.dates:
        if y and m and d:
            try:
                return date(y, m, d).weekday()
            except ValueError:
                return None
    return None


_GLOSS = re.compile(
    r"\b(?:just|shortly|a bit|a little|not long) (?:after|before|over|under|past)\s*$", re.I
)


def glossed(value: Value, values: tuple[Value, ...], pool: tuple[Value, ...], text: str) -> bool:
    """A value said as a gloss on another of the sentence that a fact gives: "12:30, so just
    after noon"; a hedged figure beside the exact one, and near it ("getting on for ninety
    quid, eighty-five to be exact", "just under fifty quid, forty-five exactly")."""
    hedge = _GLOSS.search(text[max(0, value.start - 20) : value.start])
    if not hedge and not value.approx:
        return False
    for other in values:
        if other is value or other.cls != value.cls or not any(same(other, g) for g in pool):
            continue
        if hedge:
            return True
        x, y = (value.amounts or (0.0,))[0], (other.amounts or (0.0,))[0]
        if y and abs(x - y) <= 0.15 * y:
            return True
    return False
