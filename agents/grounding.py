"""Claims aligned to the grounding fact they speak about, and compared value by value.

Two kinds of finding come out, kept apart:
- a **contradiction**: a sentence aligned to a fact (it shares the fact's words, or the
  question it answers does) states a value of the same kind that differs from the fact's
  and from every other value the grounding gives or derives; or it asserts the opposite of
  a fact that carries a negation or a limit ("no fee" → "a fee applies"). It blocks.
- an **unsupported** value: nothing in the grounding says it, and no fact about the same
  thing says otherwise ("20 minutes on hold", "the 3rd floor"). It is evidence, not a block.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from itertools import combinations

from agents.value_words import DERIVE_CUES, MONTHS, UNIT_TABLE, WEEKDAYS, normalise
from agents.values import Value, reference_date, values_in

_SENTENCE = re.compile(
    r"(?<!\bMr\.)(?<!\bMrs\.)(?<!\bMs\.)(?<!\bMx\.)(?<!\bDr\.)(?<!\bSt\.)(?<!\bNo\.)"
    r"(?<!\bProf\.)(?<!\bapprox\.)(?<=[.!?;])\s+|\s+(?=\()|(?<=\))\s+"
)
_CLAUSE = re.compile(r";\s*|,?\s+\bbut\b\s+|,?\s+\bwhile\b\s+|,?\s+\balthough\b\s+", re.I)
_AND_NOT = re.compile(  # "must be signed for and cannot be left outside": the negated half
    r"\s+and\s+((?:cannot|can't|does not|doesn't|do not|don't|is not|isn't|are not|aren't|"
    r"will not|won't|must not|never|not)\b.*)$",
    re.I,
)
_SENTENCE_CLAUSE = re.compile(
    r";\s*|,?\s+\b(?:but|while|although|whereas)\b\s+|,\s+and\s+|,\s+so\s+|"
    r",\s+(?=(?:no|not|without|never)\b)",
    re.I,
)
_NEXT_DAY = re.compile(r"\b(?:next|following) (?:day|morning)\b|\bovernight\b", re.I)
_LIMIT_FACT = re.compile(
    r"\b(only|at most|up to|maximum|no more than|unless|except|within)\b", re.I
)
_LIMITS = re.compile(
    r"\b(up to|at most|maximum|max|no more than|as long as|provided|must|have to|need to|"
    r"required|only)\b",
    re.I,
)
_WORD = re.compile(r"[a-z]+")
_STOP_WORDS = """
    the a an and or but if of to in on at by for with from is are was were be been being it
    its this that these those there here you your we our they their he she his her i me my
    mine him will would can could should shall may might must do does did have has had not
    no yes so just also very about what when where which who how all any some more most than
    then as get got up out into over please thanks thank okay ok right well sure let once
    still even one two three four five six seven eight nine ten first next last per each
    every hi hello oh great good fine nice yeah yep exactly indeed really now soon just like
    am pm today tomorrow yesterday tonight morning afternoon evening night week weekend
    cannot can't won't don't doesn't isn't aren't never none nothing without until till
    before after since clock around during between onwards
"""
_STOP = frozenset(_STOP_WORDS.split())  # words that say nothing about what a sentence is about
_SYNONYMS = {
    "price": "cost",
    "fee": "cost",
    "fees": "cost",
    "charg": "cost",
    "pay": "cost",
    "paid": "cost",
    "costs": "cost",
    "leave": "depar",
    "leaves": "depar",
    "takes": "take",
    "taken": "take",
    "opens": "open",
    "close": "clos",
    "closes": "clos",
    "closed": "clos",
    "shut": "clos",
    "cover": "inclu",
    "kid": "child",
    "kids": "child",
    "reimb": "refun",
    "cove": "inclu",
    "fix": "repai",
    "fixed": "repai",
    "resto": "repai",
    "mend": "repai",
}
_UNIT_WORDS = frozenset(w for name in UNIT_TABLE for w in name.split()) - {"second", "pound"}
_NEGATION = re.compile(
    r"\b(no|not|never|none|nobody|nothing|cannot|without|avoid|only|unless|except|free|waived|"
    r"blocked|unavailable|impossible|prohibited|forbidden|neither|nor|refuse[sd]?|can't|won't|"
    r"don't|doesn't|didn't|isn't|aren't|wasn't|weren't|shouldn't|mustn't|couldn't|wouldn't|"
    r"nope|nah|non-\w+|\w+n't)\b",
    re.I,
)
_ASSERTS = re.compile(  # what a sentence that grants the opposite of a negated fact says
    r"\b(can|may|allowed|accepted|fine|ok|okay|applies|apply|charged|welcome|possible|"
    r"available|sure|yes|will|get|gets|included|covered|permitted|no problem|need to|needs to|"
    r"have to|has to|required|must)\b|'ll\b",
    re.I,
)
_CONDITION = re.compile(r"\b(?:if|unless|when|in case)\b[^,]*(?:,|$)", re.I)
_YES = re.compile(
    r"^\s*(?:yes|yep|yeah|sure|of course|certainly|absolutely|definitely|that's fine)\b", re.I
)
_DOUBLE = re.compile(
    r"\b(?:not|no longer|never|\w+n't)\s+(?:\w+\s+)?(?:free|waived|unavailable|impossible|"
    r"blocked|prohibited|forbidden)\b",
    re.I,
)
_IDIOMS = re.compile(
    r"\b(no problem|no worries|no rush|not a problem|not at all|no doubt|no need to worry|"
    r"not sure|nothing else|no, thanks?|no thank you|not yet|why not|whether or not|no stress|"
    r"no bother|no hassle|not at all)\b",
    re.I,
)


_PHRASES = re.compile(
    r"\b(?:claim|get|give|pay|paid) (?:(?:it|some of it|them|the money) )?back\b|\bmoney back\b",
    re.I,
)


_NEGATOR = re.compile(
    r"\b(?:not|no|never|cannot|can't|won't|don't|doesn't|isn't|aren't|mustn't|shouldn't|"
    r"no longer)\s+(?:be\s+|been\s+|allowed to\s+|able to\s+)?((?:[\w-]+\s+){0,2}[\w-]+)|\bnon-(\w+)",
    re.I,
)


def _focus(part: str) -> frozenset[str]:
    """What a clause negates: the words right after its negator ("not refundable", "cannot be
    left on the doorstep", "is not nut-free", "non-refundable"); empty without a negator."""
    m = _NEGATOR.search(_IDIOMS.sub(" ", part.replace("\u2019", "'")))
    if not m:
        return frozenset()
    return stems((m.group(1) or m.group(2) or "").replace("-free", " free"))


def stems(text: str) -> frozenset[str]:
    """The words that say what a sentence is about, reduced to comparable stems."""
    out = set()
    text = _PHRASES.sub(" refund ", text) if "back" in text else text
    for word in _WORD.findall(text.lower()):
        if len(word) < 3 or word in _STOP or word in _UNIT_WORDS or word in MONTHS:
            continue
        if word in WEEKDAYS or word.rstrip("s") in WEEKDAYS:
            continue
        word = _SYNONYMS.get(word, word)
        if word.endswith("ies") and len(word) > 4:
            word = word[:-3] + "y"
        elif word.endswith("ed") and len(word) > 5 and not word.endswith("eed"):
            word = word[:-2]  # "needed", "included": the verb's stem
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
                word = word[:-1]  # "capped", "planned"
        elif word.endswith("s") and not word.endswith("ss") and len(word) > 3:
            word = word[:-1]
        word = _SYNONYMS.get(word[:5], word[:5])
        out.add(word)
    return frozenset(out)


def sentences(text: str) -> list[str]:
    """The sentences of a turn."""
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]


def is_question(sentence: str) -> bool:
    return sentence.rstrip().endswith("?")


def negative(text: str) -> bool:
    """True when the text negates or limits what it says ("no fee", "only within 30 days")."""
    text = _IDIOMS.sub(" ", text.replace("\u2019", "'"))
    text = re.sub(r"\b\w+-free\b", " ", text)  # "nut-free" is a property, not a negation
    text = _DOUBLE.sub(" ", text)  # "not free" is a double negative: it costs something
    return bool(_NEGATION.search(text))


@dataclass(frozen=True)
class Clause:
    """One clause of a grounding fact: its words, its values and its polarity."""

    fact: str
    text: str
    stems: frozenset[str]
    values: tuple[Value, ...]
    negative: bool
    is_reference: bool  # "Today is ..." sets the date; no claim aligns to it
    focus: frozenset[str] = frozenset()  # the words of the negated part ("cannot be left ...")


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


@dataclass(frozen=True)
class Grounding:
    """Everything the checks compare a dialogue with, parsed once per set of sources."""

    today: date | None
    clauses: tuple[Clause, ...]
    pool: dict[str, tuple[Value, ...]]  # every stated value by class, any source
    derived: dict[str, tuple[Derived, ...]]  # values a sentence may derive ("so 2,400 euros")
    reference: tuple[Value, ...] = ()  # what "Today is ..." states


@lru_cache(maxsize=256)
def grounding(facts: tuple[str, ...], others: tuple[str, ...] = ()) -> Grounding:
    """Parse the facts (aligned to) and the other sources (personas, conditions: supporting)."""
    today = reference_date(facts)
    clauses = []
    for fact in facts:
        reference = bool(re.search(r"\btoday is\b|\bthe date is\b", fact, re.I))
        for part in _CLAUSE.split(fact):
            if part.strip():
                clauses.append(
                    Clause(
                        fact=fact,
                        text=part,
                        stems=stems(part),
                        values=values_in(part, today),
                        negative=negative(part),
                        is_reference=reference,
                        focus=_focus(part),
                    )
                )
    pool: dict[str, list[Value]] = {}
    sourced: dict[str, list[tuple[Value, frozenset[str]]]] = {}
    # today's date supports a sentence only when no dated fact is at stake (see reference)
    stated = [(v, c.stems) for c in clauses if not c.is_reference for v in c.values]
    stated += [(v, stems(text)) for text in others for v in values_in(text, today)]
    for value, about in stated:
        pool.setdefault(value.cls, []).append(value)
        sourced.setdefault(value.cls, []).append((value, about))
    reference = tuple(v for c in clauses if c.is_reference for v in c.values)
    return Grounding(
        today=today,
        clauses=tuple(clauses),
        pool={k: tuple(v) for k, v in pool.items()},
        derived=_derive(sourced, today, any(_NEXT_DAY.search(f) for f in facts)),
        reference=reference,
    )


def _derive(
    pool: dict[str, list[tuple[Value, frozenset[str]]]], today: date | None, next_day: bool = False
) -> dict[str, tuple[Derived, ...]]:
    """Values one step of arithmetic away from what the grounding states.

    2 × €1,200, €186 + €25, 15% off €114, 1.85 m − 1.6 m, 18:45 − 30 minutes, the hours
    between 06:30 and 4 pm, 7 June − 24 hours, today + 5 working days, 8 helpers − 5.
    """
    numbers = {
        (v.number, about)
        for values in pool.values()
        for v, about in values
        if v.number is not None and 1 < v.number <= 1000
    }
    out: dict[str, list[Derived]] = {}

    def add(cls: str, value: Value, *basis: frozenset[str], of: tuple[float, ...] = ()) -> None:
        out.setdefault(cls, []).append(Derived(value, basis, of))

    percents = [(v.amounts[0] / 100, about) for v, about in pool.get("q:percent", ())]
    percents = [(p, about) for p, about in percents if 0 < p < 1]
    money = pool.get("money", ())
    for value, about in money:
        amount = value.amounts[0]
        for n, n_about in numbers:
            add("money", _with(value, amount * n), about, n_about, of=(amount, n))
            add("money", _with(value, amount / n), about, n_about, of=(amount, n))
        for p, p_about in percents:  # "15% off £114": £17.10 off, £96.90 to pay
            for factor in (p, 1 - p, 1 + p):
                add("money", _with(value, amount * factor), about, p_about, of=(amount, p * 100))
    for (a, a_about), (b, b_about) in combinations(money, 2):
        for cap, rate in ((a, b), (b, a)):  # a $5 cap at 25 cents a day: 20 days
            units = cap.unit == rate.unit or not (cap.unit and rate.unit)
            if units and rate.per and not cap.per and rate.amounts[0]:
                days = cap.amounts[0] / rate.amounts[0] * rate.per
                span = Value("q:duration", f"{cap.text} at {rate.text}", (days,))
                add("q:duration", span, a_about, b_about, of=_of(a, b))
        if a.unit == b.unit and a.per == b.per:
            for amount in (a.amounts[0] + b.amounts[0], abs(a.amounts[0] - b.amounts[0])):
                add("money", _with(a, amount), a_about, b_about, of=(a.amounts[0], b.amounts[0]))
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
            for n, n_about in numbers:
                if n != value.number:
                    add(
                        cls,
                        Value(cls, value.text, (value.amounts[0] * n,), per=value.per),
                        about,
                        n_about,
                        of=(*_of(value), n),
                    )
    count_classes = [cls for cls in pool if cls.startswith("count:")]
    for (x, x_about), (y, y_about) in combinations(sorted(numbers, key=lambda n: n[0]), 2):
        for cls in count_classes:  # "1 capsule 3 times a day for 7 days": 21 capsules
            add(cls, Value(cls, f"{x:g} x {y:g}", (x * y,)), x_about, y_about, of=(x, y))
    times = pool.get("time", ())
    durations = [(v.amounts[0] / 60, about) for v, about in pool.get("q:duration", ())]
    for value, about in times:
        for minutes, m_about in durations:
            if minutes <= 1440:
                for sign in (1, -1):
                    shifted = tuple((t + sign * minutes) % 1440 for t in value.amounts)
                    add("time", Value("time", value.text, shifted), about, m_about)
    for (a, a_about), (b, b_about) in combinations(times, 2):  # 06:30 to 4 pm: 9.5 hours
        for minutes in {abs(x - y) for x in a.amounts for y in b.amounts}:
            span = Value("q:duration", f"{a.text} to {b.text}", (minutes * 60,))
            add("q:duration", span, a_about, b_about)
    shifts = {(round(m / 1440), about) for m, about in durations}
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
    if today is not None:
        days += [
            (_add_workdays(today, int(v.number or 0)), (about,), _of(v))
            for v, about in pool.get("q:workdays", ())
        ]
    for day, basis, of in days:  # the shift in days, hours or weeks, as a sentence may show it
        when = Value(
            "date", str(day), dates=((day.year, day.month, day.day),), weekday=day.weekday()
        )
        add("date", when, *basis, of=of)
    return {k: tuple(v) for k, v in out.items()}


def _of(*values: Value) -> tuple[float, ...]:
    return tuple(v.number for v in values if v.number is not None)


def _with(value: Value, amount: float) -> Value:
    return Value(value.cls, value.text, (amount,), unit=value.unit, per=value.per)


def _add_workdays(start: date, n: int) -> date:
    day = start
    while n > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


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


def _weekday_only(v: Value) -> bool:
    """ "Saturday", "this Friday": a weekday without a day number, whose week is a guess."""
    text = v.text.lower()
    return v.relative and v.weekday is not None and any(w in text for w in WEEKDAYS)


def _same_date(a: Value, b: Value) -> bool:
    if (_weekday_only(a) or _weekday_only(b)) and a.dates and b.dates:
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


@dataclass(frozen=True)
class ValueFinding:
    """A value in a sentence that the grounding contradicts, or does not support."""

    contradiction: bool
    value: Value
    clause: Clause | None  # the fact clause it was aligned to (contradictions)
    sentence: str


def align(
    sentence_stems: frozenset[str],
    context_stems: frozenset[str],
    clauses: tuple[Clause, ...] | list[Clause],
    prefer: frozenset[str] = frozenset(),
) -> tuple[Clause | None, float]:
    """The clause a sentence speaks about and its score: shared stems, the context's count half.

    Among clauses the sentence aligns with, `prefer` (the words around the value) chooses:
    "approved on the 14th, and Ravi inspected on the 9th" puts the 9th with the inspection.
    """
    best, best_key = None, (0.0, 0.0)
    for clause in clauses:
        score = len(sentence_stems & clause.stems) + 0.5 * len(
            (context_stems - sentence_stems) & clause.stems
        )
        key = (float(len(prefer & clause.stems)) + (0.5 if score >= 1 else 0.0), score)
        if score > 0 and key > best_key:
            best, best_key = clause, key
    return best, best_key[1]


_REPORTED = re.compile(
    r"\b(said|says|told me|tells me|heard|i thought|i was told|supposedly|apparently|i read|"
    r"rumou?r|claimed|claims)\b",
    re.I,
)
_DENIED = re.compile(
    r"(?:\bnot|\brather than|\binstead of|\bisn't|\bwasn't)\s*(?:the|on|at|by)?\s*$", re.I
)


def check_sentence(
    sentence: str,
    context: str,
    ground: Grounding,
    said: dict[str, list[Value]],
) -> list[ValueFinding]:
    """Compare every value of one sentence with the grounding; `said` holds values already
    established earlier in the dialogue (supported, derived, or unsupported but
    uncontradicted, such as what a customer says of themself), and grows."""
    if is_question(sentence) or _REPORTED.search(sentence):
        return []  # a question asks; "my neighbour said the 13th" reports, it does not claim
    found = []
    text = normalise(sentence)
    own = stems(text)
    ctx = stems(context)
    # a cue in the sentence, or in the question it confirms ("So 211 all told?" "Yes, £211")
    derives = bool(DERIVE_CUES.search(sentence)) or bool(
        "?" in context and DERIVE_CUES.search(context)
    )
    values = values_in(sentence, ground.today)
    numbers = [v.number for v in values if v.number]
    numbers += [float(n) for n in _BARE_NUMBER.findall(text)]  # "ten more would be £25"
    if _PAIR.search(text):
        numbers.append(2.0)  # "£29 for the pair"
    found += _bare_numbers(text, values, own, ground)
    for value in values:
        if value.cls == "q:bare" and not _has_bare_counterpart(ground):
            continue
        if _DENIED.search(text[max(0, value.start - 16) : value.start]):
            continue  # "not the 13th": the value is ruled out, not stated
        if (
            value.cls == "money"
            and "pound" in value.text.lower()
            and any(m.number == value.number for m in ground.pool.get("q:mass", ()))
        ):
            continue  # "about eighteen pounds" of a cake that weighs 18 pounds
        if (wrong := _calendar(value, ground.today)) is not None:
            found.append(ValueFinding(True, value, wrong, sentence))
            continue
        pool = ground.pool.get(value.cls, ())
        if any(same(value, g) for g in pool) or any(
            same(value, g) for g in said.get(value.cls, ())
        ):
            in_pool = any(same(value, g) for g in pool)
            if in_pool and (swapped := _swapped(value, text, ground)) is not None:
                found.append(ValueFinding(True, value, swapped, sentence))
                continue
            said.setdefault(value.cls, []).append(value)
            continue
        candidates = [
            c
            for c in ground.clauses
            if not c.is_reference and any(v.cls == value.cls for v in c.values)
        ]
        if not candidates and value.cls.startswith("q:") and value.number is not None:
            # "2.5 ml" where a fact says "2.5 mg": the same amount in a unit of another kind
            candidates = [
                c
                for c in ground.clauses
                if not c.is_reference
                and any(v.cls.startswith("q:") and v.number == value.number for v in c.values)
            ]
        segment = stems(_segment(text, value))
        clause, score = align(own, ctx, candidates, prefer=segment)
        # a bare answer ("From 14 July to 18 July.") speaks about what the question asked
        # a sentence with words of its own shares one of them with the fact, or answers a
        # question about it ("I'm away Wednesday for work" is not about the hold date the
        # turn before spoke of; "You can call us until 10 pm" answers "Until when is the
        # hotline open?")
        aligned = score >= (0.5 if not own else 1.0) and (
            len(own) <= 1
            or clause is None
            or bool(own & clause.stems)
            or bool(_asked(context) & clause.stems)
        )
        if aligned and clause is not None and _weekday_only(value) and not segment & clause.stems:
            aligned = False  # "I'm presenting on Thursday": the customer's own week
        anchored = [c for c in candidates if _anchors(c, values, value)]
        if anchored and (not aligned or clause not in anchored):
            clause, aligned = anchored[0], True  # "March 4 at 10:30 am": the 10:30 fact
        # one step of arithmetic from the grounding or from what was said; without a cue
        # ("so", "in total") not where the sentence restates a fact that gives another value
        # ("The rent is €2,400" of "the rent is €1,200; the deposit is two months' rent")
        restates = aligned and clause is not None and bool(own & clause.stems)
        if _derived(value, ground, numbers, own | ctx, derives, said, restates):
            said.setdefault(value.cls, []).append(value)
            continue
        if any(same(value, g) for g in ground.reference) and (
            not aligned or clause is None or not segment & clause.stems
        ):
            continue  # today's date, and no dated fact about the same thing
        if (
            aligned
            and clause is not None
            and _within_bound(value, clause, _segment(text, value), negative(sentence))
            and not any(c is not clause and own & c.stems for c in candidates)
        ):
            aligned = False  # "I did 6,000 miles" under "the first 10,000 miles": no conflict
        if (
            aligned
            and clause is not None
            and _HYPOTHETICAL.search(text[: value.start])
            and not _bound(clause, value)
        ):
            aligned = False  # "Say you go 80 km over": an example, not a claim about the fact
        if not aligned:  # "I did about 6,000 miles": the dialogue now knows it
            said.setdefault(value.cls, []).append(value)
        found.append(ValueFinding(aligned, value, clause if aligned else None, sentence))
    return found


_UPPER = re.compile(
    r"\b(?:up to|at most|maximum(?: of)?|max|no more than|not more than|under|less than|"
    r"below|within|(?:the )?(?:first|1st)|limit of|cap of|capped at)\s*$",
    re.I,
)
_LOWER = re.compile(
    r"\b(?:at least|minimum(?: of)?|min|more than|over|above|no less than)\s*$", re.I
)
_BOUND_WORDS = re.compile(
    r"\b(?:up to|at most|max|maximum|no more than|under|less than|within|first|at least|"
    r"minimum|more than|over|limit|cap|capped|tops? out|no later than|latest|earliest)\b",
    re.I,
)


_HYPOTHETICAL = re.compile(
    r"\b(?:if|say|suppose|supposing|imagine|for example|for instance|let's say|e\.g\.)\b", re.I
)


def _bound(clause: Clause, value: Value) -> bool:
    """True when the clause states a bound (at least, up to, within...) for the value's kind."""
    text = normalise(clause.text)
    for mine in clause.values:
        if mine.cls == value.cls:
            before = text[max(0, mine.start - 25) : mine.start]
            if _UPPER.search(before) or _LOWER.search(before):
                return True
    return False


def _within_bound(value: Value, clause: Clause, segment: str, denied: bool = False) -> bool:
    """True when the clause gives only a bound for the value's kind ("the first 10,000 miles",
    "up to 24 litres") and the value keeps to it without restating a bound itself; in a
    sentence that denies (`denied`), a value beyond the bound keeps to it ("after a month we
    couldn't swap them" of "only within 14 days")."""
    if value.cls in ("time", "date") or _BOUND_WORDS.search(segment):
        return False
    text = normalise(clause.text)
    mine = [v for v in clause.values if v.cls == value.cls]
    if not mine:
        return False
    for bound in mine:
        before = text[max(0, bound.start - 25) : bound.start]
        upper, lower = _UPPER.search(before), _LOWER.search(before)
        if not (upper or lower):
            return False  # a plain value of the same kind: compare as usual
        x, y = value.amounts[0], bound.amounts[0]
        if value.per and bound.per:
            x, y = x / value.per, y / bound.per
        outside = bool((upper and x > y) or (lower and x < y))
        if outside != denied:
            return False
    return True


def _swapped(value: Value, text: str, ground: Grounding) -> Clause | None:
    """The fact a value belongs to another thing of ("the last entry is at 5:30" where 5:30 is
    closing time and the last entry is at 4:30): the words around the value speak about a
    clause that states another value of its kind, and not about any clause that states it."""
    near = stems(_segment(text, value))
    if len(near) < 2:
        return None
    holders, rivals = 0, []
    for c in ground.clauses:
        mine = [v for v in c.values if v.cls == value.cls]
        if c.is_reference or not mine:
            continue
        if any(same(value, v) for v in mine):
            holders = max(holders, len(near & c.stems))
        else:
            rivals.append((len(near & c.stems), c))
    if not rivals:
        return None
    score, rival = max(rivals, key=lambda r: r[0])
    if score >= 2 and score >= 0.5 * len(rival.stems) and holders == 0:
        return rival
    return None


_BARE_CLAIM = re.compile(
    r"\b(?:is|are|at|of|to|costs?|be|capped at|cap (?:it|them) at|limited to|up to|only)\s+"
    r"(\d{2,4}(?:\.\d{2})?)\b(?![.,:/]?\d|\s*(?:%|[a-z]))",
    re.I,
)


def _bare_numbers(
    text: str, values: tuple[Value, ...], own: frozenset[str], ground: Grounding
) -> list[ValueFinding]:
    """A number said without its unit where the fact it speaks about gives one number of one
    kind ("we cap them at thirty" of "capped at 20 people", "the senior ticket is twenty-five"
    of "seniors pay $22"): it is that kind, and must agree."""
    out = []
    for m in _BARE_CLAIM.finditer(text):
        if any(v.start <= m.start(1) < v.end for v in values):
            continue
        number = float(m.group(1))
        near = stems(_segment(text, Value("q:bare", m.group(1), start=m.start(1), end=m.end(1))))
        best, score = None, 0
        for c in ground.clauses:
            shared = len(near & c.stems)
            if not c.is_reference and shared > score:
                best, score = c, shared
        if best is None or score < 1 or not own & best.stems:
            continue
        numbers = [v for v in best.values if v.number is not None and v.cls != "date"]
        kinds = {v.cls for v in numbers}
        if len(kinds) != 1 or not (next(iter(kinds)).startswith(("count:", "money"))):
            continue
        if any(v.number == number for v in ground.pool.get(numbers[0].cls, ())):
            continue
        kind = numbers[0]
        stated = Value(
            kind.cls,
            m.group(1),
            (number,),
            unit=kind.unit,
            per=kind.per,
            start=m.start(1),
            end=m.end(1),
            number=number,
        )
        if not any(same(stated, v) for v in numbers):
            out.append(ValueFinding(True, stated, best, text))
    return out


def _calendar(value: Value, today: date | None) -> Clause | None:
    """The calendar itself, when a date is given with a weekday it does not fall on
    ("Wednesday 24 November" in 2025, a Monday); the year is the stated one, or this or
    next year when the grounding dates today."""
    if value.cls != "date" or value.weekday is None or value.relative or not value.dates:
        return None
    days = []
    for y, m, d in value.dates:
        years = [y] if y else ([today.year, today.year + 1] if today else [])
        months = [(None, m)] if m else []
        if not m and today is not None:  # "Sunday the 14th": this month or the next
            ahead = date(today.year + today.month // 12, today.month % 12 + 1, 1)
            months = [(today.year, today.month), (ahead.year, ahead.month)]
        for year_of_month, month in months:
            for year in [year_of_month] if year_of_month else years:
                with contextlib.suppress(ValueError, TypeError):
                    days.append(date(year, month, d))  # type: ignore[arg-type]
    if not days or any(day.weekday() == value.weekday for day in days):
        return None
    real = days[0]
    fact = f"the calendar: {real.day} {real:%B %Y} is a {real:%A}"
    return Clause(fact, fact, frozenset(), (), False, False)


@lru_cache(maxsize=1024)
def _asked(context: str) -> frozenset[str]:
    """What the questions of the turn before ask about."""
    return frozenset().union(*(stems(s) for s in sentences(context) if is_question(s)))


def _anchors(clause: Clause, values: tuple[Value, ...], value: Value) -> bool:
    """True when another value of the sentence is one this clause states (values travel together)."""
    return any(
        other is not value and other.cls != value.cls and same(other, mine)
        for other in values
        for mine in clause.values
    )


_SEGMENT = re.compile(r"[,;:]\s+|\s+(?:and|but|so|then|which|while)\s+", re.I)


def _segment(text: str, value: Value) -> str:
    """The part of a sentence a value sits in ("..., and Ravi inspected on the 9th")."""
    cuts = [0, *(m.end() for m in _SEGMENT.finditer(text) if m.end() <= value.start)]
    start = max(cuts)
    after = [m.start() for m in _SEGMENT.finditer(text) if m.start() >= value.end]
    return text[start : min(after) if after else len(text)]


_PAIR = re.compile(r"\b(pair|both|twins|the two of)\b", re.I)
_BARE_NUMBER = re.compile(r"(?<![\d.,:/])\b(\d{1,3})\b(?![.,:/]\d)")


def _derived(
    value: Value,
    ground: Grounding,
    numbers: list[float],
    about: frozenset[str],
    cued: bool,
    said: dict[str, list[Value]],
    restates: bool = False,
) -> bool:
    """One step of arithmetic from the grounding, or from a number the sentence itself gives.

    With a cue ("so", "that makes", "in total") any derivation will do; without one, the
    sentence (or the turn before it) must speak about what every operand is about, and a
    sentence that restates a fact giving another value must show an operand ("114 pounds
    for the three bags, 38 quid each"; not "The rent is €2,400" of a €1,200 rent).
    """
    shown = {n for n in numbers if n != value.number}
    for d in ground.derived.get(value.cls, ()):
        if not same(value, d.value):
            continue
        if cued or (
            all(b & about for b in d.basis)
            and (not restates or any(o in shown for o in d.operands))
        ):
            return True
    if value.cls == "money":  # "15% off the £114 just said: £96.90"
        rates = [
            1 + f * p.amounts[0] / 100 for p in ground.pool.get("q:percent", ()) for f in (-1, 1)
        ]
        stated = [m.amounts[0] for m in ground.pool.get("money", ())]
        for earlier in said.get("money", ()):
            steps = [earlier.amounts[0] * r for r in rates]
            steps += [earlier.amounts[0] * n for n in shown]
            others = stated + [m.amounts[0] for m in said.get("money", ()) if m is not earlier]
            steps += [earlier.amounts[0] + m for m in others]  # "£60 for the second, £180 both"
            steps += [abs(earlier.amounts[0] - m) for m in others]
            if any(same(value, _with(earlier, x)) for x in steps):
                return True
    if cued:  # "so 24 for your house": a number said earlier in the dialogue scales a fact
        numbers = numbers + [v.number for vs in said.values() for v in vs if v.number]
    if value.cls in ("time", "date") or value.per:
        return False  # a clock time, a date or a rate is never a multiple of anything
    for n in set(numbers):
        if not n or n == value.number or n <= 1:
            continue
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
    return False  # (a sentence that restates a fact shows its operands only in itself)


def _has_bare_counterpart(ground: Grounding) -> bool:
    return bool(ground.pool.get("q:bare"))


def check_polarity(sentence: str, ground: Grounding, context: str = "") -> Clause | None:
    """The negated or limited fact a sentence asserts the opposite of, if any.

    A bare "Yes, they can." answers the question before it: when that question asks, in
    the positive, about what a negated fact rules out ("can the courier leave it with my
    neighbour?" of "does not leave parcels with neighbours"), the yes asserts the opposite.
    """
    if is_question(sentence):
        return None
    if _YES.match(sentence) and not negative(_CONDITION.sub("", sentence)):
        questions = [q for q in sentences(context) if is_question(q)]
        for question in questions:
            asked = re.split(r",\s+", question)[-1]  # "If I'm not in, can the courier ...?"
            if negative(asked):
                continue
            best = _strongest(stems(question), ground)
            if best is not None and best.negative and not _LIMIT_FACT.search(best.text):
                return best
    for part in _SENTENCE_CLAUSE.split(sentence):
        main = _CONDITION.sub("", part)  # "... on the doorstep if nobody answers"
        if is_question(part) or negative(main):
            continue  # it keeps the negation: no opposite asserted
        own = stems(part)
        if len(own) < 2:
            continue
        if focused := _focused(part, own, ground):
            return focused
        if not _ASSERTS.search(part):
            continue
        scored = sorted(
            (
                (len(own & c.stems) + _priced(own, c), c)
                for c in ground.clauses
                if not c.is_reference and c.stems
            ),
            key=lambda x: -x[0],
        )
        if not scored:
            continue
        best_score, best = scored[0]
        if _LIMITS.search(part) and _LIMIT_FACT.search(best.text):
            continue  # "up to twice a month" restates "at most twice a month"
        if any(same(v, w) for v in values_in(part, ground.today) for w in best.values):
            continue  # "changes need to be in by Tuesday the 14th" restates "not after the 14th"
        if any(
            same(v, w) and len(own & c.stems) >= best_score
            for v in values_in(part, ground.today)
            for c in ground.clauses
            if not c.negative
            for w in c.values
        ):
            continue  # its values come from a plain fact it speaks about as much
        if _sibling(own, best, ground):
            continue  # "bring your badge so we can reset it" of "not over the phone; they
            # require a visit with a badge": the fact's own alternative
        runner_up = scored[1][0] if len(scored) > 1 else 0
        if (
            best.negative
            and best_score >= 2
            and best_score >= 0.5 * len(best.stems)
            and (best_score > runner_up or scored[1][1].negative)
        ):
            return best
    return None


_FREE = re.compile(r"\b(?:free|no charge|no fee|waived|at no cost|complimentary)\b", re.I)


def _priced(own: frozenset[str], clause: Clause) -> int:
    """1 when a sentence puts a cost ("charged", "you pay") on what a clause says is free:
    the opposite of the clause's own predicate counts as a shared word."""
    return int("cost" in own and "cost" not in clause.stems and bool(_FREE.search(clause.text)))


_ANY = re.compile(
    r"\b(?:any (?:day|time|age|one)|anytime|whenever|every day|all week|any day of)\b", re.I
)


def _focused(part: str, own: frozenset[str], ground: Grounding) -> Clause | None:
    """A negated fact whose negated words the sentence asserts: "we'll refund the deposit" of
    "the deposit ... is not refundable", "our kitchen is completely nut-free" of "the kitchen
    is not nut-free", "kids can come any day" of "children may visit only on weekends"."""
    best, best_key = None, (0, 0)
    for c in ground.clauses:
        if c.is_reference or not c.negative or not c.focus:
            continue
        focus, shared = len(own & c.focus), len(own & c.stems)
        key = (shared, focus)
        if focus >= 1 and shared >= 2 and key > best_key:
            best, best_key = c, key
    if best is None:
        return None
    others = max(
        (len(own & c.stems) for c in ground.clauses if c is not best and not c.is_reference),
        default=0,
    )
    if others >= best_key[0]:
        return None  # another fact is spoken of as much: no clear target
    limits = _LIMITS.search(part) and _LIMIT_FACT.search(best.text)
    if limits and not _ANY.search(part):
        return None  # "up to twice a month" restates "at most twice a month"
    if any(same(v, w) for v in values_in(part, ground.today) for w in best.values):
        return None  # it states the negated fact's own value: it restates it
    if _sibling(own, best, ground):
        return None
    return best


def _sibling(own: frozenset[str], clause: Clause, ground: Grounding) -> bool:
    """True when the sentence also speaks of a plain clause of the same fact (its alternative)."""
    return any(
        c.fact == clause.fact
        and c is not clause
        and not c.negative
        and (own - {"cost"}) & (c.stems - clause.stems)  # a cost is what "free" denies
        for c in ground.clauses
    )


def _strongest(own: frozenset[str], ground: Grounding) -> Clause | None:
    """The one clause a text clearly speaks about: two shared stems, half the clause's, alone."""
    scored = sorted(
        ((len(own & c.stems), c) for c in ground.clauses if not c.is_reference and c.stems),
        key=lambda x: -x[0],
    )
    if not scored:
        return None
    best_score, best = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else 0
    if best_score >= 2 and best_score >= 0.5 * len(best.stems) and best_score > runner_up:
        return best
    return None
