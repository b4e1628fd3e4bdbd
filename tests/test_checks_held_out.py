"""The gate's rules as the held-out rows taught them: one idea per test, each with the
paraphrase that must pass and the defect that must block (never a rule for one row)."""

from __future__ import annotations

import pytest

from agents.checks import check_dialogue
from agents.values import values_in

FERRY = [
    "Today is Thursday, 5 June 2025.",
    "Booking FK-4471 is for the 14:15 sailing from Ardmore on Saturday, 7 June 2025; the "
    "crossing takes 1 hour 40 minutes.",
    "The booking covers 2 adults and 1 car, and the fare paid was £186.",
    "Check-in closes 45 minutes before departure.",
    "Changes made at least 72 hours before departure are free; later changes cost £25.",
    "Dr. Ines Marquez sees patients at 2:15 pm.",
    "A consultation lasts 30 minutes.",
    "The car is 1.6 m high; vehicles over 1.85 m high must be booked as high vehicles.",
    "Business mileage can be claimed at 45p per mile for the first 10,000 miles.",
    "Late returns cost 25 cents per item per day, up to a maximum of $5 per item.",
    "The repair crew is led by Dev Malhotra.",
    "The courier needs a signature and does not leave parcels with neighbours.",
    "No claim is needed; compensation is paid automatically.",
    "The follow-up visit is free.",
]
PEOPLE = {
    "customer": {"name": "Gareth Pryce", "role": "passenger"},
    "agent": {"name": "Priya Nair", "role": "reservations adviser"},
}


def blocking(texts: tuple[str, ...], facts: list[str], personas: dict) -> list[str]:
    """The blocking findings of a dialogue whose turns alternate, the customer first (shared
    by the other test_checks_* files)."""
    turns = [{"speaker": ("customer", "agent")[i % 2], "text": t} for i, t in enumerate(texts)]
    found = check_dialogue(turns, facts=facts, personas=personas)
    return [f.check for f in found if f.severity == "error"]


def errors(*texts: str, facts: list[str] = FERRY) -> list[str]:
    return blocking(texts, facts, PEOPLE)


@pytest.mark.parametrize(
    ("text", "cls", "amount"),
    [
        ("The crossing's 1h40.", "q:duration", 6000.0),
        ("The limit is one metre eighty-five.", "q:length", 1.85),
        ("It's fourteen pounds fifty per child.", "money", 14.5),
        ("Late returns are 25 cents per item per day.", "money", 0.25),
        ("It's 45p per mile.", "money", 0.45),
        ("Up to two pints, no bigger.", "q:volume", 1.136),
        ("It's three-quarters of an hour.", "q:duration", 2700.0),
        ("Think a dozen bottles.", "count:bottle", 12.0),
        ("We're dropping off fifty packing boxes.", "count:box", 50.0),
    ],
)
def test_spoken_and_compound_values_parse(text: str, cls: str, amount: float):
    values = [v for v in values_in(text) if v.cls == cls]
    assert values and values[0].amounts[0] == pytest.approx(amount, rel=1e-3)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("back by half four", 990.0), ("a quarter till five", 1005.0), ("by 9h30", 570.0)],
)
def test_spoken_times_parse(text: str, minutes: float):
    times = [v for v in values_in(text) if v.cls == "time"]
    assert times and minutes in times[0].amounts


def test_a_rate_per_item_per_day_is_a_daily_rate():
    (value,) = values_in("Late returns cost 25 cents per item per day.")
    assert value.per == 86400.0


def test_a_derivation_needs_no_cue_when_the_sentence_speaks_of_every_operand():
    # 14:15 − 45 minutes, both facts spoken of: check-in and the sailing
    assert errors("We're on the 14:15 sailing.", "Check-in closes at 13:30, then.") == []
    # 2:15 pm + 30 minutes of another fact (a consultation's length) is not Dr. Marquez's time
    assert errors("When can I see Dr. Marquez?", "Dr. Marquez can see you at 2:45 pm.") == [
        "contradicted_time"
    ]


def test_a_sentence_that_restates_a_fact_must_show_its_operands():
    assert errors("What did I pay?", "The fare paid was £211.") == ["contradicted_money"]
    assert errors("What if I change now?", "£186 plus the £25 change fee, so £211 all told.") == []


def test_sums_spans_and_differences_of_the_grounding():
    assert errors("Is my car too high?", "You've 25 cm to spare under the 1.85 m limit.") == []
    assert errors("When is it?", "Saturday the 7th, the day after tomorrow.") == []
    assert errors("How long until I sail?", "The 7th of June, two days from today.") == []


def test_a_date_with_the_wrong_weekday_contradicts_the_calendar():
    assert errors("When do I sail?", "On Friday, 7 June.") == ["contradicted_date"]
    assert errors("When do I sail?", "On Saturday, 7 June.") == []


def test_values_within_a_bound_are_not_contradictions():
    assert errors("Hello.", "If you did about 6,000 miles for work, that's all covered.") == []
    assert errors("Hello.", "You can claim for the first 12,000 miles.") == ["contradicted_unit"]


def test_a_cap_over_a_daily_rate_is_a_number_of_days():
    late = "Once a book is 20 days late, it stops at five dollars."
    assert errors("What if I forget?", late) == []
    assert errors(
        "What if I forget?",
        "It stops at five dollars once a book is 20 days late, at 50 cents a day.",
    ) == ["contradicted_money"]


def test_role_flips_in_plain_prose():
    assert errors("Is there anything else I can help you with today?") == ["role_swap"]
    assert errors(
        "Hello.", "Actually, while I've got you: my car is 1.6 m high, do I need to book it?"
    ) == ["role_swap"]
    assert errors("Hello.", "Anything else I can help with?") == []  # the adviser's own line


def test_a_bare_yes_to_what_a_negated_fact_rules_out():
    ask = "If I'm not in, can the courier leave it with my neighbour?"
    assert errors(ask, "Yes, they can.") == ["contradicted_polarity"]
    assert errors(ask, "No, they need a signature.") == []


def test_polarity_by_the_predicate_the_fact_negates():
    assert errors("Do I claim?", "You'll need to fill in the claim form.") == [
        "contradicted_polarity"
    ]
    assert errors("Do I claim?", "No claim needed, it's automatic.") == []
    assert errors("And the follow-up visit?", "The follow-up visit is charged in full.") == [
        "contradicted_polarity"
    ]


def test_people_credited_with_a_fact_about_someone_else():
    assert errors("Who's on it?", "The crew is led by Sean Doherty.") == ["contradicted_name"]
    assert errors("Who's on it?", "Dev Malhotra's crew is on it.") == []


def test_a_place_is_not_a_self_introduction():
    facts = [*FERRY, "A burst main on Larch Road cut the supply."]
    assert errors("Hi, Larch Road here, no water since six.", facts=facts) == []


def test_a_bare_number_takes_the_kind_of_the_one_number_its_fact_gives():
    facts = ["Saturday group classes start at 7:15 am and are capped at 20 people."]
    assert errors("Are they busy?", "We cap them at 30, so book early.", facts=facts) == [
        "contradicted_number"
    ]
    assert errors("Are they busy?", "We cap them at 20, so book early.", facts=facts) == []


def test_a_customer_may_err_but_staff_may_not_confirm_it():
    wrong = "So the fare paid was £168, I think."
    assert errors(wrong, "No, it was £186.") == []  # corrected: faithful
    assert errors(wrong, "Yes, that's right.") == ["contradicted_money"]  # confirmed: a defect


def test_a_bare_dollar_is_whichever_dollar_the_grounding_uses():
    facts = ["The package costs AUD 1,890 per adult."]
    two = "The package costs {} for the pair of you."
    assert errors("And for two?", two.format("$3,780"), facts=facts) == []
    assert errors("And for two?", two.format("€3,780"), facts=facts) == ["contradicted_money"]
