"""The gate's rules as the fresh held-out rows of December taught them, one idea per test:
the paraphrase that must pass beside the defect that must block. The facts are this file's
own (a marina and its boat hire), not the rows': the idea is tested, not the row."""

from __future__ import annotations

from agents.checks import check_dialogue
from agents.values import values_in
from tests.test_checks_held_out import blocking

MARINA = [
    "Today is Thursday, 5 June 2025.",
    "The harbour tour boat seats 12 people and costs €25 per hour; members get 4 free hours "
    "of boat time per month.",
    "The tour takes about 2 hours 30 minutes, including 1 rest stop of 20 minutes at Gull Island.",
    "The fuel allowance is 40 km per day; each extra kilometre costs €0.50.",
    "Life jackets must be worn at all times; the drops of sea-sickness medicine may cause "
    "drowsiness for up to 4 hours.",
    "The last boat out leaves at 4:30 pm, and the marina closes at 6:00 pm.",
    "The marina office is open daily from 8:00 am to 7:00 pm.",
    "A free safety briefing can be booked until 30 June 2025, on weekdays only.",
    "The summer season starts on 1 July 2025.",
    "The sailing course runs for 5 days, from Monday 16 to Friday 20 June 2025.",
    "Skipper Rosa Achebe leads the sailing course; harbour master Tom Baines runs the office.",
    "Deposits are not refundable; cash is not accepted.",
    "Boat hire can be cancelled free of charge only up to 48 hours before departure.",
    "Members can freeze their membership for up to 8 weeks a year, but not during their "
    "first 3 months.",
    "The private one-to-one lesson costs ₹4,50,000 for a block of 10 one-to-one sessions.",
]
PEOPLE = {
    "customer": {"name": "Helen Finch", "role": "subscriber"},
    "agent": {"name": "Dana Whitfield", "role": "customer care executive"},
}


def errors(*texts: str) -> list[str]:
    return blocking(texts, MARINA, PEOPLE)


def test_the_counted_noun_is_the_noun_counted():
    assert values_in("The boat seats 8 people and costs €25 per hour.")[0].cls == "count:person"
    assert values_in("with 1 rest stop")[0].cls == values_in("with 2 rest stops")[0].cls
    assert not errors("How many stops?", "Just the one rest stop, twenty minutes at Gull Island.")
    assert errors("How many stops?", "There are two rest stops along the way.")


def test_a_rate_a_few_words_on_and_per_another_period():
    assert not errors("Free hours?", "Members get four free hours of boat time each month.")
    assert errors("Free hours?", "Members get four free hours every week.")


def test_the_fact_s_number_in_another_unit_is_a_wrong_unit():
    assert not errors("Fuel?", "You have forty kilometres a day.")
    assert errors("Fuel?", "You have forty miles a day.")
    assert errors("Drowsy?", "The drops can make you drowsy for up to four days.")


def test_a_value_swapped_within_one_fact():
    assert not errors("Last boat?", "The last boat out leaves at half four.")
    assert errors("Last boat?", "The last boat out leaves at six.")


def test_a_date_chosen_inside_a_bound_and_a_bound_restated():
    assert not errors(
        "Can I book the safety briefing?",
        "Yes. Would Monday the 16th suit you? Noted: Monday, 16 June, for the briefing.",
    )
    assert errors("When does the season begin?", "The season starts on 1 August.")


def test_a_time_inside_a_fact_s_range_and_a_range_restated():
    assert not errors("Office?", "Come by at half past eight and we'll sort it out.")
    assert errors("Office hours?", "The office is open between 8 am and 5 pm.")


def test_a_value_given_as_a_bound_the_fact_keeps():
    assert not errors("How long?", "A little under three hours, with the stop.")
    assert errors("How long?", "The tour takes about 4 hours.")


def test_a_bare_weekday_does_not_say_which_week():
    assert not errors("When is the course?", "Monday the 16th to Friday the 20th.")
    assert errors("When is the course?", "It starts Monday the 23rd.")
    assert errors("When is the course?", "It starts this coming Monday.")
    assert not errors("When is the course?", "It starts a week from this Monday, on the 16th.")


def test_kinds_of_lesson_are_no_counts_and_indian_money_is_money():
    assert values_in("₹4,50,000")[0].amounts == (450000.0,)
    assert values_in("forty-five lakh rupees")[0].amounts == (4500000.0,)
    assert not errors("Price?", "Ten one-to-one sessions come to ₹4,50,000.")
    assert errors("Price?", "Ten one-to-one sessions come to four lakh rupees.")


def test_staff_whose_role_names_the_customer_are_staff():
    # "customer care executive" is the serving side: its wrong values are not the customer's
    assert errors("Price per hour?", "It's thirty-five euros an hour.")


def test_a_full_name_with_a_known_surname_and_another_first_name():
    assert not errors("Who leads the course?", "Rosa Achebe does.")
    assert errors("Who leads the course?", "That's Ruth Achebe, our skipper.")
    assert not errors("My mother Mary Finch might join me.", "Lovely, she's welcome.")


def test_grants_and_universal_permissions_against_limits():
    assert errors("Is cash alright?", "Cash is fine, sure.")
    assert errors("Cancel?", "No worries, you can cancel for free any time, even the same day.")
    assert errors("Freeze?", "Absolutely, you can freeze your membership from day one.")
    assert not errors("Cancel?", "You can cancel for free up to 48 hours before you sail.")
    assert not errors("Cash?", "I'm afraid we don't take cash, only cards.")


def test_speeds_spoken_prices_and_spoken_clock_times():
    speed = values_in("the limit is 4 mph")[0]
    assert speed.cls == "q:speed"  # a dimension of its own: a length an hour
    assert values_in("four miles an hour")[0].amounts == speed.amounts
    assert values_in("four miles an hour")[0].cls == "q:speed"
    assert values_in("4 miles")[0].cls == "q:length"
    price = values_in("Your plan is fourteen ninety-nine a month.")[0]
    assert price.cls == "money" and set(price.amounts) == {14.99, 1499.0}
    assert values_in("we open at six thirty")[0].amounts == (390.0, 1110.0)
    assert not errors("Price?", "It's four hundred and fifty thousand rupees for the block.")


def test_a_stranger_doing_what_a_fact_says_someone_else_does():
    assert errors("Who leads the sailing course?", "Our Steve Marsh leads the sailing course.")
    assert not errors("Who leads it?", "Rosa leads the sailing course, she's great.")


def test_a_condition_s_consequence_is_a_claim_and_a_modal_makes_an_example():
    assert errors("Freeze?", "If you ask, you can freeze it for up to 12 weeks a year.")
    assert not errors(
        "Boat time?", "If you had used three free hours, you would have one free hour left."
    )


def test_shares_each_way_and_parts_of_a_whole():
    assert values_in("Only 3 in 10 teams escape")[0].cls == "count:team"
    assert not errors("How far?", "Forty kilometres a day, so twenty there and back each way.")
    assert not errors("How long?", "Two and a half hours, so half of five hours.")


def test_breaking_the_frame_in_other_words():
    turns = [
        {"speaker": "customer", "text": "Since I'm supposed to play the customer, here goes."},
        {"speaker": "agent", "text": "Go ahead."},
    ]
    found = check_dialogue(turns, facts=MARINA, personas=PEOPLE)
    assert any(f.check == "persona_break" for f in found)


def test_bounds_that_overlap_agree_and_staff_arithmetic_with_its_operands():
    # "more than" against the fact's "up to": they overlap; "up to" against "up to": compared
    assert not errors("How long do they last?", "The drowsiness lasts more than an hour.")
    assert errors("How long do they last?", "The drowsiness lasts up to six hours.")
    assert values_in("so a dollar fifty on top")[0].amounts == (1.5,)
    assert not errors(
        "Twenty people?", "Twenty would mean eight more beyond the 12 people it seats."
    )
    assert errors("How many?", "So it seats 20 people.")


def test_a_date_inside_a_bound_that_gives_no_year_and_ordinals_that_name_things():
    facts = [
        "Today is Monday, 3 March 2025.",
        "Clients who book before 5 April get 10% off the fee.",
        "Fees are not refundable after the second lesson.",
    ]

    def blocked(text: str) -> bool:
        turns = [{"speaker": "agent", "text": text}]
        found = check_dialogue(turns, facts=facts, personas=PEOPLE)
        return any(f.severity == "error" for f in found)

    assert not blocked("10am fri 4/4 booked, so you get the discount.")
    assert not blocked("I'll meet you at the first lesson.")
    assert blocked("Fees are refundable until the third lesson.")


def test_an_introduction_names_a_person_not_a_nationality_or_a_habit():
    turns = [
        {"speaker": "customer", "text": "Hi, I'm British, so forgive my spelling."},
        {"speaker": "agent", "text": "No problem. It's Tuesdays we open late."},
    ]
    assert not any(
        f.severity == "error" for f in check_dialogue(turns, facts=MARINA, personas=PEOPLE)
    )
    turns = [{"speaker": "agent", "text": "Hi, I'm Brian, how can I help?"}]
    assert any(
        f.check == "contradicted_name" for f in check_dialogue(turns, facts=MARINA, personas=PEOPLE)
    )


def test_a_figure_worked_out_over_several_said_steps():
    facts = [
        "Today is Monday, 2 June 2025.",
        "A full clean of a two-storey house costs £80 per visit.",
        "Customers who book 5 cleans a year get 20% off each clean.",
    ]

    def found(answer: str) -> list[str]:
        turns = [
            {"speaker": "customer", "text": "What would five full cleans a year come to?"},
            {"speaker": "agent", "text": answer},
        ]
        return [
            f.check
            for f in check_dialogue(turns, facts=facts, personas=PEOPLE)
            if f.severity == "error"
        ]

    steps = (
        "Eighty a visit, so five would be four hundred; twenty percent off each brings it to "
        "sixty-four a clean, so {} for the year."
    )
    assert not found(steps.format("£320"))
    assert found(steps.format("£340")) == ["contradicted_money"]


def test_a_day_s_rate_over_a_week_and_a_stretch_between_two_clock_times():
    assert not errors("Fuel for a week?", "Forty kilometres a day, so 280 km over the week.")
    assert not errors(
        "How long is the office open?",
        "So that's twelve hours, 8 to 7... well, eleven hours all told.",
    )
    assert errors("Fuel?", "You have forty miles a day.")


def test_a_speed_is_not_a_length():
    facts = ["The lake loop is 8 km each way.", "The speed limit is 4 mph."]
    turns = [
        {"speaker": "customer", "text": "How far is it?"},
        {"speaker": "agent", "text": "It's eight miles each way, so about two hours there."},
    ]
    found = check_dialogue(turns, facts=facts, personas=PEOPLE)
    assert [f.check for f in found if f.severity == "error"] == ["contradicted_unit"]


def _polarity(facts: list[str], answer: str, question: str = "Quick question.") -> list[str]:
    turns = [{"speaker": "customer", "text": question}, {"speaker": "agent", "text": answer}]
    found = check_dialogue(turns, facts=facts, personas=PEOPLE)
    return [f.check for f in found if f.severity == "error"]


def test_a_negated_fact_granted_in_other_words():
    facts = [
        "Today is Monday, 2 June 2025.",
        "The frame has a 2-year guarantee, which does not cover accidental damage.",
        "The entry fee is €40 and the kit fee is €15; neither fee is refundable.",
        "Bags can be left at the desk free of charge, but only until 6 pm.",
        "The monthly pass includes unlimited rides.",
    ]
    granted = [
        "The two-year guarantee takes care of accidental damage as well.",
        "If you drop out, the €40 entry fee would be refunded — it's only the kit fee we keep.",
        "Your bags can stay at the desk as long as you like — there's no time limit.",
    ]
    for answer in granted:
        assert _polarity(facts, answer) == ["contradicted_polarity"], answer
    kept = [
        "The two-year guarantee doesn't take care of accidental damage, I'm afraid.",
        "Neither fee comes back to you, sorry.",
        "You can leave them at the desk for free until six.",
        "The pass gives you unlimited rides.",
    ]
    for answer in kept:
        assert _polarity(facts, answer) == [], answer
    lessons = [
        "Today is Monday, 2 June 2025.",
        "Lessons are not refundable, but a lesson can be moved to another week.",
        "Each lesson costs £30.",
    ]
    assert _polarity(lessons, "If you can't come, just ring us and we'll refund you in full.")
    assert not _polarity(lessons, "We can't refund a lesson, but we can move it to another week.")
    assert not _polarity(lessons, "You can move it to another week if you ring us.")


def test_a_role_flip_in_plain_prose():
    # the customer talks as the business; the member of staff talks as the one served
    as_staff = [
        "So for your booking, the harbour tour leaves at half four.",
        "Our office is open till seven, so pop in whenever suits you.",
        "Let me just confirm your booking: the tour boat on Saturday.",
    ]
    as_customer = [
        "Sorry, how much do I still owe on the deposit?",
        "Will your crew be careful with my own little dinghy?",
        "My two mates and I want to come too, is that all right?",
        "I'd like to book a private lesson for next week, what would that cost me?",
    ]
    for line in as_staff:
        assert "role_swap" in _said_by("customer", line), line
    for line in as_customer:
        assert "role_swap" in _said_by("agent", line), line
    assert "role_swap" not in _said_by("customer", "Our boat is the blue one by the slipway.")
    assert "role_swap" not in _said_by("agent", "Our skipper Rosa will meet you on the pontoon.")
    assert "role_swap" not in _said_by("customer", "How much do I owe for the tour?")


def _said_by(speaker: str, line: str) -> list[str]:
    opener = {"customer": "Hello, it's about the tour.", "agent": "Hello, marina office."}
    first = "agent" if speaker == "customer" else "customer"
    turns = [{"speaker": first, "text": opener[first]}, {"speaker": speaker, "text": line}]
    return [f.check for f in check_dialogue(turns, facts=MARINA, personas=PEOPLE)]


def test_clock_times_as_people_say_them():
    said = {
        "back through the barrier by half past midnight": 30,
        "the bus runs until a minute to midnight": 23 * 60 + 59,
        "see you at twenty to four": 3 * 60 + 40,
        "we'll be there at ten to six": 5 * 60 + 50,
        "Half ten at night, then.": 22 * 60 + 30,
        "it's 5 minutes to 9": 8 * 60 + 55,
    }
    for text, minutes in said.items():
        times = [v for v in values_in(text) if v.cls == "time"]
        assert len(times) == 1 and minutes in times[0].amounts, (text, times)
    assert [v.cls for v in values_in("We're open ten to six.")] != ["time"]  # a range, kept
    # "Saturday, nine till eight" is opening hours, not the ninth
    assert "date" not in {v.cls for v in values_in("Monday to Saturday, nine till eight.")}
    assert next(v.text for v in values_in("Monday 16 to Friday 20 June")) == "Monday 16"


def test_a_time_inside_the_fact_s_window_after_another_value_s_bound():
    assert not errors("Can I come at 5.30?", "The office is open until seven, so 5:30 pm is fine.")
    assert errors("When do you open?", "We open at 9 am and close at 6 pm.")


def test_a_title_is_not_a_first_name_and_the_gate_does_not_depend_on_hashing():
    facts = [*MARINA, "There is no boil-water notice for the marina taps."]
    turns = [
        {"speaker": "customer", "text": "Who runs the course?"},
        {
            "speaker": "agent",
            "text": "Put Ms. Achebe down as your skipper. No need to boil "
            "the tap water, it's fine.",
        },
    ]
    found = check_dialogue(turns, facts=facts, personas=PEOPLE)
    assert [f.check for f in found if f.severity == "error"] == []


def _answer(facts: list[str], answer: str) -> list[str]:
    turns = [{"speaker": "customer", "text": "A quick one."}, {"speaker": "agent", "text": answer}]
    found = check_dialogue(turns, facts=facts, personas=PEOPLE)
    return [f.check for f in found if f.severity == "error"]


def test_a_fact_s_bound_in_another_unit_and_a_quantity_times_another_quantity():
    facts = [
        "Today is Monday, 2 June 2025.",
        "There is no delivery charge within 25 km of the shop, and your house is 18 km away.",
        "The shuttle runs every 10 minutes; parking is free for the first 2 hours.",
    ]
    assert not _answer(facts, "No delivery charge within twenty-five kilometres, and you're 18.")
    assert _answer(facts, "No delivery charge within twenty-five miles, so you're fine.")
    assert not _answer(facts, "The shuttle comes every ten minutes.")
    assert _answer(facts, "The shuttle comes every twenty minutes.")  # not 10 x "2 hours"


def test_a_conversion_put_beside_the_fact_s_quantity():
    facts = ["Today is Monday, 2 June 2025.", "Each suitcase may weigh up to 23 kg."]
    assert not _answer(facts, "Up to twenty-three kilos a case, which is about fifty pounds.")
    assert not _answer(facts, "Up to 23 kg (roughly 50 lb) per case.")
    assert _answer(facts, "Up to twenty-three kilos a case, which is about thirty-five pounds.")


def test_prices_worked_out_for_the_quantity_and_the_time_asked():
    facts = [
        "Today is Friday, 7 November 2025.",
        "Striploin steak is $48 per kg.",
        "Care costs $32 per hour on weekdays, and weekend visits cost $4 per hour more.",
        "Each visit lasts 45 minutes.",
    ]
    assert not _answer(
        facts, "A kilo and a half of striploin at $48 a kilo is seventy-two dollars."
    )
    assert _answer(facts, "A kilo and a half of striploin at $48 a kilo is eighty-two dollars.")
    assert not _answer(
        facts, "Two steaks of about 300 grams, so roughly $28.80, give or take what the scale says."
    )
    turns = [
        {"speaker": "customer", "text": "So a 45-minute weekend visit would be... twenty-seven?"},
        {"speaker": "agent", "text": "Exactly, $27 at the weekend."},
    ]
    assert not [
        f for f in check_dialogue(turns, facts=facts, personas=PEOPLE) if f.severity == "error"
    ]


def test_as_i_said_is_no_hearsay():
    facts = ["Today is Friday, 7 November 2025.", "Striploin steak is $48 per kg."]
    assert _answer(facts, "As I said, striploin is $58 a kilo.")
    assert not _answer(facts, "My neighbour said striploin was $58 a kilo somewhere else.")


def test_limits_kept_while_saying_any_and_the_customer_s_own_story():
    facts = [
        "Today is Friday, 7 November 2025.",
        "The chapel is open for viewing from 10 am to 6 pm every day except Sunday.",
        "Care workers can remind clients to take tablets, but they cannot give injections.",
        "There is no charge for polishing after a resole.",
        "Loans can be renewed up to 2 times, but not if another member has reserved the item.",
    ]
    assert not _answer(facts, "Come whenever suits, any time before 18:00 would be fine.")
    assert not _answer(facts, "I'm afraid injections are outside what they can give.")
    assert _answer(facts, "They can give injections too, if the nurse is busy.")
    assert _answer(facts, "You can renew it up to two times, whether or not someone reserved it.")
    story = [
        {
            "speaker": "customer",
            "text": "Last time, in another shop, the man charged me for a polish after the resole.",
        },
        {"speaker": "agent", "text": "Not here: polishing after a resole costs nothing."},
    ]
    found = check_dialogue(story, facts=facts, personas=PEOPLE)
    assert not [f for f in found if f.severity == "error"]
    confirmed = [story[0], {"speaker": "agent", "text": "Yes, that's right, we do the same."}]
    found = check_dialogue(confirmed, facts=facts, personas=PEOPLE)
    assert [f.check for f in found if f.severity == "error"] == ["contradicted_polarity"]


def test_money_asked_without_a_question_mark_in_its_own_currency():
    facts = [
        "Today is Friday, 7 November 2025.",
        "A €80 deposit is required to book, and the jacket costs €240.",
        "Same-day delivery costs £14.50 per parcel; account customers get 10% off.",
    ]

    def said(question: str, answer: str) -> list[str]:
        turns = [{"speaker": "customer", "text": question}, {"speaker": "agent", "text": answer}]
        found = check_dialogue(turns, facts=facts, personas=PEOPLE)
        return [f.check for f in found if f.severity == "error"]

    assert said("hey whats the deposit thing", "A hundred and eighty euros to hold your slot.")
    assert not said("hey whats the deposit thing", "Eighty euros to hold your slot.")
    assert said("how much is the jacket", "That one's two hundred and forty dollars.")
    assert not said("Per parcel?", "Ten per cent off, so thirteen pound five pence a parcel.")
    assert not said("Per parcel?", "Fifteen — no, sorry, fourteen fifty a parcel.")
    assert said("Per parcel?", "£14.50 — no, sorry, £15.50 a parcel.")


def test_a_customer_s_figure_repeated_by_staff_against_a_fact():
    facts = [
        "Today is Friday, 14 March 2025.",
        "The minimum hire period is 3 days, at $95 per day.",
        "A 10-visit card costs $180 and expires 4 months after purchase.",
        "There is a 3-month minimum term; after that, 14 days' notice cancels the plan.",
        "Business accounts get 10% off in months with 20 or more parcels.",
    ]

    def said(question: str, answer: str) -> list[str]:
        turns = [{"speaker": "customer", "text": question}, {"speaker": "agent", "text": answer}]
        found = check_dialogue(turns, facts=facts, personas=PEOPLE)
        return [f.check for f in found if f.severity == "error"]

    quote = "Probably two days. The other firm wants three."
    assert said(quote, "Our minimum hire is two days, at $95 a day.")
    assert not said(quote, "Our minimum hire is three days, at $95 a day.")
    assert not said("Two days, you said?", "Two days, okay.")  # an echo is no claim
    assert said("Commitment?", "There's a six-month minimum, then two weeks' notice.")
    assert not said("Commitment?", "There's a three-month minimum, then two weeks' notice.")
    assert said("Discount?", "Ten per cent off in months with twenty-five or more parcels.")
    assert not said("Visits?", "At twice a week you'd use ten visits in about five weeks.")


def test_hyphenated_half_hours_are_clock_times():
    times = [v for v in values_in("Between nine-thirty and eleven-thirty.") if v.cls == "time"]
    assert [t.amounts[0] for t in times] == [570.0, 690.0]
    assert [v.cls for v in values_in("a 30-minute talk")] == ["q:duration"]


def test_a_time_that_is_another_fact_s_told_by_the_weekday_and_people_named():
    facts = [
        "Today is Friday, 14 November 2025.",
        "Opening hours are 7:00 am to 9:30 pm, with last entry at 7:30 pm.",
        "Host Eilidh Drummond leads the guided session every Wednesday at 6:30 pm.",
    ]
    assert _answer(facts, "That's Wednesday nights with Eilidh Drummond — she starts at 7:30.")
    assert not _answer(facts, "That's Wednesday nights with Eilidh Drummond — she starts at 6:30.")
    assert not _answer(facts, "Last entry is half seven, and we close at half nine.")


def test_temperatures_in_both_scales_and_what_is_no_duration():
    facts = [
        "Today is Friday, 14 November 2025.",
        "The sauna is heated to 85 °C.",
        "The cold plunge pool is kept at 6 °C.",
        "Under-16s are not admitted.",
    ]
    assert not _answer(facts, "It sits at eighty-five Celsius, about 185 Fahrenheit.")
    assert _answer(facts, "It sits at eighty-five Celsius, about 160 Fahrenheit.")
    assert [v.cls for v in values_in(facts[2])] == ["q:temperature_c"]
    assert values_in(facts[3]) == ()


def test_a_staff_member_s_other_name_in_how_they_answer_the_phone():
    turns = [
        {"speaker": "customer", "text": "Hello? Is this the marina?"},
        {"speaker": "agent", "text": "It is, you're through to Craig at the front desk."},
    ]
    found = check_dialogue(turns, facts=MARINA, personas=PEOPLE)
    assert "contradicted_name" in [f.check for f in found]
    turns[1]["text"] = "It is, you're through to Dana at the front desk."
    found = check_dialogue(turns, facts=MARINA, personas=PEOPLE)
    assert not [f for f in found if f.severity == "error"]


def test_negations_in_dialect_and_exclusion_and_a_denied_fee():
    facts = [
        "Today is Friday, 14 November 2025.",
        "Up to 3 broken strings are replaced at no extra cost; each further string costs £12.",
        "Flood damage is not covered under the Standard plan.",
        "After 3 months the plan can be cancelled with 14 days' notice and no cancellation fee.",
        "Keys that do not work are recut free of charge.",
    ]
    assert not _answer(facts, "She'll replace up to three at nae extra cost.")
    assert not _answer(facts, "The Standard plan excludes flood damage.")
    assert _answer(facts, "The Standard plan takes care of flood damage too.")
    assert not _answer(facts, "After that you can cancel whenever you like with two weeks' notice.")
    assert _answer(facts, "After that you can cancel whenever you like, but there's a £20 fee.")
    assert not _answer(facts, "I'll come in on the 16th after work, then.")


def test_a_required_condition_waived():
    facts = [
        "Today is Friday, 14 November 2025.",
        "Programming a key fob takes 45 minutes and can be done only if the car is brought in.",
        "Children under 8 must have an adult with them in the water.",
    ]
    assert _answer(facts, "We can programme the fob here, no need to bring the car in.")
    assert not _answer(facts, "We can programme the fob, but you'll need to bring the car in.")
    assert not _answer(facts, "Under-eights aren't allowed in the water without an adult.")


def test_role_flips_in_more_of_their_forms():
    as_staff = [
        "Thank you for shopping with us today!",
        "Our head butcher Marco will trim anything you buy.",
        "Let me just check for you: yes, we have it in a medium.",
        "Would you like me to hold it at the till?",
        "For your own records: the review is after six weeks.",
    ]
    as_customer = [
        "While I have you, I need to order two cases of butter for my own restaurant.",
        "Great, I'll take two places then, one for me and one for my mate.",
        "My dad's funeral is on Friday and I can't find the deposit.",
    ]
    for line in as_staff:
        assert "role_swap" in _said_by("customer", line), line
    for line in as_customer:
        assert "role_swap" in _said_by("agent", line), line
    assert "role_swap" not in _said_by("agent", "Would you like me to hold it at the till?")
    assert "role_swap" not in _said_by(
        "customer", "I'll take two places, one for me and one for my mate."
    )


def test_a_value_inside_a_bound_that_two_facts_repeat_and_a_minute_past_midnight():
    facts = [
        "Today is Friday, 14 November 2025.",
        "The installation includes up to 25 feet of wiring.",
        "Wiring beyond the included 25 feet costs $18 per extra foot.",
        "Coverage starts at 12:01 am on Saturday, 15 November 2025.",
    ]
    assert not _answer(facts, "Seven meters is about twenty-three feet, so you're within it.")
    assert not _answer(facts, "You're covered from one minute past midnight on the 15th.")
    assert _answer(facts, "You're covered from one minute past noon on the 15th.")


def test_past_forms_rates_per_period_and_conversions_with_is():
    facts = [
        "Today is Friday, 14 November 2025.",
        "Ordered books are held behind the counter for 14 days after they arrive.",
        "The watch loses about 4 minutes a day.",
        "Jumbo shrimp cost $14.50 per lb; lobsters weigh about 1.25 lb each.",
    ]
    assert _answer(facts, "We'll hold the book for you for ten days after it arrives.")
    assert not _answer(facts, "We'll hold the book for you for fourteen days after it arrives.")
    assert _answer(facts, "It's losing about four minutes a week at the moment.")
    assert _answer(facts, "Sure, 500 grams is about two pounds of shrimp.")
    assert not _answer(facts, "Sure, 500 grams is about a pound of shrimp.")
    assert _answer(facts, "The lobsters are about two and a quarter pounds each.")


def test_each_policy_verb_a_fact_denies_and_prescription_or_not():
    facts = [
        "Today is Friday, 14 November 2025.",
        "Eggs cannot be returned or exchanged once they have left the shop.",
        "Staff cannot give any medication that has not been prescribed.",
    ]
    assert _answer(facts, "Just bring the box back and we'll exchange it, no problem.")
    assert not _answer(facts, "I'm afraid we can't exchange eggs once they've left the shop.")
    assert _answer(facts, "We'll give him his tablets whenever he needs them, prescription or not.")


def test_role_flips_where_the_speaker_acts_on_the_listener_s_things():
    as_staff = [
        "Thanks for holding. I can confirm your sailing lesson is on Friday.",
        "So I'll service the outboard and fit a new prop on your boat by Friday.",
        "We will be adding the deposit to your account, as we only take cards.",
        "Our crane's rated to twelve tonnes, so she's no bother.",
    ]
    as_customer = [
        "While I'm on, I'd like to upgrade my two tickets to seated ones.",
        "Okay, so I'll bring my passport. Should I come ten minutes early?",
    ]
    for line in as_staff:
        assert "role_swap" in _said_by("customer", line), line
    for line in as_customer:
        assert "role_swap" in _said_by("agent", line), line
    for line in (*as_staff[:3], "Our crane's rated to twelve tonnes."):
        assert "role_swap" not in _said_by("agent", line), line
    assert "role_swap" not in _said_by("customer", "I'll bring my passport, should I come early?")


def test_a_value_anchored_by_its_fact_s_other_values_and_a_half_day():
    facts = [
        "Today is Friday, 21 November 2025.",
        "The laptop costs $1,649; it has 32 GB of RAM and a 1 TB SSD.",
        "The order total is €189.00, which includes €14.50 for express shipping.",
        "A full day costs £32 and a half day costs £20.",
    ]
    assert _answer(facts, "That's $1,469, with 32 GB of RAM and the 1 TB SSD.")
    assert not _answer(facts, "That's $1,649, with 32 GB of RAM and the 1 TB SSD.")
    assert not _answer(facts, "Yes, €189 including the €14.50 for express shipping.")
    assert [v.amounts[0] for v in values_in(facts[3]) if v.cls == "money"] == [32.0, 20.0]


def test_a_bare_amount_after_a_money_noun():
    facts = ["Today is Friday, 21 November 2025.", "A £200 deposit is due by 20 October 2025."]
    assert _answer(facts, "The deposit's two hundred and fifty, due by the twentieth.")
    assert not _answer(facts, "The deposit's two hundred, due by the twentieth.")
    assert [v.cls for v in values_in("The fee is 30 minutes of your time.")] == ["q:duration"]


def test_a_date_from_its_own_fact_s_working_days_and_the_rest_of_a_day():
    facts = [
        "Today is Friday, 21 November 2025.",
        "Artwork changes are accepted until Monday, 24 November 2025.",
        "The order is dispatched on Tuesday, 25 November 2025 and delivered within 2 working days.",
        "The aligners must be worn for at least 22 hours a day.",
    ]
    assert not _answer(facts, "Dispatch is the 25th, so you should have it by Thursday the 27th.")
    assert _answer(facts, "It's dispatched on Wednesday the 26th, so you'll have it by Friday.")
    assert not _answer(
        facts, "At least 22 hours a day, so they're out for about two hours at most."
    )
    yes = [
        {"speaker": "customer", "text": "And the deposit is due by the 24th?"},
        {"speaker": "agent", "text": "Yes, Monday the 24th, exactly."},
    ]
    facts2 = [
        *facts[:1],
        "A £200 deposit is due by Monday, 24 November 2025 and is not refundable.",
    ]
    assert not [
        f for f in check_dialogue(yes, facts=facts2, personas=PEOPLE) if f.severity == "error"
    ]


def test_role_flips_through_the_listener_s_things_and_wanting_to_join():
    as_staff = [
        "So, for your boat we'll change the oil and fit a new impeller.",
        "As your sailing instructor, I'll meet you at the pontoon.",
        "The course is £300, and I'll need half of that from you as a deposit.",
    ]
    as_customer = [
        "Actually, I'd love to sign up for it myself. Is there space?",
        "I'm hoping to book myself a place on the sailing course too.",
    ]
    for line in as_staff:
        assert "role_swap" in _said_by("customer", line), line
    for line in as_customer:
        assert "role_swap" in _said_by("agent", line), line
    for line in as_staff:
        assert "role_swap" not in _said_by("agent", line), line
    assert "role_swap" not in _said_by("customer", "I'd love to sign up for the sailing course.")


def test_offsets_floors_hedges_and_regret():
    facts = [
        "Today is Saturday, 7 June 2025.",
        "The final fitting is on Friday, 18 July 2025.",
        "Dresses must be collected within 14 days of the final fitting.",
        "Reserved spaces are on levels 2 and 3; refunds are given only before the 15th.",
        "The train will be shortened by 40 cm.",
        "A 50% deposit is payable at the first fitting and is not refundable.",
    ]
    assert not _answer(
        facts, "Your final fitting is six weeks from yesterday, Friday the 18th of July."
    )
    assert not _answer(facts, "The reserved spaces are on the second and third floors only.")
    assert not _answer(
        facts, "The train comes up by forty centimetres, just short of sixteen inches."
    )
    assert not _answer(facts, "The deposit stays with us whatever happens, I'm afraid.")
    assert _answer(facts, "You can get a refund on the deposit whatever happens.")


def test_scales_after_a_decimal_and_a_part_of_day_for_both_ends():
    money = [v for v in values_in("The bond is £2.5 million.") if v.cls == "money"]
    assert [v.amounts[0] for v in money] == [2_500_000.0]
    money = [v for v in values_in("That's three and a half thousand dollars.") if v.cls == "money"]
    assert [v.amounts[0] for v in money] == [3500.0]
    times = [v.amounts for v in values_in("The window is seven to ten in the evening.")]
    assert times == [(1140.0,), (1320.0,)]
    times = [v for v in values_in("We're open from 9 to 5 pm.") if v.cls == "time"]
    assert 540.0 in times[0].amounts  # nine in the morning, not at night
