"""The deterministic checks, per kind: faithful paraphrases pass, planted defects block.

Contradictions are `error` findings (they block); unsupported values are `warning` findings
(evidence only). Each kind has paraphrases that must not block and defects that must.
"""

from __future__ import annotations

import pytest

from agents.checks import check_dialogue

FACTS = [
    "Today is Tuesday, 11 March 2025.",
    "The outage started at 7:40 am and affects the Northgate district.",
    "Repair crews expect service back by 3:00 pm on 12 March 2025.",
    "Affected customers get a credit of $15 on their next bill.",
    "About 2,400 homes are affected; the cut cable is 1.5 km long.",
    "Technician Olga Petrova leads the repair.",
    "There is no fee for the technician visit.",
    "The router must be kept 30 cm away from the wall and restarted twice a day.",
]
PERSONAS = {
    "customer": {"name": "Dana Whitfield", "role": "customer", "attributes": {"age": 34}},
    "agent": {"name": "Sam Ortiz", "role": "support agent"},
}


def findings(*texts: str, speakers: tuple[str, ...] = ("customer", "agent")) -> list:
    turns = [{"speaker": speakers[i % len(speakers)], "text": t} for i, t in enumerate(texts)]
    return check_dialogue(turns, facts=FACTS, personas=PERSONAS)


def blocking(*texts: str, **kw) -> list[tuple[str, int, str]]:
    return [(f.check, f.turn, f.evidence) for f in findings(*texts, **kw) if f.severity == "error"]


def test_clean_dialogue_fires_nothing():
    assert not findings(
        "Hi, I'm Dana. My internet died this morning, I'm 34 and I work from home.",
        "Hello Dana, this is Sam. An outage started at 7:40 am in Northgate.",
        "When will it be back? I need it by tonight.",
        "Crews expect service back by 3 pm tomorrow, and you get a $15.00 credit.",
        "Is Olga Petrova on it? How many homes are hit?",
        "Yes, technician Olga Petrova leads it; about 2400 homes are affected.",
        "Thanks, goodbye.",
    )


FAITHFUL = {
    "numbers": [
        "Roughly twenty-four hundred homes are affected.",
        "About 2.4k homes are affected.",
        "Restart the router two times a day.",
    ],
    "money": [
        "You get a fifteen-dollar credit on your next bill.",
        "The credit is 15 dollars.",
        "A USD 15 credit comes with the next bill.",
    ],
    "units": [
        "The cut cable is 1,500 metres long.",
        "The cable is about a mile long.",
        "Keep the router 300 mm from the wall.",
    ],
    "times": [
        "Crews expect service back by 15:00 tomorrow.",
        "It started at 07:40 today.",
        "Service should be back by three in the afternoon.",
        "Crews expect service back by 3.00pm.",
    ],
    "dates": [
        "Service is back on 12/03/2025.",
        "Service is back on March 12th, tomorrow.",
        "Crews expect it back on Wednesday, the 12th.",
        "Repair crews expect service back in one day, on March 12.",
    ],
    "names": [
        "Ms. Petrova's crew is on it.",
        "Olga leads the repair.",
        "Thank you, Mr. Ortiz.",
    ],
    "negation": [
        "The technician visit is free of charge.",
        "You won't pay anything for the technician visit.",
    ],
    "small talk": [
        "Give me a second, I'm on line 2.",
        "I've been on hold for 20 minutes, I'm on the 3rd floor.",
        "We're open between 9 and 12 if you want to drop by.",
        "My neighbour said it'd be fixed on the 14th.",
    ],
}


@pytest.mark.parametrize(("kind", "text"), [(k, t) for k, texts in FAITHFUL.items() for t in texts])
def test_faithful_paraphrases_never_block(kind, text):
    assert blocking("Hello, what happened?", text) == []


DEFECTS = [
    ("numbers", "About 4,200 homes are affected.", "contradicted_number", "4,200 homes"),
    ("numbers", "Restart the router three times a day.", "contradicted_number", "3 times"),
    ("money", "You get a credit of $50 on your next bill.", "contradicted_money", "$50"),
    ("money", "You get a credit of €15 on your next bill.", "contradicted_money", "€15"),
    ("units", "The cut cable is 1.5 miles long.", "contradicted_unit", "1.5 miles"),
    ("units", "Keep the router 30 inches from the wall.", "contradicted_unit", "30 inches"),
    ("units", "Restart the router twice a week.", "contradicted_number", "2 times"),
    ("times", "Repair crews expect service back by 5 pm tomorrow.", "contradicted_time", "5 pm"),
    ("times", "The outage started at 9:40 am.", "contradicted_time", "9:40 am"),
    ("dates", "Repair crews expect service back on March 13.", "contradicted_date", "March 13"),
    ("dates", "Service is back by 3 pm on 12 March 2026.", "contradicted_date", "12 March 2026"),
    ("dates", "Repair crews expect service back today.", "contradicted_date", "today"),
    ("names", "Technician Greta Olsen leads the repair.", "contradicted_name", "Technician Greta"),
    ("names", "Technician Olga Ivanova leads the repair.", "contradicted_name", "Technician Olga"),
    ("negation", "A fee applies for the technician visit.", "contradicted_polarity", None),
]


@pytest.mark.parametrize(("kind", "text", "check", "evidence"), DEFECTS)
def test_planted_defects_block(kind, text, check, evidence):
    fired = blocking("Hello, what happened?", text)
    assert [c for c, _, _ in fired] == [check]
    assert fired[0][1] == 1
    if evidence is not None:
        assert fired[0][2].startswith(evidence)


def test_unsupported_values_are_evidence_not_blocks():
    found = findings("Hello?", "That plan costs 80 euros and the repair takes 6 hours.")
    assert [(f.check, f.severity) for f in found] == [
        ("unsupported_money", "warning"),
        ("unsupported_number", "warning"),
    ]


def test_money_suffixes_need_a_word_boundary():
    facts = ["The room is €189 a night."]

    def fired(text: str) -> list[tuple[str, str]]:
        turns = [{"speaker": "agent", "text": text}]
        return [
            (f.check, f.evidence) for f in check_dialogue(turns, facts=facts, personas=PERSONAS)
        ]

    assert fired("The room is €189 a night; €189 makes it our best rate.") == []
    assert fired("The room is €189m a night.") == [("contradicted_money", "€189m")]


@pytest.mark.parametrize(
    ("speaker", "text", "check"),
    [
        ("agent", "I'm just a chatbot, so I can't see the crews.", "persona_break"),
        ("agent", "Here is the support agent's reply: crews are on it.", "persona_break"),
        ("agent", "I'm only playing the support agent here.", "persona_break"),
        ("agent", "As an AI language model, I cannot have internet.", "persona_break"),
        ("customer", "As your support agent, I can confirm the outage.", "role_swap"),
        ("customer", "Hi, this is Sam Ortiz from support.", "role_swap"),
        ("agent", "Hello, this is Anna from support.", "contradicted_name"),
        ("agent", "Hi, I'm Sam Bennett from support.", "contradicted_name"),
        ("agent", "Let me check.\nCustomer: thanks!", "role_swap"),
    ],
)
def test_persona_breaks_and_role_swaps(speaker, text, check):
    turns = [{"speaker": speaker, "text": text}]
    found = check_dialogue(turns, facts=FACTS, personas=PERSONAS)
    assert [f.check for f in found if f.severity == "error"] == [check]


@pytest.mark.parametrize(
    "text",
    [
        "Hi, this is Mrs. Whitfield, my internet is down.",
        "Dana Whitfield speaking.",
        "Hello, I'm Dana.",
        "As a customer, I expect better.",
    ],
)
def test_self_introductions_that_fit_the_persona_pass(text):
    turns = [{"speaker": "customer", "text": text}]
    assert [f for f in check_dialogue(turns, facts=FACTS, personas=PERSONAS)] == []


def test_titles_are_not_first_names():
    personas = {"tutor": {"name": "Mr. Idris Farouk"}, "student": {"name": "Liam"}}
    turns = [{"speaker": "tutor", "text": "Hello Liam, my name is Idris."}]
    assert check_dialogue(turns, facts=[], personas=personas) == []


def test_derived_values_are_supported_only_when_the_sentence_derives_them():
    facts = ["The rent is €1,200 per month; the deposit is two months' rent."]
    derived = [{"speaker": "agent", "text": "So the deposit is €2,400."}]
    assert check_dialogue(derived, facts=facts, personas=PERSONAS) == []
    stated = [{"speaker": "agent", "text": "The rent is €2,400 per month."}]
    assert [f.check for f in check_dialogue(stated, facts=facts, personas=PERSONAS)] == [
        "contradicted_money"
    ]


def test_empty_and_repeated_turns():
    assert blocking("Hello there, my internet is down.", "...") == [("empty_turn", 1, "")]
    found = blocking(
        "My internet is down since this morning.",
        "Sorry to hear that, let me check.",
        "My internet is down since this morning!",
    )
    assert found == [("repeated_turn", 2, "My internet is down since this morning!")]


def test_conditions_and_personas_count_as_grounding():
    turns = [{"speaker": "customer", "text": "I am 34 and pay $29 a month."}]
    found = check_dialogue(turns, facts=FACTS, personas=PERSONAS, conditions={"plan": "$29"})
    assert found == []


def test_a_double_negative_is_no_negated_fact():
    facts = ["Parking at the clinic is not free.", "No walk-in visits are accepted."]

    def polarity(text: str) -> list[str]:
        turns = [{"speaker": "agent", "text": text}]
        found = check_dialogue(turns, facts=facts, personas=PERSONAS)
        return [f.check for f in found if f.check == "contradicted_polarity"]

    assert polarity("Sure, parking at the clinic costs €5, you can pay at the desk.") == []
    assert polarity("No, you can't just walk in; walk-in visits aren't accepted.") == []
    assert polarity("Sure, walk-in visits are accepted today.") == ["contradicted_polarity"]
