"""Deterministic faithfulness checks: what can be verified without trusting any model.

`check_dialogue` reads the dialogue and the grounding material (facts, personas,
conditions) and returns findings of two kinds, kept apart by severity:
- `error`: a **contradiction** (a value that conflicts with the fact the sentence speaks
  about, the opposite of a negated or limited fact, a wrong name, a persona break, a role
  swap, an empty or repeated turn). It blocks acceptance.
- `warning`: an **unsupported** value or name, which nothing in the grounding states. It is
  evidence for the critic and lowers the score a little, but never blocks on its own.
Values are normalised first (agents.values) and aligned to facts (agents.grounding); people
are read by agents.people.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from agents.claims import ValueFinding, check_sentence
from agents.duties import check_duty
from agents.grounding import grounding, is_question, reported, sentences, stems
from agents.people import TITLES, check_intro, check_named, known_people
from agents.persona import check_persona
from agents.polarity import check_polarity
from agents.roles import PeopleFinding, served, side_of
from agents.state import CheckFinding, Turn
from agents.tells import tells_facts
from agents.values import Value

_WORD = re.compile(r"[a-z0-9']+")
_KIND_WORDS = {
    "money": "amount",
    "time": "time",
    "date": "date",
    "unit": "quantity",
    "number": "number",
}


def first_name(name: str) -> str:
    """The given name, skipping titles: 'Dr. Amara Osei' -> 'Amara'."""
    words = [w for w in name.split() if w.rstrip(".").lower() not in TITLES]
    return (words or name.split() or [""])[0]


def check_dialogue(
    turns: Sequence[Turn],
    *,
    facts: Sequence[str],
    personas: Mapping[str, Mapping[str, Any]],
    conditions: Mapping[str, Any] | None = None,
    extra_sources: Sequence[str] = (),
) -> list[CheckFinding]:
    """Run every deterministic check over a dialogue and return what fired, in turn order."""
    others = [*extra_sources, *(f"{k} {v}" for k, v in (conditions or {}).items())]
    others += [_persona_text(p) for p in personas.values()]
    ground = grounding(tuple(facts), tuple(others))
    people, fact_words = known_people(personas, facts)
    person_facts = _person_facts(tuple(facts), tuple(sorted(t for p in people for t in p.tokens)))
    labels = {speaker.lower() for speaker in personas}
    labels |= {first_name(str(p.get("name") or "")).lower() for p in personas.values()} - {""}
    vocabulary = frozenset().union(*(c.stems for c in ground.clauses if not c.is_reference))
    findings: list[CheckFinding] = []
    seen: list[tuple[int, str, frozenset[tuple[str, ...]]]] = []
    said: dict[str, list[Value]] = {}
    previous = ""
    for index, turn in enumerate(turns):
        text, speaker = _without_titles(turn["text"]), turn["speaker"]
        for sentence in sentences(text):
            for found in check_sentence(sentence, previous, ground, said):
                findings.append(_value_finding(index, found))
            if clause := check_polarity(sentence, ground, previous):
                findings.append(
                    CheckFinding(
                        check="contradicted_polarity",
                        turn=index,
                        message=f"asserts the opposite of a fact: '{clause.fact}'",
                        evidence=sentence[:160],
                    )
                )
            people_found = check_named(
                speaker, sentence, people, person_facts, stems(sentence), fact_words
            )
            findings += [_people_finding(index, f) for f in people_found]
            if not people_found and (
                duty := check_duty(speaker, sentence, facts, people, personas)
            ):
                findings.append(_people_finding(index, duty))
        findings += [
            _people_finding(index, f) for f in check_intro(speaker, text, people, fact_words)
        ]
        findings += [
            _people_finding(index, f)
            for f in check_persona(speaker, text, personas, labels, vocabulary)
        ]
        findings += _check_empty_or_repeated(index, text, seen)
        previous = text
    if told := tells_facts(turns, personas, ground):
        findings.append(_people_finding(*told))
    return _customers_may_err(findings, turns, personas)


_SIGN_OFF = re.compile(
    r"^\s*(?:kind|best|warm|warmest|many)?\s*(?:regards|wishes|thanks|sincerely|faithfully)\b|"
    r"^\s*(?:yours (?:sincerely|faithfully|truly)|cheers|thank you|with thanks|all the best)\b",
    re.I,
)


def _without_titles(text: str) -> str:
    """A turn without the job title and company lines under a letter's signature ("Kind
    regards, / Daniel Okafor / Bookings Manager, Lumen & Lace"): the name signs, the rest
    is letterhead, no claim and no person."""
    if "\n" not in text:
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if _SIGN_OFF.match(line) and len(line) < 40 and i + 1 < len(lines):
            named = next((j for j in range(i + 1, len(lines)) if lines[j].strip()), None)
            if named is not None:
                return "\n".join(lines[: named + 1])
    return text


_VALUE_CONTRADICTIONS = (
    "contradicted_money",
    "contradicted_time",
    "contradicted_date",
    "contradicted_number",
    "contradicted_unit",
)
_AFFIRMS = re.compile(
    r"^\W*(?:yes|yeah|yep|yup|correct|that's (?:right|correct)|exactly|right|spot on|sure)\b", re.I
)


def _customers_may_err(
    findings: list[CheckFinding], turns: Sequence[Turn], personas: Mapping[str, Mapping[str, Any]]
) -> list[CheckFinding]:
    """A wrong value from the customer's side is no fault of the data unless the other side
    confirms it ("So it's 2:45?" "Yes, that's right."): the staff's answer is what a trainee
    learns from, and correcting a customer is faithful. Unconfirmed, it is only unsupported."""
    out = []
    for f in findings:
        speaker = turns[f.turn]["speaker"] if 0 <= f.turn < len(turns) else ""
        role = side_of(speaker, personas.get(speaker, {}))
        others = [side_of(k, p) for k, p in personas.items() if k != speaker]
        nxt = turns[f.turn + 1]["text"] if f.turn + 1 < len(turns) else ""
        own_turn = turns[f.turn]["text"] if 0 <= f.turn < len(turns) else ""
        confirmed = (
            bool(_AFFIRMS.match(nxt))
            if f.check == "contradicted_polarity"  # "the last shop charged me for a polish"
            else _AFFIRMS.match(nxt) and _confirms(own_turn, f.evidence)
        )
        if (
            (
                f.check in (*_VALUE_CONTRADICTIONS, "contradicted_polarity")
                or (f.check == "contradicted_name" and _asked_about(own_turn, f.evidence))
            )
            and served(role, others)
            and not all(served(o, [role]) for o in others)
            and not confirmed
        ):
            f = f.model_copy(
                update={
                    "check": f.check.replace("contradicted_", "unsupported_"),
                    "severity": "warning",
                    "message": f.message + " (said by the customer's side and not confirmed)",
                }
            )
        out.append(f)
    return out


def _asked_about(turn: str, evidence: str) -> bool:
    """Whether the turn names it in a question ("Is it still Mr Ashcroft who deals with
    silver?"), as hearsay, or just before asking ("My daughter said a Mr Greaves would show
    me. Is that right?"): a customer checking a name they half remember, for the staff to
    put right."""
    said = sentences(turn)
    return any(
        evidence in q
        and (is_question(q) or reported(q) or (is_question(nxt) and stems(nxt) <= _CHECKING))
        for q, nxt in zip(said, [*said[1:], ""], strict=True)
    )


_CHECKING = stems("right correct true sure ok okay yes exactly")


def _confirms(turn: str, evidence: str) -> bool:
    """Whether a "yes" to this turn confirms the sentence with the value: it does when the
    turn asks nothing else ("The deposit is £50, right?"), not when it asks another thing
    ("A dozen bags left. So three more visits?" "Exactly.")."""
    questions = [q for q in sentences(turn) if is_question(q) and q.strip() not in evidence]
    return all(stems(q) <= _CHECKING for q in questions)


@lru_cache(maxsize=256)
def _person_facts(
    facts: tuple[str, ...], names: tuple[str, ...]
) -> tuple[tuple[frozenset[str], str], ...]:
    """Facts that name a person, with their words minus the names (what the person does)."""
    out = []
    for fact in facts:
        if any(t.title() in fact for t in names):
            words = stems(fact) - {t[:5] for t in names}
            out.append((words, fact))
    return tuple(out)


def _value_finding(index: int, found: ValueFinding) -> CheckFinding:
    kind = found.value.kind
    if found.contradiction and found.clause is not None:
        stated = [v.text for v in found.clause.values if v.cls == found.value.cls] or [
            v.text for v in found.clause.values if v.number == found.value.number
        ]
        against = (
            f"the grounding facts ({', '.join(stated[:4])}: '{found.clause.fact}')"
            if stated
            else found.clause.fact
        )
        return CheckFinding(
            check=f"contradicted_{kind}",
            turn=index,
            message=f"states {_KIND_WORDS.get(kind, kind)} '{found.value.text}', which "
            f"contradicts {against}",
            evidence=found.value.text,
        )
    return CheckFinding(
        check=f"unsupported_{kind}",
        turn=index,
        severity="warning",
        message=f"states {_KIND_WORDS.get(kind, kind)} '{found.value.text}', which the "
        "grounding facts do not support",
        evidence=found.value.text,
    )


def _people_finding(index: int, found: PeopleFinding) -> CheckFinding:
    return CheckFinding(
        check=found.check,
        turn=index,
        criterion=found.criterion,
        severity="error" if found.blocking else "warning",
        message=found.message,
        evidence=found.evidence,
    )


def _persona_text(persona: Mapping[str, Any]) -> str:
    parts = [str(persona.get(k, "")) for k in ("name", "role", "background")]
    parts += [str(x) for x in persona.get("traits", []) or []] + [
        str(x) for x in persona.get("goals", []) or []
    ]
    parts += [f"{k} {v}" for k, v in (persona.get("attributes") or {}).items()]
    return "\n".join(parts)


def _shingles(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + 3]) for i in range(max(1, len(words) - 2))}


@lru_cache(maxsize=4096)
def _fingerprint(text: str) -> tuple[int, str, frozenset[tuple[str, ...]]]:
    """Word count, normalised text and word 3-shingles of a turn (each turn is compared often)."""
    words = _WORD.findall(text.lower())
    return len(words), " ".join(words), frozenset(_shingles(words))


def _check_empty_or_repeated(
    index: int, text: str, seen: list[tuple[int, str, frozenset[tuple[str, ...]]]]
) -> list[CheckFinding]:
    n_words, norm, shingles = _fingerprint(text)
    spoken = re.sub(r"\([^)]*\)|\*[^*]*\*", "", text)  # stage directions are not speech
    if not any(ch.isalnum() or unicodedata.category(ch) == "So" for ch in spoken):
        # ("30.11.2026." answers "When?"; an emoji answers in a chat)
        return [
            CheckFinding(
                check="empty_turn", turn=index, criterion="quality", message="the turn says nothing"
            )
        ]
    out = []
    if n_words >= 2 and any(norm == earlier_norm for _, earlier_norm, _ in seen):
        earlier = next(i for i, n, _ in seen if n == norm)
        out.append(
            CheckFinding(
                check="repeated_turn",
                turn=index,
                criterion="quality",
                message=f"repeats turn {earlier} word for word",
                evidence=text[:120],
            )
        )
    elif n_words >= 4:
        for earlier, earlier_norm, earlier_sh in seen:
            overlap = len(shingles & earlier_sh) / max(1, len(shingles | earlier_sh))
            if norm == earlier_norm or overlap >= 0.8:
                out.append(
                    CheckFinding(
                        check="repeated_turn",
                        turn=index,
                        criterion="quality",
                        message=f"repeats turn {earlier} ({overlap:.0%} the same)",
                        evidence=text[:120],
                    )
                )
                break
    if n_words >= 2:
        seen.append((index, norm, shingles))
    return out


def is_repeat(text: str, earlier: Sequence[str]) -> bool:
    """True when `text` repeats an earlier turn: word for word (2+ words) or 80% the same (4+ words)."""
    seen: list[tuple[int, str, frozenset[tuple[str, ...]]]] = []
    for i, other in enumerate(earlier):
        n_words, norm, shingles = _fingerprint(other)
        if n_words >= 2:
            seen.append((i, norm, shingles))
    return any(
        f.check == "repeated_turn" for f in _check_empty_or_repeated(len(earlier), text, seen)
    )
