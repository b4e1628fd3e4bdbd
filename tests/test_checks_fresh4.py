"""The gate's rules as the seventh session's fresh held-out rows taught them, one idea per
test: the paraphrase that must pass beside the defect that must block. The facts are this
file's own (a bakery in Montreal and a gallery), not the rows': the idea is tested, not the
row."""

from __future__ import annotations

from agents.values import values_in
from tests.test_checks_held_out import blocking

BAKERY = [
    "Today is Friday, 14 March 2025.",
    "A 750 ml bottle of cider costs 14,50 $.",
    "A sourdough loaf weighs 800 g and costs 7 $.",
    "The bakery is open Tuesday to Saturday from 7 h 30 to 18 h, and closed on Sundays and Mondays.",
    "The baking class lasts 2 hours and 15 minutes and starts at 09:30 on Saturday, 22 March 2025.",
    "The spring market runs on weekends from 2025-03-22 to 2025-04-20.",
    "The bakery keeps 30% of each consigned jar's price.",
    "Gift cards are valid for 6 months from 14 January 2025.",
    "The class accepts children aged 18 months to 5 years with a parent.",
]
PEOPLE = {
    "customer": {"name": "Lea Martin", "role": "HR assistant ordering for her company"},
    "agent": {"name": "Yves Caron", "role": "shop assistant at the bakery"},
}


def errors(*texts: str, facts: list[str] = BAKERY, people: dict = PEOPLE) -> list[str]:
    return blocking(texts, facts, people)


def test_the_french_clock_reads_hours_not_durations():
    assert [v.text for v in values_in("open from 7 h 30 to 18 h")] == ["07:30", "18:00"]
    asked = "When do you close today?"
    assert errors(asked, "We close at 18 h, so six in the evening.") == []
    assert errors(asked, "Until six in the evening, and it's more than a week to the market.") == []
    assert "contradicted_time" in errors(asked, "We close at 17 h today.")


def test_thousands_grouped_by_a_space_and_a_dollar_sign_after_the_amount():
    assert [v.amounts for v in values_in("two bottles give you 1 500 ml")][-1] == (1.5,)
    asked = "How much is the cider?"
    assert errors(asked, "It's 14,50 $, so two bottles are 29 $ and 1 500 ml in all.") == []
    assert "contradicted_money" in errors(asked, "It's 16,50 $ a bottle.")


def test_an_age_in_months_is_a_length_of_time():
    asked = "Can my daughter come? She's twenty months."
    assert errors(asked, "Yes, we take children from 18 months.") == []
    assert "contradicted_number" in errors(asked, "Yes, we take children from 12 months.")


def test_a_day_named_to_be_refused_is_not_stated():
    asked = "Is the class on Friday the 21st?"
    said = "No, it's on Saturday, 22 March, and not on Friday the 21st."
    assert errors(asked, said) == []
    assert errors(asked, "It's Saturday the 22nd; Sunday the 23rd would not be possible.") == []
    assert "contradicted_date" in errors(asked, "Yes, it's on Friday the 21st.")


def test_an_end_worked_out_from_the_facts_start_and_length():
    asked = "When does the class finish?"
    assert errors(asked, "It starts at half past nine and finishes at a quarter to twelve.") == []
    assert "contradicted_time" in errors(asked, "It starts at half past nine and ends at noon.")


def test_a_customer_s_own_office_is_no_role_swap():
    assert errors("Our office is on floor 4, can you deliver there?", "Yes, we can.") == []
    office = [*BAKERY, "The office at 12 Rue Peel takes special orders."]
    said = "Our office at 12 Rue Peel takes your special orders, madame."
    assert "role_swap" in errors("Hello!", "Hi.", said, facts=office)


def test_a_weekday_the_facts_name_as_a_habit():
    hours = [
        "Today is Thursday, 6 November 2025.",
        "The office is open 09:00 to 18:00 on weekdays and 09:00 to 12:00 on Saturday, and "
        "closed on Sundays.",
    ]
    asked = "Can I drop off the form this Sunday?"
    assert (
        errors(asked, "Sunday the office is closed; Saturday we're open 9 to 12.", facts=hours)
        == []
    )
    assert "contradicted_time" in errors(
        asked, "Sunday the office is closed; Saturday we're open 9 am to 2 pm.", facts=hours
    )


def test_the_rest_of_a_share_and_months_on_the_calendar():
    asked = "What do I get from a consigned jar?"
    assert errors(asked, "We keep 30%, so 70% of the price is yours.") == []
    assert "contradicted_number" in errors(asked, "We keep 40%, so 60% of the price is yours.")
    card = "How long is my gift card good for?"
    assert errors(card, "Six months from 14 January, so until 14 July 2025.") == []
    assert "contradicted_date" in errors(
        card, "Six months from 14 January, so until 14 August 2025."
    )


def test_a_season_s_weekends_listed_as_ranges():
    asked = "Which weekends is the market on?"
    said = "March 22-23, March 29-30, April 5-6, April 12-13 and April 19-20."
    assert errors(asked, said) == []
    assert "contradicted_date" in errors(asked, "From March 29 to April 27.")


REPAIRS = [
    "Today is Wednesday, 2 October 2024.",
    "Olusegun Adeyemi repairs washing machines and dryers; Hannah Lindqvist repairs fridges and ovens.",
    "The condo manager is Mr Ravi Chandran and the security supervisor is Ms Nur Aisyah.",
    "The induction on Monday is run by supervisor Priya Nair.",
]
STAFF = {
    "customer": {"name": "Rosa Delgado", "role": "homeowner"},
    "agent": {"name": "Kevin Marsh", "role": "booking coordinator"},
}


def test_a_person_given_the_duty_the_facts_give_someone_else():
    asked = "Who's coming for the washing machine?"
    assert (
        errors(
            asked, "That'll be Olusegun, he does the washing machines.", facts=REPAIRS, people=STAFF
        )
        == []
    )
    assert "contradicted_name" in errors(
        asked,
        "That'll be Hannah Lindqvist, she handles the washing machines.",
        facts=REPAIRS,
        people=STAFF,
    )
    gantry = "Who do I talk to about security?"
    assert (
        errors(gantry, "Ms Nur Aisyah, our security supervisor.", facts=REPAIRS, people=STAFF) == []
    )
    assert "contradicted_name" in errors(
        gantry,
        "Mr Ravi Chandran, our security supervisor, handles it.",
        facts=REPAIRS,
        people=STAFF,
    )
    assert (
        errors(  # both named, each with their own duty
            gantry,
            "Ravi Chandran is the condo manager and Nur Aisyah the security supervisor.",
            facts=REPAIRS,
            people=STAFF,
        )
        == []
    )


def test_a_speaker_who_takes_another_s_duty_themself():
    asked = "Who runs the induction on Monday?"
    assert errors(asked, "Priya Nair, our supervisor, runs it.", facts=REPAIRS, people=STAFF) == []
    assert "contradicted_name" in errors(
        asked, "That'll be me, I run the induction myself on Monday.", facts=REPAIRS, people=STAFF
    )


def test_persona_breaks_as_programs_drafts_and_characters():
    asked = "Do you keep late hours at the bakery?"
    for said in (
        "I keep no hours at all, being a computer program generating these letters.",
        "To be upfront, I'm not really a person, I'm a text generating program.",
        "(Writing this one as the shop assistant:) We close at 18 h.",
        "(Draft response for the shop assistant character, second version:) We close at 18 h.",
        "Okay, answering in character now: we close at 18 h.",
    ):
        assert "persona_break" in errors(asked, said), said
    for said in (
        "We close at 18 h; the old building has real character.",
        "I'm not really a person who stays late, but we close at 18 h.",
        "(Saturdays too.) We close at 18 h.",
    ):
        assert "persona_break" not in errors(asked, said), said


def test_the_served_and_the_serving_in_each_other_s_lines():
    asked = "Hi, I'd like to order a loaf."
    for said in (  # the shop assistant talks as a customer
        "Honestly, I dropped my cake off with you last week and I'm still waiting for your bakers.",
        "Actually, I'm keen to book myself in for the class, any spots left?",
        "Can you send somebody out to my place on Monday?",
    ):
        assert "role_swap" in errors(asked, said), said
    hello = "Hello, can I order for my office?"
    for said in (  # the customer talks as the business
        "Thank you for your interest in our loaves; we shall pay your share within 30 days.",
        "Perfect. Welcome to the bakery! I'll need a deposit.",
        "So here at the bakery we'll need a 20 $ deposit from you to hold the cake.",
    ):
        assert "role_swap" in errors(hello, "Of course.", said), said
    assert errors(hello, "Of course.", "Thanks, you're welcome to call my office too.") == []


RULES = [
    "Today is Monday, 3 March 2025.",
    "Cakes are decorated only by appointment with the head baker, Ms Anna Roy.",
    "Pets may enter only in a carrier, except assistance dogs.",
    "Orders of 15 or more cakes must be placed at least 24 hours in advance.",
    "The cake stand is lent and does not have to be returned unless the order is cancelled.",
]


def test_a_condition_the_facts_require_said_to_be_unneeded():
    asked = "Can I just drop by to get a cake decorated?"
    assert "contradicted_polarity" in errors(
        asked, "Certainly, there is no need for an appointment.", facts=RULES
    )
    assert errors(asked, "Only by appointment with Ms Roy, I'm afraid.", facts=RULES) == []
    dog = "Can my spaniel come in?"
    assert "contradicted_polarity" in errors(dog, "Sure, no carrier needed.", facts=RULES)
    assert (
        errors(dog, "Assistance dogs are the exception, they don't need a carrier.", facts=RULES)
        == []
    )
    big = "I want 12 cakes for tomorrow, do I need to order ahead?"
    assert (
        errors(big, "12 is under the 15-cake cutoff, so no advance order needed.", facts=RULES)
        == []
    )
    stand = "Do I have to bring the stand back?"
    assert errors(stand, "No, there is no need to return it.", facts=RULES) == []


HOURS = [
    "Today is Wednesday, 12 February 2025.",
    "Ice rentals are available every day from 6 h to 23 h.",
    "Phone support is open 08:00 to 20:00, Monday to Saturday.",
    "The minimum booking is 2 hours.",
]


def test_a_time_chosen_inside_the_hours():
    asked = "Could we take 21 h to 23 h on Friday?"
    assert errors(asked, "Nine to eleven p.m. is our last two-hour window.", facts=HOURS) == []
    call = "If I ring at seven forty-five tonight, will you pick up?"
    assert (
        errors(call, "Yes, quarter to eight is still fine, we close at eight.", facts=HOURS) == []
    )
    assert "contradicted_time" in errors(
        call, "Yes, we're open until quarter to eight.", facts=HOURS
    )


def test_the_days_a_weekday_range_counts():
    asked = "How many days a week can I call?"
    assert errors(asked, "Any of six days, Monday through Saturday.", facts=HOURS) == []


def test_a_firm_the_persona_works_for_is_no_person():
    facts = [
        "Today is Monday, 29 September 2025.",
        "The billing contact for account ACME-44 is Lena Fischer.",
    ]
    people = {
        "customer": {"name": "Omar Haddad", "role": "finance analyst at Acme Analytics"},
        "agent": {"name": "Chloe Martin", "role": "billing specialist"},
    }
    said = "Hi Chloe, Omar Haddad from Acme Analytics, account ACME-44. Who gets our bills?"
    assert errors(said, "The billing contact is Lena Fischer.", facts=facts, people=people) == []
    assert "contradicted_name" in errors(
        "Who is the billing contact?",
        "The billing contact on account ACME-44 is Erik Stone.",
        facts=facts,
        people=people,
    )


PAYMENT = [
    "Today is Tuesday, 14 October 2025.",
    "Only credit cards and IC cards are accepted; cash is not accepted.",
    "Home visits are only offered to patients living within 10 miles of the clinic.",
    "A bottle of rum holds 700 ml.",
]


def test_the_options_an_only_fact_allows_restated():
    asked = "I only have a 10,000 yen note. Is that all right?"
    said = "I'm sorry, we cannot take cash. You may pay by credit card or by an IC card."
    assert errors(asked, said, facts=PAYMENT) == []
    assert "contradicted_polarity" in errors(
        asked, "Sure, you may pay by cash or by credit card.", facts=PAYMENT
    )


def test_merely_is_no_limit_and_a_decimal_of_one_unit():
    from agents.grounding import negative

    assert not negative("I'm only 3 miles away, so that part's easy.")
    assert negative("Visits are only offered within 10 miles.")
    assert [v.amounts for v in values_in("It's seventy centilitres, 0.7 of a litre.")][-1] == (0.7,)


CLINIC = [
    "Today is Friday, 18 October 2024.",
    "The pharmacist on duty this week is Priya Raman and the dispensing technician is Tom Akers.",
    "The garden coordinator is Tomás Reyes.",
]
DESK = {
    "customer": {"name": "Rachel Dunne", "role": "patient"},
    "agent": {"name": "Ruth Allen", "role": "garden volunteer"},
}


def test_duties_read_with_plural_names_accents_and_self_introductions():
    asked = "Can someone check my prescription?"
    assert errors(asked, "The pharmacist on duty is Priya Raman.", facts=CLINIC, people=DESK) == []
    assert "contradicted_name" in errors(
        asked, "The pharmacist on duty this week is Tom Akers.", facts=CLINIC, people=DESK
    )
    who = "Who's the garden coordinator?"
    assert errors(who, "That's Tomás Reyes.", facts=CLINIC, people=DESK) == []
    assert "contradicted_name" in errors(
        who, "That's me, Ruth - I'm the coordinator.", facts=CLINIC, people=DESK
    )
    assert "contradicted_name" in errors(
        who, "I am Ruth Allen, the garden coordinator, so I can help.", facts=CLINIC, people=DESK
    )


def test_the_listener_called_by_a_wrong_surname_at_a_sentence_end():
    asked = "See you Monday then."
    assert "contradicted_name" in errors(
        asked, "Perfect. See you on Monday, Ms Doyle.", facts=CLINIC, people=DESK
    )
    assert errors(asked, "Perfect. See you on Monday, Ms Dunne.", facts=CLINIC, people=DESK) == []
    assert errors("My GP, Dr Hegarty, sent me.", "Thanks, Rachel.", facts=CLINIC, people=DESK) == []


def test_more_breaks_and_swaps_in_their_common_forms():
    asked = "How much is the cider?"
    for said in (
        "Sure! Here is the clerk's next line, written in a friendly voice: \"It's 14,50 $!\"",
        "I am only a simulated character in this practice dialogue, but it's 14,50 $.",
        "Okay, continuing the scenario in my role as the shop assistant: it's 14,50 $.",
    ):
        assert "persona_break" in errors(asked, said), said
    for said in (
        "Quick q from my side tho - could u tell me the fee?",
        "I need to register my own son before the deadline, how much do you charge?",
    ):
        assert "role_swap" in errors(asked, said), said
    assert "role_swap" in errors(
        "Hello, I'd like a cake.", "Of course.", "Right, on our side I'll have your cake ready."
    )
    assert errors("Hello, I'd like a cake.", "Of course, on our side it's all ready.") == []
