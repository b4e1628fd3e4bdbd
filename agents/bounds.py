"""A value held against a fact that gives only a bound or a range of its kind.

"Up to 24 litres", "the first 10,000 miles", "can be booked until 30 October", "open from
7 am to 9 pm", "4.5 cubic feet or smaller": a value that keeps to the bound (or falls in the
range) is no conflict, one said as a bound of its own must agree, and an example ("say you
go 80 km over") is no claim at all.
"""

from __future__ import annotations

import re

from agents.grounding import Clause
from agents.spoken import normalise
from agents.value_compare import same, weekday_only
from agents.values import Value

_SEGMENT = re.compile(r"[,;:]\s+|\s+(?:and|but|so|then|which|while)\s+", re.I)


def segment_of(text: str, value: Value) -> str:
    """The part of a sentence a value sits in ("..., and Ravi inspected on the 9th"); the
    "and" of "between 15:00 and 17:30" joins a range and cuts nothing."""
    joints = [m for m in _SEGMENT.finditer(text) if not _RANGE_AND.search(text[: m.start()])]
    cuts = [0, *(m.end() for m in joints if m.end() <= value.start)]
    start = max(cuts)
    after = [m.start() for m in joints if m.start() >= value.end]
    return text[start : min(after) if after else len(text)]


_RANGE_AND = re.compile(r"\bbetween\s+\S+(?:\s+(?:am|pm))?$", re.I)


_UPPER = re.compile(
    r"\b(?:up to|at most|maximum(?: of)?|max|no more than|not more than|under|less than|"
    r"below|within|(?:the )?(?:first|1st)|limit of|cap of|capped at|limited to|restricted to|"
    r"no longer than)\s*$",
    re.I,
)
_UPPER_AFTER = re.compile(  # "4.5 cubic feet or smaller", "20 kg max"
    r"\s*(?:or (?:less|smaller|fewer|under|below|lower|shorter|lighter)|max(?:imum)?|at most|"
    r"tops)\b",
    re.I,
)
_LOWER_AFTER = re.compile(
    r"\s*(?:or (?:more|larger|bigger|over|above|higher|longer|heavier)|min(?:imum)?|at least|"
    r"and (?:up|over|above))\b",
    re.I,
)
_LOWER = re.compile(
    r"\b(?:at least|minimum(?: of)?|min|more than|over|above|no less than)\s*$", re.I
)
_BOUND_AFTER = re.compile(
    r"\s*(?:or (?:more|fewer|less|over|under|above|below)|plus|minimum|maximum|max|at most|"
    r"at least|or longer|or later|or earlier|tops)\b",
    re.I,
)
_BOUND_WORDS = re.compile(
    r"\b(?:up to|at most|max|maximum|no more than|under|less than|within|first|at least|"
    r"minimum|more than|over|above|below|exceeding|beyond|limit|limited|restricted|cap|"
    r"capped|tops? out|no later than|"
    r"latest|earliest)\b",
    re.I,
)


HYPOTHETICAL = re.compile(
    r"\b(?:if|say|suppose|supposing|imagine|for example|for instance|let's say|e\.g\.)\b", re.I
)


_WOULD_COST = re.compile(
    r"^[^,.;]{0,25}?\b(?:would|'d)\s+(?:be|cost|come to|set you back|add up to|run you)\b", re.I
)
_MODAL = re.compile(r"\b(?:would|could|might|'d)\b", re.I)


def hypothetical(text: str, value: Value) -> bool:
    """An example, not a claim: "say you go 80 km over", "if you haven't used any, a 3-hour
    meeting would leave you one free hour"; not "if you're without water for 12 hours, you'll
    get £30" (the fact's own condition and what follows from it)."""
    own = segment_of(text[: value.end], value)
    if HYPOTHETICAL.search(own):
        return True
    if _WOULD_COST.search(text[value.end : value.end + 40]):
        return True  # "a two-hour pitch would be €50": the example a price is worked on
    return bool(HYPOTHETICAL.search(text[: value.start]) and _MODAL.search(segment_of(text, value)))


def states_bound(clause: Clause, value: Value) -> bool:
    """True when the clause states a bound (at least, up to, within...) for the value's kind."""
    text = normalise(clause.text)
    for mine in clause.values:
        if mine.cls == value.cls:
            before = text[max(0, mine.start - 25) : mine.start]
            if _UPPER.search(before) or _LOWER.search(before):
                return True
    return False


def keeps(value: Value, clause: Clause, text: str, near: float = 0.0) -> bool:
    """True when the sentence gives the value as a bound ("under half an hour", "more than
    2,000 homes") that the clause's own plain value of its kind keeps to; with `near`, only a
    plain value (no bound, no rate) that keeps to it within that share of the bound."""
    if value.cls in ("time", "date") or not value.amounts:
        return False
    before = text[max(0, value.start - 25) : value.start]
    upper = bool(_UPPER.search(before))
    lower = not upper and bool(_LOWER.search(before))  # "no more than" is an upper bound
    if not (upper or lower):
        return False
    fact = normalise(clause.text)
    if any(
        m.cls == value.cls
        and m.number == value.number
        and m.unit != value.unit
        and not same(m, value)
        for m in clause.values
    ):
        return False  # "within 25 miles" of "within 25 km": the fact's number in another unit
    for mine in clause.values:
        if mine.cls != value.cls or not mine.amounts:
            continue
        ahead = fact[max(0, mine.start - 25) : mine.start]
        fact_upper = bool(_UPPER.search(ahead))
        fact_lower = not fact_upper and bool(_LOWER.search(ahead))
        x, y = value.amounts[0], mine.amounts[0]
        if value.per and mine.per:
            x, y = x / value.per, y / mine.per
        if near and (fact_upper or fact_lower or value.per or mine.per):
            continue
        if near and not ((1 - near) * x <= y if upper else y <= x / (1 - near)):
            continue
        if fact_upper or fact_lower:
            # a bound against a bound of the other side agrees when they overlap ("more than a
            # day" of "up to 30 hours"); of the same side it is compared as usual
            if (lower and fact_upper and x < y) or (upper and fact_lower and x > y):
                return True
            continue
        if (upper and y <= x) or (lower and y >= x):
            return True
    return False


def keeps_nearby(
    value: Value, clauses: tuple[Clause, ...], own: frozenset[str], text: str, aligned: Clause
) -> bool:
    """True when another clause the sentence speaks of keeps the bound it gives, closely (within
    a quarter): "the whole session is under two and a half hours" of a session that "runs 2
    hours 25 minutes", though the sentence was aligned to another fact (not "up to 4 toppings"
    of "a maximum of 3": a bound itself)."""
    return any(
        c is not aligned and not c.is_reference and own & c.stems and keeps(value, c, text, 0.25)
        for c in clauses
    )


def span_words(text: str, value: Value, values: tuple[Value, ...] = ()) -> str:
    """A value's segment; for a date or time also the words just before it, back to the value
    before it ("between 8 am and 5 pm": the 5 pm is a range's end; "open until 8, so 18:30 is
    fine": the "until" is the 8's)."""
    segment = segment_of(text, value)
    if value.cls in ("time", "date"):
        start = max([value.start - 30, *(v.end for v in values if v.end <= value.start)])
        gap = text[start : value.start]
        if _RANGE_JOIN.match(gap) or _BETWEEN_AND.match(gap):
            start = value.start - 30  # "between nine and eleven": the range's own words
        elif start > value.start - 30:
            segment = segment[segment.find(value.text) :] if value.text in segment else segment
        return text[max(0, start) : value.start] + " " + segment
    return segment


def within_bound(value: Value, clause: Clause, segment: str, denied: bool = False) -> bool:
    """True when the clause gives only a bound for the value's kind ("the first 10,000 miles",
    "up to 24 litres") and the value keeps to it without restating a bound itself; in a
    sentence that denies (`denied`), a value beyond the bound keeps to it ("after a month we
    couldn't swap them" of "only within 14 days")."""
    if value.cls in ("time", "date"):
        return _within_span(value, clause, segment, denied)
    at = segment.find(value.text)
    if _BOUND_WORDS.search(segment[:at] if at >= 0 else segment):
        return False  # the value's own bound ("up to 24 litres"), not a later one's
    if at >= 0 and _BOUND_AFTER.match(segment, at + len(value.text)):
        return False  # "25 parcels or more": a bound of its own, to compare with the fact's
    text = normalise(clause.text)
    mine = [v for v in clause.values if v.cls == value.cls]
    if not mine:
        return False
    for bound in mine:
        before = text[max(0, bound.start - 25) : bound.start]
        upper = _UPPER.search(before) or _UPPER_AFTER.match(text, bound.end)
        lower = _LOWER.search(before) or _LOWER_AFTER.match(text, bound.end)
        if not (upper or lower):
            return False  # a plain value of the same kind: compare as usual
        if lower and _QUALIFIER.search(before):
            continue  # "bulk orders over 500 pages need approval": a case on either side of
            # the threshold ("I need 30 pages") is not a claim about it
        x, y = value.amounts[0], bound.amounts[0]
        if value.per and bound.per:
            x, y = x / value.per, y / bound.per
        outside = bool((upper and x > y) or (lower and x < y))
        if outside != denied:
            return False
    return True


# a threshold that picks out the cases a rule is about: "orders over", "groups of more than"
_QUALIFIER = re.compile(
    r"\b(?:orders?|bookings?|groups?|parties|purchases?|jobs?|loads?|items?|parcels?|"
    r"deliveries|requests?|claims?|amounts?|balances?|journeys?|trips?|stays?)\s+"
    r"(?:of\s+)?(?:over|above|exceeding|more than|larger than|bigger than|heavier than)\s*"
    r"(?:[$€£₹]|rs\.?\s*)?$",
    re.I,
)
_UNTIL = re.compile(r"\b(?:until|till|by|before|no later than|up to|up until)\s*(?:the\s+)?$", re.I)
_SINCE = re.compile(
    r"\b(?:from|after|since|starting|not before|no earlier than)\s*(?:the\s+)?$", re.I
)
_SPAN_WORDS = re.compile(
    r"\b(?:until|till|by|before|no later than|up to|from|after|since|starting|deadline|"
    r"latest|earliest|last day|starts?|begins?|ends?|finish(?:es)?|due|expires?|valid|"
    r"between|opens?|closes?)\b",
    re.I,
)


_RANGE_NEXT = re.compile(r"\s*(?:to|until|till|through|-|–)\s*\d", re.I)
_SLOT_END = re.compile(r"\d\s*(?:am|pm|a\.m\.|p\.m\.)?\s*(?:to|till|-|–)\s*$", re.I)
_RANGE_JOIN = re.compile(r"^\s*(?:to|until|till|through|-|–)\s*$", re.I)
_BETWEEN_AND = re.compile(r"^\s*and\s*$", re.I)


_OPENS = re.compile(r"\b(?:opens?|starts?|begins?)\s+(?:at\s+|from\s+)?$", re.I)
_CLOSES = re.compile(
    r"^\s*,?\s*(?:and|&)\s+(?:\w+\s+)?(?:closes?|shuts?|ends?|finish(?:es)?)\s+(?:at\s+)?$", re.I
)


def _is_range(text: str, first: Value, second: Value) -> bool:
    """Two values a range joins: "from 7 am to 9 pm", "14:00–16:00", "between 9 and 12" (not
    "at 8 am and 6 pm", two times)."""
    between = text[first.end : second.start]
    if _RANGE_JOIN.match(between):
        return True
    if _CLOSES.match(between) and _OPENS.search(text[max(0, first.start - 16) : first.start]):
        return True  # "courts open at 6:00 am and close at 10:00 pm"
    return (
        bool(_BETWEEN_AND.match(between))
        and "between" in text[max(0, first.start - 12) : first.start].lower()
    )


def _when(value: Value, year: int | None, option: int = 0) -> tuple[int, ...] | None:
    """A date as (year, month, day), or a time as (minutes,) (its `option`: "3:30" is 03:30
    or 15:30), to compare with a bound."""
    if value.cls == "time":
        return (int(value.amounts[option]),) if len(value.amounts) > option else None
    for y, m, d in value.dates:
        if m and d:
            return (y or year or 0, m, d)  # no year on either side: month and day compare
    return None


def _within_span(value: Value, clause: Clause, segment: str, denied: bool) -> bool:
    """True when the clause gives a date or time only as a bound ("can be booked until 30
    October", "register before 17:00") and the value, said without a bound word of its own,
    falls inside it ("Monday, 20 October, for the follow-up"): a choice within the fact."""
    if _SPAN_WORDS.search(segment):
        return False  # "due by the 20th": it restates the bound, and must agree
    at = segment.find(value.text)
    text = normalise(clause.text)
    mine = [v for v in clause.values if v.cls == value.cls]
    if not mine:
        return False
    if at >= 0 and _RANGE_NEXT.match(segment, at + len(value.text)) and not _season(text, mine):
        return False  # "weekdays, 9 AM to 6 PM": the start of hours it states, to agree
        # (but "March 29-30" is a weekend within "weekends from 22 March to 20 April")
    if (
        value.cls == "date"
        and len(mine) >= 2
        and all(weekday_only(v) or v.weekday is not None for v in mine[:2])
        and _is_range(text, mine[0], mine[1])
        and value.weekday is not None
    ):  # "open Tuesday to Sunday": any day of the week between them
        first, last = mine[0].weekday, mine[1].weekday
        span = [(first + i) % 7 for i in range((last - first) % 7 + 1)]  # type: ignore[operator]
        return value.weekday in span
    if len(mine) == 2 and _is_range(text, mine[0], mine[1]):
        low, high = _when(mine[0], None), _when(mine[1], None)  # "open from 7 am to 9 pm"
        year = low[0] if low is not None and len(low) == 3 else None  # "March 29" of 2025's
        options = [_when(value, year, i) for i in range(max(1, len(value.amounts)))]
        return (
            low is not None
            and high is not None
            and any(x is not None and low <= x <= high for x in options)
        )  # inside the range, whatever else the sentence denies ("I can't promise a minute")
    for bound in mine:
        before = text[max(0, bound.start - 20) : bound.start]
        upper, lower = _UNTIL.search(before), _SINCE.search(before)
        if not (upper or lower):
            return False
        year = next((y for y, _, _ in bound.dates if y), None)
        x, y = _when(value, year), _when(bound, year)
        if x is None or y is None:
            return False
        if len(x) == 3 and 0 in (x[0], y[0]):
            x, y = x[1:], y[1:]  # a year on one side only: month and day compare
        outside = bool((upper and x > y) or (lower and x < y))
        if outside != denied:
            return False
    return True


_REASONED = re.compile(r"\b(?:so|which means|that means|that leaves|that gives|then)\b", re.I)


def inside_reasoned(value: Value, clause: Clause, text: str, values: tuple[Value, ...]) -> bool:
    """A time reasoned to inside the fact's hours from one of their ends the sentence states:
    "open seven till half past three, so you've got a window after two"; "bookable from eight
    in the morning, so half past five is no trouble" (not "we open at 7 and close at 3",
    which states the hours, and must agree)."""
    if value.cls != "time":
        return False
    hours = _range_of(clause)
    if hours is None:
        return False
    low, high = hours
    if not any(_inside(a, low, high, strict=True) for a in value.amounts):
        return False
    for end in values:
        if end.end > value.start or end.cls != "time":
            continue
        if any(a in (low, high) for a in end.amounts) and _REASONED.search(
            text[end.end : value.start]
        ):
            return True
    return False


def _season(text: str, mine: list[Value]) -> bool:
    """Two dates at least a week apart that a range joins: a season, whose days or weekends
    a sentence may list as ranges of their own."""
    if len(mine) != 2 or mine[0].cls != "date" or not _is_range(text, mine[0], mine[1]):
        return False
    low, high = _when(mine[0], None), _when(mine[1], None)
    if low is None or high is None or len(low) != 3:
        return False
    return (high[1] - low[1]) * 31 + high[2] - low[2] >= 7


def _range_of(clause: Clause) -> tuple[float, float] | None:
    """The two ends of a clause's range of times ("between 8:00 am and 10:00 pm"), once each."""
    ends: list[Value] = []
    for v in clause.values:
        if v.cls == "time" and not any(v.amounts == e.amounts for e in ends):
            ends.append(v)
    if len(ends) != 2 or not _is_range(normalise(clause.text), ends[0], ends[1]):
        return None
    low, high = ends[0].amounts[-1], ends[1].amounts[-1]
    return (low, high) if low != high else None  # low > high: past midnight (22:00 to 06:00)


def _inside(a: float, low: float, high: float, strict: bool = False) -> bool:
    """Inside the hours from `low` to `high`, which run past midnight when `low > high`."""
    if low > high:
        return a > low or a < high if strict else a >= low or a <= high
    return low < a < high if strict else low <= a <= high


_FINE = re.compile(
    r"\s*(?:is|'s|would be|will be|should be)?\s*(?:still\s+)?(?:fine|ok(?:ay)?|in time|"
    r"no problem|good|alright|all right|(?:falls?|is|lies)\s+(?:inside|within)|within)\b",
    re.I,
)


def inside_chosen(value: Value, clause: Clause, text: str, put: list[Value]) -> bool:
    """A time inside the fact's hours that the customer put forward ("Could we take 21 h to
    23 h?" "Nine to eleven is our last window") or that the speaker says will do ("quarter
    to eight is still fine"): a choice within the hours, not a restatement of them."""
    if value.cls != "time" or (hours := _range_of(clause)) is None:
        return False
    low, high = hours
    if not any(_inside(a, low, high) for a in value.amounts):
        return False
    # the very time put (its readings alike), not `same`, whose hedge slack and any-reading
    # overlap would let "10:30" stand for the "10:30 am" of a question about the night
    if any(value.amounts == p.amounts for p in put if p.cls == "time"):
        return True
    if _SLOT_END.search(text[: value.start]) and not _SPAN_WORDS.search(text):
        return True  # "4:30 to 5:30, yep, Court 6": a slot inside the hours, not the hours
    return bool(_FINE.match(text, value.end)) and not _UNTIL.search(text[: value.start])
