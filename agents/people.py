"""People as people: who a speaker says they are, whom they name, and whether they stay in role.

- A self-introduction ("this is Mrs. Okafor", "Jamal here", "I'm Albert Novak") is read with
  titles, first names only and surnames: it must fit the speaker's own persona. Claiming the
  other speaker's name is a role swap; a different name is a contradiction.
- A person named with a title or a role word ("Dr. Anika Patel", "technician Greta Olsen")
  must be someone the grounding knows. Half a known name with a different other half is a
  contradiction; a stranger named where a fact names someone else for the same thing is too;
  any other stranger is unsupported.
- Persona breaks and role flips: `agents.persona`; who serves whom: `agents.roles`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agents.nicknames import short_for
from agents.roles import PeopleFinding, served
from agents.value_words import WEEKDAYS

TITLES = {"mr", "mrs", "ms", "mx", "miss", "dr", "doctor", "prof", "professor", "sir", "dame"}
TITLES |= {"ranger", "chef", "captain", "coach", "nurse", "officer", "detective", "sergeant"}
TITLES |= {"constable", "inspector", "judge", "pastor", "father", "sister", "brother"}
TITLES |= {"madame", "mme", "mademoiselle", "mlle", "monsieur", "herr", "frau", "señor", "señora"}
TITLES |= {"senor", "senora", "signor", "signora"}
_TITLE_RE = (
    r"(?:Mr|Mrs|Ms|Mx|Miss|Dr|Prof|Professor|Sir|Dame|Madame|Mme|Mademoiselle|Mlle|Monsieur|"
    r"Herr|Frau|Señor|Señora|Senor|Senora|Signor|Signora)\.?"
)
_NAME_RE = (  # MacDonald, O'Brien, Schröder, Sinéad
    r"(?:O'|D'|Mc|Mac|De|Le)?[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+(?:[-'][A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+)?"
)
_FULL = rf"(?:{_TITLE_RE}\s+)?{_NAME_RE}(?:\s+{_NAME_RE})?"
_INTRO = [
    re.compile(
        rf"(?:\b(?i:my name is|i am|i'm|this is|it's|call me|you're speaking with|"
        rf"you are speaking with|you're through to|you've reached|you have reached|"
        rf"you're talking to|you're chatting with))\s+({_FULL})(?!'s)\b"
    ),
    re.compile(
        rf"(?:^|[.!?,;:\u2014\u2013]\s*|\s-\s+|\b(?i:hi|hello|hey)\b,?\s+)({_FULL}),?\s+"
        r"(?i:speaking|here)\b"
    ),
]
_PLACE_WORDS = frozenset(
    [
        "lock",
        "hall",
        "station",
        "centre",
        "center",
        "market",
        "bridge",
        "quay",
        "wharf",
        "church",
        "hospital",
        "school",
        "road",
        "street",
        "lane",
        "avenue",
        "close",
        "drive",
        "way",
        "court",
        "place",
        "square",
        "park",
        "gardens",
        "crescent",
        "terrace",
        "hill",
        "house",
        "estate",
        "farm",
        "station",
        "office",
        "hotel",
        "centre",
        "center",
        "school",
        "hospital",
        "clinic",
    ]
)
_FULL_NAME = re.compile(  # not a sentence's first word, unless a title's full stop precedes it
    rf"(?:(?<=\bMr\.\s)|(?<=\bMs\.\s)|(?<=\bMrs\.\s)|(?<=\bDr\.\s)|(?<![.!?]\s)(?<!^))"
    rf"\b(?!{_TITLE_RE}\s)({_NAME_RE}\s+{_NAME_RE})\b"
)
_ROLE_WORDS = (
    "technician|mechanic|pharmacist|advisor|adviser|agent|receptionist|officer|colleague|"
    "manager|supervisor|nurse|engineer|specialist|driver|courier|named|called|doctor|"
    "landlord|owner|teacher|tutor|consultant|representative|clerk|coordinator|dispatcher|"
    "inspector|surveyor|assistant"
)
_NAMED = re.compile(  # a name whole or not at all: not "Mr. Callum" of "Mr. Callum Ferris of"
    rf"(?:\b({_TITLE_RE})\s+((?>{_NAME_RE}(?:\s+{_NAME_RE})?))|"
    rf"\b(?i:{_ROLE_WORDS}),?\s+(?:{_TITLE_RE}\s+)?((?>{_NAME_RE}(?:\s+{_NAME_RE})?))|"
    r"\b(?i:led|run|handled|managed|supervised|headed|signed|approved|inspected|assessed|"
    rf"taught|treated|taken)\s+(?i:by)\s+(?:{_TITLE_RE}\s+)?({_NAME_RE}\s+{_NAME_RE}))\b"
    r"(?!\s+(?i:of|at|street|road)\b)"
)
# a fact that opens with a first and last name, then a lower-case word ("Gareth Pryce gives")
_FACT_OPENS_WITH_NAME = re.compile(rf"^\s*({_NAME_RE}\s+{_NAME_RE})\s+(?=[a-z])")
# words that open a fact without being a first name (weekdays and "today" are in _NOT_NAMES)
_OPENERS = frozenset(
    [
        "the",
        "a",
        "an",
        "this",
        "that",
        "these",
        "those",
        "our",
        "your",
        "their",
        "my",
        "his",
        "her",
        "its",
        "each",
        "every",
        "all",
        "any",
        "some",
    ]
)
_DEMONYM = re.compile(
    r"^(?:british|english|scottish|irish|welsh|american|canadian|australian|aussie|kiwi|indian|"
    r"chinese|japanese|korean|french|german|spanish|italian|dutch|polish|swedish|danish|"
    r"norwegian|finnish|greek|turkish|mexican|brazilian|nigerian|kenyan|pakistani|filipino|"
    r"vietnamese|thai|russian|ukrainian|portuguese|swiss|austrian|belgian|european|african|"
    r"asian|local)$"
)
_ADDRESS = re.compile(
    rf"\b(?i:hi|hello|hey|dear|thanks|thank you|sorry|yes|okay|ok|good morning|good afternoon|"
    rf"right|well|ah|oh|morning|afternoon|evening|welcome|great|perfect|certainly)"
    rf",?\s+({_TITLE_RE})\s+({_NAME_RE})\b"
)
# the listener called by title and surname at the end of a sentence: "See you Monday, Ms Doyle."
_VOCATIVE = re.compile(rf",\s+({_TITLE_RE})\s+({_NAME_RE})\b(?=\s*(?:[.!?]|$|\s[-–—]\s))")
_APPOSED = re.compile(r"\b(?:my|our|his|her|their|your)\s+(?:[\w-]+\s+){0,2}[\w-]+$", re.I)
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+\b")
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
    "get",
    "come",
    "go",
    "park",
    "sign",
    "wait",
    "stop",
    "start",
    "meet",
    "stay",
    "turn",
    "look",
    "stand",
    "looking",
    "sure",
    "fine",
    "okay",
    "good",
    "great",
    "really",
    "still",
    "also",
    "trying",
    "going",
    "able",
    "new",
    "ready",
    "back",
    "done",
    "aware",
    "thanks",
    "thank",
    "hello",
    "hi",
    "yes",
    "no",
    "well",
    "please",
    "only",
    "speaking",
    "everyone",
    "nobody",
    "someone",
    "the",
    "that",
    "it",
    "one",
    "today",
    "tomorrow",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
}


@dataclass(frozen=True)
class Person:
    """Someone the grounding knows: the speaker it is (if any) and the parts of their name."""

    speaker: str | None
    tokens: frozenset[str]  # lower-case name parts, titles left out
    surname: str
    role: str = ""


def name_tokens(name: str) -> list[str]:
    """The parts of a name without titles: 'Dr. Amara Osei' -> ['amara', 'osei']."""
    return [w.strip(".,").lower() for w in name.split() if w.strip(".,").lower() not in TITLES]


def known_people(
    personas: Mapping[str, Mapping[str, Any]], facts: Sequence[str]
) -> tuple[list[Person], set[str]]:
    """The persons of the personas and of the facts, and every capitalised word of the facts."""
    people = []
    for speaker, persona in personas.items():
        tokens = name_tokens(str(persona.get("name") or ""))
        if tokens:
            people.append(
                Person(
                    speaker,
                    frozenset(tokens),
                    tokens[-1] if len(tokens) > 1 else "",
                    str(persona.get("role") or ""),
                )
            )
    roles = [str(p.get("role") or "") for p in personas.values()]  # "analyst at Acme Analytics"
    words = {w.lower() for text in [*roles, *facts] for w in _CAPITALISED.findall(text)}
    for fact in facts:
        named = [m.group(2) or m.group(3) or m.group(4) for m in _NAMED.finditer(fact)]
        named += [  # "the branch manager is Declan Byrne": any first and last name
            m.group(1)
            for m in _FULL_NAME.finditer(fact)
            if m.group(1).split()[-1].lower() not in _PLACE_WORDS
        ]
        if (m := _FACT_OPENS_WITH_NAME.match(fact)) and not (
            {w.lower() for w in m.group(1).split()} & (_PLACE_WORDS | _NOT_NAMES | _OPENERS)
        ):
            named.append(m.group(1))  # "Gareth Pryce gives the safety briefing"
        for name in named:
            tokens = name_tokens(name)
            if tokens and not any(set(tokens) <= p.tokens for p in people):
                people.append(
                    Person(None, frozenset(tokens), tokens[-1] if len(tokens) > 1 else "")
                )
    return people, words


def _fits(tokens: Sequence[str], person: Person) -> bool:
    """Every part of the name is one of the person's, or its short form ("Greg Nash" of
    Gregory Nash, "Bill" of William)."""
    return bool(tokens) and all(
        t in person.tokens or any(short_for(t, p) for p in person.tokens) for t in tokens
    )


_TAG_QUESTION = re.compile(r"\s*,?\s*(?:right|correct|yes|yeah|isn't it|is it|no)?\s*\?", re.I)


def check_intro(
    speaker: str, text: str, people: Sequence[Person], fact_words: set[str]
) -> list[PeopleFinding]:
    """Self-introductions that do not fit the speaker's persona."""
    own = next((p for p in people if p.speaker == speaker), None)
    out = []
    for index, pattern in enumerate(_INTRO):
        for m in pattern.finditer(text):
            if _TAG_QUESTION.match(text, m.end()):
                continue  # "This is Ben, right?": asked of the other, not said of oneself
            claimed = m.group(1)
            tokens = name_tokens(claimed)
            if not tokens or tokens[0] in _NOT_NAMES or (index and tokens[0].endswith("ing")):
                continue  # "Getting here is fine": a verb, not a name (but "I'm Aisling")
            if len(tokens) == 1 and (
                _DEMONYM.search(tokens[0]) or tokens[0].rstrip("s") in _NOT_NAMES
            ):
                continue  # "I'm British", "it's Tuesdays": who or when, not a name
            weak = m.group(0).lower().lstrip(" ,.").startswith(("this is", "it's"))
            if weak and any(p.speaker is None and _fits(tokens, p) for p in people):
                continue  # "This Saturday it's Dr. Okafor": someone the facts name, not oneself
            titled = claimed.split()[0].rstrip(".").lower() in TITLES
            if not titled and (
                tokens[-1] in _PLACE_WORDS
                or (
                    any(t in fact_words for t in tokens)
                    and not any(t in p.tokens for t in tokens for p in people)
                )
            ):
                continue  # "this is Lisbon", "Larch Road here": a place, not a person
            if own is not None and _fits(tokens, own):
                continue
            other = next(
                (p for p in people if p.speaker not in (None, speaker) and _fits(tokens, p)), None
            )
            if other is not None:
                out.append(
                    PeopleFinding(
                        "role_swap",
                        f"{speaker} introduces themself as {claimed}, who is the {other.speaker}",
                        m.group(0).strip(" ,."),
                        True,
                    )
                )
            elif own is not None:
                out.append(
                    PeopleFinding(
                        "contradicted_name",
                        f"{speaker} introduces themself as {claimed}, but their persona is "
                        f"{' '.join(sorted(own.tokens)).title()}",
                        m.group(0).strip(" ,."),
                        True,
                    )
                )
    return out


def check_named(
    speaker: str,
    text: str,
    people: Sequence[Person],
    person_facts: Sequence[tuple[frozenset[str], str]],
    sentence_stems: frozenset[str],
    fact_words: set[str] | frozenset[str] = frozenset(),
) -> list[PeopleFinding]:
    """People named with a title or role word that the grounding does not know as such."""
    out = []
    listener = [p for p in people if p.speaker not in (None, speaker)]
    vocatives = [  # not an apposition: "a letter from my GP, Dr Hegarty."
        m for m in _VOCATIVE.finditer(text) if not _APPOSED.search(text[: m.start()])
    ]
    for m in [*_ADDRESS.finditer(text), *vocatives]:
        surname = m.group(2).lower()
        if (
            len(listener) == 1
            and listener[0].surname
            and not any(surname in p.tokens for p in people)
        ):
            out.append(
                PeopleFinding(
                    "contradicted_name",
                    f"{speaker} addresses {m.group(1)} {m.group(2)}, but the other speaker "
                    f"is {' '.join(sorted(listener[0].tokens)).title()}",
                    m.group(0),
                    True,
                    "faithfulness",
                )
            )
    named_spans = []
    for m in _NAMED.finditer(text):
        named_spans.append(m.span())
        named = m.group(2) or m.group(3) or m.group(4)
        tokens = name_tokens(named)
        if not tokens or tokens[0] in _NOT_NAMES or tokens[-1].rstrip("s") in WEEKDAYS:
            continue  # "From Monday to Friday we open": a day, not a person
        if any(_fits(tokens, p) for p in people):
            continue
        if set(tokens) <= fact_words and not any(set(tokens) & p.tokens for p in people):
            continue  # "a Labrador called Biscuit": the facts' own Biscuit, no person
        partial = next((p for p in people if set(tokens) & p.tokens), None)
        evidence = m.group(0)
        if partial is not None:
            known = " ".join(t.title() for t in sorted(partial.tokens))
            out.append(
                PeopleFinding(
                    "contradicted_name",
                    f"names '{named}', but the grounding knows {known}",
                    evidence,
                    True,
                    "faithfulness",
                )
            )
            continue
        aligned = [
            fact for fact_stems, fact in person_facts if len(fact_stems & sentence_stems) >= 1
        ]
        out.append(
            PeopleFinding(
                "contradicted_name" if aligned else "unsupported_name",
                f"names '{named}' where the facts name someone else: {aligned[0]}"
                if aligned
                else f"names '{named}', who appears in neither the grounding facts nor the personas",
                evidence,
                bool(aligned),
                "faithfulness",
            )
        )
    out += _other_first_names(speaker, text, people, named_spans, fact_words)
    if not out:
        out += _other_surnames(text, people, person_facts, sentence_stems, named_spans)
    if not out:
        out += _strangers_in_facts(
            text, people, person_facts, sentence_stems, named_spans, fact_words
        )
    return out


_IMPERATIVES = frozenset(  # "Mention Solberg when you call": a verb before a surname
    [
        "mention",
        "ask",
        "call",
        "tell",
        "see",
        "contact",
        "email",
        "ring",
        "phone",
        "speak",
        "talk",
        "try",
        "get",
        "let",
        "have",
        "give",
        "send",
        "thank",
        "thanks",
        "message",
        "book",
        "find",
        "meet",
        "visit",
        "say",
        "quote",
        "cc",
        "copy",
        "write",
        "text",
    ]
)
# a first name and surname anywhere, overlapping ("Our Steve Marsh"), a sentence's first
# words too ("Lorraine Simms in the ticket office takes the group orders")
_ANY_FULL_NAME = re.compile(rf"(?=\b({_NAME_RE}\s+{_NAME_RE})\b)")


def _strangers_in_facts(
    text: str,
    people: Sequence[Person],
    person_facts: Sequence[tuple[frozenset[str], str]],
    sentence_stems: frozenset[str],
    skip: list[tuple[int, int]],
    known_words: set[str] | frozenset[str] = frozenset(),
) -> list[PeopleFinding]:
    """A full name nobody knows, in a sentence that speaks of what a fact says someone else
    does ("Our Steve Marsh takes every crew through the safety briefing" where the facts say
    Gareth Pryce gives it): two of the fact's words besides the names."""
    for m in _ANY_FULL_NAME.finditer(text):
        if any(a <= m.start() < b for a, b in skip):
            continue
        tokens = [t.lower() for t in m.group(1).split()]
        if (
            tokens[0] in _NOT_NAMES | _OPENERS | TITLES
            or tokens[-1] in _PLACE_WORDS | TITLES
            or tokens[-1].rstrip("s") in WEEKDAYS
        ):
            continue  # "Put Mr. Haas down": a verb before a title is no first name
        if any(set(tokens) & p.tokens for p in people):
            continue  # a known person, or one sharing a name (the other checks' business)
        if set(tokens) <= known_words:
            continue  # "Omar from Acme Analytics" of an "analyst at Acme Analytics": a firm
        for fact_stems, fact in person_facts:
            if len(fact_stems & sentence_stems) >= 2:
                return [
                    PeopleFinding(
                        "contradicted_name",
                        f"names '{m.group(1)}' where the facts name someone else: {fact}",
                        m.group(1),
                        True,
                        "faithfulness",
                    )
                ]
    return []


def _other_first_names(
    speaker: str,
    text: str,
    people: Sequence[Person],
    skip: list[tuple[int, int]],
    fact_words: set[str] | frozenset[str] = frozenset(),
) -> list[PeopleFinding]:
    """A full name with a known staff member's or fact person's surname and another first
    name ("your dad's carer is Ruth Achebe" where the facts know Rosa Achebe). The customer's
    surname is left alone: their family shares it, and so is a word the facts themselves
    capitalise as no one's name ("Registrar Thorne" of "District Probate Registrar Mr. Anselm
    Thorne")."""
    out = []
    # first names only: "Chief Warden" is a person to the facts' pattern, "Warden" no one's
    given = frozenset().union(*(p.tokens - {p.surname} for p in people if p.surname))
    for name, first, last in _pairs(text, skip):
        if any({first, last} <= p.tokens for p in people):
            continue
        if first in fact_words and first not in given:
            continue
        if any(p.surname == last and not _not_customer(p, people) for p in people):
            continue  # "my mother Mary Finch" beside the facts' Albert Finch
        for p in people:
            if p.surname == last and first not in p.tokens and _not_customer(p, people):
                out.append(_misnamed(name, p))
                break
    return out


def _other_surnames(
    text: str,
    people: Sequence[Person],
    person_facts: Sequence[tuple[frozenset[str], str]],
    sentence_stems: frozenset[str],
    skip: list[tuple[int, int]],
) -> list[PeopleFinding]:
    """A fact person's first name with another surname, in a sentence about what the fact
    says they do ("You'll want Priya Sharma, she's our sponsorship coordinator" where the
    facts know Priya Raman)."""
    for name, first, last in _pairs(text, skip):
        if last in _PLACE_WORDS or any(last in p.tokens for p in people):
            continue
        for p in people:
            if p.speaker is not None or first not in p.tokens or first == p.surname:
                continue
            own = [s for s, fact in person_facts if p.surname.title() in fact]
            if any(s & sentence_stems for s in own):
                return [_misnamed(name, p)]
    return []


def _pairs(text: str, skip: list[tuple[int, int]]) -> Iterator[tuple[str, str, str]]:
    """Each first name and surname said outside the spans already read, with its two parts
    in lower case; not "Mr Haas" or "Mention Solberg"."""
    for m in _ANY_FULL_NAME.finditer(text):
        if any(a <= m.start() < b for a, b in skip):
            continue
        first, last = (t.lower() for t in m.group(1).split())
        if not ({first, last} & TITLES or first in _NOT_NAMES | _IMPERATIVES):
            yield m.group(1), first, last


def _misnamed(named: str, person: Person) -> PeopleFinding:
    known = " ".join(t.title() for t in sorted(person.tokens))
    return PeopleFinding(
        "contradicted_name",
        f"names '{named}', but the grounding knows {known}",
        named,
        True,
        "faithfulness",
    )


def _not_customer(person: Person, people: Sequence[Person]) -> bool:
    """A person of the facts, or a speaker on the serving side."""
    if person.speaker is None:
        return True
    others = [p.role for p in people if p.speaker not in (None, person.speaker)]
    return not served(person.role or person.speaker, others)
