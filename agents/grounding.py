"""The grounding a dialogue is held against, parsed once: its clauses, their words
(stems), values and polarity, every value it states and those one step of arithmetic away.

Two kinds of finding come out of the checks built on it, kept apart:
- a **contradiction**: a sentence aligned to a fact (it shares the fact's words, or the
  question it answers does) states a value of the same kind that differs from the fact's
  and from every other value the grounding gives or derives (agents.claims); or it asserts
  the opposite of a fact that carries a negation or a limit (agents.polarity). It blocks.
- an **unsupported** value: nothing in the grounding says it, and no fact about the same
  thing says otherwise ("20 minutes on hold", "the 3rd floor"). It is evidence, not a block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import pairwise

from agents.derive import Derived, derive
from agents.spoken import normalise
from agents.value_words import MONTHS, UNIT_TABLE, WEEKDAYS
from agents.values import Value, reference_date, values_in

_SENTENCE = re.compile(  # the end mark first: the titles' lookbehinds run only after one
    r"(?<=[.!?;])(?<!\bMr\.)(?<!\bMrs\.)(?<!\bMs\.)(?<!\bMx\.)(?<!\bDr\.)(?<!\bSt\.)"
    r"(?<!\bNo\.)(?<!\bProf\.)(?<!\bapprox\.)(?<!\b[Rr]s\.)(?<!\b[Ff]r\.)(?<!\b[Kk]r\.)"
    r"(?<!\bvs\.)\s+|\s+(?=\()|(?<=\))\s+"  # "Rs. 1,800", "Fr. 40": a currency, not an end
)
_CLAUSE = re.compile(r";\s*|,?\s+\bbut\b\s+|,?\s+\bwhile\b\s+|,?\s+\balthough\b\s+", re.I)
_NEXT_DAY = re.compile(r"\b(?:next|following) (?:day|morning)\b|\bovernight\b", re.I)
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
    "held": "hold",  # the past of a verb is the verb: "held for 14 days" / "we'll hold it"
    "kept": "keep",
    "sold": "sell",
    "bought": "buy",
    "brought": "bring",
    "sent": "send",
    "given": "give",
    "told": "tell",
    "chosen": "choos",
    "written": "write",
    "shown": "show",
    "fix": "repai",
    "fixed": "repai",
    "resto": "repai",
    "mend": "repai",
    "call": "phone",  # "when can I call him?" of "gives phone consultations"
    "calls": "phone",
}
_UNIT_WORDS = frozenset(w for name in UNIT_TABLE for w in name.split()) - {"second", "pound"}
_NEGATION = re.compile(
    r"\b(no|not|never|none|nobody|nothing|cannot|without|avoid|only|unless|except|free|waived|"
    r"blocked|unavailable|impossible|prohibited|forbidden|neither|nor|refuse[sd]?|zero|nil|can't|won't|"
    r"don't|doesn't|didn't|isn't|aren't|wasn't|weren't|shouldn't|mustn't|couldn't|wouldn't|"
    r"nope|nah|nae|naw|nowt|non-?\w+(?:able|ible)|\w+n't|excludes?|excluded|excluding|"
    r"unable|outside (?:what|of what|the scope|our remit|their remit|the \w+ (?:fee|price|cost))|"
    r"(?:paid|charged|billed|sold|priced) (?:for )?separately)\b",
    re.I,
)
_DOUBLE = re.compile(
    r"\b(?:not|no longer|never|\w+n't)\s+(?:\w+\s+)?(?:free|waived|unavailable|impossible|"
    r"blocked|prohibited|forbidden)\b",
    re.I,
)
_IDIOMS = re.compile(
    r"\b(no problem|no worries|no rush|not a problem|not at all|no doubt|no need to worry|"
    r"not sure|nothing else|no, thanks?|no thank you|not yet|why not|whether or not|no stress|"
    r"no bother|no hassle|not at all|not by (?:a great deal|much|a lot|far|a long way|a mile)|"
    r"not a bit|no dramas|not long now|not to worry|"
    # "I'm only 3 miles away": merely, not a limit
    r"(?<=i'm )only(?= (?:\d|a |an |about |around ))|(?<=it's )only(?= (?:\d|a |an |about ))|"
    r"(?<=that's )only(?= (?:\d|a |an |about )))\b",
    re.I,
)


_PHRASES = re.compile(
    r"\b(?:claim|get|give|pay|paid) (?:(?:it|some of it|them|the money) )?back\b|\bmoney back\b",
    re.I,
)


_CARE = re.compile(r"\btak(?:e|es|ing|en)\s+care\s+of\b", re.I)  # "takes care of water damage"
_NEGATOR = re.compile(
    r"\b(?:not|no|never|cannot|can't|won't|don't|doesn't|isn't|aren't|mustn't|shouldn't|"
    r"no longer)\s+(?:be\s+|been\s+|allowed to\s+|able to\s+)?((?:[\w-]+\s+){0,2}[\w-]+)|\bnon-(\w+)|"
    r"\bneither\s+(?:[\w-]+\s+){0,2}?(?:is|are|will be|can be)\s+([\w-]+)",  # "neither fee is refundable"
    re.I,
)


def negated_words(part: str) -> frozenset[str]:
    """What a clause negates: the words right after its negator ("not refundable", "cannot be
    left on the doorstep", "is not nut-free", "non-refundable"); empty without a negator."""
    m = _NEGATOR.search(_IDIOMS.sub(" ", part.replace("\u2019", "'")))
    if not m:
        return frozenset()
    words = next((g for g in m.groups() if g), "").replace("-free", " free")
    return stems(words)


def negated_part(part: str) -> str:
    """The clause from its negator on ("a 6-month warranty, which does not cover water damage":
    "not cover water damage"); the whole clause without one ("only within 30 days")."""
    m = _NEGATOR.search(part.replace("\u2019", "'"))
    return part[m.start() :] if m else part


def predicate(part: str) -> str:
    """The first word a clause negates, as a stem ("not refundable": "refun")."""
    m = _NEGATOR.search(_IDIOMS.sub(" ", part.replace("\u2019", "'")))
    words = next((g for g in m.groups() if g), "") if m else ""
    for word in _WORD.findall(words.replace("-free", " free").lower()):
        if found := stems(word):  # one word, one stem: in the text's order ("boil-water")
            return next(iter(found))
    return ""


@lru_cache(maxsize=8192)
def stems(text: str) -> frozenset[str]:
    """The words that say what a sentence is about, reduced to comparable stems."""
    out = set()
    text = _PHRASES.sub(" refund ", text) if "back" in text else text
    text = _CARE.sub(" cover ", text) if "care" in text else text
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


_DEFINES = re.compile(  # "One page is counted as up to 250 words": what a unit of the service is
    r"^\s*(?:one|a|an|each|1)\s+([a-z]+)\s+(?:(?:is|are)\s+(?:counted|defined|billed|taken)\s+as|"
    r"counts\s+as|equals|means|(?:is|are)\s+(?:equal|equivalent)\s+to|corresponds\s+to)\s",
    re.I,
)


def defined(clause_text: str) -> str:
    """The noun a fact defines ("page" of "One page is counted as up to 250 words"), or ""."""
    m = _DEFINES.match(clause_text)
    return m.group(1).lower() if m else ""


def restates_definition(segment: str, noun: str) -> bool:
    """True when a part of a sentence speaks of the definition itself ("we count one page for
    every 250 words", "250 words a page"), not of the user's own document in its units."""
    return bool(re.search(rf"\b(?:one|a|an|each|every|per|1)\s+{re.escape(noun)}\b", segment, re.I))


def sentences(text: str) -> list[str]:
    """The sentences of a turn."""
    return list(_sentences(text))


@lru_cache(maxsize=4096)
def _sentences(text: str) -> tuple[str, ...]:
    # a turn's context is split again by several checks: once is enough
    return tuple(s.strip() for s in _SENTENCE.split(text) if s and s.strip())


_HEARSAY = re.compile(
    r"\b(said|says|told me|told us|tells me|heard|i thought|i was told|supposedly|apparently|"
    r"i read|rumou?r|swore|swears|reckons?|reckoned|insisted|"
    r"claim(?:ed|s) (?:that|to|it|he|she|they|you|we|i)\b)\b",
    re.I,
)
_OWN_WORDS = re.compile(  # "as I said, it's $50", "give or take what the scale says": no hearsay
    r"\b(?:as|like) (?:i|we)(?:'ve| have)? (?:said|mentioned)\b|"
    r"\bwhat (?:the|your|our|it|its) \w+ says\b",
    re.I,
)


def reported(sentence: str) -> bool:
    """True when the sentence reports what someone else said or thought ("my neighbour said
    the 13th", "he swore we'd have paid a fee"): it claims nothing itself."""
    return bool(_HEARSAY.search(_OWN_WORDS.sub(" ", sentence)))


def is_question(sentence: str) -> bool:
    return sentence.rstrip().endswith("?")


@lru_cache(maxsize=8192)
def negative(text: str) -> bool:
    """True when the text negates or limits what it says ("no fee", "only within 30 days")."""
    text = _IDIOMS.sub(" ", text.replace("\u2019", "'"))
    text = re.sub(r"\b\w+-free\b", " ", text)  # "nut-free" is a property, not a negation
    text = _DOUBLE.sub(" ", text)  # "not free" is a double negative: it costs something
    return bool(_NEGATION.search(text))


_OR = re.compile(r"\s*(?:,|and|or|&|,\s*(?:and|or))\s*$", re.I)


def _choices(clauses: list[Clause]) -> frozenset[tuple[int, int]]:
    """The clock times a clause gives as choices ("departs at 09:30 and 14:00"), as pairs of
    ids: the hours between them measure nothing (not "open 9 am to 5 pm")."""
    out = set()
    for c in clauses:
        times = [v for v in c.values if v.cls == "time"]
        text = normalise(c.text) if len(times) > 1 else ""  # (where the values were found)
        for a, b in pairwise(times):
            if _OR.match(text[a.end : b.start]):
                out |= {(id(a), id(b)), (id(b), id(a))}
    return frozenset(out)


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
class Grounding:
    """Everything the checks compare a dialogue with, parsed once per set of sources."""

    today: date | None
    clauses: tuple[Clause, ...]
    pool: dict[str, tuple[Value, ...]]  # every stated value by class, any source
    derived: dict[str, tuple[Derived, ...]]  # values a sentence may derive ("so 2,400 euros")
    reference: tuple[Value, ...] = ()  # what "Today is ..." states
    choices: frozenset[tuple[int, int]] = frozenset()  # clock times given as choices (ids)


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
                        focus=negated_words(part),
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
    choices = _choices(clauses)
    return Grounding(
        today=today,
        clauses=tuple(clauses),
        pool={k: tuple(v) for k, v in pool.items()},
        derived=derive(sourced, today, any(_NEXT_DAY.search(f) for f in facts), choices),
        reference=reference,
        choices=choices,
    )
