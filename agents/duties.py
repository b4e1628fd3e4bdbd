"""Who does what: a person the facts know, given a duty the facts give to someone else.

"Olusegun repairs washing machines; Hannah repairs fridges" and then "Hannah handles the
washing machines"; "the condo manager is Ravi Chandran and the security supervisor is Nur
Aisyah" and then "Mr Ravi Chandran, our security supervisor"; a speaker who takes the duty
themself ("That's me! I'm the service advisor") when the facts name another person for it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from agents.grounding import is_question, negative, stems
from agents.people import Person, name_tokens
from agents.roles import PeopleFinding

_PIECES = re.compile(r";|,?\s+and\s+|,\s+|\s+while\s+|\s+whereas\s+", re.I)
_SELF = re.compile(  # the speaker claims the duty: "that's me", "I run them myself"
    r"\b(?:that(?:'s| is| will be|'ll be) me|it(?:'s| is) me|be me|myself)\b", re.I
)


def _words(text: str) -> set[str]:
    """Lower-case words without punctuation or a possessive: "Reyes's" -> "reyes"."""
    out = set()
    for word in text.lower().split():
        word = word.strip('.,!?;:()"')
        out.add(word[:-2] if word.endswith(("'s", "’s")) else word)
    return out


@lru_cache(maxsize=512)
def _name_stems(people: tuple[frozenset[str], ...]) -> frozenset[str]:
    return stems(" ".join(t for p in people for t in p)) | {t[:5] for p in people for t in p}


@lru_cache(maxsize=512)
def _duties(
    facts: tuple[str, ...], people: tuple[frozenset[str], ...]
) -> tuple[tuple[frozenset[str], frozenset[str], frozenset[int]], ...]:
    """Each person the facts name, with the stems of what the facts say they do, and the
    facts that say it."""
    duties: dict[frozenset[str], set[str]] = {}
    where: dict[frozenset[str], set[int]] = {}
    for index, fact in enumerate(facts):
        owner: frozenset[str] | None = None
        loose: set[str] = set()
        for piece in _PIECES.split(fact):
            words = _words(piece)
            named = [p for p in people if p & words]
            piece_stems = set(stems(piece)) - _name_stems(people)
            if len(named) == 1:
                owner = named[0]
                duties.setdefault(owner, set()).update(piece_stems | loose)
                where.setdefault(owner, set()).add(index)
                loose = set()
            elif not named and owner is not None:  # "... washing machines and dryers"
                duties[owner].update(piece_stems)
            elif not named:
                loose |= piece_stems  # "Induction is run by Priya": the duty before the name
    return tuple((p, frozenset(d), frozenset(where[p])) for p, d in duties.items() if d)


def check_duty(
    speaker: str,
    sentence: str,
    facts: Sequence[str],
    people: Sequence[Person],
    personas: Mapping[str, Mapping[str, Any]],
) -> PeopleFinding | None:
    """A sentence that gives one person (named, or the speaker claiming it) a duty that the
    facts give only to another person, and says nothing of that person's own duties."""
    if is_question(sentence):
        return None
    names = tuple(p.tokens for p in people)
    found = _duties(tuple(facts), names)
    if not found:
        return None  # the facts give nobody a duty: the cheap way out of most sentences
    duties = {p: d for p, d, _ in found}
    facts_of = {p: w for p, _, w in found}

    words = _words(sentence)
    named = [p for p in duties if {t for t in p if len(t) > 2} & words]
    own: frozenset[str] = frozenset()
    persona = personas.get(speaker, {})
    me = frozenset(name_tokens(str(persona.get("name") or "")))
    rivals = set(duties)
    lower = sentence.lower()
    claims = _SELF.search(sentence) or (
        ("i'm " in lower or "i am " in lower)
        and any(  # "I am Yumi Kato, the counter supervisor"
            re.search(rf"\bi(?:'m| am) {re.escape(t)}\b(?: [\w-]+)?,? (?:the|your|our)\b", lower)
            for t in me
        )
    )
    if (not named and not claims) or negative(sentence):
        return None
    if claims and (not named or named == [me]):
        who = me  # "That's me, I run the inductions myself"
        own = duties.get(me, frozenset()) | stems(str(persona.get("role") or ""))
    elif len(named) == 1:
        who = named[0]
        own = duties[who]
        rivals = {p for p in duties if facts_of[p] & facts_of[who]}  # listed side by side
    else:
        return None
    said = stems(sentence) - _name_stems(names)
    if said & (own - frozenset().union(*(d for p, d in duties.items() if p != who))):
        return None  # it speaks of the person's own duty too
    for other, theirs in duties.items():
        if other == who or other not in rivals:
            continue
        hits = said & (theirs - own)
        if hits and len(hits) >= min(2, len(theirs - own)):
            name = " ".join(sorted(t.title() for t in other))
            return PeopleFinding(
                "contradicted_name",
                f"gives {' '.join(sorted(t.title() for t in who)) or speaker} the duty the "
                f"facts give {name}",
                ", ".join(sorted(hits)),
                True,
                "faithfulness",
            )
    return None
