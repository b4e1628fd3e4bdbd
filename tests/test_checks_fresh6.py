"""The gate's rules as the ninth session's fresh held-out rows (heldout78-83) taught them,
one idea per test: the paraphrase that must pass beside the defect that must block. The
facts are this file's own (a sports hall), not the rows': the idea is tested, not the row."""

from __future__ import annotations

from tests.test_checks_held_out import blocking

HALL = [
    "Today is Wednesday, 19 March 2025.",
    "Guests of members are free at the open evening on Friday, 4 April 2025, from 6 pm.",
    "Members may bring a guest free of charge only at weekends.",
    "The sauna is open Monday to Thursday from 7 am to 9 pm.",
    "There are no classes on Sundays.",
]
PEOPLE = {
    "customer": {"name": "Hanna Berg", "role": "member"},
    "agent": {"name": "Lars Eklund", "role": "front desk assistant at the sports hall"},
}


def errors(*texts: str, facts: list[str] = HALL, people: dict = PEOPLE) -> list[str]:
    return blocking(texts, facts, people)


def test_a_day_of_a_facts_habit_or_span_is_no_contradiction():
    asked = "Can I bring my sister along free on Tuesday evening?"
    said = "Members bring a guest free at weekends only, so on a Saturday or Sunday, not Tuesday."
    assert errors(asked, said) == []
    sauna = "Is the sauna open for guests on Wednesday?"
    assert errors(sauna, "Yes, the sauna is open Monday to Thursday, so on a Wednesday.") == []
    # a week the sentence names stays a contradiction ("next Friday" is not 4 April)
    assert "contradicted_date" in errors(
        "When is the open evening for guests?", "It's next Friday, from six."
    )
