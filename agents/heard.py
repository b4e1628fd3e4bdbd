"""The customer's own figures as the staff take them up: the case a rule is applied to ("For
₹7,200 there is the ₹250 charge"), the base of a fact's percentage ("fifteen per cent of
£200"), and a total agreed to ("So 446 in total." "Exactly, 446 EUR."), which must still be
worked out from the rest of what was said."""

from __future__ import annotations

import re

from agents.grounding import sentences
from agents.value_compare import same
from agents.value_words import DERIVE_CUES
from agents.values import Value

_PERCENT_OF = re.compile(r"\d\s*(?:%|per ?cent|percent)\s+of\s+(?:the\s+|your\s+|an?\s+)?$", re.I)
_CASE = re.compile(r"\b(?:for|with|on)\s+(?:the\s+|your\s+|an?\s+)?$", re.I)
_AGREES = re.compile(
    r"\s*(?:exactly|correct|that's (?:right|correct|it)|right|yes|yep|yeah|spot on)\b", re.I
)


def as_case(value: Value, text: str, earlier: list[Value], heard: list[int]) -> bool:
    """A figure the customer gave of their own, that no fact gave (`heard`: their ids), named
    as the case a rule applies to: "My order comes to ₹7,200." "For ₹7,200 there is the ₹250
    charge"."""
    return bool(_CASE.search(text[max(0, value.start - 12) : value.start])) and any(
        id(g) in heard and same(value, g) for g in earlier
    )


def as_base(value: Value, text: str, said: dict[str, list[Value]]) -> bool:
    """A sum the customer put, taken as the base of a percentage: "fifteen per cent of £200"."""
    return (
        value.cls == "money"
        and bool(_PERCENT_OF.search(text[max(0, value.start - 24) : value.start]))
        and any(same(value, g) for g in (*said.get("put", ()), *said.get("?", ())))
    )


def agrees_to_sum(sentence: str, context: str) -> bool:
    """ "Exactly, 446 EUR." after "So 446 in total with the boots.": the answer takes up a sum
    the turn before worked out aloud."""
    return bool(_AGREES.match(sentence)) and bool(
        DERIVE_CUES.search(" ".join(sentences(context)[-1:]))
    )


def without(said: dict[str, list[Value]], value: Value) -> dict[str, list[Value]]:
    """What the dialogue said, but the figure itself: an agreed sum is worked from the rest."""
    x = value.amounts[:1]
    return {
        k: [v for v in vs if v.amounts[:1] != x and v.number != value.number]
        for k, vs in said.items()
    }
