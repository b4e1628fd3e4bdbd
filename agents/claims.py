"""Each value a sentence states, held against the grounding fact the sentence speaks about.

A value of the same kind that differs from the aligned fact's, and from every value the
grounding states or derives, is a contradiction; one that nothing states or contradicts is
unsupported (see agents.grounding for the two kinds of finding).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from agents.arithmetic import (
    chained,
    derived,
    misconverted,
    operands,
    other_unit,
    per_other_unit,
    premise,
    ratio_only,
    reread,
    with_tax,
)
from agents.bounds import (
    HYPOTHETICAL,
    hypothetical,
    inside_chosen,
    inside_reasoned,
    keeps,
    keeps_nearby,
    segment_of,
    span_words,
    states_bound,
    within_bound,
)
from agents.calendar_claims import (
    apposed,
    calendar_conflict,
    date_gap,
    date_offset,
    dated,
    days_of,
    habitual,
    named_day,
    off_schedule,
    pinned,
    worked_end,
)
from agents.grounding import (
    Clause,
    Grounding,
    defined,
    is_question,
    negative,
    reported,
    restates_definition,
    sentences,
    stems,
)
from agents.heard import agrees_to_sum, as_base, as_case, without
from agents.rivals import same_values, swapped
from agents.spoken import normalise
from agents.value_compare import glossed, same, weekday_only
from agents.value_words import DERIVE_CUES, PAUSE
from agents.values import Value, values_in


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


_OFFSET_AFTER = re.compile(
    r"\s+(?:from|after|before|on from)\s+(?:yesterday|today|tomorrow|(?:this|next|last) "
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day)\b",
    re.I,
)
_COUNTERFACTUAL = re.compile(r"\b(?:would|could|might)(?: not|n't)? have\b|\bif\b", re.I)
_RETRACTED = re.compile(  # "forty — no, sorry, fifty", "eighteen, I mean sixteen"
    r"\s*[-\u2014\u2013,.]+\s*(?:(?:no|naw|nah|wait)\s*(?=[,\u2014\u2013-]|\s+sorry)|sorry\b|"
    r"i mean\b|correction\b|scratch that\b|my mistake\b|hang on\b)",
    re.I,
)
_TOO = re.compile(
    r"\s*(?:would be|would|is|'s|will be|are|was)?\s*(?:far |much |way )?too "
    r"(?:late|early|long|short|far|much|many|soon|big|small|heavy|high|low|expensive)\b"
    # "at 6:15 we'd already be past pick-up hours": a time named to be ruled out
    r"|\s*,?\s*(?:we|you|it|they|that)(?:'d| would)(?: already)? be (?:past|after|closed|shut)\b"
    # "so Sunday the 16th would not be possible", "so 17:00 is out": refused ("we're shut" claims)
    r"|\s*(?:would|will|is|'s)(?: not|n't) (?:be )?(?:possible|available|an option)\b"
    r"|\s*(?:is|'s|would be|falls?)\s+(?:out\b(?! of)|outside\b|no good\b|past (?:closing|our "
    r"hours)|(?:not possible|impossible|out of the question)\b)",
    re.I,
)
_OFFSET = re.compile(
    r"\b(?:a|an|\d+)\s+(?:days?|weeks?|fortnights?|months?|hours?|minutes?)\s+"
    r"(?:from|after|before|on from)\s*$"
    # "two weeks today", "a week tomorrow": today is the anchor
    r"|\b(?:a|an|\d+)\s+(?:weeks?|fortnights?|days?)\s*$",
    re.I,
)
# a fact about the one day something does not happen: "closed on 25 January", "no tour on"
_EXCEPTION = re.compile(
    r"\b(?:closed|shut|except|no \w+(?: \w+)? (?:on|that day)|not (?:open|running|available)|"
    r"cancelled)\b",
    re.I,
)
_EXCESS = re.compile(
    r"\s+(?:over|extra|beyond|above|too many)(?:\s+(?:the\s+)?(?:limit|allowance))?\s+"
    r"(?:is|are|would|will|costs?|comes|means|at|=|gets)\b"
    r"|\s+(?:over|beyond|above|past)\s+(?:the|your)\s+(?:free|first|included)\b",  # "15 km
    # over the free twenty"
    re.I,
)
_DENIED = re.compile(  # "not the 13th", "Not this Saturday, the 8th"
    r"(?:\bnot|\brather than|\binstead of|\bisn't|\bwasn't)\s*(?:(?:on|at|by|for)\s+)?"
    r"((?:this|next|last|that) [a-z]+day,?\s*)?(?:[a-z]+day,?\s+)?(?:the|a|an|that)?"
    r"(?:\s*[\d:.]+\s*(?:am|pm)?\s*(?:to|till|until|-|–))?\s*$",  # "not 8 till 2": the range
    re.I,
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
    if is_question(sentence) or reported(sentence):
        # a question asks; "my neighbour said the 13th" reports. What it puts the answer may
        # work from ("at £300, what would I pay?" "£360 in all"), never confirm
        said.setdefault("put", []).extend(values_in(sentence, ground.today))
        return []
    found = []
    text = normalise(sentence)
    own = stems(text)
    ctx = stems(context)
    # a cue in the sentence, or in the question it confirms ("So 211 all told?" "Yes, £211")
    derives = bool(DERIVE_CUES.search(sentence)) or any(
        is_question(q) and DERIVE_CUES.search(q) for q in sentences(context)
    )
    agreed = not derives and agrees_to_sum(sentence, context)  # "So 446 in total." "Exactly"
    derives = derives or agreed
    if is_question(context) and not derives:  # "So each visit would be... twenty-four dollars?"
        derives = bool(DERIVE_CUES.search(" ".join(sentences(context)[-2:])))
    values = values_in(sentence, ground.today)
    numbers, extras = operands(text, values)
    denied = negative(sentence)
    found += _bare_numbers(text, values, own, ground, context)
    for value in values:
        if value.cls == "q:bare" and not _has_bare_counterpart(ground):
            continue
        if value.cls == "q:duration" and PAUSE.search(text[: value.start]):
            continue  # "give us two minutes to find a pen": the call's own small talk
        if (ruled := _DENIED.search(text[max(0, value.start - 32) : value.start])) and (
            not ruled.group(1) or any(v.cls == value.cls and v.start > value.end for v in values)
        ):
            continue  # "not the 13th": the value is ruled out, not stated; "not this
            # Saturday, the 8th, it's the 15th" (not "not this Friday, the 7th: we're shut")
        if _RETRACTED.match(text, value.end):
            continue  # "forty — no, sorry, fifty": the speaker takes it back
        if _TOO.match(text, value.end):
            continue  # "17:30 would be too late": a value named to be ruled out
        if as_base(value, text, said):  # "fifteen per cent of £200"
            said.setdefault(value.cls, []).append(value)
            continue
        if value.cls == "q:duration" and _OFFSET_AFTER.match(text, value.end):
            continue  # "six weeks from yesterday — Friday the 18th": the date is the claim
        if value.cls in ("date", "time") and _OFFSET.search(
            text[max(0, value.start - 24) : value.start]
        ):
            continue  # "a week from this Saturday", "an hour before noon": an anchor, not the claim
        value = reread(value, ground)  # "18 pounds" of a cake, "from 70 years" of an age
        if glossed(value, values, ground.pool.get(value.cls, ()), text):
            said.setdefault(value.cls, []).append(value)
            continue  # "12:30, so just after noon", "getting on for ninety quid, eighty-five"
        if (
            wrong := calendar_conflict(value, ground.today)
            or apposed(value, values, text)
            or misconverted(value, values, text)
            or per_other_unit(value, text, ground)
            or off_schedule(value, text, own, ground)
        ) is not None:
            found.append(ValueFinding(True, value, wrong, sentence))
            continue
        if with_tax(value, text, ground, said, values):
            said.setdefault(value.cls, []).append(value)
            continue  # "£600 + VAT (£720 including VAT)"
        if date_offset(value, [*said.get("date", ()), *said.get("put", ())], ground):
            said.setdefault(value.cls, []).append(value)
            continue
        if worked_end(value, text, ground):
            said.setdefault(value.cls, []).append(value)
            continue  # "lasting 45 minutes, it ends at 2:45": the fact's start and length
        own_dates = tuple(v for v in values if v.cls == "date")
        if named_day(value, text, ground) or date_gap(
            value, [*said.get("date", ()), *own_dates], ground, text, own_dates
        ):
            said.setdefault(value.cls, []).append(value)
            continue  # "tomorrow's the twenty-first": the calendar's date, no fact's
        pool = ground.pool.get(value.cls, ())
        if value.cls == "date" and dated(value):  # a bare weekday does not say which week
            pool = [g for g in pool if not weekday_only(g) or not pinned(g, ground)]
            earlier = [g for g in said.get("date", ()) if not weekday_only(g)]
        else:
            earlier = said.get(value.cls, [])
        heard = [  # said, but by nothing the facts give: the customer's own plan or quote
            id(v) for v in said.get("?", ()) if v.cls not in ("date", "time")
        ]  # (a date or time they name is their plan, which the staff may repeat)
        known = [g for g in earlier if id(g) not in heard]
        in_pool = any(same(value, g) for g in pool)
        if not in_pool and habitual(value, ground):  # "weekends only, so on a Saturday"
            said.setdefault(value.cls, []).append(value)
            continue
        if in_pool or any(same(value, g) for g in known):
            rival = swapped(value, text, ground, values) if in_pool else None
            if rival is not None:
                found.append(ValueFinding(True, value, rival, sentence))
                continue
            said.setdefault(value.cls, []).append(value)
            continue
        repeated = any(same(value, g) for g in earlier)  # "probably two days" "...is two days"
        echoed = repeated and (  # "Five hours, okay."; "a 70 km tow would have gone past it"
            len(own) < 2
            or bool(_COUNTERFACTUAL.search(text))
            or as_case(value, text, earlier, heard)  # "For ₹7,200 there is the ₹250 charge"
        )
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
        segment = stems(segment_of(text, value))
        clause, score = align(own, ctx, candidates, prefer=segment)
        # a bare answer ("From 14 July to 18 July.") speaks about what the question asked; a
        # sentence with words of its own shares one with the fact, or answers a question about
        # it ("I'm away Wednesday for work" is not about the hold date the turn before spoke
        # of; "You can call us until 10 pm" answers "Until when is the hotline open?")
        asked = (  # "whats the deposit thing" "A hundred and eighty dollars to hold your slot"
            value.cls == "money" and clause is not None and bool(_asked(context) & clause.stems)
        )
        aligned = (score >= (0.5 if not own else 1.0) or (asked and score >= 0.5)) and (
            len(own) <= 1
            or clause is None
            or bool(own & clause.stems)
            or bool(_asked(context) & clause.stems)
        )
        if not aligned and (answered := _answers(value, context, candidates)) is not None:
            clause, aligned = answered, True  # "When does the show start?" "Curtain goes up
            # at eight": the one time fact the question speaks of
        if (
            aligned
            and clause is not None
            and weekday_only(value)
            and not segment & clause.stems
            and not _asked(context) & clause.stems
        ):
            aligned = False  # "I'm presenting on Thursday": the customer's own week
        rated = [  # "€35 an hour" where one fact gives an hourly price
            c
            for c in candidates
            if value.per and any(v.cls == value.cls and v.per == value.per for v in c.values)
        ]
        if not aligned and len(rated) == 1 and not value.cls.startswith("count:"):
            clause, aligned = rated[0], True
        if not aligned:  # "That's $1,469, with 32 GB of RAM and the 1 TB SSD": the laptop's
            held_by_fact = [c for c in candidates if _fact_held(c, ground, values, value) >= 2]
            if len(held_by_fact) == 1:
                clause, aligned = held_by_fact[0], True
        anchored = [c for c in candidates if _anchors(c, values, value)]
        if anchored and (not aligned or clause not in anchored):
            held = max(_held(c, values, value) for c in ground.clauses if not c.is_reference)
            best = max(anchored, key=lambda c: _held(c, values, value))
            if _held(best, values, value) >= held:  # "Saturday between ten and two" belongs
                clause, aligned = best, True  # to the Saturday hours, not "by 2 pm today"
        # one step of arithmetic from the grounding or from what was said; without a cue ("so",
        # "in total") not where the sentence restates a fact that gives another value ("The
        # rent is €2,400" of "the rent is €1,200; the deposit is two months' rent")
        restates = aligned and clause is not None and bool(own & clause.stems)
        shown = frozenset(  # the facts whose values the sentence states besides this one
            c.stems
            for c in ground.clauses
            if any(other is not value and same(other, x) for other in values for x in c.values)
        )
        kin = (
            frozenset(  # the numbers of the sentence's other quantities of this kind
                v.number for v in values if v is not value and v.cls == value.cls and v.number
            )
            if value.cls.startswith("q:")
            else frozenset()
        )
        if derived(value, ground, numbers, own | ctx, derives, said, restates, shown, extras, kin):
            said.setdefault(value.cls, []).append(value)
            continue
        if (
            (derives or value.approx)
            and aligned
            and not (
                premise(text, value) and not any(same(value, v) for v in said.get(value.cls, ()))
            )
            and chained(value, ground, without(said, value) if agreed else said, numbers)
        ):
            said.setdefault(value.cls, []).append(value)
            continue
        spanned = span_words(text, value, values) if aligned else ""
        if any(same(value, g) for g in ground.reference) and (
            not aligned or clause is None or not segment & clause.stems
        ):
            continue  # today's date, and no dated fact about the same thing
        if (
            aligned
            and clause is not None
            and inside_chosen(value, clause, text, said.get("put", []))
        ):
            said.setdefault(value.cls, []).append(value)
            continue
        if (
            value.cls == "q:duration"
            and value.unit.startswith("day")
            and 2 <= (value.number or 0) <= 7
            and any(len(days_of(c.text)) == value.number for c in ground.clauses)
        ):
            said.setdefault(value.cls, []).append(value)
            continue  # "a five-day week", "any of six days" of "Monday to Friday/Saturday"
        if aligned and clause is not None and inside_reasoned(value, clause, text, values):
            said.setdefault(value.cls, []).append(value)
            continue
        if (
            aligned
            and clause is not None
            and within_bound(value, clause, spanned, denied and negative(segment_of(text, value)))
            and not any(  # a rival clause it may speak of, unless it keeps to that one too
                c.fact != clause.fact  # (not "smaller orders pay ₹250" of "free above ₹10,000")
                and len(own & c.stems) >= max(1, len(own & clause.stems))
                and not within_bound(value, c, spanned, denied)
                and not same_values(c, clause, value.cls)  # "beyond the included 25 feet"
                for c in candidates
            )
        ):
            aligned = False  # "I did 6,000 miles" under "the first 10,000 miles": no conflict
        if aligned and clause is not None and _EXCESS.match(text, value.end):
            aligned = False  # "so 50 km over is R 450" of "every km over 300 km": the excess
        if aligned and clause is not None and ratio_only(value, clause):
            aligned = False  # "83 pounds is about 37.5 kilos" of "2 mg per kg of body weight"
        if (
            aligned
            and clause is not None
            and weekday_only(value)
            and value.weekday in days_of(clause.text)
            and not any(v.cls == "date" and dated(v) for v in clause.values)
        ):
            said.setdefault(value.cls, []).append(value)
            continue  # "Sunday the office is closed" of "closed on Sundays": a day it names
        if (
            aligned
            and clause is not None
            and value.cls == "date"
            and _EXCEPTION.search(clause.text)
            and not _EXCEPTION.search(text)
            and not negative(text)
        ):
            aligned = False  # "tomorrow, Saturday the 11th, there is one too" of "no class on
            # Saturday 1 November": a day the exception is not about
        if (
            aligned
            and clause is not None
            and hypothetical(text, value)
            and not states_bound(clause, value)
        ):
            aligned = False  # "Say you go 80 km over": an example, not a claim about the fact
        if (
            aligned
            and clause is not None
            and (noun := defined(clause.text))
            and not restates_definition(segment_of(text, value), noun)
        ):
            aligned = False  # "700 words would come to three pages" of "one page is counted
            # as up to 250 words": the user's document measured in the unit, not the unit
        if aligned and (
            (clause is not None and keeps(value, clause, text))
            or keeps_nearby(value, ground.clauses, own, text, clause)
        ):
            said.setdefault(value.cls, []).append(value)
            continue  # "a little under half an hour" of "about 25 minutes": a true bound
        if aligned and clause is not None and value.cls.startswith("nth:"):
            noun = stems(value.cls[4:])
            part = stems(segment_of(text, value)) - noun
            if part and not part & (clause.stems - noun) and not _asked(context) & clause.stems:
                aligned = False  # "at the first lesson" names a lesson; "refundable until the
                # third lesson" of "not after the second" speaks of the rule
        if (
            not aligned
            and not HYPOTHETICAL.search(text[: value.start])
            and (unit_fact := other_unit(value, ground, value.approx)) is not None
            and not (derives and chained(value, ground, said, numbers))  # "that's seven hours
        ):  # each day" from 9:15 to 4:15, not the "7 days" of another fact
            clause, aligned = unit_fact, True  # "250 miles a day" of "250 km per day"
        if echoed:
            said.setdefault(value.cls, []).append(value)
            continue  # a value the dialogue has heard, echoed back: reported where first said
        if not aligned:  # "I did about 6,000 miles": the dialogue now knows it
            said.setdefault(value.cls, []).append(value)
            said.setdefault("?", []).append(value)
            if repeated:
                continue  # already reported where it was first said
        if aligned:  # disputed, but a customer's own figure may yet be worked from
            said.setdefault("put", []).append(value)  # ("I can do 5 hrs a wk": 8 weeks)
        found.append(ValueFinding(aligned, value, clause if aligned else None, sentence))
    said.setdefault("#", []).extend(  # "two hundred and eighty", "sixty-three a clean"
        Value("#", str(n), (n,), number=n)
        for n in numbers
        if n > 2 and not any(v.number == n and v.cls != "q:bare" for v in values)
    )
    return found


_BARE_CLAIM = re.compile(
    r"(?:\b(?:is|are|at|of|to|costs?|be|capped at|cap (?:it|them) at|limited to|up to|only)|"
    r"\b(?:it|that|this)'s)\s+"
    r"(\d{2,4}(?:\.\d{2})?)\b(?![.,:/]?\d|\s*(?:%|[a-z]))"
    r"|^\W*(\d{2,4}(?:\.\d{2})?) for (?:the|a|an|your|each|one)\b",  # "Two hundred eighty for
    re.I,  # the course", answering "how much is the course?"
)


def _bare_numbers(
    text: str, values: tuple[Value, ...], own: frozenset[str], ground: Grounding, context: str = ""
) -> list[ValueFinding]:
    """A number said without its unit where the fact it speaks about gives one number of one
    kind ("we cap them at thirty" of "capped at 20 people", "the senior ticket is twenty-five"
    of "seniors pay $22"): it is that kind, and must agree."""
    out = []
    priced = bool(_ASKS["money"].search(context))
    for m in _BARE_CLAIM.finditer(text):
        g = 1 if m.group(1) else 2
        if any(v.start <= m.start(g) < v.end for v in values) or (g == 2 and not priced):
            continue
        number = float(m.group(g))
        near = stems(segment_of(text, Value("q:bare", m.group(g), start=m.start(g), end=m.end(g))))
        best, score = None, 0
        for c in ground.clauses:
            shared = len(near & c.stems)
            if not c.is_reference and shared > score:
                best, score = c, shared
        if best is None or score < 1 or not own & best.stems:
            continue
        numbers = [v for v in best.values if v.number is not None and v.cls != "date"]
        if priced:  # "how much is the 6-week course?": its price, not its weeks
            numbers = [v for v in numbers if v.cls == "money"] or numbers
        kinds = {v.cls for v in numbers}
        if len(kinds) != 1 or not (next(iter(kinds)).startswith(("count:", "money"))):
            continue
        if any(v.number == number for v in ground.pool.get(numbers[0].cls, ())):
            continue
        kind = numbers[0]
        stated = Value(
            kind.cls,
            m.group(g),
            (number,),
            unit=kind.unit,
            per=kind.per,
            start=m.start(g),
            end=m.end(g),
            number=number,
        )
        if not any(same(stated, v) for v in numbers):
            out.append(ValueFinding(True, stated, best, text))
    return out


_ASKS = {
    "time": re.compile(r"\b(?:when|what time|how early|how late|till when|until when)\b", re.I),
    "date": re.compile(r"\b(?:when|what day|which day|what date)\b", re.I),
    "q:duration": re.compile(r"\b(?:how long|how many (?:days|weeks|hours|minutes))\b", re.I),
    "q:workdays": re.compile(r"\b(?:how long|how many (?:days|working days))\b", re.I),
    "money": re.compile(
        r"\b(?:how much|what(?:'s| is| does) (?:it|that|the \w+) cost|price|"
        r"what do (?:i|we) owe|the damage)\b",
        re.I,
    ),
}


def _answers(value: Value, context: str, candidates: list[Clause]) -> Clause | None:
    """The one fact of the value's kind that the question before asks about ("When does the
    show start?" of "The performance starts at 7:30 pm"): a short answer speaks of it."""
    asks = _ASKS.get(value.cls)
    questions = [q for q in sentences(context) if asking(q)]
    if asks is None or not any(asks.search(q) for q in questions):
        return None
    asked = frozenset().union(*(stems(q) for q in questions))
    spoken = [c for c in candidates if c.stems & asked]
    if not spoken:  # "When's the blue bin going?" of "Blue bins are collected every 2 weeks;
        spoken = [c for c in candidates if stems(c.fact) & asked]  # the next is on the 6th"
    return spoken[0] if len(spoken) == 1 else None


_ASKING = re.compile(  # "how much are the 501s", "whats the deposit thing": asked, no "?"
    r"^\W*(?:(?:hey|hi|ok|okay|and|so|um|oh)\W+)?(?:how (?:much|many|long|far|early|late)|what(?:'s|s| is| are| time| day)?|when|"
    r"which|where|who|is (?:it|there|that)|are (?:you|there|they)|do (?:you|i|we)|does|"
    r"can (?:i|we|you)|could (?:i|we|you)|will (?:it|you|i))\b",
    re.I,
)


def asking(sentence: str) -> bool:
    """A question, with or without its question mark (chat windows drop it)."""
    return is_question(sentence) or (bool(_ASKING.match(sentence)) and len(sentence.split()) <= 14)


@lru_cache(maxsize=1024)
def _asked(context: str) -> frozenset[str]:
    """What the questions of the turn before ask about."""
    return frozenset().union(*(stems(s) for s in sentences(context) if asking(s)))


def _held(clause: Clause, values: tuple[Value, ...], value: Value) -> int:
    """How many of the sentence's other values this clause states."""
    return sum(
        1
        for other in values
        if other is not value and any(same(other, mine) for mine in clause.values)
    )


def _anchors(clause: Clause, values: tuple[Value, ...], value: Value) -> bool:
    """True when another value of the sentence is one this clause states (values travel
    together): of another kind ("March 4 at 10:30 am": the 10:30 fact), or of the same kind
    when the clause pairs two of them ("doors open at 9 am and we go until 6 pm" of "from
    9:00 am to 4:00 pm": the 6 pm is the other end)."""
    pair = [v for v in clause.values if v.cls == value.cls]
    return any(
        other is not value
        and same(other, mine)
        and (other.cls != value.cls or (len(pair) == 2 and mine in pair))
        for other in values
        for mine in clause.values
    )


def _fact_held(clause: Clause, ground: Grounding, values: tuple[Value, ...], value: Value) -> int:
    """How many of the sentence's values of other kinds the clause's whole fact states."""
    mine = [v for c in ground.clauses if c.fact == clause.fact for v in c.values]
    return sum(
        1
        for other in values
        if other is not value and other.cls != value.cls and any(same(other, m) for m in mine)
    )


def _has_bare_counterpart(ground: Grounding) -> bool:
    return bool(ground.pool.get("q:bare"))
