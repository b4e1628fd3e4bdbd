"""Canary dialogues built from a scenario's own facts and personas, to test the critic model.

One faithful exchange states the facts word for word; each other canary is a copy with
one planted defect: a contradiction (a number, time, day or name changed), a negated fact,
or a persona break. A critic model worth its place scores the faithful canary above every
planted one; one that cannot (a constant scorer, a model copying the prompt's layout) adds
no signal, and only the deterministic checks are gating.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agents.state import Turn

KINDS = ("faithful", "contradiction", "negation", "persona_break")
_MAX_FACTS = 4  # enough to plant in, short enough to keep the check cheap

_TIME = re.compile(r"\b(\d{1,2}):(\d{2})\b")
_NUMBER = re.compile(r"(?<![\w.,:])(\d+(?:[.,]\d+)?)(?![\w:]|[.,]\d)")
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MONTHS = [
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
]  # fmt: skip
_CALENDAR = re.compile(r"\b(" + "|".join(_DAYS + _MONTHS) + r")\b")
_NAME = re.compile(r"(?<=[a-z,] )([A-Z][a-z]{2,})\b")
_OTHER_NAMES = ["Westbrook", "Halvorsen", "Marlowe", "Dunmore"]
_NEGATED = [
    (re.compile(r"\b(is|are|was|were|will|does|do|did|has|have|should|must) not\b"), r"\1"),
    (re.compile(r"\bcannot\b"), "can"),
    (re.compile(r"\b(\w+)n't\b"), r"\1"),
    (re.compile(r"\bnever\b"), "always"),
    (re.compile(r"\bno\b"), "a"),
    (re.compile(r"\bnot\b ?"), ""),
]
_AUXILIARY = re.compile(
    r"\b(is|are|was|were|will|can|could|should|must|does|do|did|has|have|had|may)\b"
)


@dataclass
class Canary:
    """One canary dialogue: its kind, its turns, and what was planted (empty when faithful)."""

    kind: str
    turns: list[Turn]
    planted: str = ""
    facts_used: list[str] = field(default_factory=list)


def _first_name(persona: Mapping[str, Any], fallback: str) -> str:
    name = str(persona.get("name") or fallback)
    parts = name.split()
    titled = len(parts) > 1 and parts[0].rstrip(".") in {"Dr", "Mr", "Mrs", "Ms", "Prof"}
    return name if titled else parts[0]


def _bumped(number: str) -> str:
    """A different value of the same shape: years move by one, other numbers roughly double."""
    if "." in number or "," in number:
        sep = "." if "." in number else ","
        whole, frac = number.split(sep, 1)
        return f"{int(whole) * 2 + 1}{sep}{frac}"
    n = int(number)
    if 1900 <= n <= 2100:
        return str(n + 1)
    return str(n * 2 if n >= 3 else n + 3)


def contradict(fact: str, avoid: Sequence[str] = ()) -> tuple[str, str] | None:
    """`fact` with one value changed (time, number, day or month, name), and what changed."""
    if m := _TIME.search(fact):
        hour = int(m.group(1))
        new = f"{(hour + 2 - 1) % 12 + 1 if hour <= 12 else (hour + 2) % 24}:{m.group(2)}"
        return fact[: m.start()] + new + fact[m.end() :], f"{m.group(0)} -> {new}"
    if m := _NUMBER.search(fact):
        new = _bumped(m.group(1))
        return fact[: m.start()] + new + fact[m.end() :], f"{m.group(1)} -> {new}"
    if m := _CALENDAR.search(fact):
        pool = _DAYS if m.group(1) in _DAYS else _MONTHS
        new = pool[(pool.index(m.group(1)) + 3) % len(pool)]
        return fact[: m.start()] + new + fact[m.end() :], f"{m.group(1)} -> {new}"
    if m := _NAME.search(fact):
        new = next(n for n in _OTHER_NAMES if n not in fact and n not in avoid)
        return fact[: m.start()] + new + fact[m.end() :], f"{m.group(1)} -> {new}"
    return None


def _value_rank(fact: str) -> int:
    """Which kind of value `contradict` would change: 0 time, 1 number, 2 day/month, 3 name, 4 none."""
    return next((i for i, p in enumerate((_TIME, _NUMBER, _CALENDAR, _NAME)) if p.search(fact)), 4)


def negate(fact: str) -> str:
    """`fact` asserting the opposite: a negation removed, or one added after the auxiliary."""
    for pattern, replacement in _NEGATED:
        if pattern.search(fact):
            return pattern.sub(replacement, fact, count=1)
    if m := _AUXILIARY.search(fact):
        word = m.group(1)
        new = "cannot" if word == "can" else f"{word} not"
        return fact[: m.start()] + new + fact[m.end() :]
    body = fact.rstrip(".")
    return f"It is not true that {body[:1].lower()}{body[1:]}."


def _negatable(fact: str) -> bool:
    return any(p.search(fact) for p, _ in _NEGATED) or bool(_AUXILIARY.search(fact))


def _choose_facts(facts: Sequence[str]) -> list[str]:
    """Up to four facts in their order, making sure one holds a value and one can be negated."""
    facts = [f.strip() for f in facts if f.strip()]
    chosen = facts[:_MAX_FACTS]
    for wanted in (lambda f: contradict(f) is not None, _negatable):
        if not any(wanted(f) for f in chosen):
            extra = next((f for f in facts if wanted(f)), None)
            if extra is not None:
                chosen = [*chosen[: _MAX_FACTS - 1], extra]
    return chosen


def _exchange(asker: str, teller: str, names: Mapping[str, str], facts: list[str]) -> list[Turn]:
    """A short faithful exchange: the asker asks, the teller gives the facts verbatim."""
    first, rest = facts[:2], facts[2:]
    turns: list[Turn] = [
        {"speaker": asker, "text": f"Hello, this is {names[asker]}. Could you tell me where things stand?"},
        {"speaker": teller, "text": f"Hello {names[asker]}, {names[teller]} here. " + " ".join(first)},
        {"speaker": asker, "text": "I see. Is there anything else I should know?"},
        {"speaker": teller, "text": " ".join(rest) if rest else "That is everything for now."},
    ]  # fmt: skip
    return turns


def build_canaries(
    facts: Sequence[str],
    speakers: Sequence[str],
    personas: Mapping[str, Mapping[str, Any]],
    assistant: str,
) -> list[Canary]:
    """The faithful canary and those planted copies the facts allow (up to three).

    The assistant (the trained speaker) tells the facts; the first other speaker asks.
    Without facts there is nothing to contradict or negate: only the persona break remains.
    """
    teller = assistant if assistant in speakers else speakers[-1]
    asker = next(s for s in speakers if s != teller)
    names = {s: _first_name(personas.get(s, {}), s) for s in (asker, teller)}
    chosen = _choose_facts(facts)
    base = _exchange(asker, teller, names, chosen)
    canaries = [Canary("faithful", base, "", chosen)]

    def with_fact(old: str, new: str) -> list[Turn]:
        return [
            {"speaker": t["speaker"], "text": t["text"].replace(old, new)}
            if t["speaker"] == teller
            else dict(t)  # type: ignore[misc]
            for t in base
        ]

    # times and numbers first: the plainest contradiction a critic should catch
    ranked = [(_value_rank(f), i, f) for i, f in enumerate(chosen) if _value_rank(f) < 4]
    target = min(ranked)[2] if ranked else None
    if target is not None:
        changed, what = contradict(target, list(names.values()))  # type: ignore[misc]
        canaries.append(Canary("contradiction", with_fact(target, changed), what, chosen))
    negatable = [f for f in chosen if _negatable(f) and f != target] or [
        f for f in chosen if f != target
    ]
    if negatable:
        fact = negatable[0]
        canaries.append(
            Canary("negation", with_fact(fact, negate(fact)), f"negated: {fact}", chosen)
        )
    role = str(personas.get(teller, {}).get("role") or teller)
    broken = [dict(t) for t in base]
    broken[1]["text"] = (
        f"Hello {names[asker]}. I am an AI language model, only playing {names[teller]} the "
        f"{role}; I am not a real {role}. " + " ".join(chosen[:2])
    )
    canaries.append(Canary("persona_break", broken, "says it is an AI playing a part", chosen))  # type: ignore[arg-type]
    return canaries
