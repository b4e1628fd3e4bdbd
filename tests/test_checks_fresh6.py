"""The gate's rules as the ninth session's fresh held-out rows (heldout78-83) taught them,
one idea per test: the paraphrase that must pass beside the defect that must block. The
facts are this file's own (a sports hall), not the rows': the idea is tested, not the row."""

from __future__ import annotations

from agents.checks import check_dialogue
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


LICENCE = [
    "Today is Tuesday, 13 January 2026.",
    "Applications for a place starting in August 2026 must be submitted by 31.3.2026.",
    "For any other start date, apply at least 4 months before the desired start.",
    "Drivers aged 70 or over need a medical certificate that is no older than 3 months.",
    "A day pass costs 119,00 EUR per adult; children aged 10-15 pay 89,00 EUR.",
    "Boots are not included but can be rented for 15,00 EUR a pair.",
]
OFFICE = {
    "customer": {"name": "Jonas Berg", "role": "parent"},
    "agent": {"name": "Liisa Maki", "role": "coordinator at the city office"},
}


def office(*texts: str) -> list[str]:
    return blocking(texts, LICENCE, OFFICE)


def test_a_turn_of_digits_alone_says_something():
    said = office("When does your current licence expire?", "30.11.2026.")
    assert "empty_turn" not in said
    assert "empty_turn" in office("When does it expire?", "...")


def test_a_dotted_day_and_month_is_a_date_and_months_count_on_the_calendar():
    asked = "We would rather start already 1.6., my leave ends in May."
    said = "Then it is four months before, so the application must be submitted by 1.2.2026."
    assert office(asked, said) == []
    assert "contradicted_date" in office(asked, said.replace("1.2.2026", "1.4.2026"))


def test_an_age_said_in_years_is_the_facts_age():
    asked = "My father is 72. Does he need a doctor's paper?"
    ok = "Yes, from 70 years a certificate is needed, and it cannot be older than three months."
    assert office(asked, ok) == []
    assert "contradicted_number" in office(asked, ok.replace("70 years", "75 years"))


def test_a_sentence_that_keeps_the_facts_negation_in_another_part():
    asked = "Does my mother need a medical certificate?"
    ok = "Yes, at 70 a medical certificate is needed, and it cannot be older than three months."
    assert office(asked, ok) == []
    bad = "Yes, at 70 a medical certificate is needed, and it can be older than three months."
    assert office(asked, bad) != []


def test_a_price_each_and_a_total_over_the_counts_the_customer_gave():
    asked = "We are two adults and two kids, 12 and 14. How much for everybody?"
    said = "Adults are 119 euros each and the kids 89 each. That is 416,00 EUR together."
    assert office(asked, said) == []
    assert "contradicted_money" in office(asked, said.replace("416,00", "426,00"))
    assert "contradicted_money" in office(asked, said.replace("89 each", "79 each"))
    boots = "So 446 in total with boots for the two kids."
    assert office(asked, said, boots, "Exactly, 446,00 EUR.") == []
    assert "contradicted_money" in office(asked, said, boots, "Exactly, 456,00 EUR.")


def test_the_hours_between_two_departure_times_measure_nothing():
    facts = [
        "Today is Saturday, 18 July 2026.",
        "The 3-hour glacier walk departs daily at 09:30 and 14:00 from the car park.",
    ]
    asked = "How long does the glacier walk take?"
    assert errors(asked, "It's three hours, so you're back by half twelve.", facts=facts) == []
    assert "contradicted_number" in errors(asked, "The walk takes about five hours.", facts=facts)
    facts = ["Today is Saturday, 18 July 2026.", "The ice cave tour runs from 09:30 to 14:00."]
    cave = "And the ice cave tour, how long is it?"  # a span's hours are its length
    assert errors(cave, "The ice cave tour is about four and a half hours.", facts=facts) == []


def test_an_actor_in_a_training_video_breaks_the_persona():
    asked = "What does the open evening cost for a guest?"
    said = "I'm actually an actor playing the desk assistant in this training video, but it's free."
    assert "persona_break" in errors(asked, said)
    assert "persona_break" in errors(asked, "As an actor reading the desk lines: it's free.")
    assert errors("Are you in the show?", "No, I'm an actor only on Saturdays, ha.") == []


def test_a_customer_who_speaks_as_the_staffs_role_without_an_article():
    said = "So, as front desk assistant I can tell you guests are free at the open evening."
    opening = ("Hello, it's about the open evening.", "Good morning, what would you like to know?")
    assert "role_swap" in errors(*opening, said)
    assert errors(*opening, "So, as a member I can bring a guest free at weekends?") == []


BAKERY = [
    "Today is Saturday, 12 April 2025.",
    "Delivery is free for orders above ₹10,000; smaller orders pay a ₹250 delivery charge.",
    "The next batch starts on Monday, 21 April 2025.",
    "The deposit is non-refundable if you cancel less than 7 days before the start date.",
]


def test_the_customers_own_figure_against_a_threshold_and_its_other_case():
    asked = "Free delivery is above ₹6,000, na? My order comes to ₹7,200."
    said = "Free delivery starts only above ₹10,000. For ₹7,200 there is the ₹250 charge."
    assert errors(asked, said, facts=BAKERY) == []
    assert "contradicted_money" in errors(asked, said.replace("₹250", "₹350"), facts=BAKERY)
    wrong = "Yes, delivery is free for orders above ₹6,000."
    assert "contradicted_money" in errors(asked, wrong, facts=BAKERY)


def test_the_days_between_two_dates_the_dialogue_gives():
    asked = "Suppose I cancel on the 16th. Will I get my deposit back?"
    said = "The 16th is only five days before the start on the 21st, so the deposit is kept."
    assert errors(asked, said, facts=BAKERY) == []
    turns = [{"speaker": "customer", "text": asked}, {"speaker": "agent", "text": said}]
    wrong = [turns[0], {"speaker": "agent", "text": said.replace("five days", "eight days")}]
    found = check_dialogue(turns, facts=BAKERY, personas=PEOPLE)
    assert [f.evidence for f in found] == ["the 16th"]  # the customer's day: unsupported
    found = check_dialogue(wrong, facts=BAKERY, personas=PEOPLE)  # not the days between: at
    assert "8 days" in [f.evidence for f in found]  # least unsupported, under the rule's bound


def test_a_scripted_bot_that_no_one_reads():
    asked = "What's the monthly rent?"
    said = "Just so you know, these messages come from a scripted bot; no actual executive is reading this chat."
    assert "persona_break" in errors(asked, said)
    assert (
        errors(asked, "No real person is needed at pickup: the locker opens with your code.") == []
    )


COURTS = [
    "Today is Saturday, 8 June 2024.",
    "Courts open at 6:00 am and close at 10:00 pm every day.",
    "Outdoor court lights cost an extra $6 per hour after 8:00 pm.",
    "Orders placed before 11:00 am are ready the same day.",
    "Files must be at least 150 dpi at full size, or the shop will not print them.",
]


def test_hours_given_as_opening_and_closing_times_hold_a_booking():
    asked = "Can I get a court tomorrow, maybe noon till 2?"
    assert errors(asked, "Noon to two on Sunday the 9th, I can do that.", facts=COURTS) == []
    slot = "And I've got Court 6 at 4:30, right?"
    assert errors(slot, "4:30 to 5:30, yep, Court 6.", facts=COURTS) == []
    hours = "When do the courts open?"
    assert "contradicted_time" in errors(hours, "Courts open at 7 am every day.", facts=COURTS)
    assert "contradicted_time" in errors(hours, "We open at 6 and close at 9 pm.", facts=COURTS)


def test_a_time_named_as_the_anchor_of_an_offset():
    asked = "If I order before noon it's same day, right?"
    said = "The cutoff's actually an hour before noon, 11 am."
    assert errors(asked, said, facts=COURTS) == []
    assert "contradicted_time" in errors(asked, said.replace("11 am", "11:30 am"), facts=COURTS)


def test_a_restated_minimum_keeps_a_conditional_facts_negation():
    asked = "My designer says you need 300 dpi minimum or you reject the file?"
    said = "Oh, no — our minimum is 150 dpi at the full print size."
    assert errors(asked, said, facts=COURTS) == []
    assert "contradicted_number" in errors(asked, said.replace("150", "100"), facts=COURTS)


REBATES = [
    "Today is Monday, 2 March 2026.",
    "The agency charges a fee of 15% of the rebate received, with a minimum fee of £40.",
    "HMRC normally takes 6 to 8 weeks to process a claim after it is submitted.",
    "Picking shifts run from 07:00 to 13:00.",
    "Each visit lasts 45 minutes.",
    "The session runs 2 hours 25 minutes; tickets can be exchanged up to 2 hours before it.",
]


def rebate(*texts: str) -> list[str]:
    return errors(*texts, facts=REBATES)


def test_an_emoji_answers_in_a_chat():
    assert "empty_turn" not in rebate("see u in 10", "🏃‍♀️💨")
    assert "empty_turn" in rebate("see u in 10", "... !")


def test_and_a_half_in_every_unit_and_a_hedge_over_a_range():
    from agents.values import values_in

    assert [v.amounts for v in values_in("two and a half hours")] == [(9000.0,)]
    assert [v.text for v in values_in("a month and a half")] == ["1.5 months"]
    assert [v.approx for v in values_in("about 6 to 8 weeks")] == [True, True]
    asked = "When might HMRC finish processing?"
    assert rebate(asked, "Roughly a month and a half to two months from submission.") == []
    assert "contradicted_number" in rebate(asked, "Roughly three to four months from submission.")


def test_the_customers_sum_as_the_base_of_the_facts_percentage():
    asked = "My expected rebate is only £200, so by my arithmetic your 15% fee would come to £30."
    said = "Fifteen per cent of £200 is indeed £30; however, the minimum fee is £40, so in your case the fee would be £40."
    assert rebate(asked, said) == []
    assert "contradicted_money" in rebate(asked, said.replace("would be £40", "would be £35"))


def test_a_range_ruled_out_as_a_whole():
    asked = "And shifts are 8 till 2, yeah?"
    assert rebate(asked, "It's actually 7 till 1, not 8 till 2.") == []
    assert "contradicted_time" in rebate(asked, "Yes, 8 till 2.")


def test_a_rate_per_week_from_a_count_per_week_and_a_facts_length():
    asked = "How many visits a week, and how many hours is that?"
    said = "Fourteen visits a week; each is 45 minutes, so it works out to 10.5 hours a week."
    assert rebate(asked, said) == []
    assert "contradicted_number" in rebate(asked, said.replace("10.5", "12"))


def test_a_bound_kept_by_another_fact_the_sentence_speaks_of():
    asked = "Parking is free for three hours, will we be fine?"
    said = "Yes, and the whole session is under two and a half hours, so you'll be fine."
    assert rebate(asked, said) == []
    assert "contradicted_number" in rebate(asked, said.replace("two and a half", "one and a half"))


def test_a_customer_who_introduces_the_businesss_prices_and_hours_speaks_its_lines():
    facts = [
        "Today is Wednesday, 5 November 2025.",
        "Orders must be placed by 4:00 pm for delivery the next morning.",
        "Delivery is free for orders above ₹10,000; smaller orders pay a ₹250 delivery charge.",
        "Milk bread is ₹68 per 400 g loaf.",
    ]
    flipped = (
        "Good morning. Kindly note that orders must reach us by 4 pm, and below ₹10,000 we add ₹250.",
        "Understood. I would like 60 loaves of milk bread for my café.",
    )
    assert "role_swap" in errors(*flipped, facts=facts)
    asked = (
        "What time must I order by, and what does delivery cost?",
        "By 4 pm for the next morning; below ₹10,000 there is a ₹250 charge.",
        "So by 4 pm, and ₹250 for my small order. Fine, I'll order 20 loaves at ₹68 each.",
    )
    assert errors(*asked, facts=facts) == []  # echoed, then one price the customer chose


FESTIVAL = [
    "Today is Thursday, 2 October 2025.",
    "A full pass costs £120; a weekend pass, valid on Saturday 11 and Sunday 12 October only, "
    "costs £45.",
    "Students with valid ID get a third off the full pass.",
    "Refrigerant top-ups are not included in the service price.",
]


def fest(*texts: str) -> list[str]:
    return errors(*texts, facts=FESTIVAL)


def test_a_hedged_figure_beside_the_exact_one():
    asked = "What's the cheapest way in?"
    assert fest(asked, "The weekend pass: just under fifty quid, forty-five exactly.") == []
    assert (
        fest(asked, "The weekend pass is getting on for fifty quid, forty-five to be exact.") == []
    )
    assert "contradicted_money" in fest(asked, "The weekend pass: about seventy quid.")


def test_a_fraction_off_a_price():
    asked = "It's half price for students, isn't it?"
    said = "It's a third off the full pass, so the hundred and twenty comes down to eighty pounds."
    assert fest(asked, said) == []
    assert "contradicted_money" in fest(asked, said.replace("eighty", "ninety"))


def test_a_list_of_weekdays_before_a_list_of_days():
    asked = "Which days does the weekend pass cover?"
    assert fest(asked, "It covers the Saturday and Sunday, the eleventh and twelfth.") == []
    assert "contradicted_date" in fest(asked, "It covers Sunday, the eleventh.")


def test_charged_on_top_agrees_with_not_included():
    asked = "If he tops up the refrigerant, is that in the price?"
    assert (
        fest(
            asked, "No, the service price covers the service itself; refrigerant's charged on top."
        )
        == []
    )
    assert "contradicted_polarity" in fest(
        asked, "Yes, refrigerant top-ups are included in the service price."
    )
