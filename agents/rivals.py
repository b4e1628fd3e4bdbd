"""Which fact a value belongs to when a clause holds several of its kind: "the last entry is
at 5:30" where 5:30 is closing time, and a rival fact that gives another value."""

from __future__ import annotations

from agents.bounds import segment_of
from agents.grounding import Clause, Grounding, stems
from agents.spoken import normalise
from agents.value_compare import same
from agents.value_words import WEEKDAYS
from agents.values import Value


def swapped(
    value: Value, text: str, ground: Grounding, others: tuple[Value, ...] = ()
) -> Clause | None:
    """The fact a value belongs to another thing of ("the last entry is at 5:30" where 5:30 is
    closing time and the last entry is at 4:30): the words around the value speak about a
    clause that states another value of its kind, and not about any clause that states it."""
    near = stems(segment_of(text, value))
    if not near:
        return None
    holders, rivals = 0, []
    for c in ground.clauses:
        mine = [v for v in c.values if v.cls == value.cls]
        if c.is_reference or not mine:
            continue
        if len(mine) > 1:  # "the last entry is at 4:30 pm, and the museum closes at 5:30 pm":
            fact = normalise(c.text)  # each value with the words of its own part
            for v in mine:
                part = stems(segment_of(fact, v))
                if same(value, v):  # a part with no words of its own ("and Saturday from 8
                    # to 1") speaks of what its clause does ("the yard is open")
                    holders = max(holders, len(near & (part or c.stems)))
                elif part and not any(same(o, v) for o in others if o is not value):
                    rivals.append((len(near & part), part, c))  # (its own value unsaid: not
                    # "€189 including the €14.50 for express shipping")
        elif any(same(value, v) for v in mine):
            holders = max(holders, len(near & c.stems))
        else:
            rivals.append((len(near & c.stems), c.stems, c))
    if not rivals:
        return None
    score, words, rival = max(rivals, key=lambda r: (r[0], r[0] / max(1, len(r[1]))))
    if holders == 0 and (
        (score >= 2 and score >= 0.5 * len(words)) or (score >= 1 and score == len(words))
    ):  # most of the rival's words, or all of a rival part's ("the last entry")
        return rival
    if (
        score > holders
        and score >= 2
        and score == len(words)
        and not any(same(value, v) for v in rival.values)
    ):
        return rival  # "our minimum delivery is 150 gallons" of "the minimum delivery is 100
        # gallons", not of "deliveries of 150 gallons or more": all the rival's words
    if holders == 0 and others:  # "Wednesday nights with Eilidh — she starts at half seven"
        whole = stems(text)  # of "Eilidh leads the session every Wednesday at 6:30 pm", where
        held = [c for c in ground.clauses if any(same(value, v) for v in c.values)]  # 7:30
        if not any(whole & c.stems for c in held):  # is the last entry's
            days = _weekdays(text)
            anchored = [
                c
                for _, _, c in rivals
                if len(whole & c.stems) >= 2
                and (
                    any(same(o, v) for o in others for v in c.values if o.cls != value.cls)
                    or bool(days & _weekdays(c.text))  # "every Wednesday", "Wednesday nights"
                )
                and not any(  # its own value is said too ("... by 3 pm tomorrow")
                    same(o, v) for o in others for v in c.values if o.cls == value.cls
                )
            ]
            if len(anchored) == 1:
                return anchored[0]
    return None


def same_values(a: Clause, b: Clause, cls: str) -> bool:
    """True when two clauses state the same values of a class (both give "25 feet")."""
    mine = [v for v in a.values if v.cls == cls]
    return bool(mine) and all(any(same(v, w) for w in b.values) for v in mine)


def _weekdays(text: str) -> frozenset[str]:
    return frozenset(w for w in WEEKDAYS if w in text.lower())
