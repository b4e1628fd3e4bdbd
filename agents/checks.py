"""Deterministic faithfulness checks: what can be verified without trusting any model.

Each check reads the dialogue and the grounding material (facts, personas, conditions)
and reports findings; the critic caps its scores with them and records which fired.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from agents.state import CheckFinding, Turn

_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        1,
    )
    for m in names
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
}
_UNITS = (
    r"(?:%|percent|per ?cent|hours?|hrs?|minutes?|mins?|seconds?|secs?|days?|weeks?|months?|years?|"
    r"times?|gb|mb|tb|kb|mbps|gbps|mg|g|kg|ml|l|km|miles?|users?|people|items?|tickets?|"
    r"doses?|tablets?|pills?|steps?|points?|credits?|seats?|licen[cs]es?)\b"
)

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("date", re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")),
    (
        "date",
        re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?", re.I),
    ),
    (
        "date",
        re.compile(
            rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RE})\b\.?(?:,?\s+(\d{{4}}))?",
            re.I,
        ),
    ),
    ("time", re.compile(r"\b(\d{1,2}):(\d{2})\s*([ap])?\.?\s*m?\.?(?![\w])", re.I)),
    ("time", re.compile(r"\b(\d{1,2})\.(\d{2})\s*([ap])\.?\s*m\b\.?", re.I)),
    ("time", re.compile(r"\b(\d{1,2})\s*([ap])\.?\s*m\b\.?", re.I)),
    (
        "money",
        re.compile(r"(?:[$€£]\s?(\d[\d,]*(?:\.\d+)?)(?:\s?(k|m|million|thousand))?)", re.I),
    ),
    (
        "money",
        re.compile(
            r"\b(\d[\d,]*(?:\.\d+)?)\s?(k|m|million|thousand)?\s?(?:dollars|euros|pounds|usd|eur|gbp)\b",
            re.I,
        ),
    ),
    ("day", re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b", re.I)),
    ("number", re.compile(r"\b(\d[\d,]*(?:\.\d+)?)\s?(k|thousand|million)\b", re.I)),
    ("number", re.compile(rf"\b(\d[\d,]*(?:\.\d+)?)\s?({_UNITS})?", re.I)),
]

_SELF_INTRO = re.compile(
    r"(?i:\bmy name is|\bi am|\bi'm|\bi’m|^this is|^hi,? this is|\bcall me)\s+([A-Z][a-z]+)\b",
    re.M,
)
_OTHER_NAME = re.compile(
    r"(?:\b(?:Dr|Mr|Mrs|Ms|Prof)\.?\s+|\b(?:colleague|manager|supervisor|technician|specialist|"
    r"nurse|doctor|engineer|agent|named)\s+)([A-Z][a-z]{2,})\b(?!\s+of\b)"
)
_NOT_NAMES = {
    "sorry",
    "happy",
    "glad",
    "here",
    "not",
    "so",
    "very",
    "just",
    "afraid",
    "calling",
    "looking",
    "the",
    "a",
    "an",
    "sure",
    "fine",
    "okay",
    "ok",
    "good",
    "great",
    "really",
    "still",
    "also",
    "trying",
    "going",
    "able",
    "unable",
    "writing",
    "following",
    "concerned",
    "worried",
    "new",
    "frustrated",
    "curious",
    "confused",
    "interested",
    "ready",
    "back",
    "done",
    "aware",
    "from",
    "with",
    "your",
    "in",
    "on",
    "at",
    "calm",
    "excited",
    "upset",
    "angry",
    "pleased",
    "thrilled",
    "thank",
    "thanks",
    "hello",
    "hi",
    "yes",
    "no",
    "well",
    "please",
    "what",
    "how",
    "why",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "today",
    "tomorrow",
    *(m for m in _MONTHS),
}
_TITLES = {"mr", "mrs", "ms", "mx", "dr", "prof", "sir", "dame"}
_AI_DISCLOSURE = re.compile(
    r"\b(?:as an ai\b|an ai (?:language )?model|a language model|i am an ai\b|i'm an ai\b|"
    r"as a chatbot|i am a chatbot|openai|as an assistant,? i (?:cannot|can't)|i cannot role-?play)",
    re.I,
)
_WORD = re.compile(r"[a-z0-9']+")


@dataclass(frozen=True)
class Mention:
    """A checkable value stated in text: its kind, the text as written, and a canonical value.

    `alternatives` are other readings of the same text (5:00 may be 5:00 or 17:00).
    """

    kind: str
    text: str
    value: str
    alternatives: tuple[str, ...] = ()


def _num(text: str) -> float:
    return float(text.replace(",", ""))


def _scale(value: float, suffix: str | None) -> float:
    suffix = (suffix or "").lower()
    if suffix in {"k", "thousand"}:
        return value * 1_000
    if suffix in {"m", "million"}:
        return value * 1_000_000
    return value


def _fmt(value: float) -> str:
    return f"{value:g}"


def _canonical(kind: str, match: re.Match[str]) -> str | None:
    g = match.groups()
    if kind == "date":
        if g[0] and g[0].isdigit() and len(g[0]) == 4:
            return f"{int(g[1])}-{int(g[2])}"
        if g[0] and g[0].lower().rstrip(".") in _MONTHS:
            return f"{_MONTHS[g[0].lower().rstrip('.')]}-{int(g[1])}"
        return f"{_MONTHS[g[1].lower().rstrip('.')]}-{int(g[0])}"
    if kind == "time":
        hour = int(g[0])
        minute = int(g[1]) if len(g) == 3 and g[1] else 0
        meridiem = (g[2] if len(g) == 3 else g[1]) or ""
        if hour > 24 or minute > 59:
            return None
        if meridiem.lower() == "p" and hour < 12:
            hour += 12
        if meridiem.lower() == "a" and hour == 12:
            hour = 0
        return f"{hour}:{minute:02d}"
    if kind == "day":
        return f"d-{int(g[0])}"
    if kind == "money":
        return _fmt(_scale(_num(g[0]), g[1]))
    value = _num(g[0])
    unit = g[1] if len(g) > 1 else None
    if unit and unit.lower() in {"k", "thousand", "million"}:
        return _fmt(_scale(value, unit))
    if unit is None and value < 10 and "." not in g[0]:
        return None  # bare small integers ("2 of them", "1 sec") are too common to check
    return _fmt(value)


@lru_cache(maxsize=4096)
def mentions(text: str) -> tuple[Mention, ...]:
    """Every date, time, money amount and significant number stated in `text`.

    Cached: the facts and the turns are parsed again on every critic pass otherwise.
    """
    found: list[Mention] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            span = match.span()
            if any(span[0] < end and start < span[1] for start, end in taken):
                continue
            value = _canonical(kind, match)
            taken.append(span)
            if value is None:
                continue
            alternatives: tuple[str, ...] = ()
            if kind == "time" and not (match.groups()[-1] or "").strip() and ":" in value:
                hour, minute = value.split(":")
                if 1 <= int(hour) < 12:
                    alternatives = (
                        f"{int(hour) + 12}:{minute}",
                    )  # no am/pm: either half of the day
            found.append(Mention(kind, match.group(0).strip().rstrip("."), value, alternatives))
    return tuple(found)


def _known_values(sources: Sequence[str], stated: Iterable[Mention] | None = None) -> set[str]:
    """Canonical values the sources state; pass `stated` when their mentions are already parsed."""
    if stated is None:
        stated = [m for text in sources for m in mentions(text)]
    known: set[str] = set()
    for mention in stated:
        known.add(mention.value)
        known.update(mention.alternatives)
        if mention.kind in {"money", "number"}:
            known.add(f"n:{mention.value}")
        if mention.kind == "date":
            known.add(f"d-{mention.value.split('-')[1]}")  # "the 17th" may refer to March 17
    for text in sources:
        for word in _WORD.findall(text.lower()):
            if word in _NUMBER_WORDS:
                known.add(f"n:{_NUMBER_WORDS[word]}")
    return known


def first_name(name: str) -> str:
    """The given name, skipping titles: 'Dr. Amara Osei' -> 'Amara'."""
    words = [w for w in name.split() if w.rstrip(".").lower() not in _TITLES]
    return (words or name.split() or [""])[0]


def _first_names(personas: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    return {speaker: first_name(str(p["name"])) for speaker, p in personas.items() if p.get("name")}


def check_dialogue(
    turns: Sequence[Turn],
    *,
    facts: Sequence[str],
    personas: Mapping[str, Mapping[str, Any]],
    conditions: Mapping[str, Any] | None = None,
    extra_sources: Sequence[str] = (),
) -> list[CheckFinding]:
    """Run every deterministic check over a dialogue and return what fired, in turn order."""
    sources = [*facts, *extra_sources, *(f"{k} {v}" for k, v in (conditions or {}).items())]
    sources += [_persona_text(p) for p in personas.values()]
    stated = [m for text in sources for m in mentions(text)]  # parsed once per dialogue
    known_values = _known_values(sources, stated)
    known_words = {w for text in sources for w in _WORD.findall(text.lower())}
    names = _first_names(personas)
    labels = {speaker.lower() for speaker in personas} | {n.lower() for n in names.values()}
    findings: list[CheckFinding] = []
    seen: list[tuple[int, str, frozenset[tuple[str, ...]]]] = []
    for index, turn in enumerate(turns):
        text = turn["text"]
        findings += _check_values(index, text, known_values, stated)
        findings += _check_names(index, turn["speaker"], text, names, known_words)
        findings += _check_persona(index, turn["speaker"], text, labels, names)
        findings += _check_empty_or_repeated(index, text, seen)
    return findings


def _persona_text(persona: Mapping[str, Any]) -> str:
    parts = [str(persona.get(k, "")) for k in ("name", "role", "background")]
    parts += [str(x) for x in persona.get("traits", []) or []] + [
        str(x) for x in persona.get("goals", []) or []
    ]
    parts += [f"{k} {v}" for k, v in (persona.get("attributes") or {}).items()]
    return "\n".join(parts)


def _check_values(
    index: int, text: str, known: set[str], stated: Sequence[Mention]
) -> list[CheckFinding]:
    out = []
    for m in mentions(text):
        if m.value in known or any(a in known for a in m.alternatives):
            continue
        if m.kind in {"money", "number"} and f"n:{m.value}" in known:
            continue
        kinds = {m.kind, "date"} if m.kind == "day" else {m.kind}
        same_kind = sorted({x.text for x in stated if x.kind in kinds})
        if same_kind:
            message = f"states {m.kind} '{m.text}', which contradicts the grounding facts ({', '.join(same_kind[:4])})"
            check = f"contradicted_{m.kind}"
        else:
            message = f"states {m.kind} '{m.text}', which the grounding facts do not support"
            check = f"unsupported_{m.kind}"
        out.append(CheckFinding(check=check, turn=index, message=message, evidence=m.text))
    return out


def _check_names(
    index: int, speaker: str, text: str, names: Mapping[str, str], known_words: set[str]
) -> list[CheckFinding]:
    out = []
    own = names.get(speaker, "")
    others = {n.lower(): s for s, n in names.items() if s != speaker}
    for match in _SELF_INTRO.finditer(text):
        claimed = match.group(1)
        if claimed.lower() in _NOT_NAMES or claimed.lower() == own.lower():
            continue
        if claimed.lower() in others:
            out.append(
                CheckFinding(
                    check="role_swap",
                    turn=index,
                    criterion="persona",
                    message=f"{speaker} introduces themself as {claimed}, who is the {others[claimed.lower()]}",
                    evidence=match.group(0),
                )
            )
        else:
            out.append(
                CheckFinding(
                    check="persona_break",
                    turn=index,
                    criterion="persona",
                    message=f"{speaker} introduces themself as {claimed}, but their persona is {own or 'unnamed'}",
                    evidence=match.group(0),
                )
            )
    for match in _OTHER_NAME.finditer(text):
        name = match.group(1)
        if name.lower() in known_words or name.lower() in _NOT_NAMES:
            continue
        out.append(
            CheckFinding(
                check="unsupported_name",
                turn=index,
                message=f"names '{name}', who appears in neither the grounding facts nor the personas",
                evidence=match.group(0),
            )
        )
    return out


def _check_persona(
    index: int, speaker: str, text: str, labels: set[str], names: Mapping[str, str]
) -> list[CheckFinding]:
    out = []
    if hit := _AI_DISCLOSURE.search(text):
        out.append(
            CheckFinding(
                check="persona_break",
                turn=index,
                criterion="persona",
                message=f"{speaker} steps out of character",
                evidence=hit.group(0),
            )
        )
    own = {speaker.lower(), names.get(speaker, "").lower()}
    for line in text.splitlines():
        label = line.split(":", 1)[0].strip().lower() if ":" in line else ""
        if label and label in labels and label not in own:
            out.append(
                CheckFinding(
                    check="role_swap",
                    turn=index,
                    criterion="persona",
                    message=f"{speaker} writes a line for '{line.split(':', 1)[0].strip()}'",
                    evidence=line[:120],
                )
            )
            break
    return out


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
    if not any(ch.isalpha() for ch in spoken):
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
