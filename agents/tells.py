"""A role flip told by who gives the facts: the customer's side stating, first and as plain
statements, the values the business's facts give ("orders must reach us by 4 pm, and below
₹10,000 we add ₹250"), while the staff ask. A customer who knows their own booking names a
date; one who introduces two of the business's prices, hours or limits speaks its lines."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from agents.grounding import Grounding, is_question, reported, sentences
from agents.roles import PeopleFinding, served, side_of
from agents.value_compare import same
from agents.values import Value, values_in

# the business's lines: its prices, hours, rates and lengths of time (a date may be the
# customer's booking; a weight, a volume or a count their own goods or party)
_LINES_OF = frozenset({"money", "time", "q:percent", "q:duration"})
_BELIEF = re.compile(
    r"\b(?:i|we) (?:thought|think|heard|was told|were told|believe|reckon)\b", re.I
)
LINES = 2  # the fact values a customer introduces before it reads as the other side's lines


def tells_facts(
    turns: Sequence[Mapping[str, str]], personas: Mapping[str, Mapping[str, Any]], ground: Grounding
) -> tuple[int, PeopleFinding] | None:
    """The turn at which the customer's side has introduced `LINES` fact values, if it does."""
    sides = {k: side_of(k, p) for k, p in personas.items()}
    # a customer by its role's own words ("patient", "guest"), facing a side that is none: not
    # a candidate and a hiring manager, who both know the offer
    customers = {k for k, side in sides.items() if served(side)}
    if not customers or len(customers) == len(personas):
        return None
    heard: list[Value] = []
    told: dict[str, str] = {}  # the values told -> a fact each gives (a range tells one fact)
    for index, turn in enumerate(turns):
        for sentence in sentences(turn["text"]):
            values = values_in(sentence, ground.today)
            if (
                turn["speaker"] in customers
                and not is_question(sentence)
                and not reported(sentence)
                and not _BELIEF.search(sentence)
            ):
                for v in values:
                    if v.cls in _LINES_OF and not any(same(v, h) for h in heard):
                        facts = (f for f in _facts_of(v, ground) if f not in told.values())
                        if fact := next(facts, ""):
                            told.setdefault(v.text, fact)
                if len(told) >= LINES:  # two values, of two facts
                    message = f"{turn['speaker']} states the business's facts ({', '.join(told)})"
                    return index, PeopleFinding("role_swap", message, sentence[:160], True)
            heard += values
    return None


def _facts_of(value: Value, ground: Grounding) -> list[str]:
    """The facts that give this value."""
    return [
        c.fact
        for c in ground.clauses
        if not c.is_reference and any(same(value, g) for g in c.values)
    ]
