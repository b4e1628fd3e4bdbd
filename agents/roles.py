"""Who serves whom: the customer's side and the serving side, told by their role words
("patient", "caller", "taxpayer" beside a "tax adviser"; "customer care executive" serves),
and the finding the people checks report."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class PeopleFinding:
    check: str  # role_swap, contradicted_name, unsupported_name, persona_break
    message: str
    evidence: str
    blocking: bool
    criterion: str = "persona"


CUSTOMER_ROLES = frozenset(
    [
        "customer",
        "patient",
        "passenger",
        "member",
        "parent",
        "caller",
        "guest",
        "client",
        "tenant",
        "resident",
        "student",
        "applicant",
        "claimant",
        "traveller",
        "traveler",
        "buyer",
        "shopper",
        "user",
        "visitor",
        "borrower",
        "pupil",
        "policyholder",
        "renter",
        "homeowner",
        "tourist",
        "skier",
        "diner",
        "attendee",
        "goer",
        "hiker",
        "trainee",
    ]
)
# what only the serving side says; a customer who says it has taken the other side's lines
STAFF_ROLES = frozenset(
    [
        "agent",
        "adviser",
        "advisor",
        "receptionist",
        "officer",
        "clerk",
        "assistant",
        "technician",
        "coordinator",
        "manager",
        "librarian",
        "pharmacist",
        "nurse",
        "doctor",
        "dispatcher",
        "associate",
        "analyst",
        "representative",
        "rep",
        "specialist",
        "consultant",
        "operator",
        "attendant",
        "staff",
        "desk",
        "support",
        "service",
        "engineer",
        "teller",
        "banker",
        "host",
        "hostess",
        "waiter",
        "server",
        "ranger",
        "guide",
        "instructor",
        "teacher",
        "secretary",
        "planner",
        "optometrist",
        "dentist",
        "hygienist",
        "mechanic",
        "handler",
        "underwriter",
        "broker",
        "landlord",
        "executive",
        "groomer",
        "carer",
        "installer",
        "tutor",
        "locksmith",
        "plumber",
        "electrician",
        "stylist",
        "therapist",
        "physiotherapist",
        "caterer",
        "cashier",
        "concierge",
    ]
)


@lru_cache(maxsize=512)
def role_words(role: str) -> frozenset[str]:
    return frozenset(_WORD.findall(role.lower()))


_WORD = re.compile(r"[a-z]+")
# where a role's head phrase ends: "customer ringing to book", "schoolteacher and client who"
_HEAD_END = re.compile(
    r"\b(?:who|that|which|at|of|for|from|with|in|on|and|or|to|about|near|by|after|before|"
    r"over|under|via|like|[a-z]+ing)\b|[,;(/]"
)


def _head(role: str) -> list[str]:
    """The words of a role's head phrase: "customer care executive" of "customer care
    executive at a bank"; "retired schoolteacher" of "retired schoolteacher and private
    client who buys and sells"."""
    return _WORD.findall(_HEAD_END.split(role.lower(), maxsplit=1)[0])


def side_of(key: str, persona: Mapping[str, Any]) -> str:
    """What tells a persona's side: its key in the scenario when that names a side
    ("customer", "clerk"; an operations manager booking a venue is the customer), else its
    role, with the key beside it ("retired parishioner who arranges parties (caller)")."""
    role = str(persona.get("role") or "")
    if key.lower() in CUSTOMER_ROLES | STAFF_ROLES:
        return key  # the scenario's own name for the side ("customer": an operations manager)
    return f"{role} ({key})" if role and role.lower() != key.lower() else (role or key)


def served(role: str, others: Sequence[str] = ()) -> bool:
    """The customer's side: a customer's role word ("patient", "caller"), or a role that is no
    staff's when the other side's is ("taxpayer" talking with a "tax adviser")."""
    return _served(role, tuple(others))


@lru_cache(maxsize=1024)
def _served(role: str, others: tuple[str, ...]) -> bool:
    if role_words(role) & STAFF_ROLES:
        return False  # "customer service officer", "customer adviser": staff
    words = _head(role)
    if words and words[-1] not in CUSTOMER_ROLES and set(words[:-1]) & CUSTOMER_ROLES:
        return False  # "customer care executive", "client success lead": the customer qualifies
    if role_words(role) & CUSTOMER_ROLES:
        return True
    return any(role_words(o) & STAFF_ROLES for o in others)
