"""Whether a value is one step of arithmetic from the grounding, or from what the sentence
and the dialogue have said: 2 × €1,200, "half a tank" of 50 litres, 15% off the £114 just
said, "twenty would mean five beyond the fifteen included"."""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import combinations

from agents.derive import scaled_to
from agents.grounding import Clause, Grounding
from agents.spoken import normalise
from agents.value_compare import same
from agents.value_words import DERIVE_CUES, UNIT_TABLE
from agents.values import Value


def operands(text: str, values: tuple[Value, ...]) -> tuple[list[float], tuple[float, ...]]:
    """The numbers a (normalised) sentence gives to compute with, and those it gives as extra
    ("five beyond the fifteen included")."""
    numbers = [v.number for v in values if v.number]
    numbers += [  # "ten more would be £25"; not the digits of a value ("45 lakh rupees")
        float(m.group(1))
        for m in _BARE_NUMBER.finditer(text)
        if not any(v.start <= m.start() < v.end for v in values)
    ]
    if _PAIR.search(text):
        numbers.append(2.0)  # "£29 for the pair"
    numbers += [_SHARES[m.group(1).lower()] for m in _SHARE.finditer(text)]  # "half a tank"
    parts = [_PARTS[m.group(1).lower()] for m in _OFF.finditer(text)]  # "a third off" ("3rd
    numbers += [n / (n - 1) for n in parts]  # off"): two thirds are left, the whole is 3/2 of it
    extras = tuple(float(m.group(1) or m.group(2)) for m in _EXTRA.finditer(text))
    return numbers, extras


_SHARE = re.compile(
    r"\b(half|halves|double|twice|triple|third|quarter|each way|both ways|there and back|"
    r"round trip|return trip)\b",
    re.I,
)
_SHARES = {"half": 2.0, "halves": 2.0, "double": 2.0, "twice": 2.0, "triple": 3.0}
_SHARES |= dict.fromkeys(("each way", "both ways", "there and back", "round trip"), 2.0)
_SHARES |= {"return trip": 2.0}
_SHARES |= {"third": 3.0, "quarter": 4.0}
_OFF = re.compile(r"\b(half|third|3rd|quarter|4th|fifth|5th)\s+off\b", re.I)
_PARTS = _SHARES | {"3rd": 3.0, "4th": 4.0, "fifth": 5.0, "5th": 5.0}
_PAIR = re.compile(r"\b(pair|both|twins|the two of)\b", re.I)
_BARE_NUMBER = re.compile(r"(?<![\d.,:/])\b(\d{1,3})\b(?![.,:/]\d)")


_EXTRA = re.compile(
    r"\b(\d+)\s+(?:\w+\s+)?(?:beyond|extra|more|additional|on top|over|fewer|less)\b"
    r"|\b(?:plus|another|an extra|and)\s+(\d+)\s+(?:extra|more)\b",
    re.I,
)
_GENERIC = frozenset({"cost"})  # fee, price, charge: every money fact's word


def _one_topic(basis: tuple[frozenset[str], ...], spoken: list[bool]) -> bool:
    """True when the operands the sentence does not speak of share two words (or all of theirs)
    with those it does ("the rent is €1,200; the deposit is two months' rent": "So the deposit
    is €2,400")."""
    heard = frozenset().union(*(b - _GENERIC for b, s in zip(basis, spoken, strict=True) if s))
    return all(
        s or len((b - _GENERIC) & heard) >= min(2, len(b - _GENERIC))
        for b, s in zip(basis, spoken, strict=True)
    )


def derived(
    value: Value,
    ground: Grounding,
    numbers: list[float],
    about: frozenset[str],
    cued: bool,
    said: dict[str, list[Value]],
    restates: bool = False,
    shown_facts: frozenset[frozenset[str]] = frozenset(),
    extras: tuple[float, ...] = (),
    kin: frozenset[float] = frozenset(),
) -> bool:
    """One step of arithmetic from the grounding, or from a number the sentence itself gives.

    With a cue ("so", "that makes", "in total") a derivation from what the sentence or the
    turn before speaks about, or from a sentence that states a fact's value, will do; without one, the
    sentence (or the turn before it) must speak about what every operand is about, and a
    sentence that restates a fact giving another value must show an operand ("114 pounds
    for the three bags, 38 quid each"; not "The rent is €2,400" of a €1,200 rent).
    """
    shown = {n for n in numbers if n != value.number}
    for d in ground.derived.get(value.cls, ()):
        if not same(value, d.value):
            continue
        # with a cue: the sentence states a fact's value, or speaks of one operand and shows
        # or speaks of the other ("30 June + 30 days' notice" is no "till the 30th of July")
        spoken = [not b or bool((b - _GENERIC) & about) for b in d.basis]  # today needs no words
        if (
            cued
            and (
                bool(shown_facts & set(d.basis))  # it states an operand's fact ("1.5 hours each,
                # so you'd be finished at 7:45" of "90 minutes, starting at 6:15")
                or (any(spoken) and (all(spoken) or any(o in shown for o in d.operands)))
                or (any(spoken) and _one_topic(d.basis, spoken))
            )
        ) or (
            all(spoken)
            # a sentence that restates the fact shows an operand, unless the step is the
            # calendar's ("until 2 am the next morning": Monday the 12th)
            and (not restates or any(o in shown for o in d.operands) or not all(d.basis))
        ):
            return True
    if value.cls == "money":  # "15% off the £114 just said: £96.90"
        rates = [
            1 + f * p.amounts[0] / 100 for p in ground.pool.get("q:percent", ()) for f in (-1, 1)
        ]
        rates += [p.amounts[0] / 100 for p in ground.pool.get("q:percent", ())]  # the premium
        stated = [m.amounts[0] for m in ground.pool.get("money", ())]
        asked = [m for m in said.get("put", ()) if m.cls == "money" and m.amounts]
        for earlier in (*said.get("money", ()), *asked):  # "knocked down at £300?" "£60 on top"
            steps = [earlier.amounts[0] * r for r in rates]
            steps += [earlier.amounts[0] * n for n in shown]
            others = stated + [m.amounts[0] for m in said.get("money", ()) if m is not earlier]
            steps += [earlier.amounts[0] + m for m in others]  # "£60 for the second, £180 both"
            steps += [abs(earlier.amounts[0] - m) for m in others]
            if any(same(value, scaled_to(earlier, x)) for x in steps):
                return True
    if cued:  # "so 24 for your house": a number said earlier in the dialogue scales a fact
        numbers = numbers + [
            v.number for k, vs in said.items() if k != "put" for v in vs if v.number
        ]
    if value.cls in ("time", "date") or value.per:
        return False  # a clock time, a date or a rate is never a multiple of anything
    for n in set(numbers):
        if not n or n == value.number or n <= 1 or n in kin:
            continue  # (not "two weeks' notice" making a six-month term three months)
        for factor in (1 / n, n):  # "four lengths make 100 m" of a 25 m pool; "a dozen 2-litre
            scaled = Value(  # bottles" for 24 litres
                value.cls,
                value.text,
                tuple(a * factor for a in value.amounts),
                unit=value.unit,
                per=value.per,
                approx=value.approx,
            )
            if any(same(scaled, g) for g in ground.pool.get(value.cls, ())):
                return True
    if cued and value.cls.startswith("count:") and value.number is not None:
        # "twenty images would mean five beyond the fifteen included": a fact's count and a
        # number the sentence itself gives as extra, added or taken away
        for n in set(extras):
            if (
                n
                and n != value.number
                and any(
                    g.number is not None and value.number in (g.number + n, g.number - n)
                    for g in ground.pool.get(value.cls, ())
                )
            ):
                return True
    return False  # (a sentence that restates a fact shows its operands only in itself)


_CONSTANTS = frozenset({7.0, 12.0, 24.0, 52.0, 60.0, 365.0})


def chained(
    value: Value, ground: Grounding, said: dict[str, list[Value]], numbers: list[float]
) -> bool:
    """A figure worked out aloud over several steps, each on a figure the dialogue has already
    worked out: "seventy a go, so four would be two hundred and eighty; ten percent off brings
    it to sixty-three a clean, so £252 for the year". A fact's own figure is one step away or
    none ("derived"); a figure next to it is what a wrong restatement looks like."""
    if value.cls in ("time", "date") or value.cls.startswith("nth:") or not value.amounts:
        return False
    facts = {g.amounts[0] for g in ground.pool.get(value.cls, ()) if g.amounts}
    worked = {s.amounts[0] for s in said.get(value.cls, ()) if s.amounts} - facts
    asked = said.get("put", ())  # what a question put: "knocked down at three hundred"
    worked |= {s.amounts[0] for s in asked if s.cls == value.cls and s.amounts} - facts
    if value.cls == "money":  # bare figures said before, or in this sentence ("fifteen per
        worked |= {s.number for s in said.get("#", ()) if s.number} - facts  # cent of forty")
        worked |= {s.number for s in asked if s.cls == "q:bare" and s.number} - facts
    if value.cls == "q:duration":  # "just over thirteen hours" from 7:15 to 20:30
        clock = [g for g in ground.pool.get("time", ()) if g.amounts]
        heard = [  # "at ten-fifteen", or asked for "from ten until one": 15 min (not between
            t  # the choices of "departs at 09:30 and 14:00")
            for t in (*said.get("time", ()), *said.get("put", ()))
            if t.cls == "time"
        ]
        worked |= {
            abs(x.amounts[0] - b) * 60
            for x in clock
            for y in clock + heard
            if (id(x), id(y)) not in ground.choices
            for b in y.amounts
            if x.amounts[0] != b
        }
    factors = set(numbers) | {v.number for vs in said.values() for v in vs if v.number}
    factors -= {0.0, value.number}
    rates = [1 + f * p.amounts[0] / 100 for p in ground.pool.get("q:percent", ()) for f in (-1, 1)]
    rates += [p.amounts[0] / 100 for p in ground.pool.get("q:percent", ())]  # "15% of forty"
    steps = set(worked)
    if value.cls == "money":  # "five hundred for the two of you and four hundred and fifty for
        # the children: nine hundred and fifty altogether": a total of the sentence's own
        # figures (only a total: a wrong rate agrees with its own wrong total divided back)
        local = {n for n in numbers if n >= 10} - {value.number}
        steps |= {a + b for a in local for b in local | worked if b != a}
        steps |= {a * r for a in local for r in rates}  # "712, less the ten percent: 640.80"
        quoted = sorted(
            facts & {*numbers, *(m.amounts[0] for m in said.get("money", ()))}
        )  # "sixty-five each and the child rate of forty,
        steps |= {  # so a hundred and seventy for the three of ye": two prices, mixed
            a * i + b * j
            for k, a in enumerate(quoted)
            for b in quoted[k + 1 :]
            for i in range(1, 10)
            for j in range(1, 10)
            if i + j in factors or (i in factors and j in factors)  # as many as the dialogue
        }  # counts: "the three of ye", "two adults and two kids"
        counts = [n for n in numbers if n >= 2 and n != value.number and n == int(n)]
        steps |= {  # "$2 per tool per day, so 2 tools x 3 days comes to twelve dollars"
            g.amounts[0] * n * m
            for g in ground.pool.get("money", ())
            if g.amounts and g.per
            for i, n in enumerate(counts)
            for m in counts[i + 1 :]
        }
    # "the first month at half price, £84.50, then two at £169: £422.50"
    rest = {n - 1 for n in factors if n >= 3} | {n for n in factors if n >= 2}
    rest = {n for n in rest if n == int(n)} if value.cls == "money" else set()
    for a in worked:
        steps |= {a * r for r in rates}
        steps |= {a * n for n in factors} | {a / n for n in factors}
        steps |= {a + b for b in worked | facts if b != a} | {abs(a - b) for b in worked | facts}
        steps |= {a + b * n for b in facts for n in rest}
    if value.cls == "money":  # "$1 to unlock plus 39 cents a minute, so 20 minutes comes to
        # $8.80"; "$12.98 the first year, then $17.98 a year: $48.94 over 3 years": a fact's
        # price and a fact's rate times what the sentence itself counts
        own = {n for n in numbers if n >= 2 and n == int(n)} - {value.number}
        rated = _rated(ground.clauses)
        steps |= {
            a + b * n for a in facts for b in rated if b != a for n in own | {n - 1 for n in own}
        }
    if value.cls == "money" and value.amounts and _totals(value.amounts[0], said, worked):
        return True
    if value.per and value.cls.startswith("q:"):  # "fourteen visits a week ... each visit is 45
        steps |= {  # minutes, so it works out to ten and a half hours a week"
            g.amounts[0] * c.amounts[0]
            for g in ground.pool.get(value.cls, ())
            if g.amounts and not g.per
            for cls, vs in said.items()
            if cls.startswith("count:")
            for c in vs
            if c.amounts and c.per == value.per
        }
    if value.cls == "q:duration":
        steps |= {  # "at least 22 hours a day, so out for about 2 hours"
            g.per - g.amounts[0]
            for g in ground.pool.get("q:duration", ())
            if g.per and g.amounts and g.amounts[0] < g.per
        }
        counts = [  # "ten visits at twice a week: about five weeks"
            c
            for cls, vs in (*said.items(), *ground.pool.items())
            if cls.startswith("count:")
            for c in vs
            if c.amounts
        ]
        steps |= {
            c.amounts[0] / r.amounts[0] * r.per
            for c in counts
            for r in counts
            if r.per and not c.per and r.amounts[0]
        }
        spans = [  # "40 hours of video at 5 hours a week: about 8 weeks"
            d
            for d in (*said.get("q:duration", ()), *ground.pool.get("q:duration", ()), *asked)
            if d.cls == "q:duration" and d.amounts and d.amounts[0]
        ]
        steps |= {
            d.amounts[0] / r.amounts[0] * r.per
            for d in spans
            for r in spans
            if r.per and not d.per and r.amounts[0] < d.amounts[0]
        }
    if value.cls == "money":  # "a kilo and a half at $48 a kilo"; 45 minutes at $32 an hour
        weights = [q.amounts[0] for q in said.get("q:mass", ()) if q.amounts]
        scales = {w / unit for w in weights for unit in (1000.0, 453.59237)}  # in kg, in lb
        spans = [
            d.amounts[0]
            for d in (*said.get("q:duration", ()), *ground.pool.get("q:duration", ()))
            if d.amounts
        ]
        for a in facts | worked:
            steps |= {a * k for k in scales}
        for rate in (*ground.pool.get("money", ()), *said.get("money", ())):
            if rate.per and rate.amounts:
                steps |= {rate.amounts[0] / rate.per * d for d in spans}
                steps |= {
                    (rate.amounts[0] + b) / rate.per * d
                    for d in spans
                    for b in facts
                    if b < rate.amounts[0]
                }  # "$4 an hour more" at the weekend
    if value.cls.startswith("count:"):  # "one instructor for every 4 students": 12 students
        steps |= _by_ratio(value.cls[6:], ground, said, tuple(numbers))  # need three instructors
    for g in ground.pool.get(value.cls, ()):  # "twenty minutes a day" is 140 over a week
        if g.per and g.amounts:
            steps |= {g.amounts[0] * n for n in _CONSTANTS | factors}
    return any(same(value, scaled_to(value, x)) for x in steps if x)


def _totals(amount: float, said: dict[str, list[Value]], worked: set[float]) -> bool:
    """A total of three or four of the amounts the dialogue has said, one of them worked out
    aloud: "$220 after hours ... the $350 assist on top ... fifteen kilometres at $1.80, $27.
    All up $597". Only the last ten said count, so a wrong total rarely meets one by chance."""
    heard = [s.amounts[0] for s in said.get("money", ()) if s.amounts]
    heard += [s.number for s in said.get("#", ()) if s.number]
    heard = list(dict.fromkeys(h for h in heard if h and h < amount))[-10:]
    if not any(h in worked for h in heard):
        return False
    for size in (3, 4):
        for parts in combinations(heard, size):
            if any(p in worked for p in parts) and abs(sum(parts) - amount) < 0.005:
                return True
    return False


@lru_cache(maxsize=256)
def _rated(clauses: tuple[Clause, ...]) -> frozenset[float]:
    """The facts' prices that are rates: per hour, per minute, a kilo, each."""
    return frozenset(
        v.amounts[0]
        for c in clauses
        for v in c.values
        if v.cls == "money" and v.amounts and (v.per or _PER_UNIT.match(normalise(c.text), v.end))
    )


_CONVERTS = re.compile(  # "23 kilos per case, which is about 35 pounds"; "1.5 km (about a mile)"
    r"^(?:\s+(?:per|a|an|each)\s+\w+)?\s*(?:(?:,\s*(?:which is|which's|that's|that is|i\.e\.|or)|\(|"
    r"\s+or)\s*(?:about|roughly|around|approximately|just over|just under|nearly|almost)?|"
    r",\s*(?:about|roughly|around|approximately|just over|just under|nearly|almost)|"
    r"\s+(?:is|are|equals|makes)(?:\s+(?:about|roughly|around|approximately|just over|"
    r"just under|nearly|almost|a little over|a little under))?)\s*$",
    re.I,
)


def misconverted(value: Value, values: tuple[Value, ...], text: str) -> Clause | None:
    """A quantity put beside the one before it as its conversion, that is not ("twenty-three
    kilos, which is about thirty-five pounds"): the arithmetic contradicts it."""
    if not value.cls.startswith("q:") or value.cls == "q:percent" or not value.amounts:
        return None
    before = next(
        (
            v
            for v in values
            if v.cls == value.cls
            and v.end <= value.start
            and v.unit != value.unit
            and v.amounts
            and 0 <= value.start - v.end <= 30
            and _CONVERTS.match(text[v.end : value.start])
        ),
        None,
    )
    if before is None or bool(before.per) != bool(value.per):
        return None
    hedged = Value(
        value.cls, value.text, value.amounts, unit=value.unit, per=value.per, approx=True
    )
    if same(hedged, before):
        return None
    fact = f"the conversion: {before.text} is not {value.text}"
    return Clause(fact, fact, frozenset(), (), False, False)


_RATIO = re.compile(
    r"\b(?:one|1|an?)\s+([a-z]+?)s?\s+(?:for|per|to)\s+(?:every|each)?\s*(\d+)\s+([a-z]+?)s?\b",
    re.I,
)


@lru_cache(maxsize=1024)
def _ratios(fact: str) -> tuple[tuple[str, float, str], ...]:
    """A fact's ratios, parsed once: "one instructor for every 4 students" is
    ("instructor", 4, "count:student")."""
    return tuple(
        (m.group(1).lower(), float(m.group(2)), f"count:{m.group(3).lower()}")
        for m in _RATIO.finditer(normalise(fact))
        if float(m.group(2))
    )


def _by_ratio(
    noun: str, ground: Grounding, said: dict[str, list[Value]], numbers: tuple[float, ...] = ()
) -> set[float]:
    """The count of `noun` a fact's ratio gives for the counts of the other noun that the facts
    or the dialogue state: 12 students at one instructor per 4 are 3 instructors."""
    out: set[float] = set()
    for fact in {c.fact for c in ground.clauses}:
        for counted, every, other in _ratios(fact):
            if counted != noun.rstrip("s"):
                continue
            counts = [v.amounts[0] for v in (*ground.pool.get(other, ()), *said.get(other, ()))]
            counts += [n for n in numbers if n >= every]  # "for 200 that's eight waiters"
            for n in counts:
                out |= {n / every, float(-(-n // every))}
    return out


def reread(value: Value, ground: Grounding) -> Value:
    """A value read as what the grounding measures: "about eighteen pounds" of a cake that
    weighs 18 pounds, "48 pounds, so still a medium" where the grounding weighs in lb and pays
    no sterling (a weight); "from 70 years a certificate is needed" of "drivers aged 70 or
    over" (an age, where no fact lasts 70 years)."""
    if value.cls == "money" and "pound" in value.text.lower() and not value.per:
        masses = ground.pool.get("q:mass", ())  # (not "fifteen pounds a day": a hire price)
        if any(m.number == value.number for m in masses) or (
            any(m.unit in ("lb", "lbs", "pound", "pounds") for m in masses)
            and not any(m.unit == "GBP" for m in ground.pool.get("money", ()))
        ):
            return as_weight(value)
    if (
        value.cls == "q:duration"
        and value.unit.startswith("year")
        and any(a.number == value.number for a in ground.pool.get("count:yo", ()))
        and not any(d.number == value.number for d in ground.pool.get("q:duration", ()))
    ):
        return Value(
            "count:yo",
            value.text,
            (value.number or 0.0,),
            start=value.start,
            end=value.end,
            number=value.number,
        )
    return value


def as_weight(value: Value) -> Value:
    """A "pounds" amount read as the weight it is."""
    factor = UNIT_TABLE["lb"][1]
    return Value(
        "q:mass",
        value.text,
        tuple(a * factor for a in value.amounts),
        unit="lb",
        approx=value.approx,
        start=value.start,
        end=value.end,
        number=value.number,
    )


def other_unit(value: Value, ground: Grounding, hedged: bool = False) -> Clause | None:
    """The fact that states this very number of the same dimension in another unit or per
    another period ("250 miles" of "250 km", "4 days" of "up to 4 hours", "100 GB every week"
    of "100 GB each month"): a wrong unit, not a new quantity."""
    money = value.cls == "money" and bool(value.unit)  # "eighty-five dollars" of "€85"
    if not (value.cls.startswith("q:") or money) or value.number is None or value.number < 2:
        return None
    for clause in ground.clauses:
        if clause.is_reference:
            continue
        for mine in clause.values:
            if (
                mine.cls == value.cls
                and mine.number == value.number
                and (
                    (mine.unit != value.unit and not hedged)  # "about 6,000 miles": their own
                    or (mine.per and value.per and mine.per != value.per)  # "a week" of "a day"
                )
                and (mine.unit or not money)
                and not same(mine, value)
            ):
                return clause
    return None


_PER_UNIT = re.compile(
    r"\s*(?:per|a|an|each|every|/)\s*((?:square|sq\.?|cubic)\s+[a-z]+|[a-z²]+)", re.I
)


def _per_unit(text: str, end: int) -> tuple[str, float] | None:
    """The unit a price is per ("₹950 per square foot", "$13.20 a pound"): (dimension, size)."""
    m = _PER_UNIT.match(text, end)
    if not m:
        return None
    word = m.group(1).lower()
    return UNIT_TABLE.get(word) or UNIT_TABLE.get(word.rstrip("s"))


def per_other_unit(value: Value, text: str, ground: Grounding) -> Clause | None:
    """A fact's price per one unit said per another of the same kind ("₹950 per square metre"
    of "₹950 per square foot", "$13.20 a pound" of "$13.20 per kg"): another price."""
    if value.cls != "money" or not value.amounts:
        return None
    mine = _per_unit(text, value.end)
    if mine is None:
        return None
    for clause in ground.clauses:
        for g in clause.values:
            if g.cls != "money" or not g.amounts or abs(g.amounts[0] - value.amounts[0]) > 1e-9:
                continue
            theirs = _per_unit(normalise(clause.text), g.end)  # the value's place in its clause
            if theirs and theirs[0] == mine[0] and abs(theirs[1] - mine[1]) > 1e-9 * theirs[1]:
                return clause
    return None


_SO = re.compile(r",?\s+(?:so|which means|and so)\b", re.I)


def premise(text: str, value: Value) -> bool:
    """True for a value the sentence reasons from, not to: "a page is up to 300 words, so
    your report would be four pages" (a wrong figure agrees with its own conclusion)."""
    then = _SO.search(text, value.end)
    return bool(
        then
        and not DERIVE_CUES.search(text[: value.start])
        and not DERIVE_CUES.search(text[value.end : then.start()])
    )


def ratio_only(value: Value, clause: Clause) -> bool:
    """True when the clause gives this kind of quantity only per another of its own kind
    ("2 mg per kg of body weight"): a dose rate, which a dog's weight does not restate."""
    if not value.cls.startswith("q:"):
        return False
    text = normalise(clause.text)
    mine = [v for v in clause.values if v.cls == value.cls]
    return bool(mine) and all(
        (unit := _per_unit(text, v.end)) is not None and unit[0] == value.cls[2:] for v in mine
    )


_WITH_TAX = re.compile(
    r"\b(?:inc(?:l|l\.|luding|lusive of)?|with|after)\s*(?:the\s+)?(?:vat|gst|hst|tax)\b"
    r"|\b(?:vat|gst|tax)[- ]inclusive\b|\bgross\b",
    re.I,
)
_TAX_NAMED = re.compile(r"\b(?:vat|gst|hst|sales tax|plus tax|\+ tax)\b", re.I)
_TAX_RATES = (1.2, 1.15, 1.19, 1.21, 1.25, 1.1, 1.05, 1.075, 1.18, 1.13, 1.23, 1.077, 1.081)


def with_tax(
    value: Value,
    text: str,
    ground: Grounding,
    said: dict[str, list[Value]],
    others: tuple[Value, ...],
) -> bool:
    """A price with the tax added that the facts quote without it ("£600 + VAT (£720
    including VAT)", "£9,600 + VAT, or £11,520 inclusive of VAT"): a common rate on a
    figure the facts, the dialogue or the sentence give."""
    if value.cls != "money" or not value.amounts or not _WITH_TAX.search(text[value.start :][:40]):
        return False
    if not any(_TAX_NAMED.search(c.text) for c in ground.clauses):
        return False
    nets = [g.amounts[0] for g in ground.pool.get("money", ()) if g.amounts]
    nets += [m.amounts[0] for m in said.get("money", ()) if m.amounts]
    nets += [o.amounts[0] for o in others if o.cls == "money" and o is not value and o.amounts]
    return any(abs(n * r - value.amounts[0]) <= 0.011 for n in nets for r in _TAX_RATES)
