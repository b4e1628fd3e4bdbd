"""The deterministic faithfulness checks on planted contradictions and on clean dialogues."""

from __future__ import annotations

import pytest

from agents.checks import check_dialogue, mentions

FACTS = [
    "The outage started at 7:40 am and affects the Northgate district.",
    "Repair crews expect service back by 3:00 pm on May 12.",
    "Affected customers get a credit of $15 on their next bill.",
    "About 2,400 homes are affected; the cut cable is 12 km long.",
    "Technician Olga Petrova leads the repair.",
]
PERSONAS = {
    "customer": {"name": "Dana Whitfield", "role": "customer", "attributes": {"age": 34}},
    "agent": {"name": "Sam", "role": "support agent"},
}


def fired(
    *texts: str, speakers: tuple[str, ...] = ("customer", "agent")
) -> list[tuple[str, int, str]]:
    turns = [{"speaker": speakers[i % len(speakers)], "text": t} for i, t in enumerate(texts)]
    return [
        (f.check, f.turn, f.evidence) for f in check_dialogue(turns, facts=FACTS, personas=PERSONAS)
    ]


def test_clean_dialogue_fires_nothing():
    assert (
        fired(
            "Hi, I'm Dana. My internet died this morning, I'm 34 and I work from home.",
            "Hello Dana, this is Sam. An outage started at 7:40 am in Northgate.",
            "When will it be back? I need it by tonight.",
            "Crews expect service back by 3 pm on May 12, and you get a $15.00 credit.",
            "Is Olga Petrova on it? How many homes are hit?",
            "Yes, technician Olga Petrova leads it; about 2400 homes are affected.",
            "Thanks, goodbye.",
        )
        == []
    )


@pytest.mark.parametrize(
    ("text", "check", "evidence"),
    [
        ("You will get a credit of $20.", "contradicted_money", "$20"),
        ("Service is back by 5:00 pm.", "contradicted_time", "5:00 pm"),
        ("Service is back by 4 pm.", "contradicted_time", "4 pm"),
        ("It will be fixed on May 14.", "contradicted_date", "May 14"),
        ("It will be fixed on 2026-05-14.", "contradicted_date", "2026-05-14"),
        ("About 3,100 homes are affected.", "contradicted_number", "3,100"),
        ("The repair takes 6 hours.", "contradicted_number", "6 hours"),
        ("You can talk to my manager Gerald tomorrow.", "unsupported_name", "manager Gerald"),
        ("Dr. Hoffman will call you.", "unsupported_name", "Dr. Hoffman"),
    ],
)
def test_planted_contradictions_fire(text, check, evidence):
    assert fired("Hello, what happened?", text) == [(check, 1, evidence)]


def test_numbers_with_no_counterpart_are_unsupported_not_contradicted():
    facts_without_money = [f for f in FACTS if "$" not in f]
    turns = [{"speaker": "agent", "text": "That plan costs 80 euros."}]
    found = check_dialogue(turns, facts=facts_without_money, personas=PERSONAS)
    assert [(f.check, f.evidence) for f in found] == [("unsupported_money", "80 euros")]


def test_small_bare_numbers_are_not_checked_but_quantities_are():
    assert fired("I have 2 kids and 1 dog.", "Sure, that is fine.") == []
    assert fired("Give me 2 minutes.", "Sure.") == [("contradicted_number", 0, "2 minutes")]


def test_persona_breaks_and_role_swaps():
    assert fired("As an AI language model, I cannot have internet.") == [
        ("persona_break", 0, "As an AI"),
    ]
    assert fired("Hello.", "Hi, my name is Dana and I need help.") == [
        ("role_swap", 1, "my name is Dana"),
    ]
    assert fired("Hi, I'm Rebecca and my internet is down.") == [
        ("persona_break", 0, "I'm Rebecca")
    ]
    assert fired("Hello.", "Let me check.\nCustomer: thanks!") == [
        ("role_swap", 1, "Customer: thanks!")
    ]


def test_empty_and_repeated_turns():
    assert fired("Hello there, my internet is down.", "...") == [("empty_turn", 1, "")]
    found = fired(
        "My internet is down since this morning.",
        "Sorry to hear that, let me check.",
        "My internet is down since this morning!",
    )
    assert found == [("repeated_turn", 2, "My internet is down since this morning!")]


def test_conditions_and_personas_count_as_grounding():
    turns = [{"speaker": "customer", "text": "I am 34 and on the Fiber 900 plan."}]
    found = check_dialogue(turns, facts=FACTS, personas=PERSONAS, conditions={"plan": "Fiber 900"})
    assert found == []


def test_mentions_canonicalise_values():
    values = {
        (m.kind, m.value)
        for m in mentions("On March 3 at 10:30 pm it cost $1,200.50 or 2.5k dollars")
    }
    assert values == {("date", "3-3"), ("time", "22:30"), ("money", "1200.5"), ("money", "2500")}


@pytest.mark.parametrize(
    "text",
    [
        "Crews expect service back by 3.00pm.",  # dotted time
        "We expect it back by 3:00 today.",  # no am/pm: either half of the day
        "It should be fixed on the 12th.",  # a day of a date in the facts
        "About 2.4k homes are affected.",  # 2,400 with a k
        "I called Tuesday and was named Employee of the Year.",  # not names
    ],
)
def test_legitimate_phrasings_do_not_fire(text):
    assert fired("Hello?", text) == []


def test_titles_are_not_first_names():
    personas = {"tutor": {"name": "Mr. Idris Farouk"}, "student": {"name": "Liam"}}
    turns = [{"speaker": "tutor", "text": "Hello Liam, my name is Idris."}]
    assert check_dialogue(turns, facts=[], personas=personas) == []


def test_wrong_day_and_thousands_still_fire():
    assert fired("Hello?", "It is fixed on the 14th, and 3.1k homes are hit.") == [
        ("contradicted_day", 1, "14th"),
        ("contradicted_number", 1, "3.1k"),
    ]
