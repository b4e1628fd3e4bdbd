"""The gate's rules as the eighth session's fresh held-out rows (heldout72-77) taught them,
one idea per test: the paraphrase that must pass beside the defect that must block. The
facts are this file's own (a mountain guide office and a boat yard), not the rows': the idea
is tested, not the row."""

from __future__ import annotations

from agents.people import known_people
from tests.test_checks_held_out import blocking

GUIDES = [
    "Today is Wednesday, 9 July 2025.",
    "A guided glacier walk costs €140 per person; a private guide for the day costs €480.",
    "Crampon hire costs €12 per day; there is no charge for helmets.",
    "Transfers are charged at €2 per kilometre beyond the first 20 km from the office.",
    "Route questions are handled by Dr Ingrid Falk; bookings are arranged by Mr. Tobias Lund of "
    "the Valley Guides Association.",
    "Safety complaints are referred to Chief Warden Ms. Petra Holm.",
    "The office is open from 07:00 to 19:00 every day.",
]
PEOPLE = {
    "customer": {"name": "Hanna Berg", "role": "walker booking a glacier walk"},
    "agent": {"name": "Lars Eklund", "role": "booking assistant at the guide office"},
}


def errors(*texts: str, facts: list[str] = GUIDES, people: dict = PEOPLE) -> list[str]:
    return blocking(texts, facts, people)


def test_a_name_in_the_facts_is_read_whole_past_its_title():
    people, _ = known_people(PEOPLE, GUIDES)
    names = {p.tokens for p in people}
    assert frozenset({"ingrid", "falk"}) in names  # "handled by Dr Ingrid Falk"
    assert frozenset({"tobias", "lund"}) in names  # "Mr. Tobias Lund of the ..."
    asked = "Who arranges the bookings?"
    assert errors(asked, "That's Tobias Lund of the Valley Guides Association.") == []
    assert errors("Who answers route questions?", "Ingrid Falk does, Dr Falk.") == []
    assert "contradicted_name" in errors(asked, "That's Tobias Lindqvist, of the association.")
    assert "contradicted_name" in errors("Who answers route questions?", "Dr Ingrid Sand does.")


def test_a_word_the_facts_capitalise_before_a_surname_is_a_title():
    asked = "Who would deal with a safety complaint?"
    assert errors(asked, "It goes to Ms. Petra Holm, so Warden Holm would deal with it.") == []
    assert "contradicted_name" in errors(asked, "It goes to Ms. Anna Holm, our chief warden.")


def test_a_total_of_amounts_said_along_the_way():
    asked = "Two of us, with crampons, and we're 35 km out. What's the damage?"
    said = (
        "The walk is €140 each, so €280, and crampons are €12 a day each, €24. Fifteen "
        "kilometres over the free twenty at €2 is €30. All up €334."
    )
    assert errors(asked, said) == []
    assert "contradicted_money" in errors(asked, said.replace("€334", "€344"))


YARD = [
    "Today is Monday, 4 August 2025.",
    "The boat lift runs from 22:00 to 06:00 only, to keep the quay free by day.",
    "The yard office is open from 08:30 to 16:30 on weekdays.",
    "The standard mooring buoy holds a chain of 2 500 kilograms at most.",
    "Antifouling costs €18 per metre of hull; there is no charge for the pressure wash.",
    "The survey of the Marlin is booked for Thursday 7 August 2025 at 10:00.",
    "Cancelling the survey is free only up to 48 hours before it starts.",
]


def test_a_weekday_before_a_time_of_day_is_no_date():
    asked = "Until when can I cancel the survey for free?"
    said = "Up to 48 hours before it starts at ten, so until Tuesday, ten in the morning."
    assert errors(asked, said, facts=YARD) == []
    assert "contradicted_date" in errors(asked, "It's on Tuesday the 10th.", facts=YARD)


def test_a_half_before_weeks_ago_and_space_grouped_thousands_before_a_unit_word():
    from agents.values import values_in

    assert [v.text for v in values_in("about two and a half weeks ago")] == ["2.5 weeks"]
    assert [v.amounts for v in values_in("2 500 kilograms")] == [(2500000.0,)]  # grams
    asked = "How heavy a chain does the buoy take?"
    assert errors(asked, "Two and a half tonnes, so 2 500 kilograms.", facts=YARD) == []
    assert "contradicted_unit" in errors(asked, "Up to 1 500 kilograms.", facts=YARD)


def test_hours_past_midnight_and_a_time_refused_outside_the_hours():
    asked = "Can the lift take her at half five in the morning?"
    said = "Yes, it runs from ten at night till six in the morning, so 05:30 falls inside it."
    assert errors(asked, said, facts=YARD) == []
    asked = "Could I come by the office at five in the afternoon?"
    said = "We're open 08:30 to 16:30, so 17:00 is out, I'm afraid."
    assert errors(asked, said, facts=YARD) == []
    assert "contradicted_time" in errors(asked, "Yes, we're open until 17:00.", facts=YARD)


def test_a_pause_asked_for_on_the_call_is_small_talk():
    facts = [*YARD, "A booking can be changed free of charge up to 2 hours before it starts."]
    asked = "Can I still move the survey?"
    said = "Give me two minutes to pull it up. Right, yes, free of charge up to two hours before."
    assert errors(asked, said, facts=facts) == []
    assert "contradicted_number" in errors(
        "Can I still move the survey?", "Yes, free up to two minutes before.", facts=facts
    )
