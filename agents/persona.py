"""Staying in character: persona breaks in their common forms ("I'm just a chatbot", "Here is
the pharmacist's reply:", "I'm only playing the landlord", "since I'm supposed to play the
bride in this dialogue") and role flips in plain prose ("As the receptionist, I can book you
in" said by the patient; a clerk who says "put them on my Visa")."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from agents.grounding import stems
from agents.people import name_tokens
from agents.roles import (
    CUSTOMER_ROLES,
    STAFF_ROLES,
    PeopleFinding,
    role_words,
    served,
    side_of,
)

_BREAKS = re.compile(
    r"\b(?:as an ai\b|an ai (?:language )?model|(?:a |the )?(?:large )?language model|"
    r"i(?:'m| am) (?:just |only |simply |merely )?(?:an? )?(?:ai|a\.i\.|chat ?bot|bot|"
    r"virtual assistant|ai assistant|computer program|program|machine)\b|"
    r"i(?:'m| am) (?:just |only |simply |merely )?(?:an?|the|their|your|our|(?:the )?\w+'s) "
    r"(?:[\w'-]+ ){0,3}?(?:automated|virtual|digital|computeri[sz]ed|scripted|ai|chat ?bot|bot|"
    r"program|software|text generator)\b|"
    r"\bnot (?:really |actually )?a (?:real )?(?:person|human)\b(?! (?:who|that|to)\b)|"
    r"\bi(?:'m| am) not (?:a )?(?:real|human)(?: person| being)?\b|"
    r"\bbeing (?:an? )?(?:[\w-]+ ){0,2}(?:program|chat ?bot|language model)\b|"
    r"\bgenerating (?:these|this|the|my) (?:letters?|replies|messages?|responses?|dialogue|lines)\b|"
    r"\bscripted (?:bot|assistant|agent|responses?|replies|messages?)\b|"
    r"\bno (?:actual|real|live) (?:person|human|\w+) (?:is )?(?:reading|behind|writing|typing)\b|"
    r"\bin character\b|\bthe (?:[\w-]+ ){1,3}character\b(?! (?:of|in)\b)|"
    r"\bdraft (?:response|reply)\b|"
    r"stage directions?\s*:|"
    r"as a (?:chat ?bot|virtual assistant)|openai|i cannot role-?play|i can't role-?play|"
    r"i(?:'m| am) (?:just |only |simply |actually |really )?(?:playing|pretending|role-?playing)\b|"
    r"\ban? (?:actor|actress|voice actor) (?:playing|reading|voicing)\b|"
    r"playing the (?:role|part) of|(?:this|the) role-?play\b|(?:my|this) character\b|"
    r"the scenario (?:i've|i have|i was|i've been) (?:been )?given|my (?:prompt|system prompt)\b|"
    r"the scenario (?:wants|says|asks|tells)|\bmeta question\b|\b(?:keep|stop|start) playing\b|"
    r"break(?:ing)? character\b|"
    r"(?:supposed|meant|told|asked|instructed) to (?:play|act as|pretend)\b|"
    r"\bin this (?:dialogue|conversation|role-?play|exercise|simulation|script)\b|"
    r"\bmy (?:lines|script)\b|\bthe script\b|"
    r"out of character|stay(?:ing)? in character|"
    r"here(?:'s| is) (?:the |my |a |an )?[\w.' -]{0,40}?(?:reply|response|answer|message|"
    r"line|turn|dialogue)\b[^.:\n]{0,50}:|"
    r"\bsimulated (?:character|person|agent|customer|conversation|dialogue)\b|"
    r"\b(?:practice|training|sample|example|mock) (?:dialogue|conversation|exchange|call|video)\b|"
    r"\bcontinu(?:e|ing) (?:the|this) (?:scenario|scene|role-?play|conversation as)\b|"
    r"\bin my role as (?:the|a|an)\b|"
    r"^\s*[a-z]+(?: [a-z]+)? (?:reply|response|turn|line)\s*:|\bnext question for the \w+\s*:)"
    # a note to the reader in brackets ("(OOC: ...)", "(Writing this one as the clerk:)"): no
    # word boundary before a bracket, so outside the group above
    r"|^\s*\((?:note|ooc|narrator|stage)\b|^\s*\([^()\n]{0,80}:\s*\)",
    re.I | re.M,
)
# a stage direction: a bracketed or starred span that narrates, led by a narrating verb
# ("*laughs*", "(pauses)", "[she checks the sheet]") or by a persona's name and a verb
# ("[Mick flips through the booking sheet]")
_NARRATES = (
    r"(?:flips|checks|looks|types|pauses|laughs|sighs|smiles|chuckles|nods|frowns|clears|"
    r"scrolls|shuffles|leans|glances|turns|picks|hangs|puts|grins|winks|coughs)"
)
_STAGE = re.compile(
    rf"[\[*(]\s*(?:(?:he|she|they)\s+)?{_NARRATES}\b[^\])*\n]{{0,120}}[\])*]"
    rf"|[\[*(]\s*(?:the\s+)?([A-Z]?[a-z]+)\s+[a-z]+s\b[^\])*\n]{{0,120}}[\])*]",
    re.I,
)
# the words of a break that a business may deal in itself ("the script" of a radio ad)
_STAGE_NOUN = re.compile(
    r"\b(?:script|lines|scenario|character|dialogue|simulation|exercise)\b", re.I
)
# "as the receptionist, I ...", "I'm the front desk receptionist": up to four words, whose
# first k end in the other side's role (one static pattern: no regex per pair of roles)
_AS_ROLE = re.compile(
    r"\bas\s+(?:(?:the|your|a|an)\s+)?((?:[a-z]+\s+){0,3}[a-z]+)"
    r"|\bi(?:'m| am)\s+(?:the|your)\s+((?:[a-z]+\s+){0,3}[a-z]+)",
    re.I,
)
_AS_ROLE_AFTER = re.compile(r"\s*(?:,|i\b|i'll|i'd|we\b)", re.I)
_NOT_SELF = re.compile(r"\s+(?:said|told|asked|mentioned)\b", re.I)


def _speaks_as(text: str, roles: set[str]) -> tuple[str, str] | None:
    """The other side's role a speaker claims ("As the receptionist, I can book you in"),
    and the words that claim it."""
    for m in _AS_ROLE.finditer(text):
        words = (m.group(1) or m.group(2)).lower().split()
        start = m.start(1) if m.group(1) else m.start(2)
        for k in range(1, len(words) + 1):
            phrase = " ".join(words[:k])
            role = next((r for r in roles if phrase == r or phrase.endswith(" " + r)), None)
            if role is None:
                continue
            end = start + len(" ".join((m.group(1) or m.group(2)).split()[:k]))
            rest = text[end:]
            if m.group(1) and not _AS_ROLE_AFTER.match(rest):
                continue
            if m.group(2) and (_NOT_SELF.match(rest) or (rest[:1].isalpha())):
                continue
            return role, text[m.start() : end]
    return None


_STAFF_LINES = re.compile(  # one word boundary before the alternatives: far fewer tries
    r"\b(?:"
    r"(?:is there )?anything else (?:i|we) can (?:help|do for) you with|"
    r"how (?:can|may) (?:i|we) help(?: you)?\b|i'll check (?:this|that|it) out to you|"
    r"i'll put you down\b|let me (?:pull up|check|look up) your (?:account|booking|order|file|"
    r"reservation|record)|i can see (?:that )?your (?:order|booking|account|file|reservation)|"
    r"i've checked our (?:list|system|records)|our (?:system|records) show|"
    r"\b(?:i can|i'll|let me) (?:add|book|put|set up|arrange|send|issue|process|apply)\b"
    r"[^.?!]{0,40}\bfor you\b|\bwe (?:no longer|don't|do not|can't|cannot) (?:accept|take|offer|allow)\b|"
    r"\blet me (?:just )?check (?:the|our|your) \w+(?: \w+)? for you\b|\bi can (?:lend|issue|give|offer) you\b|"
    r"\bcheck our (?:records|system|list|files)\b|"
    r"\bthank you for (?:calling|choosing|contacting)\b|"
    r"\bshall i (?:book|put|pencil|add|reserve|take|note|send|set)\b[^.?!]{0,50}\bfor you\b|"
    r"\bi(?:'ll| will)? need (?:to take |to see )?(?:a |your )(?:deposit|card|payment|details)\b|"
    r"\bcan i (?:grab|take|have|get) your (?:card|details|name|number|email|payment)\b|"
    r"\b(?:is|are) (?:free|included) with us\b|\bthat's my job\b|"
    r"\bfrom each of your (?:passengers|guests|party|group)\b|\bcome (?:and )?find me and i'll\b|"
    # the business's own people and places, or the customer's booking confirmed back to them
    r"\bour (?:technicians?|depot|store|shop|workshop|team|crew|office|clinic|staff|installers?|"
    r"engineers?|warehouse|showroom|stylists?|fitters?|sweeps?|drivers?|nurses?)\b|"
    r"\b(?:let me|i'll|i can|i will) (?:just )?(?:confirm|read back|run through|go over) your "
    r"(?:order|booking|appointment|reservation|details)\b|"
    r"\bfor your (?:booking|order|appointment|reservation),|"
    r"\bthank you for (?:shopping|booking|visiting|banking|flying|staying|ordering) with us\b|"
    r"\bour (?:head |senior |lead |own )?(?:butcher|carer|tuner|tailor|florist|baker|groomer|"
    r"roofer|cleaner|barista|chef|receptionist|specialist)s?\b(?= \w+ will| will)|"
    r"\b(?:let me|i'll|i will) (?:just )?(?:check|run you through|look) (?:that |it |this )?for you\b|"
    r"\bwould you like me to (?:hold|book|reserve|put|pop|set|send|order|wrap)\b|"
    r"\bwe'll be \w+ing your\b|\b(?:for|in) your (?:own )?records\b|"
    r"\bour sessions run\b|\bwhen your (?:son|daughter|child|mum|dad|mother|father) comes in\b|"
    # the speaker acting on the listener's things, as the business does
    r"\b(?:i|we)(?:'ll| will| can| am going to| are going to)(?: be| just)? (?:confirm|add|charg|"
    r"book|issu|process|refund|credit|fit|fix|repair|deliver|reserv|pull|servic|clean|install|"
    r"prepar|programm|adjust|tun|resol|alter|shorten)\w* [^.?!]{0,40}\byour\b|"
    r"\bi can confirm (?:that )?your\b|\bthanks? (?:you )?for holding\b(?! (?:the|it|my|our|a|that|this|them|on)\b)|"
    r"\byou can collect (?:it|them) from me\b|\bour (?:crane|van|truck|yard|lift|kitchen|studio|"
    r"surgery|salon)(?:'s| is| was| can)\b|"
    # the listener's own things, as the business speaks of them ("for your dress we'll take
    # the hem up"), and the business's part claimed ("as your cleaning contractor")
    r"\b(?:for|on|at|to|from|with|into) your (?:own )?(?:dress|suit|trousers|gown|car|vehicle|"
    r"phone|laptop|first (?:fitting|visit|lesson|appointment|session)|premises|home|house|"
    r"garden|property|boat|bike|pet|dog|horse|test|claim|order|reservation|appointment)\b|"
    r"\bas your (?:\w+ )?(?:contractor|provider|supplier|cleaners?|agent|consultant|adviser|"
    r"advisor|planner|team|installer|carer|tutor|instructor|coordinator)\b|"
    r"\bi'll need (?:half|the (?:deposit|balance|payment)|\w+ of that) from you\b|"
    # the business's own rules and counters, and what the customer leaves with it
    r"\b(?:per|under|as per|according to|in line with) our (?:policy|policies|terms|rules)\b|"
    r"\bour (?:policy|policies|terms and conditions|front desk|reception desk|counter|opening "
    r"hours|price list|returns policy|cancellation policy)\b|\bwe only (?:take|accept)\b|"
    r"\bhow it works for you\b|\bwe(?:'re| are) open (?:from|until|till|at|\d)|"
    r"\b(?:you|they) leave (?:\w+ )?with us\b|"
    # the booking made for the listener: "I'll lock you in for Thursday", "pop you down"
    r"\b(?:i'll|i will|let me|i can)(?: just| go ahead and)? (?:pop|put|lock|pencil|book|squeeze|"
    r"fit|slot|get) you (?:in|down)\b|\bi'll need you (?:down|here|in|at)\b|"
    r"\bwaiting for (?:you|ya) when you (?:arrive|get here|rock up|come in|turn up)\b|"
    # the business's welcome and its own undertakings, in the customer's mouth
    r"\bthank you for your interest in\b|(?:^|[.!]\s+)welcome to\b|\bhere at the \w+,? we\b|"
    r"\bi(?:'ve| have) assigned you\b|\bwe shall pay your\b|\b(?:from|on) our side\b|"
    r"\bconfirm your (?:booking|order|appointment|reservation) with us\b|"
    r"\bwith us,? the (?:deposit|fee|price|charge)\b|\bpull up our (?:\w+ )?(?:diary|system|"
    r"records?|calendar|bookings?)\b|"
    r"\bwe(?:'ll| will) need an? [^.?!]{0,30}"
    r"\bfrom you to (?:hold|secure|book|confirm)\b"
    r")",
    re.I,
)
# what only the served side says; a member of staff who says it speaks as the customer
_CUSTOMER_LINES = re.compile(
    r"\b(?:i'd like to (?:book|order|check on|ask about) my|my own (?:move|booking|order|"
    r"car|account|appointment|claim|trip)|are you sending me|can your (?:team|crew|staff|"
    r"company|people) (?:take|move|fix|do|help)|do i need to (?:book|pay|bring)|"
    r"(?:while i(?:'ve got| have) you|actually)[:,]?\s+(?:(?:while i(?:'ve got| have) you),?\s+)?"
    r"(?:my|i'd like|i need|can you|could you)|\bone of your \w+ (?:for )?myself\b|"
    r"(?:i was|i'm) (?:actually |really )?hoping you could (?:tell|help)|i was wondering if there's|"
    r"i've been waiting (?:on|for) (?:this|my)|can i pay (?:to|for|extra)|"
    r"(?:can|could) (?:we|i) (?:rent|hire|borrow|buy) (?:one|it|them|some )?\s*from you|"
    r"put (?:it|them|that|those) on my (?:card|visa|mastercard|account|tab)|\bset me back\b|"
    r"what (?:would|will|does) (?:that|it|this) cost me|\bfor me and (?:my|four|three|two|\d)|"
    r"before i come (?:to you|in)\b|\bi'll bring (?:my|the) \w+ in\b|"
    r"i'd like to (?:buy|purchase) (?:another|a|an|some|two|three|\d)|"
    # what the one served asks or owns: what they owe, what it costs them, their own party
    r"how much (?:do|would|will|should) (?:i|we) (?:still )?(?:owe|pay|be charged)|"
    r"\b(?:charge|cost) me\b[^.!]*\?|\bwill your (?:\w+ ){0,2}(?:blokes|guys|crew|team|staff|"
    r"people|lads|workers|technicians?|installers?|cleaners?)\b|"
    r"\bmy (?:two |three |four )?(?:mates|friends|partner|wife|husband|mum|dad|kids) and i\b|"
    r"\bi'd like to (?:book|order|hire|reserve) (?:a|an|some|two|three|\d)\b|"
    r"\b(?:i need|i want|i'd like) to (?:order|book|buy|hire)\b[^.!?]{0,40}\bfor my own\b|"
    r"\bone for me and one for my\b|\b(?:do|can|will) (?:i|we) (?:both )?get the \w+ (?:price|rate|"
    r"discount)\b|\bmy (?:dad|mum|mom|father|mother|husband|wife)'s funeral\b|"
    r"\bi'll take (?:two|three|\d) (?:places|spots|seats|tickets)\b|"
    # the speaker's own wants and plans, as the one served speaks
    r"\bi'd like to (?:upgrade|change|cancel|move|swap|add|bring|book|order) my\b|"
    r"\b(?:so )?i'll bring my\b|\bshould i (?:come|arrive|bring|pay)\b|"
    r"\bmy (?:\w+ )?tickets? to (?:seated|vip|standing)\b|"
    # wanting to join what the business sells, as the one served does
    r"\b(?:i want to|i'd love to|i'm hoping to|i would like to|i'd like to|i wanna) "
    r"(?:join|sign up|enrol|enroll|register|book myself|book me)\b|\bfor it myself\b|"
    # the buyer's own doubts: "if I buy it today ... can I still get my money back?"
    r"\bcan i (?:still )?get my money back\b|\bbefore i put my card\b|"
    r"\bif i (?:buy|order|book|sign up|pay)\b[^.?!]{0,40}\bcan i\b|\bmy shop's (?:ad )?budget\b|"
    # the one served, waiting on the business or asking it for what it sells
    r"\b(?:can|could) you send (?:some(?:body|one)|a \w+) (?:out )?(?:to|round to) my\b|"
    r"\bbook myself in\b|\bi dropped (?:my|it|them|the) [^.?!]{0,30}\boff with you\b|"
    r"\bwaiting for your (?:\w+ )?(?:engineers?|technicians?|team|staff|people)\b|"
    r"\bhow much (?:i|we) (?:need to|have to|must) pay your side\b|"
    r"\bgive me (?:some|a few|more) shifts\b|\bwhat's the pay like\b|"
    r"\b(?:we are|we're|i am|i'm) writing as the (?:parents?|customers?|client|guests?)\b|"
    r"\bi(?:'m| am) hoping you can (?:give|book|fit|find|sort)\b|"
    # the speaker's own needs, as the one served has them
    r"\b(?:from|on) my side\b|\bmy own (?:son|daughter|kids?|child|children|dialysis|"
    r"appointment|booking|wedding|party|garden|house|home|car|plot)\b|"
    r"\bour own (?:garden|party|wedding|event|home|house|office party)\b|"
    r"\bwhat (?:you'd|you would|would you) charge (?:us|me)\b|\bcould you find out for me\b)",
    re.I,
)


_OURS = re.compile(r"our (office|team|staff)", re.I)  # a customer's firm has these too


# the long alternations without re.I, for lower-cased text (about a third faster)
_CASELESS = {
    p: re.compile(p.pattern, p.flags & ~re.I) for p in (_BREAKS, _STAFF_LINES, _CUSTOMER_LINES)
}


def _search(pattern: re.Pattern[str], text: str, lower: str) -> re.Match[str] | None:
    """`pattern.search(text)`, found first in the lower-cased text, then matched on the text
    itself at that place so that the evidence keeps its case."""
    if len(lower) != len(text):
        return pattern.search(text)  # lower-casing changed a length ("İ"): the slow way
    found = _CASELESS[pattern].search(lower)
    if found is None:
        return None
    return pattern.match(text, found.start()) or pattern.search(text, found.start())


def role_heads(role: str) -> set[str]:
    """The words a role is called by: 'airline agent' -> {'agent', 'airline agent'}; 'desk
    assistant at the sports hall' -> also {'desk assistant', 'assistant'}."""
    role = role.lower().strip()
    words = role.split()
    if not words:
        return set()
    head = _QUALIFIER.split(role, maxsplit=1)[0].split() or words
    return {role, words[-1], " ".join(head), head[-1]}


_QUALIFIER = re.compile(r"\s+(?:at|of|for|in|from|with|on)\s+")


def check_persona(
    speaker: str,
    text: str,
    personas: Mapping[str, Mapping[str, Any]],
    labels: set[str],
    vocabulary: frozenset[str] = frozenset(),
) -> list[PeopleFinding]:
    """Stepping out of character, and speaking as the other side. `vocabulary` holds the
    facts' words: where the business itself deals in scripts or lines ("ad scripts must be
    submitted 5 days ahead"), "the script" is the customer's, not the speaker's own."""
    out = []
    lower = text.lower()
    hit = _search(_BREAKS, text, lower)
    if hit and (noun := _STAGE_NOUN.search(hit.group(0))) and stems(noun.group(0)) <= vocabulary:
        hit = None
    if hit is None and (cue := _STAGE.search(text)):
        names = {t for p in personas.values() for t in name_tokens(str(p.get("name") or ""))}
        names |= {
            w for k, p in personas.items() for w in role_words(f"{p.get('role') or ''} {k}")
        } & (STAFF_ROLES | CUSTOMER_ROLES)
        if cue.group(1) is None or cue.group(1).lower() in names:
            hit = cue  # "[Mick flips through the booking sheet]", "*laughs*", "(The
            # receptionist opens the appointment book.)": narration
    if hit:
        out.append(
            PeopleFinding(
                "persona_break", f"{speaker} steps out of character", hit.group(0).strip(), True
            )
        )
    own_roles = role_heads(str(personas.get(speaker, {}).get("role") or speaker))
    own_roles |= {speaker.lower()}
    other_roles = set()
    for other, persona in personas.items():
        if other != speaker:
            other_roles |= role_heads(str(persona.get("role") or other)) | {other.lower()}
    other_roles -= own_roles
    if other_roles and (claimed := _speaks_as(text, other_roles)):
        role, words = claimed
        out.append(
            PeopleFinding("role_swap", f"{speaker} speaks as the {role}", words.strip(" ,"), True)
        )
    role = side_of(speaker, personas.get(speaker, {}))
    others = [side_of(k, p) for k, p in personas.items() if k != speaker]
    if served(role, others) and not all(served(o, [role]) for o in others):
        lines, side = _STAFF_LINES, "serving side"
    elif not served(role, others) and any(served(o, [role]) for o in others):
        lines, side = _CUSTOMER_LINES, "customer"
    else:
        lines, side = None, ""
    m = _search(lines, text, lower) if lines is not None else None
    mine = _OURS.fullmatch(m.group(0)) if m and lines is _STAFF_LINES else None
    if mine and not stems(mine.group(1)) <= vocabulary:  # "our office is on floor 4": a
        m = None  # customer's own place, which the facts do not speak of
    if (
        m is not None and not any(f.check == "role_swap" for f in out)  # one flip, reported once
    ):
        out.append(PeopleFinding("role_swap", f"{speaker} speaks as the {side}", m.group(0), True))
    own = {speaker.lower(), *name_tokens(str(personas.get(speaker, {}).get("name") or ""))[:1]}
    for line in text.splitlines():
        label = line.split(":", 1)[0].strip().lower() if ":" in line else ""
        if label and label in labels and label not in own:
            out.append(
                PeopleFinding(
                    "role_swap",
                    f"{speaker} writes a line for '{line.split(':', 1)[0].strip()}'",
                    line[:120],
                    True,
                )
            )
            break
    return out
