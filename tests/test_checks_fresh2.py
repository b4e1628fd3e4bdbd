"""The gate's rules as the fifth session's fresh held-out rows taught them, one idea per test:
the paraphrase that must pass beside the defect that must block. The facts are this file's
own (a copy shop), not the rows': the idea is tested, not the row."""

from __future__ import annotations

from datetime import date

from agents.values import values_in
from tests.test_checks_held_out import blocking

SHOP = [
    "Today is Monday, 10 March 2025.",
    "Binding a thesis costs ₹450 per copy, and a colour cover costs ₹120 extra.",
    "Adult passes cost ₹250 and student passes cost ₹150.",
    "One sheet is counted as up to 2 printed sides.",
    "Large-format posters are printed at 9:00 am and 5:00 pm on weekdays.",
    "Bound copies of Ms. Rao's thesis will be ready on Friday, 28 March 2025.",
    "Print manager Kavya Menon signs off every thesis order.",
    "Orders above ₹2,000 get free delivery; smaller orders are charged ₹100 for delivery.",
    "Printed orders cannot be refunded once printing has begun.",
]
PEOPLE = {
    "customer": {"name": "Arjun Shah", "role": "student"},
    "agent": {"name": "Neha Iyer", "role": "shop assistant"},
}


def errors(*texts: str, facts: list[str] = SHOP) -> list[str]:
    return blocking(texts, facts, PEOPLE)


def test_a_24_hour_clock_time_said_in_hours():
    (value,) = values_in("The last run is at 1700 hours.")
    assert value.cls == "time" and 17 * 60 in value.amounts
    (flown,) = values_in("She has logged 1500 hours of flight time.")
    assert flown.cls == "q:duration"  # a quantity of hours, not a clock time
    asked = "When are the posters printed?"
    assert errors(asked, "At 0900 hours and again at 1700 hours, on weekdays.") == []
    assert "contradicted_time" in errors(asked, "At 0900 hours and again at 1800 hours.")


def test_a_total_of_the_sentence_s_own_figures():
    asked = "Two adults and three students, what's the total?"
    total = "That is 500 for the two adults and 450 for the students, so 950 rupees altogether."
    assert errors(asked, total) == []
    assert "contradicted_money" in errors(asked, total.replace("950 rupees", "990 rupees"))


def test_a_wrong_rate_that_agrees_with_its_own_total_still_blocks():
    asked = "How much for three bound copies?"
    wrong = "Binding is ₹480 a copy, so three copies come to ₹1,440."
    assert "contradicted_money" in errors(asked, wrong)
    assert errors(asked, "Binding is ₹450 a copy, so three copies come to ₹1,350.") == []


def test_a_currency_abbreviation_with_a_full_stop_does_not_end_the_sentence():
    asked = "What do three bound copies cost?"
    said = "They are Rs. 450 each, so three of them make Rs. 1,350."
    assert errors(asked, said) == []
    assert "contradicted_money" in errors(asked, said.replace("Rs. 450", "Rs. 470"))


def test_a_fact_that_defines_a_unit_is_not_a_count_of_it():
    asked = "My thesis has 170 printed sides. How many sheets is that?"
    faithful = "A sheet holds up to two printed sides, so your thesis comes to 85 sheets."
    assert errors(asked, faithful) == []
    assert errors(asked, "That would be 85 sheets, then.") == []
    wrong = "We count one sheet as up to 4 printed sides, so that is about 43 sheets."
    assert "contradicted_number" in errors(asked, wrong)


def test_the_nth_of_next_month():
    today = date(2025, 3, 10)
    (value,) = values_in("It will be ready on the 28th of next month.", today)
    assert value.dates == ((2025, 4, 28),)
    asked = "When will my bound copies be ready?"
    assert errors(asked, "They will be ready on the 28th of this month.") == []
    assert "contradicted_date" in errors(asked, "They will be ready on the 28th of next month.")


def test_a_figure_said_exactly_is_not_a_count_of_exactlies():
    (value,) = values_in("Four thousand two hundred and twenty exactly, madam.")
    assert value.cls == "q:bare" and value.number == 4220


def test_a_case_on_either_side_of_a_threshold_is_not_a_claim_about_it():
    asked = "I need 600 copies of my flyer, do I get free delivery?"
    assert errors(asked, "You do, since orders above ₹2,000 are delivered free.") == []
    assert errors("My order is only 800 rupees.", "Then delivery is ₹100.") == []
    wrong = "Orders above ₹1,500 are delivered free."
    assert "contradicted_money" in errors(asked, wrong)


def test_a_rate_per_thing_per_day_times_two_counts():
    facts = [*SHOP, "Late returns of hired equipment are charged ₹50 per item per day."]
    asked = "If I bring the laminator and the guillotine back 3 days late, what do I owe?"
    right = "₹50 per item per day, so 2 items x 3 days comes to ₹300."
    assert errors(asked, right, facts=facts) == []
    assert "contradicted_money" in errors(asked, right.replace("₹300", "₹320"), facts=facts)


def test_two_prices_mixed_in_one_total():
    asked = "Two adults and a student, please. What do I pay?"
    said = "Adults are ₹250 each and the student rate is ₹150, so ₹650 for the three of you."
    assert errors(asked, said) == []
    assert "contradicted_money" in errors(asked, said.replace("₹650", "₹730"))


def test_unable_and_paid_separately_keep_the_negation():
    asked = "Can I get my money back after you start printing?"
    assert errors(asked, "Once printing has begun, we are unable to refund the order.") == []
    wrong = "Once printing has begun we can still refund it."
    assert "contradicted_polarity" in errors(asked, wrong)


def test_naming_the_person_of_a_free_service_does_not_deny_it():
    facts = [*SHOP, "Advisor Dev Patil gives free layout consultations on Saturdays."]
    asked = "Someone gave me an advisor's number. Patil, was it?"
    named = "Yes, that would be Mr. Dev Patil, our layout advisor."
    assert errors(asked, named, facts=facts) == []
    priced = "Mr. Dev Patil, our layout advisor, charges ₹300 for a consultation."
    assert errors(asked, priced, facts=facts)


def test_a_range_s_bare_end_is_a_clock_time():
    assert [v.text for v in values_in("Tuesday evenings, 6:30 to 9.")][-1] == "9:00"
    facts = [*SHOP, "The shop is open from 8:30 am to 6:00 pm on weekdays."]
    asked = "What are your hours on weekdays?"
    assert errors(asked, "On weekdays we're open 8:30 to 6.", facts=facts) == []
    assert "contradicted_time" in errors(asked, "On weekdays we're open 8:30 to 7.", facts=facts)


def test_a_surname_with_an_inner_capital_is_a_surname():
    facts = [*SHOP, "Complaints officer Fiona MacDonald handles misprint complaints."]
    asked = "Who handles misprint complaints?"
    assert errors(asked, "That's Fiona MacDonald, our complaints officer.", facts=facts) == []
    wrong = "That's Moira MacDonald, our complaints officer."
    assert "contradicted_name" in errors(asked, wrong, facts=facts)


def test_free_pages_are_a_name_in_a_yes_not_a_negation():
    facts = [*SHOP, "Free pages cannot be used for colour printing."]
    asked = "Can I use my free pages for colour?"
    wrong = "Yep, free pages work for colour too."
    assert "contradicted_polarity" in errors(asked, wrong, facts=facts)
    assert errors(asked, "No, free pages are black and white only.", facts=facts) == []


def test_a_price_per_another_unit_of_the_same_kind_is_another_price():
    facts = [*SHOP, "Vinyl banner material costs ₹95 per square foot."]
    asked = "How is banner vinyl priced?"
    assert errors(asked, "Banner vinyl is ₹95 per square foot.", facts=facts) == []
    assert errors(asked, "Banner vinyl is ₹95 a square foot, cut to size.", facts=facts) == []
    wrong = "Banner vinyl is ₹95 per square metre."
    assert "contradicted_money" in errors(asked, wrong, facts=facts)


def test_the_customer_stating_the_shop_s_rules_as_its_own_speaks_as_the_shop():
    opening = ("I'd like to pick up my bound copies.", "Of course, one moment.")
    flipped = (
        "As per our policy, printed orders cannot be refunded once printing has begun; you can "
        "settle the balance at our front desk."
    )
    assert "role_swap" in errors(*opening, flipped)
    own = "I know your policy: no refunds once printing has begun. I'll pay at your desk."
    assert errors(*opening, own) == []


def test_a_time_the_facts_give_for_other_days():
    facts = [*SHOP, "The shop is open 9 am to 8 pm on weekdays and 10 am to 4 pm on weekends."]
    asked = "What time do you open on Saturday?"
    assert errors(asked, "On weekends we open at 10 and close at 4.", facts=facts) == []
    assert errors(asked, "Weekdays we open at 9; Saturdays at 10.", facts=facts) == []
    wrong = "Weekends we open at 9 and close at 4."
    assert "contradicted_time" in errors(asked, wrong, facts=facts)
    assert "contradicted_time" in errors(asked, "Saturday we open at 9 am.", facts=facts)


def test_calling_someone_is_the_phone_consultation():
    facts = [*SHOP, "Advisor Dev Patil gives phone consultations on Saturdays from 4 pm to 6 pm."]
    asked = "When can I call him?"
    right = "He takes calls from four to six in the afternoon."
    assert errors(asked, right, facts=facts) == []
    wrong = right.replace("afternoon", "morning")
    assert "contradicted_time" in errors(asked, wrong, facts=facts)


def test_a_name_ending_in_ing_is_still_a_name_in_a_self_introduction():
    asked = "Who is helping me today?"
    assert "contradicted_name" in errors(asked, "That'll be me. I'm Aisling, I'll bind it.")
    assert errors(asked, "That'll be me. I'm Neha, I'll bind it.") == []


def test_a_bare_price_answering_how_much():
    asked = "How much is binding a thesis?"
    assert errors(asked, "Four hundred and fifty for the binding, per copy.") == []
    wrong = "Five hundred and twenty for the binding, per copy."
    assert "contradicted_money" in errors(asked, wrong)
    assert errors("What time do you open?", "Nine for the early shift, then ten.") == []


def test_a_short_answer_speaks_of_the_fact_the_question_names_in_its_other_clause():
    tubes = "Poster tubes go out with the courier twice a month; the next pickup is on "
    facts = [*SHOP, tubes + "Thursday, 20 March 2025."]
    asked = "When are the poster tubes going out?"
    assert errors(asked, "Thursday the twentieth.", facts=facts) == []
    assert "contradicted_date" in errors(asked, "Thursday the twenty-seventh.", facts=facts)


def test_american_clock_words_and_a_reckoned_span():
    assert [v.amounts for v in values_in("until quarter after four in the afternoon")] == [(975.0,)]
    assert [v.text for v in values_in("ten after nine")] == ["9:10"]
    facts = [*SHOP, "The print shop is open from 9:15 am to 4:15 pm on Saturdays."]
    said = "On Saturdays we're open quarter after nine to quarter after four; that's seven hours."
    assert errors("How long are you open on Saturdays?", said, facts=facts) == []


def test_a_non_resident_is_no_negation_but_non_refundable_is():
    facts = [*SHOP, "Locker hire is $12 for residents and $15 for non-residents."]
    asked = "How much is a locker for non-residents?"
    assert errors(asked, "For non-residents it's $15, residents pay $12.", facts=facts) == []
    assert "contradicted_money" in errors(asked, "For non-residents it's 18.", facts=facts)


def test_titles_of_other_languages_and_a_tag_question():
    facts = [*SHOP, "Head binder Marguerite Tremblay checks every bound copy."]
    asked = "Who checks the bound copies?"
    assert errors(asked, "Madame Tremblay, our head binder, checks each one.", facts=facts) == []
    assert errors("This is Neha, right?", "Yes, that's me.") == []


def test_tomorrow_s_date_said_as_the_day_of_the_month():
    asked = "Could I collect the copies tomorrow?"
    assert errors(asked, "Tomorrow's the 11th; they're ready on the 28th of this month.") == []
    assert "contradicted_date" in errors(asked, "They're ready on the 21st of this month.")


def test_a_ratio_gives_the_count_for_the_other_count():
    facts = [*SHOP, "Workshops take at most 12 students, with one tutor for every 4 students."]
    asked = "How many tutors are there?"
    assert errors(asked, "With 12 students there'd be three tutors.", facts=facts) == []
    assert "contradicted_number" in errors(
        asked, "With 12 students there'd be four tutors.", facts=facts
    )


def test_a_span_from_a_time_the_customer_said_to_a_fact_s_time():
    facts = [*SHOP, "The binding class runs 45 minutes, from 10:30 am to 11:15 am."]
    asked = "We will be there at ten-fifteen. Is that early enough?"
    said = "Sure, that gives you fifteen minutes before things start at 10:30."
    assert errors(asked, said, facts=facts) == []
    assert "contradicted_number" in errors(asked, said.replace("fifteen", "twenty"), facts=facts)


def test_a_spoken_price_plus_tax_and_a_first_month_at_half_price():
    facts = [
        *SHOP,
        "A locker costs $169 plus tax per month; new customers signing up for 3 months get "
        "their first month at half price.",
    ]
    asked = "I'm signing up for three months. What's the first month?"
    said = "The first month is half off, so eighty-four fifty plus tax."
    assert errors(asked, said, facts=facts) == []
    total = "So the three months come to $422.50 before tax."
    assert errors(asked, said, "And all three months?", total, facts=facts) == []
    wrong = total.replace("$422.50", "$432.50")
    assert "contradicted_money" in errors(asked, said, "And all three months?", wrong, facts=facts)


def test_my_tuesday_one_is_a_pronoun_not_the_first():
    assert [v.text for v in values_in("Okay, I'll keep my Tuesday one.")] == ["Tuesday"]


def test_a_restriction_restated_as_its_converse_or_as_money_kept():
    facts = [*SHOP, "Cancellations made less than 7 days before the print date are not refunded."]
    asked = "What's the last day I can cancel and still get my money back?"
    converse = "To be refunded you must cancel at least 7 days before the print date."
    assert errors(asked, converse, facts=facts) == []
    kept = "Yes, unfortunately the money stays with us if you cancel later than that."
    assert errors("And if I cancel the day before, is the money gone?", kept, facts=facts) == []
    wrong = "You can cancel the day before and still get a full refund."
    assert "contradicted_polarity" in errors(asked, wrong, facts=facts)
