"""Values one step of arithmetic from the grounding, with what each operand is about.

2 × €1,200, €186 + €25, 15% off €114, 1.85 m − 1.6 m, 18:45 − 30 minutes, the hours between
06:30 and 4 pm, 7 June − 24 hours, today + 5 working days, a $5 cap at 25 cents a day.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import combinations

from agents.values import Value


@dataclass(frozen=True)
class Derived:
    """A value one step of arithmetic from the grounding, with what its operands are about.

    `basis` holds the stems of each operand's source (today's date needs none): a sentence
    that states the value without a cue ("so", "in total") must speak about all of them, so
    that "2:45" is not taken for "2:15 + 30 minutes" when the 30 minutes are another fact's.
    """

    value: Value
    basis: tuple[frozenset[str], ...]
    operands: tuple[float, ...] = ()  # the numbers it was computed from


def derive(
    pool: dict[str, list[tuple[Value, frozenset[str]]]],
    today: date | None,
    next_day: bool = False,
    choices: frozenset[tuple[int, int]] = frozenset(),
) -> dict[str, tuple[Derived, ...]]:
    """Values one step of arithmetic away from what the grounding states.

    2 × €1,200, €186 + €25, 15% off €114, 1.85 m − 1.6 m, 18:45 − 30 minutes, the hours
    between 06:30 and 4 pm, 7 June − 24 hours, today + 5 working days, 8 helpers − 5.
    """
    sized = [
        (cls, v.number, about)
        for cls, values in pool.items()
        for v, about in values
        if v.number is not None and 1 < v.number <= 1000
    ]
    numbers = {(n, about) for _, n, about in sized}
    # what a quantity may be multiplied by: counts, not other quantities ("every 10 minutes"
    # is not 20 because a grace period is 2 hours)
    counted = {(n, about) for cls, n, about in sized if not cls.startswith("q:")}
    out: dict[str, list[Derived]] = {}

    def add(cls: str, value: Value, *basis: frozenset[str], of: tuple[float, ...] = ()) -> None:
        out.setdefault(cls, []).append(Derived(value, basis, of))

    for value, about in pool.get("q:percent", ()):  # "we take 40%, so 60% is yours"
        if 0 < value.amounts[0] < 100:
            add("q:percent", scaled_to(value, 100 - value.amounts[0]), about, of=_of(value))
    percents = [(v.amounts[0] / 100, about) for v, about in pool.get("q:percent", ())]
    percents = [(p, about) for p, about in percents if 0 < p < 1]
    money = pool.get("money", ())
    for value, about in money:
        amount = value.amounts[0]
        for n, n_about in numbers:
            add("money", scaled_to(value, amount * n), about, n_about, of=(amount, n))
            add("money", scaled_to(value, amount / n), about, n_about, of=(amount, n))
        for p, p_about in percents:  # "15% off £114": £17.10 off, £96.90 to pay
            for factor in (p, 1 - p, 1 + p):
                add(
                    "money", scaled_to(value, amount * factor), about, p_about, of=(amount, p * 100)
                )
    for (a, a_about), (b, b_about) in combinations(money, 2):
        for cap, rate in ((a, b), (b, a)):  # a $5 cap at 25 cents a day: 20 days
            units = cap.unit == rate.unit or not (cap.unit and rate.unit)
            if units and rate.per and not cap.per and rate.amounts[0]:
                days = cap.amounts[0] / rate.amounts[0] * rate.per
                span = Value("q:duration", f"{cap.text} at {rate.text}", (days,))
                add("q:duration", span, a_about, b_about, of=_of(a, b))
        if a.unit == b.unit and a.per == b.per:
            for amount in (a.amounts[0] + b.amounts[0], abs(a.amounts[0] - b.amounts[0])):
                add(
                    "money", scaled_to(a, amount), a_about, b_about, of=(a.amounts[0], b.amounts[0])
                )
    for cls, values in pool.items():  # quantities of one dimension add up and differ
        if cls.startswith("count:"):
            for (a, a_about), (b, b_about) in combinations(values, 2):  # 8 helpers, 5 so far
                for amount in (a.amounts[0] + b.amounts[0], abs(a.amounts[0] - b.amounts[0])):
                    add(
                        cls,
                        Value(cls, f"{a.text} and {b.text}", (amount,)),
                        a_about,
                        b_about,
                        of=_of(a, b),
                    )
        if not cls.startswith("q:") or cls == "q:percent":
            continue
        for (a, a_about), (b, b_about) in combinations(values, 2):
            if a.per == b.per:
                for amount in (a.amounts[0] + b.amounts[0], abs(a.amounts[0] - b.amounts[0])):
                    add(
                        cls,
                        Value(cls, f"{a.text} and {b.text}", (amount,), per=a.per),
                        a_about,
                        b_about,
                        of=_of(a, b),
                    )
        for value, about in values:
            for n, n_about in counted:
                if n != value.number:
                    add(
                        cls,
                        Value(cls, value.text, (value.amounts[0] * n,), per=value.per),
                        about,
                        n_about,
                        of=(*_of(value), n),
                    )
    for value, about in pool.get("q:workdays", ()):  # "ten working days, so about two weeks"
        weeks = (value.number or 0) / 5
        add(
            "q:duration",
            Value("q:duration", value.text, (weeks * 7 * 86400.0,), approx=True),
            about,
            of=_of(value),
        )
    count_classes = [cls for cls in pool if cls.startswith("count:")]
    for (x, x_about), (y, y_about) in combinations(sorted(numbers, key=lambda n: n[0]), 2):
        for cls in count_classes:  # "1 capsule 3 times a day for 7 days": 21 capsules
            add(cls, Value(cls, f"{x:g} x {y:g}", (x * y,)), x_about, y_about, of=(x, y))
    times = pool.get("time", ())
    durations = [(v.amounts[0] / 60, v.number, about) for v, about in pool.get("q:duration", ())]
    for value, about in times:
        for minutes, number, m_about in durations:
            if minutes <= 1440:
                for sign in (1, -1):
                    shifted = tuple((t + sign * minutes) % 1440 for t in value.amounts)
                    shift = (minutes, *((number,) if number is not None else ()))
                    add("time", Value("time", value.text, shifted), about, m_about, of=shift)
    for (a, a_about), (b, b_about) in combinations(times, 2):  # 06:30 to 4 pm: 9.5 hours
        if (id(a), id(b)) in choices:
            continue  # (not "departs at 09:30 and 14:00": four and a half hours of nothing)
        for minutes in {abs(x - y) for x in a.amounts for y in b.amounts}:
            span = Value("q:duration", f"{a.text} to {b.text}", (minutes * 60,))
            add("q:duration", span, a_about, b_about)
    shifts = {(round(m / 1440), about) for m, _, about in durations}
    shifts = {(d, about) for d, about in shifts if 0 < d <= 366}
    if next_day:  # "until 2 am the next morning"
        shifts.add((1, frozenset()))
    bases: list[tuple[date, tuple[frozenset[str], ...]]] = [(today, ())] if today else []
    for value, about in pool.get("date", ()):
        for y, m, d in value.dates[:1]:
            year = y or (today.year if today else None)
            if year and m and d:
                with contextlib.suppress(ValueError):
                    bases.append((date(year, m, d), (about,)))
    for (x, x_basis), (y, y_basis) in combinations(bases, 2):  # 4 June to 14 June: 10 days
        gap = abs((x - y).days)
        if gap:
            span = Value("q:duration", f"{x} to {y}", (gap * 86400.0,))
            add("q:duration", span, *x_basis, *y_basis, of=(float(gap),))
    days = [
        (base + timedelta(days=sign * d), (*basis, d_about), (float(d), d * 24.0, d / 7))
        for base, basis in bases
        for d, d_about in shifts
        for sign in (1, -1)
    ]
    days += [  # "dispatched on the 25th, delivered within 2 working days": by the 27th
        (_add_workdays(base, int(v.number or 0)), (*basis, about), _of(v))
        for base, basis in bases
        for v, about in pool.get("q:workdays", ())
        if v.number and v.number <= 60 and (not basis or basis == (about,))  # today, or its own
    ]  # fact's date (not the artwork deadline + the delivery time)
    months = {  # "consigned for six months from 22 January": until 22 July
        (n, about) for v, about in pool.get("q:duration", ()) if (n := whole_months(v))
    }
    days += [
        (shifted, (*basis, about), (float(n),))
        for base, basis in bases
        for n, about in months
        for sign in (1, -1)
        if (shifted := add_months(base, sign * n)) is not None
    ]
    for day, basis, of in days:  # the shift in days, hours or weeks, as a sentence may show it
        when = Value(
            "date", str(day), dates=((day.year, day.month, day.day),), weekday=day.weekday()
        )
        add("date", when, *basis, of=of)
    return {k: tuple(v) for k, v in out.items()}


def _of(*values: Value) -> tuple[float, ...]:
    return tuple(v.number for v in values if v.number is not None)


def scaled_to(value: Value, amount: float) -> Value:
    return Value(value.cls, value.text, (amount,), unit=value.unit, per=value.per)


def _add_workdays(start: date, n: int) -> date:
    day = start
    while n > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def whole_months(value: Value) -> int:
    """A length given in whole months, up to two years ("six months"), else 0."""
    n = value.number
    return int(n) if value.unit.startswith("month") and n and n == int(n) <= 24 else 0


def add_months(start: date, n: int) -> date | None:
    month = start.month - 1 + n
    with contextlib.suppress(ValueError):
        return start.replace(year=start.year + month // 12, month=month % 12 + 1)
    return None  # 31 January + 1 month: no such day
