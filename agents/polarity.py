"""Sentences that assert the opposite of a fact with a negation or a limit ("no fee" → "a
fee applies", "not refundable" → "we'll refund the deposit", a bare "Yes" to what a fact
rules out)."""

from __future__ import annotations

import re

from agents.grounding import (
    Clause,
    Grounding,
    is_question,
    negated_part,
    negated_words,
    negative,
    predicate,
    reported,
    sentences,
    stems,
)
from agents.value_compare import same
from agents.values import values_in

_SENTENCE_CLAUSE = re.compile(
    r";\s*|\s+[\u2014\u2013-]\s+|,?\s+\b(?:but|while|although|whereas)\b\s+|,\s+and\s+|,\s+so\s+|"
    r",\s+otherwise\s+|"
    r",\s+(?=(?:no|not|without|never)\b)",
    re.I,
)
_LIMIT_FACT = re.compile(
    r"\b(only|at most|up to|maximum|no more than|unless|except|within|less than|fewer than|"
    r"at least)\b",
    re.I,
)
_BOUND = re.compile(r"\b(?:minimum|maximum|min|max|at least|at most|cap|limit)\b", re.I)
_LIMITS = re.compile(
    r"\b(up to|at most|maximum|max|no more than|as long as|provided|must|have to|need to|"
    r"required|only)\b",
    re.I,
)
_ASSERTS = re.compile(  # what a sentence that grants the opposite of a negated fact says
    r"\b(can|may|allowed|accepted|fine|ok|okay|applies|apply|charged|welcome|possible|"
    r"available|sure|yes|will|get|gets|included|covered|permitted|no problem|need to|needs to|"
    r"have to|has to|required|must|still|any time|anytime|any reason|whatever|regardless|"
    r"even without|whether or not)\b|'ll\b",
    re.I,
)
_FORFEIT = re.compile(  # money not given back, said without a negation
    r"\b(?:stays? with us|we keep|(?:is|are) kept|(?:is|are) retained|forfeit(?:ed|s)?|"
    r"you(?:'d| would)? lose (?:it|the|your)|(?:is|are) lost|(?:is|are) gone)\b",
    re.I,
)
_CONDITION = re.compile(r"\b(?:if|unless|when|in case)\b[^,]*(?:,|$)", re.I)
_INCLUDED = re.compile(r"\b(?:included|free|complimentary|covered|at no (?:extra )?cost)\b", re.I)
_CHARGED = re.compile(r"\b(?:extra|charged?|fee|pay|costs?|surcharge|not included)\b", re.I)
_YES = re.compile(
    r"^\s*(?:yes|yep|yeah|sure|of course|certainly|absolutely|definitely|that's fine)\b", re.I
)


def check_polarity(sentence: str, ground: Grounding, context: str = "") -> Clause | None:
    """The negated or limited fact a sentence asserts the opposite of, if any.

    A bare "Yes, they can." answers the question before it: when that question asks, in
    the positive, about what a negated fact rules out ("can the courier leave it with my
    neighbour?" of "does not leave parcels with neighbours"), the yes asserts the opposite.
    """
    if is_question(sentence) or reported(sentence):
        return None  # "he swore we'd have paid a fee": what someone else claimed
    if (
        _YES.match(sentence)
        and not negative(_echoes_free(_CONDITION.sub("", sentence), context))
        and not _REGRET.search(sentence)  # "Yes, unfortunately the fee stays with us"
    ):
        questions = [q for q in sentences(context) if is_question(q)]
        for question in questions:
            asked = re.split(r",\s+", question)[-1]  # "If I'm not in, can the courier ...?"
            if _negative_besides_free(asked):  # "my free pages" names the pages
                continue
            best = _strongest(stems(question), ground)
            if (
                best is not None
                and _negative_besides_free(best.text)  # not only "free delivery"
                and stems(question) & best.stems - _names(best.text)  # not "Patil, was it?"
                and not _LIMIT_FACT.search(best.text)
                and not _keeps_limit(sentence, best, ground)  # "Yes, Monday the 20th": a date
            ):
                return best
    for part in _SENTENCE_CLAUSE.split(sentence):
        bare = _CONDITION.sub("", part)  # "... on the doorstep if nobody answers"
        if len(bare.split()) < 2:
            bare = part  # "when a card's reported lost the replacement costs you zero": no comma
        main = _PERMITS.sub(" ", bare)  # "a reservation doesn't stop you": a permission
        if is_question(part):
            continue
        own = stems(part)
        if waived := _waived(part, sentence, ground):
            return waived  # "no need to bring the car in" of "only if the car is brought in"
        if (
            (
                not _REGRET.search(sentence)  # "it stays with us whatever happens, I'm afraid"
                and (wide := _ANY.search(part))
                and wide.group(0).lower() not in " ".join(c.fact.lower() for c in ground.clauses)
                and not negative(_FREE.sub(" ", main))
                and (
                    universal := _universal(own, ground)
                    or (_universal(own | stems(sentence), ground) if len(sentence) < 140 else None)
                )
            )
            and not _keeps_limit(part, universal, ground)
            and not _CONCEDES.search(universal.fact)  # "even if no tax is owed": no limit
        ):
            return universal  # "cancel for free any time" of "free only up to 48 hours
            # before": a permission without the fact's limit
        if negative(main) or _FORFEIT.search(main):
            continue  # it keeps the negation: no opposite asserted ("the fee stays with us")
        if len(own) < 2 and not (_GRANTS.search(part) and own & _asked_about(context)):
            continue  # too few words to speak of a fact, unless granting what was asked
        if focused := _focused(part, own, ground):
            return focused
        if (
            (_ASSERTS.search(part) or _WOULD.search(part))
            and not negative(bare)
            and (sole := _sole_predicate(part, own, ground)) is not None
            and not _states_another(part, sole, ground)
        ):
            return sole  # "we'll refund the eighty-five bucks" of "bookings are not refundable"
        if not _ASSERTS.search(part):
            continue
        scored = sorted(
            (
                (len(own & c.stems) + _priced(own, c), c)
                for c in ground.clauses
                if not c.is_reference and c.stems
            ),
            key=lambda x: -x[0],
        )
        if not scored:
            continue
        best_score, best = scored[0]
        if _LIMITS.search(main) and _LIMIT_FACT.search(best.text) and not _ANY.search(part):
            continue  # "up to twice a month" restates "at most twice a month"
        if any(same(v, w) for v in values_in(part, ground.today) for w in best.values):
            continue  # "changes need to be in by Tuesday the 14th" restates "not after the 14th"
        if any(
            same(v, w) and len(own & c.stems) >= best_score
            for v in values_in(part, ground.today)
            for c in ground.clauses
            if not c.negative
            for w in c.values
        ):
            continue  # its values come from a plain fact it speaks about as much
        if _FREE.search(best.text) and _INCLUDED.search(part) and not _CHARGED.search(part):
            continue  # "giving medication is included" of "no extra charge for medication"
        if "inclu" in best.focus and _CHARGED.search(part) and not _INCLUDED.search(part):
            continue  # "refrigerant's charged on top" of "top-ups are not included"
        if _sibling(own, best, ground) and not _GRANTS.search(part):
            continue  # "bring your badge so we can reset it" of "not over the phone; they
            # require a visit with a badge": the fact's own alternative
        if (
            _ADVERBIAL.search(best.text)
            and best.focus
            and not own & best.focus
            and not _priced(own, best)
        ):
            continue  # "vacuuming is included" of "included at no extra cost": the part the
            # fact asserts, not the one it negates
        if _names_the_allowed(own, best.fact):
            continue  # "you may pay by credit card or IC card" of "only credit cards and IC
            # cards are accepted; cash is not": the options the fact allows, and no other
        runner_up = scored[1][0] if len(scored) > 1 else 0
        # a short answer ("Cash is grand, sure.") to a question about the same fact
        asked = best_score >= 1 and bool(_asked_about(context) & best.stems & own)
        if (
            best.negative
            and (best_score >= 2 or (asked and _GRANTS.search(part)))
            and best_score >= 0.5 * len(best.stems)
            and (best_score > runner_up or scored[1][1].negative)
            and not negated_words(bare) & best.focus  # "no need to boil": it negates it too
            and not negated_words(sentence) & best.focus  # "a certificate is needed, and it
            # cannot be older than three months": another part keeps the negation
            # a fact negative only in being free is denied by a price, not by naming its
            # advisor ("that would be Mr. Patil" of "Patil gives free consultations")
            and (best.focus or not _FREE.search(best.text) or _CHARGED.search(part))
        ):
            return best
    return None


_ONLY_PART = re.compile(r"\bonly\b([^;.]*)", re.I)


def _names_the_allowed(own: frozenset[str], fact: str) -> bool:
    """The sentence names what an "only" fact allows (two of its words at least) and nothing
    of what the fact says after it ("cash is not accepted")."""
    if (m := _ONLY_PART.search(fact)) is None:
        return False
    allowed = stems(m.group(1))
    after = stems(fact[m.end() :]) - allowed
    return len(own & allowed) >= 2 and not own & after


# what a fact's limit sounds like, for a universal permission to deny
_RESTRICTED = re.compile(
    r"\b(only|at most|up to|maximum|no more than|unless|except|within|less than|at least|"
    r"in advance|notice)\b",
    re.I,
)


def _states_another(part: str, clause: Clause, ground: Grounding) -> bool:
    """Whether the part states a value another fact gives ("He's allowed up to ten hours of
    driving a day" of "at most 10 hours per day", not of "alcohol is not allowed"): it
    speaks of that fact. Not a price: "we'll refund the eighty-five bucks" is the refund."""
    said = [v for v in values_in(part, ground.today) if v.cls not in ("date", "money")]
    return any(
        same(v, x)
        for c in ground.clauses
        if c.fact != clause.fact and not c.is_reference
        for x in c.values
        for v in said
    )


def _universal(own: frozenset[str], ground: Grounding) -> Clause | None:
    """The limit of the fact a sentence with "any time", "for any reason", "from day one"
    speaks about most, alone ("you can freeze from day one" of "... but not during the first
    3 months"): a permission without the fact's limit."""
    clauses = [c for c in ground.clauses if not c.is_reference and c.stems]
    df: dict[str, int] = {}
    for c in clauses:
        for w in c.stems & own:
            df[w] = df.get(w, 0) + 1
    # shared words weighed by how few clauses hold them: "cancel" says more than "free"
    scored = sorted(
        ((len(own & c.stems), sum(1 / df[w] for w in own & c.stems), c) for c in clauses),
        key=lambda x: (-x[1], -x[0]),
    )
    if not scored or scored[0][0] < 2:
        return None  # "ask us any time": one shared word is no claim about a fact
    _, weight, best = scored[0]
    if len(scored) > 1 and scored[1][1] >= weight and scored[1][2].fact != best.fact:
        return None
    same_fact = [c for c in ground.clauses if c.fact == best.fact]
    return next((c for c in same_fact if c.negative), None) or next(
        (c for c in same_fact if _RESTRICTED.search(c.text)), None
    )  # the negated clause first: "whether or not" denies "not if reserved", not "up to 2"


_FREE_THING = re.compile(r"\bfree\s+[a-z]+", re.I)


def _echoes_free(answer: str, context: str) -> str:
    """The answer without the "free X" it echoes from the question ("can I use my free pages
    for colour?" "Yep, free pages work for colour too"): a name of the thing, no negation."""
    for m in _FREE_THING.finditer(context):
        answer = re.sub(rf"\b{re.escape(m.group(0))}\b", " ", answer, flags=re.I)
    return answer


def _negative_besides_free(text: str) -> bool:
    """A negation other than a "free X" it names ("my free pages", "free delivery")."""
    return negative(_FREE_THING.sub(" ", text))


def _names(text: str) -> frozenset[str]:
    """The stems of a fact's capitalised words after its first (names, places)."""
    return stems(" ".join(re.findall(r"(?<=\s)[A-Z][a-z]+", text)))


def _asked_about(context: str) -> frozenset[str]:
    """The words of the questions in the turn before."""
    return frozenset().union(*(stems(q) for q in sentences(context) if is_question(q)))


# a sentence that grants: what a negated fact's opposite sounds like
_GRANTS = re.compile(
    r"\b(?:welcome|fine|grand|alright|all right|allowed|permitted|accepted|okay|ok|"
    r"no problem|go ahead|sure|of course|absolutely)\b",
    re.I,
)


# a negation of a modifier, not of the predicate: "included at no extra cost", "cancelled
# without penalty"
_ADVERBIAL = re.compile(r"\b(?:at|with|for|of)\s+no\b|\bwithout\b", re.I)
_FREE = re.compile(
    r"\b(?:free|no (?:extra |additional )?(?:charge|fee|cost)|waived|at no (?:extra )?cost|"
    r"complimentary|(?:won't|will not|don't|do not) "
    r"(?:have to )?pay(?: anything| a (?:penny|thing|cent))?|pay nothing|nothing to pay|"
    r"(?:won't|will not) be charged)\b",
    re.I,
)


def _priced(own: frozenset[str], clause: Clause) -> int:
    """1 when a sentence puts a cost ("charged", "you pay") on what a clause says is free:
    the opposite of the clause's own predicate counts as a shared word."""
    return int("cost" in own and "cost" not in clause.stems and bool(_FREE.search(clause.text)))


_REGRET = re.compile(r"\b(?:i'm afraid|i am afraid|unfortunately|sadly|sorry)\b", re.I)
_CONCEDES = re.compile(
    r"\b(?:even if|even when|regardless|whether or not|in all cases|always|any time)\b", re.I
)
_ANY = re.compile(
    r"\b(?:any (?:day|time|age|one|reason)|anytime|whenever|every day|all week|any day of|"
    r"whatever|regardless|(?:even|also|still) without|from day one|no matter|"
    r"right up until|right up to|straight after|straight away|no (?:time )?limit|unlimited|"
    r"even if you|even when you|even the day before|even on the day|\w+ or not|"
    r"as (?:long|late|often|many) as you (?:like|want|need)|even (?:on )?(?:that|the same) "
    r"(?:morning|day|evening)|last minute|any (?:group )?size|any number of|"
    r"whether (?:it's|it is|you're|you are|they're)\b[^,.]{0,40}\bor\b)\b",
    re.I,
)
# negations that grant rather than deny: "don't worry", "no need to", "doesn't stop you"
_PERMITS = re.compile(
    r"\b(?:don't|do not|never|not to) (?:worry|stress|panic|fret)\b|\bno worries\b|"
    r"\bno (?:need|problem|bother|rush)\b|\b(?:even|also|still) without\b|"
    r"\bnot a problem\b|\b(?:doesn't|does not|won't|will not) (?:stop|matter|prevent)\b|"
    r"\bno matter\b|\bshouldn't be a problem\b|"
    r"\bnothing stops\b|\bno (?:time )?limit\b|\b\w+ or not\b",
    re.I,
)


def _focused(part: str, own: frozenset[str], ground: Grounding) -> Clause | None:
    """A negated fact whose negated words the sentence asserts: "we'll refund the deposit" of
    "the deposit ... is not refundable", "our kitchen is completely nut-free" of "the kitchen
    is not nut-free", "kids can come any day" of "children may visit only on weekends"."""
    best, best_key = None, (0, 0)
    for c in ground.clauses:
        if c.is_reference or not c.negative or not c.focus:
            continue
        if predicate(c.text) not in own:
            continue  # "that's frost damage" names what is not covered; it asserts no cover
        focus, shared = len(own & c.focus), len(own & c.stems)
        key = (shared, focus)
        if focus >= 1 and shared >= 2 and key > best_key:
            best, best_key = c, key
    if best is None or negated_words(part) & best.focus:
        return None  # "no need to boil the water" of "no boil-water notice": it negates it too
    if "cost" in best.focus and "cost" not in own and not _priced(own, best):
        return None  # "cancel whenever you like" of "no cancellation fee": the fee is denied
    others = max(
        (len(own & c.stems) for c in ground.clauses if c is not best and not c.is_reference),
        default=0,
    )
    if others >= best_key[0]:
        return None  # another fact is spoken of as much: no clear target
    limits = _LIMITS.search(part) and _LIMIT_FACT.search(best.text)
    if limits and not _ANY.search(part):
        return None  # "up to twice a month" restates "at most twice a month"
    if _BOUND.search(part) and any(
        same(v, w) for v in values_in(part, ground.today) for w in best.values
    ):
        return None  # "our minimum is 150 dpi" of "must be at least 150 dpi, or ... not print"
    negated = values_in(negated_part(best.text), ground.today)
    if any(same(v, w) for v in values_in(part, ground.today) for w in negated):
        return None  # it states the negated part's own value: it restates it ("changes
        # need to be in by the 14th" of "not after the 14th"; not "the six-month warranty")
    if _sibling(own, best, ground):
        return None
    return best


def _sibling(own: frozenset[str], clause: Clause, ground: Grounding, after: bool = False) -> bool:
    """True when the sentence also speaks of a plain clause of the same fact (its alternative;
    with `after`, only one that follows it: "not refundable, but can be transferred", not "the
    entry fee is €40 ...; neither fee is refundable")."""
    clauses = ground.clauses
    if after:
        clauses = clauses[clauses.index(clause) + 1 :]
    return any(
        c.fact == clause.fact
        and c is not clause
        and not c.negative
        and (own - {"cost"}) & (c.stems - clause.stems)  # a cost is what "free" denies
        for c in clauses
    )


def _strongest(own: frozenset[str], ground: Grounding) -> Clause | None:
    """The one clause a text clearly speaks about: two shared stems, half the clause's, alone."""
    scored = sorted(
        ((len(own & c.stems), c) for c in ground.clauses if not c.is_reference and c.stems),
        key=lambda x: -x[0],
    )
    if not scored:
        return None
    best_score, best = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else 0
    if best_score >= 2 and best_score >= 0.5 * len(best.stems) and best_score > runner_up:
        return best
    return None


_POLICY_VERBS = frozenset(  # what a rule grants or denies, as stems
    {
        "refun",
        "inclu",
        "allow",
        "accep",
        "permi",
        "retur",
        "excha",
        "trans",
        "deliv",
        "valid",
        "avail",
        "guara",
        "admit",
        "suita",
        "recyc",
        "resch",
        "exten",
        "renew",
        "waive",
    }
)
_WOULD = re.compile(r"\b(?:would|'d)\b", re.I)
_CONDITIONAL = re.compile(r"\b(?:if|provided|as long as|at least|unless|except)\b", re.I)


def _sole_predicate(part: str, own: frozenset[str], ground: Grounding) -> Clause | None:
    """The plainly negated fact ("not refundable", no limit or condition) whose negated word the
    sentence asserts, when no other fact has that word: "refund" can only speak of it."""
    said = {w[:5] for w in re.findall(r"[a-z]+", part.lower())}  # not "get it back" (of a
    for c in ground.clauses:  # locker's coin)
        if (
            c.is_reference
            or not c.negative
            or _LIMIT_FACT.search(c.text)
            or _CONDITIONAL.search(c.text)
            or _ADVERBIAL.search(c.text)
        ):
            continue
        for word in {predicate(c.text)} | (c.focus & _POLICY_VERBS):
            if (
                word in _POLICY_VERBS  # "refund", not "work" ("I'll come after work")
                and word in own
                and word in said
                and not any(word in o.stems for o in ground.clauses if o is not c)
                and not _sibling(own, c, ground, after=True)
            ):
                return c  # ("cannot be returned or exchanged": "we'll exchange it")
    return None


def _keeps_limit(part: str, clause: Clause, ground: Grounding) -> bool:
    """True when the sentence states the limit's own value ("any time before 18:00" of "open
    from 10 am to 6 pm"): it keeps the limit while it says "any"."""
    return any(same(v, w) for v in values_in(part, ground.today) for w in clause.values)


_REQUIRES = re.compile(
    r"\b(?:only if|only when|only (?:by|with|in|to|for|on|after)|must|needs? to|required|"
    r"have to|has to|provided)\b([^.;:!?]{0,120})",
    re.I,
)
_NO_NEED = re.compile(
    r"\b(?:no need(?: to| for| of)?|(?:don't|do not|doesn't|does not|won't|will not) (?:need|have|"
    r"require|ask (?:\w+ )?for)(?: to)?|not necessary to|no requirement (?:to|for)|"
    r"without(?= (?:a|an|any)\b))\s*([^,.;:!?\u2014]{0,40})"
    # "no carrier needed", "a letter isn't required"
    r"|\bno ((?:[\w-]+ ){1,3})(?:needed|required|necessary)\b"
    r"|\b((?:[\w-]+ ){1,3})(?:is|are|isn't|aren't) (?:not )?(?:needed|required|necessary)\b",
    re.I,
)


_EXCEPT = re.compile(r"\bexcept(?:\s+for)?\s+([^,.;]+)", re.I)
_THRESHOLD = re.compile(
    r"\b(?:over|above|more than|at least|under|fewer than|less than|exceeding)\s+\d"
    r"|\d[\w.]*\s+(?:or more|or over|and over|and up|or above)\b",
    re.I,
)
_VERBS = frozenset({"bring", "comes", "going", "getti", "takin", "makin", "having", "needs"})


_NEGATED_BEFORE = re.compile(r"(?:\bnot|n't|\bno)\s+$", re.I)


def _required(text: str) -> re.Match[str] | None:
    """The first requirement a fact states ("only by appointment"), not one it denies ("does
    not have to be returned" requires nothing)."""
    for m in _REQUIRES.finditer(text):
        if not _NEGATED_BEFORE.search(text[max(0, m.start() - 8) : m.start()]):
            return m
    return None


def _waived(part: str, sentence: str, ground: Grounding) -> Clause | None:
    """The condition a fact requires, waived: "no need to bring the car in" of "can be done
    only if the car is brought to the shop", "you don't have to book" of "must be booked"."""
    waiver = _NO_NEED.search(part)
    if waiver is None:
        return None
    at = sentence.find(waiver.group(0))
    if negative(sentence[:at] + " " + sentence[at + len(waiver.group(0)) :]):
        return None  # "under-eights aren't allowed in without an adult": it keeps the rule
    object_ = waiver.group(1) or waiver.group(2) or waiver.group(3) or ""
    if waiver.group(3) and not re.search(r"\bnot\b|n't\b", waiver.group(0)):
        return None  # "a letter is required": the rule kept
    own, waived = stems(sentence), stems(object_)
    others = [c.stems for c in ground.clauses if not c.is_reference]
    for c in ground.clauses:
        if c.is_reference or (need := _required(c.text)) is None:
            continue
        if (spared := _EXCEPT.search(c.text)) and stems(spared.group(1)) & own:
            continue  # "assistance dogs are the exception, they don't need a carrier"
        condition = stems(need.group(1))
        if (threshold := _THRESHOLD.search(c.text)) and (
            _keeps_limit(sentence, c, ground) or threshold.start() < need.start()
        ):
            continue  # "vehicles over 1.85 m must be booked as high vehicles": a case below
            # it needs nothing ("12 is under the 15-drink cutoff, so no advance order")
        # what is waived is this fact's alone ("no carrier needed" of "pets ride only in a
        # carrier"), or the sentence speaks of the fact besides
        unique = any(
            sum(w in o for o in others) == 1 and len(w) >= 5 and w not in _VERBS
            for w in waived & condition
        )
        if waived & condition and (unique or (own - waived) & (c.stems - condition)):
            return c
    return None
